//! `pingpong switch` (claim A4): what a context switch costs between two
//! threads and between two processes, like lmbench's `lat_ctx` and
//! `perf bench sched pipe`.
//!
//! Both players are pinned to the same CPU and play a blocking rally: each
//! hit wakes the other and blocks, so every hit is one switch and a round
//! trip is two. The ball travels over a pipe (one byte each way) or a futex
//! (a shared word flipped, then `FUTEX_WAKE`; the non-private kind, in a
//! `MAP_SHARED` page, for threads and processes alike). Optionally each
//! player writes every cache line of a working set of K KiB after each hit,
//! to show what a switch costs once the caches are shared.
//!
//! Processes are forked (pingpong is single-threaded when they are made);
//! a player that outlives the deadline is killed (a process) or interrupted
//! with SIGUSR1 and told to stop (a thread).

use super::{Children, CommonArgs, Deadline, Row, Session, SharedMap};
use crate::error::usage;
use crate::format::ns;
use crate::kinds::UnitKind;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The largest working set each player touches (it allocates one each).
const MAX_WORKING_SET: usize = 1 << 30;

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// Round trips per measurement [default: 20000; --quick 2000].
    #[arg(long, short = 'n', value_name = "N")]
    pub rounds: Option<u64>,

    /// Repetitions, interleaved; the median is reported [default: 3; --quick 1].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    /// Working sets each player writes after each hit, comma-separated: 0, 64KiB, 1MiB…
    #[arg(long, default_value = "0", value_name = "SIZES")]
    pub working_set: String,

    /// The CPU both players are pinned to [default: the first one allowed].
    #[arg(long, value_name = "CPU")]
    pub cpu: Option<usize>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub rounds: u64,
    pub repetitions: u32,
    pub working_sets: Vec<usize>,
    pub cpu: usize,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SwitchResult {
    /// Threads, or processes made by fork.
    pub unit: UnitKind,
    pub via: Via,
    pub working_set_bytes: usize,
    pub rounds: u64,
    /// Median over repetitions of the mean round trip, ns.
    pub round_trip_ns: f64,
    /// Half a round trip: one switch plus one hit, ns.
    pub per_switch_ns: f64,
    /// Each repetition's mean round trip, ns.
    pub rep_round_trip_ns: Vec<f64>,
    pub cpu: usize,
}

impl Row for SwitchResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "via",
            "working set",
            "round trip",
            "per switch",
            "reps",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.unit.to_string(),
            match self.via {
                Via::Pipe => "pipe",
                Via::Futex => "futex",
            }
            .to_string(),
            crate::format::format_size(self.working_set_bytes),
            ns(self.round_trip_ns),
            ns(self.per_switch_ns),
            self.rep_round_trip_ns
                .iter()
                .map(|v| ns(*v))
                .collect::<Vec<_>>()
                .join(", "),
        ]
    }
}

/// What `pingpong switch --json` writes.
pub type SwitchDocument = super::ExperimentDocument<Settings, SwitchResult>;

/// How a player wakes the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Pipe,
    Futex,
}

/// One player's means of hitting and waiting.
enum Line {
    Pipe { rx: OwnedFd, tx: OwnedFd },
    Futex { map: Arc<SharedMap>, me: u32 },
}

impl Line {
    /// Waits for the ball.
    fn wait(&self, stop: &AtomicBool) -> Result<()> {
        match self {
            Line::Pipe { rx, .. } => {
                let mut b = [0u8; 1];
                loop {
                    match rustix::io::read(rx, &mut b) {
                        Ok(1) => return Ok(()),
                        Ok(_) => bail!("the other player is gone"),
                        Err(rustix::io::Errno::INTR) => {
                            if stop.load(Ordering::Relaxed) {
                                bail!("stopped");
                            }
                        }
                        Err(e) => bail!("read: {e}"),
                    }
                }
            }
            Line::Futex { map, me } => {
                let w = map.atomic_u32(0);
                let ts = rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 200_000_000,
                };
                loop {
                    let v = w.load(Ordering::Acquire);
                    if v == *me {
                        return Ok(());
                    }
                    if stop.load(Ordering::Relaxed) {
                        bail!("stopped");
                    }
                    let _ = rustix::thread::futex::wait(
                        w,
                        rustix::thread::futex::Flags::empty(),
                        v,
                        Some(&ts),
                    );
                }
            }
        }
    }

    /// Hits the ball to the other player.
    fn hit(&self) -> Result<()> {
        match self {
            Line::Pipe { tx, .. } => loop {
                match rustix::io::write(tx, &[1]) {
                    Ok(1) => return Ok(()),
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => bail!("write: {e}"),
                }
            },
            Line::Futex { map, me } => {
                let w = map.atomic_u32(0);
                w.store(1 - *me, Ordering::Release);
                rustix::thread::futex::wake(w, rustix::thread::futex::Flags::empty(), 1)?;
                Ok(())
            }
        }
    }
}

