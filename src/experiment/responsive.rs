//! `pingpong responsive` (claim T4): does an "interface" stay responsive
//! while heavy work runs? A pinger sends pings over a pipe at random moments
//! (a gap drawn between 0 and twice `--every` after each answer, so pings
//! fall at every phase of the work); the interface answers each; the answer
//! latency is recorded.
//!
//! The heavy work is W CPU-bound workers (default: one per CPU, so the
//! machine is saturated), placed four ways: none (the baseline); in the
//! interface's own thread (it can answer only between chunks of work), with
//! the other W−1 workers as threads, once per chunk size (1 ms and 10 ms by
//! default, so that what the same thread costs is seen to scale with the
//! chunk rather than be one constant); in W other threads; in W other
//! (forked) processes. The workers are the SplitMix64 kernel of `scale`.
//! Every placement is measured several times, the repetitions interleaved
//! across the placements; each repetition gives its median and 99th
//! percentile.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::experiment::scale::{kernel, splitmix64};
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
    /// Mean time between an answer and the next ping [default: 5ms].
    #[arg(long, value_name = "TIME", default_value = "5ms")]
    pub every: String,

    /// How long each placement is measured, per repetition [default: 120ms; --quick 80ms].
    #[arg(long, short = 'd', value_name = "TIME")]
    pub duration: Option<String>,

    /// CPU-bound workers [default: one per CPU].
    #[arg(long, short = 'w', value_name = "N")]
    pub workers: Option<usize>,

    /// Work between two looks at the pings when the work shares the
    /// interface's thread, one placement per size [default: 1ms,10ms].
    #[arg(long, value_name = "TIMES", default_value = "1ms,10ms")]
    pub chunks: String,

    /// Repetitions of every placement, interleaved across them [default: 3; --quick 2].
    #[arg(long, value_name = "N")]
    pub reps: Option<u32>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub ping_every_ns: u64,
    pub duration_ns: u64,
    pub workers: usize,
    /// The chunk sizes, ns, in the order measured.
    pub chunks_ns: Vec<u64>,
    /// Kernel iterations per chunk, each (calibrated on CPU time, alone).
    pub chunk_iterations: Vec<u64>,
    /// Repetitions of every placement, interleaved across them.
    pub repetitions: u32,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponsiveResult {
    /// Where the heavy work runs.
    pub key: HeavyWork,
    /// "no heavy work", "same thread", "other threads", "other processes".
    pub heavy_work: String,
    /// The chunk of work between two looks (same thread only), ns.
    pub chunk_ns: Option<u64>,
    pub workers: usize,
    /// Over all repetitions.
    pub pings: u64,
    pub answered: u64,
    /// Answer latency over all repetitions, ns.
    pub latency: Summary,
    /// Every repetition's median and 99th percentile, ns, in the order taken.
    pub rep_median_ns: Vec<f64>,
    pub rep_p99_ns: Vec<f64>,
}

impl Row for ResponsiveResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "heavy work in",
            "chunk",
            "workers",
            "reps",
            "answered",
            "median",
            "medians",
            "p99",
            "max",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let l = &self.latency;
        let (lo, hi) = self
            .rep_median_ns
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        vec![
            self.heavy_work.clone(),
            self.chunk_ns
                .map(|c| ns(c as f64))
                .unwrap_or_else(|| "–".into()),
            self.workers.to_string(),
            self.rep_median_ns.len().to_string(),
            format!("{}/{}", self.answered, self.pings),
            ns(l.median),
            if self.rep_median_ns.len() > 1 {
                format!("{}–{}", ns(lo), ns(hi))
            } else {
                "–".into()
            },
            ns(l.p99),
            ns(l.max),
        ]
    }
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
    pub fn name(self) -> &'static str {
        match self {
            HeavyWork::None => "none",
            HeavyWork::SameThread => "same-thread",
            HeavyWork::OtherThread => "other-thread",
            HeavyWork::OtherProcess => "other-process",
        }
    }

    fn words(self) -> &'static str {
        match self {
            HeavyWork::None => "no heavy work",
            HeavyWork::SameThread => "same thread",
            HeavyWork::OtherThread => "other threads",
            HeavyWork::OtherProcess => "other processes",
        }
    }
}

