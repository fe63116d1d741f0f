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
//! [`findings`] reads the typed attempts, never the display text.

use super::findings::{Finding, Word};
use super::{command, mark, mono_ns, report, sacrifice, say, wait_until, Ended, Row};
use anyhow::{bail, Context, Result};
use nix::libc;
use nix::sys::signal::{kill, sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::BufRead;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The typed outcome.

/// What an attempt was aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Thread,
    Process,
}

/// How the unit was asked, or forced, to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// SIGTERM to a child process.
    Sigterm,
    /// SIGTERM to a child process that ignores it, then SIGKILL after a grace period.
    SigtermThenSigkill,
    /// A flag the thread's loop checks.
    CooperativeFlag,
    /// A flag the thread checks, and SIGUSR1 to get its blocked read out with EINTR.
    FlagAndSignal,
    /// A signal to one thread blocked in `read` (handler without `SA_RESTART`).
    SignalEintr,
    /// `pthread_cancel` on a thread blocked in `read` (a cancellation point).
    PthreadCancelBlocked,
    /// `pthread_cancel` (deferred, the default) on a pure CPU loop.
    PthreadCancelCpuLoop,
    /// `pthread_cancel` on a pure CPU loop that enabled asynchronous cancellation.
    PthreadCancelAsyncCpuLoop,
    /// A signal whose default action is to terminate, aimed at one thread.
    FatalSignalToThread,
    /// SIGSTOP aimed at one thread.
    StopSignalToThread,
}

/// What was observed after the attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// The target thread's blocking call returned EINTR.
    Interrupted,
    /// Signals were delivered for the whole grace period; the call never returned.
    NotInterrupted,
    /// The target ended: a thread was joined, a process was reaped.
    Ended,
    /// The target was still running (or still blocked) after the grace period.
    StillRunning,
    /// The whole process died, every thread with it (seen by its parent).
    WholeProcessDied,
    /// Only the target thread died; the rest of its process lived on.
    OnlyThreadDied,
    /// Every thread of the process stopped.
    WholeProcessStopped,
    /// Only the target thread stopped.
    OnlyThreadStopped,
    /// No thread stopped.
    NotStopped,
    /// The sacrificial child hung and was killed at its deadline.
    Hung,
    /// The attempt could not be made, or its effect not seen (see the detail).
    NotObserved,
}

/// One attempt to stop a unit, and what it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub target: Target,
    pub method: Method,
    pub result: Observed,
    /// The signal sent to the target (for an escalation, the last one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The signal that ended the target's process, as `waitpid` reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    /// Whether threads other than the one aimed at were affected
    /// (interrupted, killed or stopped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others_affected: Option<bool>,
}

impl Method {
    fn phrase(self) -> &'static str {
        match self {
            Method::Sigterm => "SIGTERM to a process",
            Method::SigtermThenSigkill => "SIGTERM ignored, then SIGKILL, to a process",
            Method::CooperativeFlag => "a flag the thread checks",
            Method::FlagAndSignal => "a flag and a signal to wake its read",
            Method::SignalEintr => "a signal to one thread blocked in read",
            Method::PthreadCancelBlocked => "pthread_cancel on a thread blocked in read",
            Method::PthreadCancelCpuLoop => "pthread_cancel (deferred) on a CPU loop",
            Method::PthreadCancelAsyncCpuLoop => "pthread_cancel (asynchronous) on a CPU loop",
            Method::FatalSignalToThread => "a fatal signal to one thread",
            Method::StopSignalToThread => "a stop signal to one thread",
        }
    }
}

impl Observed {
    fn phrase(self) -> &'static str {
        match self {
            Observed::Interrupted => "interrupted (EINTR in that thread)",
            Observed::NotInterrupted => "not interrupted",
            Observed::Ended => "ended",
            Observed::StillRunning => "still running after the grace period",
            Observed::WholeProcessDied => "the whole process died",
            Observed::OnlyThreadDied => "only that thread died",
            Observed::WholeProcessStopped => "the whole process stopped",
            Observed::OnlyThreadStopped => "only that thread stopped",
            Observed::NotStopped => "nothing stopped",
            Observed::Hung => "hung",
            Observed::NotObserved => "not observed",
        }
    }

    /// Whether the attempt was made and its effect seen.
    fn observed(self) -> bool {
        !matches!(self, Observed::Hung | Observed::NotObserved)
    }
}

impl Attempt {
    /// "a signal to one thread blocked in read (SIGUSR1): interrupted (EINTR in that thread)".
    fn clause(&self) -> String {
        let signal = self
            .signal
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        format!("{}{signal}: {}", self.method.phrase(), self.result.phrase())
    }
}

// ---------------------------------------------------------------------------
// The cases.

struct Case {
    case: &'static str,
    target: Target,
    method: Method,
    /// The sacrificial child's argument.
    arg: &'static str,
    signal: Option<&'static str>,
}

impl Case {
    fn attempt(&self, result: Observed) -> Attempt {
        Attempt {
            target: self.target,
            method: self.method,
            result,
            signal: self.signal.map(Into::into),
            ended_by: None,
            others_affected: None,
        }
    }

    fn unit(&self) -> &'static str {
        match self.target {
            Target::Thread => "thread",
            Target::Process => "process",
        }
    }

    fn base(&self) -> Row {
        Row {
            experiment: "stop".into(),
            case: self.case.into(),
            unit: self.unit().into(),
            ..Row::default()
        }
    }
}

