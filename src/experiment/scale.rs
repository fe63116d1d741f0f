//! `pingpong scale` (claims T3, T7, P3, T8, A5): a CPU-bound kernel of
//! fixed total work, split over 1..N threads and 1..N forked processes (N
//! the CPUs pingpong may use) plus an oversubscribed 2N, free to use every
//! CPU, then with every worker pinned to one CPU.
//!
//! The kernel sums SplitMix64 over a range of integers (wrapping), so the
//! answer does not depend on how the range is split: every repetition's
//! checksum is checked against one computed serially beforehand.
//!
//! Why it is measured this way:
//! - **Rounds.** Repetitions are interleaved: round k takes repetition k of
//!   every unit × placement × worker count (in alternating order), so a
//!   burst of other load falls on all variants alike, and a speedup is the
//!   ratio of two runs of the *same* round.
//! - **Load.** Other processes' load (their CPU time ÷ wall time,
//!   [`LoadMeter`]) is recorded for every run: during the run itself where
//!   the machine counts CPU time exactly (cgroup v1 cpuacct), else during
//!   its round (`/proc/stat` counts in ticks). On a 2-vCPU machine a 20 ms
//!   burst of some daemon during a 40 ms run halves its speedup, while the
//!   round around it looks quiet. A comparison rests on the rounds in which
//!   both its runs were quiet (others used at most [`DISTURBED_CPUS`]);
//!   disturbed runs are measured again, within the budget; with too few
//!   quiet rounds, on every round, and the load figure says so.
//! - **Budget.** The total work is fixed (more workers take less wall time),
//!   and the default counts are 1, 2, 4, … up to N, N and 2N free, 1, N and
//!   2N pinned, so a round costs about ten serial runs of the work on any
//!   machine; a budget shrinks the work, then the rounds, when the estimate
//!   (from a calibration of the kernel) does not fit, and the notes say so.
//! - **Broken.** A speedup above what the workers and the CPUs allow (plus
//!   10%) cannot be the workers' doing: that measurement is marked broken
//!   and is not evidence.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::ns;
use crate::kinds::{CpuSet, UnitKind};
use crate::measure::load::{BusySource, LoadMeter};
use anyhow::{bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A run during which other processes used more CPUs than this is
/// disturbed: it is measured again, within the budget, and set aside when
/// enough quiet rounds remain.
pub const DISTURBED_CPUS: f64 = 0.25;

/// The fewest quiet rounds a comparison may rest on (fewer planned rounds
/// lower it); with fewer quiet rounds than that, every round is used.
const FEWEST_QUIET: usize = 3;

/// A speedup above (workers, or CPUs, whichever is fewer) × this is broken.
pub const BROKEN_ABOVE: f64 = 1.10;

/// The work is never shrunk below this many iterations (about 5 ms).
const LEAST_WORK: u64 = 1 << 22;

/// The share of the budget the planned rounds may take; the rest is for
/// rounds measured again because they were disturbed.
const PLANNED_SHARE: f64 = 2.0 / 3.0;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Worker counts, comma-separated, for both placements [default: 1, 2,
    /// 4, … up to the CPUs, the CPUs and twice the CPUs; pinned: 1, the
    /// CPUs and twice the CPUs].
    #[arg(long, value_name = "COUNTS")]
    pub workers: Option<String>,

    /// Total work, the same for every worker count: SplitMix64 iterations
    /// [default: 2^26; --quick 2^24; less when the budget needs it].
    #[arg(long, value_name = "N")]
    pub work: Option<u64>,

    /// Rounds: each takes one repetition of every run [default: 5; --quick
    /// 3; fewer when the budget needs it].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    /// Time for the rounds, including rounds measured again because other
    /// processes disturbed them [default: 6s; --quick 1500ms].
    #[arg(long, value_name = "TIME")]
    pub budget: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Worker counts free to use every CPU.
    pub workers: Vec<usize>,
    /// Worker counts pinned to one CPU.
    pub pinned_workers: Vec<usize>,
    pub work_iterations: u64,
    /// Rounds planned (each takes one repetition of every run).
    pub repetitions: u32,
    /// Time allowed for the rounds, s.
    pub budget_s: f64,
    /// A run during which other processes used more CPUs than this is disturbed.
    pub disturbed_cpus: f64,
    /// Where other processes' CPU time was read: exact per run (cpuacct),
    /// or in ticks, so per round (`/proc/stat`).
    pub load_source: BusySource,
    pub kernel: String,
    /// The CPU every worker is pinned to in the pinned runs.
    pub pinned_cpu: usize,
    pub allowed_cpus: usize,
    /// The checksum of the whole work, computed serially before timing.
    pub expected_checksum: u64,
    pub timeout_s: f64,
}

/// One repetition of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rep {
    /// The round that took it (from 0).
    pub round: u32,
    pub wall_ns: u64,
    /// CPU time of all workers (user + system), ns.
    pub cpu_ns: u64,
    pub checksum: u64,
    /// CPUs other processes used during this run (where the load source
    /// is exact), else during its whole round.
    pub others_cpus: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScaleResult {
    /// Threads, or processes made by fork.
    pub unit: UnitKind,
    /// Free to use every CPU, or every worker pinned to one.
    pub placement: CpuSet,
    pub workers: usize,
    /// Every repetition taken, in round order.
    pub reps: Vec<Rep>,
    /// Median wall time over the rounds its comparison rests on
    /// ([`ScaleDocument::pairs`]), ns.
    pub wall_ns: Option<f64>,
    /// Median CPU time over those rounds, ns.
    pub cpu_ns: Option<f64>,
    /// Median over those rounds of the 1-worker wall time (same unit,
    /// placement and round) ÷ this one.
    pub speedup: Option<f64>,
    /// Speedup ÷ workers.
    pub efficiency: Option<f64>,
    /// Every repetition gave the expected checksum.
    pub verified: bool,
    /// Why a repetition did not finish (no more were taken of this run).
    pub failed: Option<String>,
    /// Why this measurement is not evidence: a speedup above what its
    /// workers and CPUs allow.
    pub broken: Option<String>,
}

impl ScaleResult {
    /// A run not yet measured.
    pub fn new(unit: UnitKind, placement: CpuSet, workers: usize) -> ScaleResult {
        ScaleResult {
            unit,
            placement,
            workers,
            reps: Vec::new(),
            wall_ns: None,
            cpu_ns: None,
            speedup: None,
            efficiency: None,
            verified: true,
            failed: None,
            broken: None,
        }
    }

    fn rep(&self, round: u32) -> Option<&Rep> {
        self.reps.iter().find(|r| r.round == round)
    }
}

impl Row for ScaleResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "placement",
            "workers",
            "reps",
            "wall",
            "CPU time",
            "speedup",
            "efficiency",
            "answer",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or("–".into());
        vec![
            self.unit.to_string(),
            self.placement.to_string(),
            self.workers.to_string(),
            self.reps.len().to_string(),
            opt(self.wall_ns, &ns),
            opt(self.cpu_ns, &ns),
            match (&self.broken, self.speedup) {
                (Some(_), Some(s)) => format!("{} BROKEN", super::ratio(s)),
                (_, s) => opt(s, &super::ratio),
            },
            opt(self.efficiency, &super::ratio),
            if !self.verified {
                "WRONG"
            } else if self.failed.is_some() {
                "unfinished"
            } else {
                "ok"
            }
            .into(),
        ]
    }
}

