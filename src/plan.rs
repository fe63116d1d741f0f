//! From what the user typed to what pingpong will do: every flag resolved
//! and checked once, every combination of the matrix validated, with a
//! one-line usage error (exit code 2) naming the fix for anything wrong.

use crate::ball::{self, Verify};
use crate::bounds;
use crate::channel::payload::Payload;
use crate::channel::{self, faulty::Fault, Channel};
use crate::cli::{self, PatternArg, RunArgs, VerifyArg};
use crate::error::usage;
use crate::kinds::Placement;
use crate::kinds::UnitKind;
use crate::kinds::{Length, Pattern};
use crate::measure::placement;
use anyhow::Result;
use std::time::Duration;

/// Balls larger than this are refused (memory for two buffers per player).
pub const MAX_SIZE: usize = 1 << 30;

/// One cell of the matrix.
#[derive(Clone, Copy)]
pub struct Cell {
    pub unit: UnitKind,
    pub channel: &'static dyn Channel,
    pub size: usize,
}

impl Cell {
    pub fn combo(&self) -> crate::results::Combo {
        crate::results::Combo {
            unit: self.unit.name().into(),
            channel: self.channel.name().into(),
            size: self.size,
        }
    }
}

/// Why a cell cannot be played, or `None` if it can.
pub fn invalid_reason(unit: UnitKind, channel: &dyn Channel, size: usize) -> Option<String> {
    if let Err(why) = channel::check(channel, unit) {
        return Some(format!(
            "{} cannot run between {}: {why}",
            channel.name(),
            unit.name()
        ));
    }
    if size > channel.max_size() {
        return Some(format!(
            "{} cannot carry {} balls (at most {} bytes in one message): use a smaller --size or another --via",
            channel.name(),
            crate::format::format_size(size),
            channel.max_size()
        ));
    }
    None
}

pub struct RunPlan {
    pub cells: Vec<Cell>,
    pub skipped: Vec<(Cell, String)>,
    pub units: Vec<UnitKind>,
    pub pattern: Pattern,
    pub length: Length,
    pub warmup: Option<u64>,
    pub reps: u32,
    pub placement: Placement,
    pub verify: Option<Verify>,
    pub batch: Option<u64>,
    pub timeout: Duration,
    pub loss_timeout: Duration,
    pub exports: crate::export::Exports,
    pub fault: Option<Fault>,
    /// What the unit is called in results when it is not a local one ("hosts").
    pub unit_label: Option<&'static str>,
    pub payload: Payload,
    /// `--cpus matrix`: measure every ordered pair of CPUs (see [`crate::rally::matrix`]).
    pub matrix: bool,
}

pub fn parse_units(s: &str) -> Result<Vec<UnitKind>> {
    let names: Vec<&str> = UnitKind::ALL.iter().map(|u| u.name()).collect();
    let mut v = Vec::new();
    for name in crate::parse::split_list(s) {
        let u = UnitKind::parse(name).ok_or_else(|| {
            usage(format!(
                "unknown unit '{name}' for --between: choose from {}",
                names.join(", ")
            ))
        })?;
        if !v.contains(&u) {
            v.push(u);
        }
    }
    if v.is_empty() {
        return Err(usage(format!(
            "--between is empty: choose from {}",
            names.join(", ")
        )));
    }
    Ok(v)
}

pub fn parse_channels(s: &str) -> Result<Vec<&'static dyn Channel>> {
    let mut v: Vec<&'static dyn Channel> = Vec::new();
    let list = crate::parse::split_list(s);
    let all = list.contains(&"all");
    for name in list {
        if name == "all" {
            continue;
        }
        if name == "mpi" {
            return Err(usage(
                "mpi carries balls between MPI ranks: use --between ranks (or `pingpong mpi`)",
            ));
        }
        let c = channel::by_name(name).ok_or_else(|| {
            usage(format!(
                "unknown channel '{name}' for --via: choose from {} (or all)",
                channel::names().join(", ")
            ))
        })?;
        if !v.iter().any(|x| x.name() == c.name()) {
            v.push(c);
        }
    }
    if all {
        v = channel::ALL.to_vec();
    }
    if v.is_empty() {
        return Err(usage(format!(
            "--via is empty: choose from {}",
            channel::names().join(", ")
        )));
    }
    Ok(v)
}

