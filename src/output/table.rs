//! The terminal table: one row per combination (all repetitions merged),
//! then the pair-by-pair comparisons, notes, skips and errors.

use crate::format::format_size;
use crate::format::{bandwidth, ns, rate};
use crate::results::RunDocument;
use comfy_table::CellAlignment;
use std::fmt::Write;

/// Where the players ran over the repetitions: "same-cpu", or
/// "same-cpu ×2, two-cpus ×1" when the scheduler chose differently.
fn ran(classes: &[crate::results::PlacementClass]) -> String {
    let mut counts: Vec<(crate::results::PlacementClass, usize)> = Vec::new();
    for c in classes {
        match counts.iter_mut().find(|(k, _)| k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((*c, 1)),
        }
    }
    match counts.as_slice() {
        [] => "–".into(),
        [(c, _)] => c.to_string(),
        many => many
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub fn render(doc: &RunDocument) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "machine:  {}", doc.header.machine.one_line());
    let _ = writeln!(
        out,
        "timing:   clock read {:.0} ns ({}), checksum {} {:.3} ns/byte{}, verify {}, payload {}, {} repetition(s) interleaved, placement {}",
        doc.clock.cost_ns,
        doc.clock.source,
        doc.checksum.algorithm,
        doc.checksum.ns_per_byte,
        if doc.checksum.hardware { " (hardware)" } else { "" },
        doc.settings.verify,
        match doc.settings.payload {
            crate::channel::payload::Payload::Raw => "raw",
            crate::channel::payload::Payload::Struct => "struct (postcard, encoded and decoded per ball)",
        },
        doc.settings.repetitions,
        doc.settings.placement.describe(),
    );
    let mut t = crate::output::new_table();
    t.set_header(vec![
        "between",
        "via",
        "size",
        "median (95% CI)",
        "p99",
        "p99.9",
        "mean ± sd",
        "min",
        "max",
        "per s",
        "bandwidth",
        "CPU/rt",
        "switches/rt",
        "balls checked",
        "ran",
    ]);
    for c in &doc.combined {
        let l = &c.latency;
        let checked: u64 = doc
            .measurements
            .iter()
            .filter(|m| m.combo == c.combo)
            .map(|m| m.verification.balls_checked)
            .sum();
        let verdict = if !c.verified_ok {
            format!("{checked} — DAMAGED")
        } else if c.lost > 0 {
            format!("{checked} ({} lost)", c.lost)
        } else {
            format!("{checked} ok")
        };
        t.add_row(vec![
            c.combo.unit.clone(),
            c.combo.channel.clone(),
            format_size(c.combo.size),
            format!(
                "{} ({}–{})",
                ns(l.median),
                ns(l.median_ci.0),
                ns(l.median_ci.1)
            ),
            ns(l.p99),
            ns(l.p999),
            format!("{} ± {}", ns(l.mean), ns(l.stdev)),
            ns(l.min),
            ns(l.max),
            rate(c.rate_per_s),
            bandwidth(c.bytes_per_s),
            ns(c.cpu_per_round_ns),
            format!("{:.2}", c.switches_per_round),
            verdict,
            ran(&c.ran),
        ]);
    }
    for i in 3..=12 {
        if let Some(col) = t.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let _ = writeln!(out, "{t}");
    let what = match doc.settings.pattern {
        crate::kinds::Pattern::Rally => "latency is per round trip (ping → pong → ping)",
        crate::kinds::Pattern::Stream { .. } => {
            "latency is per ball in a window; bandwidth is one way"
        }
    };
    let _ = writeln!(
        out,
        "{what}; CPU/rt and switches/rt are both players' together."
    );
    if !doc.comparisons.is_empty() {
        let _ = writeln!(
            out,
            "\ncompared pair by pair (same channel and size, repetitions interleaved, only pairs that ran in the same placement):"
        );
        for c in &doc.comparisons {
            let _ = writeln!(out, "  {}", crate::summarize::describe(c));
        }
    }
    for s in &doc.skipped {
        let _ = writeln!(out, "skipped {}: {}", s.combo.label(), s.reason);
    }
    for n in &doc.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for e in &doc.errors {
        let _ = writeln!(
            out,
            "error in {} (repetition {}): {}",
            e.combo.label(),
            e.repetition + 1,
            e.error
        );
    }
    out
}
