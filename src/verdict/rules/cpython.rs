//! The CPython columns: the default CPython (with the GIL) and a
//! free-threaded build, each judged on its own figures (`python.*`,
//! `python-ft.*`).
//!
//! Where Rust's rule applies unchanged (scaling, P5, memory, switching,
//! stopping a process) it judges a *view* of the evidence in which the
//! column's figures carry the Rust names, so one rule judges every world.
//! Where CPython asks its own question — `SetAsyncExc`, `multiprocessing.Pool`
//! against `ProcessPoolExecutor`, pickling, `_thread` and `threading`, the
//! cost of `threading.Lock`, `multiprocessing.connection`, zombies, faults in
//! a thread — the rules in the submodules read the column's figures by the
//! key functions of [`crate::python::evidence::key`].

mod control;
mod exchange;
mod locks;
mod spawn;

use super::{judge, missing, Judgement, Word, MARGIN};
use crate::evidence::{against, Compared, Evidence, Figure};
use crate::python::evidence::key;
use crate::python::{Build, Experiment};

/// The claims judged in the Rust column and in each CPython column.
pub const BOTH: &[&str] = &[
    "T3", "T7", "P3", "T8", "A5", "P5", "T11", "T12", "P6", "P8", "P9", "P11", "A3", "A4", "P12",
    "A2", "A6", "A9", "T10", "P7", "A7",
];

/// Why a column's experiment showed nothing: the first reason recorded
/// for `keys` (the figures or demonstrations themselves), then for the
/// experiment, the whole column and the `python` step.
pub(super) fn absent(
    ev: &Evidence,
    b: Build,
    e: Experiment,
    keys: &[String],
    fallback: &str,
) -> Judgement {
    let mut steps: Vec<String> = keys.to_vec();
    steps.push(key::experiment(b, e));
    steps.push(key::column(b).into());
    steps.push(key::STEP.into());
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    missing(ev, &steps, &format!("{}: {fallback}", b.title()))
}

/// The reason the column has nothing from experiment `e`, if any.
fn why(ev: &Evidence, b: Build, e: Experiment) -> String {
    [
        key::experiment(b, e),
        key::column(b).into(),
        key::STEP.into(),
    ]
    .iter()
    .find_map(|k| ev.missing.get(k))
    .map(|m| m.why.clone())
    .unwrap_or_else(|| {
        format!(
            "{}: not measured (pingpong python {e} did not run)",
            b.title()
        )
    })
}

/// The Rust step names a Rust rule may report missing, and the CPython
/// experiment that stands for each in a column.
const STANDS_FOR: [(&str, Experiment); 8] = [
    ("scale", Experiment::Scale),
    ("python", Experiment::Scale),
    ("spawn", Experiment::Spawn),
    ("memory", Experiment::Memory),
    (crate::verdict::plan::SAME_CPU_STEP, Experiment::Rally),
    (crate::verdict::plan::TWO_CPUS_STEP, Experiment::Rally),
    ("faults", Experiment::Stop),
    (key::PROCESS_KILLED, Experiment::Stop),
];

/// The evidence as the Rust rules expect it, made of one column's figures:
/// `python-ft.X` (or `python.X`) becomes `X` — and `python.X` too, for the
/// P5 rule, which reads CPython's names —, the load during the column's
/// scaling run stands for the load during `scale` and `python`, and why the
/// column lacks an experiment stands for why the Rust step is missing.
fn view(ev: &Evidence, b: Build) -> Evidence {
    let prefix = format!("{}.", key::prefix(b));
    let mut out = Evidence::default();
    for (k, f) in &ev.figures {
        if let Some(rest) = k.strip_prefix(&prefix) {
            out.put(rest, f.clone());
            out.put(key::python(rest), f.clone());
        }
    }
    for (k, d) in &ev.demos {
        if let Some(rest) = k.strip_prefix(&prefix) {
            out.demos.insert(rest.to_string(), d.clone());
        }
    }
    if let Some(l) = ev.figure(&key::of(b, key::SCALE_LOAD)) {
        out.put(crate::verdict::load_key("scale"), l.clone());
        out.put(crate::verdict::load_key("python"), l.clone());
    }
    for (step, e) in STANDS_FOR {
        let own = ev.missing.get(&key::of(b, step)).map(|m| m.why.clone());
        out.miss(step, own.unwrap_or_else(|| why(ev, b, e)));
    }
    out
}

/// A figure key of the view, as the column names it.
pub(super) fn from_view(b: Build, k: String) -> String {
    match k.strip_prefix("python.") {
        Some(rest) => key::of(b, rest),
        None => key::of(b, &k),
    }
}