pub fn run(args: &ResponsiveArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, asked) = prepare(args)?;
    let Asked {
        timeout,
        every,
        duration,
        chunks,
    } = asked;
    let (workers, reps) = (settings.workers, settings.repetitions);
    let chunk_iterations = settings.chunk_iterations.clone();
    let mut variants: Vec<(HeavyWork, Option<usize>)> = vec![(HeavyWork::None, None)];
    variants.extend((0..chunks.len()).map(|i| (HeavyWork::SameThread, Some(i))));
    variants.push((HeavyWork::OtherThread, None));
    variants.push((HeavyWork::OtherProcess, None));
    let mut s: Session<'_, Settings, ResponsiveResult> = Session::new(
        "responsive",
        "answer latency of an interface while heavy work runs",
        c,
        settings,
        variants.len() as u64 * reps as u64,
    )?;
    let mut rows: Vec<Option<usize>> = vec![None; variants.len()];
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); variants.len()];
    let mut seed = 0x5eed_u64;
    for _ in 0..reps {
        for (i, &(heavy, chunk)) in variants.iter().enumerate() {
            let what = match chunk {
                Some(k) => format!(
                    "heavy work in the same thread, {} chunks",
                    humantime::format_duration(chunks[k])
                ),
                None => format!("heavy work in {}", heavy.words()),
            };
            s.start(&what)?;
            if heavy == HeavyWork::OtherProcess {
                super::settle_to_one_thread(Duration::from_secs(1));
            }
            let d = Deadline::after(timeout.max(duration + Duration::from_secs(5)));
            seed = splitmix64(seed);
            let placement = Placement {
                heavy,
                workers,
                chunk_iterations: chunk.map(|k| chunk_iterations[k]).unwrap_or(0),
            };
            let (pings, lat) = match measure(&placement, duration, every, seed, &d) {
                Ok(x) => x,
                Err(e) => {
                    s.failed(&what, e)?;
                    continue;
                }
            };
            samples[i].extend_from_slice(&lat);
            let mut row = match rows[i] {
                Some(k) => s.doc.results[k].clone(),
                None => first_row(heavy, chunk.map(|k| chunks[k]), workers),
            };
            row.add(pings, &lat, &samples[i]);
            let k = *rows[i].get_or_insert(s.doc.results.len());
            s.set(k, row)?;
        }
    }
    s.note(format!(
        "pings at random moments, 0 to {} after each answer; in 'same thread' the interface looks for pings after each chunk of work",
        humantime::format_duration(every * 2)
    ));
    s.note(format!(
        "{reps} repetition(s) of every placement, interleaved (the first of each, then the second…), {} each",
        humantime::format_duration(duration)
    ));
    s.finish()
}

/// The times asked on the command line, as durations.
struct Asked {
    timeout: Duration,
    every: Duration,
    duration: Duration,
    chunks: Vec<Duration>,
}

/// The settings from the command line, checked (one clear line for a bad
/// value), with the chunks calibrated into kernel iterations.
fn prepare(args: &ResponsiveArgs) -> Result<(Settings, Asked)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let every = crate::bounds::parse_time(&args.every, "--every", crate::bounds::LONGEST_WAIT)?;
    let duration = match &args.duration {
        Some(d) => crate::bounds::parse_time(d, "--duration", MAX_DURATION)?,
        None if c.quick => Duration::from_millis(80),
        None => Duration::from_millis(120),
    };
    let chunks = crate::parse::split_list(&args.chunks)
        .into_iter()
        .map(|t| crate::bounds::parse_time(t, "--chunks", crate::bounds::LONGEST_CHUNK))
        .collect::<Result<Vec<Duration>>>()?;
    if every.is_zero()
        || duration < every
        || chunks.is_empty()
        || chunks.iter().any(|c| c.is_zero())
    {
        return Err(usage(
            "--every, --chunks and --duration must be positive, and --duration at least --every",
        ));
    }
    let reps = args.reps.unwrap_or(if c.quick { 2 } else { 3 });
    if reps == 0 || reps > 100 {
        return Err(usage(format!("invalid --reps '{reps}': from 1 to 100")));
    }
    let workers = args.workers.unwrap_or_else(super::cpus);
    if workers == 0 || workers > 256 {
        return Err(usage(format!(
            "invalid --workers '{workers}': from 1 to 256"
        )));
    }
    let per = ns_per_iteration();
    let chunk_iterations: Vec<u64> = chunks.iter().map(|&c| iterations_for(c, per)).collect();
    let settings = Settings {
        ping_every_ns: every.as_nanos() as u64,
        duration_ns: duration.as_nanos() as u64,
        workers,
        chunks_ns: chunks.iter().map(|c| c.as_nanos() as u64).collect(),
        chunk_iterations,
        repetitions: reps,
        timeout_s: timeout.as_secs_f64(),
    };
    let asked = Asked {
        timeout,
        every,
        duration,
        chunks,
    };
    Ok((settings, asked))
}

/// A placement's row before its first repetition is added.
fn first_row(heavy: HeavyWork, chunk: Option<Duration>, workers: usize) -> ResponsiveResult {
    ResponsiveResult {
        key: heavy,
        heavy_work: heavy.words().into(),
        chunk_ns: chunk.map(|c| c.as_nanos() as u64),
        workers: if heavy == HeavyWork::None { 0 } else { workers },
        pings: 0,
        answered: 0,
        latency: Summary::default(),
        rep_median_ns: vec![],
        rep_p99_ns: vec![],
    }
}

