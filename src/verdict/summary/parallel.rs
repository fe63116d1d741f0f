//! Whether threads ran at once: Rust's CPU-bound speedups, concluded by
//! T3's word, and CPython's on pure-Python work, with the GIL and without.

use super::super::rules::{Judgement, Word};
use super::super::Verdict;
use super::{brief, measured, short_word, unmeasured, why, Sentence, Topic};
use crate::evidence::Evidence;
use crate::experiment::scale;
use crate::kinds::{CpuSet, UnitKind};
use crate::python::evidence::key as py;
use crate::python::{Build, Kernel, PyUnit, ScalePlacement};

/// The claim `id`'s Rust word, short, for a sentence's conclusion.
fn word_of(verdicts: &[Verdict], id: &str, column: Option<Build>) -> Option<Word> {
    let v = verdicts.iter().find(|v| v.id == id)?;
    let j: &Judgement = match column {
        None => &v.judgement,
        Some(b) => v.python(b)?,
    };
    Some(j.word.clone())
}

/// Whether threads ran at once: the CPU-bound speedups, concluded by T3's word.
pub(super) fn parallel(ev: &Evidence, verdicts: &[Verdict], ru: bool) -> Sentence {
    let tk = scale::key::speedup(UnitKind::Thread, CpuSet::AllCpus);
    let pk = scale::key::speedup(UnitKind::Fork, CpuSet::AllCpus);
    let Some(threads) = ev.figure(&tk) else {
        let why = why(ev, "scale", ru);
        return unmeasured(
            Topic::Parallel,
            if ru {
                format!("Исполнялись ли потоки одновременно, не измерено: {why}.")
            } else {
                format!("Whether threads ran at once was not measured: {why}.")
            },
        );
    };
    let cpus = ev.figure(scale::key::CPUS).map(|f| f.value as usize);
    let mut keys = vec![tk];
    let processes = ev.figure(&pk).map(|p| {
        keys.push(pk.clone());
        brief(p)
    });
    let load = ev
        .figure(&super::super::load_key("scale"))
        .filter(|l| l.value > super::super::rules::BUSY)
        .map(|l| format!("{:.2}", l.value));
    let conclusion = match (word_of(verdicts, "T3", None), ru) {
        (Some(Word::Depends { .. }), false) if load.is_some() => format!(
            "the machine was too busy to tell whether they ran at once: others used {} CPUs (T3 depends)",
            load.clone().unwrap_or_default()
        ),
        (Some(Word::Depends { .. }), true) if load.is_some() => format!(
            "машина была слишком занята, чтобы судить, шли ли они одновременно: другие заняли {} CPU (T3 зависит)",
            load.clone().unwrap_or_default()
        ),
        (Some(Word::Fails), false) => "threads ran at once (T3 fails)".to_string(),
        (Some(Word::Holds), false) => "threads took turns (T3 holds)".to_string(),
        (Some(Word::NoClearDifference), false) => {
            "whether they ran at once is inside the noise (T3: no clear difference)".to_string()
        }
        (Some(Word::Depends { on }), false) => format!("whether they ran at once depends on {on} (T3)"),
        (_, false) => "T3 was not judged".to_string(),
        (Some(Word::Fails), true) => "потоки исполнялись одновременно (T3 неверно)".to_string(),
        (Some(Word::Holds), true) => "потоки исполнялись по очереди (T3 верно)".to_string(),
        (Some(Word::NoClearDifference), true) => {
            "одновременно ли, не видно за шумом (T3: нет явной разницы)".to_string()
        }
        (Some(Word::Depends { on }), true) => format!("одновременно ли — зависит: {on} (T3)"),
        (_, true) => "T3 не оценено".to_string(),
    };
    let cpus = cpus.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let t = brief(threads);
    let text = match (processes, ru) {
        (Some(p), false) => format!(
            "CPU-bound work over {cpus} CPUs: threads ran {t} as fast as one thread, processes {p}; {conclusion}."
        ),
        (None, false) => format!(
            "CPU-bound work over {cpus} CPUs: threads ran {t} as fast as one thread; {conclusion}."
        ),
        (Some(p), true) => format!(
            "Счёт на {cpus} CPU: потоки шли в {t} быстрее одного потока, процессы — в {p}; {conclusion}."
        ),
        (None, true) => format!(
            "Счёт на {cpus} CPU: потоки шли в {t} быстрее одного потока; {conclusion}."
        ),
    };
    measured(Topic::Parallel, text, keys)
}