/// What `pingpong scale --json` writes.
pub type ScaleDocument = super::ExperimentDocument<Settings, ScaleResult>;

/// The names of the figures this experiment shows: the rules read them by
/// these functions, so the two cannot disagree.
pub mod key {
    use crate::kinds::{CpuSet, UnitKind};

    /// CPUs pingpong may use.
    pub const CPUS: &str = "scale.cpus";
    /// Whether every run of two or more threads pinned to one CPU finished
    /// with the right answer (a demonstration).
    pub const PINNED_VERIFIED: &str = "scale.pinned-verified";
    /// CPUs other processes used during the rounds the figures rest on.
    pub const LOAD: &str = "scale.load";

    fn unit(u: UnitKind) -> &'static str {
        match u {
            UnitKind::Thread => "threads",
            _ => "processes",
        }
    }

    /// Speedup of the most workers measured (up to the CPUs) over one.
    pub fn speedup(u: UnitKind, cpus: CpuSet) -> String {
        match cpus {
            CpuSet::AllCpus => format!("scale.{}.speedup", unit(u)),
            CpuSet::OneCpu => format!("scale.{}.pinned.speedup", unit(u)),
        }
    }

    /// CPU time ÷ wall time of those workers, free to use every CPU.
    pub fn parallelism(u: UnitKind) -> String {
        format!("scale.{}.parallelism", unit(u))
    }
}

impl ScaleDocument {
    fn rows(&self, unit: UnitKind, cpus: CpuSet) -> impl Iterator<Item = &ScaleResult> {
        self.results.iter().filter(move |r| {
            r.unit == unit && r.placement == cpus && (!r.reps.is_empty() || r.failed.is_some())
        })
    }

    /// The 1-worker row and the row with the most workers that still fit
    /// the CPUs (at least 2), among the rows measured: whatever worker
    /// counts the run was given, this is the pair a speedup compares.
    pub fn one_and_many(
        &self,
        unit: UnitKind,
        cpus: CpuSet,
    ) -> Option<(&ScaleResult, &ScaleResult)> {
        let fit = self.settings.allowed_cpus.max(2);
        let one = self.rows(unit, cpus).find(|r| r.workers == 1)?;
        let many = self
            .rows(unit, cpus)
            .filter(|r| r.workers > 1 && r.workers <= fit)
            .max_by_key(|r| r.workers)?;
        Some((one, many))
    }

    /// The 1-worker row `row` is compared with (itself for a 1-worker row).
    fn partner(&self, row: &ScaleResult) -> Option<&ScaleResult> {
        self.rows(row.unit, row.placement).find(|r| r.workers == 1)
    }

    /// Whether other processes left this repetition alone.
    pub fn quiet(&self, rep: &Rep) -> bool {
        rep.others_cpus <= self.settings.disturbed_cpus
    }

    /// The fewest quiet rounds a comparison may rest on.
    fn enough(&self) -> usize {
        FEWEST_QUIET.min(self.settings.repetitions.max(1) as usize)
    }

