//! What the report plots, read from the verdict's documents and evidence:
//! the at-a-glance ratio of processes to threads per channel and pinned
//! placement, the distribution of round trips (threads against processes,
//! pinned), the cost of starting a unit, memory per idle unit and CPU-bound
//! speedup (a small table when there are too few worker counts for lines).
//!
//! Free placement is left out of every chart: where the players ran is not
//! recorded there, and one CPU against two can differ 30× on a virtual
//! machine, which would read as a difference between threads and processes.
//! Every label is in the verdict's language; a plot that cannot be drawn
//! says why instead.

use super::chart::{self, Dot, DotChart, LineChart, Series};
use crate::document::Document;
use crate::evidence::Evidence;
use crate::experiment::memory::MemoryDocument;
use crate::experiment::scale::{ScaleDocument, ScaleResult};
use crate::experiment::spawn_cost::{self, Method};
use crate::format::ns;
use crate::kinds::{CpuSet, UnitKind};
use crate::python::{Build, Kernel, PyRow, PyUnit, PythonDocument, ScalePlacement};
use crate::results::RunDocument;
use crate::stats;
use crate::verdict::summary::{self, Family, Pinned};
use crate::verdict::VerdictDocument;

/// What stands where a plot goes.
#[derive(Clone, Debug)]
pub enum Body {
    Svg(String),
    /// Too few points for a chart: a small table.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Why there is nothing to show.
    Missing(String),
}

/// A plot with its title and caption.
#[derive(Clone, Debug)]
pub struct Plot {
    /// Its element id in the page.
    pub id: &'static str,
    pub title: String,
    pub body: Body,
    pub caption: String,
}

fn t(ru: bool, en: &str, ru_text: &str) -> String {
    if ru {
        ru_text.to_string()
    } else {
        en.to_string()
    }
}

fn drawn(svg: Result<String, String>) -> Body {
    match svg {
        Ok(s) => Body::Svg(s),
        Err(e) => Body::Missing(e),
    }
}

/// Why a step gave nothing, from the evidence (or "not run").
fn why(ev: &Evidence, step: &str, ru: bool) -> String {
    match ev.missing.get(step) {
        Some(m) => m.why.clone(),
        None => t(
            ru,
            &format!("the `{step}` step did not run in this verdict"),
            &format!("шаг `{step}` в этом вердикте не выполнялся"),
        ),
    }
}

fn run<'a>(doc: &'a VerdictDocument, step: &str) -> Option<&'a RunDocument> {
    match doc.document(step) {
        Some(Document::Run(r)) => Some(r.as_ref()),
        _ => None,
    }
}

