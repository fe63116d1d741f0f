//! The rule read from units waiting at once: the processor works while
//! others wait (T6, A1).

use super::scale::SERIAL;
use super::{missing, Judgement, Word};
use crate::evidence::{show, Evidence};
use crate::experiment::overlap::key;

pub fn overlap(ev: &Evidence) -> Judgement {
    let (Some(s), Some(n)) = (ev.figure(key::THREADS_SPEEDUP), ev.figure(key::UNITS)) else {
        return missing(ev, &["overlap"], "needs the `overlap` experiment");
    };
    let n = n.value;
    let word = if s.low > 0.8 * n {
        Word::Holds
    } else if s.high < SERIAL {
        Word::Fails
    } else {
        Word::Depends {
            on: "how much of the work is waiting".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when {n:.0} threads each waiting on I/O finish together over 0.8×{n:.0} times faster than one after another \
             (the processor works while others wait); measured {}",
            show(s)
        ),
        figures: vec![key::THREADS_SPEEDUP.into(), key::UNITS.into()],
        commands: vec![s.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio, with};
    use super::*;

    #[test]
    fn t6_reads_the_overlap_speedup_against_the_number_of_units() {
        let n = (key::UNITS.to_string(), fig(8.0, 8.0, 8.0));
        let s = |v, lo, hi| (key::THREADS_SPEEDUP.to_string(), ratio(v, lo, hi));
        assert_eq!(
            overlap(&with(&[n.clone(), s(7.8, 7.6, 7.9)])).word,
            Word::Holds
        );
        assert_eq!(
            overlap(&with(&[n.clone(), s(1.0, 0.9, 1.1)])).word,
            Word::Fails
        );
        assert!(matches!(
            overlap(&with(&[n, s(4.0, 3.0, 5.0)])).word,
            Word::Depends { .. }
        ));
    }
}
