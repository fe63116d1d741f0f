//! The lines under the claims about CPython: which interpreter each column
//! ran, the free-threaded build's single-thread cost beside its threads'
//! speedup, and the one sentence saying where the two columns differ.

use super::super::rules::{Judgement, Word};
use super::super::VerdictDocument;
use crate::document::Document;
use crate::evidence::show;
use crate::python::evidence::key as py;
use crate::python::Build;

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
        lines.push(if ru {
            format!(
                "Цена одного потока в CPython без GIL: {} = {} (время итерации чистого Python на одном потоке ÷ то же у обычной сборки); ускорение его потоков: {speedup_key} = {}.",
                py::SINGLE_THREAD_SLOWDOWN,
                show(s),
                show(t)
            )
        } else {
            format!(
                "Free-threaded single-thread cost: {} = {} (its 1-thread pure-Python loop's time per iteration ÷ the default build's); its threads' speedup: {speedup_key} = {}.",
                py::SINGLE_THREAD_SLOWDOWN,
                show(s),
                show(t)
            )
        });
    }
    lines.push(free_threaded_differences(doc, ru));
    lines
}