/// The at-a-glance chart: processes ÷ threads round trip per channel, by
/// family, for each pinned placement, on a ratio axis with 1× marked.
pub fn glance(doc: &VerdictDocument) -> Plot {
    let ru = doc.lang == "ru";
    let ratios = summary::rally_ratios(&doc.evidence);
    let title = t(
        ru,
        "Processes ÷ threads: one round trip, players pinned",
        "Процессы ÷ потоки: один круговой обмен, игроки закреплены",
    );
    let mut rows: Vec<(Family, String)> = Vec::new();
    for r in &ratios {
        if !rows.iter().any(|(f, c)| *f == r.family && *c == r.channel) {
            rows.push((r.family, r.channel.clone()));
        }
    }
    rows.sort();
    let placements: Vec<Pinned> = Pinned::BOTH
        .into_iter()
        .filter(|p| ratios.iter().any(|r| r.pinned == *p))
        .collect();
    let unmeasured: Vec<String> = Pinned::BOTH
        .into_iter()
        .filter(|p| !placements.contains(p))
        .map(|p| format!("{} ({})", p.label(ru), why(&doc.evidence, p.step(), ru)))
        .collect();
    let absent: Vec<&str> = Family::ALL
        .into_iter()
        .filter(|f| !rows.iter().any(|(g, _)| g == f))
        .map(|f| f.name(ru))
        .collect();
    let mut commands: Vec<String> = Vec::new();
    for r in &ratios {
        if !commands.contains(&r.figure.command) {
            commands.push(r.figure.command.clone());
        }
    }
    let body = if ratios.is_empty() {
        Body::Missing(t(
            ru,
            &format!(
                "Not measured: {}",
                why(&doc.evidence, Pinned::OneCpu.step(), ru)
            ),
            &format!(
                "Не измерено: {}",
                why(&doc.evidence, Pinned::OneCpu.step(), ru)
            ),
        ))
    } else {
        let dots = ratios
            .iter()
            .filter_map(|r| {
                Some(Dot {
                    row: rows
                        .iter()
                        .position(|(f, c)| *f == r.family && *c == r.channel)?,
                    series: placements.iter().position(|p| *p == r.pinned)?,
                    value: r.figure.value,
                    low: r.figure.low,
                    high: r.figure.high,
                })
            })
            .collect();
        drawn(chart::dots(&DotChart {
            title: &title,
            x_desc: &t(
                ru,
                "processes ÷ threads (ratio, log scale); right of 1×: processes slower",
                "процессы ÷ потоки (во сколько раз, лог. шкала); правее 1× — процессы медленнее",
            ),
            rows: rows
                .iter()
                .map(|(f, c)| format!("{c} · {}", f.name(ru)))
                .collect(),
            series: placements.iter().map(|p| p.label(ru).to_string()).collect(),
            dots,
            reference: Some((1.0, t(ru, "1× = alike", "1× = одинаково"))),
            fmt: &|v| {
                if v >= 10.0 {
                    format!("{v:.0}×")
                } else {
                    format!("{v:.2}×")
                }
            },
        }))
    };
    let mut caption = t(
        ru,
        "Each dot: the median over interleaved repetitions of the processes' round trip ÷ the threads' over the same channel, both pinned alike (one CPU: both players on one CPU; two CPUs: one each); whiskers: the range over the repetitions. In-process channels carry only threads: there, processes over their fastest channel ÷ threads over the in-process one. Free placement is left out: where the players ran is not recorded there.",
        "Каждая точка — медиана по чередующимся повторам: время кругового обмена процессов ÷ время потоков по тому же каналу, закреплённых одинаково (один CPU — оба игрока на одном CPU; два CPU — по одному); усы — размах по повторам. Каналы внутри процесса доступны только потокам: там процессы по их самому быстрому каналу ÷ потоки по каналу внутри процесса. Свободное размещение не показано: где шли игроки, там не записано.",
    );
    if !unmeasured.is_empty() {
        caption.push_str(&t(
            ru,
            &format!(" Not measured: {}.", unmeasured.join("; ")),
            &format!(" Не измерено: {}.", unmeasured.join("; ")),
        ));
    }
    if !absent.is_empty() && !ratios.is_empty() {
        caption.push_str(&t(
            ru,
            &format!(" Channel families not in this run: {}.", absent.join(", ")),
            &format!(
                " Семейства каналов, которых нет в этом прогоне: {}.",
                absent.join(", ")
            ),
        ));
    }
    if !commands.is_empty() {
        caption.push_str(&format!(
            " {}: {}",
            t(ru, "Reproduce", "Повторить"),
            commands.join(" ; ")
        ));
    }
    Plot {
        id: "glance",
        title,
        body,
        caption,
    }
}

/// The channels a CDF shows: the first of each family the rally measured.
fn cdf_channels(r: &RunDocument) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for family in Family::ALL {
        let preferred = ["pipe", "spin", "crossbeam"];
        let mut of: Vec<&str> = r
            .combined
            .iter()
            .map(|c| c.combo.channel.as_str())
            .filter(|c| Family::of(c) == family)
            .collect();
        of.sort_by_key(|c| !preferred.contains(c));
        if let Some(c) = of.first() {
            out.push(c.to_string());
        }
    }
    out
}

