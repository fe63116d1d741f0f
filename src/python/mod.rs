//! `pingpong python`: the same questions asked of CPython, where the GIL
//! makes threads and processes behave very differently from Rust's.
//!
//! The Python programs live under `python/` in the repository and are
//! embedded in the binary ([`programs`]); each experiment runs as its own
//! interpreter under a deadline in its own process group ([`child`]), prints
//! one JSON object, and is wrapped here in pingpong's document (the common
//! header, the interpreters with their GIL state, one typed row per result:
//! [`rows`]). A free-threaded build found on PATH is run too, as a column of
//! its own ([`interpreter`]); [`evidence`] says what each column shows.

pub mod child;
pub mod evidence;
pub mod interpreter;
pub mod programs;
pub mod rows;

use crate::error::usage;
use crate::experiment::{CommonArgs, Row, Session};
use anyhow::{anyhow, Result};
use clap::Args;
use interpreter::Interpreter;
pub use rows::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct PythonArgs {
    /// Experiments to run [default: all]: rally, spawn, scale, pickling, memory, faults,
    /// stop, pool, locks, connection, zombie.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// The CPython to run [default: python3 on PATH].
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// A free-threaded CPython (3.13t or newer) to run as its own column
    /// [default: python3.14t or python3.13t on PATH].
    #[arg(long, value_name = "PATH")]
    pub python_ft: Option<PathBuf>,

    /// Of the experiments asked, only these for the free-threaded CPython
    /// of --python-ft (comma-separated) [default: the same as the other]:
    /// keeps a short run short where the GIL changes nothing.
    #[arg(long, value_name = "NAMES")]
    pub ft_experiments: Option<String>,

    /// Run these experiments (comma-separated) at their --quick size, the
    /// others at full size: for live demonstrations and costs that differ
    /// by orders of magnitude, where more repetitions change nothing.
    #[arg(long, value_name = "NAMES")]
    pub quick_for: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// The experiments named, checked: an unknown name is the user's mistake.
fn experiments<S: AsRef<str>>(names: &[S]) -> Result<Vec<Experiment>> {
    names
        .iter()
        .map(|n| {
            let n = n.as_ref();
            Experiment::ALL
                .iter()
                .copied()
                .find(|e| e.name() == n)
                .ok_or_else(|| {
                    usage(format!(
                        "unknown experiment '{n}': choose from {}",
                        programs::EXPERIMENTS.join(", ")
                    ))
                })
        })
        .collect()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Every interpreter run, each its own column.
    pub interpreters: Vec<Interpreter>,
    /// Which free-threaded CPython ran, or that none was found.
    pub free_threaded: String,
    pub experiments: Vec<Experiment>,
    /// Those the second, free-threaded interpreter (`--python-ft` or on
    /// PATH) ran: all of them unless `--ft-experiments` chose fewer.
    pub ft_experiments: Vec<Experiment>,
    /// Workers up to this count in the scaling runs (CPUs, at least 2).
    pub cpus: usize,
    /// CPUs this run may use (the scaling claims depend on it).
    pub allowed_cpus: usize,
    pub quick: bool,
    /// Experiments run at their quick size although `quick` is false.
    pub quick_for: Vec<Experiment>,
    pub timeout_s: f64,
    /// The experiments that gave no rows for an interpreter, and why.
    pub failures: Vec<Failure>,
}

/// An experiment that failed for one interpreter.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Failure {
    pub interpreter: Build,
    pub experiment: Experiment,
    pub why: String,
}

/// What `pingpong python --json` writes.
pub type PythonDocument = crate::experiment::ExperimentDocument<Settings, PyResult>;

impl PyResult {
    /// A few words on what the row found, for the table.
    fn detail(&self) -> String {
        use crate::experiment::ratio;
        let pct = |v: f64| format!("{v:.0}");
        match &self.row {
            PyRow::Rally(r) => match (r.placement, r.placement_kept) {
                (RallyPlacement::Free, _) => format!(
                    "not pinned: same CPU in {} of {} reps",
                    r.shared_cpu_reps, r.reps.repetitions
                ),
                (_, Some(true)) => "pinned, stayed".into(),
                _ => "pinned, but a player moved".into(),
            },
            PyRow::Scale(r) => format!(
                "speedup {}, CPU÷wall {}",
                r.speedup.map(ratio).unwrap_or_else(|| "–".into()),
                ratio(r.parallelism)
            ),
            PyRow::Pickling(PicklingRow::Serialise(r)) => format!(
                "{} B pickled: dumps {}, loads {}",
                r.pickled_bytes,
                crate::format::ns(r.dumps_ns),
                crate::format::ns(r.loads_ns)
            ),
            PyRow::Pickling(PicklingRow::Transfer(r)) => {
                format!("{} B pickled, {}", r.pickled_bytes, r.unit)
            }
            PyRow::Memory(r) => format!("{} {} at once", r.units, r.start_method),
            PyRow::Faults(r) => r.outcome.to_string(),
            PyRow::Stop(StopRow::Thread(r)) => r.outcome.to_string(),
            PyRow::Stop(StopRow::Process(r)) => format!(
                "{} ({})",
                r.outcome,
                r.signal.as_deref().unwrap_or("no signal")
            ),
            PyRow::Pool(r) => format!("{}: {} of {} jobs", r.outcome, r.completed, r.jobs),
            PyRow::Locks(LocksRow::Counter(r)) => format!(
                "lost {} of {} in {} of {} attempts",
                r.lost,
                r.expected as u64 * u64::from(r.attempts),
                r.lost_attempts,
                r.attempts
            ),
            PyRow::Locks(LocksRow::Cost(r)) => match r.overhead_ns {
                Some(o) => format!("{} threads, +{} ns per op", r.threads, pct(o)),
                None => format!("{} threads", r.threads),
            },
            PyRow::Connection(ConnectionRow::Rally(r)) => {
                format!("{}, {} bad balls", r.transport, r.bad_balls)
            }
            PyRow::Connection(ConnectionRow::Auth(r)) => r.outcome.to_string(),
            PyRow::Zombie(r) => r.outcome.to_string(),
            PyRow::Spawn(r) => r.description.clone(),
        }
    }
}

