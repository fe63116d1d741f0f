//! `pingpong faults`: what goes wrong with threads and processes, shown
//! happening, measured, and contained.
//!
//! Every fault runs inside a *sacrificial child*: our own binary re-executed
//! with the hidden [`SUBCOMMAND`] (see [`crate::subprocess::reexec`]), dying
//! with pingpong (`PR_SET_PDEATHSIG`), never dumping core (`RLIMIT_CORE` 0),
//! its stderr caught in a pipe. So even a fault that kills "the whole
//! program" kills only that child; pingpong reports the exit status or signal
//! and how long it took to notice. Every child is reaped, every experiment
//! has a deadline, nothing is left behind.
//!
//! A sacrificial child speaks on its stdout in lines: `MARK <ns>` just before
//! it commits a fault (CLOCK_MONOTONIC, which all processes share),
//! `PROGRESS <n>` as it goes, and `REPORT <json>` for each row it can still
//! report itself. A child that died reports nothing: the parent writes its
//! row from the death.
//!
//! One file per experiment; each has a parent side (`run`) and a child side
//! (`child`). This module holds the subcommand and the document; the
//! sacrificial-child machinery is [`sacrifice`], the renderers [`render`],
//! and what the rows show about the claims [`findings`].

pub mod crash;
pub mod deadlock;
pub mod findings;
pub mod isolation;
pub mod pool;
pub mod race;
pub mod render;
pub mod sacrifice;
pub mod stop;
pub mod zombies;

pub use render::{render_csv, render_markdown, render_table};
pub use sacrifice::{
    command, deadline, describe, last_mark, mark, mono_ns, report, run_case, sacrifice, say,
    wait_until, Ended, SUBCOMMAND,
};

use crate::error::usage;
use crate::output::progress::Progress;
use crate::results::Header;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

/// Every experiment, in the order run.
pub const EXPERIMENTS: [&str; 7] = [
    "crash",
    "stop",
    "deadlock",
    "race",
    "isolation",
    "zombies",
    "pool",
];

/// What `pingpong faults` was asked, resolved once from the command line.
pub struct FaultsPlan {
    pub experiments: Vec<&'static str>,
    pub quick: bool,
    pub exports: crate::export::Exports,
}

/// One thing that happened: a row of the table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Row {
    pub experiment: String,
    pub case: String,
    /// "thread", "process", "threads", "processes"…
    pub unit: String,
    /// What happened, in words.
    pub outcome: String,
    /// The exit status or signal that ended the unit (or "joined", "running"…).
    pub status: String,
    /// Whether the rest of the program lived on (None where it does not apply).
    pub survived: Option<bool>,
    /// From the fault (or the request to stop) until it was noticed, ns.
    pub notice_ns: Option<f64>,
    /// Explanation, and the first line the unit wrote on stderr, if any.
    pub detail: String,
    /// Experiment-specific figures (lost updates, answers, rates…), for people.
    pub figures: BTreeMap<String, f64>,
    /// What was observed, as data: set where the fault is observed, read by
    /// the findings ([`findings`]), never parsed back from `outcome`.
    #[serde(default)]
    pub observed: Observed,
    /// `faults stop`: the typed outcome of one attempt to stop a unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<stop::Attempt>,
    /// `faults race`: one run of a thread API, with or without its lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locks: Option<race::LockRun>,
}

/// What a row observed, as data for the findings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observed {
    /// Nothing machine-readable (the case could not run).
    #[default]
    Nothing,
    /// The whole (sacrificial) program ended: by a signal, an exit, or
    /// killed at its deadline when it hung.
    ProgramEnded {
        signal: Option<String>,
        code: Option<i32>,
        hung: bool,
    },
    /// The faulty unit ended and the rest of the program lived on.
    Contained,
    /// The fault did not happen.
    NoFault,
    /// A runaway was stopped: a process by a signal and reaped, or a thread
    /// cooperatively (no signal).
    Stopped {
        signal: Option<String>,
        reaped: bool,
    },
    /// Still running after the grace period: it could not be stopped.
    Unstoppable,
    /// Two units waited on each other; whether the watchdog detected it.
    Deadlock { detected: bool },
    /// Units adding to one total: what it should be and what it was.
    Updates { expected: u64, total: u64 },
    /// A write by one unit, and whether the other unit saw it.
    Write { seen_by_other: bool },
    /// An attempt to read another process's memory.
    ForeignRead { refused: bool },
    /// An ended child process: seen as a zombie, and gone once reaped.
    Zombie { seen: bool, gone_after_wait: bool },
    /// A finished thread, not yet joined: whether its task lingered.
    FinishedThread { lingered: bool },
    /// A pool whose worker died mid-run (if the fault happened).
    Pool {
        jobs: u64,
        delivered: u64,
        exactly_once: bool,
        fault_happened: bool,
    },
}