/// Writes every cache line of the working set.
fn touch(ws: &mut [u8]) {
    for i in (0..ws.len()).step_by(64) {
        ws[i] = ws[i].wrapping_add(1);
    }
    std::hint::black_box(ws);
}

/// Ping: returns the elapsed ns of `rounds` round trips.
fn ping(line: &Line, rounds: u64, ws_len: usize, stop: &AtomicBool) -> Result<u64> {
    let mut ws = crate::ball::zeroed(ws_len)
        .map_err(|e| anyhow!("the working set: {e}; give a smaller --working-set"))?;
    touch(&mut ws);
    // A few untimed round trips first.
    for _ in 0..100 {
        line.hit()?;
        line.wait(stop)?;
    }
    let t0 = Instant::now();
    for _ in 0..rounds {
        line.hit()?;
        line.wait(stop)?;
        touch(&mut ws);
    }
    Ok(t0.elapsed().as_nanos() as u64)
}

fn pong(line: &Line, rounds: u64, ws_len: usize, stop: &AtomicBool) -> Result<()> {
    let mut ws = crate::ball::zeroed(ws_len)
        .map_err(|e| anyhow!("the working set: {e}; give a smaller --working-set"))?;
    touch(&mut ws);
    for _ in 0..rounds + 100 {
        line.wait(stop)?;
        touch(&mut ws);
        line.hit()?;
    }
    Ok(())
}

fn lines(via: Via) -> Result<(Line, Line)> {
    Ok(match via {
        Via::Pipe => {
            let (a_r, a_w) = super::pipe()?;
            let (b_r, b_w) = super::pipe()?;
            (
                Line::Pipe { rx: b_r, tx: a_w },
                Line::Pipe { rx: a_r, tx: b_w },
            )
        }
        Via::Futex => {
            let map = Arc::new(SharedMap::new(4096)?);
            // The word names whose turn it is (ping = 0, pong = 1); ping
            // hits first, so it starts at 0 (a fresh mapping is zeroed).
            (
                Line::Futex {
                    map: map.clone(),
                    me: 0,
                },
                Line::Futex { map, me: 1 },
            )
        }
    })
}

