//! What `pingpong python` shows, for each interpreter column separately:
//! the default CPython's figures under `python.*` keys and a free-threaded
//! build's under `python-ft.*`, each named like the Rust figure where a Rust
//! rule judges the same thing (`python.scale.threads.speedup` beside
//! `scale.threads.speedup`), so the same rule judges every world; facts only
//! CPython has (pickling, `SetAsyncExc`, `multiprocessing.Pool`…) get keys of
//! their own in [`key`].
//!
//! Keys are built from a column-relative name with [`key::of`]; the rules
//! read them through the same functions. Whatever a column could not show
//! is recorded as missing evidence with the reason, keyed by
//! [`key::experiment`] (one experiment) or [`key::column`] (the whole column).
//!
//! This file holds a column and what it shows as a whole; the figures of
//! what things cost are in `costs.rs`, what goes wrong and what guards
//! against it in `safety.rs`.

use super::rows::*;
use super::{Interpreter, PythonDocument};
use crate::evidence::{Evidence, Figure, Unit, Witness};

mod costs;
/// The names of the figures and demonstrations (read by the rules too).
pub mod key;
mod safety;

/// "CPython 3.13.5 free-threaded", as the figures describe an interpreter.
pub fn describe(i: &Interpreter, gil_seen: bool) -> String {
    match (i.free_threaded_build, gil_seen) {
        (false, _) => format!("CPython {} (GIL)", i.version),
        (true, false) => format!("CPython {} free-threaded (no GIL)", i.version),
        (true, true) => format!("CPython {} free-threaded, GIL enabled", i.version),
    }
}

/// One interpreter's column of a document.
struct Column<'a> {
    build: Build,
    rows: Vec<&'a PyResult>,
    cmd: &'a str,
    /// How the figures name the interpreter.
    who: String,
    cpus: usize,
}

impl Column<'_> {
    fn put(&self, ev: &mut Evidence, relative: &str, f: Figure) {
        ev.put(key::of(self.build, relative), f);
    }
    fn show(&self, ev: &mut Evidence, relative: &str, shows: bool, shown: String) {
        ev.show(
            key::of(self.build, relative),
            shows,
            format!("{}: {shown}", self.who),
        );
    }
    fn miss(&self, ev: &mut Evidence, relative: &str, why: String) {
        ev.miss(
            key::of(self.build, relative),
            format!("{}: {why}", self.who),
        );
    }
    fn what(&self, s: String) -> String {
        format!("{}: {s}", self.who)
    }
    fn reps(&self, values: &[f64], unit: Unit, what: String) -> Option<Figure> {
        Figure::of_repetitions(values, unit, self.what(what), self.cmd)
    }
    fn exact(&self, v: f64, unit: Unit, what: String) -> Figure {
        Figure::exact(v, unit, self.what(what), self.cmd)
    }

    fn testify(&self, ev: &mut Evidence) {
        let gil = self.rows.iter().any(|r| r.gil_enabled);
        self.put(
            ev,
            key::GIL_REL,
            self.exact(
                if gil { 1.0 } else { 0.0 },
                Unit::Count,
                "the GIL enabled (1) or not (0)".into(),
            ),
        );
        self.scale(ev);
        self.spawn(ev);
        self.memory(ev);
        self.rally(ev);
        self.pickling(ev);
        self.faults(ev);
        self.stop(ev);
        self.pool(ev);
        self.locks(ev);
        self.connection(ev);
        self.zombie(ev);
    }
}

impl PythonDocument {
    /// The interpreter of a column, if one ran.
    pub fn interpreter(&self, b: Build) -> Option<&Interpreter> {
        self.settings.interpreters.iter().find(|i| i.label == b)
    }
}