/// A whole `pingpong faults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaultsDocument {
    #[serde(flatten)]
    pub header: Header,
    pub quick: bool,
    pub experiments: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// `pingpong faults`: which experiments, how big, where the results go.
#[derive(Debug, clap::Args)]
pub struct FaultsArgs {
    /// Experiments to run [default: all]: crash, stop, deadlock, race, isolation, zombies, pool.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// Smaller workloads and shorter grace periods (seconds, not minutes).
    #[arg(long)]
    pub quick: bool,

    #[command(flatten)]
    pub exports: crate::export::Exports,
}

/// Resolves the command line.
pub fn plan(args: &FaultsArgs) -> Result<FaultsPlan> {
    args.exports.check()?;
    let mut experiments = Vec::new();
    for n in &args.names {
        let Some(e) = EXPERIMENTS.iter().find(|e| **e == n.as_str()) else {
            return Err(usage(format!(
                "unknown fault experiment '{n}': choose from {}",
                EXPERIMENTS.join(", ")
            )));
        };
        if !experiments.contains(e) {
            experiments.push(*e);
        }
    }
    if experiments.is_empty() {
        experiments = EXPERIMENTS.to_vec();
    }
    Ok(FaultsPlan {
        experiments,
        quick: args.quick,
        exports: args.exports.clone(),
    })
}

/// `pingpong faults`: runs each experiment, exporting after each one.
pub fn run(args: &FaultsArgs) -> Result<bool> {
    let plan = plan(args)?;
    let mut doc = FaultsDocument {
        header: Header::new("faults"),
        quick: plan.quick,
        experiments: plan.experiments.iter().map(|e| e.to_string()).collect(),
        rows: Vec::new(),
        notes: Vec::new(),
    };
    if rustix::process::geteuid().is_root() {
        doc.notes.push(
            "pingpong runs as root: a process may read another's memory with privilege; \
             the isolation experiment drops to an unprivileged user to show the barrier"
                .into(),
        );
    }
    let progress = Progress::new(plan.experiments.len() as u64);
    for e in &plan.experiments {
        progress.start(e);
        let rows = match *e {
            "crash" => crash::run(plan.quick),
            "stop" => stop::run(plan.quick),
            "deadlock" => deadlock::run(plan.quick),
            "race" => race::run(plan.quick),
            "isolation" => isolation::run(plan.quick),
            "zombies" => zombies::run(plan.quick),
            _ => pool::run(plan.quick),
        };
        doc.rows.extend(rows);
        export(&plan, &doc)?;
        progress.done();
        if crate::interrupt::interrupted() {
            break;
        }
    }
    progress.finish();
    if crate::interrupt::interrupted() {
        return Err(anyhow::Error::new(crate::error::Interrupted));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(render_table(&doc).as_bytes())?;
    out.flush()?;
    Ok(true)
}

fn export(plan: &FaultsPlan, doc: &FaultsDocument) -> Result<()> {
    plan.exports.write(doc)
}

/// The `__fault` subcommand: `args` are what follows it.
pub fn child_main(args: &[String]) -> i32 {
    let experiment = args.first().map(String::as_str).unwrap_or("");
    let arg = args.get(1).map(String::as_str).unwrap_or("");
    let rest = args.get(2..).unwrap_or(&[]);
    let result = match experiment {
        "crash" => crash::child(arg),
        "stop" => stop::child(arg, rest),
        "deadlock" => deadlock::child(arg, rest),
        "race" => race::child(arg, rest),
        "isolation" => isolation::child(arg, rest),
        "zombies" => zombies::child(arg),
        "pool" => pool::child(arg, rest),
        _ => {
            eprintln!("pingpong {SUBCOMMAND}: this subcommand is for pingpong's own use");
            return 2;
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pingpong {SUBCOMMAND} {experiment}: {e:#}");
            1
        }
    }
}
