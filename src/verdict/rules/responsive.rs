//! The rule read from an interface answering while heavy work runs:
//! threads keep a program responsive (T4).
//!
//! The interface's median answer time with the heavy work on other threads
//! is set against the same with the work in its own thread, for each size
//! of the work's chunk, over the range of interleaved repetitions: clearly
//! faster on another thread bears the claim out, clearly slower refutes
//! it, inside the noise is no clear difference, and chunk sizes that
//! disagree make it depend on the chunk.

use super::{missing, word_of_ratio, Judgement, Word};
use crate::evidence::{show, Evidence};
use crate::experiment::responsive::{key, HeavyWork};

pub fn responsive(ev: &Evidence) -> Judgement {
    let ok = key::median(HeavyWork::OtherThread);
    let Some(other) = ev.figure(&ok) else {
        return missing(ev, &["responsive"], "needs the `responsive` experiment");
    };
    let mut keys = vec![ok];
    let mut chunks: Vec<(String, Word)> = Vec::new();
    let mut lines = Vec::new();
    let mut i = 0;
    while let Some(c) = ev.figure(&key::chunk(i)) {
        let sk = key::same_thread_median(i);
        if let Some(same) = ev.figure(&sk) {
            keys.push(key::chunk(i));
            keys.push(sk);
            let r = same.over(other, "");
            let word = word_of_ratio(&r);
            let size = show(c);
            lines.push(format!(
                "{size} chunks: same thread {}, {} the other threads' time: {}",
                show(same),
                show(&r),
                word.label(false)
            ));
            chunks.push((size, word));
        }
        i += 1;
    }
    if chunks.is_empty() {
        return missing(
            ev,
            &["responsive"],
            "needs the `responsive` experiment (no same-thread figures)",
        );
    }
    let word = if chunks.iter().all(|(_, w)| *w == chunks[0].1) {
        chunks[0].1.clone()
    } else {
        let said: Vec<String> = chunks
            .iter()
            .map(|(c, w)| format!("{} at {c}", w.label(false)))
            .collect();
        Word::Depends {
            on: format!("the size of the work's chunks ({})", said.join(", ")),
        }
    };
    let mut beside = Vec::new();
    for (k, what) in [
        (key::median(HeavyWork::None), "with no heavy work"),
        (
            key::median(HeavyWork::OtherProcess),
            "with it in other processes",
        ),
        (
            key::p99(HeavyWork::OtherThread),
            "99th percentile on other threads",
        ),
    ] {
        if let Some(f) = ev.figure(&k) {
            beside.push(format!("{what} {}", show(f)));
            keys.push(k);
        }
    }
    Judgement {
        word,
        rule: format!(
            "holds when the interface answers faster (median answer time) with the heavy work on other threads than with \
             it in the interface's own thread, over the whole range of interleaved repetitions, for every size of the \
             work's chunk; inside that range is no clear difference. Other threads {}; {}{}",
            show(other),
            lines.join("; "),
            if beside.is_empty() {
                String::new()
            } else {
                format!(" (beside: {})", beside.join(", "))
            }
        ),
        figures: keys,
        commands: vec![other.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;
    use crate::evidence::Figure;

    /// Other threads at about 7 µs, and the same thread per chunk.
    fn ev(same: &[(f64, f64, f64)]) -> Evidence {
        let mut pairs: Vec<(String, Figure)> = vec![(
            key::median(HeavyWork::OtherThread),
            fig(7_000.0, 6_000.0, 9_000.0),
        )];
        for (i, &(v, lo, hi)) in same.iter().enumerate() {
            let c = [1e6, 1e7][i.min(1)];
            pairs.push((key::chunk(i), fig(c, c, c)));
            pairs.push((key::same_thread_median(i), fig(v, lo, hi)));
        }
        with(&pairs)
    }

    #[test]
    fn t4_holds_when_another_thread_keeps_the_interface_faster_at_every_chunk() {
        let e = ev(&[(500e3, 450e3, 560e3), (5e6, 4.6e6, 5.3e6)]);
        assert_eq!(responsive(&e).word, Word::Holds);
    }

    #[test]
    fn t4_fails_when_the_interface_answers_faster_with_the_work_in_its_own_thread() {
        let e = ev(&[(3_000.0, 2_800.0, 3_200.0)]);
        assert_eq!(responsive(&e).word, Word::Fails);
    }

    #[test]
    fn t4_a_difference_inside_the_noise_is_no_clear_difference() {
        let e = ev(&[(7_500.0, 5_000.0, 12_000.0)]);
        assert_eq!(responsive(&e).word, Word::NoClearDifference);
    }

    #[test]
    fn t4_depends_on_the_chunk_when_the_sizes_disagree() {
        let e = ev(&[(7_500.0, 5_000.0, 12_000.0), (5e6, 4.6e6, 5.3e6)]);
        match responsive(&e).word {
            Word::Depends { on } => assert!(on.contains("chunk"), "{on}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn t4_is_not_measurable_without_the_experiment() {
        assert!(matches!(
            responsive(&Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
        assert!(matches!(
            responsive(&ev(&[])).word,
            Word::NotMeasurable { .. }
        ));
    }
}