/// Judges claim `id` by Rust's rule on the column's view.
fn by_rust_rule(ev: &Evidence, b: Build, id: &str) -> Judgement {
    let mut j = judge(id, &view(ev, b));
    j.figures = j.figures.into_iter().map(|k| from_view(b, k)).collect();
    j
}

/// P5 ("processes get around CPython's GIL") by Rust's rule on column
/// `b`'s figures, with the load measured during that column's scaling run
/// (the Rust column's P5 is the default CPython's).
pub fn gil(ev: &Evidence, b: Build) -> Judgement {
    let mut j = super::scale::gil(&view(ev, b));
    j.figures = j.figures.into_iter().map(|k| from_view(b, k)).collect();
    j
}

/// Holds above 1 + MARGIN, fails below 1 − MARGIN; None inside the noise.
pub(super) fn clearly(f: &Figure) -> Option<bool> {
    if against(f, 1.0 + MARGIN) == Compared::Above {
        Some(true)
    } else if against(f, 1.0 - MARGIN) == Compared::Below {
        Some(false)
    } else {
        None
    }
}

/// A list in words: "a, b and c", or "none".
pub(super) fn list(items: &[String]) -> String {
    match items {
        [] => "none".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The verdict on claim `id` from one CPython column; None for the claims
/// CPython is not measured on.
pub fn judge_cpython(b: Build, id: &str, ev: &Evidence) -> Option<Judgement> {
    if !BOTH.contains(&id) {
        return None;
    }
    let mut j = match id {
        "T11" => control::stop(ev, b),
        "T12" => control::crash(ev, b),
        "P8" => control::pool(ev, b),
        "A7" => control::zombies(ev, b),
        "P11" | "A3" => exchange::exchange(ev, b, id),
        "P7" => exchange::network(ev, b),
        "A9" => locks::both_modules(ev, b),
        "T10" => locks::cost(ev, b),
        "P12" | "A2" | "A6" => spawn::spawn_cost(ev, b, id),
        "P5" => gil(ev, b),
        _ => by_rust_rule(ev, b, id),
    };
    if matches!(j.word, Word::NotMeasurable { .. }) {
        return Some(j);
    }
    // Which CPython, in the rule's first words.
    let gil = ev.figure(&key::of(b, key::GIL_REL)).map(|f| f.value > 0.0);
    let who = match (b, gil) {
        (Build::Default, _) => "CPython with the GIL",
        (Build::FreeThreaded, Some(true)) => "free-threaded CPython, with the GIL enabled",
        (Build::FreeThreaded, _) => "free-threaded CPython, no GIL",
    };
    j.rule = format!("{who}: {}", j.rule);
    // The free-threaded build's known cost, beside its thread speedup.
    if b == Build::FreeThreaded && id == "T7" {
        if let Some(s) = ev.figure(key::SINGLE_THREAD_SLOWDOWN) {
            j.rule.push_str(&format!(
                "; its single-thread cost: the 1-thread pure-Python loop takes {} the default build's time",
                crate::evidence::show(s)
            ));
            j.figures.push(key::SINGLE_THREAD_SLOWDOWN.into());
        }
    }
    Some(j)
}

#[cfg(test)]
pub(super) mod testing {
    //! Synthetic evidence for one column.
    use crate::evidence::{Evidence, Figure};
    use crate::python::evidence::key;
    use crate::python::Build;

    /// Evidence with `figures` and `demos` (column-relative names) in column `b`.
    pub fn column(b: Build, figures: &[(String, Figure)], demos: &[(String, bool)]) -> Evidence {
        let mut ev = Evidence::default();
        for (k, f) in figures {
            ev.put(key::of(b, k), f.clone());
        }
        for (k, d) in demos {
            ev.show(key::of(b, k), *d, format!("{k} = {d}"));
        }
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio};
    use super::testing::column;
    use super::*;
    use crate::experiment::scale::key as scale;
    use crate::kinds::{CpuSet, UnitKind};

    #[test]
    fn without_cpython_every_cpython_cell_is_not_measurable_and_says_why() {
        let mut ev = Evidence::default();
        ev.miss("python", "no python3 found on PATH");
        for b in Build::ALL.iter().copied() {
            for id in BOTH {
                match judge_cpython(b, id, &ev).map(|j| j.word) {
                    Some(Word::NotMeasurable { why }) => {
                        assert!(why.contains("python3"), "{b} {id}: {why}")
                    }
                    w => panic!("{b} {id}: {w:?}"),
                }
            }
            assert!(judge_cpython(b, "T1", &ev).is_none());
        }
        assert!(matches!(judge("P5", &ev).word, Word::NotMeasurable { .. }));
        // The verdict document still has every claim.
        assert!(!crate::verdict::judge_all(&ev).is_empty());
    }

    #[test]
    fn a_missing_free_threaded_build_is_named_in_its_column_only() {
        let mut ev = column(
            Build::Default,
            &[
                (
                    scale::speedup(UnitKind::Thread, CpuSet::AllCpus),
                    ratio(1.0, 0.97, 1.03),
                ),
                (scale::CPUS.into(), fig(2.0, 2.0, 2.0)),
            ],
            &[],
        );
        ev.miss(
            key::column(Build::FreeThreaded),
            "no free-threaded CPython found",
        );
        assert!(!matches!(
            judge_cpython(Build::Default, "T3", &ev).unwrap().word,
            Word::NotMeasurable { .. }
        ));
        for id in BOTH {
            match judge_cpython(Build::FreeThreaded, id, &ev).unwrap().word {
                Word::NotMeasurable { why } => {
                    assert!(why.contains("free-threaded"), "{id}: {why}")
                }
                w => panic!("{id}: {w:?}"),
            }
        }
    }

    /// A column whose threads scale as `threads` and processes as `procs`.
    fn scaling(b: Build, threads: (f64, f64, f64), procs: (f64, f64, f64)) -> Evidence {
        column(
            b,
            &[
                (
                    scale::speedup(UnitKind::Thread, CpuSet::AllCpus),
                    ratio(threads.0, threads.1, threads.2),
                ),
                (
                    scale::speedup(UnitKind::Fork, CpuSet::AllCpus),
                    ratio(procs.0, procs.1, procs.2),
                ),
                (scale::CPUS.into(), fig(2.0, 2.0, 2.0)),
                (key::SCALE_LOAD.into(), fig(0.0, 0.0, 0.0)),
            ],
            &[],
        )
    }

    #[test]
    fn each_column_judges_its_own_figures_by_the_rust_rule() {
        // With the GIL threads do not scale; without it they do.
        let mut ev = scaling(Build::Default, (1.02, 0.98, 1.05), (1.9, 1.8, 1.95));
        let ft = scaling(Build::FreeThreaded, (1.9, 1.8, 1.95), (1.9, 1.8, 1.95));
        ev.figures.extend(ft.figures);
        let word = |b, id| judge_cpython(b, id, &ev).unwrap().word;
        assert_eq!(word(Build::Default, "T3"), Word::Holds);
        assert_eq!(word(Build::Default, "T7"), Word::Fails);
        assert_eq!(word(Build::Default, "P5"), Word::Holds);
        assert_eq!(word(Build::FreeThreaded, "T3"), Word::Fails);
        assert_eq!(word(Build::FreeThreaded, "T7"), Word::Holds);
        assert_eq!(word(Build::FreeThreaded, "P5"), Word::Fails);
        // The figures are the column's own.
        let j = judge_cpython(Build::FreeThreaded, "T3", &ev).unwrap();
        assert!(
            j.figures.iter().all(|k| k.starts_with("python-ft.")),
            "{:?}",
            j.figures
        );
        assert!(
            j.figures.iter().all(|k| ev.figure(k).is_some()),
            "{:?}",
            j.figures
        );
    }

    #[test]
    fn the_load_during_the_scaling_run_decides_not_the_whole_step() {
        let mut ev = scaling(Build::Default, (1.0, 0.99, 1.01), (1.1, 1.0, 1.2));
        // The whole step was busy, the scaling run itself was not.
        ev.put(crate::verdict::load_key("python"), fig(1.5, 1.5, 1.5));
        assert!(!matches!(
            judge_cpython(Build::Default, "P5", &ev).unwrap().word,
            Word::Depends { .. }
        ));
        ev.put(key::of(Build::Default, key::SCALE_LOAD), fig(1.5, 1.5, 1.5));
        assert!(matches!(
            judge_cpython(Build::Default, "P5", &ev).unwrap().word,
            Word::Depends { .. }
        ));
    }

    #[test]
    fn the_free_threaded_t7_shows_the_single_thread_cost_beside_the_speedup() {
        let mut ev = scaling(Build::FreeThreaded, (1.9, 1.8, 1.95), (1.9, 1.8, 1.95));
        ev.put(key::SINGLE_THREAD_SLOWDOWN, ratio(1.4, 1.4, 1.4));
        let j = judge_cpython(Build::FreeThreaded, "T7", &ev).unwrap();
        assert!(j.figures.contains(&key::SINGLE_THREAD_SLOWDOWN.to_string()));
        assert!(j.rule.contains("single-thread cost"), "{}", j.rule);
    }
}
