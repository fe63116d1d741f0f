//! `pingpong memory` (claim P9): memory added per idle unit, for 1, 10, 100
//! and 1,000 threads and processes (fork and spawn), each count measured
//! several times, the repetitions interleaved across the variants (the first
//! of every variant, then the second…), so that a drift of the machine
//! touches them all alike.
//!
//! Figures come from `/proc/PID/smaps_rollup` (RSS, PSS, and USS = private
//! clean + private dirty) and `/proc/PID/status` (VmSize). The figure that
//! decides is the **family's** PSS: a forked child's PSS is charged to the
//! child, but the parent's PSS falls by the pages they now share, so a
//! child's own PSS overstates what it adds. Processes: (parent after + every
//! child − parent before) ÷ units; threads: the growth of pingpong (the one
//! process) ÷ units. USS beside it: what each unit holds alone (a child's own
//! private pages; for threads the growth of pingpong's). RSS counts pages a
//! child shares with its parent in full, in every child. Kernel memory (a
//! 16 KiB kernel stack per thread or process, page tables, task structs) is
//! in none of these and is not counted.
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); reading a process's memory from `/proc` is in
//! `smaps.rs`, the idle units and what they add in `idle.rs`.

mod idle;
mod smaps;

pub use idle::idle_main;
pub use smaps::{family_pss_growth, parse_rollup, sum};

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::kinds::UnitKind;
use anyhow::Result;
use clap::Args;
use idle::{processes, stack_for, threads};
use serde::{Deserialize, Serialize};
use smaps::rollup;
use std::time::Duration;

/// The hidden subcommand an idle re-executed child runs.
pub const IDLE: &str = "__idle";

#[derive(Debug, Args)]
pub struct MemoryArgs {
    /// How many idle units at once, comma-separated [default: 1,10,100,1000; --quick 1,10,100].
    #[arg(long, value_name = "COUNTS")]
    pub units: Option<String>,

    /// Repetitions of every variant, interleaved across them [default: 3; --quick 2].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub units: Vec<usize>,
    /// Repetitions of every variant, interleaved across them.
    pub repetitions: u32,
    /// Stack reserved per thread in the first repetition (one page more in
    /// each next, so that no thread reuses an ended thread's stack).
    pub thread_stack_bytes: usize,
    pub source: String,
    pub timeout_s: f64,
}

/// Memory of one process, KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mem {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// Private_Clean + Private_Dirty.
    pub uss_kib: u64,
}

/// One repetition of one variant, per unit, KiB. None where unreadable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RepMemory {
    /// PSS the family gained, ÷ units: processes (parent after + children −
    /// parent before); threads, the growth of pingpong.
    pub pss_kib_per_unit: Option<f64>,
    /// What each unit holds alone: a child's private pages; for threads the
    /// growth of pingpong's private pages ÷ units.
    pub uss_kib_per_unit: Option<f64>,
    /// Processes: the children's RSS (shared pages counted in every child);
    /// threads: the growth of pingpong's.
    pub rss_kib_per_unit: Option<f64>,
    pub vsz_kib_per_unit: Option<f64>,
    /// Processes: how much the parent's own PSS changed, KiB (it falls by
    /// the pages its children now share); None for threads.
    pub parent_pss_change_kib: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryResult {
    /// Threads, processes made by fork, or processes made by spawn (re-exec).
    pub unit: UnitKind,
    pub units: usize,
    /// How the figures were counted.
    pub counted: String,
    /// Medians over the repetitions of the figures in `reps`, KiB per unit.
    pub pss_kib_per_unit: Option<f64>,
    pub uss_kib_per_unit: Option<f64>,
    pub rss_kib_per_unit: Option<f64>,
    pub vsz_kib_per_unit: Option<f64>,
    /// Every repetition, in the order taken.
    pub reps: Vec<RepMemory>,
    /// Children whose figures were read in every repetition (processes), or 0.
    pub children_counted: usize,
    /// Stack reserved per unit's main thread, as named by the OS/std.
    pub stack: String,
}

