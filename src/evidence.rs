//! Evidence: the named figures and live demonstrations that verdicts rest
//! on, and the [`Witness`] trait by which each experiment's document says
//! what it shows.
//!
//! Every document type implements [`Witness`] next to its result type (in
//! the experiment's own module), so adding a figure touches one file, and
//! the figure's key is spelled once — by a key function beside the
//! `Witness` impl, which the verdict's rules call too. Rules read only
//! [`Evidence`], so they are tested on synthetic figures, and a saved
//! verdict is judged again from its documents (`verdict --from`) without
//! measuring.
//!
//! This module knows nothing of the experiments or the verdict: it sits
//! below both.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// Nanoseconds.
    #[serde(rename = "ns")]
    Ns,
    /// A ratio of two like figures.
    #[serde(rename = "×")]
    Ratio,
    #[serde(rename = "KiB")]
    KiB,
    #[serde(rename = "B")]
    Bytes,
    /// CPUs (or CPU time ÷ wall time: how many CPUs were busy).
    #[serde(rename = "CPUs")]
    Cpus,
    /// A count of things (units, workers, balls…).
    #[serde(rename = "count")]
    Count,
}

/// Where a figure's interval comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Spread {
    /// A single value: no interval (never shown as one).
    Exact,
    /// A 95% confidence interval of a median (from the samples).
    Ci95,
    /// The range over interleaved repetitions.
    Repetitions { n: u32 },
}

/// A measured figure with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    /// Lower and upper bound, as [`Spread`] says.
    pub low: f64,
    pub high: f64,
    pub unit: Unit,
    pub spread: Spread,
    /// What was measured, in words.
    pub what: String,
    /// The `pingpong` command that reproduces the experiment alone.
    pub command: String,
}

impl Figure {
    /// A single measured value, with no interval of its own.
    pub fn exact(value: f64, unit: Unit, what: impl Into<String>, command: &str) -> Figure {
        Figure {
            value,
            low: value,
            high: value,
            unit,
            spread: Spread::Exact,
            what: what.into(),
            command: command.into(),
        }
    }

    /// A median with its 95% confidence interval.
    pub fn ci95(
        value: f64,
        (low, high): (f64, f64),
        unit: Unit,
        what: impl Into<String>,
        command: &str,
    ) -> Figure {
        Figure {
            value,
            low,
            high,
            unit,
            spread: Spread::Ci95,
            what: what.into(),
            command: command.into(),
        }
    }

    /// The median of interleaved repetitions, bounded by their range; a
    /// single repetition is [`Spread::Exact`].
    pub fn of_repetitions(
        values: &[f64],
        unit: Unit,
        what: impl Into<String>,
        command: &str,
    ) -> Option<Figure> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let (low, high) = min_max(values);
        Some(Figure {
            value: crate::stats::median(values),
            low,
            high,
            unit,
            spread: spread_of(values.len()),
            what: what.into(),
            command: command.into(),
        })
    }

    /// The speedup of many workers over one, from the wall times of their
    /// interleaved repetitions: the ratio of the medians, bounded by the
    /// ratios of the extremes.
    pub fn speedup(one: &[f64], many: &[f64], what: impl Into<String>, command: &str) -> Figure {
        let mid = crate::stats::median;
        let (lo1, hi1) = min_max(one);
        let (lon, hin) = min_max(many);
        Figure {
            value: mid(one) / mid(many),
            low: lo1 / hin,
            high: hi1 / lon,
            unit: Unit::Ratio,
            spread: spread_of(one.len().min(many.len())),
            what: what.into(),
            command: command.into(),
        }
    }

    /// `self ÷ other` with a conservative interval: [low / other.high, high / other.low].
    pub fn over(&self, other: &Figure, what: impl Into<String>) -> Figure {
        let safe = |x: f64| if x > 0.0 { x } else { f64::MIN_POSITIVE };
        let spread = match (self.spread, other.spread) {
            (Spread::Exact, Spread::Exact) => Spread::Exact,
            (Spread::Repetitions { n }, Spread::Repetitions { n: m }) => {
                Spread::Repetitions { n: n.min(m) }
            }
            _ => Spread::Ci95,
        };
        Figure {
            value: self.value / safe(other.value),
            low: self.low / safe(other.high),
            high: self.high / safe(other.low),
            unit: Unit::Ratio,
            spread,
            what: what.into(),
            command: self.command.clone(),
        }
    }
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

fn spread_of(n: usize) -> Spread {
    if n > 1 {
        Spread::Repetitions { n: n as u32 }
    } else {
        Spread::Exact
    }
}

/// Something shown live rather than measured: whether what was shown
/// matches the claim, and what it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Demo {
    pub shows_claim: bool,
    pub shown: String,
}

/// An experiment that could not be run, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    pub why: String,
}

/// Everything the verdict's rules may read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub figures: BTreeMap<String, Figure>,
    pub demos: BTreeMap<String, Demo>,
    /// Keyed by experiment name ("scale", "python", "rally"…).
    pub missing: BTreeMap<String, Missing>,
}