    /// The rounds a comparison of `many` with `one` rests on, as pairs of
    /// their repetitions: the rounds in which both were quiet, when there
    /// are enough of them; else every round that measured both. The flag
    /// says which.
    pub fn pairs<'a>(
        &self,
        one: &'a ScaleResult,
        many: &'a ScaleResult,
    ) -> (Vec<(&'a Rep, &'a Rep)>, bool) {
        let all: Vec<(&Rep, &Rep)> = many
            .reps
            .iter()
            .filter_map(|m| Some((one.rep(m.round)?, m)))
            .collect();
        let quiet: Vec<(&Rep, &Rep)> = all
            .iter()
            .copied()
            .filter(|(o, m)| self.quiet(o) && self.quiet(m))
            .collect();
        if quiet.len() >= self.enough() {
            (quiet, true)
        } else {
            (all, false)
        }
    }

    /// `many`'s speedup over `one` in each round it rests on.
    pub fn paired_speedups(&self, one: &ScaleResult, many: &ScaleResult) -> Vec<f64> {
        self.pairs(one, many)
            .0
            .iter()
            .filter(|(_, m)| m.wall_ns > 0)
            .map(|(o, m)| o.wall_ns as f64 / m.wall_ns as f64)
            .collect()
    }

    /// Quiet rounds `row` still lacks (compared with its 1-worker row).
    fn lacking(&self, row: &ScaleResult) -> usize {
        let Some(one) = self.partner(row) else {
            return 0;
        };
        let quiet = row
            .reps
            .iter()
            .filter(|m| self.quiet(m) && one.rep(m.round).is_some_and(|o| self.quiet(o)))
            .count();
        (self.settings.repetitions as usize).saturating_sub(quiet)
    }

    /// The most speedup `row` can honestly show: its workers, or the CPUs
    /// they may use, whichever is fewer.
    fn ceiling(&self, row: &ScaleResult) -> usize {
        let cpus = match row.placement {
            CpuSet::AllCpus => self.settings.allowed_cpus.max(1),
            CpuSet::OneCpu => 1,
        };
        row.workers.min(cpus)
    }

    /// Recomputes every row's medians, speedup and broken mark from the
    /// repetitions its comparison rests on ([`ScaleDocument::pairs`]).
    pub fn summarize(&mut self) {
        let mut out = Vec::with_capacity(self.results.len());
        for row in &self.results {
            let mut r = row.clone();
            let (reps, ratios): (Vec<&Rep>, Vec<f64>) = match self.partner(row) {
                Some(one) => self
                    .pairs(one, row)
                    .0
                    .into_iter()
                    .filter(|(_, m)| m.wall_ns > 0)
                    .map(|(o, m)| (m, o.wall_ns as f64 / m.wall_ns as f64))
                    .unzip(),
                None => (row.reps.iter().collect(), Vec::new()),
            };
            let median = |f: &dyn Fn(&Rep) -> u64| {
                (!reps.is_empty()).then(|| {
                    crate::stats::median(&reps.iter().map(|p| f(p) as f64).collect::<Vec<_>>())
                })
            };
            r.wall_ns = median(&|p| p.wall_ns);
            r.cpu_ns = median(&|p| p.cpu_ns);
            r.speedup = (!ratios.is_empty()).then(|| crate::stats::median(&ratios));
            r.efficiency = r.speedup.map(|s| super::efficiency(s, row.workers));
            let cap = self.ceiling(row);
            r.broken = r
                .speedup
                .filter(|&s| s > cap as f64 * BROKEN_ABOVE)
                .map(|s| {
                    format!(
                        "a speedup of {s:.2}× from {} {} on {} cannot be theirs: at most {cap}× \
                     (plus {:.0}%) is possible, so its runs or the 1-worker runs they are compared with were disturbed",
                        row.workers,
                        row.unit,
                        row.placement,
                        (BROKEN_ABOVE - 1.0) * 100.0
                    )
                });
            out.push(r);
        }
        self.results = out;
    }
}

impl Witness for ScaleDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let cpus = self.settings.allowed_cpus;
        ev.put(
            key::CPUS,
            Figure::exact(cpus as f64, Unit::Cpus, "CPUs pingpong may use", cmd),
        );
        // The others' load during the repetitions each figure rests on; the
        // most disturbed figure's is the load the rules read.
        let mut load: Option<(f64, Vec<f64>, String)> = None;
        for unit in [UnitKind::Thread, UnitKind::Fork] {
            for placement in CpuSet::BOTH {
                let Some((one, many)) = self.one_and_many(unit, placement) else {
                    continue;
                };
                let k = key::speedup(unit, placement);
                if let Some(why) = many
                    .broken
                    .as_ref()
                    .or(many.failed.as_ref())
                    .or(one.failed.as_ref())
                {
                    ev.miss(k, format!("{} {unit} on {placement}: {why}", many.workers));
                    continue;
                }
                let n = many.workers;
                let (pairs, quiet) = self.pairs(one, many);
                let loads: Vec<f64> = pairs
                    .iter()
                    .map(|(o, m)| o.others_cpus.max(m.others_cpus))
                    .collect();
                let worst = crate::stats::median(&loads);
                if worst.is_finite() && load.as_ref().is_none_or(|(w, ..)| worst > *w) {
                    let rounds = format!(
                        "the {} round(s) of {n} {unit} and 1 on {placement}{}",
                        pairs.len(),
                        if quiet {
                            ", all quiet"
                        } else {
                            ", too few of them quiet"
                        }
                    );
                    load = Some((worst, loads, rounds));
                }
                let ratios = self.paired_speedups(one, many);
                if let Some(f) = Figure::of_repetitions(
                    &ratios,
                    Unit::Ratio,
                    format!("speedup of {n} {unit} over 1 on {placement}, round by round"),
                    cmd,
                ) {
                    ev.put(k, f);
                }
                if placement == CpuSet::AllCpus {
                    let par: Vec<f64> = pairs
                        .iter()
                        .filter(|(_, m)| m.wall_ns > 0)
                        .map(|(_, m)| m.cpu_ns as f64 / m.wall_ns as f64)
                        .collect();
                    if let Some(f) = Figure::of_repetitions(
                        &par,
                        Unit::Cpus,
                        format!("CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                        cmd,
                    ) {
                        ev.put(key::parallelism(unit), f);
                    }
                }
            }
        }
        if let Some((_, loads, rounds)) = load {
            if let Some(f) = Figure::of_repetitions(
                &loads,
                Unit::Cpus,
                format!("CPUs other processes used during {rounds} (the most disturbed figure's)"),
                cmd,
            ) {
                ev.put(key::LOAD, f);
            }
        }
        // A5: threads pinned to one CPU take turns; they must all finish
        // with the right answer.
        let pinned: Vec<&ScaleResult> = self
            .results
            .iter()
            .filter(|r| {
                r.placement == CpuSet::OneCpu && r.unit == UnitKind::Thread && r.workers > 1
            })
            .collect();
        let tried: Vec<&&ScaleResult> = pinned
            .iter()
            .filter(|r| !r.reps.is_empty() || r.failed.is_some())
            .collect();
        if tried.is_empty() {
            ev.miss(
                key::PINNED_VERIFIED,
                "no run of two or more threads pinned to one CPU was measured",
            );
            return;
        }
        let wrong: Vec<String> = tried
            .iter()
            .filter(|r| !r.verified)
            .map(|r| r.workers.to_string())
            .collect();
        let unfinished: Vec<String> = tried
            .iter()
            .filter(|r| r.failed.is_some())
            .map(|r| r.workers.to_string())
            .collect();
        let reps: usize = tried.iter().map(|r| r.reps.len()).sum();
        let counts: Vec<String> = tried.iter().map(|r| r.workers.to_string()).collect();
        let mut shown = format!(
            "{reps} run(s) of {} threads pinned to CPU {}",
            counts.join(", "),
            self.settings.pinned_cpu
        );
        if wrong.is_empty() && unfinished.is_empty() {
            shown.push_str(" all finished with the right answer, taking turns on one CPU");
        }
        if !wrong.is_empty() {
            shown.push_str(&format!("; WRONG ANSWER with {} threads", wrong.join(", ")));
        }
        if !unfinished.is_empty() {
            shown.push_str(&format!(
                "; did not finish with {} threads",
                unfinished.join(", ")
            ));
        }
        ev.show(
            key::PINNED_VERIFIED,
            wrong.is_empty() && unfinished.is_empty(),
            shown,
        );
    }
}

