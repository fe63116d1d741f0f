//! A runaway process (P6): the sacrificial child starts it (a CPU loop, a
//! blocked read, or a CPU loop that ignores SIGTERM), signals it, and, as
//! its parent, observes how it ended and reaps it.

use super::cases::Case;
use super::task::spin_forever;
use super::{Method, Observed};
use crate::faults::{command, mono_ns, report, say, wait_until, Row};
use anyhow::{Context, Result};
use nix::sys::signal::{kill, SigHandler, Signal};
use nix::unistd::Pid;
use std::io::BufRead;
use std::process::Stdio;
use std::time::Duration;

/// The runaway process itself: the sacrificial child's own child, which
/// says it is ready and then spins (ignoring SIGTERM, if asked) or blocks
/// in a read.
pub(super) fn runaway(arg: &str) -> Result<i32> {
    match arg {
        "worker-spin" => {
            say("ready");
            spin_forever()
        }
        "worker-spin-ignore" => {
            // SAFETY: ignoring SIGTERM replaces its disposition; no handler runs.
            unsafe {
                nix::sys::signal::signal(Signal::SIGTERM, SigHandler::SigIgn)?;
            }
            say("ready");
            spin_forever()
        }
        _ => {
            say("ready");
            let mut b = [0u8; 1];
            let _ = std::io::Read::read(&mut std::io::stdin(), &mut b);
            Ok(0)
        }
    }
}

pub(super) fn stop_process(c: &Case, grace: Duration) -> Result<i32> {
    let worker = match c.arg {
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
    drop(child.stdin.take());
    let (status, _, signal) = crate::faults::describe(&ws);
    // Observed here, by the runaway's parent: how it ended, and that it was reaped.
    let result = if escalated && c.method == Method::Sigterm {
        // SIGTERM alone did not stop it (wait_until then killed it).
        Observed::StillRunning
    } else {
        Observed::Ended
    };
    let outcome = match (escalated, c.method) {
        (true, Method::SigtermThenSigkill) => format!(
            "SIGTERM ignored for {} ms; SIGKILL stopped it; reaped",
            grace.as_millis()
        ),
        (true, _) => format!(
            "SIGTERM did not stop it within {} ms; SIGKILL did; reaped",
            grace.as_millis()
        ),
        (false, _) => "stopped by SIGTERM and reaped".to_string(),
    };
    let mut a = c.attempt(result);
    a.ended_by = signal.map(|s| s.as_str().to_string());
    report(&Row {
        outcome,
        status,
        survived: Some(true),
        notice_ns: Some(reaped.saturating_sub(t0) as f64),
        detail: "time to notice = from the first signal until the process was reaped".into(),
        stop: Some(a),
        ..Row::default()
    });
    Ok(0)
}
