//! The rule read from units that compute and wait: several threads use the
//! processor better, it works while one task waits (T6, A1).
//!
//! For each mix of computing and waiting, N threads are set against the
//! same units one after another on one thread: their wall time (shorter?)
//! and the processor's utilisation, CPU time ÷ wall time (higher?), each a
//! ratio to the serial run of the same repetition, over the range of the
//! interleaved repetitions. Both clearly better bear the
//! claim out; both clearly worse refute it; anything inside the noise is no
//! clear difference; mixes that disagree make it depend on how much of the
//! work is waiting.

use super::{missing, word_of_ratio, Judgement, Word};
use crate::evidence::{show, Evidence, Figure};
use crate::experiment::overlap::{key, Runner};

pub fn overlap(ev: &Evidence) -> Judgement {
    let mut keys = Vec::new();
    let mut mixes: Vec<(f64, Word)> = Vec::new();
    let mut lines = Vec::new();
    let mut commands = Vec::new();
    let mut i = 0;
    while let Some(w) = ev.figure(&key::waiting(i)) {
        if let Some((word, line, command)) = mix(ev, i, w, &mut keys) {
            lines.push(line);
            commands.push(command);
            mixes.push((w.value, word));
        }
        i += 1;
    }
    if mixes.is_empty() {
        return missing(ev, &["overlap"], "needs the `overlap` experiment");
    }
    let word = if mixes.iter().all(|(_, w)| *w == mixes[0].1) {
        mixes[0].1.clone()
    } else {
        let said: Vec<String> = mixes
            .iter()
            .map(|(p, w)| format!("{} at {p:.0}% waiting", w.label(false)))
            .collect();
        Word::Depends {
            on: format!("how much of the work is waiting ({})", said.join(", ")),
        }
    };
    let n = ev
        .figure(key::UNITS)
        .map(|f| format!("{:.0}", f.value))
        .unwrap_or_else(|| "N".into());
    commands.dedup();
    Judgement {
        word,
        rule: format!(
            "holds when {n} threads, each computing then waiting on I/O, finish sooner than the same units one after another \
             and keep the processor busier (CPU time ÷ wall time), each repetition against the serial run of the same repetition, \
             over the whole range of the interleaved repetitions; inside that range is no clear difference. {}",
            lines.join("; ")
        ),
        figures: keys,
        commands,
    }
}

