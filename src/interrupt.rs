//! Interruption: Ctrl-C, deadlines, and waking a player blocked in the kernel.
//!
//! pingpong installs its own signal handlers instead of using a crate like
//! `ctrlc`, because those run the handler on a helper thread, and a helper
//! thread would make the process multi-threaded for good, which rules out the
//! `fork` start method (forking a threaded process is unsafe). The handlers
//! here only store to atomics, which is async-signal-safe.
//!
//! * SIGINT / SIGTERM set [`interrupted`]; the supervisor polls it, stops the
//!   players, reaps them and removes what the run made, then exits with 130.
//! * SIGUSR1 is installed *without* `SA_RESTART`, so a thread player blocked in
//!   `read`, `write` or `open` returns `EINTR` when the supervisor signals it;
//!   the channel code then checks [`aborted`] and gives up. That is the only
//!   way to stop a thread that is stuck in the kernel: threads cannot be killed.

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static ABORT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    ABORT.store(true, Ordering::SeqCst);
}

extern "C" fn on_wake(_: nix::libc::c_int) {}

/// Installs the handlers. Call once, early, while the process is single-threaded.
pub fn install_handlers() {
    let interrupt = SigAction::new(
        SigHandler::Handler(on_interrupt),
        SaFlags::empty(),
        SigSet::empty(),
    );
    let wake = SigAction::new(
        SigHandler::Handler(on_wake),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handlers only store to atomics (async-signal-safe), and
    // replacing the default disposition of these signals has no other effect.
    unsafe {
        let _ = sigaction(Signal::SIGINT, &interrupt);
        let _ = sigaction(Signal::SIGTERM, &interrupt);
        let _ = sigaction(Signal::SIGUSR1, &wake);
    }
}

/// Whether Ctrl-C or SIGTERM arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Whether players in this process must give up what they are doing.
#[inline]
pub fn aborted() -> bool {
    ABORT.load(Ordering::SeqCst)
}

/// Tells players in this process to give up (they notice at their next `EINTR`).
pub fn abort_players() {
    ABORT.store(true, Ordering::SeqCst);
}

/// Clears the abort flag before the next measurement (unless interrupted).
pub fn reset_abort() {
    if !interrupted() {
        ABORT.store(false, Ordering::SeqCst);
    }
}
