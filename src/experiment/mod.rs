//! The experiments beyond the rally (issue 4): one module each, sharing what
//! every experiment needs and nothing more.
//!
//! Each experiment is a subcommand with the engine's conventions: progress on
//! stderr updated only between measurements, a table on stdout, exports
//! (`--json/--csv/--markdown`) rewritten after every measurement, a deadline
//! on everything, and nothing left behind (every child is reaped, every
//! thread joined). The JSON document opens with the common [`Header`], so the
//! verdict can read it like any other.
//!
//! What lives here: the shared arguments ([`CommonArgs`]), the document
//! ([`ExperimentDocument`]), the per-row rendering ([`Row`]), the session that
//! records, exports and prints ([`Session`]), the [`Deadline`], and the
//! process helpers: [`fork_child`] (only while single-threaded), [`reap`]
//! (bounded by the deadline; a stuck child is killed and reaped) and
//! [`SharedMap`] (memory shared across `fork`).

pub mod contention;
pub mod memory;
pub mod overlap;
pub mod reach;
pub mod responsive;
pub mod scale;
pub mod spawn;
pub mod switch;

use crate::error::{usage, Interrupted};
use crate::output::progress::Progress;
use crate::results::Header;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

/// Hidden subcommands run by re-executed children: they skip clap.
/// Returns the exit code if `args` names one.
pub fn child_main(args: &[String]) -> Option<i32> {
    match args.get(1).map(String::as_str) {
        Some(spawn::NOOP) => Some(0),
        Some(memory::IDLE) => Some(memory::idle_main()),
        _ => None,
    }
}

/// Flags every experiment takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The quickest meaningful run (under ~2 s): for tests and a first look.
    #[arg(long)]
    pub quick: bool,

    /// Deadline for each measurement [default: 60s].
    #[arg(long, value_name = "TIME")]
    pub timeout: Option<String>,

    #[command(flatten)]
    pub exports: crate::export::Exports,
}

impl CommonArgs {
    /// The deadline for one measurement.
    pub fn timeout(&self) -> Result<Duration> {
        match &self.timeout {
            None => Ok(Duration::from_secs(60)),
            Some(t) => {
                let d = crate::parse::parse_time(t, "--timeout").map_err(usage)?;
                if d.is_zero() {
                    return Err(usage(
                        "invalid --timeout '0': give a positive time, e.g. 30s",
                    ));
                }
                Ok(d)
            }
        }
    }
}

/// One result of an experiment, as a row of the table, the CSV and the Markdown.
pub trait Row {
    fn headers() -> Vec<&'static str>;
    fn cells(&self) -> Vec<String>;
}

/// Every experiment's JSON document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentDocument<S, T> {
    #[serde(flatten)]
    pub header: Header,
    /// What was asked, resolved (sizes, counts, deadline).
    pub settings: S,
    /// One entry per measurement, in the order taken.
    pub results: Vec<T>,
    /// Measurements that could not be taken here, and why (never faked).
    pub unavailable: Vec<String>,
    /// Measurements that failed, and why.
    pub errors: Vec<String>,
    /// Warnings a reader should see beside the figures.
    pub notes: Vec<String>,
    /// What the experiment measures, in a few words (the Markdown heading).
    #[serde(skip)]
    pub title: &'static str,
}

impl<S: Serialize, T: Serialize + Row> crate::export::Export for ExperimentDocument<S, T> {
    fn csv(&self) -> Result<Vec<u8>> {
        crate::export::csv_bytes(&T::headers(), self.results.iter().map(Row::cells))
    }

    fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# pingpong {}: {}\n", self.header.experiment, self.title);
        let _ = writeln!(s, "Machine: {}\n", self.header.machine.one_line());
        let h = T::headers();
        let _ = writeln!(s, "| {} |", h.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(h.len()));
        for r in &self.results {
            let _ = writeln!(s, "| {} |", r.cells().join(" | "));
        }
        for (label, list) in [
            ("Not measurable here", &self.unavailable),
            ("Errors", &self.errors),
            ("Notes", &self.notes),
        ] {
            if !list.is_empty() {
                let _ = writeln!(s, "\n{label}:\n");
                for n in list {
                    let _ = writeln!(s, "- {n}");
                }
            }
        }
        s
    }
}

