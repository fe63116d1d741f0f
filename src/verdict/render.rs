//! The verdict as a terminal table and as Markdown, with the CPython
//! columns (the default build and a free-threaded one) and the one sentence
//! saying where they differ.

use super::rules::{Judgement, Word};
use super::{claims, VerdictDocument};
use crate::document::Document;
use crate::evidence::show;
use crate::python::evidence::key as py;
use crate::python::Build;
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
                "CPython без GIL (free-threaded)",
                "на чём основан (правило и цифры)",
            ]
        } else {
            vec![
                "id",
                "claim",
                "verdict",
                Build::Default.title(),
                Build::FreeThreaded.title(),
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
        t.add_row(vec![
            v.id.clone(),
            claim,
            word,
            cpython(v, v.cpython.as_ref(), ru),
            cpython(v, v.cpython_ft.as_ref(), ru),
            evidence,
        ]);
    }
    let widths = [6, 34, 18, 18, 18, 66];
    for (i, w) in widths.into_iter().enumerate() {
        if let Some(c) = t.column_mut(i) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(w)));
        }
    }
    let _ = writeln!(out, "{t}");
    let _ = writeln!(out, "{}", tally(doc));
    for line in cpython_lines(doc, ru) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// A CPython column's cell: the word and the figures it rests on ("–"
/// where CPython does not measure the claim).
fn cpython(v: &super::Verdict, j: Option<&Judgement>, ru: bool) -> String {
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
    let _ = writeln!(
        s,
        "| id | claim | verdict | {} | {} | evidence |",
        Build::Default.title(),
        Build::FreeThreaded.title()
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
                "\nreproduce: `{}`",
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
    let _ = writeln!(s, "\n{}", tally(doc));
    for line in cpython_lines(doc, ru) {
        let _ = writeln!(s, "\n{line}");
    }
    s
}

/// The word without what it depends on: "depends", for a sentence.
fn short(w: &Word, ru: bool) -> String {
    match (w, ru) {
        (Word::Depends { .. }, false) => "depends".into(),
        (Word::Depends { .. }, true) => "зависит".into(),
        _ => w.label(ru),
    }
}

fn measured(j: Option<&Judgement>) -> Option<&Judgement> {
    j.filter(|j| !matches!(j.word, Word::NotMeasurable { .. }))
}

/// One sentence: where the free-threaded CPython's answer differs from the
/// default CPython's, computed from the two columns' words.
pub fn free_threaded_differences(doc: &VerdictDocument, ru: bool) -> String {
    let ft: Vec<&Judgement> = doc
        .verdicts
        .iter()
        .filter_map(|v| v.cpython_ft.as_ref())
        .collect();
    if ft
        .iter()
        .all(|j| matches!(j.word, Word::NotMeasurable { .. }))
    {
        let why = ft
            .iter()
            .find_map(|j| match &j.word {
                Word::NotMeasurable { why } => Some(why.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "CPython was not measured".into());
        return if ru {
            format!("Столбец free-threaded CPython (без GIL) пуст: {why}.")
        } else {
            format!("The free-threaded CPython column is empty: {why}.")
        };
    }
    let both: Vec<(&str, &Judgement, &Judgement)> = doc
        .verdicts
        .iter()
        .filter_map(|v| {
            Some((
                v.id.as_str(),
                measured(v.cpython.as_ref())?,
                measured(v.cpython_ft.as_ref())?,
            ))
        })
        .collect();
    if both.is_empty() {
        return if ru {
            "Обычный CPython (с GIL) не измерен, поэтому сравнить его со столбцом free-threaded нельзя.".into()
        } else {
            "The default CPython (with the GIL) was not measured, so the free-threaded column has nothing to differ from.".into()
        };
    }
    let differ: Vec<String> = both
        .iter()
        .filter(|(_, a, b)| std::mem::discriminant(&a.word) != std::mem::discriminant(&b.word))
        .map(|(id, a, b)| format!("{id} ({} → {})", short(&a.word, ru), short(&b.word, ru)))
        .collect();
    match (differ.is_empty(), ru) {
        (true, false) => format!(
            "Without the GIL, the free-threaded CPython gives each of the {} claims judged in both CPython columns the same word as the default CPython.",
            both.len()
        ),
        (true, true) => format!(
            "Без GIL (free-threaded) CPython даёт каждому из {} утверждений, оценённых в обоих столбцах CPython, тот же ответ, что и обычный CPython.",
            both.len()
        ),
        (false, false) => format!(
            "Without the GIL, the free-threaded CPython answers {} of the {} claims judged in both CPython columns differently from the default CPython: {}.",
            differ.len(),
            both.len(),
            differ.join(", ")
        ),
        (false, true) => format!(
            "Без GIL (free-threaded) CPython отвечает иначе, чем обычный CPython, на {} из {} утверждений: {}.",
            differ.len(),
            both.len(),
            differ.join(", ")
        ),
    }
}

/// Which CPython each column ran, the free-threaded build's single-thread
/// cost beside its thread speedup, and where the two columns differ.
pub fn cpython_lines(doc: &VerdictDocument, ru: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(Document::Python(p)) = doc.document(py::STEP) {
        let cols: Vec<String> = p
            .settings
            .interpreters
            .iter()
            .map(|i| {
                let gil = p
                    .results
                    .iter()
                    .any(|r| r.interpreter == i.label && r.gil_enabled);
                format!(
                    "{}: {} ({})",
                    i.label.title(),
                    crate::python::evidence::describe(i, gil || i.gil_enabled),
                    i.path.display()
                )
            })
            .collect();
        lines.push(cols.join(" · "));
    }
    let slowdown = doc.evidence.figure(py::SINGLE_THREAD_SLOWDOWN);
    let speedup_key = py::of(
        Build::FreeThreaded,
        &py::scale_speedup(
            crate::python::Kernel::PythonLoop,
            crate::python::PyUnit::Threads,
            crate::python::ScalePlacement::Free,
        ),
    );
    if let (Some(s), Some(t)) = (slowdown, doc.evidence.figure(&speedup_key)) {
        lines.push(format!(
            "Free-threaded single-thread cost: {} = {} (its 1-thread pure-Python loop's time per iteration ÷ the default build's); its threads' speedup: {speedup_key} = {}.",
            py::SINGLE_THREAD_SLOWDOWN,
            show(s),
            show(t)
        ));
    }
    lines.push(free_threaded_differences(doc, ru));
    lines
}

impl crate::export::Export for VerdictDocument {
    /// One row per claim: its word, each CPython column's, the rule and
    /// the figures.
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
                v.cpython_ft
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
                "id",
                "claim",
                "verdict",
                "cpython",
                "cpython_ft",
                "rule",
                "figures",
                "commands",
            ],
            rows,
        )
    }
    fn markdown(&self) -> String {
        markdown(self)
    }
}
