//! The CPython column: the same claims judged by the same rules, from
//! CPython's figures (`python.*`), for the claims both worlds measure.

use super::{judge, Judgement};
use crate::evidence::Evidence;
use crate::experiment::spawn::{key as spawn, Method};
use crate::python::evidence::key as py;

/// The claims judged in both worlds: Rust's column and CPython's.
/// (A3 reads `pingpong reach`, which CPython has no counterpart of.)
pub const BOTH: &[&str] = &["T3", "T7", "P3", "P12", "A2", "P9", "P11"];

/// The steps whose absence CPython's absence stands for.
const STEPS: [&str; 6] = [
    "scale",
    "spawn",
    "memory",
    crate::verdict::plan::SAME_CPU_STEP,
    crate::verdict::plan::TWO_CPUS_STEP,
    "python",
];

/// The evidence as the Rust rules expect it, made of CPython's figures:
/// `python.X` becomes `X`, the load during `pingpong python` stands for the
/// load during `scale`, and why CPython was not measured stands for why
/// each experiment is missing.
fn as_rust(ev: &Evidence) -> Evidence {
    let mut out = Evidence::default();
    for (k, f) in &ev.figures {
        if let Some(rest) = k.strip_prefix("python.") {
            out.put(rest, f.clone());
        }
    }
    if let Some(t) = ev.figure(py::SPAWN_THREAD) {
        out.put(spawn::total(Method::StdThread, false), t.clone());
    }
    let load = crate::verdict::load_key("python");
    if let Some(l) = ev.figure(&load) {
        out.put(crate::verdict::load_key("scale"), l.clone());
    }
    let why = ev
        .missing
        .get("python")
        .map(|m| m.why.clone())
        .unwrap_or_else(|| "CPython was not measured (pingpong python did not run)".into());
    for s in STEPS {
        out.miss(s, format!("CPython: {why}"));
    }
    out
}

/// The verdict on claim `id` from CPython's figures, by the same rule as
/// Rust's; None for claims CPython is not measured on.
pub fn judge_cpython(id: &str, ev: &Evidence) -> Option<Judgement> {
    if !BOTH.contains(&id) {
        return None;
    }
    let view = as_rust(ev);
    let mut j = judge(id, &view);
    let rust_thread = spawn::total(Method::StdThread, false);
    j.figures = j
        .figures
        .into_iter()
        .map(|k| {
            if k == rust_thread {
                py::SPAWN_THREAD.into()
            } else {
                py::python(&k)
            }
        })
        .collect();
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio, with};
    use super::super::Word;
    use super::*;
    use crate::experiment::scale::key as scale;
    use crate::kinds::{CpuSet, UnitKind};

    #[test]
    fn without_cpython_the_cpython_column_is_not_measurable() {
        let mut ev = Evidence::default();
        ev.miss("python", "no python3 found on PATH");
        for id in BOTH {
            match judge_cpython(id, &ev).map(|j| j.word) {
                Some(Word::NotMeasurable { why }) => {
                    assert!(why.contains("python3"), "{id}: {why}")
                }
                w => panic!("{id}: {w:?}"),
            }
        }
        assert!(judge_cpython("T1", &ev).is_none());
        assert!(matches!(judge("P5", &ev).word, Word::NotMeasurable { .. }));
        // The verdict document still has every claim.
        assert!(!crate::verdict::judge_all(&ev).is_empty());
    }

    #[test]
    fn the_cpython_column_judges_cpython_figures_by_the_rust_rule() {
        let ev = with(&[
            (
                py::python(&scale::speedup(UnitKind::Thread, CpuSet::AllCpus)),
                ratio(1.02, 0.98, 1.05),
            ),
            (
                py::python(&scale::speedup(UnitKind::Fork, CpuSet::AllCpus)),
                ratio(1.9, 1.8, 1.95),
            ),
            (
                py::python(&scale::parallelism(UnitKind::Thread)),
                fig(1.0, 1.0, 1.0),
            ),
            (py::CPUS.into(), fig(2.0, 2.0, 2.0)),
        ]);
        // CPython threads do not scale: "threads cannot run at once" holds there.
        assert_eq!(judge_cpython("T3", &ev).unwrap().word, Word::Holds);
        assert_eq!(judge_cpython("P3", &ev).unwrap().word, Word::Holds);
        assert_eq!(judge_cpython("T7", &ev).unwrap().word, Word::Fails);
    }
}
