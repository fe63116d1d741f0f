//! Every rule can come out every way it says it can (tests only).
//!
//! A rule that can only ever say "holds" is a stub. This explorer finds,
//! for each claim, the figures and demonstrations its rule reads (by
//! recording what the rule asks the evidence for), feeds it thousands of
//! synthetic values for them — ratios around every threshold, intervals
//! narrow and wide, some figures absent, demonstrations either way — and
//! collects the words that come out. The table below is the specification:
//! the words each claim's rule must be able to give, in Rust's column and
//! in each CPython column. A rule that cannot reach one of its words, or
//! gives a word the table does not list, fails the test by name.

use super::{judge, judge_cpython, Word, BOTH};
use crate::evidence::asked::{recording, Asked};
use crate::evidence::{Evidence, Figure, Spread, Unit};
use crate::python::Build;
use proptest::prelude::Rng;
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::collections::BTreeSet;

/// A word without its reason, to compare sets of words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Holds,
    Fails,
    NoClearDifference,
    Depends,
    NotMeasurable,
}

impl From<&Word> for Kind {
    fn from(w: &Word) -> Kind {
        match w {
            Word::Holds => Kind::Holds,
            Word::Fails => Kind::Fails,
            Word::NoClearDifference => Kind::NoClearDifference,
            Word::Depends { .. } => Kind::Depends,
            Word::NotMeasurable { .. } => Kind::NotMeasurable,
        }
    }
}

/// A reproducible stream of synthetic values.
struct Stream(TestRng);

