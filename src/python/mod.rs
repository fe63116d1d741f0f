//! `pingpong python`: the same questions asked of CPython, where the GIL
//! makes threads and processes behave very differently from Rust's.
//!
//! The Python programs live under `python/` in the repository and are
//! embedded in the binary ([`programs`]); each experiment runs as its own
//! interpreter under a deadline in its own process group ([`child`]), prints
//! one JSON object, and is wrapped here in pingpong's document (the common
//! header, the interpreters with their GIL state, one row per result). A
//! free-threaded build found on PATH is run too, as a column of its own
//! ([`interpreter`]).

pub mod child;
pub mod evidence;
pub mod interpreter;
pub mod programs;

use crate::error::usage;
use crate::experiment::{CommonArgs, Row, Session};
use anyhow::{anyhow, Result};
use clap::Args;
use interpreter::Interpreter;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Every interpreter run, each its own column.
    pub interpreters: Vec<Interpreter>,
    /// Which free-threaded CPython ran, or that none was found.
    pub free_threaded: String,
    pub experiments: Vec<String>,
    /// Workers up to this count in the scaling runs (CPUs, at least 2).
    pub cpus: usize,
    pub quick: bool,
    pub timeout_s: f64,
}

/// One result from a Python program, as it printed it, with the interpreter.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PyResult {
    /// "cpython" or "cpython-ft".
    pub interpreter: String,
    pub experiment: String,
    pub case: String,
    pub value: Option<f64>,
    /// "ns", "KiB", "survived"…
    pub value_unit: String,
    #[serde(default)]
    pub verified: Option<bool>,
    /// The fields the verdict reads, where the program gives them: the
    /// unit ("threads", "processes"), where the workers ran ("all CPUs",
    /// "one CPU"), the scaling kernel, the worker count, each repetition's
    /// wall time and the median CPU time (ns), the rally's mechanism and
    /// the range of its samples (ns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep_wall_ns: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ns: Option<f64>,
    /// 1-worker wall time ÷ this one (scaling rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ns: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ns: Option<f64>,
    /// Everything else the program said (speedup, parallelism, outcome…),
    /// shown to people, never read by the verdict.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// What `pingpong python --json` writes.
pub type PythonDocument = crate::experiment::ExperimentDocument<Settings, PyResult>;

impl Row for PyResult {
    fn headers() -> Vec<&'static str> {
        vec!["python", "experiment", "case", "value", "detail", "answer"]
    }
    fn cells(&self) -> Vec<String> {
        let value = match (self.value, self.value_unit.as_str()) {
            (Some(v), "ns") => crate::format::ns(v),
            (Some(v), "kib") => format!("{v:.0} KiB"),
            (Some(v), u) => format!("{v} {u}"),
            (None, _) => "–".into(),
        };
        let f = |k: &str| self.extra.get(k).and_then(|v| v.as_f64());
        let detail = if let Some(o) = self.extra.get("outcome").and_then(|v| v.as_str()) {
            o.to_string()
        } else if let Some(s) = self.speedup {
            format!(
                "speedup {}, CPU÷wall {}",
                crate::experiment::ratio(s),
                crate::experiment::ratio(f("parallelism").unwrap_or(f64::NAN))
            )
        } else if let Some(b) = f("pickled_bytes") {
            format!("{b:.0} B pickled")
        } else {
            String::new()
        };
        let answer = match self.verified {
            Some(true) => "ok",
            Some(false) => "WRONG",
            None => "–",
        };
        vec![
            self.interpreter.clone(),
            self.experiment.clone(),
            self.case.clone(),
            value,
            detail,
            answer.into(),
        ]
    }
}

pub fn run(a: &PythonArgs) -> Result<i32> {
    let timeout = a.common.timeout()?;
    a.common.exports.check()?;
    let names: Vec<String> = if a.names.is_empty() {
        programs::EXPERIMENTS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        for n in &a.names {
            if !programs::EXPERIMENTS.contains(&n.as_str()) {
                return Err(usage(format!(
                    "unknown experiment '{n}': choose from {}",
                    programs::EXPERIMENTS.join(", ")
                )));
            }
        }
        a.names.clone()
    };
    let dir = programs::write_all()?;
    let main = interpreter::main_interpreter(a.python.as_deref(), dir.path())?;
    let ft = interpreter::free_threaded(a.python_ft.as_deref(), dir.path(), &main)?;
    let free_threaded = match &ft {
        Some(i) => format!("{} ({})", i.path.display(), i.version),
        None if main.free_threaded_build => format!("{} is free-threaded", main.path.display()),
        None => "no free-threaded CPython found".into(),
    };
    let mut interpreters = vec![main];
    interpreters.extend(ft);
    let cpus = crate::experiment::cpus().max(2);
    let settings = Settings {
        interpreters: interpreters.clone(),
        free_threaded: free_threaded.clone(),
        experiments: names.clone(),
        cpus,
        quick: a.common.quick,
        timeout_s: timeout.as_secs_f64(),
    };
    let steps = (names.len() * interpreters.len()) as u64;
    let mut s = Session::new(
        "python",
        "CPython threads and processes (threading, multiprocessing)",
        &a.common,
        settings,
        steps,
    )?;
    if free_threaded.starts_with("no ") {
        s.unavailable(format!(
            "{free_threaded} (python3.13t or newer on PATH): the GIL-free column is missing"
        ));
    }
    for i in &interpreters {
        for name in &names {
            let what = format!("{} {} {name}", i.label, i.version);
            s.start(&what)?;
            let mut args = vec![
                name.clone(),
                "--cpus".into(),
                cpus.to_string(),
                "--timeout".into(),
                timeout.as_secs_f64().to_string(),
            ];
            if a.common.quick {
                args.push("--quick".into());
            }
            let got = child::run(&i.path, dir.path(), &args, timeout)
                .and_then(|out| child::json(&out, &what))
                .and_then(|v| rows(&v, &i.label));
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
                        None => s.skip_step(),
                    }
                }
                Err(e) => s.failed(&what, e)?,
            }
        }
    }
    if let Some(n) = single_thread_slowdown(&s.doc.results) {
        s.note(n);
    }
    s.finish()
}

/// The free-threaded build's known cost: its 1-worker pure-Python loop
/// against the default build's, when both ran.
fn single_thread_slowdown(results: &[PyResult]) -> Option<String> {
    let one = |free_threaded: bool| {
        results
            .iter()
            .find(|r| {
                r.experiment == "scale"
                    && r.case == "python-loop threads 1 free"
                    && r.extra.get("free_threaded_build").and_then(|v| v.as_bool())
                        == Some(free_threaded)
            })
            .and_then(|r| r.extra.get("ns_per_item").and_then(|v| v.as_f64()))
    };
    let (gil, ft) = (one(false)?, one(true)?);
    Some(format!(
        "free-threaded single-thread cost: the 1-thread pure-Python loop takes {ft:.1} ns per iteration against {gil:.1} ns with the GIL ({:.2}× slower)",
        ft / gil
    ))
}

/// The rows and notes of one program's JSON object.
fn rows(v: &serde_json::Value, label: &str) -> Result<(Vec<PyResult>, Vec<String>)> {
    let list = v
        .get("rows")
        .and_then(|r| r.as_array())
        .ok_or_else(|| anyhow!("the Python program printed no rows"))?;
    let mut out = Vec::new();
    for r in list {
        let mut r = r.clone();
        if let Some(o) = r.as_object_mut() {
            o.insert("interpreter".into(), label.into());
        }
        out.push(serde_json::from_value(r).map_err(|e| anyhow!("a Python result row: {e}"))?);
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
