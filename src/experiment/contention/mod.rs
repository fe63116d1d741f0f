//! `pingpong contention` (claim T10): what synchronisation costs, in CPU and
//! in memory. N workers each add 1, 2, …, M to one shared total, by five
//! means: per-worker sums merged at the end (no sharing), an atomic
//! `fetch_add`, a `Mutex`, an `RwLock` (write side), and a channel to a
//! collector. Between threads all five; between forked processes over
//! `MAP_SHARED` memory the three that apply there (per-worker sums, an
//! atomic, a process-shared pthread mutex). Every variant runs several times,
//! the repetitions interleaved across the variants (the first of each, then
//! the second…).
//!
//! Every run's total is checked against N·M(M+1)/2. Throughput is additions
//! per second of wall time; CPU time is that of the whole process (threads)
//! or of the reaped children (processes).
//!
//! Memory: the bytes each mechanism adds beyond the `u64` total it guards or
//! carries. A lock or an atomic lives inline, so its cost is its size
//! (`size_of`, exact); a channel allocates, so its cost is measured as the
//! heap growth (glibc's `mallinfo2`, looked up at run time) of making K
//! channels that each carried one value, plus its two handles — or "not
//! measured" where the C library cannot say.
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); how the workers add is in `adders.rs`, what each
//! mechanism adds in memory in `footprint.rs`.

mod adders;
mod footprint;

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::{ns, rate};
use crate::kinds::UnitKind;
use adders::{processes, threads};
use anyhow::Result;
use clap::Args;
use footprint::{channel_footprint, footprint};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ContentionArgs {
    /// Workers adding at once [default: the CPUs available].
    #[arg(long, short = 'w', value_name = "N")]
    pub workers: Option<usize>,

    /// Additions per worker [default: 1000000; --quick 200000].
    #[arg(long, short = 'n', value_name = "M")]
    pub adds: Option<u64>,

    /// Repetitions of every variant, interleaved across them [default: 3; --quick 2].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub workers: usize,
    pub adds_per_worker: u64,
    pub expected_total: u64,
    /// Repetitions of every variant, interleaved across them.
    pub repetitions: u32,
    pub timeout_s: f64,
}

/// The bytes a mechanism adds beyond the `u64` total it guards or carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Footprint {
    pub extra_bytes: f64,
    pub how: Footprinting,
    /// For a channel: heap bytes per value waiting in it (measured alike).
    pub per_queued_value_bytes: Option<f64>,
}

/// How a footprint was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Footprinting {
    /// `size_of` of the object, less that of a `u64` (it lives inline).
    SizeOf { object: String, bytes: u64 },
    /// Heap growth of making `objects` of them, each used once, per object,
    /// plus the handles' `size_of`.
    HeapGrowth { objects: u64, handle_bytes: u64 },
    /// No synchronisation object: each worker sums in its own variable.
    Nothing,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContentionResult {
    /// Threads, or processes made by fork.
    pub unit: UnitKind,
    pub method: Method,
    pub workers: usize,
    /// Additions per repetition (all workers).
    pub adds: u64,
    /// Medians over the repetitions.
    pub wall_ns: f64,
    pub cpu_ns: f64,
    pub adds_per_s: f64,
    /// CPU time per addition, ns (median over the repetitions).
    pub cpu_per_add_ns: f64,
    /// Every repetition, in the order taken.
    pub rep_wall_ns: Vec<u64>,
    pub rep_cpu_ns: Vec<u64>,
    /// Every repetition's total.
    pub totals: Vec<u64>,
    pub expected: u64,
    /// Whether every repetition's total was the expected one.
    pub verified: bool,
    /// Memory the mechanism adds; None where not measured.
    pub footprint: Option<Footprint>,
}

impl ContentionResult {
    /// CPU time per addition of every repetition, ns.
    pub fn rep_cpu_per_add_ns(&self) -> Vec<f64> {
        self.rep_cpu_ns
            .iter()
            .map(|&c| c as f64 / self.adds.max(1) as f64)
            .collect()
    }

