//! The findings (what the verdict reads): T11's two halves and P6, from
//! the typed attempts.

use super::{Attempt, Method, Observed, Target};
use crate::faults::findings::{Finding, Word};
use crate::faults::Row;

fn attempts(rows: &[Row]) -> impl Iterator<Item = &Attempt> {
    rows.iter()
        .filter(|r| r.experiment == "stop")
        .filter_map(|r| r.stop.as_ref())
        .filter(|a| a.result.observed())
}

fn clauses<'a>(a: impl Iterator<Item = &'a Attempt>) -> String {
    a.map(Attempt::clause).collect::<Vec<_>>().join("; ")
}

/// T11's first half, "a thread cannot be interrupted": holds when no blocked
/// thread could be interrupted or cancelled. Needs at least one attempt on a
/// blocked thread (a CPU loop alone proves nothing: nothing was waiting).
pub fn thread_interrupt(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| {
            a.target == Target::Thread
                && matches!(
                    a.method,
                    Method::SignalEintr
                        | Method::PthreadCancelBlocked
                        | Method::PthreadCancelCpuLoop
                        | Method::PthreadCancelAsyncCpuLoop
                )
        })
        .collect();
    let blocked = tried
        .iter()
        .any(|a| matches!(a.method, Method::SignalEintr | Method::PthreadCancelBlocked));
    if !blocked {
        return Finding::new(
            Word::NotShown,
            "no attempt to interrupt a blocked thread was observed",
        );
    }
    let reached = tried
        .iter()
        .any(|a| matches!(a.result, Observed::Interrupted | Observed::Ended));
    let facts = clauses(tried.iter().copied());
    if reached {
        Finding::new(
            Word::Fails,
            format!("a thread can be interrupted (EINTR) or cancelled: {facts}"),
        )
    } else {
        Finding::new(
            Word::Holds,
            format!("no thread could be interrupted or cancelled: {facts}"),
        )
    }
}

/// T11's second half, "a thread cannot be killed": holds when no thread
/// could be killed (or stopped) alone, i.e. a fatal signal aimed at one
/// thread took the whole process or nothing. Needs a fatal-signal attempt.
pub fn thread_kill(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| {
            a.target == Target::Thread
                && matches!(
                    a.method,
                    Method::FatalSignalToThread | Method::StopSignalToThread
                )
        })
        .collect();
    if !tried
        .iter()
        .any(|a| a.method == Method::FatalSignalToThread)
    {
        return Finding::new(
            Word::NotShown,
            "no fatal signal aimed at one thread was observed",
        );
    }
    let alone = tried.iter().any(|a| {
        matches!(
            a.result,
            Observed::OnlyThreadDied | Observed::OnlyThreadStopped
        )
    });
    let facts = clauses(tried.iter().copied());
    if alone {
        Finding::new(
            Word::Fails,
            format!("a thread was killed or stopped alone: {facts}"),
        )
    } else {
        Finding::new(
            Word::Holds,
            format!("no thread can be killed alone: {facts}"),
        )
    }
}

/// T11 "a thread cannot be interrupted or killed", both halves: holds when
/// both hold, fails when both fail, depends when one does.
pub fn thread_unstoppable(rows: &[Row]) -> Finding {
    let (i, k) = (thread_interrupt(rows), thread_kill(rows));
    let word = match (i.word, k.word) {
        (Word::NotShown, _) | (_, Word::NotShown) => Word::NotShown,
        (Word::Holds, Word::Holds) => Word::Holds,
        (Word::Fails, Word::Fails) => Word::Fails,
        _ => Word::Depends,
    };
    Finding::new(word, format!("{}; {}", i.shown, k.shown))
}

/// P6 "child processes can be interrupted or killed": holds when every
/// runaway child process was ended by a signal and reaped.
pub fn process_killed(rows: &[Row]) -> Finding {
    let tried: Vec<&Attempt> = attempts(rows)
        .filter(|a| a.target == Target::Process)
        .collect();
    if tried.is_empty() {
        return Finding::new(Word::NotShown, "no attempt to stop a process was observed");
    }
    let ended = |a: &&Attempt| a.result == Observed::Ended && a.ended_by.is_some();
    let n = tried.iter().filter(|a| ended(a)).count();
    let facts = clauses(tried.iter().copied());
    let word = if n == tried.len() {
        Word::Holds
    } else if n == 0 {
        Word::Fails
    } else {
        Word::Depends
    };
    Finding::new(
        word,
        format!(
            "{n} of {} runaway processes ended by a signal and reaped: {facts}",
            tried.len()
        ),
    )
}

