//! `pingpong spawn` (claims P12, A2, A6, A9): what it costs to create a unit
//! and to see it end, for every way Rust (and the OS below it) offers.
//!
//! Each measurement starts a unit that does nothing and waits for its end,
//! many times over. `create` is the time until the creating call returns;
//! `wait` is from there until the unit is joined or reaped (teardown, plus
//! whatever of the child's start-up was still to run); `total` is both.
//!
//! The process methods are timed first, while pingpong is single-threaded
//! (fork requires it); the thread and task methods come after. Then the
//! process and thread methods again with a large heap resident in the parent,
//! because `fork` copies the page tables of everything mapped: the figure that
//! makes "processes are expensive" true or false in practice.
//!
//! Waits block in `waitpid` (no polling, which would add to the figure); an
//! interval timer (SIGALRM, installed without `SA_RESTART`) interrupts a wait
//! past the deadline, and the stuck child is then killed and reaped.

use super::{CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::format_size;
use crate::format::ns;
use crate::stats::Summary;
use anyhow::{bail, Context, Result};
use clap::Args;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::time::{Duration, Instant};

/// The hidden subcommand a re-executed child runs: exits at once.
pub const NOOP: &str = "__exit";
/// The tiny program for posix_spawn + exec.
pub const TINY: &str = "/bin/true";

#[derive(Debug, Args)]
pub struct SpawnArgs {
    /// Heap kept resident (touched) in the parent for the second round; 0 skips it.
    #[arg(long, value_name = "SIZE")]
    pub heap: Option<String>,

    /// Scale every method's iteration count (1.0 = the default counts).
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub iterations: f64,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    Fork,
    Vfork,
    PosixSpawn,
    Reexec,
    StdThread,
    Pthread,
    ScopedThread,
    TokioTask,
}

/// What `pingpong spawn --json` writes.
pub type SpawnDocument = super::ExperimentDocument<Settings, SpawnResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use super::Method;

    /// Median create + join/wait of one unit by `method`; with a large
    /// resident heap in the parent when `large_heap`.
    pub fn total(method: Method, large_heap: bool) -> String {
        format!(
            "spawn.{}{}",
            method.name(),
            if large_heap { "-large-heap" } else { "" }
        )
    }
}

impl Method {
    /// The stable name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Method::Fork => "fork",
            Method::Vfork => "vfork",
            Method::PosixSpawn => "posix-spawn",
            Method::Reexec => "reexec",
            Method::StdThread => "std-thread",
            Method::Pthread => "pthread",
            Method::ScopedThread => "scoped-thread",
            Method::TokioTask => "tokio-task",
        }
    }
}

impl Witness for SpawnDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for r in &self.results {
            let heap = r.parent_heap_bytes > 0;
            ev.put(
                key::total(r.method, heap),
                Figure::ci95(
                    r.total.median,
                    r.total.median_ci,
                    Unit::Ns,
                    format!(
                        "median create + join/wait of {} with {} MiB resident in the parent (95% CI)",
                        r.description,
                        r.parent_heap_bytes >> 20
                    ),
                    cmd,
                ),
            );
        }
    }
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::Fork => "fork + _exit + waitpid",
            Method::Vfork => "vfork (clone VM|VFORK) + _exit + waitpid",
            Method::PosixSpawn => "posix_spawn (vfork) + exec /bin/true + waitpid",
            Method::Reexec => "re-exec of pingpong (spawn start method) + waitpid",
            Method::StdThread => "std::thread::spawn + join",
            Method::Pthread => "raw pthread_create + pthread_join",
            Method::ScopedThread => "std::thread::scope + spawn + join",
            Method::TokioTask => "tokio::spawn + await (multi-thread runtime)",
        }
    }

    /// Iterations at factor 1.
    fn iterations(self, heap: bool) -> f64 {
        match (self, heap) {
            (Method::Fork, false) => 1000.0,
            (Method::Fork, true) => 60.0,
            (Method::Vfork, _) => 1000.0,
            (Method::PosixSpawn, _) => 200.0,
            (Method::Reexec, false) => 100.0,
            (Method::Reexec, true) => 40.0,
            (Method::TokioTask, _) => 5000.0,
            (_, false) => 2000.0,
            (_, true) => 500.0,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub heap_bytes: usize,
    pub iteration_factor: f64,
    pub tiny_program: String,
    /// Stack reserved per std/scoped thread (Rust's default unless RUST_MIN_STACK says otherwise).
    pub thread_stack: String,
    pub transparent_hugepages: String,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpawnResult {
    pub method: Method,
    pub description: String,
    /// Bytes resident in the parent's heap while measuring.
    pub parent_heap_bytes: usize,
    pub iterations: u64,
    /// Until the creating call returned, ns.
    pub create: Summary,
    /// From there until joined or reaped, ns.
    pub wait: Summary,
    /// Both, ns.
    pub total: Summary,
    /// Units created and ended per second, from the median total.
    pub per_s: f64,
    /// Every unit ended cleanly (exit status 0, join without panic).
    pub all_clean: bool,
}

impl Row for SpawnResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "method",
            "parent heap",
            "n",
            "create (median)",
            "wait/join (median)",
            "total median (95% CI)",
            "p99",
            "per s",
            "clean",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.description.clone(),
            if self.parent_heap_bytes == 0 {
                "–".into()
            } else {
                format_size(self.parent_heap_bytes)
            },
            self.iterations.to_string(),
            ns(self.create.median),
            ns(self.wait.median),
            format!(
                "{} ({}–{})",
                ns(self.total.median),
                ns(self.total.median_ci.0),
                ns(self.total.median_ci.1)
            ),
            ns(self.total.p99),
            crate::format::rate(self.per_s),
            if self.all_clean { "yes" } else { "NO" }.into(),
        ]
    }
}

