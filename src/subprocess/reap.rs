//! Waiting for a child until a deadline, then SIGKILL and reap: the one way
//! pingpong ends a child, so none outlives its deadline and none is left a
//! zombie.
//!
//! The wait sleeps in `poll` on a pidfd, which becomes readable when the
//! child ends: no helper thread (a thread would rule out a later `fork`),
//! no signal handler, no busy loop, and no wake-up latency beyond the
//! kernel's. An interruptible wait wakes every few milliseconds to look at
//! the Ctrl-C flag (the signal may have gone to another thread). Without
//! pidfds (Linux before 5.3) it polls `waitpid(WNOHANG)` with short naps.
//!
//! [`Children`] holds the pids of children that must not outlive a scope:
//! on drop, even on an early return, each is killed and reaped.

use super::Deadline;
use crate::error::Interrupted;
use anyhow::{anyhow, bail, Context, Result};
use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

/// How often an interruptible wait looks at the Ctrl-C flag.
const INTERRUPT_CHECK: Duration = Duration::from_millis(10);

/// Why a wait stopped before the child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    Deadline,
    Interrupted,
}

/// How a wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waited {
    /// The child ended and was reaped.
    Ended(WaitStatus),
    /// The child is still running (not reaped).
    Cut(Cut),
}

/// Waits for child `pid` until `deadline` (and, if `interruptible`, until
/// Ctrl-C). Reaps it if it ends; never kills it.
pub fn wait(pid: Pid, deadline: &Deadline, interruptible: bool) -> Result<Waited> {
    // Most children have ended by the time they are waited for.
    if let Some(ws) = try_reap(pid)? {
        return Ok(Waited::Ended(ws));
    }
    let pidfd = open_pidfd(pid);
    loop {
        if interruptible && crate::interrupt::interrupted() {
            return Ok(Waited::Cut(Cut::Interrupted));
        }
        let left = deadline.remaining();
        let slice = if interruptible {
            left.min(INTERRUPT_CHECK)
        } else {
            left
        };
        let ended = match &pidfd {
            Some(fd) => readable_within(fd, slice)?,
            None => {
                std::thread::sleep(slice.min(Duration::from_millis(1)));
                false
            }
        };
        if ended || pidfd.is_none() {
            if let Some(ws) = try_reap(pid)? {
                return Ok(Waited::Ended(ws));
            }
        }
        if deadline.passed() {
            return Ok(Waited::Cut(Cut::Deadline));
        }
    }
}

/// Like [`wait`], but a child still running when the wait is cut is killed
/// (SIGKILL) and reaped. Returns its status and why it was cut, if it was.
pub fn wait_or_kill(
    pid: Pid,
    deadline: &Deadline,
    interruptible: bool,
) -> Result<(WaitStatus, Option<Cut>)> {
    wait_or_end(pid, deadline, interruptible, kill_then_reap)
}

/// Like [`wait_or_kill`], with another way to end (and reap) a child that
/// is still running when the wait is cut (a guard is told, then killed).
pub fn wait_or_end(
    pid: Pid,
    deadline: &Deadline,
    interruptible: bool,
    end: impl FnOnce(Pid) -> Result<WaitStatus>,
) -> Result<(WaitStatus, Option<Cut>)> {
    match wait(pid, deadline, interruptible)? {
        Waited::Ended(ws) => Ok((ws, None)),
        Waited::Cut(cut) => Ok((end(pid)?, Some(cut))),
    }
}

/// Waits for `pid` for at most `within`; then SIGKILL and reap. Returns the
/// status and whether the deadline struck. Ctrl-C does not cut it short.
pub fn wait_until(pid: Pid, within: Duration) -> Result<(WaitStatus, bool)> {
    let (ws, cut) = wait_or_kill(pid, &Deadline::after(within), false)?;
    Ok((ws, cut.is_some()))
}

/// Waits for `pid` until the deadline; past it (or on Ctrl-C) the child is
/// killed and reaped, and the error names it (`what`).
pub fn reap(pid: Pid, deadline: &Deadline, what: &str) -> Result<WaitStatus> {
    match wait_or_kill(pid, deadline, true)
        .with_context(|| format!("waiting for {what} (pid {pid})"))?
    {
        (ws, None) => Ok(ws),
        (_, Some(Cut::Interrupted)) => Err(anyhow::Error::new(Interrupted)),
        (_, Some(Cut::Deadline)) => bail!(
            "{what} (pid {pid}) did not finish within {}; it was killed and reaped",
            deadline.describe()
        ),
    }
}

/// SIGKILL, then a blocking reap (a killed child cannot refuse to die).
pub fn kill_and_reap(pid: Pid) {
    let _ = kill_then_reap(pid);
}

fn kill_then_reap(pid: Pid) -> Result<WaitStatus> {
    let _ = kill(pid, Signal::SIGKILL);
    reap_now(pid)
}

