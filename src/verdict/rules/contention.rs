//! The rule read from threads adding to one total: synchronisation costs
//! extra CPU (T10).

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence};
use crate::experiment::contention::{key, Method};

pub fn contention(ev: &Evidence) -> Judgement {
    let base = key::cpu_per_add(Method::PerWorker);
    let Some(b) = ev.figure(&base) else {
        return missing(ev, &["contention"], "needs the `contention` experiment");
    };
    let mut keys = vec![base.clone()];
    let mut costly = Vec::new();
    let mut cheap = Vec::new();
    for m in [
        Method::Atomic,
        Method::Mutex,
        Method::Rwlock,
        Method::Channel,
    ] {
        let k = key::cpu_per_add(m);
        let Some(f) = ev.figure(&k) else { continue };
        keys.push(k);
        let r = f.over(b, "");
        let line = format!("{m} {} ({} of unsynchronised)", show(f), show(&r));
        if against(&r, 1.0 + MARGIN) == Compared::Above {
            costly.push(line);
        } else {
            cheap.push(line);
        }
    }
    let word = if cheap.is_empty() && !costly.is_empty() {
        Word::Holds
    } else if costly.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: "the mechanism".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when every synchronised way of adding to a shared total costs more CPU per addition than per-worker sums merged at the end ({}); {}",
            show(b),
            costly.into_iter().chain(cheap).collect::<Vec<_>>().join("; ")
        ),
        figures: keys,
        commands: vec![b.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;

    #[test]
    fn t10_holds_when_every_lock_costs_more_than_private_sums() {
        let k = key::cpu_per_add;
        let base = (k(Method::PerWorker), fig(1.0, 0.9, 1.1));
        let ev = with(&[
            base.clone(),
            (k(Method::Atomic), fig(20.0, 19.0, 21.0)),
            (k(Method::Mutex), fig(50.0, 45.0, 55.0)),
        ]);
        assert_eq!(contention(&ev).word, Word::Holds);
        let ev = with(&[base.clone(), (k(Method::Atomic), fig(1.0, 0.9, 1.1))]);
        assert_eq!(contention(&ev).word, Word::Fails);
        let ev = with(&[
            base,
            (k(Method::Atomic), fig(1.0, 0.9, 1.1)),
            (k(Method::Mutex), fig(50.0, 45.0, 55.0)),
        ]);
        assert!(matches!(contention(&ev).word, Word::Depends { .. }));
    }
}