pub fn run(args: &SwitchArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (rounds, reps, cpu) = (settings.rounds, settings.repetitions, settings.cpu);
    let combos = combos(&settings.working_sets);
    let mut s = Session::new(
        "switch",
        "context switches: a blocking rally pinned to one CPU",
        c,
        settings,
        (combos.len() * reps as usize) as u64,
    )?;
    // Interleaved: every combination once per repetition, in turn. Row `i`
    // is rewritten after each of its repetitions.
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); combos.len()];
    let mut row: Vec<Option<usize>> = vec![None; combos.len()];
    let mut failed = vec![false; combos.len()];
    for rep in 0..reps {
        for (i, &(unit, via, ws)) in combos.iter().enumerate() {
            let name = if via == Via::Pipe { "pipe" } else { "futex" };
            let what = format!(
                "{unit} via {name}, working set {} (repetition {}/{reps})",
                crate::format::format_size(ws),
                rep + 1
            );
            if failed[i] {
                s.skip_step();
                continue;
            }
            s.start(&what)?;
            let d = Deadline::after(timeout);
            let r = if unit == UnitKind::Thread {
                threads(via, rounds, ws, cpu, &d)
            } else {
                processes(via, rounds, ws, cpu, &d)
            };
            match r {
                Ok(elapsed) => {
                    per[i].push(elapsed as f64 / rounds as f64);
                    let rt = crate::stats::median(&per[i]);
                    let at = *row[i].get_or_insert(s.doc.results.len());
                    s.set(
                        at,
                        SwitchResult {
                            unit,
                            via,
                            working_set_bytes: ws,
                            rounds,
                            round_trip_ns: rt,
                            per_switch_ns: rt / 2.0,
                            rep_round_trip_ns: per[i].clone(),
                            cpu,
                        },
                    )?;
                }
                Err(e) => {
                    failed[i] = true;
                    s.failed(&what, e)?;
                }
            }
        }
    }
    s.note(format!(
        "both players pinned to CPU {cpu}; a round trip is two switches, each with one hit (a pipe write + read, or a futex flip + wake)"
    ));
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one combination.
fn prepare(args: &SwitchArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let rounds = args.rounds.unwrap_or(if c.quick { 2000 } else { 20_000 });
    if rounds == 0 {
        return Err(usage("invalid --rounds '0': at least 1"));
    }
    crate::bounds::count(rounds, "--rounds", crate::bounds::MOST_ROUNDS)?;
    let reps = args.reps.unwrap_or(if c.quick { 1 } else { 3 });
    if reps == 0 {
        return Err(usage("invalid --reps '0': at least 1"));
    }
    crate::bounds::count(reps as u64, "--reps", crate::bounds::MOST_REPS)?;
    let mut sets = Vec::new();
    for x in crate::parse::split_list(&args.working_set) {
        let ws = crate::parse::parse_size(x).map_err(usage)?;
        sets.push(crate::bounds::count(ws, "--working-set", MAX_WORKING_SET)?);
    }
    if sets.is_empty() {
        return Err(usage(
            "--working-set is empty: give 0 or sizes such as 64KiB",
        ));
    }
    let allowed = crate::measure::placement::allowed_cpus();
    let cpu = match args.cpu {
        Some(c) if !allowed.contains(&c) => {
            return Err(usage(format!(
                "invalid --cpu {c}: pingpong may use CPUs {}",
                crate::measure::placement::cpu_list(&allowed)
            )))
        }
        Some(c) => c,
        None => allowed.first().copied().unwrap_or(0),
    };
    let settings = Settings {
        rounds,
        repetitions: reps,
        working_sets: sets,
        cpu,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

/// Every combination measured, in order: for each working set, processes
/// and threads, through a pipe then a futex.
fn combos(sets: &[usize]) -> Vec<(UnitKind, Via, usize)> {
    sets.iter()
        .flat_map(|&ws| {
            [
                (UnitKind::Fork, Via::Pipe, ws),
                (UnitKind::Thread, Via::Pipe, ws),
                (UnitKind::Fork, Via::Futex, ws),
                (UnitKind::Thread, Via::Futex, ws),
            ]
        })
        .collect()
}

fn threads(via: Via, rounds: u64, ws: usize, cpu: usize, d: &Deadline) -> Result<u64> {
    let (a, b) = lines(via)?;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<Result<u64>>();
    let (st1, st2) = (stop.clone(), stop.clone());
    let tx2 = tx.clone();
    let hp = std::thread::spawn(move || {
        let r = crate::measure::placement::pin_to(cpu).and_then(|_| ping(&a, rounds, ws, &st1));
        let _ = tx.send(r);
    });
    let hq = std::thread::spawn(move || {
        let r = crate::measure::placement::pin_to(cpu).and_then(|_| pong(&b, rounds, ws, &st2));
        if let Err(e) = r {
            let _ = tx2.send(Err(e.context("the pong thread")));
        }
    });
    let result = match rx.recv_timeout(d.remaining()) {
        Ok(r) => r,
        Err(_) => Err(anyhow!(
            "the thread rally did not finish within {}; both threads were stopped",
            d.describe()
        )),
    };
    if result.is_err() {
        stop.store(true, Ordering::Relaxed);
        for h in [&hp, &hq] {
            // SAFETY: the threads are alive until joined below; SIGUSR1 has
            // a do-nothing handler (crate::interrupt) installed without SA_RESTART.
            unsafe {
                nix::libc::pthread_kill(h.as_pthread_t(), nix::libc::SIGUSR1);
            }
        }
    }
    let _ = hp.join();
    let _ = hq.join();
    result
}

fn processes(via: Via, rounds: u64, ws: usize, cpu: usize, d: &Deadline) -> Result<u64> {
    let (a, b) = lines(via)?;
    let (res_r, res_w) = super::pipe()?;
    let raw = |l: &Line| match l {
        Line::Pipe { rx, tx } => vec![rx.as_raw_fd(), tx.as_raw_fd()],
        Line::Futex { .. } => vec![],
    };
    let (a_fds, b_fds) = (raw(&a), raw(&b));
    let rw = res_w.as_raw_fd();
    let mut kids = Children::default();
    let never = AtomicBool::new(false);
    {
        let b_fds = b_fds.clone();
        let (a, never) = (&a, &never);
        kids.0.push(super::fork_child(move || {
            // SAFETY: closes the other player's copies, so end-of-file tells death.
            unsafe {
                for fd in &b_fds {
                    nix::libc::close(*fd);
                }
            }
            let t = crate::measure::placement::pin_to(cpu).and_then(|_| ping(a, rounds, ws, never));
            match t {
                // SAFETY: an 8-byte write from a live buffer.
                Ok(ns) => unsafe { nix::libc::write(rw, ns.to_le_bytes().as_ptr().cast(), 8) == 8 },
                Err(_) => false,
            }
        })?);
    }
    {
        let (b, never) = (&b, &never);
        kids.0.push(super::fork_child(move || {
            // SAFETY: as above.
            unsafe {
                for fd in &a_fds {
                    nix::libc::close(*fd);
                }
                nix::libc::close(rw);
            }
            crate::measure::placement::pin_to(cpu)
                .and_then(|_| pong(b, rounds, ws, never))
                .is_ok()
        })?);
    }
    drop((a, b, res_w));
    let mut buf = [0u8; 8];
    super::read_within(res_r.as_fd(), &mut buf, d, "the process rally")
        .map_err(super::or_killed)?;
    let statuses = kids.reap_all(d, "a rally player")?;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("a rally player did not exit cleanly: {statuses:?}");
    }
    Ok(u64::from_le_bytes(buf))
}
