//! Tools on threads shared by the cases: a thread that spins forever and
//! its tid, the state of every thread of a process from `/proc`, and
//! `tgkill`.

use anyhow::{bail, Context, Result};
use nix::libc;
use nix::sys::signal::Signal;
use std::hint::black_box;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) fn spin_forever() -> ! {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

pub(super) fn gettid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

/// A thread that spins forever, and its tid once it runs.
pub(super) fn spinner() -> Result<(std::thread::JoinHandle<()>, i32)> {
    let tid = Arc::new(AtomicI32::new(0));
    let t = tid.clone();
    let h = std::thread::Builder::new()
        .name("runaway".into())
        .spawn(move || {
            t.store(gettid(), Ordering::SeqCst);
            spin_forever()
        })?;
    let end = Instant::now() + Duration::from_secs(2);
    while tid.load(Ordering::SeqCst) == 0 {
        if Instant::now() > end {
            bail!("the worker thread did not start");
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok((h, tid.load(Ordering::SeqCst)))
}

/// The state letter of every task of `pid` ("self" or a number), by tid.
pub(super) fn task_states(pid: &str) -> Vec<(i32, char)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let tid: i32 = e.file_name().to_str()?.parse().ok()?;
            Some((tid, task_state(pid, tid)?))
        })
        .collect()
}

pub(super) fn task_state(pid: &str, tid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    s.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// Whether a state letter means stopped (by a signal, or traced).
pub(super) fn stopped(state: char) -> bool {
    matches!(state, 'T' | 't')
}

/// `tgkill(2)`: a signal to one thread of one process. (Neither nix nor
/// rustix wraps it: `pthread_kill` needs a `pthread_t`, which only the
/// thread's own process has.)
pub(super) fn tgkill(pid: i32, tid: i32, signal: Signal) -> Result<()> {
    // SAFETY: a raw system call taking three integers; it touches no memory of ours.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signal as libc::c_int) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("tgkill");
    }
    Ok(())
}
