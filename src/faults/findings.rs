//! What the fault experiments show about the claims: each finding is a
//! demonstration read from the rows' [`Observed`] data — set where each
//! fault was observed, never parsed from the sentences shown to people.
//!
//! A finding is absent when its rows are; the verdict then says what is
//! missing rather than guessing. A finding that can also say "depends" or
//! "not shown" keeps its [`Word`] typed ([`Finding`]), so its logic is
//! tested on every word it can give, and is projected onto the verdict's
//! yes/no [`Demo`] only at the edge ([`Finding::demo`]).

use super::{FaultsDocument, Observed, Row};
use crate::evidence::{Demo, Evidence, Witness};
use serde::{Deserialize, Serialize};

/// What a finding says about its claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Word {
    /// Everything the claim says was shown.
    Holds,
    /// What was shown contradicts the claim.
    Fails,
    /// Part of the claim was shown, part contradicted.
    Depends,
    /// The rows needed were not there or their effect was not observed.
    NotShown,
}

impl Word {
    pub fn as_str(self) -> &'static str {
        match self {
            Word::Holds => "holds",
            Word::Fails => "fails",
            Word::Depends => "depends",
            Word::NotShown => "not shown",
        }
    }
}

/// A word and the facts it rests on, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub word: Word,
    pub shown: String,
}

impl Finding {
    pub fn new(word: Word, shown: impl Into<String>) -> Self {
        Finding {
            word,
            shown: shown.into(),
        }
    }

    /// The verdict's yes/no view: "yes" only when the finding holds; the word
    /// leads the text, so a "no" that means "depends" reads as such. A finding
    /// with nothing shown gives no demo at all (the verdict then says the
    /// experiment is missing, rather than that the claim fails).
    pub fn demo(&self) -> Option<Demo> {
        (self.word != Word::NotShown).then(|| Demo {
            shows_claim: self.word == Word::Holds,
            shown: format!("{}: {}", self.word.as_str(), self.shown),
        })
    }
}

/// The names of the findings (read by the rules too).
pub mod key {
    pub const THREAD_CRASH_KILLS_PROGRAM: &str = "faults.crash.thread-kills-program";
    pub const PROCESS_CRASH_CONTAINED: &str = "faults.crash.process-contained";
    pub const THREAD_UNINTERRUPTIBLE: &str = "faults.stop.thread-uninterruptible";
    pub const THREAD_UNKILLABLE: &str = "faults.stop.thread-unkillable";
    pub const THREAD_UNSTOPPABLE: &str = "faults.stop.thread-unstoppable";
    pub const PROCESS_KILLED: &str = "faults.stop.process-killed";
    pub const DEADLOCK_DETECTED: &str = "faults.deadlock.detected";
    pub const RACE_LOSES_UPDATES: &str = "faults.race.lost-updates";
    pub const LOCKS_BOTH_APIS: &str = "faults.race.locks-both-apis";
    pub const THREAD_WRITE_VISIBLE: &str = "faults.isolation.thread-write-visible";
    pub const FORK_WRITE_INVISIBLE: &str = "faults.isolation.fork-write-invisible";
    pub const FOREIGN_READ_REFUSED: &str = "faults.isolation.foreign-read-refused";
    pub const PROCESS_POOL_RECOVERS: &str = "faults.pool.process-pool-recovers";
    pub const ZOMBIE_UNTIL_REAPED: &str = "faults.zombies.seen-and-reaped";
}

/// The fatal faults: each ends its unit for good (a panic in a thread, or
/// `exit`, are other matters).
const FATAL: [&str; 3] = ["abort", "null-write", "stack-overflow"];

/// One row in words: "crash abort thread: the whole program died … (SIGABRT)",
/// saying neither the unit nor the status twice.
fn line(r: &Row) -> String {
    let unit = if r.case.ends_with(&r.unit) {
        String::new()
    } else {
        format!(" {}", r.unit)
    };
    let status = if r.status.is_empty() || r.outcome.contains(&r.status) {
        String::new()
    } else {
        format!(" ({})", r.status)
    };
    format!("{} {}{unit}: {}{status}", r.experiment, r.case, r.outcome)
}

fn lines(rows: &[&Row]) -> String {
    rows.iter().map(|r| line(r)).collect::<Vec<_>>().join("; ")
}

impl Witness for FaultsDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let rows = &self.rows;
        let shown = |s: String| format!("{s} (`{cmd}`)");
        crashes(rows, ev, &shown);

        // T11 and P6 read the typed attempts of `faults stop` (`Row::stop`).
        for (k, f) in super::stop::findings(rows) {
            if let Some(d) = f.demo() {
                ev.show(k, d.shows_claim, shown(d.shown));
            }
        }
        // A9: both thread APIs start and join every thread, both locks exact.
        if let Some(d) = super::race::locks_finding(rows).demo() {
            ev.show(key::LOCKS_BOTH_APIS, d.shows_claim, shown(d.shown));
        }

        deadlock_and_race(rows, ev, &shown);
        isolation(rows, ev, &shown);
        pool(rows, ev, &shown);
        zombies(rows, ev, &shown);
    }
}

