//! `processes-fork` (fork): the player runs in a child made by `fork`
//! without `exec`, like CPython's fork start method.
//!
//! After `fork` only the calling thread exists in the child; if the parent
//! had other threads, any lock they held (the allocator's, stdio's) stays
//! locked forever in the child. So pingpong forks only while it is
//! single-threaded, checks that it is (by counting `/proc/self/task`), and
//! refuses otherwise, naming the safe alternative.

use super::process::ProcessPlayer;
use super::Running;
use crate::error::usage;
use crate::player::{play, Kit};
use anyhow::{Context, Result};
use nix::unistd::{fork, ForkResult};
use std::os::fd::{AsRawFd, BorrowedFd};

/// Threads in this process now.
pub fn thread_count() -> Result<usize> {
    Ok(std::fs::read_dir("/proc/self/task")
        .context("reading /proc/self/task")?
        .count())
}

/// `foreign`: descriptors the child must close at once (the other player's
/// ends, the supervisor's ends), so that end-of-file still tells death.
pub fn start(kit: Kit, foreign: &[BorrowedFd<'_>]) -> Result<Box<dyn Running>> {
    let threads = thread_count()?;
    if threads != 1 {
        return Err(usage(format!(
            "refusing to fork: pingpong runs {threads} threads now, and forking a multi-threaded \
             process is unsafe; use --between processes (spawn) instead"
        )));
    }
    let role = kit.spec.role;
    let foreign: Vec<i32> = foreign.iter().map(|f| f.as_raw_fd()).collect();
    let parent = nix::unistd::getpid();
    // SAFETY: the process is single-threaded (checked just above), so the
    // child inherits no lock held by another thread. The child closes what is
    // not its own, plays, and leaves with `_exit`, never returning into the
    // parent's code or running its destructors.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Child => {
            // SAFETY: async-signal-safe calls only, in the freshly forked child.
            unsafe {
                nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGKILL);
                if nix::libc::getppid() != parent.as_raw() {
                    nix::libc::_exit(1);
                }
                for fd in foreign {
                    nix::libc::close(fd);
                }
            }
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| play(kit)))
                .unwrap_or(false);
            // SAFETY: ends the child without running the parent's atexit
            // handlers or destructors, which belong to the parent.
            unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
        }
        ForkResult::Parent { child } => {
            drop(kit);
            Ok(Box::new(ProcessPlayer {
                role,
                pid: child,
                reaped: false,
            }))
        }
    }
}
