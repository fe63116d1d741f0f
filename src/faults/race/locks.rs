//! Claim A9, "a low-level and a high-level thread API, both with locks"
//! (CPython's `_thread` and `threading`). Rust's analogue: POSIX threads
//! called directly through libc (`pthread_create`, `pthread_join`, a
//! `pthread_mutex_t`) and `std::thread` with `std::sync::Mutex`.
//!
//! Each API runs N threads that each add 1 to one shared counter
//! `per_thread` times through the same unsynchronised read-modify-write: a
//! relaxed atomic load, a short gap, a relaxed store (no undefined
//! behaviour, but another thread's update made in the gap is overwritten).
//! With the API's lock held around it the total must be exact; without, an
//! update is lost whenever two threads overlap, which needs them running at
//! the same instant on two CPUs: a busy machine may grant none, and whatever
//! happened is what is reported. Every thread started and every thread
//! joined is counted, not assumed.
//!
//! The locked variants guard the same atomic counter rather than a plain
//! integer, so that the lock is the only difference between the variants.

use crate::faults::findings::{Finding, Word};
use crate::faults::{report, Row};
use anyhow::Result;
use nix::libc;
use serde::{Deserialize, Serialize};
use std::cell::UnsafeCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Which thread API started the threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadApi {
    /// `pthread_create` / `pthread_join`, through libc.
    Pthread,
    /// `std::thread`.
    StdThread,
}

/// Which lock guarded the read-modify-write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lock {
    PthreadMutex,
    StdMutex,
    Unlocked,
}

/// One run of one API, with or without its lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRun {
    pub api: ThreadApi,
    pub lock: Lock,
    /// Threads asked for.
    pub threads: u64,
    pub threads_started: u64,
    pub threads_joined: u64,
    pub per_thread: u64,
    /// `threads × per_thread`: the total if no update is lost.
    pub expected: u64,
    pub total: u64,
    /// `expected − total` (0 when the total is not short).
    pub lost_updates: u64,
}

impl LockRun {
    /// Every thread asked for was started and joined.
    pub fn complete(&self) -> bool {
        self.threads_started == self.threads && self.threads_joined == self.threads
    }

    /// The total is exactly what the threads added.
    pub fn exact(&self) -> bool {
        self.total == self.expected
    }

    fn name(&self) -> &'static str {
        match (self.api, self.lock) {
            (ThreadApi::Pthread, Lock::Unlocked) => "pthread_create, no lock",
            (ThreadApi::Pthread, _) => "pthread_create + pthread_mutex",
            (ThreadApi::StdThread, Lock::Unlocked) => "std::thread, no lock",
            (ThreadApi::StdThread, _) => "std::thread + std::sync::Mutex",
        }
    }

    fn row(&self) -> Row {
        let mut figures = BTreeMap::new();
        for (k, v) in [
            ("threads", self.threads),
            ("threads_started", self.threads_started),
            ("threads_joined", self.threads_joined),
            ("expected", self.expected),
            ("total", self.total),
            ("lost_updates", self.lost_updates),
        ] {
            figures.insert(k.to_string(), v as f64);
        }
        Row {
            case: self.name().into(),
            unit: "threads".into(),
            outcome: format!(
                "{} of {} threads started, {} joined; total {} of {} ({} lost)",
                self.threads_started,
                self.threads,
                self.threads_joined,
                self.total,
                self.expected,
                self.lost_updates
            ),
            status: if self.threads_joined == self.threads {
                "joined".into()
            } else {
                format!("{} of {} joined", self.threads_joined, self.threads)
            },
            survived: Some(true),
            detail: match self.lock {
                Lock::Unlocked => "load, gap, store with no lock: an update made by another \
                                   thread in the gap is lost (if two threads overlap)"
                    .into(),
                Lock::PthreadMutex => {
                    "the same load, gap, store inside pthread_mutex_lock/unlock".into()
                }
                Lock::StdMutex => "the same load, gap, store inside std::sync::Mutex::lock".into(),
            },
            figures,
            locks: Some(self.clone()),
            ..Row::default()
        }
    }
}

/// Spin-loop hints between the load and the store: long enough that
/// another thread's update lands in the gap now and then.
const GAP: u32 = 4;

/// The read-modify-write every variant does, locked or not.
#[inline(always)]
fn increment(counter: &AtomicU64) {
    // `black_box` keeps the optimiser from merging the loop's loads and
    // stores (relaxed atomics would allow it).
    let v = std::hint::black_box(counter.load(Ordering::Relaxed));
    for _ in 0..GAP {
        std::hint::spin_loop();
    }
    counter.store(v + 1, Ordering::Relaxed);
}

/// Waits for the start signal, so the threads overlap.
fn wait_for(go: &AtomicBool) {
    while !go.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
}

/// What raw pthreads share: passed to each as a pointer.
struct RawShared {
    counter: AtomicU64,
    go: AtomicBool,
    per_thread: u64,
    locked: bool,
    mutex: UnsafeCell<libc::pthread_mutex_t>,
}

