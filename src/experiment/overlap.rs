//! `pingpong overlap` (claims T6, A1): N units each blocked on I/O at once,
//! against the same waits done one after another.
//!
//! Two kinds of wait: `sleep` (a timer), and `pipe` (a read that a timed
//! writer answers after the wait). Units are threads, forked processes and
//! (for sleep) tokio tasks on a single-threaded runtime. Reported: wall time,
//! CPU time (this process and its reaped children), CPU use as a fraction of
//! one CPU over the wall time, and the speedup over the serial run.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::ns;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The longest wait of one unit (a sleep is not interrupted by Ctrl-C).
const MAX_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Args)]
pub struct OverlapArgs {
    /// Units waiting at once [default: 8; --quick 4].
    #[arg(long, short = 'u', value_name = "N")]
    pub units: Option<usize>,

    /// How long each unit waits [default: 50ms; --quick 20ms].
    #[arg(long, value_name = "TIME")]
    pub wait: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub units: usize,
    pub wait_ns: u64,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverlapResult {
    pub wait_kind: WaitKind,
    pub unit: Runner,
    pub units: usize,
    pub wall_ns: u64,
    pub cpu_ns: u64,
    /// CPU time / wall time (1.0 = one CPU busy throughout).
    pub cpu_use: f64,
    /// Serial wall time (same wait kind) / this wall time.
    pub speedup: f64,
    /// Waits that completed (must equal units).
    pub completed: usize,
}

impl Row for OverlapResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "wait",
            "unit",
            "units",
            "wall",
            "CPU time",
            "CPU use",
            "speedup vs serial",
            "completed",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.wait_kind.to_string(),
            self.unit.to_string(),
            self.units.to_string(),
            ns(self.wall_ns as f64),
            ns(self.cpu_ns as f64),
            format!("{:.1}%", self.cpu_use * 100.0),
            super::ratio(self.speedup),
            format!("{}/{}", self.completed, self.units),
        ]
    }
}

fn cpu_now() -> u64 {
    crate::measure::rusage::process_cpu_ns() + super::children_cpu_ns()
}

pub fn run(args: &OverlapArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let units = args.units.unwrap_or(if c.quick { 4 } else { 8 });
    if units == 0 || units > 1000 {
        return Err(usage(format!("invalid --units '{units}': from 1 to 1000")));
    }
    let wait = match &args.wait {
        Some(w) => crate::bounds::parse_time(w, "--wait", MAX_WAIT)?,
        None if c.quick => Duration::from_millis(20),
        None => Duration::from_millis(50),
    };
    use {Runner::*, WaitKind::*};
    let plan = [
        (Sleep, Serial),
        (Sleep, ProcessesFork),
        (Sleep, Threads),
        (Sleep, Tasks),
        (Pipe, Serial),
        (Pipe, ProcessesFork),
        (Pipe, Threads),
    ];
    let settings = Settings {
        units,
        wait_ns: wait.as_nanos() as u64,
        timeout_s: timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "overlap",
        "units blocked on I/O at once vs one after another",
        c,
        settings,
        plan.len() as u64,
    )?;
    let mut serial = [f64::NAN; 2];
    for (kind, unit) in plan {
        let what = format!(
            "{units} × {kind} {}, {unit}",
            humantime::format_duration(wait)
        );
        s.start(&what)?;
        let d = Deadline::after(timeout);
        let cpu0 = cpu_now();
        let t0 = Instant::now();
        let pipe = kind == Pipe;
        let r = match unit {
            Serial => serial_run(pipe, units, wait, &d),
            Threads => threads(pipe, units, wait, &d),
            ProcessesFork => processes(pipe, units, wait, &d),
            Tasks => tasks(units, wait, &d),
        };
        let wall = t0.elapsed().as_nanos() as u64;
        let cpu = cpu_now().saturating_sub(cpu0);
        match r {
            Ok(completed) => {
                let k = usize::from(pipe);
                if unit == Serial {
                    serial[k] = wall as f64;
                }
                s.push(OverlapResult {
                    wait_kind: kind,
                    unit,
                    units,
                    wall_ns: wall,
                    cpu_ns: cpu,
                    cpu_use: cpu as f64 / wall.max(1) as f64,
                    speedup: super::speedup(serial[k], wall as f64),
                    completed,
                })?;
            }
            Err(e) => s.failed(&what, e)?,
        }
    }
    s.note("tasks: tokio on one thread (current-thread runtime); pipe waits are not run as tasks");
    s.note("pipe: each unit blocks in read() until a timed writer (pingpong's main thread) writes after the wait");
    s.finish()
}

/// What each unit waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaitKind {
    Sleep,
    /// A blocking read on a pipe that a timed writer fills.
    Pipe,
}

/// Who does the waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Runner {
    /// One wait after another on one thread (the baseline).
    Serial,
    Threads,
    ProcessesFork,
    Tasks,
}

impl std::fmt::Display for WaitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WaitKind::Sleep => "sleep",
            WaitKind::Pipe => "pipe",
        })
    }
}

impl std::fmt::Display for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Runner::Serial => "serial",
            Runner::Threads => "threads",
            Runner::ProcessesFork => "processes-fork",
            Runner::Tasks => "tasks",
        })
    }
}

/// What `pingpong overlap --json` writes.
pub type OverlapDocument = super::ExperimentDocument<Settings, OverlapResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    /// Serial wall time ÷ wall time of the threads, each unit sleeping.
    pub const THREADS_SPEEDUP: &str = "overlap.threads.speedup";
    /// How many units waited at once.
    pub const UNITS: &str = "overlap.units";
}

