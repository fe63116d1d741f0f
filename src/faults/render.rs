//! `pingpong faults` as people read it: the terminal table with a numbered
//! line of detail per row, the CSV (one row per table row) and the Markdown.

use super::FaultsDocument;
use crate::format::ns;
use anyhow::Result;
use std::collections::BTreeMap;

impl crate::export::Export for FaultsDocument {
    fn csv(&self) -> Result<Vec<u8>> {
        render_csv(self)
    }
    fn markdown(&self) -> String {
        render_markdown(self)
    }
}

fn survived(s: Option<bool>) -> &'static str {
    match s {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "–",
    }
}

fn notice(n: Option<f64>) -> String {
    n.map(ns).unwrap_or_else(|| "–".into())
}

/// The terminal table, then one numbered line of detail per row.
pub fn render_table(doc: &FaultsDocument) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "machine:  {}", doc.header.machine.one_line());
    let mut t = crate::output::new_table();
    t.set_header(vec![
        "#",
        "experiment",
        "case",
        "unit",
        "outcome",
        "signal/status",
        "survived?",
        "time to notice",
    ]);
    for (i, r) in doc.rows.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            r.experiment.clone(),
            r.case.clone(),
            r.unit.clone(),
            r.outcome.clone(),
            r.status.clone(),
            survived(r.survived).into(),
            notice(r.notice_ns),
        ]);
    }
    let _ = writeln!(out, "{t}");
    for (i, r) in doc.rows.iter().enumerate() {
        if !r.detail.is_empty() {
            let _ = writeln!(out, "[{}] {}", i + 1, r.detail);
        }
    }
    for n in &doc.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn figures_text(f: &BTreeMap<String, f64>) -> String {
    f.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `--csv FILE`: one row per table row, figures as `key=value; …`.
pub fn render_csv(doc: &FaultsDocument) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "experiment",
        "case",
        "unit",
        "outcome",
        "status",
        "survived",
        "notice_ns",
        "detail",
        "figures",
    ])?;
    for r in &doc.rows {
        w.write_record([
            r.experiment.clone(),
            r.case.clone(),
            r.unit.clone(),
            r.outcome.clone(),
            r.status.clone(),
            r.survived.map(|s| s.to_string()).unwrap_or_default(),
            r.notice_ns.map(|n| format!("{n:.0}")).unwrap_or_default(),
            r.detail.clone(),
            figures_text(&r.figures),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `--markdown FILE`.
pub fn render_markdown(doc: &FaultsDocument) -> String {
    use std::fmt::Write as _;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let _ = writeln!(s, "# pingpong faults\n");
    let _ = writeln!(s, "Machine: {}\n", doc.header.machine.one_line());
    let _ = writeln!(
        s,
        "| experiment | case | unit | outcome | signal/status | survived? | time to notice | detail |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in &doc.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.experiment),
            cell(&r.case),
            cell(&r.unit),
            cell(&r.outcome),
            cell(&r.status),
            survived(r.survived),
            notice(r.notice_ns),
            cell(&r.detail)
        );
    }
    for n in &doc.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}
