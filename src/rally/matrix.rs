//! `pingpong run --cpus matrix`: `spin` between every ordered pair of CPUs,
//! each pair measured briefly, kept in the JSON as a matrix for a heatmap
//! (the picture core-to-core-latency's users rebuild by hand).
//!
//! Why a separate path rather than more cells of the ordinary matrix: the
//! cells of `run` are combined across repetitions by unit, channel and size,
//! which would merge every pair into one row; here the pair *is* the result.
//! The total time is bounded ([`BUDGET`]): each pair gets an equal share
//! between [`MIN_PER_PAIR`] and [`MAX_PER_PAIR`], and once the budget is
//! spent the remaining pairs are left unmeasured (null) and said to be, so
//! a machine with hundreds of CPUs still finishes. SMT siblings and NUMA
//! nodes are read from /sys and kept beside the figures.

use crate::ball::Verify;
use crate::engine::{self, Match, Played};
use crate::kinds::Placement;
use crate::kinds::{Length, Pattern};
use crate::measure::placement;
use crate::plan::RunPlan;
use crate::player::Script;
use crate::results::{CpuLabel, CpuMatrix, MatrixCell};
use anyhow::Result;
use std::time::{Duration, Instant};

/// All pairs together take at most about this long (set-up included).
pub const BUDGET: Duration = Duration::from_secs(30);
/// Shortest timed part of one pair.
pub const MIN_PER_PAIR: Duration = Duration::from_millis(20);
/// Longest timed part of one pair (on a machine with few CPUs).
pub const MAX_PER_PAIR: Duration = Duration::from_millis(300);
/// Untimed round trips before each pair's timing.
const WARMUP: u64 = 200;

/// The CPU's SMT siblings and NUMA node, from /sys.
fn label(cpu: usize) -> CpuLabel {
    let base = format!("/sys/devices/system/cpu/cpu{cpu}");
    let smt_siblings = std::fs::read_to_string(format!("{base}/topology/thread_siblings_list"))
        .map(|s| parse_cpu_list(s.trim()))
        .unwrap_or_else(|_| vec![cpu]);
    let numa_node = std::fs::read_dir(&base).ok().and_then(|d| {
        d.flatten().find_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("node"))
                .and_then(|n| n.parse().ok())
        })
    });
    CpuLabel {
        cpu,
        smt_siblings,
        numa_node,
    }
}

/// Parses a /sys CPU list such as `0-3,8,10-11`.
pub fn parse_cpu_list(s: &str) -> Vec<usize> {
    let mut v = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    v.extend(a..=b);
                }
            }
            None => v.extend(part.parse::<usize>().ok()),
        }
    }
    v
}

/// How two CPUs are related: SMT siblings, the same NUMA node, or not.
fn relation(a: &CpuLabel, b: &CpuLabel) -> &'static str {
    if a.smt_siblings.contains(&b.cpu) {
        "smt-siblings"
    } else if a.numa_node.is_some() && a.numa_node == b.numa_node {
        "same-node"
    } else if a.numa_node.is_none() || b.numa_node.is_none() {
        "unknown-node"
    } else {
        "cross-node"
    }
}

/// Measures every ordered pair of the CPUs pingpong may use.
pub fn measure(
    plan: &RunPlan,
    clock_cost_ns: f64,
    mut on_pair: impl FnMut(usize, usize),
) -> Result<CpuMatrix> {
    let cell = plan.cells[0];
    let cpus = placement::allowed_cpus();
    let labels: Vec<CpuLabel> = cpus.iter().map(|&c| label(c)).collect();
    let pairs = pairs(cpus.len());
    let share = if pairs.is_empty() {
        MAX_PER_PAIR
    } else {
        (BUDGET / pairs.len() as u32 / 2).clamp(MIN_PER_PAIR, MAX_PER_PAIR)
    };
    let mut median = vec![vec![None; cpus.len()]; cpus.len()];
    let mut cells = Vec::new();
    let mut errors = Vec::new();
    let start = Instant::now();
    for &(i, j) in &pairs {
        let (a, b) = (cpus[i], cpus[j]);
        if start.elapsed() >= BUDGET || crate::interrupt::interrupted() {
            break;
        }
        on_pair(a, b);
        let m = pair_match(plan, share, clock_cost_ns, a, b);
        let rel = relation(&labels[i], &labels[j]);
        match engine::play(&m, None) {
            Ok(played) => {
                let c = matrix_cell(&played, a, b, rel);
                median[i][j] = c.median_ns;
                cells.push(c);
            }
            Err(e) => {
                if crate::error::exit_code(&e) != 1 {
                    return Err(e);
                }
                errors.push(format!("CPUs {a},{b}: {e:#}"));
            }
        }
    }
    let notes = notes(&cpus, cells.len(), pairs.len());
    Ok(CpuMatrix {
        unit: cell.unit.name().into(),
        channel: cell.channel.name().into(),
        size: cell.size,
        cpus,
        labels,
        per_pair_s: share.as_secs_f64(),
        budget_s: BUDGET.as_secs_f64(),
        pairs_total: pairs.len(),
        pairs_measured: cells.len(),
        median_ns: median,
        cells,
        errors,
        notes,
    })
}