/// SplitMix64's output function (Steele, Lea, Flood 2014).
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The kernel: wrapping sum of splitmix64(i) for i in lo..hi. Checks `stop`
/// every 2^20 iterations, so a deadline can end a thread that cannot be killed.
pub fn kernel(lo: u64, hi: u64, stop: &AtomicBool) -> Option<u64> {
    let mut acc = 0u64;
    let mut i = lo;
    while i < hi {
        let end = hi.min(i + (1 << 20));
        for x in i..end {
            acc = acc.wrapping_add(splitmix64(x));
        }
        i = end;
        if stop.load(Ordering::Relaxed) {
            return None;
        }
    }
    Some(acc)
}

/// The kernel's result over 0..work, computed in slices so that Ctrl-C
/// and the deadline end it too (a large `--work` takes seconds).
fn expected_checksum(work: u64, d: &Deadline) -> Result<u64> {
    let never = AtomicBool::new(false);
    let mut acc = 0u64;
    let mut lo = 0;
    while lo < work {
        d.check("computing the expected checksum")?;
        let hi = work.min(lo + (1 << 24));
        acc = acc.wrapping_add(kernel(lo, hi, &never).unwrap_or(0));
        lo = hi;
    }
    Ok(acc)
}

/// The `i`-th of `n` near-equal parts of 0..work.
pub fn part(work: u64, n: usize, i: usize) -> (u64, u64) {
    let n = n as u128;
    let w = work as u128;
    ((w * i as u128 / n) as u64, (w * (i as u128 + 1) / n) as u64)
}

/// The default worker counts: free, 1, 2, 4, … below N, then N and 2N;
/// pinned, 1, N and 2N (at least 2). Either way about ten serial runs of
/// the work per round, on 2 CPUs as on 128.
pub fn default_counts(cpus: usize) -> (Vec<usize>, Vec<usize>) {
    let n = cpus.max(1);
    let mut free: Vec<usize> = std::iter::successors(Some(1usize), |&w| Some(w * 2))
        .take_while(|&w| w < n)
        .collect();
    free.extend([n, 2 * n]);
    let mut pinned = vec![1, n.max(2), 2 * n];
    for v in [&mut free, &mut pinned] {
        v.sort_unstable();
        v.dedup();
    }
    (free, pinned)
}

/// One run to measure: unit, placement, workers.
type Variant = (UnitKind, CpuSet, usize);

/// Seconds one round is expected to take: each run's share of the work at
/// `ns_per_iter`, over the CPUs it may use, plus starting its workers.
fn round_estimate(variants: &[Variant], work: u64, ns_per_iter: f64, cpus: usize) -> f64 {
    variants
        .iter()
        .map(|&(unit, placement, n)| {
            let at_once = match placement {
                CpuSet::AllCpus => n.min(cpus).max(1),
                CpuSet::OneCpu => 1,
            };
            // Rough start-up costs, only to size the work: a fork and its
            // reap, or a thread's spawn and join.
            let start = if unit == UnitKind::Thread {
                30e-6
            } else {
                200e-6
            };
            work as f64 * ns_per_iter * 1e-9 / at_once as f64 + n as f64 * start
        })
        .sum()
}

/// Nanoseconds per kernel iteration on one CPU: the best of a few short runs.
fn calibrate() -> f64 {
    let never = AtomicBool::new(false);
    let chunk = 1u64 << 20;
    (0..5)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(kernel(i * chunk, (i + 1) * chunk, &never));
            t.elapsed().as_nanos() as f64 / chunk as f64
        })
        .fold(f64::INFINITY, f64::min)
        .max(0.01)
}

