//! The cost of starting and ending one unit, by method.

use super::{drawn, t, why, Body, Plot};
use crate::evidence::Evidence;
use crate::experiment::spawn_cost::{self, Method};
use crate::format::ns;
use crate::report::chart::{self, Dot, DotChart};
use crate::verdict::VerdictDocument;

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
    let (dots, command) = method_dots(ev, &rows);
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

/// Each method's median total, with a small parent and with a large heap,
/// as dots, and the command that measured them.
fn method_dots(ev: &Evidence, rows: &[Method]) -> (Vec<Dot>, String) {
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
    (dots, command)
}