/// A running experiment: records results, exports after each, prints at the end.
pub struct Session<'a, S, T> {
    pub doc: ExperimentDocument<S, T>,
    common: &'a CommonArgs,
    progress: Progress,
}

impl<'a, S: Serialize, T: Serialize + Row> Session<'a, S, T> {
    pub fn new(
        experiment: &'static str,
        title: &'static str,
        common: &'a CommonArgs,
        settings: S,
        steps: u64,
    ) -> Result<Self> {
        let s = Session {
            doc: ExperimentDocument {
                header: Header::new(experiment),
                settings,
                results: Vec::new(),
                unavailable: Vec::new(),
                errors: Vec::new(),
                notes: Vec::new(),
                title,
            },
            common,
            progress: Progress::new(steps),
        };
        s.export()?;
        Ok(s)
    }

    /// Before a measurement: what is about to be measured.
    pub fn start(&self, what: &str) -> Result<()> {
        if crate::interrupt::interrupted() {
            return Err(anyhow::Error::new(Interrupted));
        }
        self.progress.start(what);
        Ok(())
    }

    /// After a measurement: record it and rewrite the exports.
    pub fn push(&mut self, r: T) -> Result<()> {
        self.doc.results.push(r);
        self.export()?;
        self.progress.done();
        Ok(())
    }

    /// After a measurement that updates result `i` (or adds it): record and export.
    pub fn set(&mut self, i: usize, r: T) -> Result<()> {
        if i < self.doc.results.len() {
            self.doc.results[i] = r;
        } else {
            self.doc.results.push(r);
        }
        self.export()?;
        self.progress.done();
        Ok(())
    }

    /// A step that produced no row (skipped or failed).
    pub fn skip_step(&self) {
        self.progress.done();
    }

    /// A measurement that failed: recorded, shown, and the run goes on
    /// (unless it was interrupted, or the error is the user's).
    pub fn failed(&mut self, what: &str, e: anyhow::Error) -> Result<()> {
        if crate::error::exit_code(&e) != 1 {
            self.export()?;
            self.progress.finish();
            return Err(e);
        }
        let line = format!("{what}: {e:#}");
        self.progress.println(&format!("error: {line}"));
        self.doc.errors.push(line);
        self.export()?;
        self.progress.done();
        Ok(())
    }

    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.doc.notes.contains(&n) {
            self.doc.notes.push(n);
        }
    }

    pub fn unavailable(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.doc.unavailable.contains(&n) {
            self.doc.unavailable.push(n);
        }
    }

    fn export(&self) -> Result<()> {
        self.common.exports.write(&self.doc)
    }

    /// Prints the table; the exit code is 1 if any measurement failed.
    pub fn finish(self) -> Result<i32> {
        self.export()?;
        self.progress.finish();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "pingpong {}: {}",
            self.doc.header.experiment, self.doc.title
        );
        let _ = writeln!(out, "machine:  {}", self.doc.header.machine.one_line());
        let mut t = crate::output::new_table();
        t.set_header(T::headers());
        for r in &self.doc.results {
            t.add_row(r.cells());
        }
        let _ = writeln!(out, "{t}");
        for n in &self.doc.unavailable {
            let _ = writeln!(out, "not measurable here: {n}");
        }
        for n in &self.doc.notes {
            let _ = writeln!(out, "note: {n}");
        }
        for n in &self.doc.errors {
            let _ = writeln!(out, "error: {n}");
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()?;
        Ok(if self.doc.errors.is_empty() { 0 } else { 1 })
    }
}

/// When a measurement must be over.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    end: Instant,
    limit: Duration,
}

