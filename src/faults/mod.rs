//! `pingpong faults`: what goes wrong with threads and processes, shown
//! happening, measured, and contained.
//!
//! Every fault runs inside a *sacrificial child*: our own binary re-executed
//! with the hidden [`SUBCOMMAND`] (like the spawn start method, see
//! [`crate::unit::spawn`]), dying with pingpong (`PR_SET_PDEATHSIG`), never
//! dumping core (`RLIMIT_CORE` 0), its stderr caught in a pipe. So even a
//! fault that kills "the whole program" kills only that child; pingpong
//! reports the exit status or signal and how long it took to notice. Every
//! child is reaped, every experiment has a deadline, nothing is left behind.
//!
//! A sacrificial child speaks on its stdout in lines: `MARK <ns>` just before
//! it commits a fault (CLOCK_MONOTONIC, which all processes share),
//! `PROGRESS <n>` as it goes, and `REPORT <json>` for each row it can still
//! report itself. A child that died reports nothing: the parent writes its
//! row from the death.
//!
//! One file per experiment; each has a parent side (`run`) and a child side
//! (`child`). This module holds the subcommand, the document, the
//! sacrificial-child machinery and the renderers.

pub mod crash;
pub mod deadlock;
pub mod isolation;
pub mod pool;
pub mod race;
pub mod stop;
pub mod zombies;

use crate::error::usage;
use crate::output::{ns, progress::Progress, write_atomically};
use crate::results::Header;
use anyhow::{Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The hidden subcommand a sacrificial child runs: `__fault EXPERIMENT ARG…`.
pub const SUBCOMMAND: &str = "__fault";

/// Every experiment, in the order run.
pub const EXPERIMENTS: [&str; 7] = [
    "crash",
    "stop",
    "deadlock",
    "race",
    "isolation",
    "zombies",
    "pool",
];

/// What `pingpong faults` was asked, resolved once from the command line.
pub struct FaultsPlan {
    pub experiments: Vec<&'static str>,
    pub quick: bool,
    pub exports: crate::cli::Exports,
}

/// One thing that happened: a row of the table.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Row {
    pub experiment: String,
    pub case: String,
    /// "thread", "process", "threads", "processes"…
    pub unit: String,
    /// What happened, in words.
    pub outcome: String,
    /// The exit status or signal that ended the unit (or "joined", "running"…).
    pub status: String,
    /// Whether the rest of the program lived on (None where it does not apply).
    pub survived: Option<bool>,
    /// From the fault (or the request to stop) until it was noticed, ns.
    pub notice_ns: Option<f64>,
    /// Explanation, and the first line the unit wrote on stderr, if any.
    pub detail: String,
    /// Experiment-specific figures (lost updates, answers, rates…).
    pub figures: BTreeMap<String, f64>,
}

/// A whole `pingpong faults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaultsDocument {
    #[serde(flatten)]
    pub header: Header,
    pub quick: bool,
    pub experiments: Vec<String>,
    pub rows: Vec<Row>,
    /// What the rows show about each claim, keyed `faults.<experiment>.<finding>`
    /// (the keys the verdict reads).
    pub demos: BTreeMap<String, Demo>,
    pub notes: Vec<String>,
}

/// One finding, for the verdict: whether it shows the claim, and what was shown.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Demo {
    pub shows_claim: bool,
    pub shown: String,
}

