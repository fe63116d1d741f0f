//! The at-a-glance chart: processes ÷ threads round trip per channel, by
//! family, for each pinned placement.

use super::{drawn, t, why, Body, Plot};
use crate::report::chart::{self, Dot, DotChart};
use crate::verdict::summary::{self, Family, Pinned, RallyRatio};
use crate::verdict::VerdictDocument;

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
    let rows = channel_rows(&ratios);
    let placements: Vec<Pinned> = Pinned::BOTH
        .into_iter()
        .filter(|p| ratios.iter().any(|r| r.pinned == *p))
        .collect();
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
        ratio_chart(&ratios, &rows, &placements, &title, ru)
    };
    Plot {
        id: "glance",
        title,
        body,
        caption: caption(doc, &ratios, &rows, &placements),
    }
}

/// A row per channel measured, by family.
fn channel_rows(ratios: &[RallyRatio]) -> Vec<(Family, String)> {
    let mut rows: Vec<(Family, String)> = Vec::new();
    for r in ratios {
        if !rows.iter().any(|(f, c)| *f == r.family && *c == r.channel) {
            rows.push((r.family, r.channel.clone()));
        }
    }
    rows.sort();
    rows
}

/// Each ratio a dot with its range, a row per channel and a series per
/// placement, on a ratio axis with 1× marked.
fn ratio_chart(
    ratios: &[RallyRatio],
    rows: &[(Family, String)],
    placements: &[Pinned],
    title: &str,
    ru: bool,
) -> Body {
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
        title,
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
}

/// What a dot is, what was not measured, and the commands that measured it.
fn caption(
    doc: &VerdictDocument,
    ratios: &[RallyRatio],
    rows: &[(Family, String)],
    placements: &[Pinned],
) -> String {
    let ru = doc.lang == "ru";
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
    for r in ratios {
        if !commands.contains(&r.figure.command) {
            commands.push(r.figure.command.clone());
        }
    }
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
    caption
}
