//! CPython's own rules on locks: `_thread` and `threading` both give locks
//! that keep a shared counter exact (A9), and what `threading.Lock` costs
//! per operation against no lock (T10).

use super::super::{Judgement, Word, MARGIN};
use super::{absent, clearly, list};
use crate::evidence::{show, Evidence};
use crate::python::evidence::key;
use crate::python::{Build, Experiment, LockObject, LockVariant, ThreadApi};

/// A9: Python offers `_thread` and `threading`; both give locks.
pub fn both_modules(ev: &Evidence, b: Build) -> Judgement {
    let locked = [
        (ThreadApi::Threading, LockObject::Threading),
        (ThreadApi::Thread, LockObject::Thread),
    ];
    let unlocked = [
        (ThreadApi::Threading, LockObject::None),
        (ThreadApi::Thread, LockObject::None),
    ];
    let demo = |(api, lock): (ThreadApi, LockObject)| {
        ev.demo(&key::of(b, &key::counter_exact(api, lock)))
            .map(|d| ((api, lock), d))
    };
    let with: Vec<_> = locked.into_iter().filter_map(demo).collect();
    if with.is_empty() {
        return absent(
            ev,
            b,
            Experiment::Locks,
            &[],
            "needs `pingpong python locks`",
        );
    }
    let without: Vec<_> = unlocked.into_iter().filter_map(demo).collect();
    let name = |(api, lock): (ThreadApi, LockObject)| format!("{api} with {lock}");
    let exact: Vec<String> = with
        .iter()
        .filter(|(_, d)| d.shows_claim)
        .map(|(v, _)| name(*v))
        .collect();
    let inexact: Vec<String> = with
        .iter()
        .filter(|(_, d)| !d.shows_claim)
        .map(|(v, _)| name(*v))
        .collect();
    let lost = without.iter().filter(|(_, d)| !d.shows_claim).count();
    let word = if inexact.is_empty() {
        if lost == 0 {
            // The unlocked counter lost nothing either: the locks' effect
            // could not be seen.
            Word::NoClearDifference
        } else {
            Word::Holds
        }
    } else if exact.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: format!(
                "the module: {} kept the total exact, {} did not",
                list(&exact),
                list(&inexact)
            ),
        }
    };
    let shown = with
        .iter()
        .chain(&without)
        .map(|(_, d)| d.shown.clone())
        .collect::<Vec<_>>()
        .join("; ");
    let figures = locked
        .iter()
        .chain(&unlocked)
        .map(|&(api, lock)| key::of(b, &key::counter_lost(api, lock)))
        .filter(|k| ev.figure(k).is_some())
        .collect();
    Judgement {
        word,
        rule: format!(
            "holds when threads started with threading (threading.Lock) and with _thread (_thread.allocate_lock) both keep a shared counter \
             exact in every attempt while the same counter without a lock loses updates; shown: {shown}"
        ),
        figures,
        commands: vec!["pingpong python locks".into()],
    }
}