/// The rows of experiment `e`.
fn of<'a>(rows: &'a [Row], e: &'static str) -> impl Iterator<Item = &'a Row> {
    rows.iter().filter(move |r| r.experiment == e)
}

/// The row of experiment `e` for case `c`.
fn find<'a>(rows: &'a [Row], e: &'static str, c: &str) -> Option<&'a Row> {
    of(rows, e).find(|r| r.case == c)
}

/// A fatal fault in a thread kills the whole program; in a process it is contained.
fn crashes(rows: &[Row], ev: &mut Evidence, shown: &impl Fn(String) -> String) {
    let fatal = |unit: &str| -> Vec<&Row> {
        of(rows, "crash")
            .filter(|r| r.unit == unit && FATAL.contains(&r.case.as_str()))
            .collect()
    };
    let (threads, procs) = (fatal("thread"), fatal("process"));
    if !threads.is_empty() {
        let all = threads
            .iter()
            .all(|r| matches!(r.observed, Observed::ProgramEnded { hung: false, .. }));
        ev.show(key::THREAD_CRASH_KILLS_PROGRAM, all, shown(lines(&threads)));
    }
    if !procs.is_empty() {
        let all = procs.iter().all(|r| r.observed == Observed::Contained);
        ev.show(key::PROCESS_CRASH_CONTAINED, all, shown(lines(&procs)));
    }
}

/// The deadlock was detected; the racing load-then-store lost updates.
fn deadlock_and_race(rows: &[Row], ev: &mut Evidence, shown: &impl Fn(String) -> String) {
    if let Some(r) = find(rows, "deadlock", "two locks, opposite order") {
        ev.show(
            key::DEADLOCK_DETECTED,
            r.observed == Observed::Deadlock { detected: true },
            shown(format!("{}: {}", line(r), r.detail)),
        );
    }
    if let Some(r) = find(rows, "race", "load then store") {
        let lost = matches!(r.observed, Observed::Updates { expected, total } if total < expected);
        ev.show(key::RACE_LOSES_UPDATES, lost, shown(line(r)));
    }
}

/// A thread's write is seen by the others, a forked child's is not; another
/// process's memory is refused to an unprivileged reader.
fn isolation(rows: &[Row], ev: &mut Evidence, shown: &impl Fn(String) -> String) {
    if let Some(r) = find(rows, "isolation", "write from a thread") {
        ev.show(
            key::THREAD_WRITE_VISIBLE,
            r.observed
                == Observed::Write {
                    seen_by_other: true,
                },
            shown(line(r)),
        );
    }
    if let Some(r) = find(rows, "isolation", "write after fork") {
        ev.show(
            key::FORK_WRITE_INVISIBLE,
            r.observed
                == Observed::Write {
                    seen_by_other: false,
                },
            shown(line(r)),
        );
    }
    if let Some(r) = find(rows, "isolation", "read another's memory, unprivileged") {
        ev.show(
            key::FOREIGN_READ_REFUSED,
            r.observed == Observed::ForeignRead { refused: true },
            shown(line(r)),
        );
    }
}

/// A process pool recovers from a dead worker, delivering every answer once.
fn pool(rows: &[Row], ev: &mut Evidence, shown: &impl Fn(String) -> String) {
    if let Some(r) = of(rows, "pool").find(|r| r.unit == "processes") {
        match r.observed {
            // A pool that never lost a worker shows nothing about recovery.
            Observed::Pool {
                fault_happened: false,
                ..
            } => ev.miss(
                key::PROCESS_POOL_RECOVERS,
                shown(format!("the worker's fault did not happen: {}", line(r))),
            ),
            Observed::Pool {
                jobs,
                delivered,
                exactly_once,
                ..
            } => ev.show(
                key::PROCESS_POOL_RECOVERS,
                exactly_once && delivered == jobs,
                shown(line(r)),
            ),
            _ => ev.show(key::PROCESS_POOL_RECOVERS, false, shown(line(r))),
        }
    }
}

/// An unreaped child is a zombie until reaped, and gone after.
fn zombies(rows: &[Row], ev: &mut Evidence, shown: &impl Fn(String) -> String) {
    if let Some(r) = find(rows, "zombies", "unreaped child") {
        ev.show(
            key::ZOMBIE_UNTIL_REAPED,
            r.observed
                == Observed::Zombie {
                    seen: true,
                    gone_after_wait: true,
                },
            shown(line(r)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_in_words_says_neither_its_unit_nor_its_status_twice() {
        let r = Row {
            experiment: "isolation".into(),
            case: "write from a thread".into(),
            unit: "thread".into(),
            outcome: "visible".into(),
            status: "joined".into(),
            ..Row::default()
        };
        assert_eq!(line(&r), "isolation write from a thread: visible (joined)");
        let r = Row {
            experiment: "crash".into(),
            case: "abort".into(),
            unit: "thread".into(),
            outcome: "the whole program died with its thread (SIGABRT)".into(),
            status: "SIGABRT".into(),
            ..Row::default()
        };
        assert_eq!(
            line(&r),
            "crash abort thread: the whole program died with its thread (SIGABRT)"
        );
    }
}
