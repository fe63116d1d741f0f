//! One rule per claim: evidence in, a verdict word out, with the rule
//! spelled out and the figures it used. Nothing here is decided in advance:
//! every word is computed from the figures just measured, and a difference
//! inside the noise never becomes "holds".
//!
//! One file per family of claims, each reading the figures by the key
//! functions of the experiment that shows them, so the names cannot drift.

mod contention;
mod cpython;
mod faults;
mod memory;
mod overlap;
mod rally;
#[cfg(test)]
mod reach;
mod responsive;
mod scale;
mod spawn;

use crate::evidence::{against, Compared, Evidence, Figure};
use serde::{Deserialize, Serialize};

pub use cpython::{judge_cpython, BOTH};
pub use scale::BUSY;

/// A difference must exceed this (as a ratio, 1 ± MARGIN) in every
/// interleaved repetition to count.
pub const MARGIN: f64 = 0.02;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "word", rename_all = "snake_case")]
pub enum Word {
    Holds,
    Fails,
    Depends { on: String },
    NoClearDifference,
    NotMeasurable { why: String },
}

impl Word {
    pub fn label(&self, ru: bool) -> String {
        match (self, ru) {
            (Word::Holds, false) => "holds".into(),
            (Word::Holds, true) => "верно".into(),
            (Word::Fails, false) => "fails".into(),
            (Word::Fails, true) => "неверно".into(),
            (Word::Depends { on }, false) => format!("depends on {on}"),
            (Word::Depends { on }, true) => format!("зависит: {on}"),
            (Word::NoClearDifference, false) => "no clear difference".into(),
            (Word::NoClearDifference, true) => "нет явной разницы".into(),
            (Word::NotMeasurable { .. }, false) => "not measurable here".into(),
            (Word::NotMeasurable { .. }, true) => "здесь не измерить".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub word: Word,
    /// The rule and what it found, in one or two sentences.
    pub rule: String,
    /// Keys of the figures the verdict rests on.
    pub figures: Vec<String>,
    /// Commands that reproduce the experiments alone.
    pub commands: Vec<String>,
}

/// "Not measurable here", with the reason the first of `steps` that failed
/// gave, else `fallback`.
pub(crate) fn missing(ev: &Evidence, steps: &[&str], fallback: &str) -> Judgement {
    let why = steps
        .iter()
        .find_map(|s| ev.missing.get(*s))
        .map(|m| m.why.clone())
        .unwrap_or_else(|| fallback.to_string());
    Judgement {
        word: Word::NotMeasurable { why: why.clone() },
        rule: why,
        figures: vec![],
        commands: vec![],
    }
}

/// A definitional claim, shown live by the verdict itself.
fn demo(ev: &Evidence, key: &str, claim: &str) -> Judgement {
    match ev.demo(key) {
        Some(d) => Judgement {
            word: if d.shows_claim {
                Word::Holds
            } else {
                Word::Fails
            },
            rule: format!("definitional, shown live: {}", d.shown),
            figures: vec![],
            commands: vec!["pingpong verdict".into()],
        },
        None => missing(
            ev,
            &[key],
            &format!("the demonstration for {claim} was not run"),
        ),
    }
}

/// Holds above `1 + MARGIN`, fails below `1 - MARGIN`, else no clear difference.
fn word_of_ratio(r: &Figure) -> Word {
    match against(r, 1.0 + MARGIN) {
        Compared::Above => Word::Holds,
        _ if against(r, 1.0 - MARGIN) == Compared::Below => Word::Fails,
        _ => Word::NoClearDifference,
    }
}

/// The verdict on claim `id` from `ev`.
pub fn judge(id: &str, ev: &Evidence) -> Judgement {
    match id {
        "T1" | "P2" => demo(ev, "threads_share_a_pid", id),
        "P1" => demo(ev, "the_os_makes_a_process", "P1"),
        "T2" | "T5" | "A8" => demo(ev, "threads_share_globals", id),
        "P11" => rally::processes_slower(ev),
        "A3" => rally::reach_directly(ev),
        "A4" => rally::switching(ev),
        "P7" => rally::network(ev),
        "T3" | "T7" | "P3" | "T8" | "A5" => scale::scale(ev, id),
        "P5" => cpython::gil(ev, crate::python::Build::Default),
        "T4" => responsive::responsive(ev),
        "T6" | "A1" => overlap::overlap(ev),
        "T10" => contention::contention(ev),
        "P9" => memory::memory(ev),
        "P12" | "A2" | "A6" => spawn::spawn_cost(ev, id),
        "T11" | "P6" | "T12" | "T13" | "T9" | "P4" | "P10" | "P8" | "A7" | "A9" => {
            faults::judge(ev, id)
        }
        other => missing(ev, &[], &format!("no rule for claim {other}")),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Synthetic figures for the rules' tests.
    use crate::evidence::{Evidence, Figure, Spread, Unit};

    pub fn fig(v: f64, lo: f64, hi: f64) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit: Unit::Ns,
            spread: Spread::Repetitions { n: 3 },
            what: String::new(),
            command: "pingpong x".into(),
        }
    }

    pub fn ratio(v: f64, lo: f64, hi: f64) -> Figure {
        Figure {
            unit: Unit::Ratio,
            ..fig(v, lo, hi)
        }
    }

    pub fn with(pairs: &[(String, Figure)]) -> Evidence {
        let mut ev = Evidence::default();
        for (k, f) in pairs {
            ev.put(k.clone(), f.clone());
        }
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definitional_claim_follows_its_demonstration() {
        let mut ev = Evidence::default();
        ev.show("threads_share_a_pid", true, "x");
        assert_eq!(judge("T1", &ev).word, Word::Holds);
        ev.show("threads_share_a_pid", false, "x");
        assert_eq!(judge("T1", &ev).word, Word::Fails);
        assert!(matches!(
            judge("T1", &Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
    }

    #[test]
    fn without_evidence_a_claim_is_not_measurable_and_says_why() {
        let j = judge("P12", &Evidence::default());
        match j.word {
            Word::NotMeasurable { why } => assert!(why.contains("spawn"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn every_claim_has_a_rule() {
        for c in crate::verdict::claims::all() {
            let j = judge(&c.id, &Evidence::default());
            assert!(!j.rule.contains("no rule for claim"), "{}", c.id);
        }
    }
}