    fn add(&mut self, wall: u64, cpu: u64, total: u64) {
        self.rep_wall_ns.push(wall);
        self.rep_cpu_ns.push(cpu);
        self.totals.push(total);
        let med =
            |v: &[u64]| crate::stats::median(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
        self.wall_ns = med(&self.rep_wall_ns);
        self.cpu_ns = med(&self.rep_cpu_ns);
        self.adds_per_s = self.adds as f64 / (self.wall_ns.max(1.0) / 1e9);
        self.cpu_per_add_ns = self.cpu_ns / self.adds.max(1) as f64;
        self.verified = self.totals.iter().all(|&t| t == self.expected);
    }
}

impl Row for ContentionResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "method",
            "workers",
            "reps",
            "wall",
            "adds/s",
            "CPU/add",
            "CPU/add range",
            "extra bytes",
            "answer",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let each = self.rep_cpu_per_add_ns();
        let (lo, hi) = each
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        vec![
            self.unit.to_string(),
            self.method.to_string(),
            self.workers.to_string(),
            self.rep_wall_ns.len().to_string(),
            ns(self.wall_ns),
            rate(self.adds_per_s),
            format!("{:.2} ns", self.cpu_per_add_ns),
            if each.len() > 1 {
                format!("{lo:.2}–{hi:.2} ns")
            } else {
                "–".into()
            },
            match &self.footprint {
                Some(f) => format!("{:.0} B", f.extra_bytes),
                None => "not measured".into(),
            },
            if self.verified { "ok" } else { "WRONG" }.into(),
        ]
    }
}

/// N·M(M+1)/2, wrapping like the workers' sums.
pub fn expected_total(workers: usize, adds: u64) -> u64 {
    let m = adds as u128;
    ((workers as u128 * (m * (m + 1) / 2)) % (1u128 << 64)) as u64
}

/// How the workers add to the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Each worker sums on its own; the sums are merged at the end (no sharing).
    PerWorker,
    Atomic,
    Mutex,
    Rwlock,
    /// Each addition sent to a collector over a channel.
    Channel,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::PerWorker => "per-worker",
            Method::Atomic => "atomic",
            Method::Mutex => "mutex",
            Method::Rwlock => "rwlock",
            Method::Channel => "channel",
        }
    }

    /// The synchronised ways, each compared with per-worker sums.
    pub const SYNCHRONISED: [Method; 4] = [
        Method::Atomic,
        Method::Mutex,
        Method::Rwlock,
        Method::Channel,
    ];
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

const THREAD_METHODS: [Method; 5] = [
    Method::PerWorker,
    Method::Atomic,
    Method::Mutex,
    Method::Rwlock,
    Method::Channel,
];
const PROCESS_METHODS: [Method; 3] = [Method::PerWorker, Method::Atomic, Method::Mutex];

