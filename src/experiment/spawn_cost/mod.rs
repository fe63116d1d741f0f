//! `pingpong spawn` (claims P12, A2, A6, A9): what it costs to create a unit
//! and to see it end, for every way Rust (and the OS below it) offers.
//!
//! Each measurement starts a unit that does nothing and waits for its end,
//! many times over. `create` is the time until the creating call returns;
//! `wait` is from there until the unit is joined or reaped (teardown, plus
//! whatever of the child's start-up was still to run); `total` is both.
//!
//! The process methods are timed first, while pingpong is single-threaded
//! (fork requires it); the thread and task methods come after. Then the
//! process and thread methods again with a large heap resident in the parent,
//! because `fork` copies the page tables of everything mapped: the figure that
//! makes "processes are expensive" true or false in practice.
//!
//! Waits block in `waitpid` (no polling, which would add to the figure); an
//! interval timer (SIGALRM, installed without `SA_RESTART`) interrupts a wait
//! past the deadline, and the stuck child is then killed and reaped.
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); timing each kind of unit is in `timing.rs`, starting and
//! waiting for a process without the standard library's help in
//! `process.rs`.

mod process;
mod timing;

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::format_size;
use crate::format::ns;
use crate::stats::Summary;
use anyhow::Result;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use timing::{measure, result};

/// The hidden subcommand a re-executed child runs: exits at once.
pub const NOOP: &str = "__exit";
/// The tiny program for posix_spawn + exec.
pub const TINY: &str = "/bin/true";

#[derive(Debug, Args)]
pub struct SpawnArgs {
    /// Heap kept resident (touched) in the parent for the second round; 0 skips it.
    #[arg(long, value_name = "SIZE")]
    pub heap: Option<String>,

    /// Scale every method's iteration count (1.0 = the default counts).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub iterations: f64,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Fork,
    Vfork,
    PosixSpawn,
    Reexec,
    StdThread,
    Pthread,
    ScopedThread,
    TokioTask,
}

/// What `pingpong spawn --json` writes.
pub type SpawnDocument = super::ExperimentDocument<Settings, SpawnResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use super::Method;

    /// Median create + join/wait of one unit by `method`; with a large
    /// resident heap in the parent when `large_heap`.
    pub fn total(method: Method, large_heap: bool) -> String {
        format!(
            "spawn.{}{}",
            method.name(),
            if large_heap { "-large-heap" } else { "" }
        )
    }
}

impl Method {
    /// The stable name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Fork => "fork",
            Method::Vfork => "vfork",
            Method::PosixSpawn => "posix-spawn",
            Method::Reexec => "reexec",
            Method::StdThread => "std-thread",
            Method::Pthread => "pthread",
            Method::ScopedThread => "scoped-thread",
            Method::TokioTask => "tokio-task",
        }
    }
}

impl Witness for SpawnDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for r in &self.results {
            let heap = r.parent_heap_bytes > 0;
            ev.put(
                key::total(r.method, heap),
                Figure::ci95(
                    r.total.median,
                    r.total.median_ci,
                    Unit::Ns,
                    format!(
                        "median create + join/wait of {} with {} MiB resident in the parent (95% CI)",
                        r.description,
                        r.parent_heap_bytes >> 20
                    ),
                    cmd,
                ),
            );
        }
    }
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::Fork => "fork + _exit + waitpid",
            Method::Vfork => "vfork (clone VM|VFORK) + _exit + waitpid",
            Method::PosixSpawn => "posix_spawn (vfork) + exec /bin/true + waitpid",
            Method::Reexec => "re-exec of pingpong (spawn start method) + waitpid",
            Method::StdThread => "std::thread::spawn + join",
            Method::Pthread => "raw pthread_create + pthread_join",
            Method::ScopedThread => "std::thread::scope + spawn + join",
            Method::TokioTask => "tokio::spawn + await (multi-thread runtime)",
        }
    }

    /// Iterations at factor 1.
    fn iterations(self, heap: bool) -> f64 {
        match (self, heap) {
            (Method::Fork, false) => 1000.0,
            (Method::Fork, true) => 60.0,
            (Method::Vfork, _) => 1000.0,
            (Method::PosixSpawn, _) => 200.0,
            (Method::Reexec, false) => 100.0,
            (Method::Reexec, true) => 40.0,
            (Method::TokioTask, _) => 5000.0,
            (_, false) => 2000.0,
            (_, true) => 500.0,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub heap_bytes: usize,
    pub iteration_factor: f64,
    pub tiny_program: String,
    /// Stack reserved per std/scoped thread (Rust's default unless RUST_MIN_STACK says otherwise).
    pub thread_stack: String,
    pub transparent_hugepages: String,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpawnResult {
    pub method: Method,
    pub description: String,
    /// Bytes resident in the parent's heap while measuring.
    pub parent_heap_bytes: usize,
    pub iterations: u64,
    /// Until the creating call returned, ns.
    pub create: Summary,
    /// From there until joined or reaped, ns.
    pub wait: Summary,
    /// Both, ns.
    pub total: Summary,
    /// Units created and ended per second, from the median total.
    pub per_s: f64,
    /// Every unit ended cleanly (exit status 0, join without panic).
    pub all_clean: bool,
}

impl Row for SpawnResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "method",
            "parent heap",
            "n",
            "create (median)",
            "wait/join (median)",
            "total median (95% CI)",
            "p99",
            "per s",
            "clean",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.description.clone(),
            if self.parent_heap_bytes == 0 {
                "–".into()
            } else {
                format_size(self.parent_heap_bytes)
            },
            self.iterations.to_string(),
            ns(self.create.median),
            ns(self.wait.median),
            format!(
                "{} ({}–{})",
                ns(self.total.median),
                ns(self.total.median_ci.0),
                ns(self.total.median_ci.1)
            ),
            ns(self.total.p99),
            crate::format::rate(self.per_s),
            if self.all_clean { "yes" } else { "NO" }.into(),
        ]
    }
}

