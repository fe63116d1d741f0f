//! `pingpong reach` (claim A3: "processes exchange data only through IPC;
//! threads reach each other's data directly"): how one unit reaches a
//! structure (1 MiB by default) that another unit has just written.
//!
//! Four ways, interleaved round by round (A B C D A B C D…), so that a
//! burst of other load falls on every way alike:
//!
//! - `threads-in-place`: the reader thread reads the writer's structure where
//!   it lies, through a shared reference (`Arc<RwLock<Vec<u8>>>`): no copy.
//! - `threads-pipe`: the writer moves the structure through a pipe and the
//!   reader reads it into a buffer of its own (copied into the kernel and
//!   out again).
//! - `processes-pipe`: the same between two forked processes.
//! - `processes-shared-memory`: the structure lies in a memfd that both
//!   processes mapped (`MAP_SHARED`) before the timing; the reader reads it
//!   in place, as the thread does.
//!
//! Each round, the writer fills the structure with new contents (untimed),
//! then tells the reader — an 8-byte note on a pipe, or, for the pipe ways,
//! the structure itself — and the reader reads every byte of it (summing its
//! 64-bit words) and answers the sum, which the writer checks against its
//! own. The time from the note to the answer is one reach. Every way pays
//! the same note and answer, so the ratios between ways compare the reaching.
//!
//! The four pairs of players live for the whole run, each writer waiting
//! for the coordinator's word to play its next round and reporting the
//! round's time; a repetition is a block of rounds. Writer and reader are
//! pinned to two different CPUs when two are allowed (data written by one
//! core and read by another, as when threads share work), else both to
//! one. The processes are forked first, while pingpong is single-threaded
//! (checked), each closing every descriptor not its own; a player past the
//! deadline is killed (a process) or interrupted and told to stop (a
//! thread).
//!
//! This file holds the experiment (its arguments, its document and what it
//! shows, the run); where the structure lies and how it is filled and read
//! is in `store.rs`, the writer, the reader and how each way's pair lives in
//! `players.rs`.

mod players;
mod store;

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::{format_size, ns};
use crate::kinds::UnitKind;
use anyhow::Result;
use clap::Args;
use players::Players;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The structure's size unless `--size` says otherwise.
pub const DEFAULT_SIZE: usize = 1 << 20;
/// Untimed rounds before the timed ones (page faults, caches).
const WARMUP: u64 = 4;

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Size of the structure reached, at least 8 bytes [default: 1MiB].
    #[arg(long, short = 's', value_name = "SIZE")]
    pub size: Option<String>,

    /// Reaches timed per repetition [default: 24; --quick 12].
    #[arg(long, short = 'n', value_name = "N")]
    pub rounds: Option<u64>,

    /// Repetitions, interleaved across the ways [default: 5; --quick 3].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    /// Writer and reader CPUs, e.g. 0,1 (one CPU twice to share it)
    /// [default: the first two CPUs allowed, or the only one].
    #[arg(long, value_name = "WRITER,READER")]
    pub cpus: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// How the reader reaches the writer's structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Way {
    ThreadsInPlace,
    ThreadsPipe,
    ProcessesPipe,
    ProcessesSharedMemory,
}

impl Way {
    /// Processes first: forking needs a single-threaded pingpong, and the
    /// threads of the previous way may take a moment to be gone.
    pub const ALL: [Way; 4] = [
        Way::ProcessesSharedMemory,
        Way::ProcessesPipe,
        Way::ThreadsInPlace,
        Way::ThreadsPipe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Way::ThreadsInPlace => "threads-in-place",
            Way::ThreadsPipe => "threads-pipe",
            Way::ProcessesPipe => "processes-pipe",
            Way::ProcessesSharedMemory => "processes-shared-memory",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Way::ThreadsInPlace => "a thread reads it in place, through a reference",
            Way::ThreadsPipe => "threads move it through a pipe",
            Way::ProcessesPipe => "processes move it through a pipe",
            Way::ProcessesSharedMemory => "a process reads it in place, in shared memory",
        }
    }

    pub fn unit(self) -> UnitKind {
        match self {
            Way::ThreadsInPlace | Way::ThreadsPipe => UnitKind::Thread,
            Way::ProcessesPipe | Way::ProcessesSharedMemory => UnitKind::Fork,
        }
    }

    /// Copies of the structure made per reach.
    pub fn copies(self) -> u32 {
        match self {
            Way::ThreadsInPlace | Way::ProcessesSharedMemory => 0,
            Way::ThreadsPipe | Way::ProcessesPipe => 2,
        }
    }
}

