//! Rules for the claims about what goes wrong: each rests on what the
//! fault experiments showed happening (live demonstrations, read from the
//! rows' typed observations by [`crate::faults::findings`]), e.g. "an abort
//! in a thread killed the whole (sacrificial) program; in a child process it
//! killed only the child".

use super::{missing, Judgement, Word};
use crate::evidence::Evidence;
use crate::faults::findings::key;

fn shown(ev: &Evidence, keys: &[&str], rule: &str, experiment: &str) -> Judgement {
    let found: Vec<_> = keys
        .iter()
        .filter_map(|k| ev.demo(k).map(|d| (*k, d)))
        .collect();
    if found.len() < keys.len() {
        // A finding that could not be shown says why, else the experiment did not run.
        let mut steps: Vec<&str> = keys.to_vec();
        steps.push("faults");
        return missing(ev, &steps, &format!("needs the `{experiment}` experiment"));
    }
    let all = found.iter().all(|(_, d)| d.shows_claim);
    let none = found.iter().all(|(_, d)| !d.shows_claim);
    Judgement {
        word: if all {
            Word::Holds
        } else if none {
            Word::Fails
        } else {
            Word::Depends {
                on: "the kind of fault".into(),
            }
        },
        rule: format!(
            "{rule}; shown: {}",
            found
                .iter()
                .map(|(_, d)| d.shown.clone())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        figures: vec![],
        commands: vec![format!("pingpong {experiment}")],
    }
}

/// T11 "a thread cannot be interrupted or killed", from its two halves: the
/// word names which half was shown when only one was.
fn thread_stop(ev: &Evidence) -> Judgement {
    let mut j = shown(
        ev,
        &[key::THREAD_UNINTERRUPTIBLE, key::THREAD_UNKILLABLE],
        "holds when no thread could be interrupted or cancelled (a signal to one thread blocked in a read, \
         pthread_cancel at a cancellation point) and none could be killed alone (a fatal signal aimed at one thread); \
         fails when both were done; depends when one was",
        "faults stop",
    );
    let shows = |k| ev.demo(k).map(|d| d.shows_claim);
    if let Word::Depends { on } = &mut j.word {
        *on = match (shows(key::THREAD_UNINTERRUPTIBLE), shows(key::THREAD_UNKILLABLE)) {
            (Some(false), Some(true)) => "what is asked: a blocked thread can be interrupted or cancelled, but no thread can be killed alone".into(),
            (Some(true), Some(false)) => "what is asked: no thread could be interrupted or cancelled, but one was killed alone".into(),
            _ => std::mem::take(on),
        };
    }
    j
}

pub fn judge(ev: &Evidence, id: &str) -> Judgement {
    match id {
        "T11" => thread_stop(ev),
        "T12" => shown(ev, &[key::THREAD_CRASH_KILLS_PROGRAM, key::PROCESS_CRASH_CONTAINED], "holds when a fatal fault in one thread ends the whole program while the same fault in a child process ends only the child", "faults crash"),
        "P6" => shown(ev, &[key::PROCESS_KILLED], "holds when a runaway child process is stopped by a signal and reaped", "faults stop"),
        "T13" => shown(ev, &[key::DEADLOCK_DETECTED, key::RACE_LOSES_UPDATES], "holds when two threads taking two locks in opposite order deadlock (caught by the watchdog) and an unsynchronised read-modify-write loses updates", "faults deadlock race"),
        "T9" => shown(ev, &[key::THREAD_WRITE_VISIBLE], "holds when a write by one thread to shared data is seen by the others (nothing stops it)", "faults isolation"),
        "P4" => shown(ev, &[key::FORK_WRITE_INVISIBLE], "holds when a write in a forked child is invisible to its parent (separate, copy-on-write address spaces)", "faults isolation"),
        "P10" => shown(ev, &[key::FORK_WRITE_INVISIBLE, key::FOREIGN_READ_REFUSED], "holds when processes do not see each other's writes and one cannot read another's memory without privileges", "faults isolation"),
        "P8" => shown(ev, &[key::PROCESS_POOL_RECOVERS], "holds when a process pool whose worker really died mid-job still delivers every answer exactly once", "faults pool"),
        "A9" => shown(ev, &[key::LOCKS_BOTH_APIS], "Rust's analogue of CPython's _thread and threading: holds when threads started with raw pthread_create and with std::thread all start and join, and each API's lock (pthread_mutex, std::sync::Mutex) gives the exact total of a shared counter", "faults race"),
        _ => shown(ev, &[key::ZOMBIE_UNTIL_REAPED], "holds when a child that ended stays a zombie until its parent reaps it — bookkeeping that threads, joined or not, never need", "faults zombies"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(pairs: &[(&str, bool)]) -> Evidence {
        let mut e = Evidence::default();
        for (k, v) in pairs {
            e.show(*k, *v, format!("{k}={v}"));
        }
        e
    }

    #[test]
    fn t12_holds_when_the_thread_fault_kills_everything_and_the_process_fault_does_not() {
        let (t, p) = (
            key::THREAD_CRASH_KILLS_PROGRAM,
            key::PROCESS_CRASH_CONTAINED,
        );
        assert_eq!(judge(&ev(&[(t, true), (p, true)]), "T12").word, Word::Holds);
        assert_eq!(
            judge(&ev(&[(t, false), (p, false)]), "T12").word,
            Word::Fails
        );
        assert!(matches!(
            judge(&ev(&[(t, false), (p, true)]), "T12").word,
            Word::Depends { .. }
        ));
    }

    #[test]
    fn t11_reaches_each_word_and_says_which_half_was_shown() {
        let (i, k) = (key::THREAD_UNINTERRUPTIBLE, key::THREAD_UNKILLABLE);
        assert_eq!(judge(&ev(&[(i, true), (k, true)]), "T11").word, Word::Holds);
        assert_eq!(
            judge(&ev(&[(i, false), (k, false)]), "T11").word,
            Word::Fails
        );
        match judge(&ev(&[(i, false), (k, true)]), "T11").word {
            Word::Depends { on } => assert!(on.contains("no thread can be killed alone"), "{on}"),
            w => panic!("{w:?}"),
        }
        match judge(&ev(&[(i, true), (k, false)]), "T11").word {
            Word::Depends { on } => assert!(on.contains("killed alone"), "{on}"),
            w => panic!("{w:?}"),
        }
        assert!(matches!(
            judge(&ev(&[(i, true)]), "T11").word,
            Word::NotMeasurable { .. }
        ));
    }

    const ALL: [&str; 15] = [
        key::THREAD_CRASH_KILLS_PROGRAM,
        key::PROCESS_CRASH_CONTAINED,
        key::THREAD_UNINTERRUPTIBLE,
        key::THREAD_UNKILLABLE,
        key::THREAD_UNSTOPPABLE,
        key::PROCESS_KILLED,
        key::DEADLOCK_DETECTED,
        key::RACE_LOSES_UPDATES,
        key::LOCKS_BOTH_APIS,
        key::THREAD_WRITE_VISIBLE,
        key::FORK_WRITE_INVISIBLE,
        key::FOREIGN_READ_REFUSED,
        key::PROCESS_POOL_RECOVERS,
        key::ZOMBIE_UNTIL_REAPED,
        key::THREAD_UNSTOPPABLE,
    ];

    #[test]
    fn every_fault_claim_holds_fails_or_is_not_measurable_from_its_findings() {
        for id in [
            "T11", "P6", "T12", "T13", "T9", "P4", "P10", "P8", "A7", "A9",
        ] {
            let all = |v| ev(&ALL.map(|k| (k, v)));
            assert_eq!(judge(&all(true), id).word, Word::Holds, "{id}");
            assert_eq!(judge(&all(false), id).word, Word::Fails, "{id}");
            assert!(
                matches!(
                    judge(&Evidence::default(), id).word,
                    Word::NotMeasurable { .. }
                ),
                "{id}"
            );
        }
    }

    #[test]
    fn missing_fault_evidence_is_not_measurable() {
        assert!(matches!(
            judge(&Evidence::default(), "P8").word,
            Word::NotMeasurable { .. }
        ));
    }

    #[test]
    fn a_pool_whose_fault_never_happened_is_not_measurable_and_says_so() {
        let mut e = Evidence::default();
        e.miss(
            key::PROCESS_POOL_RECOVERS,
            "the worker's fault did not happen",
        );
        match judge(&e, "P8").word {
            Word::NotMeasurable { why } => assert!(why.contains("did not happen"), "{why}"),
            w => panic!("{w:?}"),
        }
    }
}
