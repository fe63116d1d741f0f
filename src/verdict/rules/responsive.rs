//! The rule read from an interface answering while heavy work runs:
//! threads keep a program responsive (T4).

use super::scale::SERIAL;
use super::{missing, Judgement, Word};
use crate::evidence::{against, show, Compared, Evidence};
use crate::experiment::responsive::{key, HeavyWork};

pub fn responsive(ev: &Evidence) -> Judgement {
    let (sk, ok) = (
        key::p99(HeavyWork::SameThread),
        key::p99(HeavyWork::OtherThread),
    );
    let (Some(same), Some(other)) = (ev.figure(&sk), ev.figure(&ok)) else {
        return missing(ev, &["responsive"], "needs the `responsive` experiment");
    };
    let r = same.over(other, "");
    let word = match against(&r, 2.0) {
        Compared::Above => Word::Holds,
        _ if r.high < SERIAL => Word::Fails,
        _ => Word::NoClearDifference,
    };
    Judgement {
        word,
        rule: format!(
            "holds when the interface answers at least twice as fast (99th percentile) with the heavy work on another thread \
             than on its own thread, fails when under {SERIAL}× as fast; same thread {}, other thread {}, ratio {}",
            show(same),
            show(other),
            show(&r)
        ),
        figures: vec![sk, ok],
        commands: vec![same.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;

    #[test]
    fn t4_holds_when_another_thread_keeps_the_interface_fast() {
        let other = (
            key::p99(HeavyWork::OtherThread),
            fig(1_000.0, 900.0, 1_100.0),
        );
        let same = |v, lo, hi| (key::p99(HeavyWork::SameThread), fig(v, lo, hi));
        let j = |s| responsive(&with(&[other.clone(), s])).word;
        assert_eq!(j(same(50_000.0, 45_000.0, 55_000.0)), Word::Holds);
        assert_eq!(j(same(1_000.0, 950.0, 1_050.0)), Word::Fails);
        assert_eq!(j(same(1_500.0, 1_000.0, 2_500.0)), Word::NoClearDifference);
    }
}