/// Every ordered pair of `n` CPUs (by index), a CPU never with itself.
fn pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .collect()
}

/// The match of one pair: a rally of the plan's first cell for `share`,
/// ping pinned to CPU `a` and pong to CPU `b`.
fn pair_match(
    plan: &RunPlan,
    share: Duration,
    clock_cost_ns: f64,
    a: usize,
    b: usize,
) -> Match<'_> {
    let cell = plan.cells[0];
    Match {
        unit: cell.unit,
        channel: cell.channel,
        script: Script {
            size: cell.size,
            pattern: Pattern::Rally,
            length: Length::Time(share),
            warmup_rounds: WARMUP,
            verify: plan.verify.unwrap_or(Verify::All),
            batch: plan.batch,
            clock_cost_ns,
            lossy: false,
            fault: None,
            pace: None,
            payload: plan.payload,
        },
        placement: Placement::Pinned { ping: a, pong: b },
        timeout: share + Duration::from_secs(10),
        loss_timeout: plan.loss_timeout,
    }
}

/// The cell of one pair from its match: the median round trip, if every
/// ball came back intact and in turn.
fn matrix_cell(played: &Played, a: usize, b: usize, rel: &str) -> MatrixCell {
    let timing = played.ping.timing.clone().unwrap_or_default();
    let h = crate::stats::histogram_from(&timing.samples);
    let ok = played.ping.tally.corrupted + played.pong.tally.corrupted == 0
        && played.ping.tally.out_of_order == 0;
    let med = (!h.is_empty() && ok).then(|| h.value_at_quantile(0.5) as f64);
    MatrixCell {
        ping: a,
        pong: b,
        relation: rel.into(),
        median_ns: med,
        rounds: timing.rounds,
        verified: ok,
    }
}

/// What the matrix leaves out: the pairs a machine of one or two CPUs
/// has, and the pairs the budget did not reach.
fn notes(cpus: &[usize], measured: usize, total: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if cpus.len() == 2 {
        notes.push(format!(
            "this machine lets pingpong use 2 CPUs ({}): the matrix is the one pair, both ways",
            placement::cpu_list(cpus)
        ));
    }
    if cpus.len() < 2 {
        notes.push("pingpong may use only one CPU here: there is no pair to measure".into());
    }
    if measured < total {
        notes.push(format!(
            "the {}s budget ran out: {} of {} pairs measured, the rest are null",
            BUDGET.as_secs(),
            measured,
            total
        ));
    }
    notes
}

/// The matrix as text: rows are ping's CPU, columns pong's.
pub fn render(m: &CpuMatrix) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} between {}, {} B balls: median round trip (ns), row = ping's CPU, column = pong's CPU",
        m.channel, m.unit, m.size
    );
    let _ = write!(out, "{:>6}", "");
    for c in &m.cpus {
        let _ = write!(out, "{c:>10}");
    }
    out.push('\n');
    for (i, a) in m.cpus.iter().enumerate() {
        let _ = write!(out, "{a:>6}");
        for v in &m.median_ns[i] {
            match v {
                Some(ns) => {
                    let _ = write!(out, "{ns:>10.0}");
                }
                None => {
                    let _ = write!(out, "{:>10}", "—");
                }
            }
        }
        out.push('\n');
    }
    for l in &m.labels {
        let _ = writeln!(
            out,
            "cpu {}: SMT siblings {}, NUMA node {}",
            l.cpu,
            placement::cpu_list(&l.smt_siblings),
            l.numa_node
                .map(|n| n.to_string())
                .unwrap_or_else(|| "unknown".into())
        );
    }
    for e in &m.errors {
        let _ = writeln!(out, "error: {e}");
    }
    for n in &m.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_cpu_lists_parse() {
        assert_eq!(parse_cpu_list("0-3,8,10-11"), vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(parse_cpu_list("5"), vec![5]);
        assert!(parse_cpu_list("").is_empty());
    }

    #[test]
    fn siblings_come_before_nodes() {
        let a = CpuLabel {
            cpu: 0,
            smt_siblings: vec![0, 1],
            numa_node: Some(0),
        };
        let b = CpuLabel {
            cpu: 1,
            smt_siblings: vec![0, 1],
            numa_node: Some(0),
        };
        let c = CpuLabel {
            cpu: 2,
            smt_siblings: vec![2],
            numa_node: Some(1),
        };
        assert_eq!(relation(&a, &b), "smt-siblings");
        assert_eq!(relation(&a, &c), "cross-node");
    }
}