pub fn parse_sizes(s: &str) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for item in crate::parse::split_list(s) {
        let n = crate::parse::parse_size(item).map_err(usage)?;
        if n < ball::MIN_SIZE {
            return Err(usage(format!(
                "--size {item} is too small: a ball carries at least its 32-bit sequence number, so use 4 bytes or more"
            )));
        }
        if n > MAX_SIZE {
            return Err(usage(format!(
                "--size {item} is too large: use at most 1GiB"
            )));
        }
        if !v.contains(&n) {
            v.push(n);
        }
    }
    if v.is_empty() {
        return Err(usage("--size is empty: give sizes such as 8,4KiB,1MiB"));
    }
    Ok(v)
}

/// Checks a CPU number against the CPUs pingpong may use.
pub fn check_cpu(cpu: usize) -> Result<usize> {
    let allowed = placement::allowed_cpus();
    if !allowed.contains(&cpu) {
        return Err(usage(format!(
            "CPU {cpu} is not available: pingpong may use CPUs {}",
            placement::cpu_list(&allowed)
        )));
    }
    Ok(cpu)
}

pub fn parse_placement(cpus: Option<&str>, same_cpu: Option<usize>) -> Result<Placement> {
    if let Some(c) = same_cpu {
        let c = check_cpu(c)?;
        return Ok(Placement::Pinned { ping: c, pong: c });
    }
    let Some(s) = cpus else {
        return Ok(Placement::Free);
    };
    let parts: Vec<&str> = crate::parse::split_list(s);
    let nums: Option<Vec<usize>> = parts.iter().map(|p| p.parse().ok()).collect();
    match nums.as_deref() {
        Some([a, b]) => Ok(Placement::Pinned {
            ping: check_cpu(*a)?,
            pong: check_cpu(*b)?,
        }),
        _ => Err(usage(format!(
            "invalid --cpus '{s}': give two CPU numbers, ping's then pong's, e.g. --cpus 0,1"
        ))),
    }
}

/// Untimed round trips before each match with `--quick`.
pub const QUICK_WARMUP: u64 = 200;
/// The timed part of each repetition with `--quick`.
pub const QUICK_DURATION: Duration = Duration::from_millis(100);
/// About what starting, warming up and ending a match costs beside its
/// timed part (processes re-executed, a warm-up of 1,000 round trips).
const MATCH_SET_UP: Duration = Duration::from_millis(40);

fn parse_pattern(a: &RunArgs) -> Result<Pattern> {
    Ok(match a.pattern {
        PatternArg::Rally => Pattern::Rally,
        PatternArg::Stream => {
            if a.window == 0 {
                return Err(usage("--window 0: a window holds at least one ball"));
            }
            Pattern::Stream {
                window: bounds::count(a.window, "--window", bounds::MOST_WINDOW)?,
            }
        }
    })
}

/// `--rounds` or `--duration` (1 s unless given; 100 ms with `--quick`).
fn parse_length(a: &RunArgs) -> Result<Length> {
    let duration = match &a.duration {
        Some(d) => Some(bounds::parse_time(d, "--duration", bounds::LONGEST_RUN)?),
        None => None,
    };
    Ok(match (a.rounds, duration) {
        (Some(0), _) => return Err(usage("--rounds 0: give at least one round")),
        (Some(n), _) => Length::Rounds(bounds::count(n, "--rounds", bounds::MOST_ROUNDS)?),
        (None, Some(d)) if d.is_zero() => {
            return Err(usage("--duration 0: give a positive time, e.g. 1s"))
        }
        (None, Some(d)) => Length::Time(d),
        (None, None) if a.quick => Length::Time(QUICK_DURATION),
        (None, None) => Length::Time(Duration::from_secs(1)),
    })
}

