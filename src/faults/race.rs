//! Race (claim T13): N threads increment one shared counter. Split into a
//! separate load and store (atomics, so no undefined behaviour, only a
//! logic race), increments are lost; with `fetch_add` none is.
//!
//! And (claim A9) the same race under each thread API's own lock: raw
//! `pthread_create` with a `pthread_mutex_t`, `std::thread` with
//! `std::sync::Mutex`, each also without a lock (see [`locks`]).
//!
//! The plain data race does not even compile in Rust: two threads cannot
//! hold `&mut` to one counter at once.
//!
//! ```compile_fail
//! let mut counter = 0u64;
//! std::thread::scope(|s| {
//!     s.spawn(|| counter += 1);
//!     s.spawn(|| counter += 1); // error[E0499]: cannot borrow `counter` as mutable more than once
//! });
//! ```

pub mod locks;
pub use locks::{finding as locks_finding, LockRun};

use super::{report, run_case, Observed, Row};
use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn run(quick: bool) -> Vec<Row> {
    let per_thread = if quick { "100000" } else { "5000000" };
    let mut rows = run_case(
        "race",
        "shared counter",
        "threads",
        &["count", per_thread],
        super::deadline(quick),
    );
    let per_thread = if quick { "20000" } else { "200000" };
    rows.extend(run_case(
        "race",
        "locks",
        "threads",
        &["locks", per_thread],
        super::deadline(quick),
    ));
    rows
}

/// Total after `threads` threads each added 1 `per_thread` times, split or atomic.
pub fn count(threads: u64, per_thread: u64, split: bool) -> (u64, f64) {
    let counter = AtomicU64::new(0);
    // All start together, so that they overlap even on a busy machine.
    let start = std::sync::Barrier::new(threads as usize);
    let t0 = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for _ in 0..per_thread {
                    if split {
                        // Read, then write back: another thread's increment
                        // between the two is overwritten (a lost update).
                        // (`black_box` keeps the optimiser from merging the
                        // loop's loads and stores into one, which relaxed
                        // atomics would allow.)
                        let v = std::hint::black_box(counter.load(Ordering::Relaxed));
                        counter.store(v + 1, Ordering::Relaxed);
                    } else {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    (
        counter.load(Ordering::SeqCst),
        t0.elapsed().as_nanos() as f64,
    )
}

/// Runs of each way (all kept and summed, none picked): a lost update needs
/// two threads running at the same instant on different CPUs, which a busy
/// machine grants only some of the time.
const ATTEMPTS: u64 = 5;

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    if arg == "locks" {
        return locks::child(rest);
    }
    let per_thread: u64 = rest.first().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(2)
        .max(4);
    let expected = threads * per_thread * ATTEMPTS;
    for split in [true, false] {
        let (mut total, mut ns, mut with_losses) = (0u64, 0f64, 0u64);
        for _ in 0..ATTEMPTS {
            let (t, e) = count(threads, per_thread, split);
            total += t;
            ns += e;
            with_losses += u64::from(t < threads * per_thread);
        }
        let lost = expected - total;
        let mut figures = BTreeMap::new();
        figures.insert("threads".into(), threads as f64);
        figures.insert("attempts".into(), ATTEMPTS as f64);
        figures.insert("attempts_with_losses".into(), with_losses as f64);
        figures.insert("expected".into(), expected as f64);
        figures.insert("total".into(), total as f64);
        figures.insert("lost_updates".into(), lost as f64);
        figures.insert("elapsed_ns".into(), ns);
        report(&Row {
            case: if split { "load then store" } else { "fetch_add" }.into(),
            outcome: format!(
                "{lost} of {expected} updates lost ({:.2}%) over {ATTEMPTS} runs of {threads} threads",
                lost as f64 * 100.0 / expected as f64
            ),
            status: "joined".into(),
            observed: Observed::Updates { expected, total },
            survived: Some(true),
            notice_ns: None,
            detail: if split {
                format!(
                    "{with_losses} of {ATTEMPTS} runs lost updates. Load and store are each atomic, the \
                     increment is not: no undefined behaviour, but a race (it needs two threads running \
                     at once: a busy machine may show none); a plain `counter += 1` from two threads \
                     does not compile (E0499)"
                )
            } else {
                "fetch_add is one atomic read-modify-write: the total is exact".into()
            },
            figures,
            ..Row::default()
        });
    }
    Ok(0)
}