const fn case(
    case: &'static str,
    target: Target,
    method: Method,
    arg: &'static str,
    signal: Option<&'static str>,
) -> Case {
    Case {
        case,
        target,
        method,
        arg,
        signal,
    }
}

const CASES: [Case; 12] = [
    case(
        "cpu loop",
        Target::Process,
        Method::Sigterm,
        "process-spin",
        Some("SIGTERM"),
    ),
    case(
        "blocked read",
        Target::Process,
        Method::Sigterm,
        "process-read",
        Some("SIGTERM"),
    ),
    case(
        "cpu loop, SIGTERM ignored",
        Target::Process,
        Method::SigtermThenSigkill,
        "process-spin-ignore",
        Some("SIGKILL"),
    ),
    case(
        "cpu loop, checks a flag",
        Target::Thread,
        Method::CooperativeFlag,
        "thread-coop-spin",
        None,
    ),
    case(
        "blocked read, checks a flag on EINTR",
        Target::Thread,
        Method::FlagAndSignal,
        "thread-coop-read",
        Some("SIGUSR1"),
    ),
    case(
        "blocked read, signal to that thread",
        Target::Thread,
        Method::SignalEintr,
        "thread-signal-read",
        Some("SIGUSR1"),
    ),
    case(
        "blocked read, pthread_cancel",
        Target::Thread,
        Method::PthreadCancelBlocked,
        "thread-cancel-read",
        None,
    ),
    case(
        "cpu loop, pthread_cancel (deferred)",
        Target::Thread,
        Method::PthreadCancelCpuLoop,
        "thread-cancel-spin",
        None,
    ),
    case(
        "cpu loop, pthread_cancel (asynchronous)",
        Target::Thread,
        Method::PthreadCancelAsyncCpuLoop,
        "thread-cancel-async-spin",
        None,
    ),
    case(
        "SIGKILL to one thread (tgkill)",
        Target::Thread,
        Method::FatalSignalToThread,
        "thread-sigkill",
        Some("SIGKILL"),
    ),
    case(
        "SIGTERM to one thread (pthread_kill)",
        Target::Thread,
        Method::FatalSignalToThread,
        "thread-sigterm",
        Some("SIGTERM"),
    ),
    case(
        "SIGSTOP to one thread (tgkill)",
        Target::Thread,
        Method::StopSignalToThread,
        "thread-sigstop",
        Some("SIGSTOP"),
    ),
];

// ---------------------------------------------------------------------------
// The parent side (pingpong).

pub fn run(quick: bool) -> Vec<Row> {
    let grace: u64 = if quick { 300 } else { 1000 };
    let deadline = super::deadline(quick);
    let mut rows = Vec::new();
    for c in &CASES {
        if c.method == Method::StopSignalToThread {
            rows.push(stop_signal(c, grace, deadline));
        } else {
            rows.extend(in_child(c, grace, deadline));
        }
        if crate::interrupt::interrupted() {
            break;
        }
    }
    rows
}

/// Runs one attempt in a sacrificial child: the rows it reported, or, if it
/// did not live to report, one row written here from its death.
fn in_child(c: &Case, grace_ms: u64, deadline: Duration) -> Vec<Row> {
    let args = ["stop".to_string(), c.arg.into(), grace_ms.to_string()];
    let ended = match sacrifice(&args, deadline) {
        Ok(e) => e,
        Err(e) => return vec![not_run(c, &e)],
    };
    let reports = ended.reports();
    if ended.code == Some(0) && !reports.is_empty() {
        return reports
            .into_iter()
            .map(|r| Row {
                experiment: "stop".into(),
                case: c.case.into(),
                unit: c.unit().into(),
                ..r
            })
            .collect();
    }
    vec![from_death(c, &ended)]
}

fn not_run(c: &Case, e: &anyhow::Error) -> Row {
    Row {
        outcome: "could not run".into(),
        status: "error".into(),
        detail: format!("{e:#}"),
        stop: Some(c.attempt(Observed::NotObserved)),
        ..c.base()
    }
}

/// What a child's death shows, observed here from its wait status: after it
/// said it made its attempt (its MARK), a death by signal is the whole
/// process dying.
fn from_death(c: &Case, ended: &Ended) -> Row {
    let (result, outcome) = if ended.timed_out {
        (Observed::Hung, "hung: killed at the deadline".to_string())
    } else if let (Some(s), Some(_)) = (ended.signal, ended.mark()) {
        (
            Observed::WholeProcessDied,
            format!(
                "the whole process died ({}): every thread, not only the one aimed at",
                s.as_str()
            ),
        )
    } else {
        (
            Observed::NotObserved,
            format!(
                "not observed: the child ended ({}) before its attempt",
                ended.status
            ),
        )
    };
    let mut a = c.attempt(result);
    a.ended_by = ended.signal.map(|s| s.as_str().to_string());
    if result == Observed::WholeProcessDied {
        a.others_affected = Some(true);
    }
    let mut detail = String::new();
    if result == Observed::WholeProcessDied {
        detail.push_str(
            "the signal was aimed at one worker thread; the sacrificial child's exit status \
             (seen here by its parent) shows the whole process died; time to notice = from \
             the attempt until the child was reaped. ",
        );
    }
    detail.push_str(&ended.stderr_note());
    Row {
        outcome,
        status: ended.status.clone(),
        survived: Some(false),
        notice_ns: ended.notice_ns(),
        detail: detail.trim_end().to_string(),
        stop: Some(a),
        ..c.base()
    }
}

