//! `--markdown FILE`: the summary table and comparisons, for pasting into an
//! issue or a report.
//!
//! As hyperfine's: one unit per time column, named in its header, and a
//! relative column — the fastest combination of each ball size reads
//! "1.00", the others how many times slower, with the spread over the
//! repetitions ("1.09 ± 0.01") when there is one.

use super::time::TimeUnit;
use crate::format::format_size;
use crate::format::{bandwidth, rate};
use crate::results::{Combined, RunDocument};
use std::fmt::Write;

/// The standard deviation of the repetitions' medians, relative to their
/// mean; `None` with fewer than two.
fn relative_spread(c: &Combined) -> Option<f64> {
    let n = c.rep_medians.len();
    if n < 2 {
        return None;
    }
    let mean = c.rep_medians.iter().sum::<f64>() / n as f64;
    let var = c
        .rep_medians
        .iter()
        .map(|m| (m - mean).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    (mean > 0.0).then(|| var.sqrt() / mean)
}

/// Each row against the fastest (lowest median) row of its ball size:
/// "1.00" for it, "1.09 ± 0.01" for the others (the spreads of both
/// combined, as hyperfine propagates them), "1.09" with one repetition.
pub fn relative(rows: &[Combined]) -> Vec<String> {
    rows.iter()
        .map(|c| {
            let fastest = rows
                .iter()
                .filter(|o| o.combo.size == c.combo.size && o.latency.median > 0.0)
                .min_by(|a, b| a.latency.median.total_cmp(&b.latency.median));
            let Some(f) = fastest else {
                return "–".into();
            };
            if f.combo == c.combo {
                return "1.00".into();
            }
            let r = c.latency.median / f.latency.median;
            // A spread that reads as 0.00 is no interval: the value alone.
            match (relative_spread(c), relative_spread(f)) {
                (Some(a), Some(b)) => match format!("{:.2}", r * (a * a + b * b).sqrt()) {
                    sd if sd == "0.00" => format!("{r:.2}"),
                    sd => format!("{r:.2} ± {sd}"),
                },
                _ => format!("{r:.2}"),
            }
        })
        .collect()
}

pub fn render(doc: &RunDocument) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# pingpong run\n");
    let _ = writeln!(s, "Machine: {}  ", doc.header.machine.one_line());
    let _ = writeln!(
        s,
        "Clock: {:.1} ns per read ({}); checksum: {} at {:.3} ns/byte; placement {}\n",
        doc.clock.cost_ns,
        doc.clock.source,
        doc.checksum.algorithm,
        doc.checksum.ns_per_byte,
        doc.settings.placement.describe()
    );
    table(doc, &mut s);
    let disagree = crate::summarize::all_disagreements(doc);
    let warning = crate::summarize::warning(&disagree, &doc.settings.placement);
    if let Some((head, rest)) = warning.split_first() {
        let _ = writeln!(s, "\n> **{head}**");
        for line in rest {
            let _ = writeln!(s, "> - {line}");
        }
    }
    let uncompared =
        crate::summarize::uncompared(&doc.measurements, &doc.comparisons, &doc.mismatches);
    if !doc.comparisons.is_empty() || !uncompared.is_empty() {
        let _ = writeln!(
            s,
            "\n## Comparisons (unit ÷ unit per repetition, interleaved, like placements only)\n"
        );
        for c in &doc.comparisons {
            let _ = writeln!(s, "- {}", crate::summarize::describe(c));
        }
        for line in uncompared {
            let _ = writeln!(s, "- {line}");
        }
    }
    for line in crate::summarize::skipped_lines(&doc.skipped) {
        let _ = writeln!(s, "\nSkipped: {line}");
    }
    for n in &doc.notes {
        let _ = writeln!(s, "\n> {n}");
    }
    for e in &doc.errors {
        let _ = writeln!(
            s,
            "\n**Error** in {} (repetition {}): {}",
            e.combo.label(),
            e.repetition + 1,
            e.error
        );
    }
    s
}

/// The combined rows, one unit per time column.
fn table(doc: &RunDocument, s: &mut String) {
    let rows = &doc.combined;
    let unit = |f: fn(&Combined) -> f64| TimeUnit::for_column(rows.iter().map(f));
    let median = unit(|c| c.latency.median);
    let p99 = unit(|c| c.latency.p99);
    let mean = unit(|c| c.latency.mean);
    let cpu = unit(|c| c.cpu_per_round_ns);
    let _ = writeln!(
        s,
        "| unit | channel | size | median [{}] (95% CI) | relative | p99 [{}] | mean ± sd [{}] | round trips/s | bandwidth | CPU/round [{}] | ran | verified |",
        median.symbol(),
        p99.symbol(),
        mean.symbol(),
        cpu.symbol()
    );
    let _ = writeln!(s, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|---|---|");
    for (c, rel) in rows.iter().zip(relative(rows)) {
        let l = &c.latency;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {rel} | {} | {} ± {} | {} | {} | {} | {} | {} |",
            c.combo.unit,
            c.combo.channel,
            format_size(c.combo.size),
            median.with_interval(l.median, l.median_ci.0, l.median_ci.1),
            p99.number(l.p99),
            mean.number(l.mean),
            mean.number(l.stdev),
            rate(c.rate_per_s),
            bandwidth(c.bytes_per_s),
            cpu.number(c.cpu_per_round_ns),
            crate::summarize::ran_counts(c.ran.iter().copied()),
            if c.verified_ok { "yes" } else { "NO" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Combo;
    use crate::stats::Summary;

    fn row(unit: &str, size: usize, rep_medians: &[u64]) -> Combined {
        let samples: Vec<u64> = rep_medians.to_vec();
        Combined {
            combo: Combo {
                unit: unit.into(),
                channel: "pipe".into(),
                size,
            },
            repetitions: rep_medians.len() as u32,
            latency: Summary::of_samples(&samples),
            rep_medians: rep_medians.iter().map(|&m| m as f64).collect(),
            ran: Vec::new(),
            rate_per_s: 0.0,
            bytes_per_s: 0.0,
            cpu_per_round_ns: 0.0,
            switches_per_round: 0.0,
            verified_ok: true,
            lost: 0,
        }
    }

    #[test]
    fn the_relative_column_reads_one_for_the_fastest_and_a_spread_for_the_others() {
        let rows = vec![
            row("threads", 64, &[1000, 1000, 1000]),
            row("processes", 64, &[1090, 1100, 1080]),
            row("threads", 4096, &[2000]),
            row("processes", 4096, &[3000]),
        ];
        let rel = relative(&rows);
        assert_eq!(rel[0], "1.00");
        assert!(rel[1].starts_with("1.09 ± 0.0"), "{rel:?}");
        // Each size has its own fastest; one repetition has no spread.
        assert_eq!(rel[2], "1.00");
        assert_eq!(rel[3], "1.50");
    }
}