impl Row for PyResult {
    fn headers() -> Vec<&'static str> {
        vec!["python", "experiment", "case", "value", "detail", "answer"]
    }
    fn cells(&self) -> Vec<String> {
        let value = match (self.value, self.value_unit) {
            (Some(v), ValueUnit::Ns) => crate::format::ns(v),
            (Some(v), ValueUnit::Kib) => format!("{v:.0} KiB"),
            (Some(v), u) => format!("{v} {u}"),
            (None, _) => "–".into(),
        };
        let answer = match self.verified {
            Some(true) => "ok",
            Some(false) => "WRONG",
            None => "–",
        };
        vec![
            self.interpreter.to_string(),
            self.row.experiment().to_string(),
            self.case.clone(),
            value,
            self.detail(),
            answer.into(),
        ]
    }
}

pub fn run(a: &PythonArgs) -> Result<i32> {
    let timeout = a.common.timeout()?;
    a.common.exports.check()?;
    let (names, ft_names, quick_for) = chosen(a)?;
    let dir = programs::write_all()?;
    let (interpreters, free_threaded, one_free_threaded) = interpreters(a, dir.path())?;
    let allowed_cpus = crate::experiment::cpus();
    let cpus = allowed_cpus.max(2);
    let settings = Settings {
        interpreters: interpreters.clone(),
        free_threaded: free_threaded.clone(),
        experiments: names.clone(),
        ft_experiments: ft_names.clone(),
        cpus,
        allowed_cpus,
        quick: a.common.quick,
        quick_for: quick_for.clone(),
        timeout_s: timeout.as_secs_f64(),
        failures: Vec::new(),
    };
    let steps = (names.len()
        + if interpreters.len() > 1 {
            ft_names.len()
        } else {
            0
        }) as u64;
    let mut s = Session::new(
        "python",
        "CPython threads and processes (threading, multiprocessing)",
        &a.common,
        settings,
        steps,
    )?;
    if interpreters.iter().all(|i| i.label == Build::Default) {
        s.unavailable(format!(
            "{free_threaded} (python3.14t or python3.13t on PATH, or --python-ft PATH; \
             bench/python-freethreaded.sh builds one): the free-threaded column is missing"
        ));
    }
    if interpreters.iter().all(|i| i.label == Build::FreeThreaded) {
        s.note(format!(
            "{free_threaded}; the default CPython's column (with the GIL) is missing"
        ));
    }
    if one_free_threaded {
        s.note("--python is already free-threaded, so --python-ft was not run too");
    }
    for (n, i) in interpreters.iter().enumerate() {
        let names = if n == 0 { &names } else { &ft_names };
        for name in names {
            let quick = a.common.quick || quick_for.contains(name);
            run_one(&mut s, i, *name, dir.path(), cpus, timeout, quick)?;
        }
    }
    if let Some(n) = single_thread_slowdown(&s.doc.results) {
        s.note(n);
    }
    s.finish()
}

/// The experiments asked: for the main interpreter, for the free-threaded
/// one (`--ft-experiments`, among the first), and those run at their quick
/// size (`--quick-for`).
fn chosen(a: &PythonArgs) -> Result<(Vec<Experiment>, Vec<Experiment>, Vec<Experiment>)> {
    let names: Vec<Experiment> = if a.names.is_empty() {
        Experiment::ALL.to_vec()
    } else {
        experiments(&a.names)?
    };
    let ft_names: Vec<Experiment> = match &a.ft_experiments {
        None => names.clone(),
        Some(list) => {
            let chosen = experiments(&crate::parse::split_list(list))?;
            names
                .iter()
                .copied()
                .filter(|e| chosen.contains(e))
                .collect()
        }
    };
    let quick_for = match &a.quick_for {
        None => Vec::new(),
        Some(list) => experiments(&crate::parse::split_list(list))?,
    };
    Ok((names, ft_names, quick_for))
}

