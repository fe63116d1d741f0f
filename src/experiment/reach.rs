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

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::channel::shm::Region;
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::{format_size, ns};
use crate::kinds::UnitKind;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The structure's size unless `--size` says otherwise.
pub const DEFAULT_SIZE: usize = 1 << 20;
/// Untimed rounds before the timed ones (page faults, caches).
const WARMUP: u64 = 4;
/// Where the structure starts in the shared region (after the header's page).
const DATA_AT: usize = 4096;

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

/// Fills the structure with contents of round `round`; returns the sum of
/// its 64-bit words, which the reader must find.
fn fill(bytes: &mut [u8], round: u64) -> u64 {
    let seed = round.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut sum = 0u64;
    for (i, w) in bytes.chunks_exact_mut(8).enumerate() {
        let v = seed.wrapping_mul(i as u64 + 1) ^ round;
        w.copy_from_slice(&v.to_le_bytes());
        sum = sum.wrapping_add(v);
    }
    sum
}

/// Reads every 64-bit word of the structure: the reader's work, the same
/// code for every way.
#[inline(never)]
fn sum_words(bytes: &[u8]) -> u64 {
    bytes.chunks_exact(8).fold(0u64, |a, w| {
        a.wrapping_add(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
    })
}

/// The structure in a memfd both processes map, with the round the writer
/// last published in its header.
struct Shared {
    region: Region,
    _fd: OwnedFd,
    size: usize,
}

// SAFETY: the mapping is plain shared memory, valid until Drop; the writer
// and the reader take turns on the structure (note, then answer), and the
// published round is an atomic.
unsafe impl Sync for Shared {}

impl Shared {
    fn new(size: usize) -> Result<Shared> {
        let fd = Region::create("reach", DATA_AT + size)?;
        let region = Region::map(&fd, DATA_AT + size)
            .map_err(|e| anyhow!("mapping the shared structure: {e}"))?;
        Ok(Shared {
            region,
            _fd: fd,
            size,
        })
    }

    fn published(&self) -> &AtomicU64 {
        // SAFETY: offset 0 is page-aligned and inside the region; a fresh
        // memfd is zeroed, and the word is only ever accessed atomically.
        unsafe { self.region.at::<AtomicU64>(0) }
    }

    /// The writer fills the structure and publishes round `round`.
    fn write(&self, round: u64) -> u64 {
        // SAFETY: the region holds DATA_AT + size bytes. Only the writer
        // writes, and only between the reader's answer and its next note:
        // the reader touches the structure only between note and answer.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(self.region.base().add(DATA_AT), self.size) };
        let sum = fill(bytes, round);
        self.published().store(round, Ordering::Release);
        sum
    }

    /// The reader reads round `round` in place.
    fn read(&self, round: u64) -> Result<u64> {
        let seen = self.published().load(Ordering::Acquire);
        if seen != round {
            bail!("the note said round {round}, the shared memory holds round {seen}");
        }
        // SAFETY: as in `write`: between the note and the answer no one writes.
        let bytes =
            unsafe { std::slice::from_raw_parts(self.region.base().add(DATA_AT), self.size) };
        Ok(sum_words(bytes))
    }
}

/// Where the structure lies for a way.
#[derive(Clone)]
enum Store {
    /// The writer's own heap, shared with the reader thread by reference.
    Heap(Arc<RwLock<Vec<u8>>>),
    /// Shared memory mapped by both processes.
    Shared(Arc<Shared>),
    /// Nowhere shared: each side has its own buffer and the pipe carries it.
    Pipe,
}

/// Writes all of `buf`, retrying on EINTR unless told to stop.
fn write_all(fd: &OwnedFd, mut buf: &[u8], stop: &AtomicBool) -> Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => bail!("the other side is gone"),
            Ok(n) => buf = &buf[n..],
            Err(rustix::io::Errno::INTR) if !stop.load(Ordering::Relaxed) => {}
            Err(e) => bail!("write: {e}"),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `false` at end of file before the first byte.
fn read_exact(fd: &OwnedFd, buf: &mut [u8], stop: &AtomicBool) -> Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => bail!("the other side is gone mid-structure"),
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) if !stop.load(Ordering::Relaxed) => {}
            Err(rustix::io::Errno::INTR) => bail!("stopped"),
            Err(e) => bail!("read: {e}"),
        }
    }
    Ok(true)
}

