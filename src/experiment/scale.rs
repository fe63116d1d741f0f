//! `pingpong scale` (claims T3, T7, P3, T8, A5): a CPU-bound kernel of
//! fixed total work, split over 1..N threads and 1..N processes (N up to
//! twice the CPUs), free to use every CPU, then with every worker pinned to
//! one CPU.
//!
//! The kernel sums SplitMix64 over a range of integers (wrapping), so the
//! answer does not depend on how the range is split: every run's checksum is
//! checked against one computed serially beforehand. Speedup is the 1-worker
//! wall time of the same unit and placement over this one; efficiency is
//! speedup per worker. Wall times are medians over the repetitions.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::ns;
use crate::kinds::{CpuSet, UnitKind};
use anyhow::{bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Worker counts, comma-separated [default: 1 to twice the CPUs].
    #[arg(long, value_name = "COUNTS")]
    pub workers: Option<String>,

    /// Total work: SplitMix64 iterations [default: 2^25; --quick 2^21].
    #[arg(long, value_name = "N")]
    pub work: Option<u64>,

    /// Repetitions of each run; the median wall time is reported [default: 3; --quick 1].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub workers: Vec<usize>,
    pub work_iterations: u64,
    pub repetitions: u32,
    pub kernel: String,
    /// The CPU every worker is pinned to in the pinned runs.
    pub pinned_cpu: usize,
    pub allowed_cpus: usize,
    /// The checksum of the whole work, computed serially before timing.
    pub expected_checksum: u64,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScaleResult {
    /// Threads, or processes made by fork.
    pub unit: UnitKind,
    /// Free to use every CPU, or every worker pinned to one.
    pub placement: CpuSet,
    pub workers: usize,
    /// Median wall time over the repetitions, ns.
    pub wall_ns: f64,
    /// Each repetition's wall time, ns.
    pub rep_wall_ns: Vec<u64>,
    /// CPU time of all workers (user + system), median over repetitions, ns.
    pub cpu_ns: f64,
    /// 1-worker wall time (same unit, same placement) / this one.
    pub speedup: f64,
    pub efficiency: f64,
    /// Checksum of every repetition (all must equal the expected one).
    pub checksums: Vec<u64>,
    pub verified: bool,
}

impl Row for ScaleResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "placement",
            "workers",
            "wall",
            "CPU time",
            "speedup",
            "efficiency",
            "answer",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.unit.to_string(),
            self.placement.to_string(),
            self.workers.to_string(),
            ns(self.wall_ns),
            ns(self.cpu_ns),
            super::ratio(self.speedup),
            super::ratio(self.efficiency),
            if self.verified { "ok" } else { "WRONG" }.into(),
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
    /// Whether every pinned run gave the right answer (a demonstration).
    pub const PINNED_VERIFIED: &str = "scale.pinned-verified";

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
        self.results
            .iter()
            .filter(move |r| r.unit == unit && r.placement == cpus && !r.rep_wall_ns.is_empty())
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
}