/// The interpreters to run, each a column (the main one first, then a
/// free-threaded one if found); which free-threaded CPython ran, in words;
/// and whether `--python-ft` was not run because `--python` already is.
fn interpreters(a: &PythonArgs, dir: &Path) -> Result<(Vec<Interpreter>, String, bool)> {
    let main = interpreter::main_interpreter(a.python.as_deref(), dir)?;
    let ft = interpreter::free_threaded(a.python_ft.as_deref(), dir, &main)?;
    let free_threaded = match &ft {
        Some(i) => format!("{} ({})", i.path.display(), i.version),
        None if main.free_threaded_build => format!(
            "{} ({}) is itself free-threaded: its rows are the free-threaded column's",
            main.path.display(),
            main.version
        ),
        None => "no free-threaded CPython found".into(),
    };
    let one_free_threaded = main.free_threaded_build && a.python_ft.is_some();
    let mut interpreters = vec![main];
    interpreters.extend(ft);
    Ok((interpreters, free_threaded, one_free_threaded))
}

/// Runs one experiment on one interpreter and records its rows (together,
/// exported once, one step done), or why it gave none.
fn run_one(
    s: &mut Session<'_, Settings, PyResult>,
    i: &Interpreter,
    name: Experiment,
    dir: &Path,
    cpus: usize,
    timeout: Duration,
    quick: bool,
) -> Result<()> {
    let what = format!("{} {} {name}", i.label, i.version);
    s.start(&what)?;
    let mut args = vec![
        name.to_string(),
        "--cpus".into(),
        cpus.to_string(),
        "--timeout".into(),
        timeout.as_secs_f64().to_string(),
    ];
    if quick {
        args.push("--quick".into());
    }
    let got = child::run(&i.path, dir, &args, timeout)
        .and_then(|out| child::json(&out, &what))
        .and_then(|v| rows(&v, i.label));
    match got {
        Ok((rows, notes)) => {
            for n in notes {
                s.note(format!("{}: {n}", i.label));
            }
            // Recorded together, exported once, one step done.
            let mut rows = rows;
            match rows.pop() {
                Some(last) => {
                    s.doc.results.extend(rows);
                    s.push(last)?;
                }
                None => {
                    s.doc.settings.failures.push(Failure {
                        interpreter: i.label,
                        experiment: name,
                        why: format!("`{what}` gave no rows"),
                    });
                    s.skip_step()
                }
            }
        }
        Err(e) => {
            s.doc.settings.failures.push(Failure {
                interpreter: i.label,
                experiment: name,
                why: format!("{e:#}"),
            });
            s.failed(&what, e)?
        }
    }
    Ok(())
}

/// The 1-thread pure-Python loop's wall ns per iteration, for one build:
/// the single-thread speed the free-threaded build pays for its threads.
pub fn ns_per_iteration(results: &[PyResult], build: Build) -> Option<f64> {
    results.iter().find_map(|r| match &r.row {
        PyRow::Scale(s)
            if r.interpreter == build
                && s.kernel == Kernel::PythonLoop
                && s.unit == PyUnit::Threads
                && s.placement == ScalePlacement::Free
                && s.workers == 1 =>
        {
            s.ns_per_item
        }
        _ => None,
    })
}

/// The free-threaded build's known cost: its 1-worker pure-Python loop
/// against the default build's, when both ran.
fn single_thread_slowdown(results: &[PyResult]) -> Option<String> {
    let gil = ns_per_iteration(results, Build::Default)?;
    let ft = ns_per_iteration(results, Build::FreeThreaded)?;
    Some(format!(
        "free-threaded single-thread cost: the 1-thread pure-Python loop takes {ft:.1} ns per iteration against {gil:.1} ns in the default build ({:.2}×)",
        ft / gil
    ))
}

/// The rows and notes of one program's JSON object, typed: a row that
/// lacks a field its type requires, or has one no type knows, is an error
/// naming the field.
fn rows(v: &serde_json::Value, label: Build) -> Result<(Vec<PyResult>, Vec<String>)> {
    let list = v
        .get("rows")
        .and_then(|r| r.as_array())
        .ok_or_else(|| anyhow!("the Python program printed no rows"))?;
    let mut out = Vec::new();
    for r in list {
        let mut r = r.clone();
        if let Some(o) = r.as_object_mut() {
            o.insert("interpreter".into(), label.name().into());
        }
        let what = format!(
            "a Python {} row ({})",
            r.get("experiment").and_then(|e| e.as_str()).unwrap_or("?"),
            r.get("case").and_then(|e| e.as_str()).unwrap_or("?")
        );
        let typed: PyResult =
            serde_json::from_value(r.clone()).map_err(|e| anyhow!("{what}: {e}"))?;
        let back = serde_json::to_value(&typed)?;
        rows::check_lossless(&r, &back).map_err(|e| anyhow!("{what}: {e}"))?;
        out.push(typed);
    }
    let notes = v
        .get("notes")
        .and_then(|n| n.as_array())
        .map(|n| {
            n.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok((out, notes))
}