impl Stream {
    fn seeded(id: &str) -> Stream {
        let mut seed = [0u8; 32];
        for (i, b) in id.bytes().enumerate() {
            seed[i % 32] ^= b;
        }
        Stream(TestRng::from_seed(RngAlgorithm::ChaCha, &seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Values that fall on both sides of every threshold the rules use
/// (ratios near 1 and the margins, speedups near 1.2 and 1.5, others'
/// load near 0.25 CPUs, CPU counts 1 and more, times and sizes apart by
/// orders of magnitude, counts of 0).
const VALUES: &[f64] = &[
    0.0, 0.05, 0.2, 0.3, 0.5, 0.8, 0.9, 0.97, 1.0, 1.03, 1.1, 1.3, 1.4, 1.7, 2.0, 3.0, 4.0, 8.0,
    16.0, 64.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e8,
];

fn synthetic(s: &mut Stream) -> Figure {
    let value = s.pick(VALUES);
    let spread = s.pick(&[0.0, 0.01, 0.2, 0.6]);
    Figure {
        value,
        low: value * (1.0 - spread),
        high: value * (1.0 + spread),
        unit: Unit::Ratio,
        spread: Spread::Repetitions { n: 5 },
        what: "synthetic".into(),
        command: "pingpong synthetic".into(),
    }
}

/// Synthetic evidences per claim and column.
const ROUNDS: u32 = 2500;

/// Where a claim is judged: Rust's column or a CPython one.
#[derive(Clone, Copy, Debug)]
enum Column {
    Rust,
    CPython(Build),
}

impl Column {
    fn judge(self, id: &str, ev: &Evidence) -> Option<Word> {
        match self {
            Column::Rust => Some(judge(id, ev).word),
            Column::CPython(b) => judge_cpython(b, id, ev).map(|j| j.word),
        }
    }

    /// The key in the whole evidence behind a key the rule asked for (a
    /// CPython column's rules read a view of the evidence without the
    /// column's prefix).
    fn keys(self, asked: &str) -> Vec<String> {
        match self {
            Column::Rust => vec![asked.to_string()],
            Column::CPython(b) => vec![
                asked.to_string(),
                super::cpython::from_view(b, asked.to_string()),
            ],
        }
    }
}

/// The keys a rule finds by scanning the evidence rather than by name:
/// processes ÷ threads ratios of kernel channels and shared memory, for
/// every placement asked and found.
fn seeds() -> BTreeSet<String> {
    use crate::results::{key, Asked, PlacementClass};
    let mut out = BTreeSet::new();
    for asked in [Asked::Pinned, Asked::Free] {
        for class in PlacementClass::ALL {
            for channel in ["pipe", "unix", "futex", "shm-ring"] {
                out.insert(key::ratio(asked, class, channel));
            }
        }
    }
    out
}

/// The words claim `id` gave over many synthetic evidences in `column`.
fn explore(id: &str, column: Column) -> BTreeSet<Kind> {
    // P11 scans the evidence for the rallies' ratio keys instead of asking
    // for each by name: seed those.
    let mut figures: BTreeSet<String> = seeds();
    let mut demos: BTreeSet<String> = BTreeSet::new();
    let mut words = BTreeSet::new();
    let mut s = Stream::seeded(id);
    for round in 0..ROUNDS {
        let mut ev = Evidence::default();
        // Each round its own mix: from no figure at all to every one, and
        // now and then every figure alike (all ratios inside the noise, or
        // a quiet machine for the rules that first ask about the load).
        let present = s.pick(&[0.0, 0.2, 0.6, 0.9, 1.0]);
        let alike = (round % 4 == 0).then(|| synthetic(&mut s));
        for k in &figures {
            if s.chance(present) {
                let f = alike.clone().unwrap_or_else(|| synthetic(&mut s));
                ev.put(k.clone(), f);
            }
        }
        for k in &demos {
            if s.chance(present) {
                let shows = s.chance(0.5);
                ev.show(k.clone(), shows, "synthetic");
            }
        }
        let (word, asked) = recording(|| column.judge(id, &ev));
        if let Some(w) = word {
            words.insert(Kind::from(&w));
        }
        for a in asked {
            match a {
                Asked::Figure(k) => figures.extend(column.keys(&k)),
                Asked::Demo(k) => demos.extend(column.keys(&k)),
            }
        }
    }
    words
}

use Kind::{Depends as D, Fails as F, Holds as H, NoClearDifference as N, NotMeasurable as M};

/// The words each claim's rule must be able to give in Rust's column.
const RUST: &[(&str, &[Kind])] = &[
    ("T1", &[H, F, M]),
    ("P2", &[H, F, M]),
    ("P1", &[H, F, M]),
    ("T2", &[H, F, M]),
    ("T5", &[H, F, M]),
    ("A8", &[H, F, M]),
    ("P11", &[H, F, N, D, M]),
    ("A3", &[H, F, N, D, M]),
    ("A4", &[H, F, N, D, M]),
    ("P7", &[H, F, M]),
    ("T3", &[H, F, N, D, M]),
    ("T7", &[H, F, N, D, M]),
    ("P3", &[H, F, N, D, M]),
    ("T8", &[H, F, N, D, M]),
    ("A5", &[H, F, M]),
    ("P5", &[H, F, N, D, M]),
    ("T4", &[H, F, N, D, M]),
    ("T6", &[H, F, N, D, M]),
    ("A1", &[H, F, N, D, M]),
    ("T10", &[H, F, N, D, M]),
    ("P9", &[H, F, N, D, M]),
    ("P12", &[H, F, N, M]),
    ("A2", &[H, F, N, M]),
    ("A6", &[H, F, N, M]),
    ("T11", &[H, F, D, M]),
    ("P6", &[H, F, M]),
    ("T12", &[H, F, D, M]),
    ("T13", &[H, F, D, M]),
    ("T9", &[H, F, M]),
    ("P4", &[H, F, M]),
    ("P10", &[H, F, D, M]),
    ("P8", &[H, F, M]),
    ("A7", &[H, F, M]),
    ("A9", &[H, F, M]),
];

/// The words each CPython cell must be able to give, where its rule is
/// CPython's own (the others follow Rust's rule, as in [`RUST`]).
const CPYTHON: &[(&str, &[Kind])] = &[
    ("P7", &[H, F, D, M]),
    ("P8", &[H, F, D, M]),
    ("P12", &[H, F, N, D, M]),
    ("A2", &[H, F, N, D, M]),
    ("A6", &[H, F, N, D, M]),
    ("T12", &[H, F, N, D, M]),
    ("A7", &[H, F, N, D, M]),
    ("A9", &[H, F, N, D, M]),
];

fn report(column: Column, spec: &[(&str, &[Kind])]) -> Vec<String> {
    // The claims are explored side by side (each thread records its own).
    let got: Vec<BTreeSet<Kind>> = std::thread::scope(|s| {
        let each: Vec<_> = spec
            .iter()
            .map(|(id, _)| s.spawn(move || explore(id, column)))
            .collect();
        each.into_iter()
            .map(|h| h.join().expect("explorer"))
            .collect()
    });
    let mut wrong = Vec::new();
    for ((id, want), got) in spec.iter().zip(got) {
        let want: BTreeSet<Kind> = want.iter().copied().collect();
        if got != want {
            let never: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            wrong.push(format!(
                "{column:?} {id}: never gave {never:?}; gave unlisted {extra:?}"
            ));
        }
    }
    wrong
}

#[test]
fn every_claim_s_rule_reaches_each_of_its_words_from_synthetic_figures() {
    let claims: BTreeSet<&str> = RUST.iter().map(|(id, _)| *id).collect();
    for c in crate::verdict::claims::all() {
        assert!(claims.contains(c.id.as_str()), "{} has no row here", c.id);
    }
    let wrong = report(Column::Rust, RUST);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_cpython_cell_reaches_each_of_its_words_from_synthetic_figures() {
    let mut wrong = Vec::new();
    for b in Build::ALL.iter().copied() {
        let spec: Vec<(&str, &[Kind])> = BOTH
            .iter()
            .map(|id| {
                let own = CPYTHON.iter().chain(RUST).find(|(r, _)| r == id);
                (*id, own.map(|(_, w)| *w).unwrap_or(&[]))
            })
            .collect();
        wrong.extend(report(Column::CPython(b), &spec));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
