//! The verdict as Markdown: the machine, the bottom line, then one row per
//! claim with every column's word and what the word rests on.

use super::super::rules::Judgement;
use super::super::summary::{self, Summary};
use super::super::{claims, Verdict, VerdictDocument};
use super::{cpython_lines, figures, machine_line, runs_line};
use crate::python::Build;
use std::fmt::Write;

/// A CPython column's cell: the word and the figures it rests on ("–"
/// where CPython does not measure the claim).
fn cpython(v: &Verdict, j: Option<&Judgement>, ru: bool) -> String {
    match j {
        None => "–".into(),
        Some(j) => {
            let figs = figures(v, &j.figures);
            if figs.is_empty() {
                j.word.label(ru)
            } else {
                format!("{}\n{figs}", j.word.label(ru))
            }
        }
    }
}

pub fn markdown(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let mut s = String::new();
    let sum = summary::summarize(doc);
    let _ = writeln!(s, "# pingpong verdict\n");
    let _ = writeln!(s, "{}\n", machine_line(&doc.header.machine, ru));
    for line in sum.count_lines(ru) {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(s, "\n## {}\n", Summary::question(ru));
    let _ = writeln!(s, "{}\n", sum.paragraph());
    let _ = writeln!(
        s,
        "## {}\n\n{}\n",
        if ru {
            "Утверждения"
        } else {
            "The claims"
        },
        claims::source_note(ru)
    );
    let (claim, verdict, evidence) = if ru {
        ("утверждение", "вердикт (Rust)", "на чём основан")
    } else {
        ("claim", "verdict (Rust)", "evidence")
    };
    let _ = writeln!(
        s,
        "| id | {claim} | {verdict} | {} | {} | {evidence} |",
        summary::build_title(Build::Default, ru),
        summary::build_title(Build::FreeThreaded, ru)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    let esc = |x: &str| x.replace('|', "\\|").replace('\n', "<br>");
    for v in &doc.verdicts {
        let claim = if ru {
            format!("{} ({})", v.claim_ru, v.claim_en)
        } else {
            v.claim_en.clone()
        };
        let mut ev = match claims::experiment_line(&v.id, ru) {
            Some(line) => format!("{line}\n{}", v.judgement.rule),
            None => v.judgement.rule.clone(),
        };
        let figs = figures(v, &v.judgement.figures);
        if !figs.is_empty() {
            ev.push('\n');
            ev.push_str(&figs);
        }
        if !v.judgement.commands.is_empty() {
            ev.push_str(&format!(
                "\n{}: `{}`",
                if ru {
                    "повторить"
                } else {
                    "reproduce"
                },
                v.judgement.commands.join("`, `")
            ));
        }
        let _ = writeln!(
            s,
            "| {} | {} | **{}** | {} | {} | {} |",
            v.id,
            esc(&claim),
            v.judgement.word.label(ru),
            esc(&cpython(v, v.cpython.as_ref(), ru)),
            esc(&cpython(v, v.cpython_ft.as_ref(), ru)),
            esc(&ev)
        );
    }
    if doc.runs > 1 {
        let _ = writeln!(s, "\n{}", runs_line(doc, ru));
    }
    for line in cpython_lines(doc, ru) {
        let _ = writeln!(s, "\n{line}");
    }
    s
}
