//! The terminal table: one row per combination (all repetitions merged),
//! then warnings on repetitions that disagree, the pair-by-pair
//! comparisons, skips, notes and errors.
//!
//! The table fits the width it is written into ([`super::terminal_width`])
//! without ever splitting a word or a number: cells are never wrapped, and
//! the least important columns are left out, one at a time, until the
//! table fits — and the output says which. Every time column has one unit,
//! named in its header.

use super::time::TimeUnit;
use super::wrap;
use crate::format::format_size;
use crate::format::{bandwidth, rate};
use crate::results::{Combined, RunDocument};
use crate::summarize::{self, Disagreement};
use std::fmt::Write;

/// Where the players ran over the repetitions: "same-cpu", or
/// "same-cpu ×2, two-cpus ×1" when the scheduler chose differently.
fn ran(classes: &[crate::results::PlacementClass]) -> String {
    summarize::ran_counts(classes.iter().copied())
}

/// One column of the table.
struct Column {
    /// Its name, as the line on columns left out says it.
    name: String,
    header: String,
    cells: Vec<String>,
    right: bool,
    /// When it is left out to fit: lower first; `None`: never (the
    /// combination and its median are the table).
    drop: Option<u8>,
}

/// The run as a table fitted to the terminal, with what follows it.
pub fn render(doc: &RunDocument) -> String {
    render_at(doc, super::terminal_width())
}

/// The run as a table fitted to `width` columns, with what follows it.
pub fn render_at(doc: &RunDocument, width: usize) -> String {
    let mut out = String::new();
    header(doc, width, &mut out);
    let disagree = summarize::all_disagreements(doc);
    let columns = columns(doc, &disagree);
    let (table, dropped) = fit(&columns, width);
    let _ = writeln!(out, "{table}");
    let mut legend = vec![match doc.settings.pattern {
        crate::kinds::Pattern::Rally => {
            "latency is per round trip (ping → pong → ping); CPU/rt and switches/rt are both players' together; \
             (a–b) is the median's 95% confidence interval over the repetitions' samples merged."
        }
        crate::kinds::Pattern::Stream { .. } => {
            "latency is per ball in a window; bandwidth is one way; CPU/rt and switches/rt are both players' \
             together; (a–b) is the median's 95% confidence interval over the repetitions' samples merged."
        }
    }
    .to_string()];
    if !dropped.is_empty() {
        legend.push(format!(
            "left out to fit {width} columns: {} (set COLUMNS wider to see them; --json and --csv keep every figure).",
            dropped.join(", ")
        ));
    }
    if doc.combined.iter().any(|c| marked(c, &disagree)) {
        legend.push("* its repetitions disagree: see the warning below.".into());
    }
    for l in legend {
        let _ = writeln!(out, "{}", wrap(&l, width, 0));
    }
    footer(doc, &disagree, width, &mut out);
    out
}

