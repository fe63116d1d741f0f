//! `pingpong contention` (claim T10): what synchronisation costs. N workers
//! each add 1, 2, …, M to one shared total, by five means: per-worker sums
//! merged at the end (no sharing), an atomic `fetch_add`, a `Mutex`, an
//! `RwLock` (write side), and a channel to a collector. Between threads all
//! five; between forked processes over `MAP_SHARED` memory the three that
//! apply there (per-worker sums, an atomic, a process-shared pthread mutex).
//!
//! Every run's total is checked against N·M(M+1)/2. Throughput is additions
//! per second of wall time; CPU time is that of the whole process (threads)
//! or of the reaped children (processes).

use super::{Children, CommonArgs, Deadline, Row, Session, SharedMap};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::format::{ns, rate};
use crate::kinds::UnitKind;
use anyhow::{anyhow, bail, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct ContentionArgs {
    /// Workers adding at once [default: the CPUs available].
    #[arg(long, short = 'w', value_name = "N")]
    pub workers: Option<usize>,

    /// Additions per worker [default: 1000000; --quick 20000].
    #[arg(long, short = 'n', value_name = "M")]
    pub adds: Option<u64>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub workers: usize,
    pub adds_per_worker: u64,
    pub expected_total: u64,
    pub timeout_s: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContentionResult {
    /// Threads, or processes made by fork.
    pub unit: UnitKind,
    pub method: Method,
    pub workers: usize,
    pub adds: u64,
    pub wall_ns: u64,
    pub cpu_ns: u64,
    pub adds_per_s: f64,
    /// CPU time per addition, ns.
    pub cpu_per_add_ns: f64,
    pub total: u64,
    pub expected: u64,
    pub verified: bool,
}

impl Row for ContentionResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit", "method", "workers", "wall", "adds/s", "CPU/add", "answer",
        ]
    }
    fn cells(&self) -> Vec<String> {
        vec![
            self.unit.to_string(),
            self.method.to_string(),
            self.workers.to_string(),
            ns(self.wall_ns as f64),
            rate(self.adds_per_s),
            ns(self.cpu_per_add_ns),
            if self.verified { "ok" } else { "WRONG" }.into(),
        ]
    }
}

/// N·M(M+1)/2, wrapping like the workers' sums.
pub fn expected_total(workers: usize, adds: u64) -> u64 {
    let m = adds as u128;
    ((workers as u128 * (m * (m + 1) / 2)) % (1u128 << 64)) as u64
}

/// How the workers add to the total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Each worker sums on its own; the sums are merged at the end (no sharing).
    PerWorker,
    Atomic,
    Mutex,
    Rwlock,
    /// Each addition sent to a collector over a channel.
    Channel,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::PerWorker => "per-worker",
            Method::Atomic => "atomic",
            Method::Mutex => "mutex",
            Method::Rwlock => "rwlock",
            Method::Channel => "channel",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

const THREAD_METHODS: [Method; 5] = [
    Method::PerWorker,
    Method::Atomic,
    Method::Mutex,
    Method::Rwlock,
    Method::Channel,
];
const PROCESS_METHODS: [Method; 3] = [Method::PerWorker, Method::Atomic, Method::Mutex];

pub fn run(args: &ContentionArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let workers = args.workers.unwrap_or_else(super::cpus);
    if workers == 0 || workers > 1024 {
        return Err(usage(format!(
            "invalid --workers '{workers}': from 1 to 1024"
        )));
    }
    let adds = args
        .adds
        .unwrap_or(if c.quick { 20_000 } else { 1_000_000 });
    if adds == 0 {
        return Err(usage("invalid --adds '0': at least 1"));
    }
    crate::bounds::count(adds, "--adds", crate::bounds::MOST_ROUNDS)?;
    let expected = expected_total(workers, adds);
    let settings = Settings {
        workers,
        adds_per_worker: adds,
        expected_total: expected,
        timeout_s: timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "contention",
        "N workers adding to one total",
        c,
        settings,
        (THREAD_METHODS.len() + PROCESS_METHODS.len()) as u64,
    )?;
    // Processes first: they are forked while pingpong is single-threaded.
    for (unit, methods) in [
        (UnitKind::Fork, &PROCESS_METHODS[..]),
        (UnitKind::Thread, &THREAD_METHODS[..]),
    ] {
        for &m in methods {
            let what = format!("{unit}, {m}, {workers} workers");
            s.start(&what)?;
            let d = Deadline::after(timeout);
            let r = if unit == UnitKind::Thread {
                threads(m, workers, adds, &d)
            } else {
                processes(m, workers, adds, &d)
            };
            match r {
                Ok((wall, cpu, total)) => {
                    let n = workers as u64 * adds;
                    if total != expected {
                        s.note(format!("{what}: WRONG TOTAL {total}, expected {expected}"));
                    }
                    s.push(ContentionResult {
                        unit,
                        method: m,
                        workers,
                        adds: n,
                        wall_ns: wall,
                        cpu_ns: cpu,
                        adds_per_s: n as f64 / (wall.max(1) as f64 / 1e9),
                        cpu_per_add_ns: cpu as f64 / n as f64,
                        total,
                        expected,
                        verified: total == expected,
                    })?
                }
                Err(e) => s.failed(&what, e)?,
            }
        }
    }
    s.unavailable(
        "rwlock and channel between processes: no standard process-shared form (a channel between processes is `pingpong run`)",
    );
    s.note("processes share one MAP_SHARED page; their mutex is a pthread mutex with PTHREAD_PROCESS_SHARED");
    s.finish()
}

