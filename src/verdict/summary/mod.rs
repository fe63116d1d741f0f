//! The bottom line of a verdict: how many claims got each word, and a
//! short paragraph answering "threads or processes on this machine?" built
//! from this run's figures — what a process costs to start and to keep
//! against a thread, what a round trip between processes costs against
//! threads on each family of channels, whether threads ran at once, what a
//! crash does, and CPython's GIL.
//!
//! Nothing here is canned: each sentence is put together from the figures
//! it cites (value and interval, by key) and from words computed from them
//! against the same noise margin the rules use; a sentence whose figures
//! are missing says what was not measured and why. So a different machine
//! gives different sentences. Every output (terminal, Markdown, HTML)
//! renders the same typed [`Summary`].

mod costs;
mod faults;
mod parallel;
mod round_trips;

pub use round_trips::{rally_ratios, Family, Pinned, RallyRatio};

use super::rules::{Word, MARGIN};
use super::{Verdict, VerdictDocument};
use crate::document::Document;
use crate::evidence::{Compared, Evidence, Figure};
use crate::faults::Row;
use crate::python::Build;
use costs::{keep, start};
use faults::crash;
use parallel::{gil, parallel};
use round_trips::round_trips;

/// How many claims got each word, in one column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub judged: usize,
    pub holds: usize,
    pub fails: usize,
    pub depends: usize,
    pub no_difference: usize,
    pub not_measurable: usize,
}

impl Counts {
    pub fn of<'a>(words: impl Iterator<Item = &'a Word>) -> Counts {
        let mut c = Counts::default();
        for w in words {
            c.judged += 1;
            match w {
                Word::Holds => c.holds += 1,
                Word::Fails => c.fails += 1,
                Word::Depends { .. } => c.depends += 1,
                Word::NoClearDifference => c.no_difference += 1,
                Word::NotMeasurable { .. } => c.not_measurable += 1,
            }
        }
        c
    }

    /// "34 claims: 12 hold, 5 fail, …".
    pub fn line(&self, ru: bool) -> String {
        if ru {
            format!(
                "утверждений: {}; верно {}, неверно {}, зависит {}, нет явной разницы {}, здесь не измерить {}",
                self.judged, self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        } else {
            format!(
                "{} claims: {} hold, {} fail, {} depend, {} show no clear difference, {} not measurable here",
                self.judged, self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        }
    }

    /// "12 hold · 5 fail · …" without the total, for a column.
    pub fn short(&self, ru: bool) -> String {
        if ru {
            format!(
                "верно {} · неверно {} · зависит {} · нет разницы {} · н/и {}",
                self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        } else {
            format!(
                "{} hold · {} fail · {} depend · {} no diff · {} n/m",
                self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        }
    }
}

/// What a sentence of the bottom line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Start,
    Memory,
    RoundTrip(Family),
    Parallel,
    Crash,
    Gil,
}

/// One sentence of the bottom line, with the keys of the figures it cites.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    pub topic: Topic,
    pub text: String,
    /// Keys of the figures cited (in the verdict's evidence).
    pub figures: Vec<String>,
    /// False when the sentence says what was not measured.
    pub measured: bool,
}

/// The bottom line of a verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The Rust column's words.
    pub counts: Counts,
    /// The CPython columns' words (claims they judge only).
    pub cpython: Counts,
    pub cpython_ft: Counts,
    pub sentences: Vec<Sentence>,
}

impl Summary {
    /// The question the paragraph answers.
    pub fn question(ru: bool) -> &'static str {
        if ru {
            "Потоки или процессы на этой машине?"
        } else {
            "Threads or processes on this machine?"
        }
    }

    /// The counts of every column, one line each (CPython only when judged).
    pub fn count_lines(&self, ru: bool) -> Vec<String> {
        let of = |n: usize| {
            if ru {
                format!("утверждений: {n}")
            } else {
                format!("{n} claims")
            }
        };
        let mut out = vec![format!(
            "Rust: {} ({})",
            self.counts.short(ru),
            of(self.counts.judged)
        )];
        for (build, c) in [
            (Build::Default, &self.cpython),
            (Build::FreeThreaded, &self.cpython_ft),
        ] {
            if c.judged > c.not_measurable {
                out.push(format!(
                    "{}: {} ({})",
                    build_title(build, ru),
                    c.short(ru),
                    of(c.judged)
                ));
            }
        }
        out
    }

    /// The paragraph: every sentence, in order.
    pub fn paragraph(&self) -> String {
        self.sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn build_title(b: Build, ru: bool) -> &'static str {
    match (b, ru) {
        (Build::Default, false) => "CPython",
        (Build::Default, true) => "CPython (с GIL)",
        (Build::FreeThreaded, false) => "CPython, free-threaded",
        (Build::FreeThreaded, true) => "CPython без GIL",
    }
}

/// The bottom line of `doc`, in its language.
pub fn summarize(doc: &VerdictDocument) -> Summary {
    let faults = match doc.document("faults") {
        Some(Document::Faults(f)) => Some(f.rows.as_slice()),
        _ => None,
    };
    of(&doc.evidence, &doc.verdicts, faults, doc.lang == "ru")
}

/// The bottom line from evidence, the verdicts and the fault rows.
pub fn of(ev: &Evidence, verdicts: &[Verdict], faults: Option<&[Row]>, ru: bool) -> Summary {
    let mut sentences = vec![start(ev, ru), keep(ev, ru)];
    sentences.extend(round_trips(ev, ru));
    sentences.push(parallel(ev, verdicts, ru));
    sentences.push(crash(ev, faults, ru));
    sentences.extend(gil(ev, verdicts, ru));
    Summary {
        counts: Counts::of(verdicts.iter().map(|v| &v.judgement.word)),
        cpython: Counts::of(
            verdicts
                .iter()
                .filter_map(|v| v.cpython.as_ref().map(|j| &j.word)),
        ),
        cpython_ft: Counts::of(
            verdicts
                .iter()
                .filter_map(|v| v.cpython_ft.as_ref().map(|j| &j.word)),
        ),
        sentences,
    }
}