impl Deadline {
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            end: Instant::now() + limit,
            limit,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.end
    }

    /// An error if the deadline has passed (or the run was interrupted).
    pub fn check(&self, what: &str) -> Result<()> {
        if crate::interrupt::interrupted() {
            return Err(anyhow::Error::new(Interrupted));
        }
        if self.passed() {
            bail!("{what} did not finish within {}", self.describe());
        }
        Ok(())
    }

    pub fn describe(&self) -> String {
        humantime::format_duration(Duration::from_millis(self.limit.as_millis() as u64)).to_string()
    }
}

/// Forks a child that runs `body` and leaves with `_exit` (0 if `body`
/// returns true). Refuses unless this process is single-threaded: after
/// `fork` a lock held by another thread (the allocator's) stays held forever.
/// The child dies with its parent (`PR_SET_PDEATHSIG`).
pub fn fork_child(body: impl FnOnce() -> bool) -> Result<Pid> {
    let threads = crate::unit::fork::thread_count()?;
    if threads != 1 {
        bail!(
            "refusing to fork from {threads} threads (forking a multi-threaded process is unsafe); \
             this is a bug in the experiment's ordering"
        );
    }
    let parent = nix::unistd::getpid();
    // SAFETY: single-threaded (checked above), so the child inherits no lock
    // held by another thread. The child runs `body` and leaves with `_exit`,
    // never returning into the parent's code or running its destructors.
    match unsafe { nix::unistd::fork() }.context("fork")? {
        nix::unistd::ForkResult::Child => {
            // SAFETY: plain system calls in the freshly forked child.
            unsafe {
                nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGKILL);
                if nix::libc::getppid() != parent.as_raw() {
                    nix::libc::_exit(1);
                }
            }
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(false);
            // SAFETY: ends the child without running the parent's destructors.
            unsafe { nix::libc::_exit(if ok { 0 } else { 1 }) }
        }
        nix::unistd::ForkResult::Parent { child } => Ok(child),
    }
}

