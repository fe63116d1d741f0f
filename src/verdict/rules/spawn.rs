//! Rules read from the cost of starting and ending units: processes cost
//! more than threads (P12, A2, A6).

use super::{missing, word_of_ratio, Judgement, MARGIN};
use crate::evidence::{show, Evidence};
use crate::experiment::spawn_cost::{key, Method};

/// A judgement on "A costs more than B" from two named figures.
fn costs_more(ev: &Evidence, a: &str, b: &str, claim: &str) -> Judgement {
    let (Some(fa), Some(fb)) = (ev.figure(a), ev.figure(b)) else {
        return missing(
            ev,
            &["spawn"],
            &format!("needs the `spawn` experiment ({a} and {b} were not measured)"),
        );
    };
    let r = fa.over(fb, "");
    Judgement {
        word: word_of_ratio(&r),
        rule: format!(
            "{claim}: holds when {a} exceeds {b} by over {:.0}% with both intervals taken into account; \
             measured {a} = {}, {b} = {}, ratio {}",
            MARGIN * 100.0,
            show(fa),
            show(fb),
            show(&r)
        ),
        figures: vec![a.into(), b.into()],
        commands: vec![fa.command.clone()],
    }
}

pub fn spawn_cost(ev: &Evidence, id: &str) -> Judgement {
    let thread = key::total(Method::StdThread, false);
    match id {
        "P12" => costs_more(ev, &key::total(Method::Fork, false), &thread, "creating and reaping a process (fork + _exit + waitpid) against creating and joining a thread"),
        "A2" => costs_more(ev, &key::total(Method::Fork, false), &thread, "a process needs an address space built and freed, a thread does not"),
        _ => {
            let mut j = costs_more(ev, &key::total(Method::Fork, true), &thread, "forking a process with a large resident heap (its page tables are copied) against starting a thread");
            j.rule.push_str(" (the platform: see the machine description; the costs vary by kernel and hardware)");
            j
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::super::Word;
    use super::*;

    #[test]
    fn p12_holds_when_fork_costs_more_fails_when_less_unclear_inside_noise() {
        let t = (
            key::total(Method::StdThread, false),
            fig(20_000.0, 19_000.0, 21_000.0),
        );
        let fork = |v, lo, hi| (key::total(Method::Fork, false), fig(v, lo, hi));
        let ev = with(&[t.clone(), fork(90_000.0, 85_000.0, 95_000.0)]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::Holds);
        let ev = with(&[t.clone(), fork(10_000.0, 9_000.0, 11_000.0)]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::Fails);
        let ev = with(&[t, fork(20_500.0, 18_000.0, 23_000.0)]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::NoClearDifference);
        assert!(matches!(
            spawn_cost(&Evidence::default(), "P12").word,
            Word::NotMeasurable { .. }
        ));
    }
}
