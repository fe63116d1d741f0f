//! `pingpong responsive` (claim T4): does an "interface" stay responsive
//! while heavy work runs? A pinger sends a ping every few milliseconds over a
//! pipe; the interface answers each; the answer latency is recorded.
//!
//! The heavy work is W CPU-bound workers (default: one per CPU, so the
//! machine is saturated), placed four ways: none (the baseline); in the
//! interface's own thread (it can answer only between chunks of work), with
//! the other W−1 workers as threads; in W other threads; in W other
//! (forked) processes. The workers are the SplitMix64 kernel of `scale`.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::experiment::scale::kernel;
use crate::format::ns;
use crate::stats::Summary;
use anyhow::{bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest a placement may be measured (`--duration`).
const MAX_DURATION: Duration = Duration::from_secs(3600);

#[derive(Debug, Args)]
pub struct ResponsiveArgs {
    /// Time between pings [default: 5ms].
    #[arg(long, value_name = "TIME", default_value = "5ms")]
    pub every: String,

    /// How long each placement is measured [default: 750ms; --quick 150ms].
    #[arg(long, short = 'd', value_name = "TIME")]
    pub duration: Option<String>,

    /// CPU-bound workers [default: one per CPU].
    #[arg(long, short = 'w', value_name = "N")]
    pub workers: Option<usize>,

    /// Work between two looks at the pings when the work shares the interface's thread [default: 10ms].
    #[arg(long, value_name = "TIME", default_value = "10ms")]
    pub chunk: String,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub ping_every_ns: u64,
    pub duration_ns: u64,
    pub workers: usize,
    pub chunk_ns: u64,
    /// Kernel iterations per chunk (calibrated).
    pub chunk_iterations: u64,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponsiveResult {
    /// Where the heavy work runs.
    pub key: HeavyWork,
    /// "no heavy work", "same thread", "other threads", "other processes".
    pub heavy_work: String,
    pub workers: usize,
    pub pings: u64,
    pub answered: u64,
    /// Answer latency, ns.
    pub latency: Summary,
}

impl Row for ResponsiveResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "heavy work in",
            "workers",
            "answered",
            "median",
            "p90",
            "p99",
            "max",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let l = &self.latency;
        vec![
            self.heavy_work.clone(),
            self.workers.to_string(),
            format!("{}/{}", self.answered, self.pings),
            ns(l.median),
            ns(l.p90),
            ns(l.p99),
            ns(l.max),
        ]
    }
}

const MODES: [&str; 4] = [
    "no heavy work",
    "same thread",
    "other threads",
    "other processes",
];

pub fn run(args: &ResponsiveArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let every = crate::bounds::parse_time(&args.every, "--every", crate::bounds::LONGEST_WAIT)?;
    let duration = match &args.duration {
        Some(d) => crate::bounds::parse_time(d, "--duration", MAX_DURATION)?,
        None if c.quick => Duration::from_millis(150),
        None => Duration::from_millis(750),
    };
    let chunk = crate::bounds::parse_time(&args.chunk, "--chunk", crate::bounds::LONGEST_CHUNK)?;
    if every.is_zero() || duration < every || chunk.is_zero() {
        return Err(usage(
            "--every, --chunk and --duration must be positive, and --duration at least --every",
        ));
    }
    let workers = args.workers.unwrap_or_else(super::cpus);
    if workers == 0 || workers > 256 {
        return Err(usage(format!(
            "invalid --workers '{workers}': from 1 to 256"
        )));
    }
    let chunk_iterations = calibrate(chunk);
    let settings = Settings {
        ping_every_ns: every.as_nanos() as u64,
        duration_ns: duration.as_nanos() as u64,
        workers,
        chunk_ns: chunk.as_nanos() as u64,
        chunk_iterations,
        timeout_s: timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "responsive",
        "answer latency of an interface while heavy work runs",
        c,
        settings,
        MODES.len() as u64,
    )?;
    let pings = (duration.as_nanos() / every.as_nanos()) as u64;
    for mode in MODES {
        let what = format!("heavy work in {mode}");
        s.start(&what)?;
        let d = Deadline::after(timeout.max(duration + Duration::from_secs(5)));
        match measure(mode, workers, pings, every, chunk_iterations, &d) {
            Ok(lat) => {
                let answered = lat.len() as u64;
                s.push(ResponsiveResult {
                    key: HeavyWork::of(mode),
                    heavy_work: mode.into(),
                    workers: if mode == "no heavy work" { 0 } else { workers },
                    pings,
                    answered,
                    latency: Summary::of_samples(&lat),
                })?
            }
            Err(e) => s.failed(&what, e)?,
        }
    }
    s.note(format!(
        "a ping every {}; in 'same thread' the interface looks for pings after each ~{} chunk of work",
        humantime::format_duration(every),
        humantime::format_duration(chunk)
    ));
    s.finish()
}

/// Where the heavy work runs while the interface answers pings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeavyWork {
    None,
    SameThread,
    OtherThread,
    OtherProcess,
}

