//! `verdict --html FILE`: the verdict as a page people want to read.

use super::svg::{self, esc, Bar, Line};
use crate::document::Document;
use crate::evidence::show;
use crate::experiment::memory::MemoryDocument;
use crate::experiment::scale::ScaleDocument;
use crate::experiment::spawn::{Method, SpawnDocument};
use crate::faults::FaultsDocument;
use crate::format::ns;
use crate::kinds::{CpuSet, UnitKind};
use crate::python::PythonDocument;
use crate::results::RunDocument;
use crate::stats;
use crate::verdict::rules::Word;
use crate::verdict::VerdictDocument;
use std::fmt::Write;

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 6px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
.word { font-weight: bold; min-width: 6em; max-width: 14em; }
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
        "<h2>{}</h2><table><tr><th>id</th><th>{}</th><th>{}</th><th>CPython</th><th>{}</th></tr>",
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
        let mut ev = match crate::verdict::claims::experiment_line(&v.id, ru) {
            Some(line) => format!("<div>{}</div>{}", esc(&line), esc(&v.judgement.rule)),
            None => esc(&v.judgement.rule),
        };
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
        // The CPython column: its word, its rule and figures as a tooltip.
        let cpython = match &v.cpython {
            Some(j) => {
                let mut title = j.rule.clone();
                for k in &j.figures {
                    if let Some(f) = doc.evidence.figures.get(k) {
                        let _ = write!(title, "\n{k} = {}", show(f));
                    }
                }
                format!(
                    "<td class=\"word {}\" title=\"{}\">{}</td>",
                    word_class(&j.word),
                    esc(&title),
                    esc(&j.word.label(ru))
                )
            }
            None => "<td>–</td>".into(),
        };
        let _ = write!(
            s,
            "<tr id=\"{id}\"><td>{id}</td><td>{claim}</td><td class=\"word {}\">{}</td>{cpython}<td>{ev}</td></tr>",
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
    if let Some(Document::Faults(f)) = doc.document("faults") {
        let _ = write!(
            s,
            "<h2>{}</h2><p>{}</p>{}",
            t("What a fault does", "Что делает сбой"),
            esc(&format!(
                "Each fault ran inside a sacrificial child of pingpong. Reproduce: {}",
                f.header.command.join(" ")
            )),
            faults_table(f)
        );
    }
    s.push_str("</body></html>\n");
    s
}

/// Every plot the evidence allows, with its caption.
pub fn plots(doc: &VerdictDocument) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let run = |step: &str| match doc.document(step) {
        Some(Document::Run(r)) => Some(r.as_ref()),
        _ => None,
    };
    for (step, placement) in [
        ("rally.same-cpu", "both players on one CPU"),
        ("rally.free", "players placed freely"),
    ] {
        out.extend(run(step).and_then(|r| latency_bars(r, placement)));
    }
    out.extend(run("hosts").and_then(latency_cdf));
    if let Some(Document::Spawn(d)) = doc.document("spawn") {
        out.extend(spawn_bars(d));
    }
    if let Some(Document::Memory(d)) = doc.document("memory") {
        out.extend(memory_lines(d));
    }
    if let Some(Document::Scale(d)) = doc.document("scale") {
        let python = match doc.document("python") {
            Some(Document::Python(p)) => Some(p),
            _ => None,
        };
        out.extend(speedup_lines(d, python));
    }
    out
}

fn spawn_bars(doc: &SpawnDocument) -> Option<(String, String)> {
    let mut methods: Vec<Method> = Vec::new();
    for r in &doc.results {
        if !methods.contains(&r.method) {
            methods.push(r.method);
        }
    }
    let big = doc
        .results
        .iter()
        .map(|r| r.parent_heap_bytes)
        .max()
        .unwrap_or(0);
    let bar = |method: Method, with_heap: bool| {
        let r = doc
            .results
            .iter()
            .find(|r| r.method == method && (r.parent_heap_bytes > 0) == with_heap)?;
        Some(Bar {
            value: r.total.median,
            low: r.total.median,
            high: r.total.p99,
        })
    };
    let groups: Vec<(String, Vec<Option<Bar>>)> = methods
        .iter()
        .map(|&m| (m.name().to_string(), vec![bar(m, false), bar(m, true)]))
        .collect();
    if groups.is_empty() {
        return None;
    }
    let series = vec![
        "small parent".to_string(),
        format!("parent with {} MiB resident", big >> 20),
    ];
    Some((
        svg::bars("Creating and ending one unit", "create + join/wait (log scale)", &series, &groups, true, &|v| ns(v)),
        format!(
            "Median time to create a unit and join or reap it (whiskers: 99th percentile), with a small parent and with a large resident heap, which makes fork copy page tables. Reproduce: {}",
            doc.header.command.join(" ")
        ),
    ))
}

