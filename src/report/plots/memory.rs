//! Memory per idle unit against how many are alive at once.

use super::{drawn, t, unit_name, why, Body, Plot};
use crate::document::Document;
use crate::experiment::memory::MemoryDocument;
use crate::kinds::UnitKind;
use crate::report::chart::{self, LineChart, Series};
use crate::verdict::VerdictDocument;

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
    let series = unit_series(d, ru);
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

/// A line per kind of unit: PSS per unit against units alive at once.
fn unit_series(d: &MemoryDocument, ru: bool) -> Vec<Series> {
    let mut units: Vec<UnitKind> = Vec::new();
    for r in &d.results {
        if !units.contains(&r.unit) {
            units.push(r.unit);
        }
    }
    units
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
        .collect()
}