/// Waits for `pid` until the deadline; past it (or on Ctrl-C) the child is
/// killed with SIGKILL and reaped, and the error names it. Polls with
/// `WNOHANG`, sleeping a little longer each time, so it never blocks past
/// the deadline whatever the threads of this process are doing.
pub fn reap(pid: Pid, deadline: &Deadline, what: &str) -> Result<WaitStatus> {
    let mut nap = Duration::from_micros(20);
    loop {
        match waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => {}
            Ok(s) => return Ok(s),
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(anyhow!("waiting for {what} (pid {pid}): {e}")),
        }
        if deadline.passed() || crate::interrupt::interrupted() {
            kill_and_reap(pid);
            if crate::interrupt::interrupted() {
                return Err(anyhow::Error::new(Interrupted));
            }
            bail!(
                "{what} (pid {pid}) did not finish within {}; it was killed and reaped",
                deadline.describe()
            );
        }
        std::thread::sleep(nap.min(deadline.remaining()));
        nap = (nap * 2).min(Duration::from_millis(5));
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

/// SIGKILL, then a blocking reap (a killed child cannot refuse to die).
pub fn kill_and_reap(pid: Pid) {
    let _ = kill(pid, Signal::SIGKILL);
    while let Err(nix::errno::Errno::EINTR) = waitpid(pid, None) {}
}

/// Kills and reaps every pid on drop: nothing outlives the experiment, even
/// on an early return.
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

/// Anonymous memory mapped `MAP_SHARED`: the same pages in parent and forked
/// children (unlike a private mapping, which `fork` copies on write).
pub struct SharedMap {
    ptr: *mut u8,
    len: usize,
}

impl SharedMap {
    pub fn new(len: usize) -> Result<SharedMap> {
        // SAFETY: a fresh anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            nix::libc::mmap(
                std::ptr::null_mut(),
                len,
                nix::libc::PROT_READ | nix::libc::PROT_WRITE,
                nix::libc::MAP_SHARED | nix::libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == nix::libc::MAP_FAILED {
            bail!(
                "mmap of {len} shared bytes: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(SharedMap {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The `i`-th 64-byte slot as an atomic (one per cache line, so slots do
    /// not share a line).
    pub fn atomic_u64(&self, i: usize) -> &std::sync::atomic::AtomicU64 {
        assert!((i + 1) * 64 <= self.len, "slot {i} outside the mapping");
        // SAFETY: in bounds (asserted), 64-byte aligned (page-aligned base),
        // zero-initialised by mmap, and only ever accessed atomically.
        unsafe { &*(self.ptr.add(i * 64) as *const std::sync::atomic::AtomicU64) }
    }

    /// The `i`-th 64-byte slot as a 32-bit atomic (for futexes).
    pub fn atomic_u32(&self, i: usize) -> &std::sync::atomic::AtomicU32 {
        assert!((i + 1) * 64 <= self.len, "slot {i} outside the mapping");
        // SAFETY: as for `atomic_u64`.
        unsafe { &*(self.ptr.add(i * 64) as *const std::sync::atomic::AtomicU32) }
    }
}

// SAFETY: the mapping is only reached through atomics.
unsafe impl Send for SharedMap {}
// SAFETY: as above.
unsafe impl Sync for SharedMap {}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no reference outlives self.
        unsafe {
            nix::libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// A pipe whose ends are close-on-exec.
pub fn pipe() -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

/// Reads exactly `buf.len()` bytes from `fd` before the deadline.
pub fn read_within(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
    deadline: &Deadline,
    what: &str,
) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        deadline.check(what)?;
        let ms = deadline.remaining().as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(
            &mut pfd,
            nix::poll::PollTimeout::try_from(ms.max(1)).unwrap_or(nix::poll::PollTimeout::MAX),
        ) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => bail!("{what}: poll: {e}"),
        }
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) => bail!("{what}: the other end closed early (it died or failed)"),
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) | Err(rustix::io::Errno::AGAIN) => {}
            Err(e) => bail!("{what}: read: {e}"),
        }
    }
    Ok(())
}

/// CPU time of this process's reaped children so far (user + system), ns.
pub fn children_cpu_ns() -> u64 {
    use nix::sys::time::TimeValLike;
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| (u.user_time().num_nanoseconds() + u.system_time().num_nanoseconds()) as u64)
        .unwrap_or(0)
}

/// CPUs this process may use.
pub fn cpus() -> usize {
    crate::measure::placement::allowed_cpus().len().max(1)
}

/// speedup = baseline time / time.
pub fn speedup(baseline_ns: f64, ns: f64) -> f64 {
    if ns > 0.0 {
        baseline_ns / ns
    } else {
        f64::NAN
    }
}

/// efficiency = speedup / workers.
pub fn efficiency(speedup: f64, workers: usize) -> f64 {
    if workers > 0 {
        speedup / workers as f64
    } else {
        f64::NAN
    }
}

/// Formats a float ratio with two decimals, "–" when undefined.
pub fn ratio(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speedup_and_efficiency() {
        assert_eq!(speedup(100.0, 50.0), 2.0);
        assert_eq!(efficiency(2.0, 4), 0.5);
        assert!(speedup(1.0, 0.0).is_nan());
        assert!(efficiency(1.0, 0).is_nan());
    }

    #[test]
    // `reap` below is the wait clippy asks for.
    #[allow(clippy::zombie_processes)]
    fn a_stuck_child_is_killed_and_reaped_at_the_deadline() {
        let child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let err = reap(
            pid,
            &Deadline::after(Duration::from_millis(50)),
            "the sleeper",
        )
        .unwrap_err();
        assert!(err.to_string().contains("killed and reaped"), "{err}");
        // Reaped: waiting again finds no such child.
        assert!(waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)).is_err());
    }
}
