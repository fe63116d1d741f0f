//! `fork` without `exec`, only while pingpong is single-threaded.
//!
//! After `fork` only the calling thread exists in the child; if the parent
//! had other threads, any lock they held (the allocator's, stdio's) stays
//! locked forever in the child. So pingpong forks only after counting the
//! entries of `/proc/self/task` and finding one, and refuses otherwise
//! ([`MultiThreaded`]; the caller names the safe alternative).
//!
//! The child dies with its parent ([`super::deathsig`]), runs a closure,
//! and leaves with `_exit` (0 if the closure returned true), never returning
//! into the parent's code or running the parent's destructors and atexit
//! handlers, which belong to the parent.

use super::deathsig;
use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::unistd::{fork, ForkResult, Pid};

/// Threads in this process now.
pub fn thread_count() -> Result<usize> {
    Ok(std::fs::read_dir("/proc/self/task")
        .context("reading /proc/self/task")?
        .count())
}

/// Forking was refused: the process runs other threads.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to fork: pingpong runs {threads} threads now, and forking a multi-threaded \
     process is unsafe"
)]
pub struct MultiThreaded {
    pub threads: usize,
}

/// Ok if this process runs one thread; a [`MultiThreaded`] error otherwise.
pub fn single_threaded() -> Result<()> {
    let threads = thread_count()?;
    if threads != 1 {
        return Err(anyhow::Error::new(MultiThreaded { threads }));
    }
    Ok(())
}

/// Forks a child that dies with this process, runs `body` and leaves with
/// `_exit` (status 0 if `body` returns true, 1 if it returns false or
/// panics). Refused (a [`MultiThreaded`] error) unless single-threaded.
pub fn fork_child(body: impl FnOnce() -> bool) -> Result<Pid> {
    single_threaded()?;
    let parent = nix::unistd::getpid();
    // SAFETY: the process is single-threaded (checked just above), so the
    // child inherits no lock held by another thread. The child runs `body`
    // and leaves with `_exit`, never returning into the parent's code.
    match unsafe { fork() }.context("fork")? {
        ForkResult::Child => {
            let ok = deathsig::die_with_parent(Signal::SIGKILL, parent).is_ok()
                && std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(false);
            // SAFETY: ends the child without running the parent's atexit
            // handlers or destructors, which belong to the parent.
            unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// Waits, at most `limit`, until this process is down to one thread. A
/// thread just joined may still be listed for a few microseconds (the
/// kernel wakes the joiner before it unlists the thread), and
/// [`fork_child`] refuses to fork while it is: callers that interleave
/// threads and forked processes call this before forking.
pub fn settle_to_one_thread(limit: std::time::Duration) {
    let end = std::time::Instant::now() + limit;
    while thread_count().is_ok_and(|n| n > 1) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_micros(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_threaded_process_is_refused_and_says_how_many_threads_it_runs() {
        // The test harness runs this test beside its main thread.
        let (hold, held) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            let _ = held.recv();
        });
        let err = fork_child(|| true).unwrap_err();
        let refused = err
            .downcast_ref::<MultiThreaded>()
            .expect("a MultiThreaded error");
        assert!(refused.threads > 1, "{err}");
        assert!(err.to_string().starts_with("refusing to fork"), "{err}");
        drop(hold);
        other.join().unwrap();
    }
}