impl HeavyWork {
    fn of(mode: &str) -> HeavyWork {
        match mode {
            "same thread" => HeavyWork::SameThread,
            "other threads" => HeavyWork::OtherThread,
            "other processes" => HeavyWork::OtherProcess,
            _ => HeavyWork::None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HeavyWork::None => "none",
            HeavyWork::SameThread => "same-thread",
            HeavyWork::OtherThread => "other-thread",
            HeavyWork::OtherProcess => "other-process",
        }
    }
}

/// What `pingpong responsive --json` writes.
pub type ResponsiveDocument = super::ExperimentDocument<Settings, ResponsiveResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use super::HeavyWork;

    /// The 99th percentile of the interface's answer time.
    pub fn p99(heavy: HeavyWork) -> String {
        format!("responsive.{}.p99", heavy.name())
    }
}

impl Witness for ResponsiveDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for r in self.results.iter().filter(|r| r.latency.count > 0) {
            ev.put(
                key::p99(r.key),
                Figure::exact(
                    r.latency.p99,
                    Unit::Ns,
                    format!(
                        "99th percentile of the interface's answer time, heavy work in: {}",
                        r.key.name()
                    ),
                    cmd,
                ),
            );
        }
    }
}

/// Kernel iterations that take about `chunk`: doubled until a run takes at
/// least 20 ms (warm caches, settled clock), then scaled.
fn calibrate(chunk: Duration) -> u64 {
    let never = AtomicBool::new(false);
    let mut n = 1u64 << 16;
    loop {
        let t0 = Instant::now();
        std::hint::black_box(kernel(0, n, &never));
        let took = t0.elapsed();
        if took >= Duration::from_millis(20) || n >= 1 << 40 {
            let per = took.as_nanos().max(1) as f64 / n as f64;
            return ((chunk.as_nanos() as f64 / per) as u64).max(1);
        }
        n *= 2;
    }
}

fn spin(stop: &AtomicBool) {
    let mut base = 0u64;
    while !stop.load(Ordering::Relaxed) {
        std::hint::black_box(kernel(base, base + (1 << 16), stop));
        base = base.wrapping_add(1 << 16);
    }
}

/// Runs one placement; returns the answer latencies, ns.
fn measure(
    mode: &str,
    workers: usize,
    pings: u64,
    every: Duration,
    chunk_iterations: u64,
    d: &Deadline,
) -> Result<Vec<u64>> {
    let stop = Arc::new(AtomicBool::new(false));
    // Processes first, while single-threaded.
    let mut kids = Children::default();
    if mode == "other processes" {
        for _ in 0..workers {
            kids.0.push(super::fork_child(|| {
                spin(&AtomicBool::new(false));
                true
            })?);
        }
    }
    let mut hs = Vec::new();
    let others = match mode {
        "other threads" => workers,
        "same thread" => workers - 1,
        _ => 0,
    };
    for _ in 0..others {
        let st = stop.clone();
        hs.push(std::thread::spawn(move || spin(&st)));
    }
    let (ping_r, ping_w) = super::pipe()?;
    let (pong_r, pong_w) = super::pipe()?;
    let same = mode == "same thread";
    let iface = std::thread::spawn(move || interface(ping_r, pong_w, same, chunk_iterations));
    let result = pinger(&ping_w, &pong_r, pings, every, d);
    drop(ping_w);
    stop.store(true, Ordering::Relaxed);
    drop(kids); // kills and reaps the worker processes
    for h in hs {
        let _ = h.join();
    }
    let _ = iface.join();
    result
}

/// The interface: answers each ping byte with one byte. With `same`, it does
/// a chunk of work between looks at the pipe.
fn interface(ping: OwnedFd, pong: OwnedFd, same: bool, chunk: u64) {
    let never = AtomicBool::new(false);
    let mut buf = [0u8; 64];
    if same {
        rustix::io::ioctl_fionbio(&ping, true).ok();
    }
    let mut base = 0u64;
    loop {
        if same {
            std::hint::black_box(kernel(base, base + chunk, &never));
            base = base.wrapping_add(chunk);
        }
        match rustix::io::read(&ping, &mut buf) {
            Ok(0) => return,
            Ok(n) => {
                if rustix::io::write(&pong, &buf[..n]).is_err() {
                    return;
                }
            }
            Err(rustix::io::Errno::AGAIN) | Err(rustix::io::Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

fn pinger(
    ping: &OwnedFd,
    pong: &OwnedFd,
    pings: u64,
    every: Duration,
    d: &Deadline,
) -> Result<Vec<u64>> {
    let mut lat = Vec::with_capacity(pings as usize);
    let t0 = Instant::now();
    for k in 0..pings {
        let due = t0 + every * k as u32;
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        let sent = Instant::now();
        if rustix::io::write(ping, b"p")? != 1 {
            bail!("the ping was not sent");
        }
        let mut b = [0u8; 1];
        super::read_within(pong.as_fd(), &mut b, d, "the interface's answer")?;
        lat.push(sent.elapsed().as_nanos() as u64);
    }
    Ok(lat)
}