/// T10: synchronisation costs extra CPU (time per operation with a lock
/// against none, from interleaved repetitions) and memory (the lock object).
pub fn cost(ev: &Evidence, b: Build) -> Judgement {
    let mut keys = Vec::new();
    let mut costly = Vec::new();
    let mut cheap = Vec::new();
    let mut faster = 0;
    let mut by_threads: Vec<(u32, bool)> = Vec::new();
    for v in [LockVariant::ThreadingLock, LockVariant::ThreadAllocateLock] {
        for threads in [1, 2] {
            let k = key::of(b, &key::lock_cost_ratio(v, threads));
            let Some(f) = ev.figure(&k) else { continue };
            keys.push(k);
            let name = format!(
                "{v} with {threads} thread{}",
                if threads > 1 { "s" } else { "" }
            );
            let label = (name.clone(), format!("{name} {}", show(f)));
            match clearly(f) {
                Some(true) => costly.push(label),
                c => {
                    faster += usize::from(c == Some(false));
                    cheap.push(label)
                }
            }
            by_threads.push((threads, clearly(f) == Some(true)));
        }
    }
    if keys.is_empty() {
        return absent(
            ev,
            b,
            Experiment::Locks,
            &[],
            "needs `pingpong python locks`",
        );
    }
    let word = cost_word(&costly, &cheap, faster, &by_threads);
    let memory = lock_sizes(ev, b, &mut keys);
    Judgement {
        word,
        rule: format!(
            "holds when a counter increment guarded by threading.Lock or _thread.allocate_lock takes over {:.0}% longer than an unguarded one \
             in every interleaved repetition, with 1 thread (uncontended) and 2 (contended); lock ÷ no lock: {}; {memory}",
            MARGIN * 100.0,
            costly
                .into_iter()
                .chain(cheap)
                .map(|l| l.1)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        figures: keys,
        commands: vec!["pingpong python locks".into()],
    }
}

/// T10's word from the locks that cost clearly more (`costly`) and those
/// that did not (`cheap`, `faster` of them clearly less): when they are
/// mixed, by the number of threads if that splits them cleanly, else by
/// the lock.
fn cost_word(
    costly: &[(String, String)],
    cheap: &[(String, String)],
    faster: usize,
    by_threads: &[(u32, bool)],
) -> Word {
    if cheap.is_empty() {
        Word::Holds
    } else if costly.is_empty() {
        if faster == cheap.len() {
            Word::Fails
        } else {
            Word::NoClearDifference
        }
    } else {
        // Mixed: by the number of threads when that splits them cleanly.
        let split = [1, 2].into_iter().find(|&n| {
            by_threads.iter().filter(|t| t.0 == n).all(|t| t.1)
                && by_threads.iter().filter(|t| t.0 != n).all(|t| !t.1)
        });
        Word::Depends {
            on: match split {
                Some(n) => format!(
                    "contention: a lock cost more only with {n} thread{}",
                    if n > 1 { "s" } else { "" }
                ),
                None => {
                    let names = |v: &[(String, String)]| {
                        list(&v.iter().map(|l| l.0.clone()).collect::<Vec<_>>())
                    };
                    format!(
                        "the lock: {} cost more, {} did not",
                        names(costly),
                        names(cheap)
                    )
                }
            },
        }
    }
}

/// What one lock object takes in memory, each variant measured (its keys
/// added to `keys`), in words.
fn lock_sizes(ev: &Evidence, b: Build, keys: &mut Vec<String>) -> String {
    let mut bytes = Vec::new();
    for v in [LockVariant::ThreadingLock, LockVariant::ThreadAllocateLock] {
        let k = key::of(b, &key::lock_bytes(v));
        if let Some(f) = ev.figure(&k) {
            bytes.push(format!("{v} {}", show(f)));
            keys.push(k);
        }
    }
    if bytes.is_empty() {
        "the lock's size was not measured".to_string()
    } else {
        format!("memory: one lock object takes {}", bytes.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::ratio;
    use super::super::testing::column;
    use super::*;

    #[test]
    fn a9_reaches_each_of_its_words() {
        let b = Build::Default;
        let d = |api, lock, exact| (key::counter_exact(api, lock), exact);
        let w = |demos: &[(String, bool)]| both_modules(&column(b, &[], demos), b).word;
        use LockObject as L;
        use ThreadApi as A;
        let unlocked_loses = [
            d(A::Threading, L::None, false),
            d(A::Thread, L::None, false),
        ];
        let mut all = vec![
            d(A::Threading, L::Threading, true),
            d(A::Thread, L::Thread, true),
        ];
        all.extend(unlocked_loses.clone());
        assert_eq!(w(&all), Word::Holds);
        let mut bad = vec![
            d(A::Threading, L::Threading, false),
            d(A::Thread, L::Thread, false),
        ];
        bad.extend(unlocked_loses.clone());
        assert_eq!(w(&bad), Word::Fails);
        let mut one = vec![
            d(A::Threading, L::Threading, true),
            d(A::Thread, L::Thread, false),
        ];
        one.extend(unlocked_loses);
        assert!(matches!(w(&one), Word::Depends { .. }));
        assert_eq!(
            w(&[
                d(A::Threading, L::Threading, true),
                d(A::Thread, L::Thread, true),
                d(A::Threading, L::None, true),
            ]),
            Word::NoClearDifference
        );
        assert!(matches!(w(&[]), Word::NotMeasurable { .. }));
    }

    #[test]
    fn t10_reaches_each_of_its_words() {
        let b = Build::FreeThreaded;
        let r = |v, n, x: (f64, f64, f64)| (key::lock_cost_ratio(v, n), ratio(x.0, x.1, x.2));
        let w = |figs: Vec<(String, crate::evidence::Figure)>| cost(&column(b, &figs, &[]), b).word;
        let (up, down, flat) = ((3.0, 2.8, 3.2), (0.5, 0.4, 0.6), (1.0, 0.97, 1.03));
        use LockVariant::{ThreadAllocateLock as A, ThreadingLock as T};
        assert_eq!(w(vec![r(T, 1, up), r(A, 1, up), r(T, 2, up)]), Word::Holds);
        assert_eq!(w(vec![r(T, 1, down), r(A, 1, down)]), Word::Fails);
        assert_eq!(
            w(vec![r(T, 1, flat), r(A, 1, down)]),
            Word::NoClearDifference
        );
        match w(vec![r(T, 1, up), r(A, 1, up), r(T, 2, flat), r(A, 2, flat)]) {
            Word::Depends { on } => assert!(on.contains("1 thread"), "{on}"),
            x => panic!("{x:?}"),
        }
        assert!(matches!(
            w(vec![r(T, 1, up), r(A, 1, flat)]),
            Word::Depends { .. }
        ));
        assert!(matches!(w(vec![]), Word::NotMeasurable { .. }));
    }
}