/// The state letter of every task of `pid` ("self" or a number), by tid.
fn task_states(pid: &str) -> Vec<(i32, char)> {
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

fn task_state(pid: &str, tid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    s.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

/// Whether a state letter means stopped (by a signal, or traced).
fn stopped(state: char) -> bool {
    matches!(state, 'T' | 't')
}

/// `tgkill(2)`: a signal to one thread of one process. (Neither nix nor
/// rustix wraps it: `pthread_kill` needs a `pthread_t`, which only the
/// thread's own process has.)
fn tgkill(pid: i32, tid: i32, signal: Signal) -> Result<()> {
    // SAFETY: a raw system call taking three integers; it touches no memory of ours.
    let rc = unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, signal as libc::c_int) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error()).context("tgkill");
    }
    Ok(())
}

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
fn stop_signal(c: &Case, grace_ms: u64, deadline: Duration) -> Row {
    stop_signal_observed(c, grace_ms, deadline).unwrap_or_else(|e| not_run(c, &e))
}

fn stop_signal_observed(c: &Case, grace_ms: u64, deadline: Duration) -> Result<Row> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut cmd = command(&["stop".into(), c.arg.into(), grace_ms.to_string()])?;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().context("starting the sacrificial child")?;
    let pid = Pid::from_raw(child.id() as i32);
    let mut reaper = Reaper(Some(pid));
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
    let grace = Duration::from_millis(grace_ms);
    let t0 = mono_ns();
    tgkill(pid.as_raw(), tid, Signal::SIGSTOP)?;
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
                reaper.0 = None;
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
    let stop_ns = stopped_at.map(|s| s.saturating_sub(t0) as f64);
    // SIGCONT, then every thread should leave the stopped state.
    kill(pid, Signal::SIGCONT).context("SIGCONT")?;
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
    // Closing its stdin lets the child's main thread out of its read: it ends.
    drop(stdin);
    let (ws, timed_out) = wait_until(pid, deadline)?;
    reaper.0 = None;
    let (status, code, _) = super::describe(&ws);
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    let said_resumed = rest.lines().any(|l| l == "RESUMED");
    let mut a = c.attempt(result);
    a.others_affected = Some(others_stopped > 0);
    let threads = states.len();
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
    Ok(Row {
        outcome,
        status: format!(
            "{}stopped → SIGCONT → {status}",
            if timed_out { "hung: " } else { "" }
        ),
        survived: Some(code == Some(0) && said_resumed),
        notice_ns: stop_ns,
        detail: "SIGSTOP was aimed (tgkill) at one spinning worker thread; pingpong read the \
                 state of every thread in /proc/<pid>/task/*/stat; time to notice = from the \
                 signal until every thread was seen stopped"
            .into(),
        figures,
        stop: Some(a),
        ..c.base()
    })
}

// ---------------------------------------------------------------------------
// The child side.

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    let grace_ms: u64 = rest.first().and_then(|g| g.parse().ok()).unwrap_or(300);
    let grace = Duration::from_millis(grace_ms);
    match arg {
        "worker-spin" => {
            say("ready");
            spin_forever()
        }
        "worker-spin-ignore" => {
            // SAFETY: ignoring SIGTERM replaces its disposition; no handler runs.
            unsafe {
                nix::sys::signal::signal(Signal::SIGTERM, SigHandler::SigIgn)?;
            }
            say("ready");
            spin_forever()
        }
        "worker-read" => {
            say("ready");
            let mut b = [0u8; 1];
            let _ = std::io::Read::read(&mut std::io::stdin(), &mut b);
            return Ok(0);
        }
        _ => {}
    }
    let Some(c) = CASES.iter().find(|c| c.arg == arg) else {
        return Ok(2);
    };
    match c.method {
        Method::Sigterm | Method::SigtermThenSigkill => stop_process(c, grace),
        Method::CooperativeFlag | Method::FlagAndSignal => cooperative(c, grace),
        Method::SignalEintr => signal_eintr(c, grace),
        Method::PthreadCancelBlocked
        | Method::PthreadCancelCpuLoop
        | Method::PthreadCancelAsyncCpuLoop => cancel(c, grace),
        Method::FatalSignalToThread => fatal(c, grace),
        Method::StopSignalToThread => stop_target(),
    }
}