impl Witness for OverlapDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let Some(r) = self
            .results
            .iter()
            .find(|r| r.unit == Runner::Threads && r.wait_kind == WaitKind::Sleep)
        else {
            return;
        };
        if !r.speedup.is_finite() {
            return;
        }
        ev.put(
            key::THREADS_SPEEDUP,
            Figure::exact(
                r.speedup,
                Unit::Ratio,
                format!(
                    "{} threads each waiting: serial wall time ÷ concurrent wall time",
                    r.units
                ),
                cmd,
            ),
        );
        ev.put(
            key::UNITS,
            Figure::exact(r.units as f64, Unit::Count, "units waiting at once", cmd),
        );
    }
}

/// One after another, on this thread: returns the waits completed.
fn serial_run(pipe: bool, n: usize, wait: Duration, d: &Deadline) -> Result<usize> {
    if !pipe {
        for _ in 0..n {
            d.check("the serial sleeps")?;
            std::thread::sleep(wait);
        }
        return Ok(n);
    }
    // A writer thread answers pipe i at (i+1)·wait; this thread reads them in order.
    let mut ends = Vec::new();
    for _ in 0..n {
        ends.push(super::pipe()?);
    }
    let (readers, writers): (Vec<OwnedFd>, Vec<OwnedFd>) = ends.into_iter().unzip();
    let dl = *d;
    let writer = std::thread::spawn(move || {
        for w in writers {
            std::thread::sleep(wait.min(dl.remaining()));
            let _ = rustix::io::write(&w, b"x");
        }
    });
    let mut done = 0;
    let mut err = None;
    for r in &readers {
        let mut b = [0u8; 1];
        match super::read_within(r.as_fd(), &mut b, d, "a serial pipe read") {
            Ok(()) => done += 1,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    drop(readers);
    let _ = writer.join();
    match err {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

fn threads(pipe: bool, n: usize, wait: Duration, d: &Deadline) -> Result<usize> {
    let (tx, rx) = std::sync::mpsc::channel::<bool>();
    let mut writers = Vec::new();
    let mut hs = Vec::new();
    for _ in 0..n {
        let tx = tx.clone();
        if pipe {
            let (r, w) = super::pipe()?;
            writers.push(w);
            let dl = *d;
            hs.push(std::thread::spawn(move || {
                let mut b = [0u8; 1];
                let ok = super::read_within(r.as_fd(), &mut b, &dl, "a thread's pipe read").is_ok();
                let _ = tx.send(ok);
            }));
        } else {
            hs.push(std::thread::spawn(move || {
                std::thread::sleep(wait);
                let _ = tx.send(true);
            }));
        }
    }
    drop(tx);
    if pipe {
        std::thread::sleep(wait);
        for w in &writers {
            rustix::io::write(w, b"x")?;
        }
    }
    let mut done = 0;
    let mut failure = None;
    for _ in 0..n {
        match rx.recv_timeout(d.remaining()) {
            Ok(true) => done += 1,
            Ok(false) => failure = Some(anyhow!("a thread's wait failed")),
            Err(_) => {
                failure = Some(anyhow!(
                    "the threads did not finish within {}",
                    d.describe()
                ));
                break;
            }
        }
    }
    drop(writers);
    for h in hs {
        let _ = h.join();
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

fn processes(pipe: bool, n: usize, wait: Duration, d: &Deadline) -> Result<usize> {
    let (done_r, done_w) = super::pipe()?;
    let dw = done_w.as_raw_fd();
    let mut kids = Children::default();
    let mut writers = Vec::new();
    for _ in 0..n {
        let read_fd = if pipe {
            let (r, w) = super::pipe()?;
            writers.push(w);
            Some(r)
        } else {
            None
        };
        let rfd = read_fd.as_ref().map(|r| r.as_raw_fd());
        kids.0.push(super::fork_child(move || {
            match rfd {
                Some(fd) => {
                    let mut b = [0u8; 1];
                    // SAFETY: a blocking read into a live buffer on an inherited descriptor.
                    if unsafe { nix::libc::read(fd, b.as_mut_ptr().cast(), 1) } != 1 {
                        return false;
                    }
                }
                None => std::thread::sleep(wait),
            }
            // SAFETY: a one-byte write from a live buffer.
            unsafe { nix::libc::write(dw, b"d".as_ptr().cast(), 1) == 1 }
        })?);
    }
    drop(done_w);
    if pipe {
        std::thread::sleep(wait);
        for w in &writers {
            rustix::io::write(w, b"x")?;
        }
    }
    let mut buf = vec![0u8; n];
    super::read_within(done_r.as_fd(), &mut buf, d, "the waiting processes")
        .map_err(super::or_killed)?;
    let statuses = kids.reap_all(d, "a waiting process")?;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("a waiting process did not exit cleanly: {statuses:?}");
    }
    Ok(n)
}

fn tasks(n: usize, wait: Duration, d: &Deadline) -> Result<usize> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("starting the tokio runtime")?;
    let limit = d.remaining();
    let r = rt.block_on(async move {
        let hs: Vec<_> = (0..n)
            .map(|_| tokio::spawn(async move { tokio::time::sleep(wait).await }))
            .collect();
        tokio::time::timeout(limit, async {
            let mut done = 0;
            for h in hs {
                if h.await.is_ok() {
                    done += 1;
                }
            }
            done
        })
        .await
    });
    r.map_err(|_| anyhow!("the tasks did not finish within {}", d.describe()))
}
