//! The rule read from memory per idle unit: processes use more memory (P9).
//!
//! What a unit adds is its family's proportional memory (PSS): a forked
//! child's PSS is charged to the child while the parent's falls by the pages
//! they share, so the experiment counts parent and children together; a
//! thread's is the growth of its one process. Each start method is compared
//! with threads over the range of the interleaved repetitions: more, less,
//! or no clear difference; fork and spawn disagreeing is "depends on the
//! start method".

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{show, Compared, Evidence, Figure};
use crate::experiment::memory::key;
use crate::kinds::UnitKind;

/// Where `a`'s interval lies against `b`'s: above only if `a`'s lowest
/// exceeds `b`'s highest by more than the margin (below alike). Works on
/// differences, so a thread's growth near zero needs no division.
fn compare(a: &Figure, b: &Figure) -> Compared {
    if a.low - b.high > MARGIN * b.high.abs() {
        Compared::Above
    } else if b.low - a.high > MARGIN * b.low.abs() {
        Compared::Below
    } else {
        Compared::Inside
    }
}

/// `fig` with its USS beside it, if measured.
fn with_uss(ev: &Evidence, unit: UnitKind, fig: &Figure, keys: &mut Vec<String>) -> String {
    let k = key::uss_per_unit(unit);
    match ev.figure(&k) {
        Some(u) => {
            keys.push(k);
            format!("{} (USS {})", show(fig), show(u))
        }
        None => format!("{} (USS not measured)", show(fig)),
    }
}

pub fn memory(ev: &Evidence) -> Judgement {
    let tk = key::pss_per_unit(UnitKind::Thread);
    let Some(t) = ev.figure(&tk) else {
        return missing(ev, &["memory"], "needs the `memory` experiment");
    };
    let mut keys = vec![tk.clone()];
    let thread = with_uss(ev, UnitKind::Thread, t, &mut keys);
    let mut words = Vec::new();
    let mut lines = Vec::new();
    for (name, unit) in [("forked", UnitKind::Fork), ("spawned", UnitKind::Spawn)] {
        let k = key::pss_per_unit(unit);
        let Some(fig) = ev.figure(&k) else { continue };
        keys.push(k);
        let (word, how) = match compare(fig, t) {
            Compared::Above => (Word::Holds, "more"),
            Compared::Below => (Word::Fails, "less"),
            Compared::Inside => (Word::NoClearDifference, "no clear difference"),
        };
        let ratio = if t.value > 0.0 {
            format!(", {} a thread's", show(&fig.over(t, "")))
        } else {
            String::new()
        };
        lines.push(format!(
            "{name} processes {}{ratio}: {how}",
            with_uss(ev, unit, fig, &mut keys)
        ));
        words.push((name, word));
    }
    if words.is_empty() {
        return missing(
            ev,
            &["memory"],
            "needs the `memory` experiment (no process figures)",
        );
    }
    let word = if words.iter().all(|(_, w)| *w == words[0].1) {
        words[0].1.clone()
    } else {
        let said: Vec<String> = words
            .iter()
            .map(|(n, w)| format!("{} when {n}", w.label(false)))
            .collect();
        Word::Depends {
            on: format!(
                "the start method ({}: fork shares the parent's pages copy-on-write, spawn builds a new image)",
                said.join(", ")
            ),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when each idle process adds more proportional memory (PSS) to its family (parent + children, \
             since the parent's PSS falls by the pages it shares) than each idle thread adds to its process, \
             over the whole range of interleaved repetitions; a difference inside that range is no clear difference. \
             Per unit: threads {thread}; {}",
            lines.join("; ")
        ),
        figures: keys,
        commands: vec![t.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;

    fn judge(
        thread: (f64, f64, f64),
        fork: Option<(f64, f64, f64)>,
        spawn: Option<(f64, f64, f64)>,
    ) -> Word {
        let k = key::pss_per_unit;
        let mut pairs = vec![(k(UnitKind::Thread), fig(thread.0, thread.1, thread.2))];
        for (unit, f) in [(UnitKind::Fork, fork), (UnitKind::Spawn, spawn)] {
            if let Some((v, lo, hi)) = f {
                pairs.push((k(unit), fig(v, lo, hi)));
            }
        }
        memory(&with(&pairs)).word
    }

    #[test]
    fn p9_holds_when_every_start_method_adds_more_to_its_family_than_a_thread() {
        let w = judge(
            (8.0, 6.5, 8.5),
            Some((130.0, 115.0, 140.0)),
            Some((610.0, 600.0, 620.0)),
        );
        assert_eq!(w, Word::Holds);
    }

    #[test]
    fn p9_fails_when_processes_clearly_add_less() {
        let w = judge(
            (400.0, 380.0, 420.0),
            Some((90.0, 88.0, 92.0)),
            Some((90.0, 85.0, 95.0)),
        );
        assert_eq!(w, Word::Fails);
    }

    #[test]
    fn p9_a_difference_inside_the_repetitions_is_no_clear_difference_not_a_failure() {
        // Fork's median is below the thread's, but the ranges overlap.
        let w = judge((40.0, 30.0, 50.0), Some((35.0, 25.0, 45.0)), None);
        assert_eq!(w, Word::NoClearDifference);
    }

    #[test]
    fn p9_depends_on_the_start_method_when_fork_and_spawn_disagree() {
        let w = judge(
            (40.0, 38.0, 42.0),
            Some((41.0, 30.0, 50.0)),
            Some((900.0, 880.0, 920.0)),
        );
        match w {
            Word::Depends { on } => assert!(on.contains("start method"), "{on}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn p9_is_not_measurable_without_the_experiment_and_says_why() {
        let mut ev = Evidence::default();
        ev.miss("memory", "smaps_rollup unreadable");
        match memory(&ev).word {
            Word::NotMeasurable { why } => assert!(why.contains("smaps_rollup"), "{why}"),
            w => panic!("{w:?}"),
        }
        // Threads alone decide nothing either.
        let k = key::pss_per_unit(UnitKind::Thread);
        assert!(matches!(
            memory(&with(&[(k, fig(8.0, 7.0, 9.0))])).word,
            Word::NotMeasurable { .. }
        ));
    }

    #[test]
    fn p9_shows_uss_beside_pss_or_says_it_was_not_measured() {
        let k = key::pss_per_unit;
        let mut ev = with(&[
            (k(UnitKind::Thread), fig(8.0, 7.0, 9.0)),
            (k(UnitKind::Fork), fig(130.0, 120.0, 140.0)),
        ]);
        assert!(memory(&ev).rule.contains("USS not measured"));
        ev.put(key::uss_per_unit(UnitKind::Fork), fig(125.0, 120.0, 130.0));
        let j = memory(&ev);
        assert!(j.figures.contains(&key::uss_per_unit(UnitKind::Fork)));
        assert!(j.rule.contains("USS"), "{}", j.rule);
    }
}
