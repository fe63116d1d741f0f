//! Summary statistics of a latency distribution.
//!
//! Samples live in an HDR histogram (3 significant figures: 0.1 % relative
//! precision at any magnitude). The confidence interval of the median is the
//! distribution-free one from order statistics: with n samples, the ranks
//! `n/2 ∓ z·√n/2` bracket the population median with probability ≈ 95 %
//! for z = 1.96 (Conover, *Practical Nonparametric Statistics*, 3rd ed., §3.2,
//! normal approximation to the binomial). It assumes independent samples;
//! consecutive round trips are not quite independent, which is one more
//! reason pingpong also reports the spread of medians across repetitions.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A latency distribution, summarised. All times in nanoseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub count: u64,
    pub min: f64,
    pub median: f64,
    /// 95 % confidence interval of the median.
    pub median_ci: (f64, f64),
    pub mean: f64,
    pub stdev: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// An empty histogram of nanoseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new(3).expect("3 significant figures is valid")
}

/// Rebuilds a histogram from (value, count) pairs.
pub fn histogram_from(samples: &[(u64, u64)]) -> Histogram<u64> {
    let mut h = histogram();
    for &(v, c) in samples {
        let _ = h.record_n(v, c);
    }
    h
}

/// The 1-based ranks that bound the 95 % confidence interval of the median
/// of `n` sorted samples, clamped to 1..=n.
pub fn median_ci_ranks(n: u64) -> (u64, u64) {
    if n == 0 {
        return (0, 0);
    }
    let nf = n as f64;
    let half = Z95 * nf.sqrt() / 2.0;
    let lo = (nf / 2.0 - half).floor().max(1.0) as u64;
    let hi = (1.0 + nf / 2.0 + half).ceil().min(nf) as u64;
    (lo.min(n), hi.max(1))
}

/// Value at 1-based `rank` of the histogram's sorted samples.
fn value_at_rank(h: &Histogram<u64>, rank: u64) -> f64 {
    let mut seen = 0;
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        if seen >= rank {
            return h.median_equivalent(v.value_iterated_to()) as f64;
        }
    }
    h.max() as f64
}

impl Summary {
    pub fn of(h: &Histogram<u64>) -> Summary {
        let n = h.len();
        if n == 0 {
            return Summary::default();
        }
        let (lo, hi) = median_ci_ranks(n);
        let q = |p: f64| h.median_equivalent(h.value_at_quantile(p)) as f64;
        Summary {
            count: n,
            min: h.min() as f64,
            median: value_at_rank(h, n.div_ceil(2)),
            median_ci: (value_at_rank(h, lo), value_at_rank(h, hi)),
            mean: h.mean(),
            stdev: h.stdev(),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: h.max() as f64,
        }
    }

    /// Summary of raw samples (for tests and small sets).
    pub fn of_samples(samples: &[u64]) -> Summary {
        let mut h = histogram();
        for &s in samples {
            let _ = h.record(s);
        }
        Summary::of(&h)
    }
}

/// Median of a small set of values (e.g. per-repetition ratios).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_sample_summarises_to_zero_count() {
        assert_eq!(Summary::of_samples(&[]).count, 0);
    }

    #[test]
    fn one_sample_is_its_own_median_min_max_and_interval() {
        let s = Summary::of_samples(&[1234]);
        assert_eq!(s.count, 1);
        assert_eq!(s.median, 1234.0);
        assert_eq!(s.min, 1234.0);
        assert_eq!(s.max, 1234.0);
        assert_eq!(s.median_ci, (1234.0, 1234.0));
        assert_eq!(s.stdev, 0.0);
    }

    #[test]
    fn equal_samples_have_no_spread() {
        let s = Summary::of_samples(&[500; 1000]);
        assert_eq!(s.median, 500.0);
        assert_eq!(s.median_ci, (500.0, 500.0));
        assert_eq!(s.stdev, 0.0);
        assert_eq!(s.p999, 500.0);
    }

    #[test]
    fn the_median_of_1_to_99_is_50_and_its_interval_brackets_it() {
        let v: Vec<u64> = (1..=99).collect();
        let s = Summary::of_samples(&v);
        assert_eq!(s.median, 50.0);
        assert!(
            s.median_ci.0 < 50.0 && s.median_ci.1 > 50.0,
            "{:?}",
            s.median_ci
        );
        // n = 99: floor((99 - 1.96·√99)/2) = 39 and ceil(1 + (99 + 1.96·√99)/2) = 61;
        // the exact binomial ranks are 40 and 60, so the approximation is
        // conservative by one rank on each side.
        assert_eq!(median_ci_ranks(99), (39, 61));
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 99.0);
        assert!((s.mean - 50.0).abs() < 1e-9);
    }

    #[test]
    fn the_interval_narrows_as_samples_grow() {
        let (a, b) = median_ci_ranks(100);
        let (c, d) = median_ci_ranks(10_000);
        assert!((b - a) as f64 / 100.0 > (d - c) as f64 / 10_000.0);
    }

    #[test]
    fn tiny_samples_clamp_the_interval_to_the_extremes() {
        assert_eq!(median_ci_ranks(2), (1, 2));
        assert_eq!(median_ci_ranks(0), (0, 0));
    }

    #[test]
    fn a_histogram_survives_its_round_trip_through_pairs() {
        let s = Summary::of_samples(&[10, 20, 20, 30, 1_000_000]);
        let mut h = histogram();
        for v in [10, 20, 20, 30, 1_000_000] {
            h.record(v).unwrap();
        }
        let pairs: Vec<(u64, u64)> = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        assert_eq!(Summary::of(&histogram_from(&pairs)), s);
    }

    #[test]
    fn median_of_values_handles_even_and_odd_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
