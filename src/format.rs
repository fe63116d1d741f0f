//! Formatting figures for people: times, rates, bandwidths and sizes, each
//! with a unit that keeps a few significant digits.
//!
//! A leaf module: the renderers, the evidence and the results all print
//! figures, so this lives below all of them.

/// Formats a size with the largest binary unit that divides it.
pub fn format_size(n: usize) -> String {
    const UNITS: [(usize, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (u, name) in UNITS {
        if n >= u && n % u == 0 {
            return format!("{} {name}", n / u);
        }
    }
    format!("{n} B")
}

/// Formats nanoseconds with a unit that keeps 3–4 significant digits.
pub fn ns(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v < 1_000.0 {
        format!("{v:.0} ns")
    } else if v < 1_000_000.0 {
        format!("{:.2} µs", v / 1e3)
    } else if v < 1_000_000_000.0 {
        format!("{:.2} ms", v / 1e6)
    } else {
        format!("{:.2} s", v / 1e9)
    }
}

/// Formats a rate with k/M suffixes.
pub fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Formats bytes per second in binary units.
pub fn bandwidth(v: f64) -> String {
    if v >= (1u64 << 30) as f64 {
        format!("{:.2} GiB/s", v / (1u64 << 30) as f64)
    } else if v >= (1u64 << 20) as f64 {
        format!("{:.1} MiB/s", v / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB/s", v / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_a_readable_unit() {
        assert_eq!(ns(250.0), "250 ns");
        assert_eq!(ns(3_456.0), "3.46 µs");
        assert_eq!(ns(12_345_678.0), "12.35 ms");
        assert_eq!(ns(f64::NAN), "–");
    }

    #[test]
    fn rates_and_bandwidths_scale() {
        assert_eq!(rate(250_000.0), "250.0 k");
        assert_eq!(rate(2_500_000.0), "2.50 M");
        assert_eq!(bandwidth(3.0 * (1u64 << 30) as f64), "3.00 GiB/s");
    }

    #[test]
    fn sizes_print_in_the_largest_exact_unit() {
        assert_eq!(format_size(8), "8 B");
        assert_eq!(format_size(4096), "4 KiB");
        assert_eq!(format_size(1 << 20), "1 MiB");
        assert_eq!(format_size(1500), "1500 B");
    }
}
