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
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); the kernel is in `kernel.rs`, one run over threads or
//! processes in `units.rs`, sizing the runs to the budget in `budget.rs`,
//! the interleaved rounds and measuring disturbed runs again in
//! `rounds.rs`, which rounds a comparison rests on in `comparison.rs`.

mod budget;
mod comparison;
mod kernel;
mod rounds;
mod units;

pub use budget::default_counts;
pub use kernel::{kernel, part, splitmix64};

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::ns;
use crate::kinds::{CpuSet, UnitKind};
use crate::measure::load::BusySource;
use anyhow::Result;
use clap::Args;
use kernel::expected_checksum;
use rounds::{Plan, Rounds};
use serde::{Deserialize, Serialize};
use std::time::Duration;

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

impl Witness for ScaleDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let cpus = self.settings.allowed_cpus;
        ev.put(
            key::CPUS,
            Figure::exact(cpus as f64, Unit::Cpus, "CPUs pingpong may use", cmd),
        );
        // The others' load during the repetitions each figure rests on; the
        // most disturbed figure's is the load the rules read.
        let mut load: Load = None;
        for unit in [UnitKind::Thread, UnitKind::Fork] {
            for placement in CpuSet::BOTH {
                self.testify_speedup(ev, cmd, unit, placement, &mut load);
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
        self.testify_pinned(ev);
    }
}

/// The others' load during the rounds a figure rests on, and which rounds.
type Load = Option<(f64, Vec<f64>, String)>;

impl ScaleDocument {
    /// The speedup of the most workers over one, of `unit` on `placement`
    /// (free to use every CPU, also how many ran at once), or why it is
    /// missing; `load` keeps the most disturbed figure's load.
    fn testify_speedup(
        &self,
        ev: &mut Evidence,
        cmd: &str,
        unit: UnitKind,
        placement: CpuSet,
        load: &mut Load,
    ) {
        let Some((one, many)) = self.one_and_many(unit, placement) else {
            return;
        };
        let k = key::speedup(unit, placement);
        if let Some(why) = many
            .broken
            .as_ref()
            .or(many.failed.as_ref())
            .or(one.failed.as_ref())
        {
            ev.miss(k, format!("{} {unit} on {placement}: {why}", many.workers));
            return;
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
            *load = Some((worst, loads, rounds));
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

    /// A5: whether every run of two or more threads pinned to one CPU
    /// finished with the right answer, or why nothing shows it.
    fn testify_pinned(&self, ev: &mut Evidence) {
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

/// One run to measure: unit, placement, workers.
type Variant = (UnitKind, CpuSet, usize);

pub fn run(args: &ScaleArgs) -> Result<i32> {
    let asked = prepare(args)?;
    let variants = variants(&asked.workers, &asked.pinned_workers);
    let (work, reps, shortened) = budget::fit(args, &variants, asked.budget, asked.cpus);
    let pinned_cpu = crate::measure::placement::allowed_cpus()
        .first()
        .copied()
        .unwrap_or(0);
    let expected = expected_checksum(work, &Deadline::after(asked.timeout))?;
    let settings = Settings {
        workers: asked.workers.clone(),
        pinned_workers: asked.pinned_workers.clone(),
        work_iterations: work,
        repetitions: reps,
        budget_s: asked.budget.as_secs_f64(),
        disturbed_cpus: DISTURBED_CPUS,
        load_source: crate::measure::load::busy_source(),
        kernel: "wrapping sum of SplitMix64(i), i in 0..work".into(),
        pinned_cpu,
        allowed_cpus: asked.cpus,
        expected_checksum: expected,
        timeout_s: asked.timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "scale",
        "fixed CPU-bound work split over workers",
        &args.common,
        settings,
        (variants.len() as u64) * reps as u64,
    )?;
    if asked.cpus == 1 {
        s.unavailable(
            "only one CPU is available to pingpong: the all-CPUs runs equal the one-CPU runs, \
             so parallel speedup cannot be shown here",
        );
    }
    s.doc.results = variants
        .iter()
        .map(|&(u, p, n)| ScaleResult::new(u, p, n))
        .collect();
    let plan = Plan {
        variants: &variants,
        work,
        reps,
        budget: asked.budget,
        timeout: asked.timeout,
        pinned_cpu,
        expected,
    };
    let rounds = rounds::measure(&mut s, &plan)?;
    notes(&mut s, &plan, &rounds, &shortened, &asked);
    s.finish()
}

/// What the command line asks, checked (one clear line for a bad value).
struct Asked {
    workers: Vec<usize>,
    pinned_workers: Vec<usize>,
    budget: Duration,
    /// The timeout of one run.
    timeout: Duration,
    /// CPUs pingpong may use.
    cpus: usize,
}

/// The worker counts, the budget and the timeout from the command line,
/// with `--work` and `--reps` checked.
fn prepare(args: &ScaleArgs) -> Result<Asked> {
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
    Ok(Asked {
        workers,
        pinned_workers,
        budget,
        timeout,
        cpus,
    })
}

/// Every run to measure: both units with each worker count, free to use
/// every CPU, then pinned to one.
fn variants(workers: &[usize], pinned_workers: &[usize]) -> Vec<Variant> {
    let mut variants: Vec<Variant> = Vec::new();
    for (placement, counts) in [(CpuSet::AllCpus, workers), (CpuSet::OneCpu, pinned_workers)] {
        for unit in [UnitKind::Fork, UnitKind::Thread] {
            variants.extend(counts.iter().map(|&n| (unit, placement, n)));
        }
    }
    variants
}

/// What the figures rest on and what the run changed to fit its budget.
fn notes(
    s: &mut Session<'_, Settings, ScaleResult>,
    plan: &Plan,
    rounds: &Rounds,
    shortened: &[String],
    asked: &Asked,
) {
    let precise = s.doc.settings.load_source == BusySource::Cpuacct;
    let expected = plan.expected;
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
             {} runs were measured again, and the figures rest on rounds in which both runs compared were quiet{}",
            all.len(),
            rounds.again,
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
    if rounds.out_of_budget {
        s.note(format!(
            "the budget of {} was spent after {} round(s)",
            rounds.round,
            humantime::format_duration(plan.budget)
        ));
    }
    if !shortened.is_empty() {
        s.note(format!(
            "to fit the budget of {} with {} runs per round, this run shortened {}",
            humantime::format_duration(plan.budget),
            plan.variants.len(),
            shortened.join(" and ")
        ));
    }
    if !asked.workers.contains(&1) {
        s.note("no 1-worker run: speedup and efficiency need one, so they are not given");
    }
    s.note(format!(
        "{} CPU(s) available; speedup = 1-worker wall time / this wall time (same unit, placement and round), \
         median over the rounds used; efficiency = speedup / workers",
        asked.cpus
    ));
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
}