/// Every method, measured with no heap of note.
const PLAIN: [Method; 8] = [
    Method::Fork,
    Method::Vfork,
    Method::PosixSpawn,
    Method::Reexec,
    Method::StdThread,
    Method::Pthread,
    Method::ScopedThread,
    Method::TokioTask,
];

/// The methods measured again with a large resident heap (`--heap`).
const HEAVY: [Method; 5] = [
    Method::Fork,
    Method::Vfork,
    Method::PosixSpawn,
    Method::Reexec,
    Method::StdThread,
];

pub fn run(args: &SpawnArgs) -> Result<i32> {
    let c = &args.common;
    let (settings, timeout) = prepare(args)?;
    let (heap, factor) = (settings.heap_bytes, settings.iteration_factor);
    let thp = settings.transparent_hugepages.clone();
    let steps = PLAIN.len() + if heap > 0 { HEAVY.len() } else { 0 };
    let mut s = Session::new(
        "spawn",
        "creating and ending a unit (median of many)",
        c,
        settings,
        steps as u64,
    )?;
    if !std::path::Path::new(TINY).exists() {
        s.unavailable(format!(
            "{TINY} is missing: posix_spawn + exec was not measured"
        ));
    }
    let mut rounds = vec![(0usize, &PLAIN[..])];
    if heap > 0 {
        rounds.push((heap, &HEAVY[..]));
    }
    for (round, methods) in rounds {
        let _held = if round > 0 {
            s.start(&format!("touching a {} heap", format_size(round)))?;
            Some(ResidentHeap::new(round)?)
        } else {
            None
        };
        for &m in methods {
            if m == Method::PosixSpawn && !std::path::Path::new(TINY).exists() {
                s.skip_step();
                continue;
            }
            let n = ((m.iterations(round > 0) * factor).round() as u64).max(5);
            s.start(&format!("{} × {n}", m.describe()))?;
            let deadline = Deadline::after(timeout);
            match measure(m, n, &deadline) {
                Ok(t) => s.push(result(m, round, t))?,
                Err(e) => s.failed(m.describe(), e)?,
            }
        }
    }
    s.note(
        "create = until the creating call returned; wait = from there until joined or reaped \
         (teardown, plus any start-up the new unit still had to run)",
    );
    if heap > 0 {
        s.note(format!(
            "fork copies the parent's page tables: with a {} resident heap it costs more; \
             transparent huge pages ({thp}) make those tables smaller",
            format_size(heap)
        ));
    }
    s.note("a tokio task is not an OS unit: it runs on the runtime's existing threads");
    s.finish()
}