/// A figure with its interval in one unit, briefly: "71.1 µs (68.8–73.3)",
/// "5.10× (4.60–5.53)"; a figure without an interval is its value alone.
pub fn brief(f: &Figure) -> String {
    use crate::evidence::{Spread, Unit};
    let (scale, unit, digits) = match f.unit {
        Unit::Ns => {
            let v = f.value.abs();
            if v >= 1e9 {
                (1e9, " s", 2)
            } else if v >= 1e6 {
                (1e6, " ms", 2)
            } else if v >= 1e3 {
                (1e3, " µs", 1)
            } else {
                (1.0, " ns", 0)
            }
        }
        Unit::Ratio => (1.0, "×", 2),
        Unit::KiB if f.value.abs() >= 10240.0 => (1024.0, " MiB", 1),
        Unit::KiB => (1.0, " KiB", 1),
        Unit::Bytes => (1.0, " B", 0),
        Unit::Cpus => (1.0, " CPUs", 2),
        Unit::Count => (1.0, "", 0),
    };
    let n = |v: f64| format!("{:.*}", digits, v / scale);
    if f.spread == Spread::Exact || n(f.low) == n(f.high) {
        format!("{}{unit}", n(f.value))
    } else {
        format!("{}{unit} ({}–{})", n(f.value), n(f.low), n(f.high))
    }
}

fn measured(topic: Topic, text: String, figures: Vec<String>) -> Sentence {
    Sentence {
        topic,
        text,
        figures,
        measured: true,
    }
}

fn unmeasured(topic: Topic, text: String) -> Sentence {
    Sentence {
        topic,
        text,
        figures: vec![],
        measured: false,
    }
}

/// Why step `step` gave nothing, or a plain "not run".
fn why(ev: &Evidence, step: &str, ru: bool) -> String {
    match ev.missing.get(step) {
        Some(m) => m.why.clone(),
        None if ru => format!("шаг `{step}` не выполнялся"),
        None => format!("the `{step}` step did not run"),
    }
}

/// Where `a`'s interval lies against `b`'s, by differences with the
/// rules' margin (so a thread's figure near zero needs no division).
fn compare(a: &Figure, b: &Figure) -> Compared {
    if a.low - b.high > MARGIN * b.high.abs() {
        Compared::Above
    } else if b.low - a.high > MARGIN * b.low.abs() {
        Compared::Below
    } else {
        Compared::Inside
    }
}

/// The word without what it depends on, as the one-line table shows it.
pub fn short_word(w: &Word, ru: bool) -> &'static str {
    match (w, ru) {
        (Word::Holds, false) => "holds",
        (Word::Fails, false) => "fails",
        (Word::Depends { .. }, false) => "depends",
        (Word::NoClearDifference, false) => "no diff",
        (Word::NotMeasurable { .. }, false) => "n/m",
        (Word::Holds, true) => "верно",
        (Word::Fails, true) => "неверно",
        (Word::Depends { .. }, true) => "зависит",
        (Word::NoClearDifference, true) => "нет разн.",
        (Word::NotMeasurable { .. }, true) => "н/и",
    }
}

#[cfg(test)]
mod testing {
    //! Synthetic figures and evidence for the sentences' tests.
    use super::{Sentence, Summary, Topic};
    use crate::evidence::{Evidence, Figure, Spread, Unit};

    pub fn fig(v: f64, lo: f64, hi: f64, unit: Unit) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit,
            spread: Spread::Repetitions { n: 3 },
            what: String::new(),
            command: "pingpong x".into(),
        }
    }

    pub fn ev(pairs: &[(String, Figure)]) -> Evidence {
        let mut ev = Evidence::default();
        for (k, f) in pairs {
            ev.put(k.clone(), f.clone());
        }
        ev
    }

    pub fn sentence(s: &Summary, topic: Topic) -> &Sentence {
        s.sentences
            .iter()
            .find(|x| x.topic == topic)
            .unwrap_or_else(|| panic!("no {topic:?} sentence in {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::sentence;
    use super::*;

    #[test]
    fn a_missing_figure_says_it_was_not_measured_and_why() {
        let mut e = Evidence::default();
        e.miss("spawn", "the spawn step failed: boom");
        let s = of(&e, &[], None, false);
        let start = sentence(&s, Topic::Start);
        assert!(!start.measured);
        assert!(
            start.text.contains("not measured") && start.text.contains("boom"),
            "{}",
            start.text
        );
        assert!(!sentence(&s, Topic::Crash).measured);
        // No CPython looked for: no GIL sentence at all.
        assert!(s.sentences.iter().all(|x| x.topic != Topic::Gil));
        let ru = of(&e, &[], None, true);
        assert!(sentence(&ru, Topic::Start).text.contains("не измерена"));
    }

    #[test]
    fn counts_count_every_word() {
        let c = Counts::of(
            [
                Word::Holds,
                Word::Holds,
                Word::Fails,
                Word::Depends { on: "x".into() },
                Word::NoClearDifference,
                Word::NotMeasurable { why: "y".into() },
            ]
            .iter(),
        );
        assert_eq!(
            (
                c.judged,
                c.holds,
                c.fails,
                c.depends,
                c.no_difference,
                c.not_measurable
            ),
            (6, 2, 1, 1, 1, 1)
        );
        assert!(c.line(false).starts_with("6 claims: 2 hold"));
    }
}