pub fn run(args: &ScaleArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let cpus = super::cpus();
    let (workers, pinned_workers) = match &args.workers {
        Some(w) => {
            let v = crate::parse::parse_counts(w, "--workers", 1)?;
            if let Some(&n) = v.iter().find(|&&n| n > 1024) {
                return Err(usage(format!("invalid --workers '{n}': at most 1024")));
            }
            (v.clone(), v)
        }
        None => default_counts(cpus),
    };
    if args.work == Some(0) {
        return Err(usage(
            "invalid --work '0': give a positive number of iterations",
        ));
    }
    if args.reps == Some(0) {
        return Err(usage("invalid --reps '0': at least 1"));
    }
    if let Some(w) = args.work {
        crate::bounds::count(w, "--work", 1 << 32)?;
    }
    if let Some(r) = args.reps {
        crate::bounds::count(r as u64, "--reps", crate::bounds::MOST_REPS)?;
    }
    let budget = match &args.budget {
        Some(b) => {
            let d = crate::parse::parse_time(b, "--budget").map_err(usage)?;
            if d.is_zero() {
                return Err(usage("invalid --budget '0': give a positive time, e.g. 6s"));
            }
            d
        }
        None if c.quick => Duration::from_millis(1500),
        None => Duration::from_secs(6),
    };
    let mut variants: Vec<Variant> = Vec::new();
    for (placement, counts) in [
        (CpuSet::AllCpus, &workers),
        (CpuSet::OneCpu, &pinned_workers),
    ] {
        for unit in [UnitKind::Fork, UnitKind::Thread] {
            variants.extend(counts.iter().map(|&n| (unit, placement, n)));
        }
    }
    // Size the work and the rounds to the budget; what the user gave is kept.
    let mut shortened = Vec::new();
    let ns_per_iter = calibrate();
    let planned = budget.as_secs_f64() * PLANNED_SHARE;
    let mut work = args.work.unwrap_or(if c.quick { 1 << 24 } else { 1 << 26 });
    let mut reps = args.reps.unwrap_or(if c.quick { 3 } else { 5 });
    let estimate = |work| round_estimate(&variants, work, ns_per_iter, cpus);
    if args.work.is_none() && estimate(work) * reps as f64 > planned {
        let compute = estimate(work) - estimate(0);
        let room = (planned / reps as f64 - estimate(0)).max(0.0);
        let fitted = ((work as f64 * room / compute.max(1e-9)) as u64).clamp(LEAST_WORK, work);
        if fitted < work {
            shortened.push(format!("the work from {work} to {fitted} iterations"));
            work = fitted;
        }
    }
    if args.reps.is_none() && estimate(work) * reps as f64 > planned {
        let fitted = ((planned / estimate(work)) as u32).clamp(2.min(reps), reps);
        if fitted < reps {
            shortened.push(format!("the rounds from {reps} to {fitted}"));
            reps = fitted;
        }
    }
    let pinned_cpu = crate::measure::placement::allowed_cpus()
        .first()
        .copied()
        .unwrap_or(0);
    let expected = expected_checksum(work, &Deadline::after(timeout))?;
    let settings = Settings {
        workers: workers.clone(),
        pinned_workers: pinned_workers.clone(),
        work_iterations: work,
        repetitions: reps,
        budget_s: budget.as_secs_f64(),
        disturbed_cpus: DISTURBED_CPUS,
        load_source: crate::measure::load::busy_source(),
        kernel: "wrapping sum of SplitMix64(i), i in 0..work".into(),
        pinned_cpu,
        allowed_cpus: cpus,
        expected_checksum: expected,
        timeout_s: timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "scale",
        "fixed CPU-bound work split over workers",
        c,
        settings,
        (variants.len() as u64) * reps as u64,
    )?;
    if cpus == 1 {
        s.unavailable(
            "only one CPU is available to pingpong: the all-CPUs runs equal the one-CPU runs, \
             so parallel speedup cannot be shown here",
        );
    }
    s.doc.results = variants
        .iter()
        .map(|&(u, p, n)| ScaleResult::new(u, p, n))
        .collect();
    let precise = s.doc.settings.load_source == BusySource::Cpuacct;
    let started = Instant::now();
    let mut durations: Vec<f64> = Vec::new();
    let mut round = 0u32;
    let mut out_of_budget = false;
    let mut again = 0usize;
    loop {
        let spent = started.elapsed().as_secs_f64();
        let next = crate::stats::median(&durations);
        let fits = durations.is_empty() || spent + next <= budget.as_secs_f64();
        let live = |i: &usize| s.doc.results[*i].failed.is_none();
        let chosen: Vec<usize> = if round < reps {
            // The planned rounds, at least two of them whatever the budget.
            if round >= 2.min(reps) && !fits {
                out_of_budget = true;
                break;
            }
            (0..variants.len()).filter(live).collect()
        } else {
            // Runs measured again where disturbed repetitions left a
            // comparison short of quiet rounds, with their 1-worker runs.
            let short: Vec<usize> = (0..variants.len())
                .filter(|&i| live(&i) && s.doc.lacking(&s.doc.results[i]) > 0)
                .collect();
            if short.is_empty() || round >= 3 * reps {
                break;
            }
            if !fits {
                out_of_budget = true;
                break;
            }
            (0..variants.len())
                .filter(|&i| {
                    live(&i)
                        && short.iter().any(|&j| {
                            let (u, p, _) = variants[j];
                            j == i || (variants[i] == (u, p, 1))
                        })
                })
                .collect()
        };
        if round >= reps {
            again += chosen.len();
        }
        let round_meter = LoadMeter::start();
        let t0 = Instant::now();
        let mut taken: Vec<(usize, Rep)> = Vec::new();
        let order: Vec<usize> = if round % 2 == 0 {
            chosen
        } else {
            chosen.into_iter().rev().collect()
        };
        for i in order {
            let (unit, placement, n) = variants[i];
            let what = format!("{unit}, {placement}, {n} worker(s), round {}", round + 1);
            s.start(&what)?;
            let d = Deadline::after(timeout);
            let pin = (placement == CpuSet::OneCpu).then_some(pinned_cpu);
            let meter = LoadMeter::start();
            let r = if unit == UnitKind::Thread {
                threads(work, n, pin, &d)
            } else {
                processes(work, n, pin, &d)
            };
            let others = meter.others_cpus();
            match r {
                Ok((wall_ns, cpu_ns, checksum)) => taken.push((
                    i,
                    Rep {
                        round,
                        wall_ns,
                        cpu_ns,
                        checksum,
                        others_cpus: others,
                    },
                )),
                Err(e) => {
                    s.doc.results[i].failed = Some(format!("{e:#}"));
                    s.failed(&what, e)?;
                }
            }
        }
        // Without an exact source, a run is too short to read others' load
        // on its own: every run of the round gets the round's.
        let whole_round = round_meter.others_cpus();
        durations.push(t0.elapsed().as_secs_f64());
        for (i, mut rep) in taken {
            if !precise {
                rep.others_cpus = whole_round;
            }
            let row = &mut s.doc.results[i];
            if rep.checksum != expected {
                row.verified = false;
            }
            row.reps.push(rep);
            s.doc.summarize();
            let row = s.doc.results[i].clone();
            s.set(i, row)?;
        }
        round += 1;
    }
    s.doc.summarize();
    for r in s.doc.results.clone() {
        if !r.verified {
            let sums: Vec<u64> = r.reps.iter().map(|p| p.checksum).collect();
            s.note(format!(
                "{}, {}, {} worker(s): WRONG ANSWER {sums:?}, expected {expected}",
                r.unit, r.placement, r.workers
            ));
        }
        if let Some(b) = &r.broken {
            s.note(format!("broken, not evidence: {b}"));
        }
    }
    let all: Vec<&Rep> = s.doc.results.iter().flat_map(|r| &r.reps).collect();
    let disturbed = all.iter().filter(|p| !s.doc.quiet(p)).count();
    let short: Vec<String> = s
        .doc
        .results
        .iter()
        .filter(|r| r.workers > 1)
        .filter_map(|r| {
            let one = s
                .doc
                .results
                .iter()
                .find(|o| o.unit == r.unit && o.placement == r.placement && o.workers == 1)?;
            (!s.doc.pairs(one, r).1).then(|| format!("{} {} on {}", r.workers, r.unit, r.placement))
        })
        .collect();
    if disturbed > 0 {
        s.note(format!(
            "{disturbed} of {} runs were disturbed (other processes used over {DISTURBED_CPUS} CPUs during {}); \
             {again} runs were measured again, and the figures rest on rounds in which both runs compared were quiet{}",
            all.len(),
            if precise { "them" } else { "their round" },
            if short.is_empty() {
                String::new()
            } else {
                format!(
                    ", except for {}: too few quiet rounds, so every round is used and the figures may misstate what the CPUs can do",
                    short.join(", ")
                )
            }
        ));
    }
    if out_of_budget {
        s.note(format!(
            "the budget of {} was spent after {round} round(s)",
            humantime::format_duration(budget)
        ));
    }
    if !shortened.is_empty() {
        s.note(format!(
            "to fit the budget of {} with {} runs per round, this run shortened {}",
            humantime::format_duration(budget),
            variants.len(),
            shortened.join(" and ")
        ));
    }
    if !workers.contains(&1) {
        s.note("no 1-worker run: speedup and efficiency need one, so they are not given");
    }
    s.note(format!(
        "{cpus} CPU(s) available; speedup = 1-worker wall time / this wall time (same unit, placement and round), \
         median over the rounds used; efficiency = speedup / workers"
    ));
    s.finish()
}

