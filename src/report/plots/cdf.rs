//! The distribution of round trips, threads against processes, in the
//! first pinned rally measured.

use super::{drawn, run, t, why, Body, Plot};
use crate::format::ns;
use crate::kinds::UnitKind;
use crate::report::chart::{self, LineChart, Series};
use crate::results::RunDocument;
use crate::stats;
use crate::verdict::summary::{Family, Pinned};
use crate::verdict::VerdictDocument;

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
    let title = cdf_title(found, ru);
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
            series.extend(cdf_line(r, channel, unit, i, ru));
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

/// The title, naming the placement of the rally shown.
fn cdf_title(found: Option<(Pinned, &RunDocument)>, ru: bool) -> String {
    match found.map(|(p, _)| p) {
        Some(p) => t(
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
    }
}

/// One unit's round trips over one channel, up to the 99.9th percentile,
/// in colour `color` (none when it kept no histogram).
fn cdf_line(
    r: &RunDocument,
    channel: &str,
    unit: UnitKind,
    color: usize,
    ru: bool,
) -> Option<Series> {
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
        return None;
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
    Some(Series {
        name: format!("{channel} · {who}"),
        points,
        dashed: unit != UnitKind::Thread,
        color,
        values: false,
    })
}