/// Mix `i` (`w` of each round waiting): its word, its line of the rule and
/// its command, the keys it read added to `keys`; None when a figure of it
/// is missing.
fn mix(
    ev: &Evidence,
    i: usize,
    w: &Figure,
    keys: &mut Vec<String>,
) -> Option<(Word, String, String)> {
    let ks = [
        key::speedup(i, Runner::Threads),
        key::cpu_use_gain(i, Runner::Threads),
        key::cpu_use(i, Runner::Serial),
        key::cpu_use(i, Runner::Threads),
    ];
    let (Some(s), Some(gain), Some(us), Some(ut)) = (
        ev.figure(&ks[0]),
        ev.figure(&ks[1]),
        ev.figure(&ks[2]),
        ev.figure(&ks[3]),
    ) else {
        return None;
    };
    keys.push(key::waiting(i));
    keys.extend(ks.iter().cloned());
    let word = match (word_of_ratio(s), word_of_ratio(gain)) {
        (Word::Holds, Word::Holds) => Word::Holds,
        (Word::Fails, Word::Fails | Word::NoClearDifference)
        | (Word::NoClearDifference, Word::Fails) => Word::Fails,
        _ => Word::NoClearDifference,
    };
    let processes = match ev.figure(&key::speedup(i, Runner::ProcessesFork)) {
        Some(p) => {
            keys.push(key::speedup(i, Runner::ProcessesFork));
            format!("; processes {} as fast", show(p))
        }
        None => String::new(),
    };
    let line = format!(
        "{:.0}% waiting: threads {} as fast as one after another, the processor busy {} against {} ({} as busy){processes}: {}",
        w.value,
        show(s),
        show(ut),
        show(us),
        show(gain),
        word.label(false)
    );
    Some((word, line, s.command.clone()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio, with};
    use super::*;
    use crate::evidence::Figure;

    /// One mix: its waiting share, the threads' speedup, and the serial
    /// and threads' CPU use, each (value, low, high); the gain in CPU use
    /// is their ratio (conservatively bounded, as unpaired).
    type Mix = (f64, (f64, f64, f64), (f64, f64, f64), (f64, f64, f64));

    fn ev(mixes: &[Mix]) -> Evidence {
        let mut pairs: Vec<(String, Figure)> = vec![(key::UNITS.into(), fig(4.0, 4.0, 4.0))];
        for (i, &(w, s, us, ut)) in mixes.iter().enumerate() {
            pairs.push((key::waiting(i), fig(w, w, w)));
            pairs.push((key::speedup(i, Runner::Threads), ratio(s.0, s.1, s.2)));
            pairs.push((key::cpu_use(i, Runner::Serial), fig(us.0, us.1, us.2)));
            pairs.push((key::cpu_use(i, Runner::Threads), fig(ut.0, ut.1, ut.2)));
            let gain = fig(ut.0, ut.1, ut.2).over(&fig(us.0, us.1, us.2), "");
            pairs.push((key::cpu_use_gain(i, Runner::Threads), gain));
        }
        with(&pairs)
    }

    const WAITING_GAINS: Mix = (80.0, (3.6, 3.4, 3.8), (0.2, 0.19, 0.21), (0.75, 0.7, 0.8));
    const COMPUTING_GAINS: Mix = (20.0, (2.0, 1.8, 2.1), (0.8, 0.78, 0.82), (1.6, 1.5, 1.7));
    const COMPUTING_SAME: Mix = (
        20.0,
        (1.0, 0.95, 1.05),
        (0.8, 0.75, 0.85),
        (0.8, 0.76, 0.84),
    );
    const WORSE: Mix = (
        80.0,
        (0.5, 0.45, 0.55),
        (0.2, 0.19, 0.21),
        (0.1, 0.09, 0.11),
    );

    #[test]
    fn t6_holds_when_threads_finish_sooner_and_keep_the_processor_busier_in_every_mix() {
        assert_eq!(
            overlap(&ev(&[WAITING_GAINS, COMPUTING_GAINS])).word,
            Word::Holds
        );
    }

    #[test]
    fn t6_fails_when_threads_are_slower_and_leave_the_processor_idler() {
        assert_eq!(overlap(&ev(&[WORSE])).word, Word::Fails);
    }

    #[test]
    fn t6_a_gain_inside_the_noise_is_no_clear_difference() {
        assert_eq!(
            overlap(&ev(&[COMPUTING_SAME])).word,
            Word::NoClearDifference
        );
        // A shorter wall time without a clearly busier processor is not enough.
        let half = (80.0, (1.5, 1.4, 1.6), (0.2, 0.1, 0.3), (0.3, 0.15, 0.4));
        assert_eq!(overlap(&ev(&[half])).word, Word::NoClearDifference);
    }

    #[test]
    fn t6_depends_on_how_much_is_waiting_when_the_mixes_disagree() {
        match overlap(&ev(&[WAITING_GAINS, COMPUTING_SAME])).word {
            Word::Depends { on } => assert!(on.contains("waiting"), "{on}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn t6_is_not_measurable_without_the_experiment() {
        assert!(matches!(
            overlap(&Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
    }

    #[test]
    fn a1_is_judged_by_the_same_rule() {
        let e = ev(&[WAITING_GAINS]);
        assert_eq!(super::super::judge("A1", &e).word, overlap(&e).word);
        assert_eq!(super::super::judge("T6", &e).word, Word::Holds);
    }
}