/// One run over threads: (wall ns, CPU ns, checksum).
fn threads(work: u64, n: usize, pin: Option<usize>, d: &Deadline) -> Result<(u64, u64, u64)> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<Result<u64, String>>();
    let cpu0 = crate::measure::rusage::process_cpu_ns();
    let t0 = Instant::now();
    let mut hs = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, stop) = (tx.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            if let Some(c) = pin {
                if let Err(e) = crate::measure::placement::pin_to(c) {
                    let _ = tx.send(Err(format!("{e:#}")));
                    return;
                }
            }
            let (lo, hi) = part(work, n, i);
            if let Some(v) = kernel(lo, hi, &stop) {
                let _ = tx.send(Ok(v));
            }
        }));
    }
    drop(tx);
    let mut total = 0u64;
    let mut failure = None;
    for _ in 0..n {
        match rx.recv_timeout(d.remaining()) {
            Ok(Ok(v)) => total = total.wrapping_add(v),
            Ok(Err(e)) => {
                failure = Some(anyhow::anyhow!(e));
                break;
            }
            Err(_) => {
                failure = Some(anyhow::anyhow!(
                    "{n} worker threads did not finish within {}; told to stop",
                    d.describe()
                ));
                break;
            }
        }
    }
    if failure.is_some() {
        stop.store(true, Ordering::Relaxed);
    }
    for h in hs {
        let _ = h.join();
    }
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = crate::measure::rusage::process_cpu_ns().saturating_sub(cpu0);
    match failure {
        Some(e) => Err(e),
        None => Ok((wall, cpu, total)),
    }
}