/// The settings from the command line, checked (one clear line for a bad
/// value), and the timeout of one method.
fn prepare(args: &SpawnArgs) -> Result<(Settings, Duration)> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let heap = match &args.heap {
        Some(h) => crate::parse::parse_size(h).map_err(usage)?,
        None if c.quick => 64 << 20,
        None => 1 << 30,
    };
    if !(args.iterations > 0.0 && args.iterations <= 1000.0) {
        return Err(usage(format!(
            "invalid --iterations '{}': a factor above 0 and at most 1000",
            args.iterations
        )));
    }
    let factor = args.iterations * if c.quick { 0.1 } else { 1.0 };
    let thp = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let settings = Settings {
        heap_bytes: heap,
        iteration_factor: factor,
        tiny_program: TINY.into(),
        thread_stack: std::env::var("RUST_MIN_STACK")
            .map(|s| format!("{s} bytes (RUST_MIN_STACK)"))
            .unwrap_or_else(|_| "2 MiB (Rust's default)".into()),
        transparent_hugepages: thp,
        timeout_s: timeout.as_secs_f64(),
    };
    Ok((settings, timeout))
}

struct Timings {
    create: Vec<u64>,
    total: Vec<u64>,
    clean: bool,
}

impl Timings {
    /// One unit: started at `t0`, the creating call returned at `t1`, joined
    /// or reaped at `t2`.
    fn push(&mut self, t0: Instant, t1: Instant, t2: Instant) {
        self.create.push((t1 - t0).as_nanos() as u64);
        self.total.push((t2 - t0).as_nanos() as u64);
    }
}

fn result(m: Method, heap: usize, t: Timings) -> SpawnResult {
    let wait: Vec<u64> = t
        .create
        .iter()
        .zip(&t.total)
        .map(|(c, t)| t.saturating_sub(*c))
        .collect();
    let total = Summary::of_samples(&t.total);
    SpawnResult {
        method: m,
        description: m.describe().into(),
        parent_heap_bytes: heap,
        iterations: t.total.len() as u64,
        create: Summary::of_samples(&t.create),
        wait: Summary::of_samples(&wait),
        per_s: if total.median > 0.0 {
            1e9 / total.median
        } else {
            f64::NAN
        },
        total,
        all_clean: t.clean,
    }
}

fn measure(m: Method, n: u64, deadline: &Deadline) -> Result<Timings> {
    let mut t = Timings {
        create: Vec::with_capacity(n as usize),
        total: Vec::with_capacity(n as usize),
        clean: true,
    };
    match m {
        Method::Fork | Method::Vfork | Method::PosixSpawn | Method::Reexec => {
            processes(m, n, deadline, &mut t)?
        }
        Method::StdThread => std_threads(m, n, deadline, &mut t)?,
        Method::ScopedThread => scoped_threads(m, n, deadline, &mut t)?,
        Method::Pthread => pthreads(m, n, deadline, &mut t)?,
        Method::TokioTask => return tokio_tasks(m, n, deadline, t),
    }
    Ok(t)
}

/// `n` child processes made by `m` (fork, vfork, posix_spawn or re-exec),
/// each reaped before the next.
fn processes(m: Method, n: u64, deadline: &Deadline, t: &mut Timings) -> Result<()> {
    let what = m.describe();
    if m == Method::Fork {
        // The timed fork below is raw (its child only calls `_exit`),
        // but the rule is the toolkit's: only while single-threaded.
        crate::subprocess::fork::single_threaded()?;
    }
    let _alarm = Alarm::arm(deadline)?;
    let program = Program::new(m)?;
    for _ in 0..n {
        deadline.check(what)?;
        let t0 = Instant::now();
        let pid = program.start()?;
        let t1 = Instant::now();
        let ok = wait_within(pid, deadline, what)?;
        let t2 = Instant::now();
        t.clean &= ok;
        t.push(t0, t1, t2);
    }
    Ok(())
}

/// `n` `std::thread`s, each joined before the next.
fn std_threads(m: Method, n: u64, deadline: &Deadline, t: &mut Timings) -> Result<()> {
    for _ in 0..n {
        deadline.check(m.describe())?;
        let t0 = Instant::now();
        let h = std::thread::spawn(|| {});
        let t1 = Instant::now();
        t.clean &= h.join().is_ok();
        let t2 = Instant::now();
        t.push(t0, t1, t2);
    }
    Ok(())
}

/// `n` scoped threads, each scope ended (its thread joined) before the next.
fn scoped_threads(m: Method, n: u64, deadline: &Deadline, t: &mut Timings) -> Result<()> {
    for _ in 0..n {
        deadline.check(m.describe())?;
        let t0 = Instant::now();
        let mut t1 = t0;
        std::thread::scope(|sc| {
            sc.spawn(|| {});
            t1 = Instant::now();
        });
        let t2 = Instant::now();
        t.push(t0, t1, t2);
    }
    Ok(())
}

