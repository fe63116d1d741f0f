//! The rule read from memory per idle unit: processes use more memory (P9).

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence};
use crate::experiment::memory::key;
use crate::kinds::UnitKind;

pub fn memory(ev: &Evidence) -> Judgement {
    let tk = key::pss_per_unit(UnitKind::Thread);
    let Some(t) = ev.figure(&tk) else {
        return missing(ev, &["memory"], "needs the `memory` experiment");
    };
    let mut more = Vec::new();
    let mut not = Vec::new();
    let mut keys = vec![tk.clone()];
    for (name, unit) in [("forked", UnitKind::Fork), ("spawned", UnitKind::Spawn)] {
        let k = key::pss_per_unit(unit);
        let Some(fig) = ev.figure(&k) else { continue };
        keys.push(k);
        let r = fig.over(t, "");
        let line = format!(
            "{name} processes {} per unit = {} of a thread's",
            show(fig),
            show(&r)
        );
        if against(&r, 1.0 + MARGIN) == Compared::Above {
            more.push(line);
        } else {
            not.push(line);
        }
    }
    if more.is_empty() && not.is_empty() {
        return missing(
            ev,
            &["memory"],
            "needs the `memory` experiment (no process figures)",
        );
    }
    let word = if not.is_empty() {
        Word::Holds
    } else if more.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: "the start method (fork shares pages copy-on-write, spawn does not)".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when each idle process adds more proportional memory (PSS) than each idle thread ({} per thread); {}",
            show(t),
            more.into_iter().chain(not).collect::<Vec<_>>().join("; ")
        ),
        figures: keys,
        commands: vec![t.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;

    #[test]
    fn p9_depends_on_the_start_method_when_only_spawned_processes_cost_more() {
        let k = key::pss_per_unit;
        let ev = with(&[
            (k(UnitKind::Thread), fig(40.0, 38.0, 42.0)),
            (k(UnitKind::Fork), fig(41.0, 30.0, 50.0)),
            (k(UnitKind::Spawn), fig(900.0, 880.0, 920.0)),
        ]);
        assert!(matches!(memory(&ev).word, Word::Depends { .. }));
        let ev = with(&[
            (k(UnitKind::Thread), fig(40.0, 38.0, 42.0)),
            (k(UnitKind::Spawn), fig(900.0, 880.0, 920.0)),
        ]);
        assert_eq!(memory(&ev).word, Word::Holds);
        let ev = with(&[
            (k(UnitKind::Thread), fig(400.0, 380.0, 420.0)),
            (k(UnitKind::Spawn), fig(90.0, 88.0, 92.0)),
        ]);
        assert_eq!(memory(&ev).word, Word::Fails);
    }
}