/// Why a column has no interpreter.
fn absent(doc: &PythonDocument, b: Build) -> String {
    match b {
        Build::Default => match doc.interpreter(Build::FreeThreaded) {
            Some(i) if doc.settings.interpreters.len() == 1 => format!(
                "the CPython given ({}, {}) is a free-threaded build: its answers are in the free-threaded column; give --python a CPython with the GIL for this one",
                i.path.display(),
                i.version
            ),
            _ => "no default CPython was run".into(),
        },
        Build::FreeThreaded => format!(
            "{}: give --python-ft PATH or put python3.14t or python3.13t on PATH (bench/python-freethreaded.sh builds one)",
            doc.settings.free_threaded
        ),
    }
}

impl Witness for PythonDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for b in Build::ALL.iter().copied() {
            let Some(i) = self.interpreter(b) else {
                ev.miss(key::column(b), absent(self, b));
                continue;
            };
            let rows: Vec<&PyResult> = self.results.iter().filter(|r| r.interpreter == b).collect();
            let col = Column {
                build: b,
                who: describe(i, rows.iter().any(|r| r.gil_enabled) || i.gil_enabled),
                rows,
                cmd,
                cpus: self.settings.allowed_cpus,
            };
            col.testify(ev);
            // Why an experiment showed this column nothing. The first
            // interpreter ran what was asked; a second, free-threaded one
            // perhaps fewer (`--ft-experiments`).
            let first = self.settings.interpreters.first().map(|f| f.label) == Some(b);
            let ran = if first {
                &self.settings.experiments
            } else {
                &self.settings.ft_experiments
            };
            let names =
                |v: &[Experiment]| v.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ");
            for e in Experiment::ALL.iter().copied() {
                let why = if !ran.contains(&e) {
                    Some(if first {
                        format!(
                            "`pingpong python {e}` was not run (this run asked for {})",
                            names(ran)
                        )
                    } else {
                        format!(
                            "`pingpong python {e}` was not run for the free-threaded build (--ft-experiments {} kept this run short)",
                            names(ran)
                        )
                    })
                } else if let Some(f) = self
                    .settings
                    .failures
                    .iter()
                    .find(|f| f.interpreter == b && f.experiment == e)
                {
                    Some(f.why.clone())
                } else if !col.rows.iter().any(|r| r.row.experiment() == e) {
                    Some(format!("`pingpong python {e}` gave no rows"))
                } else {
                    None
                };
                if let Some(why) = why {
                    col.miss(ev, e.name(), why);
                }
            }
        }
        let (Some(gil), Some(ft)) = (
            super::ns_per_iteration(&self.results, Build::Default),
            super::ns_per_iteration(&self.results, Build::FreeThreaded),
        ) else {
            return;
        };
        if gil > 0.0 {
            ev.put(
                key::SINGLE_THREAD_SLOWDOWN,
                Figure::exact(
                    ft / gil,
                    Unit::Ratio,
                    format!(
                        "the free-threaded build's single-thread cost: its 1-thread pure-Python loop takes {ft:.1} ns per iteration against {gil:.1} ns in the default build"
                    ),
                    cmd,
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::ExperimentDocument;
    use crate::python::{Failure, Settings};
    use crate::results::Header;
    use serde_json::{json, Value};

    fn interpreter(b: Build) -> Interpreter {
        Interpreter {
            label: b,
            path: format!("/x/{b}").into(),
            version: "3.13.5".into(),
            implementation: "cpython".into(),
            gil_enabled: b == Build::Default,
            free_threaded_build: b == Build::FreeThreaded,
        }
    }

    fn doc(builds: &[Build], rows: Vec<Value>, experiments: &[Experiment]) -> PythonDocument {
        ExperimentDocument {
            header: Header::new("python"),
            settings: Settings {
                interpreters: builds.iter().map(|&b| interpreter(b)).collect(),
                free_threaded: "no free-threaded CPython found".into(),
                experiments: experiments.to_vec(),
                ft_experiments: experiments.to_vec(),
                cpus: 2,
                allowed_cpus: 2,
                quick: true,
                quick_for: vec![],
                timeout_s: 60.0,
                failures: vec![],
            },
            results: rows
                .into_iter()
                .map(|r| serde_json::from_value(r).unwrap())
                .collect(),
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        }
    }

    fn common(b: Build, experiment: &str, case: &str, value: f64, unit: &str) -> Value {
        json!({"interpreter": b.name(), "experiment": experiment, "case": case, "value": value,
            "value_unit": unit, "verified": true, "gil_enabled": b == Build::Default,
            "free_threaded_build": b == Build::FreeThreaded})
    }

    fn merge(mut a: Value, b: Value) -> Value {
        for (k, v) in b.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    }

    fn reps(r: &[f64]) -> Value {
        let lo = r.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = r.iter().cloned().fold(0.0, f64::max);
        json!({"low": lo, "high": hi, "reps": r, "repetitions": r.len()})
    }

    /// A python-loop scaling row: `workers` units taking `wall` ns each rep.
    fn scale(b: Build, unit: &str, placement: &str, workers: u32, wall: f64, cpu: f64) -> Value {
        let w = [wall * 0.99, wall, wall * 1.01];
        merge(
            merge(
                common(
                    b,
                    "scale",
                    &format!("python-loop {unit} {workers} {placement}"),
                    wall,
                    "ns",
                ),
                reps(&w),
            ),
            json!({"kernel": "python-loop", "unit": unit, "placement": placement, "workers": workers,
                "work": 1000, "cpu_ns": cpu, "parallelism": cpu / wall, "speedup": null,
                "speedup_low": null, "speedup_high": null,
                "ns_per_item": if workers == 1 { Some(wall / 1000.0) } else { None },
                "load_other_cpus": 0.125, "load_wall_s": 2.0, "rep_wall_ns": w,
                "rep_cpu_ns": [cpu, cpu, cpu]}),
        )
    }

    fn rally(b: Build, unit: &str, placement: &str, kept: Option<bool>, r: &[f64]) -> Value {
        merge(
            merge(
                common(
                    b,
                    "rally",
                    &format!("{unit} os-pipe {placement}"),
                    r[1],
                    "ns",
                ),
                reps(r),
            ),
            json!({"unit": unit, "mechanism": "os-pipe", "channel": "os.pipe", "placement": placement,
                "cpus_asked": null, "ping_cpus": [[0, 0]], "pong_cpus": [[1, 1]], "migrated": false,
                "placement_kept": kept, "shared_cpu_reps": 0, "round_trips": 100}),
        )
    }

    fn evidence(d: &PythonDocument) -> Evidence {
        let mut ev = Evidence::default();
        d.testify(&mut ev, "pingpong python");
        ev
    }

    #[test]
    fn each_interpreter_testifies_under_its_own_keys() {
        let mut rows = Vec::new();
        // With the GIL two threads take as long as one; without it, half.
        for (b, two) in [(Build::Default, 1e9), (Build::FreeThreaded, 0.5e9)] {
            let one = if b == Build::Default { 1e9 } else { 1.4e9 };
            rows.push(scale(b, "threads", "free", 1, one, one));
            rows.push(scale(
                b,
                "threads",
                "free",
                2,
                if b == Build::Default { one } else { two * 1.4 },
                one,
            ));
        }
        let d = doc(
            &[Build::Default, Build::FreeThreaded],
            rows,
            &[Experiment::Scale],
        );
        let ev = evidence(&d);
        let k = |b| {
            key::of(
                b,
                &key::scale_speedup(Kernel::PythonLoop, PyUnit::Threads, ScalePlacement::Free),
            )
        };
        let gil = ev.figure(&k(Build::Default)).unwrap().value;
        let ft = ev.figure(&k(Build::FreeThreaded)).unwrap().value;
        assert!((gil - 1.0).abs() < 1e-9, "{gil}");
        assert!((ft - 2.0).abs() < 1e-9, "{ft}");
        // The default column's names are those Rust's P5 rule reads.
        assert_eq!(k(Build::Default), key::speedup("", "threads", false));
        // The load is the scaling run's own.
        assert_eq!(
            ev.figure(&key::of(Build::Default, key::SCALE_LOAD))
                .unwrap()
                .value,
            0.125
        );
        // The free-threaded build's single-thread cost, from both columns.
        let s = ev.figure(key::SINGLE_THREAD_SLOWDOWN).unwrap().value;
        assert!((s - 1.4).abs() < 1e-9, "{s}");
        // What was not asked is missing, with the reason.
        let why = &ev.missing[&key::experiment(Build::FreeThreaded, Experiment::Stop)].why;
        assert!(why.contains("not run"), "{why}");
    }

    #[test]
    fn the_rally_compares_only_players_pinned_alike_and_kept_there() {
        let b = Build::Default;
        let rows = vec![
            rally(b, "threads", "same-cpu", Some(true), &[100.0, 100.0, 100.0]),
            rally(
                b,
                "processes",
                "same-cpu",
                Some(true),
                &[120.0, 130.0, 110.0],
            ),
            rally(
                b,
                "threads",
                "cross-cpu",
                Some(true),
                &[100.0, 100.0, 100.0],
            ),
            rally(
                b,
                "processes",
                "cross-cpu",
                Some(false),
                &[50.0, 50.0, 50.0],
            ),
            rally(b, "threads", "free", None, &[1000.0, 1000.0, 1000.0]),
            rally(b, "processes", "free", None, &[50.0, 50.0, 50.0]),
        ];
        let ev = evidence(&doc(&[b], rows, &[Experiment::Rally]));
        let same = ev
            .figure(&key::of(
                b,
                &key::rally_ratio(RallyPlacement::SameCpu, Mechanism::OsPipe),
            ))
            .unwrap();
        assert_eq!((same.value, same.low, same.high), (1.2, 1.1, 1.3));
        // The cross-cpu processes left their CPU: not compared, and said so.
        assert!(ev
            .figure(&key::of(
                b,
                &key::rally_ratio(RallyPlacement::CrossCpu, Mechanism::OsPipe)
            ))
            .is_none());
        assert!(ev.missing[&key::of(b, "rally.moved")]
            .why
            .contains("cross-cpu"));
        // The free placement mixes both: its medians are shown, never a ratio.
        assert!(ev
            .figures
            .keys()
            .all(|k| !(k.contains(".free.") && k.ends_with(".ratio"))));
        assert!(ev
            .figure(&key::of(
                b,
                &key::rally_median(RallyPlacement::Free, Mechanism::OsPipe, PyUnit::Threads)
            ))
            .is_some());
    }

    #[test]
    fn a_free_threaded_python_is_labelled_so_and_the_default_column_says_why_it_is_empty() {
        let b = Build::FreeThreaded;
        let rows = vec![
            scale(b, "threads", "free", 1, 1e9, 1e9),
            scale(b, "threads", "free", 2, 0.5e9, 1e9),
        ];
        let ev = evidence(&doc(&[b], rows, &[Experiment::Scale]));
        assert!(
            ev.figures.keys().all(|k| k.starts_with("python-ft.")),
            "{:?}",
            ev.figures.keys()
        );
        let why = &ev.missing[key::column(Build::Default)].why;
        assert!(why.contains("free-threaded build"), "{why}");
    }

    #[test]
    fn a_failed_experiment_says_why_in_its_column() {
        let b = Build::Default;
        let mut d = doc(&[b], vec![], &[Experiment::Pool]);
        d.settings.failures.push(Failure {
            interpreter: b,
            experiment: Experiment::Pool,
            why: "pool did not finish within 60s".into(),
        });
        let ev = evidence(&d);
        assert!(ev.missing[&key::experiment(b, Experiment::Pool)]
            .why
            .contains("60s"));
    }
}
