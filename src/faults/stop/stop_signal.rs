//! A stop signal aimed at one thread (`tgkill` SIGSTOP), observed from
//! outside: pingpong's side reads `/proc/<pid>/task/*/stat` and
//! `waitpid(WUNTRACED)`, then sends SIGCONT; the child's side spins a worker
//! thread and waits for pingpong to let it end.

use super::cases::Case;
use super::sacrificial::not_run;
use super::task::{spinner, stopped, task_states, tgkill};
use super::Observed;
use crate::faults::{command, mono_ns, say, wait_until, Row};
use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::os::fd::AsFd;
use std::process::{ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

/// Kills and reaps a child on every way out of [`stop_signal`] (a stopped
/// child must not be left behind).
struct Reaper(Option<Pid>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(pid) = self.0.take() {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
        }
    }
}

/// The stop signal, observed from outside: pingpong starts the child, aims
/// SIGSTOP at one of its worker threads, reads the state of every thread and
/// `waitpid(WUNTRACED)`, then sends SIGCONT and lets the child end.
pub(super) fn stop_signal(c: &Case, grace_ms: u64, deadline: Duration) -> Row {
    stop_signal_observed(c, grace_ms, deadline).unwrap_or_else(|e| not_run(c, &e))
}

fn stop_signal_observed(c: &Case, grace_ms: u64, deadline: Duration) -> Result<Row> {
    let (mut child, tid) = Started::start(c, grace_ms)?;
    let grace = Duration::from_millis(grace_ms);
    let t0 = mono_ns();
    tgkill(child.pid.as_raw(), tid, Signal::SIGSTOP)?;
    let seen = watch_stop(&mut child, grace)?;
    let stopped = judge(&seen.states, tid);
    let stop_ns = seen.stopped_at.map(|s| s.saturating_sub(t0) as f64);
    let resumed = resume(child.pid, grace)?;
    let finished = child.finish(deadline)?;
    Ok(row(c, &seen, &stopped, resumed, stop_ns, &finished))
}

/// The sacrificial child, started and ready: reaped on every way out;
/// closing its stdin lets it end. (Its fields drop in this order: stdout,
/// stdin, then the reaper.)
struct Started {
    out: std::io::BufReader<ChildStdout>,
    stdin: ChildStdin,
    reaper: Reaper,
    pid: Pid,
}

/// How the child ended.
struct Finished {
    status: String,
    code: Option<i32>,
    timed_out: bool,
    /// It said RESUMED: its main thread ran again after SIGCONT.
    said_resumed: bool,
}

impl Started {
    /// Starts the child and reads its "READY <tid>": the worker thread to aim at.
    fn start(c: &Case, grace_ms: u64) -> Result<(Started, i32)> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut cmd = command(&["stop".into(), c.arg.into(), grace_ms.to_string()])?;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().context("starting the sacrificial child")?;
        let pid = Pid::from_raw(child.id() as i32);
        let reaper = Reaper(Some(pid));
        let stdin = child.stdin.take().context("child stdin")?;
        let mut out = std::io::BufReader::new(child.stdout.take().context("child stdout")?);
        // "READY <tid>", within a bounded time.
        let mut fds = [PollFd::new(out.get_ref().as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(5000u16)).context("poll")? == 0 {
            bail!("the child did not start within 5 s");
        }
        let mut line = String::new();
        out.read_line(&mut line)?;
        let tid: i32 = line
            .strip_prefix("READY ")
            .and_then(|t| t.trim().parse().ok())
            .with_context(|| format!("the child said {line:?}, not READY <tid>"))?;
        let started = Started {
            out,
            stdin,
            reaper,
            pid,
        };
        Ok((started, tid))
    }

    /// Closing its stdin lets the child's main thread out of its read: it
    /// ends, is reaped, and what else it said is read.
    fn finish(self, deadline: Duration) -> Result<Finished> {
        let Started {
            mut out,
            stdin,
            mut reaper,
            pid,
        } = self;
        drop(stdin);
        let (ws, timed_out) = wait_until(pid, deadline)?;
        reaper.0 = None;
        let (status, code, _) = crate::faults::describe(&ws);
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut rest);
        let said_resumed = rest.lines().any(|l| l == "RESUMED");
        Ok(Finished {
            status,
            code,
            timed_out,
            said_resumed,
        })
    }
}

/// What pingpong saw after SIGSTOP.
struct Seen {
    /// The state letter of every thread when the watch ended, by tid.
    states: Vec<(i32, char)>,
    waitpid_saw_stop: bool,
    /// When every thread was first seen stopped.
    stopped_at: Option<u64>,
}