/// One run over forked processes: (wall ns, CPU ns, checksum).
fn processes(work: u64, n: usize, pin: Option<usize>, d: &Deadline) -> Result<(u64, u64, u64)> {
    let (r, w) = super::pipe()?;
    let mut kids = Children::default();
    let cpu0 = super::children_cpu_ns();
    let t0 = Instant::now();
    for i in 0..n {
        let wfd = w.as_raw_fd();
        kids.0.push(super::fork_child(move || {
            if let Some(c) = pin {
                if crate::measure::placement::pin_to(c).is_err() {
                    return false;
                }
            }
            let (lo, hi) = part(work, n, i);
            let v = kernel(lo, hi, &AtomicBool::new(false)).unwrap_or(0);
            // SAFETY: writes 8 bytes (atomic on a pipe) from a live buffer.
            unsafe { nix::libc::write(wfd, v.to_le_bytes().as_ptr().cast(), 8) == 8 }
        })?);
    }
    drop(w);
    let mut buf = vec![0u8; 8 * n];
    super::read_within(r.as_fd(), &mut buf, d, "the worker processes").map_err(super::or_killed)?;
    let statuses = kids.reap_all(d, "a worker process")?;
    let wall = t0.elapsed().as_nanos() as u64;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("a worker process did not exit cleanly: {statuses:?}");
    }
    let cpu = super::children_cpu_ns().saturating_sub(cpu0);
    let total = buf
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .fold(0u64, u64::wrapping_add);
    Ok((wall, cpu, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document of `cpus` CPUs from rows (unit, placement, workers, wall
    /// ms per round), CPU time = workers' share at full speed, and the
    /// others' load of each round.
    fn doc(
        cpus: usize,
        loads: &[f64],
        rows: &[(UnitKind, CpuSet, usize, &[f64])],
    ) -> ScaleDocument {
        let results = rows
            .iter()
            .map(|&(u, p, n, walls)| {
                let mut r = ScaleResult::new(u, p, n);
                r.reps = walls
                    .iter()
                    .zip(loads)
                    .enumerate()
                    .map(|(i, (&w, &l))| Rep {
                        round: i as u32,
                        wall_ns: (w * 1e6) as u64,
                        cpu_ns: 100_000_000,
                        checksum: 7,
                        others_cpus: l,
                    })
                    .collect();
                r
            })
            .collect();
        let mut d = ScaleDocument {
            header: crate::results::Header::new("scale"),
            settings: Settings {
                workers: vec![1, 2],
                pinned_workers: vec![1, 2],
                work_iterations: 1 << 20,
                repetitions: loads.len() as u32,
                budget_s: 6.0,
                disturbed_cpus: DISTURBED_CPUS,
                load_source: BusySource::Cpuacct,
                kernel: String::new(),
                pinned_cpu: 0,
                allowed_cpus: cpus,
                expected_checksum: 7,
                timeout_s: 60.0,
            },
            results,
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        };
        d.summarize();
        d
    }

    const T: UnitKind = UnitKind::Thread;
    const FREE: CpuSet = CpuSet::AllCpus;
    const PIN: CpuSet = CpuSet::OneCpu;

    fn evidence(d: &ScaleDocument) -> Evidence {
        let mut ev = Evidence::default();
        d.testify(&mut ev, "pingpong scale");
        ev
    }

    #[test]
    fn default_counts_run_from_one_to_the_cpus_and_twice_them() {
        assert_eq!(default_counts(1), (vec![1, 2], vec![1, 2]));
        assert_eq!(default_counts(2), (vec![1, 2, 4], vec![1, 2, 4]));
        assert_eq!(default_counts(3), (vec![1, 2, 3, 6], vec![1, 3, 6]));
        let (free, pinned) = default_counts(128);
        assert_eq!(free, vec![1, 2, 4, 8, 16, 32, 64, 128, 256]);
        assert_eq!(pinned, vec![1, 128, 256]);
    }

    #[test]
    fn a_round_costs_about_ten_serial_runs_on_2_cpus_as_on_128() {
        for cpus in [1, 2, 3, 16, 128] {
            let (free, pinned) = default_counts(cpus);
            let mut v: Vec<Variant> = Vec::new();
            for (p, counts) in [(FREE, &free), (PIN, &pinned)] {
                for u in [UnitKind::Fork, T] {
                    v.extend(counts.iter().map(|&n| (u, p, n)));
                }
            }
            // 1 ns per iteration, 1e9 iterations: one serial run is 1 s.
            let compute =
                round_estimate(&v, 1_000_000_000, 1.0, cpus) - round_estimate(&v, 0, 1.0, cpus);
            assert!(
                compute <= 12.0,
                "{cpus} CPUs: {compute} serial runs per round"
            );
        }
    }

    #[test]
    fn figures_rest_on_the_quiet_rounds_when_there_are_enough() {
        let loads = [0.0, 1.5, 0.1, 0.05, 0.2];
        let d = doc(
            2,
            &loads,
            &[
                (T, FREE, 1, &[100.0, 300.0, 100.0, 100.0, 100.0]),
                (T, FREE, 2, &[50.0, 50.0, 50.0, 50.0, 52.0]),
            ],
        );
        let (pairs, quiet) = d.pairs(&d.results[0], &d.results[1]);
        assert!(quiet);
        assert_eq!(
            pairs.iter().map(|(_, m)| m.round).collect::<Vec<_>>(),
            [0, 2, 3, 4]
        );
        // Round 1's disturbed baseline (6×) is set aside, not evidence.
        let ev = evidence(&d);
        let f = ev.figure(&key::speedup(T, FREE)).unwrap();
        assert!(f.high <= 2.0 && f.low > 1.9, "{f:?}");
        assert_eq!(f.spread, crate::evidence::Spread::Repetitions { n: 4 });
        assert!(ev.figure(key::LOAD).unwrap().high <= DISTURBED_CPUS);
        // With too few quiet rounds, every round is used, and the load says so.
        let d = doc(
            2,
            &[0.0, 1.5, 1.2],
            &[(T, FREE, 1, &[100.0; 3]), (T, FREE, 2, &[50.0; 3])],
        );
        assert!(!d.pairs(&d.results[0], &d.results[1]).1);
        assert!(evidence(&d).figure(key::LOAD).unwrap().value > DISTURBED_CPUS);
    }

    #[test]
    fn a_disturbed_run_sets_aside_only_the_comparisons_it_is_in_and_is_measured_again() {
        let rows: [(UnitKind, CpuSet, usize, &[f64]); 4] = [
            (T, FREE, 1, &[100.0; 4]),
            (T, FREE, 2, &[50.0, 90.0, 50.0, 50.0]),
            (UnitKind::Fork, FREE, 1, &[100.0; 4]),
            (UnitKind::Fork, FREE, 2, &[50.0; 4]),
        ];
        let mut d = doc(2, &[0.0; 4], &rows);
        d.results[1].reps[1].others_cpus = 0.8;
        d.summarize();
        let rounds = |d: &ScaleDocument, i: usize| -> Vec<u32> {
            d.pairs(&d.results[i - 1], &d.results[i])
                .0
                .iter()
                .map(|(_, m)| m.round)
                .collect()
        };
        assert_eq!(rounds(&d, 1), [0, 2, 3]);
        assert_eq!(rounds(&d, 3), [0, 1, 2, 3]);
        assert_eq!(d.results[1].speedup, Some(2.0));
        // Four rounds were planned: the threads' comparison lacks one.
        assert_eq!(d.lacking(&d.results[1]), 1);
        assert_eq!(d.lacking(&d.results[3]), 0);
    }

    #[test]
    fn a_speedup_beyond_the_workers_or_the_cpus_is_broken_and_not_evidence() {
        // 2 threads 2.6× faster than 1 on 2 CPUs; pinned 2 threads 1.3× on one CPU.
        let d = doc(
            2,
            &[0.0, 0.0, 0.0],
            &[
                (T, FREE, 1, &[260.0; 3]),
                (T, FREE, 2, &[100.0; 3]),
                (T, PIN, 1, &[130.0; 3]),
                (T, PIN, 2, &[100.0; 3]),
            ],
        );
        for r in &d.results {
            assert_eq!(r.broken.is_some(), r.workers == 2, "{r:?}");
        }
        let ev = evidence(&d);
        for p in CpuSet::BOTH {
            let k = key::speedup(T, p);
            assert!(ev.figure(&k).is_none());
            assert!(
                ev.missing[&k].why.contains("cannot be theirs"),
                "{:?}",
                ev.missing[&k]
            );
        }
        assert!(ev.figure(&key::parallelism(T)).is_none());
    }

    #[test]
    fn one_round_gives_figures_without_an_interval() {
        let d = doc(2, &[0.0], &[(T, FREE, 1, &[100.0]), (T, FREE, 2, &[55.0])]);
        let ev = evidence(&d);
        for k in [key::speedup(T, FREE), key::parallelism(T), key::LOAD.into()] {
            assert_eq!(
                ev.figure(&k).unwrap().spread,
                crate::evidence::Spread::Exact,
                "{k}"
            );
        }
    }

    #[test]
    fn pinned_threads_show_a5_only_when_every_run_finished_right() {
        let rows: [(UnitKind, CpuSet, usize, &[f64]); 2] =
            [(T, PIN, 1, &[100.0; 3]), (T, PIN, 2, &[100.0; 3])];
        let mut d = doc(2, &[0.0; 3], &rows);
        assert!(evidence(&d).demo(key::PINNED_VERIFIED).unwrap().shows_claim);
        d.results[1].verified = false;
        let ev = evidence(&d);
        let demo = ev.demo(key::PINNED_VERIFIED).unwrap();
        assert!(
            !demo.shows_claim && demo.shown.contains("WRONG"),
            "{demo:?}"
        );
        d.results[1].verified = true;
        d.results[1].failed = Some("did not finish within 1s".into());
        assert!(!evidence(&d).demo(key::PINNED_VERIFIED).unwrap().shows_claim);
        // No pinned threads measured: no demonstration, and why.
        let d = doc(2, &[0.0; 3], &rows[..1]);
        let ev = evidence(&d);
        assert!(ev.demo(key::PINNED_VERIFIED).is_none());
        assert!(ev.missing.contains_key(key::PINNED_VERIFIED));
    }

    #[test]
    fn parts_cover_the_work_exactly() {
        for n in 1..9 {
            let mut next = 0;
            for i in 0..n {
                let (lo, hi) = part(1000, n, i);
                assert_eq!(lo, next);
                next = hi;
            }
            assert_eq!(next, 1000);
        }
    }

    #[test]
    fn the_answer_does_not_depend_on_the_split() {
        let stop = AtomicBool::new(false);
        let whole = kernel(0, 10_000, &stop).unwrap();
        let split = (0..3)
            .map(|i| {
                let (lo, hi) = part(10_000, 3, i);
                kernel(lo, hi, &stop).unwrap()
            })
            .fold(0u64, u64::wrapping_add);
        assert_eq!(whole, split);
    }

    #[test]
    fn splitmix_matches_the_reference() {
        // First output of the reference generator seeded with 0.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