fn memory_lines(doc: &MemoryDocument) -> Option<(String, String)> {
    let mut units: Vec<UnitKind> = Vec::new();
    for r in &doc.results {
        if !units.contains(&r.unit) {
            units.push(r.unit);
        }
    }
    let lines: Vec<Line> = units
        .iter()
        .map(|&u| Line {
            name: u.name().to_string(),
            points: doc
                .results
                .iter()
                .filter(|r| r.unit == u)
                .filter_map(|r| Some((r.units as f64, r.pss_kib_per_unit?)))
                .collect(),
            dashed: false,
        })
        .filter(|l| !l.points.is_empty())
        .collect();
    if lines.is_empty() {
        return None;
    }
    Some((
        svg::lines("Memory per idle unit", "units at once (log scale)", "PSS per unit, KiB (log scale)", &lines, true, true, &|v| format!("{v:.0}"), &|v| format!("{v:.0}")),
        format!("Proportional set size added per idle unit, against how many are alive at once. Reproduce: {}", doc.header.command.join(" ")),
    ))
}

fn speedup_lines(doc: &ScaleDocument, python: Option<&PythonDocument>) -> Option<(String, String)> {
    let mut lines = Vec::new();
    let mut max_workers: f64 = 1.0;
    let cpus = doc.settings.allowed_cpus as f64;
    for unit in [UnitKind::Thread, UnitKind::Fork] {
        for placement in CpuSet::BOTH {
            let points: Vec<(f64, f64)> = doc
                .results
                .iter()
                .filter(|r| r.unit == unit && r.placement == placement && r.broken.is_none())
                .filter_map(|r| Some((r.workers as f64, r.speedup?)))
                .collect();
            max_workers = points.iter().map(|p| p.0).fold(max_workers, f64::max);
            if !points.is_empty() {
                lines.push(Line {
                    name: format!("{unit}, {placement}"),
                    points,
                    dashed: false,
                });
            }
        }
    }
    if lines.is_empty() {
        return None;
    }
    // CPython on the same axes: the pure-Python loop, which holds the GIL.
    for unit in ["threads", "processes"] {
        let is = |v: &Option<String>, s: &str| v.as_deref() == Some(s);
        let points: Vec<(f64, f64)> = python
            .map(|p| p.results.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter(|r| {
                r.interpreter == "cpython"
                    && r.experiment == "scale"
                    && is(&r.kernel, "python-loop")
                    && is(&r.unit, unit)
                    && is(&r.placement, "all CPUs")
            })
            .filter_map(|r| Some((r.workers? as f64, r.speedup?)))
            .collect();
        if !points.is_empty() {
            lines.push(Line {
                name: format!("CPython {unit}, all CPUs"),
                points,
                dashed: false,
            });
        }
    }
    let ideal: Vec<(f64, f64)> = (1..=max_workers as usize)
        .map(|w| (w as f64, (w as f64).min(cpus)))
        .collect();
    lines.push(Line {
        name: "ideal".into(),
        points: ideal,
        dashed: true,
    });
    Some((
        svg::lines(
            "Speedup of CPU-bound work",
            "workers",
            "speedup over one worker",
            &lines,
            false,
            false,
            // Workers are whole: label only the whole ticks.
            &|v| if (v - v.round()).abs() < 1e-6 { format!("{v:.0}") } else { String::new() },
            &|v| format!("{v:.1}"),
        ),
        format!(
            "Fixed total work split over 1..N Rust threads or processes, on all CPUs and pinned to one, beside CPython's pure-Python loop (which holds the GIL) where a CPython was found; the dashed line is the ideal (one CPU per worker, up to {cpus:.0}). Reproduce: {}",
            doc.header.command.join(" ")
        ),
    ))
}

/// The fault experiments' outcomes, as a table.
fn faults_table(doc: &FaultsDocument) -> String {
    let mut s = String::from("<table><tr><th>experiment</th><th>case</th><th>unit</th><th>outcome</th><th>status</th><th>program survived</th><th>noticed after</th></tr>");
    for r in &doc.rows {
        let survived = match r.survived {
            Some(true) => "yes",
            Some(false) => "no",
            None => "–",
        };
        let notice = r.notice_ns.map(ns).unwrap_or_else(|| "–".into());
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{survived}</td><td>{}</td></tr>",
            esc(&r.experiment),
            esc(&r.case),
            esc(&r.unit),
            esc(&r.outcome),
            esc(&r.status),
            esc(&notice)
        );
    }
    s.push_str("</table>");
    s
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
