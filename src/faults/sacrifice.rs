//! The sacrificial child: our own binary re-executed with the hidden
//! [`SUBCOMMAND`], dying with pingpong, never dumping core, its stdout and
//! stderr caught. The child side says what happens on its stdout in lines
//! (`MARK <ns>` just before it commits a fault, `PROGRESS <n>`, `REPORT
//! <json>` for each row it can still report); the parent side runs it to its
//! end or its deadline and writes a row from its death when it could not.

use super::{Observed, Row};
use crate::subprocess::deathsig::BeforeExec;
use crate::subprocess::reexec;
use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The hidden subcommand a sacrificial child runs: `__fault EXPERIMENT ARG…`.
pub const SUBCOMMAND: &str = "__fault";

// The child side.

static LAST_MARK: AtomicU64 = AtomicU64::new(0);

/// Now, on CLOCK_MONOTONIC (shared by all processes), in ns.
pub fn mono_ns() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as i128 * 1_000_000_000 + t.tv_nsec() as i128)
        .unwrap_or(0);
    t as u64
}

/// Says, on stdout, that a fault is about to be committed now.
pub fn mark() -> u64 {
    let t = mono_ns();
    LAST_MARK.store(t, Ordering::SeqCst);
    say(&format!("MARK {t}"));
    t
}

/// The last [`mark`] made in this process.
pub fn last_mark() -> u64 {
    LAST_MARK.load(Ordering::SeqCst)
}

/// One line on stdout, flushed at once (the next instant may be a crash).
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A row the child reports itself (experiment and case are filled in by the parent).
pub fn report(row: &Row) {
    if let Ok(j) = serde_json::to_string(row) {
        say(&format!("REPORT {j}"));
    }
}

// The parent side (used by pingpong, and by a
// sacrificial child for its own workers).

/// How a child ended.
#[derive(Clone, Debug)]
pub struct Ended {
    /// "exit N" or the signal's name.
    pub status: String,
    pub code: Option<i32>,
    pub signal: Option<Signal>,
    /// It was still running at its deadline and was killed (SIGKILL).
    pub timed_out: bool,
    /// When it was reaped (CLOCK_MONOTONIC ns).
    pub reaped_ns: u64,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    fn lines<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.stdout.lines().filter_map(move |l| l.strip_prefix(tag))
    }

    /// The rows the child reported.
    pub fn reports(&self) -> Vec<Row> {
        self.lines("REPORT ")
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect()
    }

    /// When the child said it committed its fault.
    pub fn mark(&self) -> Option<u64> {
        self.lines("MARK ")
            .last()
            .and_then(|t| t.trim().parse().ok())
    }

    /// The last progress count the child gave.
    pub fn progress(&self) -> Option<u64> {
        self.lines("PROGRESS ")
            .last()
            .and_then(|t| t.trim().parse().ok())
    }

    /// From the mark to the reaping, ns.
    pub fn notice_ns(&self) -> Option<f64> {
        self.mark().map(|m| self.reaped_ns.saturating_sub(m) as f64)
    }

    /// The first line the child wrote on stderr (its panic or abort message).
    pub fn first_stderr_line(&self) -> String {
        self.stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string()
    }

    /// "stderr: …" or nothing.
    pub fn stderr_note(&self) -> String {
        let l = self.first_stderr_line();
        if l.is_empty() {
            String::new()
        } else {
            format!("stderr: {l}")
        }
    }
}

/// A command re-executing pingpong as `__fault ARGS…`: dies with its parent
/// (spawn it from a thread that outlives the child), dumps no core.
pub fn command(args: &[String]) -> Result<Command> {
    let mut cmd = reexec::ourselves_with(
        SUBCOMMAND,
        BeforeExec {
            // A deliberate crash must not leave a core file behind.
            no_core: true,
            ..BeforeExec::dying_with(Signal::SIGKILL)
        },
    )?;
    cmd.args(args);
    // A deliberate panic should not spend its time (our time to notice)
    // capturing and symbolising a backtrace that nobody reads.
    cmd.env("RUST_BACKTRACE", "0");
    Ok(cmd)
}