impl Witness for ScaleDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let cpus = self.settings.allowed_cpus;
        ev.put(
            key::CPUS,
            Figure::exact(cpus as f64, Unit::Cpus, "CPUs pingpong may use", cmd),
        );
        let walls = |r: &ScaleResult| r.rep_wall_ns.iter().map(|&w| w as f64).collect::<Vec<_>>();
        for unit in [UnitKind::Thread, UnitKind::Fork] {
            for placement in CpuSet::BOTH {
                let Some((one, many)) = self.one_and_many(unit, placement) else {
                    continue;
                };
                let n = many.workers;
                if placement == CpuSet::AllCpus && many.wall_ns > 0.0 {
                    ev.put(
                        key::parallelism(unit),
                        Figure::exact(
                            many.cpu_ns / many.wall_ns,
                            Unit::Cpus,
                            format!("CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                            cmd,
                        ),
                    );
                }
                ev.put(
                    key::speedup(unit, placement),
                    Figure::speedup(
                        &walls(one),
                        &walls(many),
                        format!(
                            "speedup of {n} {unit} over 1 on {placement} (range over repetitions)"
                        ),
                        cmd,
                    ),
                );
            }
        }
        let pinned: Vec<&ScaleResult> = self
            .results
            .iter()
            .filter(|r| r.placement == CpuSet::OneCpu)
            .collect();
        if !pinned.is_empty() {
            let ok = pinned.iter().filter(|r| r.verified).count();
            ev.show(
                key::PINNED_VERIFIED,
                ok == pinned.len(),
                format!(
                    "{ok} of {} runs with every worker pinned to one CPU finished with the right answer",
                    pinned.len()
                ),
            );
        }
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

pub fn run(args: &ScaleArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let cpus = super::cpus();
    let workers = match &args.workers {
        Some(w) => crate::parse::parse_counts(w, "--workers", 1)?,
        None => (1..=2 * cpus).collect(),
    };
    if let Some(&n) = workers.iter().find(|&&n| n > 1024) {
        return Err(usage(format!("invalid --workers '{n}': at most 1024")));
    }
    let work = args.work.unwrap_or(if c.quick { 1 << 21 } else { 1 << 25 });
    if work == 0 {
        return Err(usage(
            "invalid --work '0': give a positive number of iterations",
        ));
    }
    crate::bounds::count(work, "--work", 1 << 32)?;
    let reps = args.reps.unwrap_or(if c.quick { 1 } else { 3 });
    if reps == 0 {
        return Err(usage("invalid --reps '0': at least 1"));
    }
    crate::bounds::count(reps as u64, "--reps", crate::bounds::MOST_REPS)?;
    let pinned_cpu = crate::measure::placement::allowed_cpus()
        .first()
        .copied()
        .unwrap_or(0);
    let expected = expected_checksum(work, &Deadline::after(timeout))?;
    let settings = Settings {
        workers: workers.clone(),
        work_iterations: work,
        repetitions: reps,
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
        (workers.len() * 4) as u64,
    )?;
    if cpus == 1 {
        s.unavailable(
            "only one CPU is available to pingpong: the all-CPUs runs equal the one-CPU runs, \
             so parallel speedup cannot be shown here",
        );
    }
    for placement in CpuSet::BOTH {
        let pinned = placement == CpuSet::OneCpu;
        for unit in [UnitKind::Fork, UnitKind::Thread] {
            let mut base: Option<f64> = None;
            for &n in &workers {
                let what = format!("{unit}, {placement}, {n} worker(s)");
                s.start(&what)?;
                let mut walls = Vec::new();
                let mut cpu = Vec::new();
                let mut sums = Vec::new();
                let mut err = None;
                for _ in 0..reps {
                    let d = Deadline::after(timeout);
                    let pin = pinned.then_some(pinned_cpu);
                    let r = if unit == UnitKind::Thread {
                        threads(work, n, pin, &d)
                    } else {
                        processes(work, n, pin, &d)
                    };
                    match r {
                        Ok((w, c, sum)) => {
                            walls.push(w);
                            cpu.push(c as f64);
                            sums.push(sum);
                        }
                        Err(e) => {
                            err = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = err {
                    s.failed(&what, e)?;
                    continue;
                }
                let wall =
                    crate::stats::median(&walls.iter().map(|&w| w as f64).collect::<Vec<_>>());
                if n == 1 {
                    base = Some(wall);
                }
                let sp = base.map(|b| super::speedup(b, wall)).unwrap_or(f64::NAN);
                let share = crate::stats::median(&cpu) / wall;
                if n == 1 && share < 0.9 {
                    s.note(format!(
                        "the machine was busy: one {unit} worker ({placement}) got only {:.0}% of a CPU \
                         (CPU time / wall time), so speedups in this run understate what the CPUs can do",
                        share * 100.0
                    ));
                }
                let verified = sums.iter().all(|&x| x == expected);
                if !verified {
                    s.note(format!(
                        "{what}: WRONG ANSWER {sums:?}, expected {expected}"
                    ));
                }
                s.push(ScaleResult {
                    unit,
                    placement,
                    workers: n,
                    wall_ns: wall,
                    rep_wall_ns: walls,
                    cpu_ns: crate::stats::median(&cpu),
                    speedup: sp,
                    efficiency: super::efficiency(sp, n),
                    checksums: sums,
                    verified,
                })?;
            }
        }
    }
    if !workers.contains(&1) {
        s.note("no 1-worker run: speedup and efficiency need one, so they are not given");
    }
    s.note(format!(
        "{cpus} CPU(s) available; speedup = 1-worker wall time / this wall time (same unit and placement); efficiency = speedup / workers"
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
