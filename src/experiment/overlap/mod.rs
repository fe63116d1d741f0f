//! `pingpong overlap` (claims T6, A1): does the processor work while one
//! task waits? N units each do K rounds of a little computing then a wait on
//! I/O (a blocking `read` of its own timer, `timerfd`), one after another on
//! one thread (serial), as N threads at once, and as N forked processes at
//! once.
//!
//! Every unit runs on one CPU (pingpong pins itself to the first CPU it may
//! use, and its threads and children inherit that): the claims are about
//! *the* processor idling while a task waits, and on one CPU the gain can
//! come only from filling that idle time, not from running on more CPUs
//! (which is `scale`'s business).
//!
//! The computing is a fixed amount of work (the SplitMix64 kernel of
//! `scale`, calibrated to the asked time once, alone), so that when units
//! share CPUs it takes longer rather than doing less. Two mixes by default:
//! mostly waiting (80% of each round) and half waiting (50%), so
//! that how much the overlap buys can be seen to depend on how much is
//! waiting. Reported for every repetition, the repetitions interleaved
//! across the variants: wall time, CPU time (this process and its reaped
//! children), and CPU utilisation = CPU time ÷ wall time, in CPUs.
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); what a unit does, and the three ways of running units
//! (serial, threads, forked processes), are in `units.rs`.

mod units;

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::ns;
use anyhow::Result;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use units::{processes, serial, threads, Work};

/// The longest wait of one unit (a sleep is not interrupted by Ctrl-C).
const MAX_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Args)]
pub struct OverlapArgs {
    /// Units at once [default: 4].
    #[arg(long, short = 'u', value_name = "N")]
    pub units: Option<usize>,

    /// Rounds of computing then waiting, per unit [default: 8; --quick 4].
    #[arg(long, value_name = "K")]
    pub rounds: Option<u32>,

    /// Length of one round, computing + waiting, when alone [default: 5ms].
    #[arg(long, value_name = "TIME")]
    pub round: Option<String>,

    /// Share of each round spent waiting, in percent, one mix each
    /// [default: 80,50].
    #[arg(long, value_name = "PERCENTS")]
    pub waiting: Option<String>,

    /// Repetitions of every variant, interleaved across them [default: 3; --quick 2].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// One mix of computing and waiting.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mix {
    /// Share of each round spent waiting, percent.
    pub waiting_percent: u32,
    pub compute_ns: u64,
    pub wait_ns: u64,
    /// Kernel iterations that take `compute_ns` alone (calibrated).
    pub compute_iterations: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub units: usize,
    pub rounds: u32,
    pub round_ns: u64,
    pub mixes: Vec<Mix>,
    /// Repetitions of every variant, interleaved across them.
    pub repetitions: u32,
    /// The one CPU every unit ran on; None if pinning was refused (then
    /// the units were free to use every CPU, and a note says so).
    pub cpu: Option<usize>,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverlapResult {
    /// Share of each round spent waiting, percent (the mix).
    pub waiting_percent: u32,
    pub unit: Runner,
    pub units: usize,
    /// Medians over the repetitions.
    pub wall_ns: f64,
    pub cpu_ns: f64,
    /// CPU time ÷ wall time, median over the repetitions (1.0 = one CPU busy throughout).
    pub cpu_use: f64,
    /// Serial wall time (same mix) ÷ this one, medians.
    /// None without a serial run of this mix to compare with.
    pub speedup: Option<f64>,
    /// Every repetition, in the order taken.
    pub rep_wall_ns: Vec<u64>,
    pub rep_cpu_ns: Vec<u64>,
    /// The repetition (from 1) each entry above belongs to: a runner is
    /// compared with the serial run of the same repetition, taken moments
    /// apart under the same conditions.
    pub rep_numbers: Vec<u32>,
    /// Units that finished every round, in every repetition.
    pub completed: usize,
}

impl OverlapResult {
    /// CPU utilisation of every repetition, CPUs.
    pub fn rep_cpu_use(&self) -> Vec<f64> {
        self.rep_cpu_ns
            .iter()
            .zip(&self.rep_wall_ns)
            .map(|(&c, &w)| c as f64 / w.max(1) as f64)
            .collect()
    }

