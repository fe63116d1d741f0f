//! `verdict --html FILE`: the verdict as a page people want to read.

use super::svg::{self, esc, Bar, Line};
use crate::output::ns;
use crate::results::RunDocument;
use crate::stats;
use crate::verdict::evidence::show;
use crate::verdict::rules::Word;
use crate::verdict::VerdictDocument;
use std::fmt::Write;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 6px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
.word { font-weight: bold; white-space: nowrap; }
.holds { color: #1a7f37; } .fails { color: #cf222e; } .depends { color: #9a6700; }
.no_clear_difference { color: #6e7781; } .not_measurable { color: #6e7781; font-style: italic; }
.fig { font-family: ui-monospace, monospace; font-size: 12px; color: #444; }
figure { margin: 1.5em 0; } figcaption { font-size: 13px; color: #555; }
dl.machine { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 14px; }
dl.machine dt { font-weight: bold; }
"#;

fn word_class(w: &Word) -> &'static str {
    match w {
        Word::Holds => "holds",
        Word::Fails => "fails",
        Word::Depends { .. } => "depends",
        Word::NoClearDifference => "no_clear_difference",
        Word::NotMeasurable { .. } => "not_measurable",
    }
}

/// Renders the whole page.
pub fn render(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let t = |en: &'static str, ru_text: &'static str| {
        if ru {
            format!("{ru_text} / {en}")
        } else {
            en.to_string()
        }
    };
    let m = &doc.header.machine;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>pingpong verdict</title><style>{STYLE}</style></head><body>",
        if ru { "ru" } else { "en" }
    );
    let _ = write!(
        s,
        "<h1>pingpong verdict</h1><p>{}</p>",
        esc(crate::verdict::claims::source_note(ru))
    );
    let _ = write!(
        s,
        "<h2>{}</h2><dl class=\"machine\">",
        t("Machine", "Машина")
    );
    let rows = [
        ("CPU", m.cpu_model.clone()),
        (
            "CPUs",
            format!(
                "{} logical, {} cores, SMT siblings {}",
                m.logical_cpus,
                m.physical_cores,
                m.smt_siblings.join(" | ")
            ),
        ),
        ("kernel", format!("{} ({})", m.kernel, m.arch)),
        ("virtualisation", m.virtualization.clone()),
        ("clock", m.clock_source.clone()),
        (
            "memory",
            format!("{:.1} GiB", m.memory_bytes as f64 / (1u64 << 30) as f64),
        ),
        ("load (1 min) at start", format!("{:.2}", m.loadavg_1m)),
        (
            "pingpong",
            format!("{} · mode {}", doc.header.pingpong_version, doc.mode),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(&v));
    }
    s.push_str("</dl>");

    let _ = write!(
        s,
        "<h2>{}</h2><table><tr><th>id</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("Verdicts", "Вердикты"),
        t("claim", "утверждение"),
        t("verdict", "вердикт"),
        t("evidence", "на чём основан")
    );
    for v in &doc.verdicts {
        let claim = if ru {
            format!(
                "{}<br><small>{}</small>",
                esc(&v.claim_ru),
                esc(&v.claim_en)
            )
        } else {
            esc(&v.claim_en)
        };
        let mut ev = esc(&v.judgement.rule);
        for k in &v.judgement.figures {
            if let Some(f) = doc.evidence.figures.get(k) {
                let _ = write!(
                    ev,
                    "<div class=\"fig\">{} = {}</div>",
                    esc(k),
                    esc(&show(f))
                );
            }
        }
        for c in &v.judgement.commands {
            let _ = write!(ev, "<div class=\"fig\">$ {}</div>", esc(c));
        }
        let w = &v.judgement.word;
        let label = if ru {
            format!("{} ({})", w.label(true), w.label(false))
        } else {
            w.label(false)
        };
        let _ = write!(
            s,
            "<tr id=\"{id}\"><td>{id}</td><td>{claim}</td><td class=\"word {}\">{}</td><td>{ev}</td></tr>",
            word_class(w),
            esc(&label),
            id = esc(&v.id)
        );
    }
    s.push_str("</table>");

    let plots = plots(doc);
    if !plots.is_empty() {
        let _ = write!(s, "<h2>{}</h2>", t("Plots", "Графики"));
        for (svg, caption) in plots {
            let _ = write!(
                s,
                "<figure>{svg}<figcaption>{}</figcaption></figure>",
                esc(&caption)
            );
        }
    }
    s.push_str("</body></html>\n");
    s
}

/// Every plot the evidence allows, with its caption.
pub fn plots(doc: &VerdictDocument) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (run, placement) in doc
        .runs
        .iter()
        .zip(["both players on one CPU", "players placed freely"])
    {
        if let Some(p) = latency_bars(run, placement) {
            out.push(p);
        }
    }
    if let Some(run) = doc.runs.last() {
        if let Some(p) = latency_cdf(run) {
            out.push(p);
        }
    }
    out
}

fn latency_bars(run: &RunDocument, placement: &str) -> Option<(String, String)> {
    if run.combined.is_empty() {
        return None;
    }
    let mut units: Vec<String> = Vec::new();
    let mut channels: Vec<String> = Vec::new();
    for c in &run.combined {
        if !units.contains(&c.combo.unit) {
            units.push(c.combo.unit.clone());
        }
        if !channels.contains(&c.combo.channel) {
            channels.push(c.combo.channel.clone());
        }
    }
    let groups: Vec<(String, Vec<Option<Bar>>)> = channels
        .iter()
        .map(|ch| {
            let bars = units
                .iter()
                .map(|u| {
                    run.combined
                        .iter()
                        .find(|c| &c.combo.channel == ch && &c.combo.unit == u)
                        .map(|c| Bar {
                            value: c.latency.median,
                            low: c.latency.median,
                            high: c.latency.p99,
                        })
                })
                .collect();
            (ch.clone(), bars)
        })
        .collect();
    let title = format!("Round trip by channel and unit, {placement}");
    Some((
        svg::bars(
            &title,
            "round trip (log scale)",
            &units,
            &groups,
            true,
            &|v| ns(v),
        ),
        format!(
            "{title}: bars are medians, whiskers reach the 99th percentile. Reproduce: {}",
            run.header.command.join(" ")
        ),
    ))
}

fn latency_cdf(run: &RunDocument) -> Option<(String, String)> {
    let mut lines = Vec::new();
    for c in &run.combined {
        let mut h = stats::histogram();
        for m in run.measurements.iter().filter(|m| m.combo == c.combo) {
            let _ = h.add(stats::histogram_from(&m.histogram));
        }
        let n = h.len();
        if n == 0 {
            continue;
        }
        let mut seen = 0u64;
        let points: Vec<(f64, f64)> = h
            .iter_recorded()
            .map(|v| {
                seen += v.count_at_value();
                (v.value_iterated_to() as f64, seen as f64 / n as f64)
            })
            .collect();
        lines.push(Line {
            name: format!("{} · {}", c.combo.unit, c.combo.channel),
            points,
            dashed: false,
        });
    }
    if lines.is_empty() {
        return None;
    }
    Some((
        svg::lines(
            "Distribution of round trips (CDF), players placed freely",
            "round trip (log scale)",
            "fraction of round trips",
            &lines,
            true,
            false,
            &|v| ns(v),
            &|v| format!("{v:.1}"),
        ),
        "Each line is the cumulative share of round trips at or below a time; a line further left is faster, a long right tail is jitter.".into(),
    ))
}
