//! What one unit does (rounds of computing, then a blocking wait on its own
//! timer), and the three ways of running `n` units: one after another,
//! as threads at once, as forked processes at once.

use crate::experiment::scale::kernel;
use crate::experiment::{Children, Deadline};
use anyhow::{anyhow, bail, Context, Result};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// What one unit does.
#[derive(Clone, Copy, Debug)]
pub(super) struct Work {
    pub(super) rounds: u32,
    pub(super) iterations: u64,
    pub(super) wait: Duration,
}

/// A blocking wait of `wait` on a timer's descriptor: the unit sleeps in
/// `read` until the kernel's timer fires, as it would for any I/O.
fn wait_on_timer(wait: Duration) -> std::io::Result<()> {
    use rustix::time::{
        timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags,
        TimerfdTimerFlags, Timespec,
    };
    if wait.is_zero() {
        return Ok(());
    }
    let fd = timerfd_create(TimerfdClockId::Monotonic, TimerfdFlags::CLOEXEC)?;
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let spec = Itimerspec {
        it_interval: zero,
        it_value: Timespec {
            tv_sec: wait.as_secs() as _,
            tv_nsec: wait.subsec_nanos() as _,
        },
    };
    timerfd_settime(&fd, TimerfdTimerFlags::empty(), &spec)?;
    let mut buf = [0u8; 8];
    loop {
        match rustix::io::read(&fd, &mut buf) {
            Ok(8) => return Ok(()),
            Ok(_) => return Err(std::io::Error::other("short read of a timerfd")),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// One unit's rounds; false if the deadline passed or a wait failed.
fn unit(work: &Work, d: &Deadline) -> bool {
    let never = AtomicBool::new(false);
    let mut base = 0u64;
    for _ in 0..work.rounds {
        if d.passed() {
            return false;
        }
        std::hint::black_box(kernel(base, base + work.iterations, &never));
        base = base.wrapping_add(work.iterations);
        if wait_on_timer(work.wait).is_err() {
            return false;
        }
    }
    true
}

/// One unit after another, on this thread: returns the units completed.
pub(super) fn serial(n: usize, work: &Work, d: &Deadline) -> Result<usize> {
    for _ in 0..n {
        if !unit(work, d) {
            d.check("the serial units")?;
            bail!("a serial unit's wait failed");
        }
    }
    Ok(n)
}

pub(super) fn threads(n: usize, work: &Work, d: &Deadline) -> Result<usize> {
    let (tx, rx) = std::sync::mpsc::channel::<bool>();
    let mut hs = Vec::with_capacity(n);
    for _ in 0..n {
        let (tx, work, dl) = (tx.clone(), *work, *d);
        hs.push(
            std::thread::Builder::new()
                .spawn(move || {
                    let _ = tx.send(unit(&work, &dl));
                })
                .context("starting a thread")?,
        );
    }
    drop(tx);
    let mut done = 0;
    let mut failure = None;
    for _ in 0..n {
        match rx.recv_timeout(d.remaining()) {
            Ok(true) => done += 1,
            Ok(false) => failure = Some(anyhow!("a thread's rounds failed or ran out of time")),
            Err(_) => {
                failure = Some(anyhow!(
                    "the threads did not finish within {}",
                    d.describe()
                ));
                break;
            }
        }
    }
    for h in hs {
        let _ = h.join();
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

pub(super) fn processes(n: usize, work: &Work, d: &Deadline) -> Result<usize> {
    let (done_r, done_w) = crate::experiment::pipe()?;
    let dw = done_w.as_raw_fd();
    let mut kids = Children::default();
    for _ in 0..n {
        let (work, dl) = (*work, *d);
        kids.0.push(crate::experiment::fork_child(move || {
            if !unit(&work, &dl) {
                return false;
            }
            // SAFETY: a one-byte write from a live buffer.
            unsafe { nix::libc::write(dw, b"d".as_ptr().cast(), 1) == 1 }
        })?);
    }
    drop(done_w);
    let mut buf = vec![0u8; n];
    crate::experiment::read_within(done_r.as_fd(), &mut buf, d, "the working processes")
        .map_err(crate::experiment::or_killed)?;
    let statuses = kids.reap_all(d, "a working process")?;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("a working process did not exit cleanly: {statuses:?}");
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_timer_wait_blocks_for_about_its_time() {
        let t0 = Instant::now();
        wait_on_timer(Duration::from_millis(5)).unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(5));
        wait_on_timer(Duration::ZERO).unwrap();
    }

    #[test]
    fn every_runner_completes_every_unit() {
        let work = Work {
            rounds: 2,
            iterations: 1000,
            wait: Duration::from_millis(1),
        };
        let d = Deadline::after(Duration::from_secs(30));
        assert_eq!(serial(3, &work, &d).unwrap(), 3);
        assert_eq!(threads(3, &work, &d).unwrap(), 3);
    }
}