pub fn run(args: &ContentionArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (workers, adds, reps) = (
        settings.workers,
        settings.adds_per_worker,
        settings.repetitions,
    );
    let expected = settings.expected_total;
    // Processes first in each round: they are forked while pingpong is
    // single-threaded.
    let variants: Vec<(UnitKind, Method)> = PROCESS_METHODS
        .iter()
        .map(|&m| (UnitKind::Fork, m))
        .chain(THREAD_METHODS.iter().map(|&m| (UnitKind::Thread, m)))
        .collect();
    let mut s: Session<'_, Settings, ContentionResult> = Session::new(
        "contention",
        "N workers adding to one total",
        c,
        settings,
        variants.len() as u64 * reps as u64,
    )?;
    // Measured before any worker runs, on this one thread.
    let channel = channel_footprint();
    if channel.is_none() {
        s.unavailable(
            "a channel's memory: this C library has no mallinfo2 (glibc 2.33 or later), so its heap growth is not measured",
        );
    }
    let mut rows: Vec<Option<usize>> = vec![None; variants.len()];
    for _ in 0..reps {
        for (i, &(unit, m)) in variants.iter().enumerate() {
            let what = format!("{unit}, {m}, {workers} workers");
            s.start(&what)?;
            let (wall, cpu, total) = match measure_once(unit, m, workers, adds, timeout) {
                Ok(x) => x,
                Err(e) => {
                    s.failed(&what, e)?;
                    continue;
                }
            };
            if total != expected {
                s.note(format!("{what}: WRONG TOTAL {total}, expected {expected}"));
            }
            let mut row = match rows[i] {
                Some(k) => s.doc.results[k].clone(),
                None => {
                    let footprint = footprint(unit, m, channel.as_ref());
                    first_row(unit, m, workers, adds, expected, footprint)
                }
            };
            row.add(wall, cpu, total);
            let k = *rows[i].get_or_insert(s.doc.results.len());
            s.set(k, row)?;
        }
    }
    notes(&mut s, reps, channel.as_ref());
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one variant.
fn prepare(args: &ContentionArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let workers = args.workers.unwrap_or_else(super::cpus);
    if workers == 0 || workers > 1024 {
        return Err(usage(format!(
            "invalid --workers '{workers}': from 1 to 1024"
        )));
    }
    let adds = args
        .adds
        .unwrap_or(if c.quick { 200_000 } else { 1_000_000 });
    if adds == 0 {
        return Err(usage("invalid --adds '0': at least 1"));
    }
    crate::bounds::count(adds, "--adds", crate::bounds::MOST_ROUNDS)?;
    let reps = args.reps.unwrap_or(if c.quick { 2 } else { 3 });
    if reps == 0 || reps > 100 {
        return Err(usage(format!("invalid --reps '{reps}': from 1 to 100")));
    }
    let expected = expected_total(workers, adds);
    let settings = Settings {
        workers,
        adds_per_worker: adds,
        expected_total: expected,
        repetitions: reps,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// One repetition of one variant: wall time, CPU time and the total.
fn measure_once(
    unit: UnitKind,
    m: Method,
    workers: usize,
    adds: u64,
    timeout: Duration,
) -> Result<(u64, u64, u64)> {
    let d = Deadline::after(timeout);
    if unit == UnitKind::Thread {
        threads(m, workers, adds, &d)
    } else {
        super::settle_to_one_thread(Duration::from_secs(1));
        processes(m, workers, adds, &d)
    }
}

/// A variant's row before its first repetition is added.
fn first_row(
    unit: UnitKind,
    m: Method,
    workers: usize,
    adds: u64,
    expected: u64,
    footprint: Option<Footprint>,
) -> ContentionResult {
    ContentionResult {
        unit,
        method: m,
        workers,
        adds: workers as u64 * adds,
        wall_ns: f64::NAN,
        cpu_ns: f64::NAN,
        adds_per_s: f64::NAN,
        cpu_per_add_ns: f64::NAN,
        rep_wall_ns: vec![],
        rep_cpu_ns: vec![],
        totals: vec![],
        expected,
        verified: false,
        footprint,
    }
}

/// What was not measured, and how the figures were.
fn notes(s: &mut Session<'_, Settings, ContentionResult>, reps: u32, channel: Option<&Footprint>) {
    s.unavailable(
        "rwlock and channel between processes: no standard process-shared form (a channel between processes is `pingpong run`)",
    );
    s.note("processes share one MAP_SHARED page; their mutex is a pthread mutex with PTHREAD_PROCESS_SHARED");
    s.note(format!(
        "{reps} repetition(s) of every variant, interleaved (the first of each, then the second…); figures are medians"
    ));
    s.note(
        "extra bytes: beyond the u64 total guarded or carried; locks and atomics by size_of (they live inline), \
         a channel by the heap growth of making channels that each carried one value, plus its two handles",
    );
    if let Some(q) = channel.and_then(|c| c.per_queued_value_bytes) {
        s.note(format!(
            "a channel also holds {q:.1} B of heap per value waiting in it, so a collector that falls behind costs more"
        ));
    }
}

/// What `pingpong contention --json` writes.
pub type ContentionDocument = super::ExperimentDocument<Settings, ContentionResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use super::Method;

    /// CPU time per addition between threads, by `method`.
    pub fn cpu_per_add(method: Method) -> String {
        format!("contention.{}", method.name())
    }

    /// Bytes `method` adds beyond the u64 total it guards or carries (threads).
    pub fn extra_bytes(method: Method) -> String {
        format!("contention.{}.bytes", method.name())
    }
}

impl Witness for ContentionDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for r in self
            .results
            .iter()
            .filter(|r| r.unit == UnitKind::Thread && r.verified)
        {
            if let Some(f) = Figure::of_repetitions(
                &r.rep_cpu_per_add_ns(),
                Unit::Ns,
                format!(
                    "CPU time per addition, {} threads, {} (range over repetitions)",
                    r.workers, r.method
                ),
                cmd,
            ) {
                ev.put(key::cpu_per_add(r.method), f);
            }
            if let Some(fp) = &r.footprint {
                let how = match &fp.how {
                    Footprinting::SizeOf { object, .. } => format!("size_of {object} less a u64"),
                    Footprinting::HeapGrowth { objects, .. } => {
                        format!("heap growth of {objects} channels each used once, plus its two handles")
                    }
                    Footprinting::Nothing => "no synchronisation object".into(),
                };
                ev.put(
                    key::extra_bytes(r.method),
                    Figure::exact(
                        fp.extra_bytes,
                        Unit::Bytes,
                        format!("bytes a {} adds beyond the u64 total ({how})", r.method),
                        cmd,
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_total_is_n_triangles() {
        assert_eq!(expected_total(1, 4), 10);
        assert_eq!(expected_total(3, 100), 3 * 5050);
    }

    fn row(unit: UnitKind, method: Method, cpu: &[u64], total: u64) -> ContentionResult {
        // Two workers, 500 additions each.
        let mut r = first_row(unit, method, 2, 500, 7, footprint(unit, method, None));
        for &c in cpu {
            r.add(c * 2, c, total);
        }
        r
    }

    #[test]
    fn the_witness_gives_cpu_per_addition_over_repetitions_and_exact_bytes() {
        use crate::evidence::Spread;
        let doc = ContentionDocument {
            header: crate::results::Header::new("contention"),
            settings: Settings {
                workers: 2,
                adds_per_worker: 500,
                expected_total: 7,
                repetitions: 3,
                timeout_s: 60.0,
            },
            results: vec![
                row(
                    UnitKind::Thread,
                    Method::Mutex,
                    &[20_000, 10_000, 30_000],
                    7,
                ),
                row(UnitKind::Thread, Method::Atomic, &[5_000, 6_000, 7_000], 8),
                row(UnitKind::Fork, Method::PerWorker, &[1_000; 3], 7),
            ],
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        };
        let mut ev = Evidence::default();
        doc.testify(&mut ev, "pingpong contention");
        let f = ev.figure(&key::cpu_per_add(Method::Mutex)).unwrap();
        assert_eq!((f.value, f.low, f.high), (20.0, 10.0, 30.0));
        assert_eq!(f.spread, Spread::Repetitions { n: 3 });
        let b = ev.figure(&key::extra_bytes(Method::Mutex)).unwrap();
        assert_eq!(b.spread, Spread::Exact);
        assert!(b.value > 0.0);
        // A wrong total shows nothing; processes are not what the rule reads.
        assert!(ev.figure(&key::cpu_per_add(Method::Atomic)).is_none());
        assert!(ev.figure(&key::cpu_per_add(Method::PerWorker)).is_none());
    }
}
