//! The guard: a program whose own children pingpong does not control (the
//! CPython interpreter, whose `multiprocessing` starts workers, a
//! forkserver and a resource tracker) runs below our own binary
//! re-executed as the hidden `__guard` subcommand, so that nothing below it
//! outlives pingpong, however pingpong ends.
//!
//! Why a guard: a parent-death signal reaches only a direct child, and a
//! process group only those that stay in it. The interpreter's workers are
//! pingpong's grandchildren; when pingpong is killed with SIGKILL it cannot
//! kill them, and when the interpreter dies first they are re-parented away
//! from anything pingpong knows. The guard closes both gaps:
//!
//! * it is a **child subreaper** (`PR_SET_CHILD_SUBREAPER`): a process below
//!   it whose parent dies is re-parented to the guard, not to init, so every
//!   descendant stays below it, whatever group or session it moved to;
//! * its parent-death signal is **SIGTERM**, which it catches (blocked, and
//!   taken with `sigwait`): when pingpong dies, however, the guard ends
//!   every process below it (found through `/proc`, each killed through a
//!   pidfd after checking it is still below), reaps them until it has no
//!   child left, and exits. pingpong stops it the same way (SIGTERM) at a
//!   deadline or on Ctrl-C, and kills its process group if it does not end
//!   within a grace period;
//! * when the program ends by itself, the guard ends what the program left
//!   behind the same way, and exits as the program did (its exit code, or
//!   the same signal), so the caller sees the program's status;
//! * the program dies with the guard (SIGKILL as its parent-death signal),
//!   should the guard itself be killed.
//!
//! A watchdog pipe would also tell the guard of pingpong's death, but every
//! process that inherits its write end (a forked player) would keep it
//! open; the parent-death signal belongs to the guard alone.

use super::deathsig::{self, BeforeExec};
use super::reap::{self, Cut, Waited};
use super::{procfs, reexec, Deadline};
use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::sys::signal::{kill, killpg, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The hidden subcommand: `__guard PROGRAM ARG…`.
pub const SUBCOMMAND: &str = "__guard";

/// How long a guard told to stop may take before its group is killed.
const GRACE: Duration = Duration::from_secs(2);

/// A command that runs `program` below a guard, in a process group of its
/// own (Ctrl-C reaches pingpong, which stops the guard). Add the program's
/// arguments, environment, directory and stdio to it; spawn it from a
/// thread that outlives it; wait for it with [`wait`].
pub fn command(program: &Path) -> Result<Command> {
    let mut cmd = reexec::ourselves_with(SUBCOMMAND, BeforeExec::dying_with(Signal::SIGTERM))?;
    cmd.arg(program).process_group(0);
    Ok(cmd)
}

/// Waits for a guard until the deadline (and Ctrl-C, if `interruptible`);
/// a guard cut short is stopped ([`stop`]). Returns its status (the
/// program's, if it ended by itself) and why it was cut, if it was.
pub fn wait(
    pid: Pid,
    deadline: &Deadline,
    interruptible: bool,
) -> Result<(WaitStatus, Option<Cut>)> {
    reap::wait_or_end(pid, deadline, interruptible, stop)
}

/// Tells the guard to end everything below it and exit; if it has not
/// within the grace period, kills its process group. Always reaps it.
pub fn stop(pid: Pid) -> Result<WaitStatus> {
    let _ = kill(pid, Signal::SIGTERM);
    match reap::wait(pid, &Deadline::after(GRACE), false)? {
        Waited::Ended(ws) => Ok(ws),
        Waited::Cut(_) => {
            let _ = killpg(pid, Signal::SIGKILL);
            reap::reap_now(pid)
        }
    }
}

/// The `__guard` subcommand: `args` are the program and its arguments.
pub fn main(args: &[String]) -> i32 {
    let Some((program, rest)) = args.split_first() else {
        eprintln!("pingpong {SUBCOMMAND}: this subcommand is for pingpong's own use");
        return 2;
    };
    match guard(program, rest) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pingpong {SUBCOMMAND}: {e:#}");
            // As a shell says of a program it could not start.
            127
        }
    }
}

fn guard(program: &str, args: &[String]) -> Result<i32> {
    nix::sys::prctl::set_child_subreaper(true).context("becoming a child subreaper")?;
    // Blocked before the program starts, so none is lost: each waits in
    // the pending set for `sigwait`. (The program starts with an empty mask:
    // `deathsig::arm` clears it between fork and exec.)
    let mut signals = SigSet::empty();
    for s in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGCHLD,
    ] {
        signals.add(s);
    }
    signals.thread_block().context("blocking signals")?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    deathsig::arm(&mut cmd, BeforeExec::dying_with(Signal::SIGKILL));
    let child = cmd.spawn().with_context(|| format!("starting {program}"))?;
    let pid = Pid::from_raw(child.id() as i32);
    let ended = loop {
        match signals.wait() {
            Ok(Signal::SIGCHLD) => {
                if let Some(ws) = reap_ended(pid) {
                    break Some(ws);
                }
            }
            // Told to stop, or pingpong is gone.
            Ok(_) => break None,
            Err(_) => {}
        }
    };
    end_everything_below();
    Ok(match ended {
        Some(WaitStatus::Exited(_, code)) => code,
        Some(WaitStatus::Signaled(_, s, _)) => die_by(s),
        _ => 128 + Signal::SIGTERM as i32,
    })
}

/// Reaps every child that has ended; the program's status if it was one.
fn reap_ended(program: Pid) -> Option<WaitStatus> {
    let mut status = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return status,
            Ok(ws) if ws.pid() == Some(program) => status = Some(ws),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return status,
        }
    }
}

/// Kills every process below the guard and reaps until no child is left.
/// As a subreaper the guard inherits every orphan below it, so "no child
/// left" means nothing is left below it; one made while this runs is found
/// on the next round, after the reap its parent's death makes possible.
fn end_everything_below() {
    let me = nix::unistd::getpid();
    loop {
        let below = procfs::descendants(me);
        for &p in &below {
            kill_if_below(p, me, &below);
        }
        match waitpid(None, None) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return, // ECHILD: nothing is left.
        }
    }
}

/// SIGKILL to `p`, through a pidfd so that a pid recycled since `below` was
/// read is never hit: once the pidfd is open it names one process, which is
/// killed only if its parent is the guard or another process below it.
fn kill_if_below(p: Pid, me: Pid, below: &[Pid]) {
    let Some(rp) = rustix::process::Pid::from_raw(p.as_raw()) else {
        return;
    };
    match rustix::process::pidfd_open(rp, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => {
            let still_below = procfs::stat(p.as_raw()).is_some_and(|s| {
                let parent = Pid::from_raw(s.ppid);
                parent == me || below.contains(&parent)
            });
            if still_below {
                let _ = rustix::process::pidfd_send_signal(&fd, rustix::process::Signal::KILL);
            }
        }
        // No pidfds on this kernel: the pid, as read.
        Err(rustix::io::Errno::NOSYS) => {
            let _ = kill(p, Signal::SIGKILL);
        }
        Err(_) => {} // gone already
    }
}

/// Ends the guard by the signal that ended the program, so its parent sees
/// the same status; returns an exit code if the signal does not end it.
fn die_by(s: Signal) -> i32 {
    // A core file of the guard would only be litter.
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    // SAFETY: restores the default disposition; no handler is installed.
    let _ = unsafe { nix::sys::signal::signal(s, nix::sys::signal::SigHandler::SigDfl) };
    let mut one = SigSet::empty();
    one.add(s);
    let _ = one.thread_unblock();
    let _ = nix::sys::signal::raise(s);
    128 + s as i32
}