/// CPython's GIL: its threads and processes on pure-Python work, and the
/// free-threaded build's threads. Nothing when no CPython was looked for.
pub(super) fn gil(ev: &Evidence, verdicts: &[Verdict], ru: bool) -> Option<Sentence> {
    let speedup = |b: Build, u: PyUnit| {
        let k = py::of(
            b,
            &py::scale_speedup(Kernel::PythonLoop, u, ScalePlacement::Free),
        );
        ev.figure(&k).map(|f| (k, f))
    };
    let threads = speedup(Build::Default, PyUnit::Threads);
    let processes = speedup(Build::Default, PyUnit::Processes);
    let ft = speedup(Build::FreeThreaded, PyUnit::Threads);
    let Some((tk, t)) = threads else {
        return gil_unmeasured(ev, ru);
    };
    let mut keys = vec![tk];
    let word = |id: &str, b: Build| -> String {
        word_of(verdicts, id, Some(b))
            .map(|w| format!("{id} {}", short_word(&w, ru)))
            .unwrap_or_default()
    };
    let mut text = if ru {
        format!(
            "CPython с GIL, чистый Python: потоки — в {} быстрее одного потока ({})",
            brief(t),
            word("T3", Build::Default)
        )
    } else {
        format!(
            "CPython with the GIL, pure-Python work: threads ran {} as fast as one thread ({})",
            brief(t),
            word("T3", Build::Default)
        )
    };
    if let Some((pk, p)) = processes {
        keys.push(pk);
        text.push_str(&if ru {
            format!(
                ", процессы — в {} ({})",
                brief(p),
                word("P5", Build::Default)
            )
        } else {
            format!(", processes {} ({})", brief(p), word("P5", Build::Default))
        });
    }
    match ft {
        Some((fk, f)) => {
            keys.push(fk);
            text.push_str(&if ru {
                format!(
                    "; без GIL (free-threaded) потоки — в {} ({}).",
                    brief(f),
                    word("T3", Build::FreeThreaded)
                )
            } else {
                format!(
                    "; free-threaded (no GIL), threads {} ({}).",
                    brief(f),
                    word("T3", Build::FreeThreaded)
                )
            });
        }
        None => text.push_str(if ru {
            "; CPython без GIL (free-threaded) не измерен."
        } else {
            "; a free-threaded CPython (no GIL) was not measured."
        }),
    }
    Some(measured(Topic::Gil, text, keys))
}

/// Why CPython was not measured (nothing when it was not looked for).
fn gil_unmeasured(ev: &Evidence, ru: bool) -> Option<Sentence> {
    let why = ev
        .missing
        .get(py::column(Build::Default))
        .or_else(|| ev.missing.get(py::STEP))
        .map(|m| m.why.clone())?;
    Some(unmeasured(
        Topic::Gil,
        if ru {
            format!("CPython не измерен: {why}.")
        } else {
            format!("CPython was not measured: {why}.")
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::of;
    use super::super::testing::{ev, fig, sentence};
    use super::*;
    use crate::evidence::Unit;

    #[test]
    fn the_gil_sentence_sets_threads_beside_processes_and_the_free_threaded_build() {
        let k = |b: Build, u: PyUnit| {
            py::of(
                b,
                &py::scale_speedup(Kernel::PythonLoop, u, ScalePlacement::Free),
            )
        };
        let e = ev(&[
            (
                k(Build::Default, PyUnit::Threads),
                fig(1.0, 0.97, 1.02, Unit::Ratio),
            ),
            (
                k(Build::Default, PyUnit::Processes),
                fig(1.9, 1.8, 2.0, Unit::Ratio),
            ),
            (
                k(Build::FreeThreaded, PyUnit::Threads),
                fig(1.85, 1.7, 1.95, Unit::Ratio),
            ),
        ]);
        let s = of(&e, &[], None, false);
        let g = sentence(&s, Topic::Gil);
        assert!(
            g.text.contains("1.00×") && g.text.contains("1.90×") && g.text.contains("1.85×"),
            "{}",
            g.text
        );
        assert_eq!(g.figures.len(), 3);
        let mut none = Evidence::default();
        none.miss(py::column(Build::Default), "no python3 on PATH");
        let s = of(&none, &[], None, false);
        assert!(sentence(&s, Topic::Gil).text.contains("no python3"));
    }
}