impl std::fmt::Display for Way {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Bytes of the structure.
    pub size_bytes: usize,
    /// Reaches timed per repetition.
    pub rounds: u64,
    pub repetitions: u32,
    pub writer_cpu: usize,
    pub reader_cpu: usize,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReachResult {
    pub way: Way,
    pub unit: UnitKind,
    /// Copies of the structure per reach (0: read in place).
    pub copies: u32,
    pub size_bytes: usize,
    pub rounds: u64,
    /// Median over repetitions of each repetition's median reach, ns.
    pub median_ns: f64,
    /// Each repetition's median reach, ns, in order.
    pub rep_median_ns: Vec<f64>,
    /// Reaches whose answer was checked.
    pub checked: u64,
    /// Reaches whose answer was not the sum of what the writer wrote.
    pub wrong: u64,
}

impl Row for ReachResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "way",
            "unit",
            "copies",
            "reach",
            "per repetition",
            "checked",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.way.to_string(),
            self.unit.to_string(),
            self.copies.to_string(),
            ns(self.median_ns),
            self.rep_median_ns
                .iter()
                .map(|v| ns(*v))
                .collect::<Vec<_>>()
                .join(", "),
            if self.wrong == 0 {
                format!("{} ok", self.checked)
            } else {
                format!("{} WRONG of {}", self.wrong, self.checked)
            },
        ]
    }
}

/// What `pingpong reach --json` writes.
pub type ReachDocument = super::ExperimentDocument<Settings, ReachResult>;

/// The names of the figures (read by the rules too).
pub mod key {
    use super::Way;

    /// The median reach of `way`, over repetitions.
    pub fn median(way: Way) -> String {
        format!("reach.{}.median", way.name())
    }

    /// `way` ÷ a thread reading in place, repetition by repetition.
    pub fn over_in_place(way: Way) -> String {
        format!("reach.{}.over-in-place", way.name())
    }

    /// Reaches of `way` whose answer was wrong.
    pub fn wrong(way: Way) -> String {
        format!("reach.{}.wrong", way.name())
    }
}

impl Witness for ReachDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let size = format_size(self.settings.size_bytes);
        let find = |w: Way| self.results.iter().find(|r| r.way == w);
        for r in &self.results {
            let what = format!(
                "{size} structure written by one unit, {}: median time from the note to the \
                 reader's checked answer (range over {} interleaved repetitions)",
                r.way.describe(),
                r.rep_median_ns.len()
            );
            if let Some(f) = Figure::of_repetitions(&r.rep_median_ns, Unit::Ns, what, cmd) {
                ev.put(key::median(r.way), f);
            }
            ev.put(
                key::wrong(r.way),
                Figure::exact(
                    r.wrong as f64,
                    Unit::Count,
                    format!(
                        "reaches where {} gave a wrong sum, of {}",
                        r.way.describe(),
                        r.checked
                    ),
                    cmd,
                ),
            );
        }
        let Some(base) = find(Way::ThreadsInPlace) else {
            return;
        };
        for r in &self.results {
            if r.way == Way::ThreadsInPlace {
                continue;
            }
            let ratios: Vec<f64> = r
                .rep_median_ns
                .iter()
                .zip(&base.rep_median_ns)
                .filter(|(_, b)| **b > 0.0)
                .map(|(v, b)| v / b)
                .collect();
            let what = format!(
                "{size} structure: {} ÷ a thread reading it in place, repetition by repetition \
                 (range over {} interleaved repetitions)",
                r.way.describe(),
                ratios.len()
            );
            if let Some(f) = Figure::of_repetitions(&ratios, Unit::Ratio, what, cmd) {
                ev.put(key::over_in_place(r.way), f);
            }
        }
    }
}