/// `--reps`, `--batch` and `--warmup` within their bounds.
fn check_counts(a: &RunArgs) -> Result<()> {
    if a.reps == 0 {
        return Err(usage("--reps 0: give at least one repetition"));
    }
    if a.batch == Some(0) {
        return Err(usage("--batch 0: a batch holds at least one round trip"));
    }
    bounds::count(a.reps as u64, "--reps", bounds::MOST_REPS)?;
    if let Some(b) = a.batch {
        bounds::count(b, "--batch", bounds::MOST_WINDOW)?;
    }
    if let Some(w) = a.warmup {
        bounds::count(w, "--warmup", bounds::MOST_ROUNDS)?;
    }
    Ok(())
}

/// `--timeout`, or the length of a match plus 30 s (60 s for rounds).
fn parse_timeout(a: &RunArgs, length: Length) -> Result<Duration> {
    Ok(match &a.timeout {
        Some(t) => {
            let t = bounds::parse_time(t, "--timeout", bounds::LONGEST_RUN)?;
            if t.is_zero() {
                return Err(usage("--timeout 0: give a positive time, e.g. 30s"));
            }
            t
        }
        None => match length {
            Length::Time(d) => d + Duration::from_secs(30),
            Length::Rounds(_) => Duration::from_secs(60),
        },
    })
}