impl Evidence {
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        #[cfg(test)]
        asked::note(asked::Asked::Figure(key.to_string()));
        self.figures.get(key)
    }

    pub fn demo(&self, key: &str) -> Option<&Demo> {
        #[cfg(test)]
        asked::note(asked::Asked::Demo(key.to_string()));
        self.demos.get(key)
    }

    pub fn put(&mut self, key: impl Into<String>, f: Figure) {
        self.figures.insert(key.into(), f);
    }

    pub fn show(&mut self, key: impl Into<String>, shows_claim: bool, shown: impl Into<String>) {
        self.demos.insert(
            key.into(),
            Demo {
                shows_claim,
                shown: shown.into(),
            },
        );
    }

    pub fn miss(&mut self, experiment: impl Into<String>, why: impl Into<String>) {
        self.missing
            .insert(experiment.into(), Missing { why: why.into() });
    }
}

/// What the rules asked the evidence for (tests only): lets a test find
/// every figure and demonstration a rule reads without listing them, so it
/// can feed the rule synthetic values for each (see `verdict::rules`).
#[cfg(test)]
pub(crate) mod asked {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Asked {
        Figure(String),
        Demo(String),
    }

    thread_local! {
        static ASKED: RefCell<Option<BTreeSet<Asked>>> = const { RefCell::new(None) };
    }

    pub fn note(a: Asked) {
        ASKED.with(|s| {
            if let Some(set) = s.borrow_mut().as_mut() {
                set.insert(a);
            }
        });
    }

    /// Runs `f`, returning its result and what it asked for.
    pub fn recording<T>(f: impl FnOnce() -> T) -> (T, BTreeSet<Asked>) {
        ASKED.with(|s| *s.borrow_mut() = Some(BTreeSet::new()));
        let out = f();
        let set = ASKED.with(|s| s.borrow_mut().take()).unwrap_or_default();
        (out, set)
    }
}

/// A document that shows something: it adds its named figures and
/// demonstrations to the evidence, each citing `command` (the command that
/// reproduces the experiment alone).
pub trait Witness {
    fn testify(&self, ev: &mut Evidence, command: &str);
}

/// How a figure compares with a threshold once noise is taken into account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compared {
    /// The whole interval lies above the threshold.
    Above,
    /// The whole interval lies below it.
    Below,
    /// The interval straddles it: no clear difference.
    Inside,
}

/// Where a figure's interval lies against `threshold`.
pub fn against(f: &Figure, threshold: f64) -> Compared {
    if f.low > threshold {
        Compared::Above
    } else if f.high < threshold {
        Compared::Below
    } else {
        Compared::Inside
    }
}

/// Formats a figure with its interval: "1.13× (1.12×–1.14×)".
pub fn show(f: &Figure) -> String {
    let fmt = |v: f64| -> String {
        match f.unit {
            Unit::Ns => crate::format::ns(v),
            Unit::Ratio => format!("{v:.2}×"),
            Unit::KiB => format!("{v:.1} KiB"),
            Unit::Bytes => format!("{v:.0} B"),
            Unit::Cpus => format!("{v:.2} CPUs"),
            Unit::Count => format!("{v:.0}"),
        }
    };
    if f.spread == Spread::Exact || (f.high - f.low).abs() < f64::EPSILON {
        fmt(f.value)
    } else {
        format!("{} ({}–{})", fmt(f.value), fmt(f.low), fmt(f.high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(v: f64, lo: f64, hi: f64) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit: Unit::Ratio,
            spread: Spread::Repetitions { n: 3 },
            what: String::new(),
            command: String::new(),
        }
    }

    #[test]
    fn an_interval_above_the_threshold_is_above() {
        assert_eq!(against(&ratio(1.2, 1.1, 1.3), 1.02), Compared::Above);
        assert_eq!(against(&ratio(0.8, 0.7, 0.9), 0.98), Compared::Below);
        assert_eq!(against(&ratio(1.0, 0.9, 1.1), 1.02), Compared::Inside);
    }

    #[test]
    fn figures_show_their_interval_and_a_single_value_shows_none() {
        assert_eq!(show(&ratio(1.13, 1.12, 1.14)), "1.13× (1.12×–1.14×)");
        assert_eq!(show(&ratio(2.0, 2.0, 2.0)), "2.00×");
        let one = Figure::of_repetitions(&[5.0], Unit::Count, "", "").unwrap();
        assert_eq!(one.spread, Spread::Exact);
        assert_eq!(show(&one), "5");
    }

    #[test]
    fn repetitions_give_their_median_and_range() {
        let f = Figure::of_repetitions(&[3.0, 1.0, 2.0], Unit::Ns, "", "").unwrap();
        assert_eq!((f.value, f.low, f.high), (2.0, 1.0, 3.0));
        assert_eq!(f.spread, Spread::Repetitions { n: 3 });
        assert!(Figure::of_repetitions(&[], Unit::Ns, "", "").is_none());
        assert!(Figure::of_repetitions(&[f64::NAN], Unit::Ns, "", "").is_none());
    }

    #[test]
    fn a_speedup_is_bounded_by_the_extremes() {
        let f = Figure::speedup(&[100.0, 110.0], &[50.0, 55.0], "", "");
        assert!((f.value - 105.0 / 52.5).abs() < 1e-9);
        assert!((f.low - 100.0 / 55.0).abs() < 1e-9);
        assert!((f.high - 110.0 / 50.0).abs() < 1e-9);
    }
}