// SAFETY: `mutex` is only used through pthread_mutex_lock/unlock (made to be
// called from many threads at once); everything else is atomic or read-only.
unsafe impl Sync for RawShared {}

extern "C" fn raw_worker(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the boxed RawShared of `run_pthread`, which is not
    // moved, and not freed until this thread is joined (leaked if it cannot be).
    let s = unsafe { &*(arg as *const RawShared) };
    wait_for(&s.go);
    for _ in 0..s.per_thread {
        // SAFETY: the mutex was initialised (PTHREAD_MUTEX_INITIALIZER) and
        // does not move while threads use it; each lock is paired with one unlock.
        if s.locked && unsafe { libc::pthread_mutex_lock(s.mutex.get()) } != 0 {
            continue; // not counted: the total will show it
        }
        increment(&s.counter);
        if s.locked {
            // SAFETY: as above; this thread holds the lock.
            unsafe { libc::pthread_mutex_unlock(s.mutex.get()) };
        }
    }
    std::ptr::null_mut()
}

/// N raw pthreads, with a `pthread_mutex_t` or without a lock.
fn run_pthread(threads: u64, per_thread: u64, locked: bool) -> LockRun {
    let shared = Box::new(RawShared {
        counter: AtomicU64::new(0),
        go: AtomicBool::new(false),
        per_thread,
        locked,
        mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    });
    let arg = &*shared as *const RawShared as *mut libc::c_void;
    let mut started = Vec::new();
    for _ in 0..threads {
        let mut t = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
        // SAFETY: raw_worker has the start routine's signature, and `arg`
        // outlives the thread (see raw_worker).
        if unsafe { libc::pthread_create(t.as_mut_ptr(), std::ptr::null(), raw_worker, arg) } == 0 {
            // SAFETY: pthread_create succeeded, so it wrote the id.
            started.push(unsafe { t.assume_init() });
        }
    }
    shared.go.store(true, Ordering::Release);
    let joined = started
        .iter()
        // SAFETY: each thread was created above and is joined once.
        .filter(|t| unsafe { libc::pthread_join(**t, std::ptr::null_mut()) } == 0)
        .count() as u64;
    let total = shared.counter.load(Ordering::SeqCst);
    if joined == started.len() as u64 {
        // SAFETY: no thread uses the mutex any more; it is unlocked.
        unsafe { libc::pthread_mutex_destroy(shared.mutex.get()) };
    } else {
        // A thread that could not be joined may still use it.
        Box::leak(shared);
    }
    LockRun::new(
        ThreadApi::Pthread,
        if locked {
            Lock::PthreadMutex
        } else {
            Lock::Unlocked
        },
        threads,
        started.len() as u64,
        joined,
        per_thread,
        total,
    )
}

/// N `std::thread`s, with a `std::sync::Mutex` or without a lock.
fn run_std(threads: u64, per_thread: u64, locked: bool) -> LockRun {
    let counter = AtomicU64::new(0);
    let go = AtomicBool::new(false);
    let mutex = Mutex::new(());
    let (mut started, mut joined) = (0u64, 0u64);
    std::thread::scope(|s| {
        let mut handles = Vec::new();
        for _ in 0..threads {
            let spawned = std::thread::Builder::new().spawn_scoped(s, || {
                wait_for(&go);
                for _ in 0..per_thread {
                    let _guard = locked.then(|| {
                        mutex
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                    });
                    increment(&counter);
                }
            });
            if let Ok(h) = spawned {
                handles.push(h);
            }
        }
        started = handles.len() as u64;
        go.store(true, Ordering::Release);
        joined = handles
            .into_iter()
            .map(|h| h.join())
            .filter(Result::is_ok)
            .count() as u64;
    });
    LockRun::new(
        ThreadApi::StdThread,
        if locked {
            Lock::StdMutex
        } else {
            Lock::Unlocked
        },
        threads,
        started,
        joined,
        per_thread,
        counter.load(Ordering::SeqCst),
    )
}

impl LockRun {
    fn new(
        api: ThreadApi,
        lock: Lock,
        threads: u64,
        threads_started: u64,
        threads_joined: u64,
        per_thread: u64,
        total: u64,
    ) -> Self {
        let expected = threads * per_thread;
        LockRun {
            api,
            lock,
            threads,
            threads_started,
            threads_joined,
            per_thread,
            expected,
            total,
            lost_updates: expected.saturating_sub(total),
        }
    }
}

/// The sacrificial child: each API with its lock, then each without.
pub fn child(rest: &[String]) -> Result<i32> {
    let per_thread: u64 = rest.first().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(2)
        .max(4);
    for (api, locked) in [
        (ThreadApi::Pthread, true),
        (ThreadApi::StdThread, true),
        (ThreadApi::Pthread, false),
        (ThreadApi::StdThread, false),
    ] {
        let run = match api {
            ThreadApi::Pthread => run_pthread(threads, per_thread, locked),
            ThreadApi::StdThread => run_std(threads, per_thread, locked),
        };
        report(&run.row());
    }
    Ok(0)
}

