//! The verdict as a terminal table and as Markdown, with the CPython
//! columns (the default build and a free-threaded one) and the one sentence
//! saying where they differ.
//!
//! One file per rendering: `terminal.rs` (the claims table fitted to the
//! width, and `--explain`), `markdown.rs`, `cpython.rs` (the lines saying
//! which CPython ran and where its two columns differ) and `export.rs`
//! (CSV). What they share sits here: the machine line, the figures behind
//! a word, and how stable a word was over repeated runs.

mod cpython;
mod export;
mod markdown;
mod terminal;

pub use cpython::{cpython_lines, free_threaded_differences};
pub use markdown::markdown;
pub use terminal::{bottom_line, table, terminal_width};

use super::VerdictDocument;
use crate::evidence::show;

/// The figures a verdict rests on, one per line.
fn figures(v: &super::Verdict, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| v.values.get(k).map(|f| (k, f)))
        .map(|(k, f)| format!("{k} = {}", show(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The machine's virtualisation in the verdict's language.
pub fn virtualization(v: &str, ru: bool) -> String {
    match (v, ru) {
        (v, false) => v.to_string(),
        ("none detected", true) => "без виртуализации".to_string(),
        (v, true) => v.replacen("virtual machine", "виртуальная машина", 1),
    }
}

/// The machine in one line, in the verdict's language.
pub fn machine_line(m: &crate::measure::machine::Machine, ru: bool) -> String {
    if !ru {
        return format!("machine: {}", m.one_line());
    }
    let virt = virtualization(&m.virtualization, true);
    format!(
        "машина: {} · {} CPU, ядер: {} · {} · {virt} · часы {}",
        m.cpu_model, m.logical_cpus, m.physical_cores, m.kernel, m.clock_source
    )
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

/// With `--repeat`: how many runs, and which claims were unstable.
fn runs_line(doc: &VerdictDocument, ru: bool) -> String {
    let unstable: Vec<&str> = doc
        .verdicts
        .iter()
        .filter(|v| v.stability.as_ref().is_some_and(|s| !s.stable()))
        .map(|v| v.id.as_str())
        .collect();
    match (unstable.is_empty(), ru) {
        (true, false) => format!(
            "{} runs of the plan, interleaved: every claim gave the same word in every run",
            doc.runs
        ),
        (false, false) => format!(
            "{} runs of the plan, interleaved: unstable: {}",
            doc.runs,
            unstable.join(", ")
        ),
        (true, true) => format!(
            "{} прогонов плана вперемешку: каждое утверждение получило один и тот же ответ",
            doc.runs
        ),
        (false, true) => format!(
            "{} прогонов плана вперемешку: неустойчивы {}",
            doc.runs,
            unstable.join(", ")
        ),
    }
}