    /// For every repetition both rows have: (serial wall ÷ this wall, this
    /// CPU use ÷ serial CPU use).
    pub fn paired_with(&self, serial: &OverlapResult) -> Vec<(f64, f64)> {
        let (mine, theirs) = (self.rep_cpu_use(), serial.rep_cpu_use());
        self.rep_numbers
            .iter()
            .enumerate()
            .filter_map(|(k, n)| {
                let j = serial.rep_numbers.iter().position(|m| m == n)?;
                let wall = self.rep_wall_ns[k].max(1) as f64;
                Some((
                    serial.rep_wall_ns[j] as f64 / wall,
                    mine[k] / theirs[j].max(f64::MIN_POSITIVE),
                ))
            })
            .collect()
    }

    /// Adds a repetition; `serial_wall` is the serial median of the same
    /// mix (None for the serial row itself, whose speedup is 1).
    fn add(&mut self, rep: u32, wall: u64, cpu: u64, serial_wall: Option<f64>) {
        self.rep_numbers.push(rep);
        self.rep_wall_ns.push(wall);
        self.rep_cpu_ns.push(cpu);
        let med =
            |v: &[u64]| crate::stats::median(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
        self.wall_ns = med(&self.rep_wall_ns);
        self.cpu_ns = med(&self.rep_cpu_ns);
        self.cpu_use = crate::stats::median(&self.rep_cpu_use());
        let serial = match self.unit {
            Runner::Serial => Some(self.wall_ns),
            _ => serial_wall,
        };
        self.speedup = serial
            .map(|s| super::speedup(s, self.wall_ns))
            .filter(|v| v.is_finite());
    }
}

impl Row for OverlapResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "waiting",
            "unit",
            "units",
            "reps",
            "wall",
            "CPU time",
            "CPU use",
            "speedup vs serial",
            "completed",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            format!("{}%", self.waiting_percent),
            self.unit.to_string(),
            self.units.to_string(),
            self.rep_wall_ns.len().to_string(),
            ns(self.wall_ns),
            ns(self.cpu_ns),
            format!("{:.2} CPUs", self.cpu_use),
            super::ratio(self.speedup.unwrap_or(f64::NAN)),
            format!("{}/{}", self.completed, self.units),
        ]
    }
}

/// Who does the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runner {
    /// One unit after another on one thread (the baseline).
    Serial,
    Threads,
    ProcessesFork,
}

impl Runner {
    pub fn name(self) -> &'static str {
        match self {
            Runner::Serial => "serial",
            Runner::Threads => "threads",
            Runner::ProcessesFork => "processes-fork",
        }
    }
}

impl std::fmt::Display for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn cpu_now() -> u64 {
    crate::measure::rusage::process_cpu_ns() + super::children_cpu_ns()
}