/// Waits for `pid` until `deadline`; then SIGKILL and reap. Returns the
/// status and whether the deadline struck. No thread is needed (a
/// sacrificial child that forks must stay single-threaded).
pub use crate::subprocess::reap::wait_until;

/// Describes a wait status.
pub fn describe(ws: &WaitStatus) -> (String, Option<i32>, Option<Signal>) {
    match *ws {
        WaitStatus::Exited(_, c) => (format!("exit {c}"), Some(c), None),
        WaitStatus::Signaled(_, s, _) => (s.as_str().to_string(), None, Some(s)),
        ref other => (format!("{other:?}"), None, None),
    }
}

/// Reads all of a pipe on a helper thread.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

/// Runs `__fault ARGS…` to its end or its deadline, stdout and stderr caught.
pub fn sacrifice(args: &[String], deadline: Duration) -> Result<Ended> {
    let mut cmd = command(args)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child: Child = cmd.spawn().context("starting a sacrificial child")?;
    let out = drain(child.stdout.take().context("child stdout")?);
    let err = drain(child.stderr.take().context("child stderr")?);
    let pid = Pid::from_raw(child.id() as i32);
    let (ws, timed_out) = wait_until(pid, deadline)?;
    let reaped_ns = mono_ns();
    let (status, code, signal) = describe(&ws);
    Ok(Ended {
        status,
        code,
        signal,
        timed_out,
        reaped_ns,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Parent side of one case: runs `__fault EXPERIMENT ARG…` and returns the
/// rows it reported, or, if it died, one row written from its death.
pub fn run_case(
    experiment: &str,
    case: &str,
    unit: &str,
    args: &[&str],
    deadline: Duration,
) -> Vec<Row> {
    let mut full = vec![experiment.to_string()];
    full.extend(args.iter().map(|a| a.to_string()));
    let base = Row {
        experiment: experiment.into(),
        case: case.into(),
        unit: unit.into(),
        ..Row::default()
    };
    let ended = match sacrifice(&full, deadline) {
        Ok(e) => e,
        Err(e) => {
            return vec![Row {
                outcome: "could not run".into(),
                status: "error".into(),
                detail: format!("{e:#}"),
                ..base
            }]
        }
    };
    let reports = ended.reports();
    if !reports.is_empty() && ended.code == Some(0) {
        return reports
            .into_iter()
            .map(|r| Row {
                experiment: experiment.into(),
                case: if r.case.is_empty() {
                    case.into()
                } else {
                    r.case.clone()
                },
                unit: if r.unit.is_empty() {
                    unit.into()
                } else {
                    r.unit.clone()
                },
                ..r
            })
            .collect();
    }
    let outcome = if ended.timed_out {
        "hung: killed at the deadline".to_string()
    } else if let Some(s) = ended.signal {
        format!("the whole program died ({})", s.as_str())
    } else {
        format!("the whole program ended ({})", ended.status)
    };
    let mut detail = ended.stderr_note();
    if let Some(p) = ended.progress() {
        detail = format!("{p} done before it died. {detail}");
    }
    let mut figures = BTreeMap::new();
    if let Some(p) = ended.progress() {
        figures.insert("done_before_death".into(), p as f64);
    }
    vec![Row {
        outcome,
        status: ended.status.clone(),
        observed: Observed::ProgramEnded {
            signal: ended.signal.map(|s| s.as_str().to_string()),
            code: ended.code,
            hung: ended.timed_out,
        },
        survived: Some(false),
        notice_ns: ended.notice_ns(),
        detail,
        figures,
        ..base
    }]
}

/// A deadline: short in quick mode.
pub fn deadline(quick: bool) -> Duration {
    if quick {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(60)
    }
}