/// `--cpus matrix` measures spin, one unit and one size.
fn check_matrix(
    units: &[UnitKind],
    channels: &[&'static dyn Channel],
    sizes: &[usize],
) -> Result<()> {
    if channels.len() != 1 || channels[0].name() != "spin" {
        return Err(usage(
            "--cpus matrix measures spin between every pair of CPUs: use --via spin",
        ));
    }
    if units.len() != 1 || sizes.len() != 1 {
        return Err(usage(
            "--cpus matrix measures one unit and one ball size: give one --between and one --size",
        ));
    }
    Ok(())
}

/// Every combination of units, channels and sizes: those that can be
/// played, and those skipped with the reason; nothing playable is a usage
/// error naming the first reason.
#[allow(clippy::type_complexity)]
fn cells(
    units: &[UnitKind],
    channels: &[&'static dyn Channel],
    sizes: &[usize],
    payload: Payload,
) -> Result<(Vec<Cell>, Vec<(Cell, String)>)> {
    let mut cells = Vec::new();
    let mut skipped = Vec::new();
    for &unit in units {
        for &channel in channels {
            for &size in sizes {
                let cell = Cell {
                    unit,
                    channel,
                    size,
                };
                match invalid_reason(unit, channel, payload.wire_size(size)) {
                    None => cells.push(cell),
                    Some(why) => skipped.push((cell, why)),
                }
            }
        }
    }
    if cells.is_empty() {
        let why = skipped.first().map(|(_, w)| w.clone()).unwrap_or_default();
        return Err(usage(why));
    }
    Ok((cells, skipped))
}

impl RunPlan {
    pub fn from_args(a: &RunArgs) -> Result<RunPlan> {
        RunPlan::build(a, &a.between)
    }

    /// Resolves the arguments with `between` in place of `--between` (the
    /// client of `--between hosts` resolves everything else as a local run).
    pub fn build(a: &RunArgs, between: &str) -> Result<RunPlan> {
        RunPlan::build_with(a, between, a.via())
    }

    /// Resolves the arguments with `between` and `via` in place of
    /// `--between` and `--via` (MPI ranks are planned as threads over a
    /// pipe, then given their own channel: see [`crate::mpi::plan`]).
    pub fn build_with(a: &RunArgs, between: &str, via: &str) -> Result<RunPlan> {
        let units = parse_units(between)?;
        let channels = parse_channels(via)?;
        a.exports.check()?;
        let sizes = parse_sizes(&a.size)?;
        let pattern = parse_pattern(a)?;
        let length = parse_length(a)?;
        check_counts(a)?;
        let timeout = parse_timeout(a, length)?;
        let loss_timeout =
            bounds::parse_time(&a.loss_timeout, "--loss-timeout", bounds::LONGEST_WAIT)?;
        if loss_timeout.is_zero() {
            return Err(usage("--loss-timeout 0: give a positive time, e.g. 200ms"));
        }
        let fault = match &a.inject {
            Some(f) => Some(f.parse::<Fault>().map_err(usage)?),
            None => None,
        };
        let matrix = a.cpus.as_deref() == Some("matrix");
        let placement = if matrix {
            check_matrix(&units, &channels, &sizes)?;
            Placement::Free
        } else {
            parse_placement(a.cpus.as_deref(), a.same_cpu)?
        };
        let payload = match a.payload {
            cli::PayloadArg::Raw => Payload::Raw,
            cli::PayloadArg::Struct => Payload::Struct,
        };
        let (cells, skipped) = cells(&units, &channels, &sizes, payload)?;
        Ok(RunPlan {
            cells,
            skipped,
            units,
            pattern,
            length,
            warmup: a.warmup.or(a.quick.then_some(QUICK_WARMUP)),
            reps: a.reps,
            placement,
            verify: a.verify.map(|v| match v {
                VerifyArg::All => Verify::All,
                VerifyArg::Sample => Verify::Sample,
                VerifyArg::Seq => Verify::Seq,
            }),
            batch: a.batch,
            timeout,
            loss_timeout,
            exports: a.exports.clone(),
            fault,
            unit_label: None,
            payload,
            matrix,
        })
    }

    /// How long one match is expected to take, set-up included (for the
    /// progress bar's time left).
    pub fn expected_match(&self) -> Duration {
        let timed = match self.length {
            Length::Time(d) => d,
            // A few microseconds a round trip over most channels.
            Length::Rounds(n) => {
                Duration::from_micros(5).saturating_mul(n.min(u32::MAX as u64) as u32)
            }
        };
        timed + MATCH_SET_UP
    }

    /// Untimed round trips (rally) or windows (stream) for a ball size:
    /// 1,000 round trips, fewer for large balls (about 64 MiB of traffic).
    pub fn warmup_for(&self, size: usize) -> u64 {
        if let Some(w) = self.warmup {
            return w;
        }
        match self.pattern {
            Pattern::Rally => ((64usize << 20) / size).clamp(10, 1000) as u64,
            Pattern::Stream { window } => {
                ((256usize << 20) / (size * window as usize).max(1)).clamp(2, 50) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_usage(e: &anyhow::Error) -> bool {
        crate::error::exit_code(e) == 2
    }

    #[test]
    fn unknown_units_and_channels_are_usage_errors_that_name_the_choices() {
        let e = parse_units("threads,fibers").err().unwrap();
        assert!(is_usage(&e));
        assert!(e.to_string().contains("threads, processes, processes-fork"));
        let e = parse_channels("pipe,carrier-pigeon").err().unwrap();
        assert!(is_usage(&e));
        assert!(e.to_string().contains("pipe, fifo, unix"));
    }

    #[test]
    fn udp_cannot_carry_more_than_a_datagram() {
        let udp = channel::by_name("udp").unwrap();
        assert!(invalid_reason(UnitKind::Thread, udp, 65_507).is_none());
        let why = invalid_reason(UnitKind::Thread, udp, 65_508).unwrap();
        assert!(why.contains("65507"), "{why}");
    }

    #[test]
    fn sizes_below_a_sequence_number_are_refused() {
        assert!(is_usage(&parse_sizes("3").err().unwrap()));
        assert_eq!(parse_sizes("8,4KiB,8").unwrap(), vec![8, 4096]);
    }

    #[test]
    fn all_expands_to_every_channel() {
        assert_eq!(parse_channels("all").unwrap().len(), channel::ALL.len());
    }

    #[test]
    fn cpus_take_exactly_two_numbers() {
        assert!(is_usage(&parse_placement(Some("0"), None).err().unwrap()));
        assert!(is_usage(&parse_placement(Some("a,b"), None).err().unwrap()));
        assert!(is_usage(
            &parse_placement(Some("0,100000"), None).err().unwrap()
        ));
        assert_eq!(parse_placement(None, None).unwrap(), Placement::Free);
    }
}
