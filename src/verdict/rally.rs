//! Evidence from `pingpong run`: threads against processes over the same
//! kernel channels, with both players on one CPU and placed freely.

use super::evidence::{Evidence, Figure};
use crate::results::{Combined, RunDocument};

/// Adds the figures of a run document under `rally.PLACEMENT.…`.
pub fn collect(ev: &mut Evidence, doc: &RunDocument, placement: &str, command: &str) {
    for c in &doc.comparisons {
        ev.put(
            format!("rally.{placement}.{}.ratio", c.channel),
            Figure {
                value: c.median_ratio,
                low: c.min_ratio,
                high: c.max_ratio,
                unit: "×".into(),
                what: format!(
                    "{} ÷ {} round trip over {} ({}), median of per-repetition ratios (range over {} interleaved repetitions)",
                    c.unit,
                    c.baseline,
                    c.channel,
                    crate::parse::format_size(c.size),
                    c.ratios.len()
                ),
                command: command.into(),
            },
        );
    }
    for c in doc.combined.iter().filter(|c| c.combo.unit == "hosts") {
        let peer = doc
            .peer
            .as_ref()
            .map(|p| format!(" with pingpong serve at {}", p.address))
            .unwrap_or_default();
        ev.put(
            format!("hosts.{}.median", c.combo.channel),
            median(
                c,
                format!(
                    "median round trip between hosts over {} ({}){peer}, verified balls, 95% confidence interval",
                    c.combo.channel,
                    crate::parse::format_size(c.combo.size)
                ),
                command,
            ),
        );
    }
    for c in doc.combined.iter().filter(|c| c.combo.unit != "hosts") {
        ev.put(
            format!(
                "rally.{placement}.{}.{}.median",
                c.combo.channel, c.combo.unit
            ),
            median(
                c,
                format!(
                    "median round trip, {} over {} ({}), 95% confidence interval",
                    c.combo.unit,
                    c.combo.channel,
                    crate::parse::format_size(c.combo.size)
                ),
                command,
            ),
        );
    }
}

/// A combination's median round trip with its 95% confidence interval.
fn median(c: &Combined, what: String, command: &str) -> Figure {
    Figure {
        value: c.latency.median,
        low: c.latency.median_ci.0,
        high: c.latency.median_ci.1,
        unit: "ns".into(),
        what,
        command: command.into(),
    }
}