fn spin_forever() -> ! {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

fn gettid() -> i32 {
    rustix::thread::gettid().as_raw_nonzero().get()
}

/// A thread that spins forever, and its tid once it runs.
fn spinner() -> Result<(std::thread::JoinHandle<()>, i32)> {
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

fn stop_process(c: &Case, grace: Duration) -> Result<i32> {
    let worker = match c.arg {
        "process-spin" => "worker-spin",
        "process-read" => "worker-read",
        _ => "worker-spin-ignore",
    };
    let mut cmd = command(&["stop".into(), worker.into()])?;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting the runaway process")?;
    let pid = Pid::from_raw(child.id() as i32);
    // Wait until it runs (or is about to block in its read).
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().context("stdout")?);
    out.read_line(&mut line)?;
    std::thread::sleep(Duration::from_millis(20));
    let t0 = mono_ns();
    kill(pid, Signal::SIGTERM)?;
    let (ws, escalated) = wait_until(pid, grace)?;
    let reaped = mono_ns();
    drop(child.stdin.take());
    let (status, _, signal) = super::describe(&ws);
    // Observed here, by the runaway's parent: how it ended, and that it was reaped.
    let result = if escalated && c.method == Method::Sigterm {
        // SIGTERM alone did not stop it (wait_until then killed it).
        Observed::StillRunning
    } else {
        Observed::Ended
    };
    let outcome = match (escalated, c.method) {
        (true, Method::SigtermThenSigkill) => format!(
            "SIGTERM ignored for {} ms; SIGKILL stopped it; reaped",
            grace.as_millis()
        ),
        (true, _) => format!(
            "SIGTERM did not stop it within {} ms; SIGKILL did; reaped",
            grace.as_millis()
        ),
        (false, _) => "stopped by SIGTERM and reaped".to_string(),
    };
    let mut a = c.attempt(result);
    a.ended_by = signal.map(|s| s.as_str().to_string());
    report(&Row {
        outcome,
        status,
        survived: Some(true),
        notice_ns: Some(reaped.saturating_sub(t0) as f64),
        detail: "time to notice = from the first signal until the process was reaped".into(),
        stop: Some(a),
        ..Row::default()
    });
    Ok(0)
}

/// The contrast: a thread that cooperates (checks a flag; for a blocked
/// read, is woken by SIGUSR1 to see it).
fn cooperative(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    crate::interrupt::install_handlers();
    let flag = Arc::new(AtomicBool::new(false));
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let interrupts = c.method == Method::FlagAndSignal;
    let f = flag.clone();
    let h = std::thread::Builder::new()
        .name("runaway".into())
        .spawn(move || {
            let mut x = 0u64;
            let mut buf = [0u8; 1];
            if interrupts {
                loop {
                    match rustix::io::read(r.as_fd(), &mut buf) {
                        Err(rustix::io::Errno::INTR) if f.load(Ordering::SeqCst) => break,
                        Err(rustix::io::Errno::INTR) => continue,
                        _ => break,
                    }
                }
            } else {
                while !f.load(Ordering::Relaxed) {
                    x = black_box(x.wrapping_add(1));
                }
            }
        })?;
    std::thread::sleep(Duration::from_millis(20));
    let pthread = h.as_pthread_t();
    let t0 = mono_ns();
    flag.store(true, Ordering::SeqCst);
    let end = Instant::now() + grace;
    while !h.is_finished() && Instant::now() < end {
        if interrupts {
            let _ = nix::sys::pthread::pthread_kill(pthread, Signal::SIGUSR1);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let stopped_at = mono_ns();
    if !h.is_finished() {
        report(&Row {
            outcome: format!(
                "not stopped within {} ms although it checks its flag",
                grace.as_millis()
            ),
            status: "running → process exit".into(),
            survived: Some(true),
            stop: Some(c.attempt(Observed::StillRunning)),
            ..Row::default()
        });
        std::process::exit(0);
    }
    let _ = h.join();
    drop(w);
    report(&Row {
        outcome: "stopped cooperatively and joined".into(),
        status: "joined".into(),
        survived: Some(true),
        notice_ns: Some(stopped_at.saturating_sub(t0) as f64),
        detail: if interrupts {
            "flag set, then SIGUSR1 (installed without SA_RESTART) until the read returned EINTR and the thread saw the flag".into()
        } else {
            "flag set; time until the loop saw it and the thread was joined".into()
        },
        stop: Some(c.attempt(Observed::Ended)),
        ..Row::default()
    });
    Ok(0)
}

// --- A signal to one thread blocked in read.

/// The thread aimed at, and where the SIGUSR1 handler ran.
static TARGET_TID: AtomicI32 = AtomicI32::new(0);
static HANDLER_RUNS: AtomicU64 = AtomicU64::new(0);
static HANDLER_RUNS_ELSEWHERE: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_usr1(_: libc::c_int) {
    HANDLER_RUNS.fetch_add(1, Ordering::SeqCst);
    if gettid() != TARGET_TID.load(Ordering::SeqCst) {
        HANDLER_RUNS_ELSEWHERE.fetch_add(1, Ordering::SeqCst);
    }
}

const BLOCKED: u8 = 0;
const EINTR: u8 = 1;
const RETURNED: u8 = 2;

/// A thread blocked in `read` on its own pipe, and how its read ended.
struct Reader {
    handle: std::thread::JoinHandle<()>,
    tid: Arc<AtomicI32>,
    state: Arc<AtomicU8>,
    returned_ns: Arc<AtomicU64>,
    write: std::os::fd::OwnedFd,
}

impl Reader {
    fn start(name: &str) -> Result<Reader> {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let tid = Arc::new(AtomicI32::new(0));
        let state = Arc::new(AtomicU8::new(BLOCKED));
        let returned_ns = Arc::new(AtomicU64::new(0));
        let (t, s, n) = (tid.clone(), state.clone(), returned_ns.clone());
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                t.store(gettid(), Ordering::SeqCst);
                let mut buf = [0u8; 1];
                // One read, not retried: what ends it is what we observe.
                let r = rustix::io::read(r.as_fd(), &mut buf);
                n.store(mono_ns(), Ordering::SeqCst);
                s.store(
                    if r == Err(rustix::io::Errno::INTR) {
                        EINTR
                    } else {
                        RETURNED
                    },
                    Ordering::SeqCst,
                );
            })?;
        Ok(Reader {
            handle,
            tid,
            state,
            returned_ns,
            write: w,
        })
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until the thread sleeps in its read.
    fn wait_blocked(&self) {
        let end = Instant::now() + Duration::from_millis(500);
        while Instant::now() < end {
            let tid = self.tid.load(Ordering::SeqCst);
            if tid != 0 && task_state("self", tid) == Some('S') {
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Lets it out of its read (if still in it) and joins it.
    fn finish(self) {
        let _ = rustix::io::write(&self.write, b"x");
        let _ = self.handle.join();
    }
}

fn signal_eintr(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    let act = SigAction::new(
        SigHandler::Handler(on_usr1),
        SaFlags::empty(), // no SA_RESTART: an interrupted read returns EINTR
        SigSet::empty(),
    );
    // SAFETY: the handler only makes a system call (gettid) and touches
    // atomics, all async-signal-safe.
    unsafe { sigaction(Signal::SIGUSR1, &act) }.context("sigaction")?;
    let target = Reader::start("target")?;
    let bystander = Reader::start("bystander")?;
    target.wait_blocked();
    bystander.wait_blocked();
    TARGET_TID.store(target.tid.load(Ordering::SeqCst), Ordering::SeqCst);
    let pthread = target.handle.as_pthread_t();
    let t0 = mark();
    let end = Instant::now() + grace;
    let mut sent = 0u64;
    // Repeated, in case one lands just before the read starts (the handler
    // then runs and the read blocks anyway).
    while target.state() == BLOCKED && Instant::now() < end {
        // (An error only means the thread just left its read and ended.)
        if nix::sys::pthread::pthread_kill(pthread, Signal::SIGUSR1).is_ok() {
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // Time for any effect on the other thread to show.
    std::thread::sleep(Duration::from_millis(20));
    let (t, b) = (target.state(), bystander.state());
    let elsewhere = HANDLER_RUNS_ELSEWHERE.load(Ordering::SeqCst);
    let returned = target.returned_ns.load(Ordering::SeqCst);
    let result = if t == EINTR {
        Observed::Interrupted
    } else {
        Observed::NotInterrupted
    };
    let mut a = c.attempt(result);
    let others = b != BLOCKED || elsewhere > 0;
    a.others_affected = Some(others);
    let mut figures = BTreeMap::new();
    figures.insert("signals_sent".into(), sent as f64);
    figures.insert(
        "handler_runs".into(),
        HANDLER_RUNS.load(Ordering::SeqCst) as f64,
    );
    figures.insert("handler_runs_in_other_threads".into(), elsewhere as f64);
    let outcome = format!(
        "{} after {sent} signal(s); the other blocked thread {}",
        match t {
            EINTR => "interrupted: its read returned EINTR",
            RETURNED => "its read returned, but not with EINTR",
            _ => "not interrupted: still blocked in its read",
        },
        if b == BLOCKED {
            "stayed blocked"
        } else {
            "was affected too"
        },
    );
    target.finish();
    bystander.finish();
    report(&Row {
        outcome,
        status: "joined".into(),
        survived: Some(true),
        notice_ns: (t == EINTR).then(|| returned.saturating_sub(t0) as f64),
        detail: "SIGUSR1 by pthread_kill to one of two threads blocked in read, handler installed \
                 without SA_RESTART; the read is not retried; time to notice = from the first \
                 signal until the read returned"
            .into(),
        figures,
        stop: Some(a),
        ..Row::default()
    });
    Ok(0)
}

// --- pthread_cancel.
//
// Cancelling a thread unwinds its stack (glibc's forced unwinding, the way
// C++ destructors run on cancellation). Rust allows a forced unwind only
// through "plain old frames", frames with nothing to drop; through a frame
// that owns something it is undefined behaviour. A `std::thread`'s frames
// own its closure, its result slot, its name…, so a `std::thread` must never
// be cancelled. These threads are therefore created with raw
// `pthread_create` and run a plain `extern "C"` function whose frame holds
// only integers: nothing to drop, and no Rust frame below it. Even so, this
// is only done inside the sacrificial child: if anything goes wrong (an
// abort, a crash), the parent sees that death and reports it as the
// outcome, and pingpong lives on.
//
// Asynchronous cancellation may strike at any instruction, so the code it
// may strike must be async-cancel-safe: here that is a loop of one atomic
// add, calling nothing, in a frame with nothing to drop. Rust promises
// nothing about an unwind starting inside a Rust frame at an arbitrary
// instruction, which is one more reason it is only observed here, in a
// process that exists to be lost.

// Hand-declared: the libc crate does not expose these (values from glibc's
// and musl's <pthread.h>, identical on every Linux architecture).
extern "C" {
    fn pthread_setcanceltype(kind: libc::c_int, old: *mut libc::c_int) -> libc::c_int;
}
const PTHREAD_CANCEL_ASYNCHRONOUS: libc::c_int = 1;
/// `PTHREAD_CANCELED`, `((void *) -1)`: what joining a cancelled thread returns.
const PTHREAD_CANCELED: usize = usize::MAX;

/// Turns of the CPU loop so far (it only adds to this).
static LOOP_TURNS: AtomicU64 = AtomicU64::new(0);

/// Blocks in `read` on the fd given as its argument (an integer, not a pointer).
extern "C" fn blocked_read(arg: *mut libc::c_void) -> *mut libc::c_void {
    let fd = arg as usize as libc::c_int;
    let mut byte = 0u8;
    // SAFETY: reads at most one byte into a local; the fd stays open in the
    // parent thread for as long as this thread can run.
    unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
    std::ptr::null_mut()
}

/// A pure CPU loop: no cancellation point, ever. A non-null argument
/// switches it to asynchronous cancellation first.
extern "C" fn cpu_loop(arg: *mut libc::c_void) -> *mut libc::c_void {
    if !arg.is_null() {
        // SAFETY: changes only this thread's cancel type; the old type is not wanted.
        unsafe { pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, std::ptr::null_mut()) };
    }
    loop {
        LOOP_TURNS.fetch_add(1, Ordering::Relaxed);
    }
}

fn cancel(c: &Case, grace: Duration) -> Result<i32> {
    let (r, _w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    type Start = extern "C" fn(*mut libc::c_void) -> *mut libc::c_void;
    let (start, arg): (Start, usize) = match c.method {
        Method::PthreadCancelBlocked => (blocked_read, r.as_raw_fd() as usize),
        Method::PthreadCancelCpuLoop => (cpu_loop, 0),
        _ => (cpu_loop, 1),
    };
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `start` has the start routine's signature; its argument is a
    // plain integer (an fd, or a flag), so no memory is shared with the thread.
    let rc = unsafe {
        libc::pthread_create(
            thread.as_mut_ptr(),
            std::ptr::null(),
            start,
            arg as *mut libc::c_void,
        )
    };
    if rc != 0 {
        bail!("pthread_create: {}", std::io::Error::from_raw_os_error(rc));
    }
    // SAFETY: pthread_create succeeded, so it wrote the thread's id.
    let thread = unsafe { thread.assume_init() };
    // Let it reach its read, or spin a while.
    std::thread::sleep(Duration::from_millis(20));
    let turns0 = LOOP_TURNS.load(Ordering::SeqCst);
    let t0 = mark();
    // SAFETY: the thread was created above and has been neither joined nor detached.
    let rc = unsafe { libc::pthread_cancel(thread) };
    if rc != 0 {
        bail!("pthread_cancel: {}", std::io::Error::from_raw_os_error(rc));
    }
    let end = Instant::now() + grace;
    let mut retval: *mut libc::c_void = std::ptr::null_mut();
    let joined = loop {
        // SAFETY: as above; `retval` is a valid place for the thread's result.
        match unsafe { libc::pthread_tryjoin_np(thread, &mut retval) } {
            0 => break true,
            libc::EBUSY if Instant::now() < end => std::thread::sleep(Duration::from_micros(200)),
            _ => break false,
        }
    };
    let at = mono_ns();
    let turns = LOOP_TURNS.load(Ordering::SeqCst).saturating_sub(turns0);
    let mut figures = BTreeMap::new();
    if c.method != Method::PthreadCancelBlocked {
        figures.insert("loop_turns_after_cancel".into(), turns as f64);
    }
    if joined {
        let cancelled = retval as usize == PTHREAD_CANCELED;
        figures.insert("joined_canceled".into(), f64::from(u8::from(cancelled)));
        report(&Row {
            outcome: if cancelled {
                "cancelled: joined with PTHREAD_CANCELED".into()
            } else {
                "ended by itself (joined, not PTHREAD_CANCELED)".into()
            },
            status: "joined".into(),
            survived: Some(true),
            notice_ns: Some(at.saturating_sub(t0) as f64),
            detail: "a raw pthread running a plain extern \"C\" function (no Rust frame to \
                     unwind); time to notice = from pthread_cancel until it was joined"
                .into(),
            figures,
            stop: Some(c.attempt(Observed::Ended)),
            ..Row::default()
        });
        return Ok(0);
    }
    report(&Row {
        outcome: format!(
            "not cancelled: still {} {} ms after pthread_cancel{}; ended only by ending its process",
            if c.method == Method::PthreadCancelBlocked {
                "blocked"
            } else {
                "running"
            },
            grace.as_millis(),
            if c.method == Method::PthreadCancelBlocked {
                String::new()
            } else {
                format!(" ({turns} more turns of its loop)")
            }
        ),
        status: "running → process exit".into(),
        survived: Some(true),
        detail: "deferred cancellation acts only at a cancellation point (read, sleep…), which \
                 a pure CPU loop never reaches; the sacrificial process exits and takes the \
                 thread with it"
            .into(),
        figures,
        stop: Some(c.attempt(Observed::StillRunning)),
        ..Row::default()
    });
    // The thread cannot be joined; end the process around it.
    std::process::exit(0);
}

// --- A fatal signal aimed at one thread.

fn fatal(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    let sigterm = c.signal == Some("SIGTERM");
    if sigterm {
        // SAFETY: restores the default action (terminate); no handler runs.
        unsafe { nix::sys::signal::signal(Signal::SIGTERM, SigHandler::SigDfl) }?;
    }
    let (h, tid) = spinner()?;
    mark();
    if sigterm {
        nix::sys::pthread::pthread_kill(h.as_pthread_t(), Signal::SIGTERM)
            .context("pthread_kill")?;
    } else {
        tgkill(std::process::id() as i32, tid, Signal::SIGKILL)?;
    }
    // Still here: the signal did not take the whole process.
    std::thread::sleep(grace);
    let alive = task_state("self", tid).is_some_and(|s| s != 'Z' && s != 'X');
    let result = if alive {
        Observed::StillRunning
    } else {
        Observed::OnlyThreadDied
    };
    let mut a = c.attempt(result);
    a.others_affected = Some(false);
    report(&Row {
        outcome: if alive {
            "no effect: the thread still runs".into()
        } else {
            "only that thread died; the rest of the process lived on".into()
        },
        status: "process lived".into(),
        survived: Some(true),
        stop: Some(a),
        ..Row::default()
    });
    std::process::exit(0);
}

// --- A stop signal aimed at one thread: the child's side (pingpong observes).

fn stop_target() -> Result<i32> {
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

// ---------------------------------------------------------------------------
// The findings (what the verdict reads).

fn attempts(rows: &[Row]) -> impl Iterator<Item = &Attempt> {
    rows.iter()
        .filter(|r| r.experiment == "stop")
        .filter_map(|r| r.stop.as_ref())
        .filter(|a| a.result.observed())
}

fn clauses<'a>(a: impl Iterator<Item = &'a Attempt>) -> String {
    a.map(Attempt::clause).collect::<Vec<_>>().join("; ")
}

/// T11's first half, "a thread cannot be interrupted": holds when no blocked
/// thread could be interrupted or cancelled. Needs at least one attempt on a
/// blocked thread (a CPU loop alone proves nothing: nothing was waiting).
pub fn thread_interrupt(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| {
            a.target == Target::Thread
                && matches!(
                    a.method,
                    Method::SignalEintr
                        | Method::PthreadCancelBlocked
                        | Method::PthreadCancelCpuLoop
                        | Method::PthreadCancelAsyncCpuLoop
                )
        })
        .collect();
    let blocked = tried
        .iter()
        .any(|a| matches!(a.method, Method::SignalEintr | Method::PthreadCancelBlocked));
    if !blocked {
        return Finding::new(
            Word::NotShown,
            "no attempt to interrupt a blocked thread was observed",
        );
    }
    let reached = tried
        .iter()
        .any(|a| matches!(a.result, Observed::Interrupted | Observed::Ended));
    let facts = clauses(tried.iter().copied());
    if reached {
        Finding::new(
            Word::Fails,
            format!("a thread can be interrupted (EINTR) or cancelled: {facts}"),
        )
    } else {
        Finding::new(
            Word::Holds,
            format!("no thread could be interrupted or cancelled: {facts}"),
        )
    }
}

/// T11's second half, "a thread cannot be killed": holds when no thread
/// could be killed (or stopped) alone, i.e. a fatal signal aimed at one
/// thread took the whole process or nothing. Needs a fatal-signal attempt.
pub fn thread_kill(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| {
            a.target == Target::Thread
                && matches!(
                    a.method,
                    Method::FatalSignalToThread | Method::StopSignalToThread
                )
        })
        .collect();
    if !tried
        .iter()
        .any(|a| a.method == Method::FatalSignalToThread)
    {
        return Finding::new(
            Word::NotShown,
            "no fatal signal aimed at one thread was observed",
        );
    }
    let alone = tried.iter().any(|a| {
        matches!(
            a.result,
            Observed::OnlyThreadDied | Observed::OnlyThreadStopped
        )
    });
    let facts = clauses(tried.iter().copied());
    if alone {
        Finding::new(
            Word::Fails,
            format!("a thread was killed or stopped alone: {facts}"),
        )
    } else {
        Finding::new(
            Word::Holds,
            format!("no thread can be killed alone: {facts}"),
        )
    }
}

/// T11 "a thread cannot be interrupted or killed", both halves: holds when
/// both hold, fails when both fail, depends when one does.
pub fn thread_unstoppable(rows: &[Row]) -> Finding {
    let (i, k) = (thread_interrupt(rows), thread_kill(rows));
    let word = match (i.word, k.word) {
        (Word::NotShown, _) | (_, Word::NotShown) => Word::NotShown,
        (Word::Holds, Word::Holds) => Word::Holds,
        (Word::Fails, Word::Fails) => Word::Fails,
        _ => Word::Depends,
    };
    Finding::new(word, format!("{}; {}", i.shown, k.shown))
}

/// P6 "child processes can be interrupted or killed": holds when every
/// runaway child process was ended by a signal and reaped.
pub fn process_killed(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| a.target == Target::Process)
        .collect();
    if tried.is_empty() {
        return Finding::new(Word::NotShown, "no attempt to stop a process was observed");
    }
    let ended = |a: &&Attempt| a.result == Observed::Ended && a.ended_by.is_some();
    let n = tried.iter().filter(|a| ended(a)).count();
    let facts = clauses(tried.iter().copied());
    let word = if n == tried.len() {
        Word::Holds
    } else if n == 0 {
        Word::Fails
    } else {
        Word::Depends
    };
    Finding::new(
        word,
        format!(
            "{n} of {} runaway processes ended by a signal and reaped: {facts}",
            tried.len()
        ),
    )
}

/// Every finding of this experiment, by key.
pub fn findings(rows: &[Row]) -> Vec<(&'static str, Finding)> {
    use super::findings::key;
    vec![
        (key::THREAD_UNINTERRUPTIBLE, thread_interrupt(rows)),
        (key::THREAD_UNKILLABLE, thread_kill(rows)),
        (key::THREAD_UNSTOPPABLE, thread_unstoppable(rows)),
        (key::PROCESS_KILLED, process_killed(rows)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: Target, method: Method, result: Observed) -> Row {
        let ended_by =
            (target == Target::Process && result == Observed::Ended).then(|| "SIGTERM".to_string());
        Row {
            experiment: "stop".into(),
            stop: Some(Attempt {
                target,
                method,
                result,
                signal: None,
                ended_by,
                others_affected: None,
            }),
            ..Row::default()
        }
    }

    fn t(method: Method, result: Observed) -> Row {
        row(Target::Thread, method, result)
    }

    /// What this machine shows: a blocked thread can be interrupted or
    /// cancelled; a fatal signal to one thread kills the whole process.
    fn linux_like() -> Vec<Row> {
        vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::PthreadCancelBlocked, Observed::Ended),
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
            t(Method::StopSignalToThread, Observed::WholeProcessStopped),
        ]
    }

    #[test]
    fn a_thread_interruptible_but_not_killable_alone_depends() {
        let rows = linux_like();
        assert_eq!(thread_interrupt(&rows).word, Word::Fails);
        assert_eq!(thread_kill(&rows).word, Word::Holds);
        let f = thread_unstoppable(&rows);
        assert_eq!(f.word, Word::Depends);
        assert!(
            f.shown.contains("interrupted (EINTR in that thread)"),
            "{}",
            f.shown
        );
        assert!(f.shown.contains("the whole process died"), "{}", f.shown);
    }

    #[test]
    fn nothing_interrupts_and_nothing_kills_alone_holds() {
        let rows = vec![
            t(Method::SignalEintr, Observed::NotInterrupted),
            t(Method::PthreadCancelBlocked, Observed::StillRunning),
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
        ];
        assert_eq!(thread_unstoppable(&rows).word, Word::Holds);
    }

    #[test]
    fn a_thread_killed_alone_and_interrupted_fails() {
        let rows = vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::FatalSignalToThread, Observed::OnlyThreadDied),
        ];
        assert_eq!(thread_unstoppable(&rows).word, Word::Fails);
        // Stopped alone counts as "alone" too.
        let rows = vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
            t(Method::StopSignalToThread, Observed::OnlyThreadStopped),
        ];
        assert_eq!(thread_kill(&rows).word, Word::Fails);
    }

    #[test]
    fn an_async_cancel_that_ends_a_cpu_loop_counts_as_interrupting() {
        let rows = vec![
            t(Method::SignalEintr, Observed::NotInterrupted),
            t(Method::PthreadCancelAsyncCpuLoop, Observed::Ended),
        ];
        assert_eq!(thread_interrupt(&rows).word, Word::Fails);
    }

    #[test]
    fn attempts_not_observed_show_nothing() {
        // Only a CPU loop: nothing was blocked, so nothing to interrupt.
        let rows = vec![
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::SignalEintr, Observed::Hung),
            t(Method::FatalSignalToThread, Observed::NotObserved),
        ];
        assert_eq!(thread_interrupt(&rows).word, Word::NotShown);
        assert_eq!(thread_kill(&rows).word, Word::NotShown);
        assert_eq!(thread_unstoppable(&rows).word, Word::NotShown);
        assert!(thread_unstoppable(&rows).demo().is_none());
        // The cooperative cases are not attempts from outside.
        let rows = vec![
            t(Method::CooperativeFlag, Observed::Ended),
            t(Method::FlagAndSignal, Observed::Ended),
        ];
        assert_eq!(thread_unstoppable(&[]).word, Word::NotShown);
        assert_eq!(thread_interrupt(&rows).word, Word::NotShown);
    }

    #[test]
    fn the_demo_says_yes_only_when_the_finding_holds() {
        let d = thread_unstoppable(&linux_like()).demo().unwrap();
        assert!(!d.shows_claim);
        assert!(d.shown.starts_with("depends: "), "{}", d.shown);
        let d = thread_kill(&linux_like()).demo().unwrap();
        assert!(d.shows_claim);
    }

    #[test]
    fn process_finding_reaches_every_word() {
        let p = |r| row(Target::Process, Method::Sigterm, r);
        assert_eq!(process_killed(&[p(Observed::Ended)]).word, Word::Holds);
        assert_eq!(
            process_killed(&[p(Observed::StillRunning)]).word,
            Word::Fails
        );
        assert_eq!(
            process_killed(&[p(Observed::Ended), p(Observed::StillRunning)]).word,
            Word::Depends
        );
        assert_eq!(process_killed(&[p(Observed::Hung)]).word, Word::NotShown);
        // "Ended" without the signal that ended it is not "killed by a signal".
        let mut r = p(Observed::Ended);
        r.stop.as_mut().unwrap().ended_by = None;
        assert_eq!(process_killed(&[r]).word, Word::Fails);
    }

    #[test]
    fn an_attempt_round_trips_in_snake_case() {
        let a = Attempt {
            target: Target::Thread,
            method: Method::PthreadCancelCpuLoop,
            result: Observed::WholeProcessStopped,
            signal: Some("SIGSTOP".into()),
            ended_by: None,
            others_affected: Some(true),
        };
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["method"], "pthread_cancel_cpu_loop");
        assert_eq!(j["result"], "whole_process_stopped");
        assert!(j.get("ended_by").is_none());
        assert_eq!(serde_json::from_value::<Attempt>(j).unwrap(), a);
    }
}