pub fn run(args: &ReachArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (size, rounds, reps) = (settings.size_bytes, settings.rounds, settings.repetitions);
    let (writer_cpu, reader_cpu) = (settings.writer_cpu, settings.reader_cpu);
    let mut s = Session::new(
        "reach",
        "reaching another unit's data: in place, through a pipe, through shared memory",
        c,
        settings,
        (Way::ALL.len() * reps as usize) as u64,
    )?;
    let cpus = (writer_cpu, reader_cpu);
    let mut players = start_players(&mut s, size, cpus)?;
    let mut sofar = SoFar::new();
    let mut round = 0u64;
    for rep in 0..=reps {
        // Repetition 0 is the warm-up: untimed.
        let block = if rep == 0 { WARMUP } else { rounds };
        if rep > 0 {
            s.start(&format!(
                "{} ways of reaching {}, round by round (repetition {rep}/{reps})",
                Way::ALL.len(),
                format_size(size)
            ))?;
        }
        let (times, bad) = play(
            &mut s,
            &mut players,
            block,
            &mut round,
            timeout,
            (rep, reps),
        )?;
        if rep == 0 {
            continue;
        }
        sofar.record(&mut s, &players, &times, &bad, (size, rounds))?;
    }
    let d = Deadline::after(timeout);
    for (i, p) in players.into_iter().enumerate() {
        if let Some(p) = p {
            if let Err(e) = p.finish(&d) {
                s.failed(
                    &format!("ending the players: {}", Way::ALL[i].describe()),
                    e,
                )?;
            }
        }
    }
    s.note(if writer_cpu == reader_cpu {
        format!("writer and reader pinned to CPU {writer_cpu}")
    } else {
        format!("writer pinned to CPU {writer_cpu}, reader to CPU {reader_cpu}")
    });
    s.note(
        "a reach: from the writer's note (or, through a pipe, the structure itself) to the \
         reader's answer, the sum of every 64-bit word it read, checked by the writer; \
         filling the structure is not timed; the shared memory is mapped before the timing",
    );
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one round.
fn prepare(args: &ReachArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    let size = match &args.size {
        None => DEFAULT_SIZE,
        Some(s) => crate::parse::parse_size(s).map_err(usage)?,
    };
    if !(8..=(256 << 20)).contains(&size) {
        return Err(usage(format!(
            "invalid --size {size}: give 8 bytes to 256MiB, e.g. 1MiB"
        )));
    }
    // Whole 64-bit words: the reader sums words.
    let size = size / 8 * 8;
    let rounds = args.rounds.unwrap_or(if c.quick { 12 } else { 24 });
    if rounds == 0 {
        return Err(usage("invalid --rounds '0': at least 1"));
    }
    let reps = args.reps.unwrap_or(if c.quick { 3 } else { 5 });
    if reps == 0 {
        return Err(usage("invalid --reps '0': at least 1"));
    }
    let allowed = crate::measure::placement::allowed_cpus();
    let (writer_cpu, reader_cpu) = match &args.cpus {
        Some(s) => cpus_arg(s, &allowed)?,
        None => match allowed.as_slice() {
            [] => (0, 0),
            [one] => (*one, *one),
            [a, b, ..] => (*a, *b),
        },
    };
    let settings = Settings {
        size_bytes: size,
        rounds,
        repetitions: reps,
        writer_cpu,
        reader_cpu,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// Every way's players, alive for the whole run (None where they could not
/// be started, which is reported). Processes first: forking needs a
/// single-threaded pingpong.
fn start_players(
    s: &mut Session<'_, Settings, ReachResult>,
    size: usize,
    cpus: (usize, usize),
) -> Result<Vec<Option<Players>>> {
    let mut players: Vec<Option<Players>> = Way::ALL.iter().map(|_| None).collect();
    let mut kept = Vec::new();
    for unit_is_thread in [false, true] {
        for (i, &way) in Way::ALL.iter().enumerate() {
            if (way.unit() == UnitKind::Thread) != unit_is_thread {
                continue;
            }
            let started = if unit_is_thread {
                Players::threads(way, size, cpus)
            } else {
                Players::processes(way, size, cpus, &mut kept)
            };
            match started {
                Ok(p) => players[i] = Some(p),
                Err(e) => s.failed(&format!("starting the players: {}", way.describe()), e)?,
            }
        }
    }
    Ok(players)
}

/// Plays `block` rounds, every way in turn each round: each way's round
/// times and how many answers were wrong. A way whose round fails is
/// stopped and reported.
fn play(
    s: &mut Session<'_, Settings, ReachResult>,
    players: &mut [Option<Players>],
    block: u64,
    round: &mut u64,
    timeout: Duration,
    (rep, reps): (u32, u32),
) -> Result<(Vec<Vec<u64>>, Vec<u64>)> {
    let mut times: Vec<Vec<u64>> = vec![Vec::new(); players.len()];
    let mut bad = vec![0u64; players.len()];
    for _ in 0..block {
        for (i, slot) in players.iter_mut().enumerate() {
            let Some(p) = slot.as_mut() else { continue };
            *round += 1;
            match p.round(*round, &Deadline::after(timeout)) {
                Ok((ns, ok)) => {
                    times[i].push(ns);
                    bad[i] += u64::from(!ok);
                }
                Err(e) => {
                    if let Some(p) = slot.take() {
                        p.stop();
                    }
                    let what = format!("{} (repetition {rep}/{reps})", Way::ALL[i].describe());
                    s.failed(&what, e)?;
                }
            }
        }
    }
    Ok((times, bad))
}

/// What every way has measured so far, over the timed repetitions, and
/// where its row is.
struct SoFar {
    /// The median round of each repetition.
    per: Vec<Vec<f64>>,
    checked: Vec<u64>,
    wrong: Vec<u64>,
    row: Vec<Option<usize>>,
}

impl SoFar {
    fn new() -> SoFar {
        SoFar {
            per: vec![Vec::new(); Way::ALL.len()],
            checked: vec![0u64; Way::ALL.len()],
            wrong: vec![0u64; Way::ALL.len()],
            row: vec![None; Way::ALL.len()],
        }
    }

    /// Adds one repetition's rounds to every way that played it, and
    /// rewrites its row.
    fn record(
        &mut self,
        s: &mut Session<'_, Settings, ReachResult>,
        players: &[Option<Players>],
        times: &[Vec<u64>],
        bad: &[u64],
        (size, rounds): (usize, u64),
    ) -> Result<()> {
        for (i, &way) in Way::ALL.iter().enumerate() {
            if players[i].is_none() || times[i].is_empty() {
                s.skip_step();
                continue;
            }
            let mut t: Vec<f64> = times[i].iter().map(|&v| v as f64).collect();
            t.sort_by(f64::total_cmp);
            self.per[i].push(crate::stats::median(&t));
            self.checked[i] += times[i].len() as u64;
            self.wrong[i] += bad[i];
            let at = *self.row[i].get_or_insert(s.doc.results.len());
            s.set(
                at,
                ReachResult {
                    way,
                    unit: way.unit(),
                    copies: way.copies(),
                    size_bytes: size,
                    rounds,
                    median_ns: crate::stats::median(&self.per[i]),
                    rep_median_ns: self.per[i].clone(),
                    checked: self.checked[i],
                    wrong: self.wrong[i],
                },
            )?;
        }
        Ok(())
    }
}

/// `--cpus A,B`, each allowed.
fn cpus_arg(s: &str, allowed: &[usize]) -> Result<(usize, usize)> {
    let parts = crate::parse::split_list(s);
    let parsed: Vec<usize> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    let [a, b] = parsed[..] else {
        return Err(usage(format!(
            "invalid --cpus '{s}': give two CPUs, writer then reader, e.g. 0,1"
        )));
    };
    if parts.len() != 2 {
        return Err(usage(format!(
            "invalid --cpus '{s}': give two CPUs, writer then reader, e.g. 0,1"
        )));
    }
    for c in [a, b] {
        if !allowed.contains(&c) {
            return Err(usage(format!(
                "invalid --cpus '{s}': pingpong may use CPUs {}",
                crate::measure::placement::cpu_list(allowed)
            )));
        }
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_must_be_two_allowed_ones() {
        assert_eq!(cpus_arg("0,1", &[0, 1]).unwrap(), (0, 1));
        assert_eq!(cpus_arg("1,1", &[0, 1]).unwrap(), (1, 1));
        for bad in ["0", "0,1,2", "0,x", "0,5"] {
            assert!(cpus_arg(bad, &[0, 1]).is_err(), "{bad}");
        }
    }
}
