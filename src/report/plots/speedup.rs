//! CPU-bound speedup against the number of workers: Rust threads and
//! processes on all CPUs and on one, and CPython's pure-Python loop.

use super::{drawn, placement_name, t, unit_name, why, Body, Plot};
use crate::document::Document;
use crate::experiment::scale::{ScaleDocument, ScaleResult};
use crate::kinds::{CpuSet, UnitKind};
use crate::python::{Build, Kernel, PyRow, PyUnit, PythonDocument, ScalePlacement};
use crate::report::chart::{self, LineChart, Series};
use crate::verdict::summary;
use crate::verdict::VerdictDocument;

/// A scaling row's speedup over one worker, when it has one.
// The one place that reads a scaling row's speedup: follows its type.
fn speedup_of(r: &ScaleResult) -> Option<f64> {
    if r.broken.is_some() {
        return None;
    }
    r.speedup
}

/// A speedup series: its name, (workers, speedup) points, and the speedup
/// at the most workers with its range, from the evidence.
type SpeedupLine = (String, Vec<(f64, f64)>, Option<String>);

/// CPU-bound speedup: Rust threads and processes on all CPUs and on one,
/// and CPython's pure-Python loop, against the number of workers. With
/// three worker counts or fewer (2 CPUs), a table; else lines with each
/// point's value.
pub fn speedup(doc: &VerdictDocument) -> Plot {
    let ru = doc.lang == "ru";
    let title = t(ru, "Speedup of CPU-bound work", "Ускорение счётной работы");
    let Some(Document::Scale(d)) = doc.document("scale") else {
        return Plot {
            id: "speedup",
            title,
            body: Body::Missing(t(
                ru,
                &format!("Not measured: {}", why(&doc.evidence, "scale", ru)),
                &format!("Не измерено: {}", why(&doc.evidence, "scale", ru)),
            )),
            caption: String::new(),
        };
    };
    let d: &ScaleDocument = d;
    let python = match doc.document("python") {
        Some(Document::Python(p)) => Some(p),
        _ => None,
    };
    let mut lines = rust_lines(doc, d, ru);
    lines.extend(python_lines(doc, python, ru));
    let mut counts: Vec<usize> = lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.0 as usize))
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let cpus = d.settings.allowed_cpus;
    let body = if lines.is_empty() {
        Body::Missing(t(
            ru,
            "No run gave a speedup (every scaling run failed or was cut short).",
            "Ни один прогон не дал ускорения (все прогоны масштабирования сорвались или прерваны).",
        ))
    } else if counts.len() <= 3 {
        speedup_table(&lines, &counts, ru)
    } else {
        speedup_chart(&lines, &counts, cpus, &title, ru)
    };
    Plot {
        id: "speedup",
        title,
        body,
        caption: caption(d, cpus, ru),
    }
}

/// Rust's lines: threads and processes, on all CPUs and on one.
fn rust_lines(doc: &VerdictDocument, d: &ScaleDocument, ru: bool) -> Vec<SpeedupLine> {
    let mut lines: Vec<SpeedupLine> = Vec::new();
    for unit in [UnitKind::Thread, UnitKind::Fork] {
        for placement in CpuSet::BOTH {
            let points: Vec<(f64, f64)> = d
                .results
                .iter()
                .filter(|r| r.unit == unit && r.placement == placement)
                .filter_map(|r| Some((r.workers as f64, speedup_of(r)?)))
                .collect();
            let k = crate::experiment::scale::key::speedup(unit, placement);
            let interval = doc.evidence.figure(&k).map(summary::brief);
            if !points.is_empty() {
                lines.push((
                    format!(
                        "Rust {}, {}",
                        unit_name(unit, ru),
                        placement_name(placement, ru)
                    ),
                    points,
                    interval,
                ));
            }
        }
    }
    lines
}

