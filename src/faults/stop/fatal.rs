//! A fatal signal aimed at one thread (`tgkill` SIGKILL; `pthread_kill`
//! SIGTERM, default action), the child's side: if the child is still here
//! afterwards, the signal did not take the whole process. If it did, the
//! parent sees the death (see `sacrificial.rs`).

use super::cases::Case;
use super::task::{spinner, task_state, tgkill};
use super::Observed;
use crate::faults::{mark, report, Row};
use anyhow::{Context, Result};
use nix::sys::signal::{SigHandler, Signal};
use std::time::Duration;

pub(super) fn fatal(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    let sigterm = c.signal == Some("SIGTERM");
    if sigterm {
        // SAFETY: restores the default action (terminate); no handler runs.
        unsafe { nix::sys::signal::signal(Signal::SIGTERM, SigHandler::SigDfl) }?;
    }
    let (h, tid) = spinner()?;
    mark();
    if sigterm {
        nix::sys::pthread::pthread_kill(h.as_pthread_t(), Signal::SIGTERM)
            .context("pthread_kill")?;
    } else {
        tgkill(std::process::id() as i32, tid, Signal::SIGKILL)?;
    }
    // Still here: the signal did not take the whole process.
    std::thread::sleep(grace);
    let alive = task_state("self", tid).is_some_and(|s| s != 'Z' && s != 'X');
    let result = if alive {
        Observed::StillRunning
    } else {
        Observed::OnlyThreadDied
    };
    let mut a = c.attempt(result);
    a.others_affected = Some(false);
    report(&Row {
        outcome: if alive {
            "no effect: the thread still runs".into()
        } else {
            "only that thread died; the rest of the process lived on".into()
        },
        status: "process lived".into(),
        survived: Some(true),
        stop: Some(a),
        ..Row::default()
    });
    std::process::exit(0);
}
