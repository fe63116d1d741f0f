//! Stopping a runaway (claims T11, P6): a CPU loop that never checks
//! anything, and a unit blocked in a read.
//!
//! * A process is stopped from outside: SIGTERM, then SIGKILL after a grace
//!   period if SIGTERM is ignored; we time the stop until the reaping.
//! * A thread cannot be killed: the only way is cooperative (a flag the loop
//!   checks; for a blocked read, SIGUSR1 installed without `SA_RESTART` to
//!   interrupt the read, see [`crate::interrupt`]). A thread that never checks
//!   cannot be stopped at all: we show it still running after the grace
//!   period, and end it the only way there is, by ending its process.

use super::{command, mono_ns, report, run_case, wait_until, Observed, Row};
use anyhow::{Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::hint::black_box;
use std::io::BufRead;
use std::os::fd::AsFd;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CASES: [(&str, &str, &str); 7] = [
    ("cpu loop", "process", "process-spin"),
    ("blocked read", "process", "process-read"),
    (
        "cpu loop, SIGTERM ignored",
        "process",
        "process-spin-ignore",
    ),
    ("cpu loop, checks a flag", "thread", "thread-coop-spin"),
    (
        "blocked read, checks a flag on EINTR",
        "thread",
        "thread-coop-read",
    ),
    ("cpu loop, never checks", "thread", "thread-spin"),
    ("blocked read, retries EINTR", "thread", "thread-read"),
];

pub fn run(quick: bool) -> Vec<Row> {
    let grace = if quick { "300" } else { "1000" };
    CASES
        .iter()
        .flat_map(|(case, unit, arg)| {
            run_case("stop", case, unit, &[arg, grace], super::deadline(quick))
        })
        .collect()
}

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    let grace_ms: u64 = rest.first().and_then(|g| g.parse().ok()).unwrap_or(300);
    let grace = Duration::from_millis(grace_ms);
    match arg {
        "process-spin" | "process-read" | "process-spin-ignore" => stop_process(arg, grace),
        "thread-coop-spin" | "thread-coop-read" | "thread-spin" | "thread-read" => {
            stop_thread(arg, grace)
        }
        "worker-spin" => {
            super::say("ready");
            spin_forever()
        }
        "worker-spin-ignore" => {
            // SAFETY: ignoring SIGTERM replaces its disposition; no handler runs.
            unsafe {
                nix::sys::signal::signal(Signal::SIGTERM, nix::sys::signal::SigHandler::SigIgn)?;
            }
            super::say("ready");
            spin_forever()
        }
        "worker-read" => {
            super::say("ready");
            let mut b = [0u8; 1];
            let _ = std::io::Read::read(&mut std::io::stdin(), &mut b);
            Ok(0)
        }
        _ => Ok(2),
    }
}

fn spin_forever() -> ! {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

fn stop_process(arg: &str, grace: Duration) -> Result<i32> {
    let worker = match arg {
        "process-spin" => "worker-spin",
        "process-read" => "worker-read",
        _ => "worker-spin-ignore",
    };
    let mut cmd = command(&["stop".into(), worker.into()])?;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting the runaway process")?;
    let pid = Pid::from_raw(child.id() as i32);
    // Wait until it runs (or is about to block in its read).
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().context("stdout")?);
    out.read_line(&mut line)?;
    std::thread::sleep(Duration::from_millis(20));
    let t0 = mono_ns();
    kill(pid, Signal::SIGTERM)?;
    let (ws, escalated) = wait_until(pid, grace)?;
    let reaped = mono_ns();
    let outcome = if escalated {
        // wait_until sent SIGKILL at the end of the grace period, then reaped.
        format!(
            "SIGTERM ignored for {} ms; SIGKILL stopped it; reaped",
            grace.as_millis()
        )
    } else {
        "stopped by SIGTERM and reaped".to_string()
    };
    drop(child.stdin.take());
    let (status, _, sig) = super::describe(&ws);
    report(&Row {
        outcome,
        observed: Observed::Stopped {
            signal: sig.map(|s| s.as_str().to_string()),
            reaped: true,
        },
        status,
        survived: Some(true),
        notice_ns: Some(reaped.saturating_sub(t0) as f64),
        detail: "time to notice = from the first signal until the process was reaped".into(),
        ..Row::default()
    });
    Ok(0)
}

