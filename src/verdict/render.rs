//! The verdict as a terminal table and as Markdown.

use super::{claims, VerdictDocument};
use crate::evidence::show;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width};
use std::fmt::Write;

/// The figures a verdict rests on, one per line.
fn figures(v: &super::Verdict, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| v.values.get(k).map(|f| (k, f)))
        .map(|(k, f)| format!("{k} = {}", show(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn table(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let mut out = String::new();
    let _ = writeln!(out, "machine: {}", doc.header.machine.one_line());
    let _ = writeln!(out, "{}", claims::source_note(ru));
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160)
        .set_header(if ru {
            vec![
                "id",
                "утверждение",
                "вердикт",
                "CPython",
                "на чём основан (правило и цифры)",
            ]
        } else {
            vec![
                "id",
                "claim",
                "verdict",
                "CPython",
                "evidence (rule and figures)",
            ]
        });
    for v in &doc.verdicts {
        let claim = if ru {
            format!("{}\n({})", v.claim_ru, v.claim_en)
        } else {
            v.claim_en.clone()
        };
        let word = if ru {
            format!(
                "{}\n({})",
                v.judgement.word.label(true),
                v.judgement.word.label(false)
            )
        } else {
            v.judgement.word.label(false)
        };
        let word = match stability(v) {
            Some(s) => format!("{word}\n{s}"),
            None => word,
        };
        let mut evidence = match claims::experiment_line(&v.id, ru) {
            Some(line) => format!("{line}\n{}", v.judgement.rule),
            None => v.judgement.rule.clone(),
        };
        let figs = figures(v, &v.judgement.figures);
        if !figs.is_empty() {
            evidence.push('\n');
            evidence.push_str(&figs);
        }
        t.add_row(vec![v.id.clone(), claim, word, cpython(v, ru), evidence]);
    }
    let widths = [6, 40, 20, 20, 74];
    for (i, w) in widths.into_iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(w)));
        }
    }
    let _ = writeln!(out, "{t}");
    let _ = writeln!(out, "{}", tally(doc));
    out
}

/// The CPython column: the word and the figures it rests on ("–" where
/// CPython does not measure the claim).
fn cpython(v: &super::Verdict, ru: bool) -> String {
    match &v.cpython {
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

/// With `--repeat`: "9/10 runs", or "UNSTABLE: holds 6, depends 4".
pub fn stability(v: &super::Verdict) -> Option<String> {
    let s = v.stability.as_ref()?;
    let (_, n) = s.seen.first()?;
    Some(if s.stable() {
        format!("{n}/{} runs", s.runs)
    } else {
        format!(
            "UNSTABLE over {} runs: {}",
            s.runs,
            s.seen
                .iter()
                .map(|(w, n)| format!("{w} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn tally(doc: &VerdictDocument) -> String {
    use crate::verdict::rules::Word;
    let count =
        |f: &dyn Fn(&Word) -> bool| doc.verdicts.iter().filter(|v| f(&v.judgement.word)).count();
    let mut line = format!(
        "{} claims: {} hold, {} fail, {} depend, {} show no clear difference, {} not measurable here",
        doc.verdicts.len(),
        count(&|w| matches!(w, Word::Holds)),
        count(&|w| matches!(w, Word::Fails)),
        count(&|w| matches!(w, Word::Depends { .. })),
        count(&|w| matches!(w, Word::NoClearDifference)),
        count(&|w| matches!(w, Word::NotMeasurable { .. })),
    );
    if doc.runs > 1 {
        let unstable: Vec<&str> = doc
            .verdicts
            .iter()
            .filter(|v| v.stability.as_ref().is_some_and(|s| !s.stable()))
            .map(|v| v.id.as_str())
            .collect();
        line.push_str(&format!(
            "\n{} runs of the plan, interleaved: {}",
            doc.runs,
            if unstable.is_empty() {
                "every claim gave the same word in every run".to_string()
            } else {
                format!("unstable: {}", unstable.join(", "))
            }
        ));
    }
    line
}

pub fn markdown(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let mut s = String::new();
    let _ = writeln!(s, "# pingpong verdict\n");
    let _ = writeln!(s, "Machine: {}\n", doc.header.machine.one_line());
    let _ = writeln!(s, "{}\n", claims::source_note(ru));
    let _ = writeln!(s, "| id | claim | verdict | CPython | evidence |");
    let _ = writeln!(s, "|---|---|---|---|---|");
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
                "\nreproduce: `{}`",
                v.judgement.commands.join("`, `")
            ));
        }
        let _ = writeln!(
            s,
            "| {} | {} | **{}** | {} | {} |",
            v.id,
            esc(&claim),
            v.judgement.word.label(ru),
            esc(&cpython(v, ru)),
            esc(&ev)
        );
    }
    let _ = writeln!(s, "\n{}", tally(doc));
    s
}

impl crate::export::Export for VerdictDocument {
    /// One row per claim: its word, CPython's, the rule and the figures.
    fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let rows = self.verdicts.iter().map(|v| {
            vec![
                v.id.clone(),
                v.claim_en.clone(),
                v.judgement.word.label(false),
                v.cpython
                    .as_ref()
                    .map(|j| j.word.label(false))
                    .unwrap_or_default(),
                v.judgement.rule.clone(),
                figures(v, &v.judgement.figures).replace('\n', "; "),
                v.judgement.commands.join("; "),
            ]
        });
        crate::export::csv_bytes(
            &[
                "id", "claim", "verdict", "cpython", "rule", "figures", "commands",
            ],
            rows,
        )
    }
    fn markdown(&self) -> String {
        markdown(self)
    }
}
