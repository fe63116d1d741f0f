//! Sizing a run to its budget: the default worker counts, what one round
//! is expected to cost (from the kernel's speed on one CPU), and the work
//! and the rounds shrunk until the planned rounds fit.

use super::{kernel, ScaleArgs, Variant, LEAST_WORK, PLANNED_SHARE};
use crate::kinds::{CpuSet, UnitKind};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

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

/// The work and the rounds sized to the budget (what the user gave is
/// kept), and what was shortened to fit it.
pub(super) fn fit(
    args: &ScaleArgs,
    variants: &[Variant],
    budget: Duration,
    cpus: usize,
) -> (u64, u32, Vec<String>) {
    let c = &args.common;
    let mut shortened = Vec::new();
    let ns_per_iter = calibrate();
    let planned = budget.as_secs_f64() * PLANNED_SHARE;
    let mut work = args.work.unwrap_or(if c.quick { 1 << 24 } else { 1 << 26 });
    let mut reps = args.reps.unwrap_or(if c.quick { 3 } else { 5 });
    let estimate = |work| round_estimate(variants, work, ns_per_iter, cpus);
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
    (work, reps, shortened)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const T: UnitKind = UnitKind::Thread;
    const FREE: CpuSet = CpuSet::AllCpus;
    const PIN: CpuSet = CpuSet::OneCpu;

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
}