/// CPU time of one of our threads so far, in clock ticks.
fn thread_ticks(tid: u64) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    let after = s.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn stop_thread(arg: &str, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    crate::interrupt::install_handlers();
    let flag = Arc::new(AtomicBool::new(false));
    let tid = Arc::new(AtomicU64::new(0));
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let (f, t, kind) = (flag.clone(), tid.clone(), arg.to_string());
    let h = std::thread::Builder::new()
        .name("runaway".into())
        .spawn(move || {
            t.store(
                rustix::thread::gettid().as_raw_nonzero().get() as u64,
                Ordering::SeqCst,
            );
            let mut x = 0u64;
            let mut buf = [0u8; 1];
            match kind.as_str() {
                "thread-coop-spin" => {
                    while !f.load(Ordering::Relaxed) {
                        x = black_box(x.wrapping_add(1));
                    }
                }
                "thread-coop-read" => loop {
                    match rustix::io::read(r.as_fd(), &mut buf) {
                        Err(rustix::io::Errno::INTR) if f.load(Ordering::SeqCst) => break,
                        Err(rustix::io::Errno::INTR) => continue,
                        _ => break,
                    }
                },
                "thread-spin" => spin_forever(),
                _ => {
                    // Like `read_exact`: EINTR is retried, nothing is checked.
                    while let Err(rustix::io::Errno::INTR) = rustix::io::read(r.as_fd(), &mut buf) {
                    }
                }
            }
        })?;
    std::thread::sleep(Duration::from_millis(20));
    let pthread = h.as_pthread_t();
    let t0 = mono_ns();
    flag.store(true, Ordering::SeqCst);
    let interrupts = arg.ends_with("read");
    let end = std::time::Instant::now() + grace;
    let ticks0 = thread_ticks(tid.load(Ordering::SeqCst));
    while !h.is_finished() && std::time::Instant::now() < end {
        if interrupts {
            let _ = nix::sys::pthread::pthread_kill(pthread, Signal::SIGUSR1);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let stopped_at = mono_ns();
    if h.is_finished() {
        let _ = h.join();
        report(&Row {
            outcome: "stopped cooperatively and joined".into(),
            observed: Observed::Stopped {
                signal: None,
                reaped: true,
            },
            status: "joined".into(),
            survived: Some(true),
            notice_ns: Some(stopped_at.saturating_sub(t0) as f64),
            detail: if interrupts {
                "flag set, then SIGUSR1 (installed without SA_RESTART) until the read returned EINTR and the thread saw the flag".into()
            } else {
                "flag set; time until the loop saw it and the thread was joined".into()
            },
            ..Row::default()
        });
        drop(w);
        return Ok(0);
    }
    let ticks1 = thread_ticks(tid.load(Ordering::SeqCst));
    let cpu = match (ticks0, ticks1) {
        (Some(a), Some(b)) => format!(" ({} CPU ticks in that time)", b.saturating_sub(a)),
        _ => String::new(),
    };
    report(&Row {
        outcome: format!(
            "cannot be stopped: still {} after {} ms{cpu}; ended only by ending its process",
            if interrupts { "blocked" } else { "running" },
            grace.as_millis()
        ),
        status: "running → process exit".into(),
        observed: Observed::Unstoppable,
        survived: Some(true),
        notice_ns: None,
        detail: "a thread has no kill: the flag is never read, a signal is only a request \
                 (EINTR is retried), and pthread_cancel is not sound with Rust's stack unwinding; \
                 the sacrificial process exits and takes the thread with it"
            .into(),
        ..Row::default()
    });
    drop(w);
    // The thread cannot be joined; end the process around it.
    std::process::exit(0);
}