/// Every finding of this experiment, by key.
pub fn findings(rows: &[Row]) -> Vec<(&'static str, Finding)> {
    use crate::faults::findings::key;
    vec![
        (key::THREAD_UNINTERRUPTIBLE, thread_interrupt(rows)),
        (key::THREAD_UNKILLABLE, thread_kill(rows)),
        (key::THREAD_UNSTOPPABLE, thread_unstoppable(rows)),
        (key::PROCESS_KILLED, process_killed(rows)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(target: Target, method: Method, result: Observed) -> Row {
        let ended_by =
            (target == Target::Process && result == Observed::Ended).then(|| "SIGTERM".to_string());
        Row {
            experiment: "stop".into(),
            stop: Some(Attempt {
                target,
                method,
                result,
                signal: None,
                ended_by,
                others_affected: None,
            }),
            ..Row::default()
        }
    }

    fn t(method: Method, result: Observed) -> Row {
        row(Target::Thread, method, result)
    }

    /// What this machine shows: a blocked thread can be interrupted or
    /// cancelled; a fatal signal to one thread kills the whole process.
    fn linux_like() -> Vec<Row> {
        vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::PthreadCancelBlocked, Observed::Ended),
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
            t(Method::StopSignalToThread, Observed::WholeProcessStopped),
        ]
    }

    #[test]
    fn a_thread_interruptible_but_not_killable_alone_depends() {
        let rows = linux_like();
        assert_eq!(thread_interrupt(&rows).word, Word::Fails);
        assert_eq!(thread_kill(&rows).word, Word::Holds);
        let f = thread_unstoppable(&rows);
        assert_eq!(f.word, Word::Depends);
        assert!(
            f.shown.contains("interrupted (EINTR in that thread)"),
            "{}",
            f.shown
        );
        assert!(f.shown.contains("the whole process died"), "{}", f.shown);
    }

    #[test]
    fn nothing_interrupts_and_nothing_kills_alone_holds() {
        let rows = vec![
            t(Method::SignalEintr, Observed::NotInterrupted),
            t(Method::PthreadCancelBlocked, Observed::StillRunning),
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
        ];
        assert_eq!(thread_unstoppable(&rows).word, Word::Holds);
    }

    #[test]
    fn a_thread_killed_alone_and_interrupted_fails() {
        let rows = vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::FatalSignalToThread, Observed::OnlyThreadDied),
        ];
        assert_eq!(thread_unstoppable(&rows).word, Word::Fails);
        // Stopped alone counts as "alone" too.
        let rows = vec![
            t(Method::SignalEintr, Observed::Interrupted),
            t(Method::FatalSignalToThread, Observed::WholeProcessDied),
            t(Method::StopSignalToThread, Observed::OnlyThreadStopped),
        ];
        assert_eq!(thread_kill(&rows).word, Word::Fails);
    }

    #[test]
    fn an_async_cancel_that_ends_a_cpu_loop_counts_as_interrupting() {
        let rows = vec![
            t(Method::SignalEintr, Observed::NotInterrupted),
            t(Method::PthreadCancelAsyncCpuLoop, Observed::Ended),
        ];
        assert_eq!(thread_interrupt(&rows).word, Word::Fails);
    }

    #[test]
    fn attempts_not_observed_show_nothing() {
        // Only a CPU loop: nothing was blocked, so nothing to interrupt.
        let rows = vec![
            t(Method::PthreadCancelCpuLoop, Observed::StillRunning),
            t(Method::SignalEintr, Observed::Hung),
            t(Method::FatalSignalToThread, Observed::NotObserved),
        ];
        assert_eq!(thread_interrupt(&rows).word, Word::NotShown);
        assert_eq!(thread_kill(&rows).word, Word::NotShown);
        assert_eq!(thread_unstoppable(&rows).word, Word::NotShown);
        assert!(thread_unstoppable(&rows).demo().is_none());
        // The cooperative cases are not attempts from outside.
        let rows = vec![
            t(Method::CooperativeFlag, Observed::Ended),
            t(Method::FlagAndSignal, Observed::Ended),
        ];
        assert_eq!(thread_unstoppable(&[]).word, Word::NotShown);
        assert_eq!(thread_interrupt(&rows).word, Word::NotShown);
    }

    #[test]
    fn the_demo_says_yes_only_when_the_finding_holds() {
        let d = thread_unstoppable(&linux_like()).demo().unwrap();
        assert!(!d.shows_claim);
        assert!(d.shown.starts_with("depends: "), "{}", d.shown);
        let d = thread_kill(&linux_like()).demo().unwrap();
        assert!(d.shows_claim);
    }

    #[test]
    fn process_finding_reaches_every_word() {
        let p = |r| row(Target::Process, Method::Sigterm, r);
        assert_eq!(process_killed(&[p(Observed::Ended)]).word, Word::Holds);
        assert_eq!(
            process_killed(&[p(Observed::StillRunning)]).word,
            Word::Fails
        );
        assert_eq!(
            process_killed(&[p(Observed::Ended), p(Observed::StillRunning)]).word,
            Word::Depends
        );
        assert_eq!(process_killed(&[p(Observed::Hung)]).word, Word::NotShown);
        // "Ended" without the signal that ended it is not "killed by a signal".
        let mut r = p(Observed::Ended);
        r.stop.as_mut().unwrap().ended_by = None;
        assert_eq!(process_killed(&[r]).word, Word::Fails);
    }
}
