//! Rendering results for people: tables, progress, number formats, and the
//! run document's CSV and Markdown forms. Renderers take a finished
//! document and know nothing of how it was measured.

pub mod csv;
pub mod markdown;
pub mod progress;
pub mod table;

impl crate::export::Export for crate::results::RunDocument {
    fn csv(&self) -> anyhow::Result<Vec<u8>> {
        csv::render(self)
    }
    fn markdown(&self) -> String {
        markdown::render(self)
    }
}

/// A terminal table in pingpong's style, fitted to the terminal. A terminal
/// that reports no width (the pseudo-terminal mpirun gives its ranks says 0
/// columns) gets 160 columns rather than one character per column.
pub fn new_table() -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if t.width().is_some_and(|w| w < 40) {
        t.set_width(160);
    }
    t
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
}