/// CPython's lines: the pure-Python loop over threads and processes free to
/// use every CPU, for each build found.
fn python_lines(
    doc: &VerdictDocument,
    python: Option<&PythonDocument>,
    ru: bool,
) -> Vec<SpeedupLine> {
    let mut lines: Vec<SpeedupLine> = Vec::new();
    for build in Build::ALL.iter().copied() {
        for unit in PyUnit::ALL.iter().copied() {
            let points: Vec<(f64, f64)> = python
                .map(|p: &PythonDocument| p.results.as_slice())
                .unwrap_or(&[])
                .iter()
                .filter(|r| r.interpreter == build)
                .filter_map(|r| match &r.row {
                    PyRow::Scale(s)
                        if s.kernel == Kernel::PythonLoop
                            && s.unit == unit
                            && s.placement == ScalePlacement::Free =>
                    {
                        Some((f64::from(s.workers), s.speedup?))
                    }
                    _ => None,
                })
                .collect();
            let k = crate::python::evidence::key::of(
                build,
                &crate::python::evidence::key::scale_speedup(
                    Kernel::PythonLoop,
                    unit,
                    ScalePlacement::Free,
                ),
            );
            let interval = doc.evidence.figure(&k).map(summary::brief);
            if !points.is_empty() {
                let who = match (unit, ru) {
                    (PyUnit::Threads, false) => "threads",
                    (PyUnit::Threads, true) => "потоки",
                    (PyUnit::Processes, false) => "processes",
                    (PyUnit::Processes, true) => "процессы",
                };
                lines.push((
                    format!(
                        "{} {who}, {}",
                        summary::build_title(build, ru),
                        placement_name(CpuSet::AllCpus, ru)
                    ),
                    points,
                    interval,
                ));
            }
        }
    }
    lines
}

/// Three worker counts or fewer: a table of each line's speedups and its
/// range at the most workers.
fn speedup_table(lines: &[SpeedupLine], counts: &[usize], ru: bool) -> Body {
    let workers = |n: usize| {
        if ru {
            format!("{n} раб.")
        } else if n == 1 {
            "1 worker".to_string()
        } else {
            format!("{n} workers")
        }
    };
    let mut head = vec![t(ru, "who, where", "кто, где")];
    head.extend(counts.iter().map(|&n| workers(n)));
    head.push(t(
        ru,
        "at the most workers (range)",
        "при наибольшем числе (размах)",
    ));
    let rows = lines
        .iter()
        .map(|(name, points, interval)| {
            let mut row = vec![name.clone()];
            row.extend(counts.iter().map(|n| {
                points
                    .iter()
                    .find(|p| p.0 as usize == *n)
                    .map(|p| format!("{:.2}×", p.1))
                    .unwrap_or_else(|| "–".into())
            }));
            row.push(interval.clone().unwrap_or_else(|| "–".into()));
            row
        })
        .collect();
    Body::Table { head, rows }
}

/// More worker counts: a line per series with each point's value, and the
/// ideal of one CPU per worker.
fn speedup_chart(
    lines: &[SpeedupLine],
    counts: &[usize],
    cpus: usize,
    title: &str,
    ru: bool,
) -> Body {
    let mut series: Vec<Series> = lines
        .iter()
        .enumerate()
        .map(|(i, (name, points, _))| Series {
            name: name.clone(),
            points: points.clone(),
            dashed: false,
            color: i,
            values: true,
        })
        .collect();
    let most = counts.last().copied().unwrap_or(1);
    series.push(Series {
        name: t(
            ru,
            "ideal (one CPU per worker)",
            "идеал (по CPU на работника)",
        ),
        points: (1..=most).map(|w| (w as f64, w.min(cpus) as f64)).collect(),
        dashed: true,
        color: 5,
        values: false,
    });
    drawn(chart::lines(&LineChart {
        title,
        x_desc: &t(ru, "workers", "работников"),
        y_desc: &t(ru, "speedup over one worker", "ускорение против одного"),
        series,
        x_log: false,
        y_log: false,
        x_fmt: &|v| {
            if (v - v.round()).abs() < 1e-6 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        },
        y_fmt: &|v| format!("{v:.1}"),
    }))
}

/// What the plot compares, and the command that measured it.
fn caption(d: &ScaleDocument, cpus: usize, ru: bool) -> String {
    format!(
        "{} {}: {}",
        if ru {
            format!("Одна и та же счётная работа, разделённая на 1..N потоков или процессов Rust (на всех CPU и на одном), рядом с циклом на чистом Python в CPython (с GIL и без, где найден); ускорение = время одного работника ÷ время N. Машина даёт {cpus} CPU: больше {cpus}× не бывает.")
        } else {
            format!("The same CPU-bound work split over 1..N Rust threads or processes (on all CPUs, and pinned to one), beside CPython's pure-Python loop (with the GIL and without, where found); speedup = one worker's time ÷ N workers'. This machine gives pingpong {cpus} CPUs: no speedup can exceed {cpus}×.")
        },
        t(ru, "Reproduce", "Повторить"),
        d.header.command.join(" ")
    )
}
