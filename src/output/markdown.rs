//! `--markdown FILE`: the summary table and comparisons, for pasting into an
//! issue or a report.

use crate::format::format_size;
use crate::format::{bandwidth, ns, rate};
use crate::results::RunDocument;
use std::fmt::Write;

pub fn render(doc: &RunDocument) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# pingpong run\n");
    let _ = writeln!(s, "Machine: {}  ", doc.header.machine.one_line());
    let _ = writeln!(
        s,
        "Clock: {:.1} ns per read ({}); checksum: {} at {:.3} ns/byte\n",
        doc.clock.cost_ns, doc.clock.source, doc.checksum.algorithm, doc.checksum.ns_per_byte
    );
    let _ = writeln!(
        s,
        "| unit | channel | size | median (95% CI) | p99 | mean ± sd | round trips/s | bandwidth | CPU/round | verified |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for c in &doc.combined {
        let l = &c.latency;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} ({}–{}) | {} | {} ± {} | {} | {} | {} | {} |",
            c.combo.unit,
            c.combo.channel,
            format_size(c.combo.size),
            ns(l.median),
            ns(l.median_ci.0),
            ns(l.median_ci.1),
            ns(l.p99),
            ns(l.mean),
            ns(l.stdev),
            rate(c.rate_per_s),
            bandwidth(c.bytes_per_s),
            ns(c.cpu_per_round_ns),
            if c.verified_ok { "yes" } else { "NO" }
        );
    }
    if !doc.comparisons.is_empty() {
        let _ = writeln!(
            s,
            "\n## Comparisons (ratio of medians, interleaved repetitions)\n"
        );
        for c in &doc.comparisons {
            let _ = writeln!(s, "- {}", crate::summarize::describe(c));
        }
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