/// Watches the child's threads and `waitpid(WUNTRACED)` until every thread
/// is stopped and waitpid saw it, or the grace period ends.
fn watch_stop(child: &mut Started, grace: Duration) -> Result<Seen> {
    let pid = child.pid;
    let proc = pid.as_raw().to_string();
    let end = Instant::now() + grace;
    let mut waitpid_saw_stop = false;
    let mut stopped_at = None;
    let mut states;
    loop {
        match waitpid(pid, Some(WaitPidFlag::WUNTRACED | WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Stopped(..)) => waitpid_saw_stop = true,
            Ok(WaitStatus::StillAlive) | Err(nix::errno::Errno::EINTR) => {}
            Ok(other) => {
                // It died: reaped here.
                child.reaper.0 = None;
                bail!("the child ended ({other:?}) instead of stopping");
            }
            Err(e) => return Err(e).context("waitpid"),
        }
        states = task_states(&proc);
        let all = !states.is_empty() && states.iter().all(|(_, s)| stopped(*s));
        if all && stopped_at.is_none() {
            stopped_at = Some(mono_ns());
        }
        if (all && waitpid_saw_stop) || Instant::now() >= end {
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    Ok(Seen {
        states,
        waitpid_saw_stop,
        stopped_at,
    })
}

/// Who stopped: the thread aimed at, and how many of the others.
struct Stopped {
    result: Observed,
    target: bool,
    others: usize,
}

fn judge(states: &[(i32, char)], tid: i32) -> Stopped {
    let target_stopped = states.iter().any(|(t, s)| *t == tid && stopped(*s));
    let others: Vec<char> = states
        .iter()
        .filter(|(t, _)| *t != tid)
        .map(|(_, s)| *s)
        .collect();
    let others_stopped = others.iter().filter(|s| stopped(**s)).count();
    let result = match (target_stopped, others_stopped) {
        (true, n) if n == others.len() => Observed::WholeProcessStopped,
        (true, _) => Observed::OnlyThreadStopped,
        (false, 0) => Observed::NotStopped,
        // Others stopped but not the one aimed at: still not "that thread alone".
        (false, _) => Observed::WholeProcessStopped,
    };
    Stopped {
        result,
        target: target_stopped,
        others: others_stopped,
    }
}

/// SIGCONT, then every thread should leave the stopped state: whether every
/// one did within the grace period.
fn resume(pid: Pid, grace: Duration) -> Result<bool> {
    kill(pid, Signal::SIGCONT).context("SIGCONT")?;
    let proc = pid.as_raw().to_string();
    let end = Instant::now() + grace;
    let resumed = loop {
        let s = task_states(&proc);
        if !s.is_empty() && s.iter().all(|(_, s)| !stopped(*s)) {
            break true;
        }
        if Instant::now() >= end {
            break false;
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    Ok(resumed)
}

/// The row: what stopped, how many threads, whether SIGCONT resumed them.
fn row(
    c: &Case,
    seen: &Seen,
    stopped: &Stopped,
    resumed: bool,
    stop_ns: Option<f64>,
    finished: &Finished,
) -> Row {
    let (result, target_stopped, others_stopped) = (stopped.result, stopped.target, stopped.others);
    let waitpid_saw_stop = seen.waitpid_saw_stop;
    let mut a = c.attempt(result);
    a.others_affected = Some(others_stopped > 0);
    let threads = seen.states.len();
    let mut figures = BTreeMap::new();
    figures.insert("threads".into(), threads as f64);
    figures.insert(
        "threads_stopped".into(),
        (others_stopped + usize::from(target_stopped)) as f64,
    );
    figures.insert(
        "waitpid_saw_stop".into(),
        f64::from(u8::from(waitpid_saw_stop)),
    );
    figures.insert("resumed_after_sigcont".into(), f64::from(u8::from(resumed)));
    let outcome = format!(
        "{}: {} of {threads} threads in state T{}; SIGCONT {}",
        match result {
            Observed::WholeProcessStopped => "the whole process stopped",
            Observed::OnlyThreadStopped => "only that thread stopped",
            _ => "nothing stopped",
        },
        others_stopped + usize::from(target_stopped),
        if waitpid_saw_stop {
            ", waitpid(WUNTRACED): stopped"
        } else {
            ""
        },
        if resumed {
            "resumed every thread"
        } else {
            "did not resume every thread"
        },
    );
    Row {
        outcome,
        status: format!(
            "{}stopped → SIGCONT → {}",
            if finished.timed_out { "hung: " } else { "" },
            finished.status
        ),
        survived: Some(finished.code == Some(0) && finished.said_resumed),
        notice_ns: stop_ns,
        detail: "SIGSTOP was aimed (tgkill) at one spinning worker thread; pingpong read the \
                 state of every thread in /proc/<pid>/task/*/stat; time to notice = from the \
                 signal until every thread was seen stopped"
            .into(),
        figures,
        stop: Some(a),
        ..c.base()
    }
}

// --- The child's side.

pub(super) fn stop_target() -> Result<i32> {
    let (_h, tid) = spinner()?;
    say(&format!("READY {tid}"));
    // Blocks until pingpong, after SIGCONT, closes our stdin.
    let mut buf = [0u8; 1];
    let stdin = std::io::stdin();
    while let Err(rustix::io::Errno::INTR) = rustix::io::read(stdin.as_fd(), &mut buf) {}
    say("RESUMED");
    // The spinning thread cannot be joined; end the process around it.
    std::process::exit(0);
}
