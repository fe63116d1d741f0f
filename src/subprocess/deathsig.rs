//! The parent-death signal: a child pingpong starts dies with it, even when
//! pingpong is killed with SIGKILL and cannot clean up.
//!
//! `prctl(PR_SET_PDEATHSIG)` asks the kernel to send a signal to this
//! process when its parent ends. Two traps, both handled here once:
//!
//! * **The parent may already be gone** when the child sets it: then nobody
//!   will ever send the signal. So the child compares `getppid()` with the
//!   parent's pid (read *before* fork) *after* setting it, and gives up if
//!   they differ.
//! * **"Parent" means the thread that made the child**, not its process: a
//!   child made from a short-lived thread receives the signal when that
//!   thread exits. pingpong starts children only from threads that outlive
//!   them (the main thread, or a thread that waits for its child).
//!
//! The signal is SIGKILL for a child that keeps nothing of its own to clean
//! up (players, experiment children, sacrificial children, verdict steps),
//! and a catchable one for a child that must clean up after children of its
//! own that pingpong does not control ([`super::guard`], mpirun).
//!
//! [`arm`] is the one `pre_exec` hook of pingpong: everything a re-executed
//! child must do between `fork` and `exec` (unblock every signal, open up
//! inherited descriptors, refuse core dumps, set its parent-death signal)
//! is done there, with async-signal-safe system calls only.

use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Sets this process's parent-death signal, then checks that its parent is
/// still `parent` (else nobody would send it). Async-signal-safe: callable
/// in a freshly forked child and between `fork` and `exec`.
pub fn die_with_parent(signal: Signal, parent: Pid) -> std::io::Result<()> {
    // SAFETY: prctl and getppid are plain system calls; no memory is touched.
    unsafe {
        if nix::libc::prctl(
            nix::libc::PR_SET_PDEATHSIG,
            signal as nix::libc::c_ulong,
            0,
            0,
            0,
        ) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
        if nix::libc::getppid() != parent.as_raw() {
            return Err(std::io::Error::other("the parent is already gone"));
        }
    }
    Ok(())
}

/// For a process started by someone else (an MPI rank, started by mpirun):
/// die with whatever parent it has now.
pub fn die_with_current_parent(signal: Signal) -> Result<()> {
    die_with_parent(signal, nix::unistd::getppid()).context("setting the parent-death signal")
}

/// What a child does between `fork` and `exec`.
#[derive(Clone, Debug)]
pub struct BeforeExec {
    /// Its parent-death signal.
    pub signal: Signal,
    /// Descriptors it inherits (close-on-exec is cleared on them, in the child only).
    pub inherit: Vec<RawFd>,
    /// `RLIMIT_CORE` 0: a deliberate crash must leave no core file behind.
    pub no_core: bool,
}

impl BeforeExec {
    /// Dies with its parent by `signal`; nothing else.
    pub fn dying_with(signal: Signal) -> BeforeExec {
        BeforeExec {
            signal,
            inherit: Vec::new(),
            no_core: false,
        }
    }
}

/// Arms `cmd` so that its child does `before` between `fork` and `exec`,
/// and dies with the calling thread's process (spawn it from this thread).
pub fn arm(cmd: &mut Command, before: BeforeExec) {
    let parent = nix::unistd::getpid();
    // SAFETY: runs in the child between fork and exec; it makes only
    // async-signal-safe system calls (sigprocmask, fcntl, setrlimit, prctl,
    // getppid) on data moved into the closure beforehand, and allocates
    // nothing.
    unsafe {
        cmd.pre_exec(move || {
            // The mask survives exec, and the standard library leaves it as
            // the spawning thread had it (the guard blocks the signals it
            // waits for): the program starts with none blocked.
            let mut none = std::mem::zeroed::<nix::libc::sigset_t>();
            if nix::libc::sigemptyset(&mut none) != 0
                || nix::libc::sigprocmask(nix::libc::SIG_SETMASK, &none, std::ptr::null_mut()) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            for &fd in &before.inherit {
                let flags = nix::libc::fcntl(fd, nix::libc::F_GETFD);
                if flags < 0
                    || nix::libc::fcntl(fd, nix::libc::F_SETFD, flags & !nix::libc::FD_CLOEXEC) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if before.no_core {
                let none = nix::libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if nix::libc::setrlimit(nix::libc::RLIMIT_CORE, &none) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            die_with_parent(before.signal, parent)
        });
    }
}
