//! Evidence: the named figures and live demonstrations that verdicts rest
//! on, extracted from experiment documents. Rules read only this, so they
//! can be tested with synthetic figures, and a saved verdict can be judged
//! again from its evidence (`--from`) without measuring.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A measured figure with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    /// Lower and upper bound: a 95 % confidence interval, or the range over
    /// interleaved repetitions (say which in `what`).
    pub low: f64,
    pub high: f64,
    /// "ns", "×", "KiB"…
    pub unit: String,
    pub what: String,
    /// The `pingpong` command that reproduces the experiment alone.
    pub command: String,
}

impl Figure {
    /// A single measured value, with no interval of its own.
    pub fn exact(value: f64, unit: &str, what: String, command: &str) -> Figure {
        Figure {
            value,
            low: value,
            high: value,
            unit: unit.into(),
            what,
            command: command.into(),
        }
    }

    /// The speedup of many workers over one, from the wall times of their
    /// interleaved repetitions: the ratio of the medians, bounded by the
    /// ratios of the extremes (Rust's and CPython's scaling alike).
    pub fn speedup(one: &[f64], many: &[f64], what: String, command: &str) -> Figure {
        let mid = crate::stats::median;
        let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
        let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
        Figure {
            value: mid(one) / mid(many),
            low: min(one) / max(many),
            high: max(one) / min(many),
            unit: "×".into(),
            what,
            command: command.into(),
        }
    }
}

/// Something shown live rather than measured (definitional claims).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Demo {
    /// Whether what was shown matches the claim.
    pub shows_claim: bool,
    pub shown: String,
}

/// An experiment that could not be run, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Missing {
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub figures: BTreeMap<String, Figure>,
    pub demos: BTreeMap<String, Demo>,
    pub missing: BTreeMap<String, Missing>,
}

impl Evidence {
    pub fn figure(&self, key: &str) -> Option<&Figure> {
        self.figures.get(key)
    }

    pub fn put(&mut self, key: impl Into<String>, f: Figure) {
        self.figures.insert(key.into(), f);
    }
}

/// How two figures compare once noise is taken into account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compared {
    /// The whole interval lies above `threshold`.
    Above,
    /// The whole interval lies below `threshold`.
    Below,
    /// The interval straddles it: no clear difference.
    Inside,
}

/// Where a ratio's interval lies against `threshold`.
pub fn against(f: &Figure, threshold: f64) -> Compared {
    if f.low > threshold {
        Compared::Above
    } else if f.high < threshold {
        Compared::Below
    } else {
        Compared::Inside
    }
}

/// Formats a figure with its interval: "1.13× (1.12–1.14)".
pub fn show(f: &Figure) -> String {
    let fmt = |v: f64| -> String {
        match f.unit.as_str() {
            "ns" => crate::output::ns(v),
            "×" => format!("{v:.2}×"),
            u => format!("{v:.3} {u}"),
        }
    };
    if (f.high - f.low).abs() < f64::EPSILON {
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
            unit: "×".into(),
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
    fn figures_show_their_interval() {
        assert_eq!(show(&ratio(1.13, 1.12, 1.14)), "1.13× (1.12×–1.14×)");
        assert_eq!(show(&ratio(2.0, 2.0, 2.0)), "2.00×");
    }
}