/// `n` raw pthreads, each joined before the next.
fn pthreads(m: Method, n: u64, deadline: &Deadline, t: &mut Timings) -> Result<()> {
    extern "C" fn nothing(_: *mut nix::libc::c_void) -> *mut nix::libc::c_void {
        std::ptr::null_mut()
    }
    for _ in 0..n {
        deadline.check(m.describe())?;
        let mut tid: nix::libc::pthread_t = 0;
        let t0 = Instant::now();
        // SAFETY: `tid` is a valid out-pointer; default attributes
        // (null); `nothing` is a valid C function that touches no
        // Rust state and never unwinds; its argument is unused.
        let rc = unsafe {
            nix::libc::pthread_create(&mut tid, std::ptr::null(), nothing, std::ptr::null_mut())
        };
        let t1 = Instant::now();
        if rc != 0 {
            bail!("pthread_create: {}", std::io::Error::from_raw_os_error(rc));
        }
        // SAFETY: `tid` was created just above, joinable, joined once.
        let rc = unsafe { nix::libc::pthread_join(tid, std::ptr::null_mut()) };
        let t2 = Instant::now();
        t.clean &= rc == 0;
        t.push(t0, t1, t2);
    }
    Ok(())
}

/// `n` tokio tasks on a runtime with a worker per CPU, each awaited before
/// the next.
fn tokio_tasks(m: Method, n: u64, deadline: &Deadline, mut t: Timings) -> Result<Timings> {
    let what = m.describe();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(super::cpus())
        .build()
        .context("starting the tokio runtime")?;
    let d = *deadline;
    let r: Result<Timings> = rt.block_on(async move {
        // Warm the workers up so the first spawns do not time their start.
        for _ in 0..10 {
            let _ = tokio::spawn(async {}).await;
        }
        for _ in 0..n {
            d.check(what)?;
            let t0 = Instant::now();
            let h = tokio::spawn(async {});
            let t1 = Instant::now();
            t.clean &= h.await.is_ok();
            let t2 = Instant::now();
            t.push(t0, t1, t2);
        }
        Ok(t)
    });
    rt.shutdown_timeout(deadline.remaining());
    r
}

/// What a process method starts: prepared once, outside the timed loop.
struct Program {
    method: Method,
    path: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
}

impl Program {
    fn new(method: Method) -> Result<Program> {
        let (path, argv) = match method {
            Method::Reexec => {
                let exe = crate::subprocess::reexec::exe()?;
                let p = CString::new(exe.as_os_str().as_encoded_bytes())?;
                (p.clone(), vec![p, CString::new(NOOP)?])
            }
            _ => (CString::new(TINY)?, vec![CString::new(TINY)?]),
        };
        let envp = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut b = k.as_encoded_bytes().to_vec();
                b.push(b'=');
                b.extend_from_slice(v.as_encoded_bytes());
                CString::new(b).ok()
            })
            .collect();
        Ok(Program {
            method,
            path,
            argv,
            envp,
        })
    }

    fn start(&self) -> Result<Pid> {
        if self.method == Method::Fork {
            // SAFETY: single-threaded (checked by the caller before the loop;
            // nothing in the loop starts a thread); the child only calls
            // `_exit`, which is async-signal-safe.
            return match unsafe { nix::unistd::fork() }.context("fork")? {
                nix::unistd::ForkResult::Child => unsafe { nix::libc::_exit(0) },
                nix::unistd::ForkResult::Parent { child } => Ok(child),
            };
        }
        if self.method == Method::Vfork {
            return vfork_exit();
        }
        let mut argv: Vec<*mut nix::libc::c_char> =
            self.argv.iter().map(|a| a.as_ptr() as *mut _).collect();
        argv.push(std::ptr::null_mut());
        let mut envp: Vec<*mut nix::libc::c_char> =
            self.envp.iter().map(|a| a.as_ptr() as *mut _).collect();
        envp.push(std::ptr::null_mut());
        let mut pid: nix::libc::pid_t = 0;
        // SAFETY: every pointer is valid for the call: `path`, `argv` and
        // `envp` are NUL-terminated strings in null-terminated arrays that
        // outlive it; null file actions and attributes mean defaults. glibc
        // implements posix_spawn with clone(CLONE_VM | CLONE_VFORK) + exec.
        let rc = unsafe {
            nix::libc::posix_spawn(
                &mut pid,
                self.path.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                argv.as_ptr(),
                envp.as_ptr(),
            )
        };
        if rc != 0 {
            bail!(
                "posix_spawn {}: {}",
                self.path.to_string_lossy(),
                std::io::Error::from_raw_os_error(rc)
            );
        }
        Ok(Pid::from_raw(pid))
    }
}