/// The four ends a writer holds: the coordinator's word (the round to play)
/// and its report back, the note (or structure) to the reader and the
/// reader's answer.
struct WriterEnds {
    control: OwnedFd,
    report: OwnedFd,
    note: OwnedFd,
    answer: OwnedFd,
}

/// The writer's side: for each round the coordinator names, fills the
/// structure, notes it (or sends it), waits for the answer, and reports
/// the time taken and whether the answer was right. Ends when the
/// coordinator closes its word.
fn writer(store: &Store, size: usize, ends: &WriterEnds, stop: &AtomicBool) -> Result<()> {
    let mut own = match store {
        Store::Pipe => vec![0u8; size],
        _ => Vec::new(),
    };
    let mut word = [0u8; 8];
    while read_exact(&ends.control, &mut word, stop)? {
        let round = u64::from_le_bytes(word);
        let expected = match store {
            Store::Heap(d) => {
                let mut g = d
                    .write()
                    .map_err(|_| anyhow!("the reader thread panicked"))?;
                fill(&mut g, round)
            }
            Store::Shared(s) => s.write(round),
            Store::Pipe => fill(&mut own, round),
        };
        let t0 = Instant::now();
        match store {
            Store::Pipe => write_all(&ends.note, &own, stop)?,
            _ => write_all(&ends.note, &round.to_le_bytes(), stop)?,
        }
        let mut a = [0u8; 8];
        if !read_exact(&ends.answer, &mut a, stop)? {
            bail!("the reader is gone");
        }
        let took = t0.elapsed().as_nanos() as u64;
        let ok = u64::from(u64::from_le_bytes(a) == expected);
        let mut report = [0u8; 16];
        report[..8].copy_from_slice(&took.to_le_bytes());
        report[8..].copy_from_slice(&ok.to_le_bytes());
        write_all(&ends.report, &report, stop)?;
    }
    Ok(())
}

/// The reader's side: until the writer is done, reads and answers the sum.
fn reader(
    store: &Store,
    size: usize,
    note: &OwnedFd,
    answer: &OwnedFd,
    stop: &AtomicBool,
) -> Result<()> {
    let mut own = match store {
        Store::Pipe => vec![0u8; size],
        _ => Vec::new(),
    };
    loop {
        let sum = match store {
            Store::Pipe => {
                if !read_exact(note, &mut own, stop)? {
                    return Ok(());
                }
                sum_words(&own)
            }
            Store::Heap(d) => {
                let mut b = [0u8; 8];
                if !read_exact(note, &mut b, stop)? {
                    return Ok(());
                }
                let g = d
                    .read()
                    .map_err(|_| anyhow!("the writer thread panicked"))?;
                sum_words(&g)
            }
            Store::Shared(s) => {
                let mut b = [0u8; 8];
                if !read_exact(note, &mut b, stop)? {
                    return Ok(());
                }
                s.read(u64::from_le_bytes(b))?
            }
        };
        write_all(answer, &sum.to_le_bytes(), stop)?;
    }
}

fn store_for(way: Way, size: usize) -> Result<Store> {
    Ok(match way {
        Way::ThreadsInPlace => Store::Heap(Arc::new(RwLock::new(vec![0u8; size]))),
        Way::ProcessesSharedMemory => Store::Shared(Arc::new(Shared::new(size)?)),
        Way::ThreadsPipe | Way::ProcessesPipe => Store::Pipe,
    })
}

/// Pipes, in pairs (read end, write end), for one way's players.
struct Pipes {
    control: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
    note: (OwnedFd, OwnedFd),
    answer: (OwnedFd, OwnedFd),
}

impl Pipes {
    fn new() -> Result<Pipes> {
        Ok(Pipes {
            control: super::pipe()?,
            report: super::pipe()?,
            note: super::pipe()?,
            answer: super::pipe()?,
        })
    }
}

/// How the players of a way live.
enum Life {
    Threads {
        handles: Vec<std::thread::JoinHandle<()>>,
        stop: Arc<AtomicBool>,
        failure: std::sync::mpsc::Receiver<anyhow::Error>,
    },
    Processes {
        kids: Children,
        /// The shared structure stays mapped here until the end.
        _store: Store,
    },
}

/// One way's writer and reader, alive for the whole run, and the
/// coordinator's ends of their word and report.
struct Players {
    way: Way,
    control: Option<OwnedFd>,
    report: OwnedFd,
    life: Life,
}