/// The findings the rows support (a key is absent if its rows are).
pub fn demos(rows: &[Row]) -> BTreeMap<String, Demo> {
    let mut d = BTreeMap::new();
    let find = |e: &str, c: &str| rows.iter().find(|r| r.experiment == e && r.case == c);
    let line = |r: &Row| {
        format!(
            "{} {} {}: {} ({})",
            r.experiment, r.case, r.unit, r.outcome, r.status
        )
    };
    let mut put = |key: &str, shows: bool, shown: String| {
        d.insert(
            format!("faults.{key}"),
            Demo {
                shows_claim: shows,
                shown,
            },
        );
    };
    let fatal = ["abort", "null-write", "stack-overflow"];
    let crash = |unit: &str| -> Vec<&Row> {
        rows.iter()
            .filter(|r| {
                r.experiment == "crash" && r.unit == unit && fatal.contains(&r.case.as_str())
            })
            .collect()
    };
    let (threads, procs) = (crash("thread"), crash("process"));
    if !threads.is_empty() {
        put(
            "crash.thread-kills-program",
            threads.iter().all(|r| r.survived == Some(false)),
            threads
                .iter()
                .map(|r| line(r))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    if !procs.is_empty() {
        put(
            "crash.process-contained",
            procs.iter().all(|r| r.survived == Some(true)),
            procs.iter().map(|r| line(r)).collect::<Vec<_>>().join("; "),
        );
    }
    if let Some(r) = find("stop", "cpu loop, never checks") {
        put(
            "stop.thread-unstoppable",
            r.outcome.starts_with("cannot be stopped"),
            line(r),
        );
    }
    let stopped: Vec<&Row> = rows
        .iter()
        .filter(|r| r.experiment == "stop" && r.unit == "process")
        .collect();
    if !stopped.is_empty() {
        put(
            "stop.process-killed",
            stopped
                .iter()
                .all(|r| r.status.starts_with("SIG") && r.outcome.contains("reaped")),
            stopped
                .iter()
                .map(|r| line(r))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    if let Some(r) = find("deadlock", "two locks, opposite order") {
        put(
            "deadlock.detected",
            r.outcome.starts_with("deadlock detected"),
            format!("{}: {}", line(r), r.detail),
        );
    }
    if let Some(r) = find("race", "load then store") {
        let lost = r.figures.get("lost_updates").copied().unwrap_or(0.0);
        put("race.lost-updates", lost > 0.0, line(r));
    }
    if let Some(r) = find("isolation", "write from a thread") {
        put(
            "isolation.thread-write-visible",
            r.outcome.contains("visible (shared memory)"),
            line(r),
        );
    }
    if let Some(r) = find("isolation", "write after fork") {
        put(
            "isolation.fork-write-invisible",
            r.outcome.contains("invisible (copy-on-write)"),
            line(r),
        );
    }
    if let Some(r) = find("isolation", "read another's memory, unprivileged") {
        put(
            "isolation.foreign-read-refused",
            r.outcome.starts_with("refused"),
            line(r),
        );
    }
    if let Some(r) = rows
        .iter()
        .find(|r| r.experiment == "pool" && r.unit == "processes")
    {
        let lost = r.figures.get("lost").copied().unwrap_or(1.0);
        put(
            "pool.process-pool-recovers",
            r.survived == Some(true) && lost == 0.0 && r.outcome.contains("exactly once"),
            line(r),
        );
    }
    if let Some(r) = find("zombies", "unreaped child") {
        let f = |k: &str| r.figures.get(k).copied().unwrap_or(0.0) == 1.0;
        put(
            "zombies.seen-and-reaped",
            f("seen_in_state_z") && f("gone_after_waitpid"),
            line(r),
        );
    }
    d
}

/// Resolves the command line.
pub fn plan(args: &crate::cli::FaultsArgs) -> Result<FaultsPlan> {
    args.exports.check()?;
    let mut experiments = Vec::new();
    for n in &args.names {
        let Some(e) = EXPERIMENTS.iter().find(|e| **e == n.as_str()) else {
            return Err(usage(format!(
                "unknown fault experiment '{n}': choose from {}",
                EXPERIMENTS.join(", ")
            )));
        };
        if !experiments.contains(e) {
            experiments.push(*e);
        }
    }
    if experiments.is_empty() {
        experiments = EXPERIMENTS.to_vec();
    }
    Ok(FaultsPlan {
        experiments,
        quick: args.quick,
        exports: args.exports.clone(),
    })
}

/// `pingpong faults`: runs each experiment, exporting after each one.
pub fn run(args: &crate::cli::FaultsArgs) -> Result<bool> {
    let plan = plan(args)?;
    let mut doc = FaultsDocument {
        header: Header::new("faults"),
        quick: plan.quick,
        experiments: plan.experiments.iter().map(|e| e.to_string()).collect(),
        rows: Vec::new(),
        demos: BTreeMap::new(),
        notes: Vec::new(),
    };
    if rustix::process::geteuid().is_root() {
        doc.notes.push(
            "pingpong runs as root: a process may read another's memory with privilege; \
             the isolation experiment drops to an unprivileged user to show the barrier"
                .into(),
        );
    }
    let progress = Progress::new(plan.experiments.len() as u64);
    for e in &plan.experiments {
        progress.start(e);
        let rows = match *e {
            "crash" => crash::run(plan.quick),
            "stop" => stop::run(plan.quick),
            "deadlock" => deadlock::run(plan.quick),
            "race" => race::run(plan.quick),
            "isolation" => isolation::run(plan.quick),
            "zombies" => zombies::run(plan.quick),
            _ => pool::run(plan.quick),
        };
        doc.rows.extend(rows);
        doc.demos = demos(&doc.rows);
        export(&plan, &doc)?;
        progress.done();
        if crate::stop::interrupted() {
            break;
        }
    }
    progress.finish();
    if crate::stop::interrupted() {
        return Err(anyhow::Error::new(crate::error::Interrupted));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(render_table(&doc).as_bytes())?;
    out.flush()?;
    Ok(true)
}

fn export(plan: &FaultsPlan, doc: &FaultsDocument) -> Result<()> {
    if let Some(p) = &plan.exports.json {
        let mut bytes = serde_json::to_vec_pretty(doc)?;
        bytes.push(b'\n');
        write_atomically(p, &bytes)?;
    }
    if let Some(p) = &plan.exports.csv {
        write_atomically(p, &render_csv(doc)?)?;
    }
    if let Some(p) = &plan.exports.markdown {
        write_atomically(p, render_markdown(doc).as_bytes())?;
    }
    Ok(())
}

fn survived(s: Option<bool>) -> &'static str {
    match s {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "–",
    }
}

fn notice(n: Option<f64>) -> String {
    n.map(ns).unwrap_or_else(|| "–".into())
}

/// The terminal table, then one numbered line of detail per row.
pub fn render_table(doc: &FaultsDocument) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "machine:  {}", doc.header.machine.one_line());
    let mut t = crate::output::new_table();
    t.set_header(vec![
        "#",
        "experiment",
        "case",
        "unit",
        "outcome",
        "signal/status",
        "survived?",
        "time to notice",
    ]);
    for (i, r) in doc.rows.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            r.experiment.clone(),
            r.case.clone(),
            r.unit.clone(),
            r.outcome.clone(),
            r.status.clone(),
            survived(r.survived).into(),
            notice(r.notice_ns),
        ]);
    }
    let _ = writeln!(out, "{t}");
    for (i, r) in doc.rows.iter().enumerate() {
        if !r.detail.is_empty() {
            let _ = writeln!(out, "[{}] {}", i + 1, r.detail);
        }
    }
    for n in &doc.notes {
        let _ = writeln!(out, "note: {n}");
    }
    out
}