impl MemoryResult {
    fn median_of(&self, f: fn(&RepMemory) -> Option<f64>) -> Option<f64> {
        let v: Vec<f64> = self.reps.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| crate::stats::median(&v))
    }

    /// One repetition's figures of `f`, all of them (empty if any is unreadable).
    pub fn series(&self, f: fn(&RepMemory) -> Option<f64>) -> Vec<f64> {
        self.reps
            .iter()
            .map(f)
            .collect::<Option<Vec<f64>>>()
            .unwrap_or_default()
    }

    fn add(&mut self, r: RepMemory) {
        self.reps.push(r);
        self.pss_kib_per_unit = self.median_of(|r| r.pss_kib_per_unit);
        self.uss_kib_per_unit = self.median_of(|r| r.uss_kib_per_unit);
        self.rss_kib_per_unit = self.median_of(|r| r.rss_kib_per_unit);
        self.vsz_kib_per_unit = self.median_of(|r| r.vsz_kib_per_unit);
    }
}

impl Row for MemoryResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "count",
            "reps",
            "family PSS/unit",
            "USS/unit",
            "RSS/unit",
            "virtual/unit",
            "stack",
            "counted",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let k = |v: Option<f64>, f: fn(&RepMemory) -> Option<f64>| match v {
            None => "n/a".to_string(),
            Some(v) => {
                let all = self.series(f);
                if all.len() > 1 {
                    let (lo, hi) = all
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                            (a.min(x), b.max(x))
                        });
                    format!("{} ({}–{})", kib(v), kib(lo), kib(hi))
                } else {
                    kib(v)
                }
            }
        };
        vec![
            self.unit.to_string(),
            self.units.to_string(),
            self.reps.len().to_string(),
            k(self.pss_kib_per_unit, |r| r.pss_kib_per_unit),
            k(self.uss_kib_per_unit, |r| r.uss_kib_per_unit),
            k(self.rss_kib_per_unit, |r| r.rss_kib_per_unit),
            k(self.vsz_kib_per_unit, |r| r.vsz_kib_per_unit),
            self.stack.clone(),
            self.counted.clone(),
        ]
    }
}

/// What `pingpong memory --json` writes.
pub type MemoryDocument = super::ExperimentDocument<Settings, MemoryResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use crate::kinds::UnitKind;

    /// PSS the family gains per idle unit, at the largest count measured.
    pub fn pss_per_unit(unit: UnitKind) -> String {
        format!("memory.{}.per-unit", unit.name())
    }

    /// USS (what each unit holds alone) per idle unit, at the same count.
    pub fn uss_per_unit(unit: UnitKind) -> String {
        format!("memory.{}.uss-per-unit", unit.name())
    }
}

impl Witness for MemoryDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        // The largest count measured: fixed costs of the parent matter least there.
        for unit in [UnitKind::Thread, UnitKind::Fork, UnitKind::Spawn] {
            let Some(r) = self
                .results
                .iter()
                .filter(|r| r.unit == unit && !r.series(|m| m.pss_kib_per_unit).is_empty())
                .max_by_key(|r| r.units)
            else {
                continue;
            };
            let whose = if unit == UnitKind::Thread {
                "pingpong's PSS growth"
            } else {
                "the family's PSS growth (parent + children)"
            };
            let n = r.units;
            let figures = [
                (
                    key::pss_per_unit(unit),
                    r.series(|m| m.pss_kib_per_unit),
                    format!("{whose} per idle unit of {unit}, {n} at once (range over repetitions)"),
                ),
                (
                    key::uss_per_unit(unit),
                    r.series(|m| m.uss_kib_per_unit),
                    format!("USS (private pages) per idle unit of {unit}, {n} at once (range over repetitions)"),
                ),
            ];
            for (k, series, what) in figures {
                if let Some(f) = Figure::of_repetitions(&series, Unit::KiB, what, cmd) {
                    ev.put(k, f);
                }
            }
        }
    }
}

fn kib(v: f64) -> String {
    if v.abs() >= 10240.0 {
        format!("{:.1} MiB", v / 1024.0)
    } else {
        format!("{v:.1} KiB")
    }
}

pub(super) const THREAD_STACK: usize = 2 << 20;

