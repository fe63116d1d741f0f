//! Timing each kind of unit: `n` of them one after another, each started
//! and joined or reaped before the next; and the row those times make.

use super::process::{wait_within, Alarm, Program};
use super::{Method, SpawnResult};
use crate::experiment::Deadline;
use crate::stats::Summary;
use anyhow::{bail, Context, Result};
use std::time::Instant;

pub(super) struct Timings {
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

pub(super) fn result(m: Method, heap: usize, t: Timings) -> SpawnResult {
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

pub(super) fn measure(m: Method, n: u64, deadline: &Deadline) -> Result<Timings> {
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
        .worker_threads(crate::experiment::cpus())
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