/// A child made like `vfork`: it shares our memory and we are suspended
/// until it leaves; it runs on its own small stack and only calls `_exit`.
fn vfork_exit() -> Result<Pid> {
    extern "C" fn child(_: *mut nix::libc::c_void) -> nix::libc::c_int {
        // SAFETY: `_exit` is async-signal-safe and touches no shared state.
        unsafe { nix::libc::_exit(0) }
    }
    thread_local! {
        static STACK: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
    }
    STACK.with(|st| {
        let mut st = st.borrow_mut();
        // The stack grows down: pass its 16-byte-aligned top.
        let top = (st.as_mut_ptr() as usize + st.len()) & !15;
        // SAFETY: `child` runs on the stack above (ours, alive and not used
        // by anything else while the parent is suspended by CLONE_VFORK),
        // touches no memory of ours, and only calls `_exit`. SIGCHLD makes
        // it an ordinary child for `waitpid`.
        let pid = unsafe {
            nix::libc::clone(
                child,
                top as *mut nix::libc::c_void,
                nix::libc::CLONE_VM | nix::libc::CLONE_VFORK | nix::libc::SIGCHLD,
                std::ptr::null_mut(),
            )
        };
        if pid < 0 {
            bail!(
                "clone(CLONE_VM | CLONE_VFORK): {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(Pid::from_raw(pid))
    })
}

/// Blocks in `waitpid`; the armed [`Alarm`] interrupts it past the deadline,
/// and the child is then killed and reaped. Returns whether it exited with 0.
fn wait_within(pid: Pid, deadline: &Deadline, what: &str) -> Result<bool> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code == 0),
            Ok(WaitStatus::Signaled(..)) => return Ok(false),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {
                if deadline.passed() || crate::interrupt::interrupted() {
                    super::kill_and_reap(pid);
                    deadline.check(what)?;
                    bail!("{what} (pid {pid}) was stopped");
                }
            }
            Err(e) => bail!("waiting for {what} (pid {pid}): {e}"),
        }
    }
}

/// An interval timer that delivers SIGALRM from the deadline on, every 50 ms,
/// so that a blocking `waitpid` returns EINTR; disarmed on drop.
struct Alarm;

extern "C" fn on_alarm(_: nix::libc::c_int) {}

impl Alarm {
    fn arm(deadline: &Deadline) -> Result<Alarm> {
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let act = SigAction::new(
            SigHandler::Handler(on_alarm),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing (async-signal-safe); installed
        // without SA_RESTART so that blocking calls return EINTR.
        unsafe { sigaction(Signal::SIGALRM, &act) }.context("installing the SIGALRM handler")?;
        let rem = deadline
            .remaining()
            .max(std::time::Duration::from_millis(1));
        set_timer(rem.as_secs() as i64, rem.subsec_micros() as i64);
        Ok(Alarm)
    }
}

fn set_timer(secs: i64, usecs: i64) {
    let v = nix::libc::itimerval {
        it_interval: nix::libc::timeval {
            tv_sec: 0,
            tv_usec: if secs == 0 && usecs == 0 { 0 } else { 50_000 },
        },
        it_value: nix::libc::timeval {
            tv_sec: secs,
            tv_usec: usecs,
        },
    };
    // SAFETY: a valid itimerval; the old value is not wanted (null).
    unsafe {
        nix::libc::setitimer(nix::libc::ITIMER_REAL, &v, std::ptr::null_mut());
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        set_timer(0, 0);
    }
}

/// A heap of `bytes`, every page written so it is resident.
struct ResidentHeap(Vec<u8>);

impl ResidentHeap {
    /// Fallible: under a memory limit a large `--heap` is an error, not an abort.
    fn new(bytes: usize) -> Result<ResidentHeap> {
        let mut v = crate::ball::zeroed(bytes)
            .map_err(|e| anyhow::anyhow!("the --heap: {e}; give a smaller --heap"))?;
        for i in (0..bytes).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&mut v);
        Ok(ResidentHeap(v))
    }
}

impl Drop for ResidentHeap {
    fn drop(&mut self) {
        std::hint::black_box(&self.0);
    }
}
