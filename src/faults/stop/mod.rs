//! Stopping a runaway (claims T11 "a thread cannot be interrupted or killed"
//! and P6 "child processes can be interrupted or killed"): every way there
//! is, tried live, each inside its own sacrificial child, each reported as
//! a typed [`Attempt`] set where its outcome is observed.
//!
//! * A process (P6): SIGTERM to a CPU loop and to a blocked read; a CPU loop
//!   that ignores SIGTERM, then SIGKILL after a grace period. Its parent (the
//!   sacrificial child) observes the wait status and reaps it.
//! * A thread, cooperatively (for contrast): a flag its loop checks; a flag
//!   plus SIGUSR1 (installed without `SA_RESTART`) to get its read out.
//! * A thread, from outside (T11):
//!   - a signal aimed at that one thread (`pthread_kill`, handler installed
//!     without `SA_RESTART`) while it is blocked in `read`: does the read
//!     return EINTR in that thread, and is a second blocked thread affected?
//!   - `pthread_cancel` on a thread blocked in `read` (a cancellation point),
//!     on a pure CPU loop (deferred cancellation acts only at a cancellation
//!     point, which the loop never reaches), and on a CPU loop that switched
//!     itself to asynchronous cancellation;
//!   - a fatal signal aimed at one thread (`tgkill` SIGKILL; `pthread_kill`
//!     SIGTERM, default action): observed from outside, by pingpong, as the
//!     sacrificial child's exit status;
//!   - a stop signal aimed at one thread (`tgkill` SIGSTOP): observed from
//!     outside in `/proc/<pid>/task/*/stat` and by `waitpid(WUNTRACED)`,
//!     then SIGCONT.
//!
//! Where each part lives:
//! * `attempt.rs`: the typed outcome, [`Attempt`].
//! * `cases.rs`: the twelve cases, and the row each starts from.
//! * `sacrificial.rs`: pingpong's side of a case run in a sacrificial child:
//!   the rows it reported, or one written from its death.
//! * `process.rs`: the runaway processes, seen by their parent.
//! * `cooperative.rs`: a thread that cooperates (the contrast).
//! * `signal.rs`: a signal to one thread blocked in `read`.
//! * `cancel.rs`: `pthread_cancel`, on raw pthreads.
//! * `fatal.rs`: a fatal signal aimed at one thread (the child's side).
//! * `stop_signal.rs`: a stop signal aimed at one thread, observed by pingpong.
//! * `task.rs`: tools on threads the cases share (a spinner, `/proc` task
//!   states, `tgkill`).
//! * `findings.rs`: what the verdict reads.
//!
//! [`findings`] reads the typed attempts, never the display text.

mod attempt;
mod cancel;
mod cases;
mod cooperative;
mod fatal;
mod findings;
mod process;
mod sacrificial;
mod signal;
mod stop_signal;
mod task;

pub use attempt::{Attempt, Method, Observed, Target};
pub use findings::{findings, process_killed, thread_interrupt, thread_kill, thread_unstoppable};

use crate::faults::Row;
use anyhow::Result;
use cases::CASES;
use std::time::Duration;

// ---------------------------------------------------------------------------
// The parent side (pingpong).

pub fn run(quick: bool) -> Vec<Row> {
    let grace: u64 = if quick { 300 } else { 1000 };
    let deadline = crate::faults::deadline(quick);
    let mut rows = Vec::new();
    for c in &CASES {
        if c.method == Method::StopSignalToThread {
            rows.push(stop_signal::stop_signal(c, grace, deadline));
        } else {
            rows.extend(sacrificial::in_child(c, grace, deadline));
        }
        if crate::interrupt::interrupted() {
            break;
        }
    }
    rows
}

// ---------------------------------------------------------------------------
// The child side.

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    let grace_ms: u64 = rest.first().and_then(|g| g.parse().ok()).unwrap_or(300);
    let grace = Duration::from_millis(grace_ms);
    if let "worker-spin" | "worker-spin-ignore" | "worker-read" = arg {
        return process::runaway(arg);
    }
    let Some(c) = CASES.iter().find(|c| c.arg == arg) else {
        return Ok(2);
    };
    match c.method {
        Method::Sigterm | Method::SigtermThenSigkill => process::stop_process(c, grace),
        Method::CooperativeFlag | Method::FlagAndSignal => cooperative::cooperative(c, grace),
        Method::SignalEintr => signal::signal_eintr(c, grace),
        Method::PthreadCancelBlocked
        | Method::PthreadCancelCpuLoop
        | Method::PthreadCancelAsyncCpuLoop => cancel::cancel(c, grace),
        Method::FatalSignalToThread => fatal::fatal(c, grace),
        Method::StopSignalToThread => stop_signal::stop_target(),
    }
}