/// What `pingpong contention --json` writes.
pub type ContentionDocument = super::ExperimentDocument<Settings, ContentionResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use super::Method;

    /// CPU time per addition between threads, by `method`.
    pub fn cpu_per_add(method: Method) -> String {
        format!("contention.{}", method.name())
    }
}

impl Witness for ContentionDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for r in self
            .results
            .iter()
            .filter(|r| r.unit == UnitKind::Thread && r.verified)
        {
            ev.put(
                key::cpu_per_add(r.method),
                Figure::exact(
                    r.cpu_per_add_ns,
                    Unit::Ns,
                    format!("CPU time per addition, threads, {}", r.method),
                    cmd,
                ),
            );
        }
    }
}

/// Whether worker `i` of a loop should look at the stop flag.
#[inline]
fn check(i: u64) -> bool {
    i & 0xFFF == 0
}

fn threads(method: Method, workers: usize, adds: u64, d: &Deadline) -> Result<(u64, u64, u64)> {
    let stop = AtomicBool::new(false);
    let atomic = AtomicU64::new(0);
    let mutex = Mutex::new(0u64);
    let rwlock = RwLock::new(0u64);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<u64>>();
    let (val_tx, val_rx) = std::sync::mpsc::channel::<u64>();
    let cpu0 = crate::measure::rusage::process_cpu_ns();
    let t0 = Instant::now();
    let outcome: Result<u64> = std::thread::scope(|sc| {
        let collector = (method == Method::Channel).then(|| {
            let stop = &stop;
            sc.spawn(move || {
                let mut sum = 0u64;
                while let Ok(v) = val_rx.recv() {
                    sum = sum.wrapping_add(v);
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                sum
            })
        });
        for _ in 0..workers {
            let (stop, atomic, mutex, rwlock) = (&stop, &atomic, &mutex, &rwlock);
            let done = done_tx.clone();
            let vals = val_tx.clone();
            sc.spawn(move || {
                let mut local = 0u64;
                for i in 1..=adds {
                    if check(i) && stop.load(Ordering::Relaxed) {
                        let _ = done.send(None);
                        return;
                    }
                    let v = std::hint::black_box(i);
                    match method {
                        Method::PerWorker => local = local.wrapping_add(v),
                        Method::Atomic => {
                            atomic.fetch_add(v, Ordering::Relaxed);
                        }
                        Method::Mutex => {
                            let mut g = mutex.lock().unwrap_or_else(|e| e.into_inner());
                            *g = g.wrapping_add(v);
                        }
                        Method::Rwlock => {
                            let mut g = rwlock.write().unwrap_or_else(|e| e.into_inner());
                            *g = g.wrapping_add(v);
                        }
                        _ => {
                            let _ = vals.send(v);
                        }
                    }
                }
                let _ = done.send(Some(local));
            });
        }
        drop(val_tx);
        drop(done_tx);
        let mut merged = 0u64;
        let mut failure = None;
        for _ in 0..workers {
            match done_rx.recv_timeout(d.remaining()) {
                Ok(Some(v)) => merged = merged.wrapping_add(v),
                _ => {
                    failure = Some(anyhow!(
                        "the {method} workers did not finish within {}; told to stop",
                        d.describe()
                    ));
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
            }
        }
        let from_collector = collector.map(|h| h.join().unwrap_or(0));
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(match method {
            Method::PerWorker => merged,
            Method::Atomic => atomic.load(Ordering::Relaxed),
            Method::Mutex => *mutex.lock().unwrap_or_else(|e| e.into_inner()),
            Method::Rwlock => *rwlock.read().unwrap_or_else(|e| e.into_inner()),
            _ => from_collector.unwrap_or(0),
        })
    });
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = crate::measure::rusage::process_cpu_ns().saturating_sub(cpu0);
    Ok((wall, cpu, outcome?))
}

/// A pthread mutex in shared memory, usable across `fork`.
struct SharedMutex<'a> {
    m: &'a SharedMap,
}

impl<'a> SharedMutex<'a> {
    /// The mutex lives at byte 128 of the map (slots 2 and 3).
    fn ptr(&self) -> *mut nix::libc::pthread_mutex_t {
        self.m.atomic_u64(2) as *const AtomicU64 as *mut nix::libc::pthread_mutex_t
    }

    fn init(m: &'a SharedMap) -> Result<SharedMutex<'a>> {
        assert!(std::mem::size_of::<nix::libc::pthread_mutex_t>() <= 128);
        let s = SharedMutex { m };
        // SAFETY: the attribute object is initialised before use and
        // destroyed after; the mutex memory is ours, zeroed, aligned, and
        // not yet shared with any process.
        unsafe {
            let mut attr = std::mem::MaybeUninit::<nix::libc::pthread_mutexattr_t>::uninit();
            if nix::libc::pthread_mutexattr_init(attr.as_mut_ptr()) != 0 {
                bail!("pthread_mutexattr_init failed");
            }
            nix::libc::pthread_mutexattr_setpshared(
                attr.as_mut_ptr(),
                nix::libc::PTHREAD_PROCESS_SHARED,
            );
            let rc = nix::libc::pthread_mutex_init(s.ptr(), attr.as_ptr());
            nix::libc::pthread_mutexattr_destroy(attr.as_mut_ptr());
            if rc != 0 {
                bail!(
                    "pthread_mutex_init: {}",
                    std::io::Error::from_raw_os_error(rc)
                );
            }
        }
        Ok(s)
    }

    fn add(&self, total: &AtomicU64, v: u64) {
        // SAFETY: the mutex was initialised process-shared in `init`; lock
        // and unlock pair up on the same thread.
        unsafe {
            nix::libc::pthread_mutex_lock(self.ptr());
            total.store(
                total.load(Ordering::Relaxed).wrapping_add(v),
                Ordering::Relaxed,
            );
            nix::libc::pthread_mutex_unlock(self.ptr());
        }
    }
}

fn processes(method: Method, workers: usize, adds: u64, d: &Deadline) -> Result<(u64, u64, u64)> {
    // Slot 0: the shared total; slots 2–3: the mutex; slots 4..: per-worker sums.
    let map = SharedMap::new(64 * (4 + workers))?;
    let mutex = SharedMutex::init(&map)?;
    let (r, w) = super::pipe()?;
    let wfd = w.as_raw_fd();
    let mut kids = Children::default();
    let cpu0 = super::children_cpu_ns();
    let t0 = Instant::now();
    for k in 0..workers {
        let (map, mutex) = (&map, &mutex);
        kids.0.push(super::fork_child(move || {
            let total = map.atomic_u64(0);
            let mut local = 0u64;
            for i in 1..=adds {
                let v = std::hint::black_box(i);
                match method {
                    Method::PerWorker => local = local.wrapping_add(v),
                    Method::Atomic => {
                        total.fetch_add(v, Ordering::Relaxed);
                    }
                    _ => mutex.add(total, v),
                }
            }
            map.atomic_u64(4 + k).store(local, Ordering::Release);
            // SAFETY: a one-byte write from a live buffer.
            unsafe { nix::libc::write(wfd, b"d".as_ptr().cast(), 1) == 1 }
        })?);
    }
    drop(w);
    let mut buf = vec![0u8; workers];
    super::read_within(r.as_fd(), &mut buf, d, "the adding processes").map_err(super::or_killed)?;
    let wall = t0.elapsed().as_nanos() as u64;
    let statuses = kids.reap_all(d, "an adding process")?;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("an adding process did not exit cleanly: {statuses:?}");
    }
    let cpu = super::children_cpu_ns().saturating_sub(cpu0);
    let total = match method {
        Method::PerWorker => (0..workers)
            .map(|k| map.atomic_u64(4 + k).load(Ordering::Acquire))
            .fold(0u64, u64::wrapping_add),
        _ => map.atomic_u64(0).load(Ordering::Acquire),
    };
    Ok((wall, cpu, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_total_is_n_triangles() {
        assert_eq!(expected_total(1, 4), 10);
        assert_eq!(expected_total(3, 100), 3 * 5050);
    }

    #[test]
    fn threads_add_up_by_every_method() {
        let d = Deadline::after(std::time::Duration::from_secs(30));
        for m in THREAD_METHODS {
            let (_, _, total) = threads(m, 3, 1000, &d).unwrap();
            assert_eq!(total, expected_total(3, 1000), "{m}");
        }
    }
}