/// A blocking `waitpid`, retried on EINTR.
pub fn reap_now(pid: Pid) -> Result<WaitStatus> {
    loop {
        match waitpid(pid, None) {
            Err(Errno::EINTR) => continue,
            r => return r.with_context(|| format!("waitpid {pid}")),
        }
    }
}

/// `waitpid(WNOHANG)`: the status if the child has ended (and is now reaped).
fn try_reap(pid: Pid) -> Result<Option<WaitStatus>> {
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return Ok(None),
            Ok(ws @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => return Ok(Some(ws)),
            // Stopped or continued: not an end; wait on.
            Ok(_) => return Ok(None),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(anyhow!("waitpid {pid}: {e}")),
        }
    }
}

/// A pidfd for `pid`, or None where the kernel has none.
fn open_pidfd(pid: Pid) -> Option<OwnedFd> {
    let p = rustix::process::Pid::from_raw(pid.as_raw())?;
    rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok()
}

/// Whether the pidfd became readable (the process ended) within `d`.
fn readable_within(fd: &OwnedFd, d: Duration) -> Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let ms = d.as_millis().min(10_000) as i32;
    let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, timeout) {
        Ok(0) | Err(Errno::EINTR) => Ok(false),
        Ok(_) => Ok(true),
        Err(e) => Err(e).context("poll on a pidfd"),
    }
}

/// A wait status as the standard library shows one ("exit status: 1",
/// "signal: 9 (SIGKILL)").
pub fn exit_status(ws: &WaitStatus) -> std::process::ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    let raw = match *ws {
        WaitStatus::Exited(_, code) => (code & 0xff) << 8,
        WaitStatus::Signaled(_, sig, core) => sig as i32 | if core { 0x80 } else { 0 },
        _ => 0,
    };
    std::process::ExitStatus::from_raw(raw)
}

/// Kills and reaps every pid on drop: nothing outlives the scope, even on
/// an early return.
#[derive(Default)]
pub struct Children(pub Vec<Pid>);

impl Children {
    /// Reaps all, each within the deadline; the first error is returned.
    pub fn reap_all(&mut self, deadline: &Deadline, what: &str) -> Result<Vec<WaitStatus>> {
        let mut out = Vec::new();
        let mut first_err = None;
        for pid in std::mem::take(&mut self.0) {
            match reap(pid, deadline, what) {
                Ok(s) => out.push(s),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        for pid in self.0.drain(..) {
            kill_and_reap(pid);
        }
    }
}

/// For an error met while children of a [`Children`] guard are alive: they
/// are killed and reaped as the guard drops, and the message says so.
pub fn or_killed(e: anyhow::Error) -> anyhow::Error {
    if e.chain().any(|c| c.is::<Interrupted>()) {
        e
    } else {
        anyhow!("{e:#}; the child processes were killed and reaped")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test reaps what it starts, through the functions under test.
    #[allow(clippy::zombie_processes)]
    fn sleeper(secs: &str) -> Pid {
        let child = std::process::Command::new("sleep")
            .arg(secs)
            .spawn()
            .unwrap();
        Pid::from_raw(child.id() as i32)
    }

    fn reaped(pid: Pid) -> bool {
        // Reaped: waiting again finds no such child.
        waitpid(pid, Some(WaitPidFlag::WNOHANG)).is_err()
    }

    #[test]
    fn a_stuck_child_is_killed_and_reaped_at_the_deadline() {
        let pid = sleeper("30");
        let err = reap(
            pid,
            &Deadline::after(Duration::from_millis(50)),
            "the sleeper",
        )
        .unwrap_err();
        assert!(err.to_string().contains("killed and reaped"), "{err}");
        assert!(reaped(pid));
    }

    #[test]
    #[allow(clippy::zombie_processes)]
    fn a_child_that_ends_in_time_is_reaped_with_its_status() {
        let child = std::process::Command::new("sh")
            .args(["-c", "exit 3"])
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let (ws, struck) = wait_until(pid, Duration::from_secs(30)).unwrap();
        assert_eq!(ws, WaitStatus::Exited(pid, 3));
        assert!(!struck);
        assert_eq!(exit_status(&ws).code(), Some(3));
        assert!(reaped(pid));
    }

    #[test]
    fn a_cut_wait_leaves_the_child_running_for_the_caller() {
        let pid = sleeper("30");
        let w = wait(pid, &Deadline::after(Duration::from_millis(20)), false).unwrap();
        assert_eq!(w, Waited::Cut(Cut::Deadline));
        assert!(
            !reaped(pid),
            "the child was reaped although the wait was cut"
        );
        let ws = kill_then_reap(pid).unwrap();
        assert_eq!(ws, WaitStatus::Signaled(pid, Signal::SIGKILL, false));
        assert_eq!(
            exit_status(&ws).to_string(),
            "signal: 9 (SIGKILL)",
            "shown as the standard library shows it"
        );
    }

    #[test]
    fn children_left_in_the_guard_are_killed_and_reaped_on_drop() {
        let pids = vec![sleeper("30"), sleeper("30")];
        drop(Children(pids.clone()));
        assert!(pids.iter().all(|&p| reaped(p)));
    }
}