impl Players {
    fn threads(way: Way, size: usize, (wcpu, rcpu): (usize, usize)) -> Result<Players> {
        let store = store_for(way, size)?;
        let p = Pipes::new()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, failure) = std::sync::mpsc::channel::<anyhow::Error>();
        let ends = WriterEnds {
            control: p.control.0,
            report: p.report.1,
            note: p.note.1,
            answer: p.answer.0,
        };
        let (note, answer) = (p.note.0, p.answer.1);
        let (st1, st2, store2, tx2) = (stop.clone(), stop.clone(), store.clone(), tx.clone());
        let hw = std::thread::spawn(move || {
            let r = crate::measure::placement::pin_to(wcpu)
                .and_then(|_| writer(&store, size, &ends, &st1));
            if let Err(e) = r {
                let _ = tx.send(e.context("the writer thread"));
            }
        });
        let hr = std::thread::spawn(move || {
            let r = crate::measure::placement::pin_to(rcpu)
                .and_then(|_| reader(&store2, size, &note, &answer, &st2));
            if let Err(e) = r {
                let _ = tx2.send(e.context("the reader thread"));
            }
        });
        Ok(Players {
            way,
            control: Some(p.control.1),
            report: p.report.0,
            life: Life::Threads {
                handles: vec![hw, hr],
                stop,
                failure,
            },
        })
    }

    /// Forks the writer and the reader of `way`. `kept`: the coordinator's
    /// ends of the ways started before, which the new players close (with
    /// every other descriptor not their own) so that end of file still
    /// tells a death; this way's are added.
    fn processes(
        way: Way,
        size: usize,
        (wcpu, rcpu): (usize, usize),
        kept: &mut Vec<i32>,
    ) -> Result<Players> {
        let store = store_for(way, size)?;
        let p = Pipes::new()?;
        let raw = |f: &OwnedFd| f.as_raw_fd();
        let writer_fds = [
            raw(&p.control.0),
            raw(&p.report.1),
            raw(&p.note.1),
            raw(&p.answer.0),
        ];
        let reader_fds = [raw(&p.note.0), raw(&p.answer.1)];
        let mut all: Vec<i32> = kept.clone();
        for pair in [&p.control, &p.report, &p.note, &p.answer] {
            all.extend([raw(&pair.0), raw(&pair.1)]);
        }
        let never = AtomicBool::new(false);
        let mut kids = Children::default();
        let close_all_but = |mine: &[i32]| {
            for fd in all.iter().filter(|fd| !mine.contains(fd)) {
                // SAFETY: closes a descriptor this child does not use (a
                // copy inherited by fork), so end of file tells a death.
                unsafe {
                    nix::libc::close(*fd);
                }
            }
        };
        let ends = WriterEnds {
            control: p.control.0,
            report: p.report.1,
            note: p.note.1,
            answer: p.answer.0,
        };
        kids.0.push(super::fork_child(|| {
            close_all_but(&writer_fds);
            crate::measure::placement::pin_to(wcpu)
                .and_then(|_| writer(&store, size, &ends, &never))
                .is_ok()
        })?);
        let (note, answer) = (p.note.0, p.answer.1);
        kids.0.push(super::fork_child(|| {
            close_all_but(&reader_fds);
            crate::measure::placement::pin_to(rcpu)
                .and_then(|_| reader(&store, size, &note, &answer, &never))
                .is_ok()
        })?);
        drop((ends, note, answer));
        let (control, report) = (p.control.1, p.report.0);
        kept.extend([raw(&control), raw(&report)]);
        Ok(Players {
            way,
            control: Some(control),
            report,
            life: Life::Processes {
                kids,
                _store: store,
            },
        })
    }

    /// Plays round `round`: its time, ns, and whether the answer was right.
    fn round(&mut self, round: u64, d: &Deadline) -> Result<(u64, bool)> {
        let what = format!("the {} players", self.way);
        let control = self
            .control
            .as_ref()
            .ok_or_else(|| anyhow!("{what} were stopped"))?;
        write_all(control, &round.to_le_bytes(), &AtomicBool::new(false))
            .map_err(|e| self.why(e))?;
        let mut b = [0u8; 16];
        super::read_within(self.report.as_fd(), &mut b, d, &what).map_err(|e| self.why(e))?;
        let ns = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let ok = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8])) == 1;
        Ok((ns, ok))
    }

    /// The players' own error, if one of them said why it stopped.
    fn why(&self, e: anyhow::Error) -> anyhow::Error {
        match &self.life {
            Life::Threads { failure, .. } => failure.try_recv().unwrap_or(e),
            Life::Processes { .. } => super::or_killed(e),
        }
    }

    /// Ends the players: each writer sees the end of its word, its reader
    /// the end of the notes; processes are reaped within the deadline.
    fn finish(mut self, d: &Deadline) -> Result<()> {
        drop(self.control.take());
        match &mut self.life {
            Life::Threads {
                handles, failure, ..
            } => {
                for h in handles.drain(..) {
                    let _ = h.join();
                }
                match failure.try_recv() {
                    Ok(e) => Err(e),
                    Err(_) => Ok(()),
                }
            }
            Life::Processes { kids, .. } => {
                let statuses = kids.reap_all(d, &format!("the {} players", self.way))?;
                if statuses
                    .iter()
                    .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
                {
                    Ok(())
                } else {
                    bail!("a {} player did not exit cleanly: {statuses:?}", self.way)
                }
            }
        }
    }

    /// Stops the players at once (a failure): processes are killed and
    /// reaped, threads told to stop and interrupted, then joined.
    fn stop(self) {
        drop(self);
    }
}

