//! One time unit per column: a table whose rows read "864 ns", "1.20 µs"
//! and "3.4 ms" in one column makes the eye compare digits across units.
//! The column's unit is chosen once, from its smallest value, and named in
//! its header ("median [µs]", as hyperfine does); its cells are numbers.

/// A unit of time for a whole column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Ns,
    Us,
    Ms,
    S,
}

impl TimeUnit {
    /// The unit in which the smallest positive of `values` (ns) reads at
    /// least 1; a larger value then reads as a larger number, never as a
    /// fraction lost to rounding.
    pub fn for_column(values: impl IntoIterator<Item = f64>) -> TimeUnit {
        let least = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        if least < 1e3 || !least.is_finite() {
            TimeUnit::Ns
        } else if least < 1e6 {
            TimeUnit::Us
        } else if least < 1e9 {
            TimeUnit::Ms
        } else {
            TimeUnit::S
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "µs",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        }
    }

    fn per_ns(self) -> f64 {
        match self {
            TimeUnit::Ns => 1.0,
            TimeUnit::Us => 1e3,
            TimeUnit::Ms => 1e6,
            TimeUnit::S => 1e9,
        }
    }

    /// A time in this unit, without the unit: whole nanoseconds, two
    /// decimals otherwise (none from 10,000 up, where they say nothing).
    pub fn number(self, ns: f64) -> String {
        if !ns.is_finite() {
            return "–".into();
        }
        let v = ns / self.per_ns();
        if self == TimeUnit::Ns || v >= 1e4 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    }

    /// A value with its interval, "2.19 (2.18–2.20)"; a single value when
    /// the interval reads as the value itself ("2.19", never "2.19 (2.19–2.19)").
    pub fn with_interval(self, value: f64, low: f64, high: f64) -> String {
        let (v, l, h) = (self.number(value), self.number(low), self.number(high));
        if l == v && h == v {
            v
        } else {
            format!("{v} ({l}–{h})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_takes_the_unit_of_its_smallest_value() {
        assert_eq!(
            TimeUnit::for_column([1_870.0, 61_600.0, 12_660_000.0]),
            TimeUnit::Us
        );
        assert_eq!(TimeUnit::for_column([864.0, 3_400_000.0]), TimeUnit::Ns);
        assert_eq!(TimeUnit::for_column([2.5e6, 4e6]), TimeUnit::Ms);
        assert_eq!(TimeUnit::for_column([]), TimeUnit::Ns);
        let us = TimeUnit::Us;
        assert_eq!(us.number(1_870.0), "1.87");
        assert_eq!(us.number(12_660_000.0), "12660");
        assert_eq!(TimeUnit::Ns.number(864.4), "864");
    }

    #[test]
    fn an_interval_that_reads_as_its_value_is_shown_as_the_value() {
        let us = TimeUnit::Us;
        assert_eq!(us.with_interval(2_190.0, 2_188.0, 2_192.0), "2.19");
        assert_eq!(
            us.with_interval(1_875.0, 1_870.0, 1_880.0),
            "1.88 (1.87–1.88)"
        );
    }
}