/// A9: holds when both APIs started and joined every thread (locked and
/// unlocked runs alike) and both locks gave the exact total; fails when a
/// thread was not started or joined, or a lock let an update be lost; not
/// shown without both locked runs. The unlocked runs' losses are told (they
/// show the locks were needed), not required: whether threads overlap is up
/// to the machine.
pub fn finding(rows: &[Row]) -> Finding {
    let runs: Vec<&LockRun> = rows
        .iter()
        .filter(|r| r.experiment == "race")
        .filter_map(|r| r.locks.as_ref())
        .collect();
    let find = |api, lock| runs.iter().find(|r| r.api == api && r.lock == lock);
    let (Some(raw), Some(std)) = (
        find(ThreadApi::Pthread, Lock::PthreadMutex),
        find(ThreadApi::StdThread, Lock::StdMutex),
    ) else {
        return Finding::new(Word::NotShown, "needs a locked run of both thread APIs");
    };
    let tell = |r: &LockRun| {
        format!(
            "{}: {}/{} started, {} joined, total {} of {}",
            r.name(),
            r.threads_started,
            r.threads,
            r.threads_joined,
            r.total,
            r.expected
        )
    };
    let mut wrong: Vec<String> = runs
        .iter()
        .filter(|r| !r.complete())
        .map(|r| tell(r))
        .collect();
    wrong.extend(
        [raw, std]
            .iter()
            .filter(|r| r.complete() && !r.exact())
            .map(|r| tell(r)),
    );
    if !wrong.is_empty() {
        return Finding::new(Word::Fails, wrong.join("; "));
    }
    let unlocked: Vec<String> = runs
        .iter()
        .filter(|r| r.lock == Lock::Unlocked)
        .map(|r| format!("{} lost {} of {}", r.name(), r.lost_updates, r.expected))
        .collect();
    Finding::new(
        Word::Holds,
        format!(
            "both APIs started and joined every thread and both locks gave the exact total \
             ({}; {}){}",
            tell(raw),
            tell(std),
            if unlocked.is_empty() {
                String::new()
            } else {
                format!("; without a lock: {}", unlocked.join(", "))
            }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(api: ThreadApi, lock: Lock, started: u64, joined: u64, total: u64) -> Row {
        let run = LockRun::new(api, lock, 4, started, joined, 100, total);
        Row {
            experiment: "race".into(),
            ..run.row()
        }
    }

    fn good() -> Vec<Row> {
        vec![
            r(ThreadApi::Pthread, Lock::PthreadMutex, 4, 4, 400),
            r(ThreadApi::StdThread, Lock::StdMutex, 4, 4, 400),
            r(ThreadApi::Pthread, Lock::Unlocked, 4, 4, 351),
            r(ThreadApi::StdThread, Lock::Unlocked, 4, 4, 400),
        ]
    }

    #[test]
    fn both_apis_joined_and_both_locks_exact_holds() {
        let f = finding(&good());
        assert_eq!(f.word, Word::Holds, "{}", f.shown);
        assert!(f.shown.contains("lost 49 of 400"), "{}", f.shown);
    }

    #[test]
    fn a_lock_with_a_wrong_total_fails() {
        let mut rows = good();
        rows[1] = r(ThreadApi::StdThread, Lock::StdMutex, 4, 4, 399);
        assert_eq!(finding(&rows).word, Word::Fails);
    }

    #[test]
    fn a_thread_not_started_or_not_joined_fails() {
        let mut rows = good();
        rows[0] = r(ThreadApi::Pthread, Lock::PthreadMutex, 4, 3, 400);
        assert_eq!(finding(&rows).word, Word::Fails);
        let mut rows = good();
        rows[3] = r(ThreadApi::StdThread, Lock::Unlocked, 3, 3, 300);
        assert_eq!(finding(&rows).word, Word::Fails);
    }

    #[test]
    fn without_both_locked_runs_nothing_is_shown() {
        let rows = good();
        assert_eq!(finding(&rows[1..]).word, Word::NotShown);
        assert!(finding(&rows[1..]).demo().is_none());
        assert_eq!(finding(&[]).word, Word::NotShown);
    }

    #[test]
    fn every_variant_really_runs_and_the_locks_are_exact() {
        for (api, locked) in [(ThreadApi::Pthread, true), (ThreadApi::StdThread, true)] {
            let run = match api {
                ThreadApi::Pthread => run_pthread(3, 2000, locked),
                ThreadApi::StdThread => run_std(3, 2000, locked),
            };
            assert!(run.complete(), "{run:?}");
            assert!(run.exact(), "{run:?}");
        }
        for run in [run_pthread(3, 2000, false), run_std(3, 2000, false)] {
            assert!(run.complete(), "{run:?}");
            assert_eq!(run.total + run.lost_updates, run.expected, "{run:?}");
        }
    }
}
