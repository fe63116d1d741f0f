//! CPython's own rules on keeping threads and processes under control:
//! stopping a thread from outside (T11), a fatal fault in a thread (T12), a
//! pool whose worker is killed (P8), and zombies (A7). Each reads what the
//! Python programs showed live (demonstrations), column by column.

use super::super::{Judgement, Word};
use super::{absent, list};
use crate::evidence::{Demo, Evidence};
use crate::python::evidence::key;
use crate::python::{Build, Experiment, Fault, PoolKind, StopTarget, ZombieCase};

/// The demonstrations of `keys` (column-relative) that were shown.
fn shown<'a, T: Copy>(ev: &'a Evidence, b: Build, keys: &[(T, String)]) -> Vec<(T, &'a Demo)> {
    keys.iter()
        .filter_map(|(t, k)| ev.demo(&key::of(b, k)).map(|d| (*t, d)))
        .collect()
}

fn absolute(b: Build, keys: &[(impl Copy, String)]) -> Vec<String> {
    keys.iter().map(|(_, k)| key::of(b, k)).collect()
}

fn texts<T>(found: &[(T, &Demo)]) -> String {
    found
        .iter()
        .map(|(_, d)| d.shown.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn judgement(word: Word, rule: String, command: &str) -> Judgement {
    Judgement {
        word,
        rule,
        figures: vec![],
        commands: vec![command.into()],
    }
}

/// T11: a thread cannot be interrupted or killed. `threading.Thread` has
/// no kill; `PyThreadState_SetAsyncExc` (through ctypes) interrupts a thread
/// only when it next runs Python bytecode, so not one blocked in C.
pub fn stop(ev: &Evidence, b: Build) -> Judgement {
    let attempts: Vec<(StopTarget, String)> = StopTarget::ALL
        .iter()
        .map(|&t| (t, key::uninterrupted(t)))
        .collect();
    let found = shown(ev, b, &attempts);
    let api = ev.demo(&key::of(b, key::NO_KILL_API));
    let Some(api) = api.filter(|_| !found.is_empty()) else {
        let mut keys = absolute(b, &attempts);
        keys.push(key::of(b, key::NO_KILL_API));
        return absent(
            ev,
            b,
            Experiment::Stop,
            &keys,
            "needs `pingpong python stop`",
        );
    };
    let doing = |t: StopTarget| match t {
        StopTarget::PythonLoop => "running Python code",
        StopTarget::TimeSleep => "blocked in time.sleep",
        StopTarget::OsRead => "blocked in os.read",
    };
    let interrupted: Vec<String> = found
        .iter()
        .filter(|(_, d)| !d.shows_claim)
        .map(|(t, _)| doing(*t).to_string())
        .collect();
    let not: Vec<String> = found
        .iter()
        .filter(|(_, d)| d.shows_claim)
        .map(|(t, _)| doing(*t).to_string())
        .collect();
    let word = if !api.shows_claim || not.is_empty() {
        Word::Fails
    } else if interrupted.is_empty() {
        Word::Holds
    } else {
        Word::Depends {
            on: format!(
                "what the thread is doing: an exception set with PyThreadState_SetAsyncExc interrupted a thread {}, not one {} (it waits for the C call to return); no thread can be killed",
                list(&interrupted),
                list(&not)
            ),
        }
    };
    let processes = ev
        .demo(&key::of(b, key::PROCESS_KILLED))
        .map(|d| format!(" A process, by contrast: {}.", d.shown))
        .unwrap_or_default();
    judgement(
        word,
        format!(
            "holds when threading.Thread offers no way to kill a thread and no attempt with PyThreadState_SetAsyncExc (through ctypes) \
             interrupted a thread within its window; fails when a thread can be killed or every attempt interrupted it; depends when only some did. \
             Shown: {}; {}.{processes}",
            api.shown,
            texts(&found)
        ),
        "pingpong python stop",
    )
}

/// T12: one invalid operation in one thread can crash the whole program:
/// a fatal signal (abort, segfault) in a thread ends the program, in a
/// child process only the child; a Python exception in a thread does not.
pub fn crash(ev: &Evidence, b: Build) -> Judgement {
    let fatal = [Fault::Abort, Fault::Segfault];
    let in_thread: Vec<(Fault, String)> = fatal
        .iter()
        .map(|&f| (f, key::thread_fault_ends_program(f)))
        .collect();
    let in_process: Vec<(Fault, String)> = fatal
        .iter()
        .map(|&f| (f, key::process_fault_contained(f)))
        .collect();
    let threads = shown(ev, b, &in_thread);
    if threads.is_empty() {
        return absent(
            ev,
            b,
            Experiment::Faults,
            &absolute(b, &in_thread),
            "needs `pingpong python faults`",
        );
    }
    let processes = shown(ev, b, &in_process);
    let name = |found: &[(Fault, &Demo)], shows: bool| -> Vec<String> {
        found
            .iter()
            .filter(|(_, d)| d.shows_claim == shows)
            .map(|(f, _)| f.to_string())
            .collect()
    };
    let ended = name(&threads, true);
    let went_on = name(&threads, false);
    let contained = name(&processes, true);
    let not_contained = name(&processes, false);
    let word = if ended.is_empty() {
        Word::Fails
    } else if !went_on.is_empty() || (!contained.is_empty() && !not_contained.is_empty()) {
        Word::Depends {
            on: format!(
                "the kind of fault: in a thread {} ended the whole program, {} did not; in a child process {} ended only the child, {} did not",
                list(&ended),
                list(&went_on),
                list(&contained),
                list(&not_contained)
            ),
        }
    } else if !processes.is_empty() && contained.is_empty() {
        // The same faults ended the program from a child too: no
        // difference between threads and processes to speak of.
        Word::NoClearDifference
    } else {
        Word::Holds
    };
    let exception = ev
        .demo(&key::of(
            b,
            &key::thread_fault_ends_program(Fault::Exception),
        ))
        .map(|d| format!(" A Python exception instead: {}.", d.shown))
        .unwrap_or_default();
    let mut all = threads;
    all.extend(processes);
    judgement(
        word,
        format!(
            "holds when a fatal fault (os.abort, a segfault through ctypes) in one thread ends the whole program while the same fault in a \
             child process ends only the child; fails when no fault in a thread ended the program. Shown: {}.{exception}",
            texts(&all)
        ),
        "pingpong python faults",
    )
}

/// P8: a pool survives a dead worker — `multiprocessing.Pool` against
/// `concurrent.futures.ProcessPoolExecutor`, a worker really SIGKILLed.
pub fn pool(ev: &Evidence, b: Build) -> Judgement {
    let pools: Vec<(PoolKind, String)> = PoolKind::ALL.iter().map(|&p| (p, key::pool(p))).collect();
    let found = shown(ev, b, &pools);
    if found.is_empty() {
        return absent(
            ev,
            b,
            Experiment::Pool,
            &absolute(b, &pools),
            "needs `pingpong python pool`",
        );
    }
    let done: Vec<String> = found
        .iter()
        .filter(|(_, d)| d.shows_claim)
        .map(|(p, _)| p.to_string())
        .collect();
    let not: Vec<String> = found
        .iter()
        .filter(|(_, d)| !d.shows_claim)
        .map(|(p, _)| p.to_string())
        .collect();
    let word = if not.is_empty() {
        Word::Holds
    } else if done.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: format!(
                "the pool: {} delivered every job, {} did not",
                list(&done),
                list(&not)
            ),
        }
    };
    judgement(
        word,
        format!(
            "holds when a process pool whose worker is killed with SIGKILL mid-job (checked dead) still delivers every job's answer by the deadline; \
             shown: {}",
            texts(&found)
        ),
        "pingpong python pool",
    )
}