pub fn run(args: &MemoryArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let reps = settings.repetitions;
    let variants: Vec<(usize, UnitKind)> = settings
        .units
        .iter()
        .flat_map(|&n| [UnitKind::Fork, UnitKind::Spawn, UnitKind::Thread].map(|k| (n, k)))
        .collect();
    let mut s: Session<'_, Settings, MemoryResult> = Session::new(
        "memory",
        "memory added per idle unit",
        c,
        settings,
        variants.len() as u64 * reps as u64,
    )?;
    let self_readable = rollup("self").is_ok();
    if !self_readable {
        s.unavailable(
            "/proc/self/smaps_rollup is unreadable here (kernel before 4.14, or /proc restricted): \
             RSS, PSS and USS are not reported",
        );
    }
    // The row of each variant in the document, once it has one.
    let mut rows: Vec<Option<usize>> = vec![None; variants.len()];
    for rep in 0..reps {
        for (i, &(n, kind)) in variants.iter().enumerate() {
            let what = format!("{n} idle {kind}");
            s.start(&what)?;
            let (rep, counted) = match measure_once(kind, n, rep, timeout) {
                Ok(x) => x,
                Err(e) => {
                    s.failed(&what, e)?;
                    continue;
                }
            };
            if kind.is_process() && counted < n {
                s.unavailable(format!(
                    "{} child(ren)'s smaps_rollup could not be read: PSS/USS for those units not reported",
                    n - counted
                ));
            }
            let mut row = match rows[i] {
                Some(k) => s.doc.results[k].clone(),
                None => first_row(kind, n, counted),
            };
            row.children_counted = row.children_counted.min(counted);
            row.add(rep);
            let k = *rows[i].get_or_insert(s.doc.results.len());
            s.set(k, row)?;
        }
    }
    notes(&mut s, reps);
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one variant.
fn prepare(args: &MemoryArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let units = match &args.units {
        Some(u) => crate::parse::parse_counts(u, "--units", 1)?,
        None if c.quick => vec![1, 10, 100],
        None => vec![1, 10, 100, 1000],
    };
    if let Some(&n) = units.iter().find(|&&n| n > 10_000) {
        return Err(usage(format!("invalid --units '{n}': at most 10000")));
    }
    let reps = args.reps.unwrap_or(if c.quick { 2 } else { 3 });
    if reps == 0 || reps > 100 {
        return Err(usage(format!("invalid --reps '{reps}': from 1 to 100")));
    }
    let settings = Settings {
        units: units.clone(),
        repetitions: reps,
        thread_stack_bytes: THREAD_STACK,
        source: "/proc/PID/smaps_rollup and /proc/PID/status".into(),
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// Repetition `rep` (from 0) of `n` idle units of `kind`: their memory, and
/// how many were counted.
fn measure_once(
    kind: UnitKind,
    n: usize,
    rep: u32,
    timeout: Duration,
) -> Result<(RepMemory, usize)> {
    let d = Deadline::after(timeout);
    match kind {
        UnitKind::Thread => threads(n, stack_for(rep), &d),
        UnitKind::Fork => {
            super::settle_to_one_thread(Duration::from_secs(1));
            processes(n, &d, true)
        }
        _ => processes(n, &d, false),
    }
}

/// A variant's row before its first repetition is added.
fn first_row(kind: UnitKind, n: usize, counted: usize) -> MemoryResult {
    MemoryResult {
        unit: kind,
        units: n,
        counted: if kind == UnitKind::Thread {
            "growth of pingpong".into()
        } else {
            "parent's change + every child".into()
        },
        pss_kib_per_unit: None,
        uss_kib_per_unit: None,
        rss_kib_per_unit: None,
        vsz_kib_per_unit: None,
        reps: Vec::new(),
        children_counted: counted,
        stack: if kind == UnitKind::Thread {
            format!("{} reserved", crate::format::format_size(THREAD_STACK))
        } else {
            "8 MiB max (RLIMIT_STACK), grows on use".into()
        },
    }
}

/// What the figures count, and what they leave out.
fn notes(s: &mut Session<'_, Settings, MemoryResult>, reps: u32) {
    s.note(
        "family PSS: processes, (parent's PSS after + every child's PSS − parent's PSS before) ÷ units, \
         since the parent's PSS falls by the pages it now shares; threads, the growth of pingpong ÷ units",
    );
    s.note(
        "USS: what each unit holds alone (a child's private pages; threads: the growth of pingpong's); \
         RSS: processes, each child's whole resident set (shared pages counted in every child)",
    );
    s.note("kernel memory (kernel stacks, page tables, task structs) is in none of these figures");
    s.note(
        "threads ask for a stack one page larger in each repetition, so that glibc's cache of ended \
         threads' stacks cannot serve them: every repetition measures fresh threads, like the fresh processes",
    );
    s.note(format!(
        "{reps} repetition(s) of every variant, interleaved (the first of each, then the second…); figures are medians (range over repetitions)"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_reports_the_median_of_its_repetitions_and_every_one() {
        let mut r = MemoryResult {
            unit: UnitKind::Fork,
            units: 10,
            counted: String::new(),
            pss_kib_per_unit: None,
            uss_kib_per_unit: None,
            rss_kib_per_unit: None,
            vsz_kib_per_unit: None,
            reps: vec![],
            children_counted: 10,
            stack: String::new(),
        };
        for v in [30.0, 10.0, 20.0] {
            r.add(RepMemory {
                pss_kib_per_unit: Some(v),
                ..Default::default()
            });
        }
        assert_eq!(r.pss_kib_per_unit, Some(20.0));
        assert_eq!(r.series(|m| m.pss_kib_per_unit), vec![30.0, 10.0, 20.0]);
        // One unreadable repetition: no series (never a partial one), no median of it.
        assert!(r.series(|m| m.uss_kib_per_unit).is_empty());
        assert_eq!(r.uss_kib_per_unit, None);
    }

    fn doc(reps: &[f64]) -> MemoryDocument {
        let row = |unit, units, pss: &[f64]| {
            let mut r = MemoryResult {
                unit,
                units,
                counted: String::new(),
                pss_kib_per_unit: None,
                uss_kib_per_unit: None,
                rss_kib_per_unit: None,
                vsz_kib_per_unit: None,
                reps: vec![],
                children_counted: 0,
                stack: String::new(),
            };
            for &v in pss {
                r.add(RepMemory {
                    pss_kib_per_unit: Some(v),
                    uss_kib_per_unit: Some(v / 2.0),
                    ..Default::default()
                });
            }
            r
        };
        super::super::ExperimentDocument {
            header: crate::results::Header::new("memory"),
            settings: Settings {
                units: vec![1, 100],
                repetitions: reps.len() as u32,
                thread_stack_bytes: THREAD_STACK,
                source: String::new(),
                timeout_s: 60.0,
            },
            results: vec![
                row(UnitKind::Fork, 1, &[999.0; 3]),
                row(UnitKind::Fork, 100, reps),
                row(UnitKind::Thread, 100, reps),
            ],
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        }
    }

    #[test]
    fn the_witness_gives_the_largest_count_with_its_range_over_repetitions() {
        use crate::evidence::Spread;
        let mut ev = Evidence::default();
        doc(&[120.0, 130.0, 110.0]).testify(&mut ev, "pingpong memory");
        let f = ev.figure(&key::pss_per_unit(UnitKind::Fork)).unwrap();
        assert_eq!((f.value, f.low, f.high), (120.0, 110.0, 130.0));
        assert_eq!(f.spread, Spread::Repetitions { n: 3 });
        let u = ev.figure(&key::uss_per_unit(UnitKind::Fork)).unwrap();
        assert_eq!((u.value, u.low, u.high), (60.0, 55.0, 65.0));
        assert!(ev.figure(&key::pss_per_unit(UnitKind::Thread)).is_some());
        // Spawn was not measured: no figure, never a made-up one.
        assert!(ev.figure(&key::pss_per_unit(UnitKind::Spawn)).is_none());
    }

    #[test]
    fn one_repetition_gives_a_single_value_never_an_interval() {
        use crate::evidence::Spread;
        let mut ev = Evidence::default();
        doc(&[120.0]).testify(&mut ev, "pingpong memory");
        let f = ev.figure(&key::pss_per_unit(UnitKind::Fork)).unwrap();
        assert_eq!(f.spread, Spread::Exact);
    }
}