impl Drop for Players {
    fn drop(&mut self) {
        drop(self.control.take());
        if let Life::Threads { handles, stop, .. } = &mut self.life {
            // Without their word the players end by themselves, unless one
            // is stuck; that one is told to stop and interrupted.
            let until = Instant::now() + std::time::Duration::from_millis(200);
            while handles.iter().any(|h| !h.is_finished()) && Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            stop.store(true, Ordering::Relaxed);
            for h in handles.iter().filter(|h| !h.is_finished()) {
                // SAFETY: the thread is alive until joined below; SIGUSR1 has
                // a do-nothing handler (crate::interrupt) installed without
                // SA_RESTART, so a blocked read returns EINTR and sees `stop`.
                unsafe {
                    nix::libc::pthread_kill(h.as_pthread_t(), nix::libc::SIGUSR1);
                }
            }
            for h in handles.drain(..) {
                let _ = h.join();
            }
        }
        // Processes: the Children guard kills and reaps them.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_reader_finds_the_sum_the_writer_wrote_and_only_that() {
        let mut a = vec![0u8; 4096];
        let s1 = fill(&mut a, 1);
        assert_eq!(sum_words(&a), s1);
        let s2 = fill(&mut a, 2);
        assert_ne!(s1, s2, "each round writes new contents");
        assert_eq!(sum_words(&a), s2);
        a[100] ^= 1;
        assert_ne!(sum_words(&a), s2, "one flipped bit is seen");
    }

    #[test]
    fn shared_memory_read_in_place_sees_the_round_published() {
        let s = Shared::new(4096).unwrap();
        let expected = s.write(3);
        assert_eq!(s.read(3).unwrap(), expected);
        assert!(s.read(4).is_err(), "a note for another round is refused");
    }

    #[test]
    fn thread_players_reach_the_structure_with_checked_answers_and_end() {
        let d = Deadline::after(Duration::from_secs(20));
        let cpu = crate::measure::placement::allowed_cpus()[0];
        for way in [Way::ThreadsInPlace, Way::ThreadsPipe] {
            let mut p = Players::threads(way, 64 << 10, (cpu, cpu)).unwrap();
            for round in 1..=5 {
                let (ns, ok) = p.round(round, &d).unwrap();
                assert!(ok && ns > 0, "{way}");
            }
            p.finish(&d).unwrap();
        }
    }

    #[test]
    fn stopping_thread_players_mid_run_ends_them() {
        // As pingpong does at start: a player still running after the grace
        // is interrupted with SIGUSR1, which must not end the test binary.
        crate::interrupt::install_handlers();
        let cpu = crate::measure::placement::allowed_cpus()[0];
        let mut p = Players::threads(Way::ThreadsPipe, 64 << 10, (cpu, cpu)).unwrap();
        p.round(1, &Deadline::after(Duration::from_secs(20)))
            .unwrap();
        p.stop();
    }

    #[test]
    fn cpus_must_be_two_allowed_ones() {
        assert_eq!(cpus_arg("0,1", &[0, 1]).unwrap(), (0, 1));
        assert_eq!(cpus_arg("1,1", &[0, 1]).unwrap(), (1, 1));
        for bad in ["0", "0,1,2", "0,x", "0,5"] {
            assert!(cpus_arg(bad, &[0, 1]).is_err(), "{bad}");
        }
    }
}
