//! Rules for the claims about what goes wrong: each rests on what the
//! fault experiments showed happening (live demonstrations recorded as
//! evidence), e.g. "an abort in a thread killed the whole (sacrificial)
//! program; in a child process it killed only the child".

use super::{missing, Judgement, Word};
use crate::verdict::evidence::Evidence;

fn shown(ev: &Evidence, keys: &[&str], rule: &str, experiment: &str) -> Judgement {
    let found: Vec<_> = keys
        .iter()
        .filter_map(|k| ev.demos.get(*k).map(|d| (*k, d)))
        .collect();
    if found.len() < keys.len() {
        return missing(
            ev,
            experiment,
            &format!("needs the `{experiment}` experiment"),
        );
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

pub fn judge(ev: &Evidence, id: &str) -> Judgement {
    match id {
        "T12" => shown(ev, &["faults.crash.thread-kills-program", "faults.crash.process-contained"], "holds when a fatal fault in one thread ends the whole program while the same fault in a child process ends only the child", "faults crash"),
        "T11" => shown(ev, &["faults.stop.thread-unstoppable"], "holds when a thread that never checks a flag cannot be stopped from outside (only its whole process can be killed)", "faults stop"),
        "P6" => shown(ev, &["faults.stop.process-killed"], "holds when a runaway child process is stopped by a signal and reaped", "faults stop"),
        "T13" => shown(ev, &["faults.deadlock.detected", "faults.race.lost-updates"], "holds when two threads taking two locks in opposite order deadlock (caught by the watchdog) and an unsynchronised read-modify-write loses updates", "faults deadlock race"),
        "T9" => shown(ev, &["faults.isolation.thread-write-visible"], "holds when a write by one thread to shared data is seen by the others (nothing stops it)", "faults isolation"),
        "P4" => shown(ev, &["faults.isolation.fork-write-invisible"], "holds when a write in a forked child is invisible to its parent (separate, copy-on-write address spaces)", "faults isolation"),
        "P10" => shown(ev, &["faults.isolation.fork-write-invisible", "faults.isolation.foreign-read-refused"], "holds when processes do not see each other's writes and one cannot read another's memory without privileges", "faults isolation"),
        "P8" => shown(ev, &["faults.pool.process-pool-recovers"], "holds when a process pool whose worker dies mid-job still delivers every answer exactly once", "faults pool"),
        _ => shown(ev, &["faults.zombies.seen-and-reaped"], "holds when a child that ended stays a zombie until its parent reaps it — bookkeeping that threads, joined or not, never need", "faults zombies"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::evidence::Demo;

    fn ev(pairs: &[(&str, bool)]) -> Evidence {
        let mut e = Evidence::default();
        for (k, v) in pairs {
            e.demos.insert(
                (*k).into(),
                Demo {
                    shows_claim: *v,
                    shown: format!("{k}={v}"),
                },
            );
        }
        e
    }

    #[test]
    fn t12_holds_when_the_thread_fault_kills_everything_and_the_process_fault_does_not() {
        let e = ev(&[
            ("faults.crash.thread-kills-program", true),
            ("faults.crash.process-contained", true),
        ]);
        assert_eq!(judge(&e, "T12").word, Word::Holds);
        let e = ev(&[
            ("faults.crash.thread-kills-program", false),
            ("faults.crash.process-contained", false),
        ]);
        assert_eq!(judge(&e, "T12").word, Word::Fails);
        let e = ev(&[
            ("faults.crash.thread-kills-program", false),
            ("faults.crash.process-contained", true),
        ]);
        assert!(matches!(judge(&e, "T12").word, Word::Depends { .. }));
    }

    #[test]
    fn missing_fault_evidence_is_not_measurable() {
        assert!(matches!(
            judge(&Evidence::default(), "P8").word,
            Word::NotMeasurable { .. }
        ));
    }
}