impl ResponsiveResult {
    /// Adds a repetition: its pings, its latencies `lat`, and the summary
    /// over every latency so far (`samples`).
    fn add(&mut self, pings: u64, lat: &[u64], samples: &[u64]) {
        let rep = Summary::of_samples(lat);
        self.pings += pings;
        self.answered += lat.len() as u64;
        if rep.count > 0 {
            self.rep_median_ns.push(rep.median);
            self.rep_p99_ns.push(rep.p99);
        }
        self.latency = Summary::of_samples(samples);
    }
}

/// What `pingpong responsive --json` writes.
pub type ResponsiveDocument = super::ExperimentDocument<Settings, ResponsiveResult>;

/// The names of the figures this experiment shows (read by the rules too).
/// Chunk sizes are numbered from 0 in the order measured.
pub mod key {
    use super::HeavyWork;

    /// The interface's median answer time, heavy work in `heavy` (not the same thread).
    pub fn median(heavy: HeavyWork) -> String {
        format!("responsive.{}.median", heavy.name())
    }

    /// The 99th percentile of the interface's answer time.
    pub fn p99(heavy: HeavyWork) -> String {
        format!("responsive.{}.p99", heavy.name())
    }

    /// The size of chunk `i`, ns.
    pub fn chunk(i: usize) -> String {
        format!("responsive.chunk{i}")
    }

    /// The median answer time with the work in the interface's thread, chunk `i`.
    pub fn same_thread_median(i: usize) -> String {
        format!("responsive.same-thread.chunk{i}.median")
    }

    /// The 99th percentile, work in the interface's thread, chunk `i`.
    pub fn same_thread_p99(i: usize) -> String {
        format!("responsive.same-thread.chunk{i}.p99")
    }
}

impl Witness for ResponsiveDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let complete = |r: &&ResponsiveResult| r.answered == r.pings && !r.rep_median_ns.is_empty();
        for r in self.results.iter().filter(complete) {
            let (mk, pk, what) = match r.key {
                HeavyWork::SameThread => {
                    let Some(i) = self
                        .settings
                        .chunks_ns
                        .iter()
                        .position(|&c| Some(c) == r.chunk_ns)
                    else {
                        continue;
                    };
                    ev.put(
                        key::chunk(i),
                        Figure::exact(
                            self.settings.chunks_ns[i] as f64,
                            Unit::Ns,
                            "work between two looks at the pings, in the interface's thread",
                            cmd,
                        ),
                    );
                    (
                        key::same_thread_median(i),
                        key::same_thread_p99(i),
                        format!(
                            "heavy work in the interface's thread, {} chunks",
                            ns(self.settings.chunks_ns[i] as f64)
                        ),
                    )
                }
                h => (
                    key::median(h),
                    key::p99(h),
                    format!("heavy work in: {}", h.words()),
                ),
            };
            for (k, series, stat) in [
                (mk, &r.rep_median_ns, "median"),
                (pk, &r.rep_p99_ns, "99th percentile"),
            ] {
                if let Some(f) = Figure::of_repetitions(
                    series,
                    Unit::Ns,
                    format!(
                        "{stat} of the interface's answer time, {what} (range over repetitions)"
                    ),
                    cmd,
                ) {
                    ev.put(k, f);
                }
            }
        }
    }
}

/// CPU time per kernel iteration, ns: the iterations are doubled until a
/// run takes at least 20 ms of this thread's CPU time (warm caches, settled
/// clock). CPU time, not wall time, so that other load on the machine does
/// not make the work look slower than it is.
pub(super) fn ns_per_iteration() -> f64 {
    let never = AtomicBool::new(false);
    let cpu = || {
        nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
            .map(|t| t.tv_sec() as f64 * 1e9 + t.tv_nsec() as f64)
            .unwrap_or(0.0)
    };
    let mut n = 1u64 << 16;
    loop {
        let t0 = cpu();
        std::hint::black_box(kernel(0, n, &never));
        let took = cpu() - t0;
        if took >= 20e6 || n >= 1 << 40 {
            return took.max(1.0) / n as f64;
        }
        n *= 2;
    }
}

/// Kernel iterations that take about `d` of CPU time at `per` ns each.
pub(super) fn iterations_for(d: Duration, per: f64) -> u64 {
    ((d.as_nanos() as f64 / per) as u64).max(1)
}

fn spin(stop: &AtomicBool) {
    let mut base = 0u64;
    while !stop.load(Ordering::Relaxed) {
        std::hint::black_box(kernel(base, base + (1 << 16), stop));
        base = base.wrapping_add(1 << 16);
    }
}