/// The machine and how it was timed.
fn header(doc: &RunDocument, width: usize, out: &mut String) {
    let machine = format!("machine:  {}", doc.header.machine.one_line());
    let timing = format!(
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
    for line in [machine, timing] {
        let _ = writeln!(out, "{}", wrap(&line, width, 10));
    }
}

/// Whether a combination's median is marked: its repetitions disagree.
fn marked(c: &Combined, disagree: &[Disagreement]) -> bool {
    disagree.iter().any(|d| d.combo.as_ref() == Some(&c.combo))
}

/// A time column: its unit chosen from its values, named in its header.
fn time_column(
    name: &str,
    rows: &[Combined],
    drop: Option<u8>,
    value: impl Fn(&Combined) -> f64,
) -> Column {
    let unit = TimeUnit::for_column(rows.iter().map(&value));
    Column {
        name: name.into(),
        header: format!("{name} [{}]", unit.symbol()),
        cells: rows.iter().map(|c| unit.number(value(c))).collect(),
        right: true,
        drop,
    }
}

fn text_column(name: &str, cells: Vec<String>, right: bool, drop: Option<u8>) -> Column {
    Column {
        name: name.into(),
        header: name.into(),
        cells,
        right,
        drop,
    }
}

/// Every column, with the order in which they are left out to fit: first
/// the far tail and the extremes, then the spread, the rates, the CPU, the
/// verification, p99, and last where the players ran.
fn columns(doc: &RunDocument, disagree: &[Disagreement]) -> Vec<Column> {
    let rows = &doc.combined;
    let text = |name: &str, cell: &dyn Fn(&Combined) -> String, right, drop| {
        text_column(name, rows.iter().map(cell).collect(), right, drop)
    };
    let stream = matches!(doc.settings.pattern, crate::kinds::Pattern::Stream { .. });
    let mut all = vec![
        text("unit", &|c| c.combo.unit.clone(), false, None),
        text("channel", &|c| c.combo.channel.clone(), false, None),
        text("size", &|c| format_size(c.combo.size), false, None),
    ];
    all.extend(latency_columns(rows, disagree));
    all.extend([
        text(
            "per s",
            &|c| rate(c.rate_per_s),
            true,
            Some(if stream { 5 } else { 6 }),
        ),
        text(
            "bandwidth",
            &|c| bandwidth(c.bytes_per_s),
            true,
            Some(if stream { 6 } else { 5 }),
        ),
        time_column("CPU/rt", rows, Some(7), |c| c.cpu_per_round_ns),
        text(
            "switches/rt",
            &|c| format!("{:.2}", c.switches_per_round),
            true,
            Some(3),
        ),
        text("balls checked", &|c| checked(doc, c), false, Some(8)),
        text("ran", &|c| ran(&c.ran), false, Some(10)),
    ]);
    all
}

/// The latency columns: the median with its interval (marked when its
/// repetitions disagree), the tail, the mean and the extremes.
fn latency_columns(rows: &[Combined], disagree: &[Disagreement]) -> Vec<Column> {
    let median_unit = TimeUnit::for_column(rows.iter().map(|c| c.latency.median));
    let mean_unit = TimeUnit::for_column(rows.iter().map(|c| c.latency.mean));
    let median = |c: &Combined| {
        let l = &c.latency;
        let v = median_unit.with_interval(l.median, l.median_ci.0, l.median_ci.1);
        if marked(c, disagree) {
            format!("{v} *")
        } else {
            v
        }
    };
    let mean = |c: &Combined| {
        let (m, sd) = (c.latency.mean, c.latency.stdev);
        format!("{} ± {}", mean_unit.number(m), mean_unit.number(sd))
    };
    vec![
        Column {
            name: "median".into(),
            header: format!("median [{}] (95% CI)", median_unit.symbol()),
            cells: rows.iter().map(median).collect(),
            right: true,
            drop: None,
        },
        time_column("p99", rows, Some(9), |c| c.latency.p99),
        time_column("p99.9", rows, Some(0), |c| c.latency.p999),
        Column {
            name: "mean ± sd".into(),
            header: format!("mean ± sd [{}]", mean_unit.symbol()),
            cells: rows.iter().map(mean).collect(),
            right: true,
            drop: Some(4),
        },
        time_column("min", rows, Some(2), |c| c.latency.min),
        time_column("max", rows, Some(1), |c| c.latency.max),
    ]
}

/// The balls checked over every repetition, and what became of them.
fn checked(doc: &RunDocument, c: &Combined) -> String {
    let n: u64 = doc
        .measurements
        .iter()
        .filter(|m| m.combo == c.combo)
        .map(|m| m.verification.balls_checked)
        .sum();
    if !c.verified_ok {
        format!("{n} — DAMAGED")
    } else if c.lost > 0 {
        format!("{n} ({} lost)", c.lost)
    } else {
        format!("{n} ok")
    }
}

/// A table of `columns`, never wrapped.
fn draw(columns: &[&Column]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(columns.iter().map(|c| c.header.clone()));
    let rows = columns.first().map_or(0, |c| c.cells.len());
    for r in 0..rows {
        t.add_row(columns.iter().map(|c| c.cells[r].clone()));
    }
    for (i, c) in columns.iter().enumerate() {
        if let (true, Some(col)) = (c.right, t.column_mut(i)) {
            col.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    t.to_string()
}

/// The widest line of a drawn table, in columns.
fn widest(table: &str) -> usize {
    table
        .lines()
        .map(textwrap::core::display_width)
        .max()
        .unwrap_or(0)
}

/// The table with as many columns as fit in `width`, and the names of
/// those left out: the columns never left out, then each of the others,
/// most important first, if it still fits. When even the columns never
/// left out do not fit, they are drawn whole.
fn fit(columns: &[Column], width: usize) -> (String, Vec<String>) {
    let mut keep: Vec<bool> = columns.iter().map(|c| c.drop.is_none()).collect();
    let mut by_importance: Vec<(u8, usize)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.drop.map(|d| (d, i)))
        .collect();
    by_importance.sort_by(|a, b| b.cmp(a));
    let kept = |keep: &[bool]| -> Vec<&Column> {
        columns
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c)
            .collect()
    };
    for (_, i) in by_importance {
        keep[i] = true;
        if widest(&draw(&kept(&keep))) > width {
            keep[i] = false;
        }
    }
    let dropped = columns
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(c, _)| c.name.clone())
        .collect();
    (draw(&kept(&keep)), dropped)
}