pub fn run(args: &OverlapArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (units, rounds, reps) = (settings.units, settings.rounds, settings.repetitions);
    let mixes = settings.mixes.clone();
    let runners = [Runner::Serial, Runner::ProcessesFork, Runner::Threads];
    let variants: Vec<(usize, Runner)> = (0..mixes.len())
        .flat_map(|m| runners.map(|r| (m, r)))
        .collect();
    let mut s: Session<'_, Settings, OverlapResult> = Session::new(
        "overlap",
        "units computing and waiting on I/O, at once vs one after another",
        c,
        settings,
        variants.len() as u64 * reps as u64,
    )?;
    pin_to_one_cpu(&mut s);
    let mut rows: Vec<Option<usize>> = vec![None; variants.len()];
    for rep in 1..=reps {
        for (i, &(m, runner)) in variants.iter().enumerate() {
            let mix = &mixes[m];
            let work = Work {
                rounds,
                iterations: mix.compute_iterations,
                wait: Duration::from_nanos(mix.wait_ns),
            };
            let what = format!(
                "{units} × {rounds} rounds, {}% waiting, {runner}",
                mix.waiting_percent
            );
            s.start(&what)?;
            let (wall, cpu, completed) = match measure_once(runner, units, &work, timeout) {
                Ok(m) => m,
                Err(e) => {
                    s.failed(&what, e)?;
                    continue;
                }
            };
            // The serial row of this mix, for the speedup.
            let serial_wall = variants
                .iter()
                .position(|&v| v == (m, Runner::Serial))
                .and_then(|j| rows[j])
                .map(|k| s.doc.results[k].wall_ns);
            let mut row = match rows[i] {
                Some(k) => s.doc.results[k].clone(),
                None => first_row(mix, runner, units, completed),
            };
            row.completed = row.completed.min(completed);
            row.add(rep, wall, cpu, serial_wall);
            let k = *rows[i].get_or_insert(s.doc.results.len());
            s.set(k, row)?;
        }
    }
    if let Some(cpu) = s.doc.settings.cpu {
        s.note(format!(
            "every unit ran on CPU {cpu} (pinned): CPU use is at most 1 CPU, and a gain comes from filling idle time"
        ));
    }
    s.note(format!(
        "each unit: {rounds} rounds of a fixed amount of computing (calibrated on CPU time, alone), then a blocking read() of its own timerfd"
    ));
    s.note(format!(
        "{reps} repetition(s) of every variant, interleaved (the first of each, then the second…); figures are medians"
    ));
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one variant.
fn prepare(args: &OverlapArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let units = args.units.unwrap_or(4);
    if units == 0 || units > 1000 {
        return Err(usage(format!("invalid --units '{units}': from 1 to 1000")));
    }
    let rounds = args.rounds.unwrap_or(if c.quick { 4 } else { 8 });
    if rounds == 0 || rounds > 10_000 {
        return Err(usage(format!(
            "invalid --rounds '{rounds}': from 1 to 10000"
        )));
    }
    let round = match &args.round {
        Some(r) => crate::bounds::parse_time(r, "--round", MAX_WAIT)?,
        None => Duration::from_millis(5),
    };
    if round < Duration::from_micros(100) || round > Duration::from_secs(10) {
        return Err(usage(format!(
            "invalid --round '{}': from 100us to 10s",
            humantime::format_duration(round)
        )));
    }
    let waiting = match &args.waiting {
        Some(w) => crate::parse::parse_counts(w, "--waiting", 0)?,
        None => vec![80, 50],
    };
    if let Some(&p) = waiting.iter().find(|&&p| p > 100) {
        return Err(usage(format!(
            "invalid --waiting '{p}': percents from 0 to 100"
        )));
    }
    let reps = args.reps.unwrap_or(if c.quick { 2 } else { 3 });
    if reps == 0 || reps > 100 {
        return Err(usage(format!("invalid --reps '{reps}': from 1 to 100")));
    }
    let settings = Settings {
        units,
        rounds,
        round_ns: round.as_nanos() as u64,
        mixes: mixes(&waiting, round),
        repetitions: reps,
        cpu: None,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// One mix per waiting share: the round split into computing (in kernel
/// iterations, calibrated once) and waiting.
fn mixes(waiting: &[usize], round: Duration) -> Vec<Mix> {
    let per = super::responsive::ns_per_iteration();
    waiting
        .iter()
        .map(|&p| {
            let wait = round * p as u32 / 100;
            let compute = round - wait;
            Mix {
                waiting_percent: p as u32,
                compute_ns: compute.as_nanos() as u64,
                wait_ns: wait.as_nanos() as u64,
                compute_iterations: if compute.is_zero() {
                    0
                } else {
                    super::responsive::iterations_for(compute, per)
                },
            }
        })
        .collect()
}

/// Pins pingpong (and so every unit) to the first CPU it may use, or notes
/// why not.
fn pin_to_one_cpu(s: &mut Session<'_, Settings, OverlapResult>) {
    let first = crate::measure::placement::allowed_cpus()
        .first()
        .copied()
        .unwrap_or(0);
    match crate::measure::placement::pin_to(first) {
        Ok(()) => s.doc.settings.cpu = Some(first),
        Err(e) => s.note(format!(
            "the units could not be pinned to one CPU ({e:#}): they were free to use every CPU, so a gain may come from running on more CPUs as well as from filling idle time"
        )),
    }
}

/// One repetition of one variant: its wall time, its CPU time (this process
/// and its reaped children), and how many units finished every round.
fn measure_once(
    runner: Runner,
    units: usize,
    work: &Work,
    timeout: Duration,
) -> Result<(u64, u64, usize)> {
    if runner == Runner::ProcessesFork {
        super::settle_to_one_thread(Duration::from_secs(1));
    }
    let d = Deadline::after(timeout);
    let cpu0 = cpu_now();
    let t0 = Instant::now();
    let r = match runner {
        Runner::Serial => serial(units, work, &d),
        Runner::Threads => threads(units, work, &d),
        Runner::ProcessesFork => processes(units, work, &d),
    };
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = cpu_now().saturating_sub(cpu0);
    Ok((wall, cpu, r?))
}

/// A variant's row before its first repetition is added.
fn first_row(mix: &Mix, runner: Runner, units: usize, completed: usize) -> OverlapResult {
    OverlapResult {
        waiting_percent: mix.waiting_percent,
        unit: runner,
        units,
        wall_ns: f64::NAN,
        cpu_ns: f64::NAN,
        cpu_use: f64::NAN,
        speedup: None,
        rep_wall_ns: vec![],
        rep_cpu_ns: vec![],
        rep_numbers: vec![],
        completed,
    }
}

/// What `pingpong overlap --json` writes.
pub type OverlapDocument = super::ExperimentDocument<Settings, OverlapResult>;

/// The names of the figures this experiment shows (read by the rules too).
/// Mixes are numbered from 0 in the order measured.
pub mod key {
    use super::Runner;

    /// How many units worked at once.
    pub const UNITS: &str = "overlap.units";

    /// The share of each round mix `i`'s units spend waiting, percent.
    pub fn waiting(i: usize) -> String {
        format!("overlap.mix{i}.waiting")
    }

    /// Serial wall time ÷ `runner`'s, mix `i`: each repetition's ratio,
    /// their median and range.
    pub fn speedup(i: usize, runner: Runner) -> String {
        format!("overlap.mix{i}.{}.speedup", runner.name())
    }

    /// `runner`'s CPU use ÷ the serial run's, mix `i`, per repetition alike.
    pub fn cpu_use_gain(i: usize, runner: Runner) -> String {
        format!("overlap.mix{i}.{}.cpu-use-gain", runner.name())
    }

    /// CPU time ÷ wall time of `runner`, mix `i`.
    pub fn cpu_use(i: usize, runner: Runner) -> String {
        format!("overlap.mix{i}.{}.cpu-use", runner.name())
    }
}

impl Witness for OverlapDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let n = self.settings.units;
        let mut put_units = false;
        for (i, mix) in self.settings.mixes.iter().enumerate() {
            let p = mix.waiting_percent;
            let row = |u: Runner| {
                self.results.iter().find(|r| {
                    r.waiting_percent == p
                        && r.unit == u
                        && r.completed == n
                        && !r.rep_wall_ns.is_empty()
                })
            };
            let Some(serial) = row(Runner::Serial) else {
                continue;
            };
            ev.put(
                key::waiting(i),
                Figure::exact(
                    p as f64,
                    Unit::Count,
                    "percent of each round a unit spends waiting",
                    cmd,
                ),
            );
            put_units = true;
            for u in [Runner::Serial, Runner::Threads, Runner::ProcessesFork] {
                let Some(r) = row(u) else { continue };
                if let Some(f) = Figure::of_repetitions(
                    &r.rep_cpu_use(),
                    Unit::Cpus,
                    format!("CPU time ÷ wall time, {n} units {u}, {p}% waiting (range over repetitions)"),
                    cmd,
                ) {
                    ev.put(key::cpu_use(i, u), f);
                }
                if u != Runner::Serial {
                    let pairs = r.paired_with(serial);
                    let (speedups, gains): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
                    let figures = [
                        (
                            key::speedup(i, u),
                            speedups,
                            format!("serial wall time ÷ wall time of {n} units as {u}, {p}% waiting, each repetition against the serial run of the same repetition (range over repetitions)"),
                        ),
                        (
                            key::cpu_use_gain(i, u),
                            gains,
                            format!("CPU use of {n} units as {u} ÷ that of the serial run, {p}% waiting, each repetition against the same repetition (range over repetitions)"),
                        ),
                    ];
                    for (k, series, what) in figures {
                        if let Some(f) = Figure::of_repetitions(&series, Unit::Ratio, what, cmd) {
                            ev.put(k, f);
                        }
                    }
                }
            }
        }
        if put_units {
            ev.put(
                key::UNITS,
                Figure::exact(n as f64, Unit::Count, "units working at once", cmd),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_witness_gives_speedup_and_cpu_use_per_mix_over_repetitions() {
        use crate::evidence::Spread;
        let mix = |p| Mix {
            waiting_percent: p,
            compute_ns: 1,
            wait_ns: 4,
            compute_iterations: 1,
        };
        let row = |p, unit, walls: &[u64], cpus: &[u64]| {
            let mut r = first_row(&mix(p), unit, 4, 4);
            for (k, (&w, &c)) in walls.iter().zip(cpus).enumerate() {
                r.add(k as u32 + 1, w, c, Some(80.0));
            }
            r
        };
        let doc = OverlapDocument {
            header: crate::results::Header::new("overlap"),
            settings: Settings {
                units: 4,
                rounds: 4,
                round_ns: 5,
                mixes: vec![mix(80), mix(50)],
                repetitions: 2,
                cpu: Some(0),
                timeout_s: 60.0,
            },
            results: vec![
                row(80, Runner::Serial, &[80, 84], &[16, 16]),
                row(80, Runner::Threads, &[20, 21], &[16, 17]),
                // The 50% mix lacks its serial baseline: nothing for it.
                row(50, Runner::Threads, &[40, 42], &[32, 32]),
            ],
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        };
        let mut ev = Evidence::default();
        doc.testify(&mut ev, "pingpong overlap");
        // Each repetition against the serial run of the same repetition.
        let s = ev.figure(&key::speedup(0, Runner::Threads)).unwrap();
        assert_eq!(s.spread, Spread::Repetitions { n: 2 });
        assert!((s.low - 80.0 / 20.0).abs() < 1e-9 && (s.high - 84.0 / 21.0).abs() < 1e-9);
        let g = ev.figure(&key::cpu_use_gain(0, Runner::Threads)).unwrap();
        assert!(
            (g.low - (16.0 / 20.0) / (16.0 / 80.0)).abs() < 1e-9,
            "{g:?}"
        );
        let u = ev.figure(&key::cpu_use(0, Runner::Serial)).unwrap();
        assert_eq!(u.spread, Spread::Repetitions { n: 2 });
        assert_eq!(ev.figure(&key::waiting(0)).unwrap().value, 80.0);
        assert!(ev.figure(&key::waiting(1)).is_none());
        assert!(ev.figure(&key::speedup(1, Runner::Threads)).is_none());
    }
}