/// Where the heavy work runs, and how much of it the interface does between looks.
struct Placement {
    heavy: HeavyWork,
    workers: usize,
    chunk_iterations: u64,
}

/// Runs one placement: the pings sent, and the answer latencies, ns.
fn measure(
    p: &Placement,
    duration: Duration,
    every: Duration,
    seed: u64,
    d: &Deadline,
) -> Result<(u64, Vec<u64>)> {
    let stop = Arc::new(AtomicBool::new(false));
    // Processes first, while single-threaded.
    let mut kids = Children::default();
    if p.heavy == HeavyWork::OtherProcess {
        for _ in 0..p.workers {
            kids.0.push(super::fork_child(|| {
                spin(&AtomicBool::new(false));
                true
            })?);
        }
    }
    let mut hs = Vec::new();
    let others = match p.heavy {
        HeavyWork::OtherThread => p.workers,
        HeavyWork::SameThread => p.workers - 1,
        _ => 0,
    };
    for _ in 0..others {
        let st = stop.clone();
        hs.push(std::thread::spawn(move || spin(&st)));
    }
    let (ping_r, ping_w) = super::pipe()?;
    let (pong_r, pong_w) = super::pipe()?;
    let same = p.heavy == HeavyWork::SameThread;
    let chunk = p.chunk_iterations;
    let iface = std::thread::spawn(move || interface(ping_r, pong_w, same, chunk));
    let result = pinger(&ping_w, &pong_r, duration, every, seed, d);
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

/// Pings for `duration`, each a random gap (0 to twice `every`) after the
/// previous answer: the pings sent and the answer latencies, ns.
fn pinger(
    ping: &OwnedFd,
    pong: &OwnedFd,
    duration: Duration,
    every: Duration,
    mut seed: u64,
    d: &Deadline,
) -> Result<(u64, Vec<u64>)> {
    let mut lat = Vec::new();
    let end = Instant::now() + duration;
    let mut sent_count = 0;
    loop {
        seed = splitmix64(seed);
        let gap = (2.0 * every.as_nanos() as f64) * (seed >> 11) as f64 / (1u64 << 53) as f64;
        let due = Instant::now() + Duration::from_nanos(gap as u64);
        if due >= end {
            break;
        }
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let sent = Instant::now();
        if rustix::io::write(ping, b"p")? != 1 {
            bail!("the ping was not sent");
        }
        sent_count += 1;
        let mut b = [0u8; 1];
        super::read_within(pong.as_fd(), &mut b, d, "the interface's answer")?;
        lat.push(sent.elapsed().as_nanos() as u64);
    }
    Ok((sent_count, lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_witness_gives_medians_per_chunk_over_repetitions() {
        use crate::evidence::Spread;
        let row = |heavy, chunk: Option<u64>, medians: &[f64]| ResponsiveResult {
            key: heavy,
            heavy_work: String::new(),
            chunk_ns: chunk,
            workers: 2,
            pings: 10,
            answered: 10,
            latency: Summary::default(),
            rep_median_ns: medians.to_vec(),
            rep_p99_ns: medians.iter().map(|m| m * 3.0).collect(),
        };
        let doc = ResponsiveDocument {
            header: crate::results::Header::new("responsive"),
            settings: Settings {
                ping_every_ns: 5_000_000,
                duration_ns: 150_000_000,
                workers: 2,
                chunks_ns: vec![1_000_000, 10_000_000],
                chunk_iterations: vec![1, 10],
                repetitions: 3,
                timeout_s: 60.0,
            },
            results: vec![
                row(HeavyWork::SameThread, Some(1_000_000), &[5e5, 4e5, 6e5]),
                row(HeavyWork::SameThread, Some(10_000_000), &[5e6]),
                row(HeavyWork::OtherThread, None, &[7e3, 8e3, 9e3]),
            ],
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        };
        let mut ev = Evidence::default();
        doc.testify(&mut ev, "pingpong responsive");
        let f = ev.figure(&key::same_thread_median(0)).unwrap();
        assert_eq!((f.value, f.low, f.high), (5e5, 4e5, 6e5));
        assert_eq!(f.spread, Spread::Repetitions { n: 3 });
        assert_eq!(ev.figure(&key::chunk(1)).unwrap().value, 1e7);
        // One repetition: a single value, never an interval.
        assert_eq!(
            ev.figure(&key::same_thread_median(1)).unwrap().spread,
            Spread::Exact
        );
        assert_eq!(
            ev.figure(&key::p99(HeavyWork::OtherThread)).unwrap().value,
            24e3
        );
        assert!(ev.figure(&key::median(HeavyWork::OtherProcess)).is_none());
    }
}