/// The distribution of round trips, threads against processes, in the
/// first pinned rally measured.
pub fn cdf(doc: &VerdictDocument) -> Plot {
    let ru = doc.lang == "ru";
    let found = Pinned::BOTH
        .into_iter()
        .find_map(|p| run(doc, p.step()).map(|r| (p, r)));
    let title = match found {
        Some((p, _)) => t(
            ru,
            &format!(
                "Distribution of round trips (CDF), threads and processes, {}",
                p.describe(false)
            ),
            &format!(
                "Распределение кругового обмена (CDF), потоки и процессы, {}",
                p.describe(true)
            ),
        ),
        None => t(
            ru,
            "Distribution of round trips (CDF)",
            "Распределение кругового обмена (CDF)",
        ),
    };
    let Some((_, r)) = found else {
        return Plot {
            id: "cdf",
            title,
            body: Body::Missing(t(
                ru,
                &format!(
                    "Not measured: {}",
                    why(&doc.evidence, Pinned::OneCpu.step(), ru)
                ),
                &format!(
                    "Не измерено: {}",
                    why(&doc.evidence, Pinned::OneCpu.step(), ru)
                ),
            )),
            caption: String::new(),
        };
    };
    let mut series = Vec::new();
    for (i, channel) in cdf_channels(r).iter().enumerate() {
        for unit in [UnitKind::Thread, UnitKind::Spawn] {
            let mut h = stats::histogram();
            for m in r
                .measurements
                .iter()
                .filter(|m| m.combo.channel == *channel && m.combo.unit == unit.name())
            {
                let _ = h.add(stats::histogram_from(&m.histogram));
            }
            let n = h.len();
            if n == 0 {
                continue;
            }
            // Up to the 99.9th percentile: the few slowest would stretch
            // the axis over the rest (the tail's size is in the figures).
            let mut seen = 0u64;
            let points: Vec<(f64, f64)> = h
                .iter_recorded()
                .map(|v| {
                    seen += v.count_at_value();
                    (v.value_iterated_to() as f64, seen as f64 / n as f64)
                })
                .take_while(|p| p.1 <= 0.999)
                .collect();
            let who = match (unit, ru) {
                (UnitKind::Thread, false) => "threads",
                (UnitKind::Thread, true) => "потоки",
                (_, false) => "processes",
                (_, true) => "процессы",
            };
            series.push(Series {
                name: format!("{channel} · {who}"),
                points,
                dashed: unit != UnitKind::Thread,
                color: i,
                values: false,
            });
        }
    }
    let body = if series.is_empty() {
        Body::Missing(t(
            ru,
            "The rally kept no histograms.",
            "Обмен не сохранил гистограмм.",
        ))
    } else {
        drawn(chart::lines(&LineChart {
            title: &title,
            x_desc: &t(ru, "round trip (log scale)", "круговой обмен (лог. шкала)"),
            y_desc: &t(ru, "fraction of round trips", "доля обменов"),
            series,
            x_log: true,
            y_log: false,
            x_fmt: &|v| ns(v),
            y_fmt: &|v| format!("{v:.1}"),
        }))
    };
    Plot {
        id: "cdf",
        title,
        body,
        caption: format!(
            "{} {}: {}",
            t(
                ru,
                "Each line is the share of round trips at or below a time, up to the 99.9th percentile: solid for threads, dashed for processes, one colour per channel. Further left is faster; a long tail to the right is jitter.",
                "Каждая линия — доля обменов не дольше данного времени, до 99,9-го процентиля: сплошная — потоки, пунктир — процессы, цвет — канал. Левее — быстрее; длинный хвост справа — разброс.",
            ),
            t(ru, "Reproduce", "Повторить"),
            r.header.command.join(" ")
        ),
    }
}

/// The cost of starting and ending one unit, by method, from the evidence.
pub fn spawn(doc: &VerdictDocument) -> Plot {
    let ru = doc.lang == "ru";
    let title = t(
        ru,
        "Creating and ending one unit",
        "Создать и завершить одну единицу",
    );
    let methods = [
        Method::StdThread,
        Method::Pthread,
        Method::ScopedThread,
        Method::TokioTask,
        Method::Fork,
        Method::Vfork,
        Method::PosixSpawn,
        Method::Reexec,
    ];
    let ev = &doc.evidence;
    let rows: Vec<Method> = methods
        .into_iter()
        .filter(|m| {
            [false, true]
                .iter()
                .any(|h| ev.figure(&spawn_cost::key::total(*m, *h)).is_some())
        })
        .collect();
    let mut dots = Vec::new();
    let mut command = String::new();
    for (row, m) in rows.iter().enumerate() {
        for (series, heap) in [false, true].into_iter().enumerate() {
            if let Some(f) = ev.figure(&spawn_cost::key::total(*m, heap)) {
                command = f.command.clone();
                dots.push(Dot {
                    row,
                    series,
                    value: f.value,
                    low: f.low,
                    high: f.high,
                });
            }
        }
    }
    let body = if dots.is_empty() {
        Body::Missing(t(
            ru,
            &format!("Not measured: {}", why(ev, "spawn", ru)),
            &format!("Не измерено: {}", why(ev, "spawn", ru)),
        ))
    } else {
        drawn(chart::dots(&DotChart {
            title: &title,
            x_desc: &t(
                ru,
                "create + join/wait (log scale)",
                "создать + join/wait (лог. шкала)",
            ),
            rows: rows.iter().map(|m| m.describe().to_string()).collect(),
            series: vec![
                t(ru, "small parent", "маленький родитель"),
                t(
                    ru,
                    "parent with a large resident heap",
                    "родитель с большой кучей в памяти",
                ),
            ],
            dots,
            reference: None,
            fmt: &|v| ns(v),
        }))
    };
    Plot {
        id: "spawn",
        title,
        body,
        caption: format!(
            "{} {}: {command}",
            t(
                ru,
                "Median time to create a unit and join or reap it, with its 95% confidence interval, with a small parent and with a large resident heap (which makes fork copy page tables).",
                "Медиана времени создать единицу и дождаться её (join или wait) с 95% доверительным интервалом — при маленьком родителе и при большой куче в памяти (fork тогда копирует таблицы страниц).",
            ),
            t(ru, "Reproduce", "Повторить"),
        ),
    }
}