/// What follows the table: warnings, comparisons, skips, notes, errors.
fn footer(doc: &RunDocument, disagree: &[Disagreement], width: usize, out: &mut String) {
    for (i, line) in summarize::warning(disagree, &doc.settings.placement)
        .iter()
        .enumerate()
    {
        let (lead, indent) = if i == 0 { ("", 2) } else { ("  ", 4) };
        let _ = writeln!(out, "{}", wrap(&format!("{lead}{line}"), width, indent));
    }
    let uncompared = summarize::uncompared(&doc.measurements, &doc.comparisons, &doc.mismatches);
    if !doc.comparisons.is_empty() || !uncompared.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            wrap(
                "compared pair by pair (unit ÷ unit per repetition, same channel and size, repetitions \
                 interleaved, only pairs that ran in the same placement):",
                width,
                0
            )
        );
        let lines = doc.comparisons.iter().map(summarize::describe);
        for line in lines.chain(uncompared) {
            let _ = writeln!(out, "{}", wrap(&format!("  {line}"), width, 4));
        }
    }
    for s in summarize::skipped_lines(&doc.skipped) {
        let _ = writeln!(out, "{}", wrap(&format!("skipped: {s}"), width, 2));
    }
    for n in &doc.notes {
        let _ = writeln!(out, "{}", wrap(&format!("note: {n}"), width, 2));
    }
    for e in &doc.errors {
        let line = format!(
            "error in {} (repetition {}): {}",
            e.combo.label(),
            e.repetition + 1,
            e.error
        );
        let _ = writeln!(out, "{}", wrap(&line, width, 2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        run: crate::cli::RunArgs,
    }

    /// A short real rally between threads (a unit test cannot re-execute
    /// pingpong as a player) over three channels, two repetitions.
    fn rally() -> RunDocument {
        let line = "--between threads --via pipe,unix,futex --rounds 300 --warmup 20 --reps 2";
        let args = Cmd::try_parse_from(std::iter::once("run").chain(line.split_whitespace()))
            .unwrap()
            .run;
        let plan = crate::plan::RunPlan::from_args(&args).unwrap();
        let progress = crate::output::progress::Progress::new(6);
        crate::rally::measure(&plan, &progress).unwrap()
    }

    #[test]
    fn the_table_fits_80_and_120_columns_without_splitting_a_word_or_a_number() {
        let doc = rally();
        for width in [80, 120] {
            let out = render_at(&doc, width);
            for line in out.lines() {
                assert!(
                    textwrap::core::display_width(line) <= width,
                    "{width} columns: a line of {}: {line}\n{out}",
                    textwrap::core::display_width(line)
                );
            }
            // Every row's channel and median, whole, on one line of the table.
            let unit = TimeUnit::for_column(doc.combined.iter().map(|c| c.latency.median));
            for c in &doc.combined {
                let median = unit.number(c.latency.median);
                assert!(
                    out.lines()
                        .any(|l| l.contains(&format!(" {} ", c.combo.channel))
                            && l.contains(&median)),
                    "{width} columns: {} {median} not on one line:\n{out}",
                    c.combo.channel
                );
            }
        }
    }

    #[test]
    fn the_columns_left_out_to_fit_are_the_least_important_and_are_named() {
        let doc = rally();
        let narrow = render_at(&doc, 80);
        let wide = render_at(&doc, 400);
        assert!(!wide.contains("left out to fit"), "{wide}");
        let said = narrow
            .lines()
            .find(|l| l.starts_with("left out to fit 80 columns"))
            .unwrap_or_else(|| panic!("no line on the columns left out:\n{narrow}"));
        assert!(said.contains("p99.9"), "{said}");
        let header = narrow
            .lines()
            .find(|l| l.starts_with('│'))
            .unwrap_or_default();
        assert!(header.contains("median"), "{narrow}");
        assert!(!header.contains("p99.9"), "{narrow}");
        // One unit per time column, named in its header, never in a cell.
        let table: Vec<&str> = wide.lines().filter(|l| l.starts_with('│')).collect();
        assert!(
            table[0].contains("median [") && table[0].contains("max ["),
            "{wide}"
        );
        for row in &table[1..] {
            assert!(!row.contains("µs") && !row.contains(" ms"), "{row}");
        }
    }
}