/// A7: threads are simpler to manage than processes — here, the zombie a
/// finished process leaves until it is joined, and a thread does not.
pub fn zombies(ev: &Evidence, b: Build) -> Judgement {
    let procs: Vec<(ZombieCase, String)> = [ZombieCase::MpProcess, ZombieCase::OsFork]
        .iter()
        .map(|&c| (c, key::zombie(c)))
        .collect();
    let found = shown(ev, b, &procs);
    if found.is_empty() {
        return absent(
            ev,
            b,
            Experiment::Zombie,
            &absolute(b, &procs),
            "needs `pingpong python zombie`",
        );
    }
    let thread = ev.demo(&key::of(b, &key::zombie(ZombieCase::Thread)));
    let lingered: Vec<String> = found
        .iter()
        .filter(|(_, d)| d.shows_claim)
        .map(|(c, _)| c.to_string())
        .collect();
    let not: Vec<String> = found
        .iter()
        .filter(|(_, d)| !d.shows_claim)
        .map(|(c, _)| c.to_string())
        .collect();
    let word = if lingered.is_empty() {
        Word::Fails
    } else if !not.is_empty() {
        Word::Depends {
            on: format!(
                "how the process is started: {} left a zombie until joined, {} did not",
                list(&lingered),
                list(&not)
            ),
        }
    } else if thread.is_some_and(|t| t.shows_claim) {
        Word::NoClearDifference
    } else {
        Word::Holds
    };
    let mut text = texts(&found);
    if let Some(t) = thread {
        text.push_str(&format!("; {}", t.shown));
    }
    judgement(
        word,
        format!(
            "of the management the claim names, this rule reads zombies (termination and IPC are T11 and P11): holds when a finished child \
             process left unjoined stays a zombie until joined while a finished thread leaves nothing; shown: {text}"
        ),
        "pingpong python zombie",
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::column;
    use super::*;

    fn words(b: Build, demos: &[(String, bool)], rule: fn(&Evidence, Build) -> Judgement) -> Word {
        rule(&column(b, &[], demos), b).word
    }

    fn is_depends(w: Word) -> bool {
        matches!(w, Word::Depends { .. })
    }

    #[test]
    fn t11_reaches_each_of_its_words() {
        let b = Build::Default;
        let attempt = |t, uninterrupted| (key::uninterrupted(t), uninterrupted);
        let api = |none| (key::NO_KILL_API.to_string(), none);
        // SetAsyncExc interrupts the loop, not the blocked thread: depends.
        let w = words(
            b,
            &[
                api(true),
                attempt(StopTarget::PythonLoop, false),
                attempt(StopTarget::TimeSleep, true),
            ],
            stop,
        );
        match w {
            Word::Depends { on } => assert!(on.contains("time.sleep"), "{on}"),
            w => panic!("{w:?}"),
        }
        assert_eq!(
            words(b, &[api(true), attempt(StopTarget::TimeSleep, true)], stop),
            Word::Holds
        );
        assert_eq!(
            words(
                b,
                &[api(true), attempt(StopTarget::PythonLoop, false)],
                stop
            ),
            Word::Fails
        );
        assert_eq!(
            words(b, &[api(false), attempt(StopTarget::TimeSleep, true)], stop),
            Word::Fails
        );
        assert!(matches!(words(b, &[], stop), Word::NotMeasurable { .. }));
    }

    #[test]
    fn t12_reaches_each_of_its_words() {
        let b = Build::FreeThreaded;
        let t = |f, ended| (key::thread_fault_ends_program(f), ended);
        let p = |f, contained| (key::process_fault_contained(f), contained);
        use Fault::{Abort, Segfault};
        assert_eq!(
            words(
                b,
                &[
                    t(Abort, true),
                    t(Segfault, true),
                    p(Abort, true),
                    p(Segfault, true)
                ],
                crash
            ),
            Word::Holds
        );
        assert_eq!(
            words(b, &[t(Abort, false), t(Segfault, false)], crash),
            Word::Fails
        );
        assert!(is_depends(words(
            b,
            &[t(Abort, true), t(Segfault, false)],
            crash
        )));
        assert_eq!(
            words(
                b,
                &[
                    t(Abort, true),
                    t(Segfault, true),
                    p(Abort, false),
                    p(Segfault, false)
                ],
                crash
            ),
            Word::NoClearDifference
        );
        assert!(matches!(words(b, &[], crash), Word::NotMeasurable { .. }));
    }

    #[test]
    fn a_fault_that_did_not_fire_is_not_measurable_and_says_so() {
        let b = Build::Default;
        let mut ev = Evidence::default();
        for f in [Fault::Abort, Fault::Segfault] {
            ev.miss(
                key::of(b, &key::thread_fault_ends_program(f)),
                "the abort in a thread did not fire",
            );
        }
        match crash(&ev, b).word {
            Word::NotMeasurable { why } => assert!(why.contains("did not fire"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn p8_reaches_each_of_its_words() {
        let b = Build::Default;
        let p = |k, done| (key::pool(k), done);
        assert_eq!(
            words(
                b,
                &[p(PoolKind::MpPool, true), p(PoolKind::Executor, true)],
                pool
            ),
            Word::Holds
        );
        assert_eq!(
            words(
                b,
                &[p(PoolKind::MpPool, false), p(PoolKind::Executor, false)],
                pool
            ),
            Word::Fails
        );
        assert!(is_depends(words(
            b,
            &[p(PoolKind::MpPool, false), p(PoolKind::Executor, true)],
            pool
        )));
        let mut ev = Evidence::default();
        ev.miss(
            key::of(b, &key::pool(PoolKind::MpPool)),
            "the worker was not killed",
        );
        match pool(&ev, b).word {
            Word::NotMeasurable { why } => assert!(why.contains("not killed"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn a7_reaches_each_of_its_words() {
        let b = Build::Default;
        let z = |c, lingered| (key::zombie(c), lingered);
        use ZombieCase::{MpProcess, OsFork, Thread};
        assert_eq!(
            words(
                b,
                &[z(MpProcess, true), z(OsFork, true), z(Thread, false)],
                zombies
            ),
            Word::Holds
        );
        assert_eq!(
            words(b, &[z(MpProcess, false), z(OsFork, false)], zombies),
            Word::Fails
        );
        assert!(is_depends(words(
            b,
            &[z(MpProcess, true), z(OsFork, false)],
            zombies
        )));
        assert_eq!(
            words(
                b,
                &[z(MpProcess, true), z(OsFork, true), z(Thread, true)],
                zombies
            ),
            Word::NoClearDifference
        );
        assert!(matches!(words(b, &[], zombies), Word::NotMeasurable { .. }));
    }
}