/// Memory per idle unit against how many are alive at once.
pub fn memory(doc: &VerdictDocument) -> Plot {
    let ru = doc.lang == "ru";
    let title = t(
        ru,
        "Memory per idle unit",
        "Память на одну простаивающую единицу",
    );
    let Some(Document::Memory(d)) = doc.document("memory") else {
        return Plot {
            id: "memory",
            title,
            body: Body::Missing(t(
                ru,
                &format!("Not measured: {}", why(&doc.evidence, "memory", ru)),
                &format!("Не измерено: {}", why(&doc.evidence, "memory", ru)),
            )),
            caption: String::new(),
        };
    };
    let d: &MemoryDocument = d;
    let mut units: Vec<UnitKind> = Vec::new();
    for r in &d.results {
        if !units.contains(&r.unit) {
            units.push(r.unit);
        }
    }
    let series: Vec<Series> = units
        .iter()
        .enumerate()
        .map(|(i, &u)| Series {
            name: unit_name(u, ru).to_string(),
            points: d
                .results
                .iter()
                .filter(|r| r.unit == u)
                .filter_map(|r| Some((r.units as f64, r.pss_kib_per_unit?)))
                .collect(),
            dashed: false,
            color: i,
            values: true,
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let body = if series.is_empty() {
        Body::Missing(t(
            ru,
            "No unit's memory could be read.",
            "Память единиц прочитать не удалось.",
        ))
    } else {
        drawn(chart::lines(&LineChart {
            title: &title,
            x_desc: &t(
                ru,
                "units alive at once (log scale)",
                "единиц одновременно (лог. шкала)",
            ),
            y_desc: &t(
                ru,
                "PSS per unit, KiB (log scale)",
                "PSS на единицу, КиБ (лог. шкала)",
            ),
            series,
            x_log: true,
            y_log: true,
            x_fmt: &|v| format!("{v:.0}"),
            y_fmt: &|v| format!("{v:.0}"),
        }))
    };
    Plot {
        id: "memory",
        title,
        body,
        caption: format!(
            "{} {}: {}",
            t(
                ru,
                "Proportional set size (PSS) added per idle unit, against how many are alive at once; a process's is its family's (parent and children).",
                "Пропорциональный объём памяти (PSS), добавленный на одну простаивающую единицу, против числа живых одновременно; для процессов — всей семьи (родитель и дети).",
            ),
            t(ru, "Reproduce", "Повторить"),
            d.header.command.join(" ")
        ),
    }
}

fn unit_name(u: UnitKind, ru: bool) -> &'static str {
    match (u, ru) {
        (UnitKind::Thread, false) => "threads",
        (UnitKind::Thread, true) => "потоки",
        (UnitKind::Fork, false) => "processes (fork)",
        (UnitKind::Fork, true) => "процессы (fork)",
        (UnitKind::Spawn, false) => "processes (re-exec)",
        (UnitKind::Spawn, true) => "процессы (exec заново)",
        (u, _) => u.name(),
    }
}

fn placement_name(p: CpuSet, ru: bool) -> &'static str {
    match (p, ru) {
        (CpuSet::AllCpus, false) => "all CPUs",
        (CpuSet::AllCpus, true) => "все CPU",
        (CpuSet::OneCpu, false) => "one CPU",
        (CpuSet::OneCpu, true) => "один CPU",
    }
}

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
    } else {
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
            title: &title,
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
    };
    Plot {
        id: "speedup",
        title,
        body,
        caption: format!(
            "{} {}: {}",
            if ru {
                format!("Одна и та же счётная работа, разделённая на 1..N потоков или процессов Rust (на всех CPU и на одном), рядом с циклом на чистом Python в CPython (с GIL и без, где найден); ускорение = время одного работника ÷ время N. Машина даёт {cpus} CPU: больше {cpus}× не бывает.")
            } else {
                format!("The same CPU-bound work split over 1..N Rust threads or processes (on all CPUs, and pinned to one), beside CPython's pure-Python loop (with the GIL and without, where found); speedup = one worker's time ÷ N workers'. This machine gives pingpong {cpus} CPUs: no speedup can exceed {cpus}×.")
            },
            t(ru, "Reproduce", "Повторить"),
            d.header.command.join(" ")
        ),
    }
}

/// Every plot, the at-a-glance chart first.
pub fn all(doc: &VerdictDocument) -> Vec<Plot> {
    vec![glance(doc), cdf(doc), spawn(doc), memory(doc), speedup(doc)]
}