/// Every method, measured with no heap of note.
const PLAIN: [Method; 8] = [
    Method::Fork,
    Method::Vfork,
    Method::PosixSpawn,
    Method::Reexec,
    Method::StdThread,
    Method::Pthread,
    Method::ScopedThread,
    Method::TokioTask,
];

/// The methods measured again with a large resident heap (`--heap`).
const HEAVY: [Method; 5] = [
    Method::Fork,
    Method::Vfork,
    Method::PosixSpawn,
    Method::Reexec,
    Method::StdThread,
];

pub fn run(args: &SpawnArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (heap, factor) = (settings.heap_bytes, settings.iteration_factor);
    let thp = settings.transparent_hugepages.clone();
    let steps = PLAIN.len() + if heap > 0 { HEAVY.len() } else { 0 };
    let mut s = Session::new(
        "spawn",
        "creating and ending a unit (median of many)",
        c,
        settings,
        steps as u64,
    )?;
    if !std::path::Path::new(TINY).exists() {
        s.unavailable(format!(
            "{TINY} is missing: posix_spawn + exec was not measured"
        ));
    }
    let mut rounds = vec![(0usize, &PLAIN[..])];
    if heap > 0 {
        rounds.push((heap, &HEAVY[..]));
    }
    for (round, methods) in rounds {
        let _held = if round > 0 {
            s.start(&format!("touching a {} heap", format_size(round)))?;
            Some(ResidentHeap::new(round)?)
        } else {
            None
        };
        for &m in methods {
            if m == Method::PosixSpawn && !std::path::Path::new(TINY).exists() {
                s.skip_step();
                continue;
            }
            let n = ((m.iterations(round > 0) * factor).round() as u64).max(5);
            s.start(&format!("{} × {n}", m.describe()))?;
            let deadline = Deadline::after(timeout);
            match measure(m, n, &deadline) {
                Ok(t) => s.push(result(m, round, t))?,
                Err(e) => s.failed(m.describe(), e)?,
            }
        }
    }
    s.note(
        "create = until the creating call returned; wait = from there until joined or reaped \
         (teardown, plus any start-up the new unit still had to run)",
    );
    if heap > 0 {
        s.note(format!(
            "fork copies the parent's page tables: with a {} resident heap it costs more; \
             transparent huge pages ({thp}) make those tables smaller",
            format_size(heap)
        ));
    }
    s.note("a tokio task is not an OS unit: it runs on the runtime's existing threads");
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one method.
fn prepare(args: &SpawnArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let heap = match &args.heap {
        Some(h) => crate::parse::parse_size(h).map_err(usage)?,
        None if c.quick => 64 << 20,
        None => 1 << 30,
    };
    if !(args.iterations > 0.0 && args.iterations <= 1000.0) {
        return Err(usage(format!(
            "invalid --iterations '{}': a factor above 0 and at most 1000",
            args.iterations
        )));
    }
    let factor = args.iterations * if c.quick { 0.1 } else { 1.0 };
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let settings = Settings {
        heap_bytes: heap,
        iteration_factor: factor,
        tiny_program: TINY.into(),
        thread_stack: std::env::var("RUST_MIN_STACK")
            .map(|s| format!("{s} bytes (RUST_MIN_STACK)"))
            .unwrap_or_else(|_| "2 MiB (Rust's default)".into()),
        transparent_hugepages: thp,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// A heap of `bytes`, every page written so it is resident.
struct ResidentHeap(Vec<u8>);

impl ResidentHeap {
    /// Fallible: under a memory limit a large `--heap` is an error, not an abort.
    fn new(bytes: usize) -> Result<ResidentHeap> {
        let mut v = crate::ball::zeroed(bytes)
            .map_err(|e| anyhow::anyhow!("the --heap: {e}; give a smaller --heap"))?;
        for i in (0..bytes).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&mut v);
        Ok(ResidentHeap(v))
    }
}

impl Drop for ResidentHeap {
    fn drop(&mut self) {
        std::hint::black_box(&self.0);
    }
}
