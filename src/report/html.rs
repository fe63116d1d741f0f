//! `verdict --html FILE`: the verdict as a page people want to read.

use super::svg::{self, esc, Bar, Line};
use crate::output::ns;
use crate::results::RunDocument;
use crate::stats;
use crate::verdict::evidence::show;
use crate::verdict::rules::Word;
use crate::verdict::VerdictDocument;
use serde_json::Value;
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
    if let Some(f) = doc
        .experiments
        .iter()
        .find(|e| e.get("experiment").and_then(Value::as_str) == Some("faults"))
    {
        let _ = write!(
            s,
            "<h2>{}</h2><p>{}</p>{}",
            t("What a fault does", "Что делает сбой"),
            esc(&format!(
                "Each fault ran inside a sacrificial child of pingpong. Reproduce: {}",
                command_of(f)
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
    let find = |name: &str| {
        doc.experiments
            .iter()
            .find(|e| e.get("experiment").and_then(Value::as_str) == Some(name))
    };
    out.extend(find("spawn").and_then(spawn_bars));
    out.extend(find("memory").and_then(memory_lines));
    out.extend(find("scale").and_then(|scale| speedup_lines(scale, find("python"))));
    out
}

fn results(doc: &Value) -> &[Value] {
    doc.get("results")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn command_of(doc: &Value) -> String {
    doc.get("command")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn spawn_bars(doc: &Value) -> Option<(String, String)> {
    let mut methods: Vec<String> = Vec::new();
    for r in results(doc) {
        let m = text(r, "method").to_string();
        if !m.is_empty() && !methods.contains(&m) {
            methods.push(m);
        }
    }
    let heap_of = |r: &Value| {
        r.get("parent_heap_bytes")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    };
    let big = results(doc).iter().map(heap_of).fold(0.0, f64::max);
    let bar = |method: &str, with_heap: bool| {
        let r = results(doc)
            .iter()
            .find(|r| text(r, "method") == method && (heap_of(r) > 0.0) == with_heap)?;
        let t = r.get("total")?;
        Some(Bar {
            value: t.get("median")?.as_f64()?,
            low: t.get("median")?.as_f64()?,
            high: t.get("p99")?.as_f64()?,
        })
    };
    let groups: Vec<(String, Vec<Option<Bar>>)> = methods
        .iter()
        .map(|m| (m.clone(), vec![bar(m, false), bar(m, true)]))
        .collect();
    if groups.is_empty() {
        return None;
    }
    let series = vec![
        "small parent".to_string(),
        format!("parent with {:.0} MiB resident", big / (1u64 << 20) as f64),
    ];
    Some((
        svg::bars("Creating and ending one unit", "create + join/wait (log scale)", &series, &groups, true, &|v| ns(v)),
        format!(
            "Median time to create a unit and join or reap it (whiskers: 99th percentile), with a small parent and with a large resident heap, which makes fork copy page tables. Reproduce: {}",
            command_of(doc)
        ),
    ))
}

fn memory_lines(doc: &Value) -> Option<(String, String)> {
    let mut units: Vec<String> = Vec::new();
    for r in results(doc) {
        let u = text(r, "unit").to_string();
        if !u.is_empty() && !units.contains(&u) {
            units.push(u);
        }
    }
    let lines: Vec<Line> = units
        .iter()
        .map(|u| Line {
            name: u.clone(),
            points: results(doc)
                .iter()
                .filter(|r| text(r, "unit") == u)
                .filter_map(|r| {
                    Some((
                        r.get("units")?.as_f64()?,
                        r.get("pss_kib_per_unit")?.as_f64()?,
                    ))
                })
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
        format!("Proportional set size added per idle unit, against how many are alive at once. Reproduce: {}", command_of(doc)),
    ))
}

fn speedup_lines(doc: &Value, python: Option<&Value>) -> Option<(String, String)> {
    let mut lines = Vec::new();
    let mut max_workers: f64 = 1.0;
    let cpus = doc
        .pointer("/settings/allowed_cpus")
        .and_then(Value::as_f64)
        .unwrap_or(1.0);
    for unit in ["threads", "processes-fork"] {
        for placement in ["all CPUs", "one CPU"] {
            let points: Vec<(f64, f64)> = results(doc)
                .iter()
                .filter(|r| text(r, "unit") == unit && text(r, "placement") == placement)
                .filter_map(|r| Some((r.get("workers")?.as_f64()?, r.get("speedup")?.as_f64()?)))
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
    // CPython on the same axes: the pure-Python loop, which holds the GIL
    // (and does not in a free-threaded build, drawn as a line of its own).
    for (label, name) in [
        ("cpython", "CPython"),
        ("cpython-ft", "CPython free-threaded"),
    ] {
        for unit in ["threads", "processes"] {
            let points: Vec<(f64, f64)> = python
                .map(results)
                .unwrap_or(&[])
                .iter()
                .filter(|r| {
                    text(r, "interpreter") == label
                        && text(r, "experiment") == "scale"
                        && text(r, "kernel") == "python-loop"
                        && text(r, "unit") == unit
                        && text(r, "placement") == "free"
                })
                .filter_map(|r| Some((r.get("workers")?.as_f64()?, r.get("speedup")?.as_f64()?)))
                .collect();
            if !points.is_empty() {
                lines.push(Line {
                    name: format!("{name} {unit}, all CPUs"),
                    points,
                    dashed: false,
                });
            }
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
            command_of(doc)
        ),
    ))
}

/// The fault experiments' outcomes, as a table.
fn faults_table(doc: &Value) -> String {
    let mut s = String::from("<table><tr><th>experiment</th><th>case</th><th>unit</th><th>outcome</th><th>status</th><th>program survived</th><th>noticed after</th></tr>");
    for r in results_rows(doc) {
        let survived = match r.get("survived").and_then(Value::as_bool) {
            Some(true) => "yes",
            Some(false) => "no",
            None => "–",
        };
        let notice = r
            .get("notice_ns")
            .and_then(Value::as_f64)
            .map(ns)
            .unwrap_or_else(|| "–".into());
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{survived}</td><td>{}</td></tr>",
            esc(text(r, "experiment")),
            esc(text(r, "case")),
            esc(text(r, "unit")),
            esc(text(r, "outcome")),
            esc(text(r, "status")),
            esc(&notice)
        );
    }
    s.push_str("</table>");
    s
}

fn results_rows(doc: &Value) -> &[Value] {
    doc.get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
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
