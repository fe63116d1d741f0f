//! The workers adding to one total: threads by each of the five means,
//! forked processes over `MAP_SHARED` memory by the three that apply there.

use super::Method;
use crate::experiment::{Children, Deadline, SharedMap};
use anyhow::{anyhow, bail, Result};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// Whether worker `i` of a loop should look at the stop flag.
#[inline]
fn check(i: u64) -> bool {
    i & 0xFFF == 0
}

/// What the adding threads share: the flag that tells them to stop, and
/// the total each method adds to.
struct Shared {
    stop: AtomicBool,
    atomic: AtomicU64,
    mutex: Mutex<u64>,
    rwlock: RwLock<u64>,
}

pub(super) fn threads(
    method: Method,
    workers: usize,
    adds: u64,
    d: &Deadline,
) -> Result<(u64, u64, u64)> {
    let shared = Shared {
        stop: AtomicBool::new(false),
        atomic: AtomicU64::new(0),
        mutex: Mutex::new(0u64),
        rwlock: RwLock::new(0u64),
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Option<u64>>();
    let (val_tx, val_rx) = std::sync::mpsc::channel::<u64>();
    let cpu0 = crate::measure::rusage::process_cpu_ns();
    let t0 = Instant::now();
    let outcome: Result<u64> = std::thread::scope(|sc| {
        let collector = (method == Method::Channel).then(|| {
            let stop = &shared.stop;
            sc.spawn(move || collect(val_rx, stop))
        });
        for _ in 0..workers {
            let shared = &shared;
            let done = done_tx.clone();
            let vals = val_tx.clone();
            sc.spawn(move || add(method, adds, shared, done, vals));
        }
        drop(val_tx);
        drop(done_tx);
        let merged = merge(&done_rx, workers, d, method, &shared.stop);
        let from_collector = collector.map(|h| h.join().unwrap_or(0));
        let merged = merged?;
        Ok(match method {
            Method::PerWorker => merged,
            Method::Atomic => shared.atomic.load(Ordering::Relaxed),
            Method::Mutex => *shared.mutex.lock().unwrap_or_else(|e| e.into_inner()),
            Method::Rwlock => *shared.rwlock.read().unwrap_or_else(|e| e.into_inner()),
            _ => from_collector.unwrap_or(0),
        })
    });
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = crate::measure::rusage::process_cpu_ns().saturating_sub(cpu0);
    Ok((wall, cpu, outcome?))
}

/// The channel's collector: sums what the workers send until they are all
/// gone, or told to stop.
fn collect(val_rx: std::sync::mpsc::Receiver<u64>, stop: &AtomicBool) -> u64 {
    let mut sum = 0u64;
    while let Ok(v) = val_rx.recv() {
        sum = sum.wrapping_add(v);
        if stop.load(Ordering::Relaxed) {
            break;
        }
    }
    sum
}

/// One adding thread: `adds` additions by `method`; then its own sum (per
/// worker) on `done`, or None if it was told to stop.
fn add(
    method: Method,
    adds: u64,
    shared: &Shared,
    done: std::sync::mpsc::Sender<Option<u64>>,
    vals: std::sync::mpsc::Sender<u64>,
) {
    let mut local = 0u64;
    for i in 1..=adds {
        if check(i) && shared.stop.load(Ordering::Relaxed) {
            let _ = done.send(None);
            return;
        }
        let v = std::hint::black_box(i);
        match method {
            Method::PerWorker => local = local.wrapping_add(v),
            Method::Atomic => {
                shared.atomic.fetch_add(v, Ordering::Relaxed);
            }
            Method::Mutex => {
                let mut g = shared.mutex.lock().unwrap_or_else(|e| e.into_inner());
                *g = g.wrapping_add(v);
            }
            Method::Rwlock => {
                let mut g = shared.rwlock.write().unwrap_or_else(|e| e.into_inner());
                *g = g.wrapping_add(v);
            }
            _ => {
                let _ = vals.send(v);
            }
        }
    }
    let _ = done.send(Some(local));
}

/// Waits for every worker's word within the deadline, merging their own
/// sums; past the deadline, tells them to stop.
fn merge(
    done_rx: &std::sync::mpsc::Receiver<Option<u64>>,
    workers: usize,
    d: &Deadline,
    method: Method,
    stop: &AtomicBool,
) -> Result<u64> {
    let mut merged = 0u64;
    for _ in 0..workers {
        match done_rx.recv_timeout(d.remaining()) {
            Ok(Some(v)) => merged = merged.wrapping_add(v),
            _ => {
                stop.store(true, Ordering::Relaxed);
                return Err(anyhow!(
                    "the {method} workers did not finish within {}; told to stop",
                    d.describe()
                ));
            }
        }
    }
    Ok(merged)
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

pub(super) fn processes(
    method: Method,
    workers: usize,
    adds: u64,
    d: &Deadline,
) -> Result<(u64, u64, u64)> {
    // Slot 0: the shared total; slots 2–3: the mutex; slots 4..: per-worker sums.
    let map = SharedMap::new(64 * (4 + workers))?;
    let mutex = SharedMutex::init(&map)?;
    let (r, w) = crate::experiment::pipe()?;
    let wfd = w.as_raw_fd();
    let mut kids = Children::default();
    let cpu0 = crate::experiment::children_cpu_ns();
    let t0 = Instant::now();
    for k in 0..workers {
        let (map, mutex) = (&map, &mutex);
        kids.0.push(crate::experiment::fork_child(move || {
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
    crate::experiment::read_within(r.as_fd(), &mut buf, d, "the adding processes")
        .map_err(crate::experiment::or_killed)?;
    let wall = t0.elapsed().as_nanos() as u64;
    let statuses = kids.reap_all(d, "an adding process")?;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("an adding process did not exit cleanly: {statuses:?}");
    }
    let cpu = crate::experiment::children_cpu_ns().saturating_sub(cpu0);
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
    use super::super::{expected_total, THREAD_METHODS};
    use super::*;

    #[test]
    fn threads_add_up_by_every_method() {
        let d = Deadline::after(std::time::Duration::from_secs(30));
        for m in THREAD_METHODS {
            let (_, _, total) = threads(m, 3, 1000, &d).unwrap();
            assert_eq!(total, expected_total(3, 1000), "{m}");
        }
    }
}