fn figures_text(f: &BTreeMap<String, f64>) -> String {
    f.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `--csv FILE`: one row per table row, figures as `key=value; …`.
pub fn render_csv(doc: &FaultsDocument) -> Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "experiment",
        "case",
        "unit",
        "outcome",
        "status",
        "survived",
        "notice_ns",
        "detail",
        "figures",
    ])?;
    for r in &doc.rows {
        w.write_record([
            r.experiment.clone(),
            r.case.clone(),
            r.unit.clone(),
            r.outcome.clone(),
            r.status.clone(),
            r.survived.map(|s| s.to_string()).unwrap_or_default(),
            r.notice_ns.map(|n| format!("{n:.0}")).unwrap_or_default(),
            r.detail.clone(),
            figures_text(&r.figures),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `--markdown FILE`.
pub fn render_markdown(doc: &FaultsDocument) -> String {
    use std::fmt::Write as _;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let _ = writeln!(s, "# pingpong faults\n");
    let _ = writeln!(s, "Machine: {}\n", doc.header.machine.one_line());
    let _ = writeln!(
        s,
        "| experiment | case | unit | outcome | signal/status | survived? | time to notice | detail |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    for r in &doc.rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&r.experiment),
            cell(&r.case),
            cell(&r.unit),
            cell(&r.outcome),
            cell(&r.status),
            survived(r.survived),
            notice(r.notice_ns),
            cell(&r.detail)
        );
    }
    for n in &doc.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}

// ---------------------------------------------------------------------------
// The sacrificial child: the child side.

/// The `__fault` subcommand: `args` are what follows it.
pub fn child_main(args: &[String]) -> i32 {
    let experiment = args.first().map(String::as_str).unwrap_or("");
    let arg = args.get(1).map(String::as_str).unwrap_or("");
    let rest = args.get(2..).unwrap_or(&[]);
    let result = match experiment {
        "crash" => crash::child(arg),
        "stop" => stop::child(arg, rest),
        "deadlock" => deadlock::child(arg, rest),
        "race" => race::child(arg, rest),
        "isolation" => isolation::child(arg, rest),
        "zombies" => zombies::child(arg),
        "pool" => pool::child(arg, rest),
        _ => {
            eprintln!("pingpong {SUBCOMMAND}: this subcommand is for pingpong's own use");
            return 2;
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pingpong {SUBCOMMAND} {experiment}: {e:#}");
            1
        }
    }
}

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

// ---------------------------------------------------------------------------
// The sacrificial child: the parent side (used by pingpong, and by a
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

/// A command re-executing pingpong as `__fault ARGS…`: dies with its parent,
/// dumps no core.
pub fn command(args: &[String]) -> Result<Command> {
    let exe = std::env::current_exe().context("finding our own executable to re-execute")?;
    let mut cmd = Command::new(exe);
    cmd.arg(SUBCOMMAND).args(args);
    // A deliberate panic should not spend its time (our time to notice)
    // capturing and symbolising a backtrace that nobody reads.
    cmd.env("RUST_BACKTRACE", "0");
    let parent = nix::unistd::getpid();
    // SAFETY: runs in the child between fork and exec, and makes only
    // async-signal-safe system calls (prctl, getppid, setrlimit); it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            // Die with the parent, even if it is killed with SIGKILL. (The
            // parent here is the thread that spawns: spawn from a thread that
            // outlives the child.)
            if nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if nix::libc::getppid() != parent.as_raw() {
                return Err(std::io::Error::other("the parent is gone"));
            }
            // A deliberate crash must not leave a core file behind.
            let none = nix::libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if nix::libc::setrlimit(nix::libc::RLIMIT_CORE, &none) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(cmd)
}

/// Waits for `pid` until `deadline`; then SIGKILL and reap. Returns the
/// status and whether the deadline struck. Uses a pidfd, so no thread is
/// needed (a sacrificial child that forks must stay single-threaded).
pub fn wait_until(pid: Pid, deadline: Duration) -> Result<(WaitStatus, bool)> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let fd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(pid.as_raw()).context("pid 0")?,
        rustix::process::PidfdFlags::empty(),
    )
    .context("pidfd_open")?;
    let end = std::time::Instant::now() + deadline;
    let mut timed_out = false;
    loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        let ms = left.as_millis().min(10_000) as u16;
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) if left.is_zero() => {
                let _ = kill(pid, Signal::SIGKILL);
                timed_out = true;
                break;
            }
            Ok(0) => continue,
            Ok(_) => break,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e).context("poll on a pidfd"),
        }
    }
    loop {
        match waitpid(pid, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => return Ok((r.context("waitpid")?, timed_out)),
        }
    }
}

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
