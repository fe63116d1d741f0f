//! From raw player reports to results: one [`Measurement`] per match, one
//! [`Combined`] per combination, and the pair-by-pair [`Comparison`]s.

use crate::engine::Played;
use crate::format::format_size;
use crate::kinds::Pattern;
use crate::kinds::Placement;
use crate::player::report::{PlayerReport, Tally};
use crate::results::{Combined, Combo, Comparison, Measurement, PlayerFigures, Verification};
use crate::stats::{self, Summary};

fn figures(r: &PlayerReport) -> PlayerFigures {
    PlayerFigures {
        pid: r.pid,
        tid: r.tid,
        cpu_first: r.cpu_first,
        cpu_last: r.cpu_last,
        usage: r.usage,
        max_rss_kib: r.max_rss_kib,
        tally: r.tally,
    }
}

/// Where the players asked to be and where they ran.
pub fn placement_text(asked: &Placement, p: &Played) -> String {
    let ran = format!(
        "ping on CPU {}{}, pong on CPU {}{}",
        p.ping.cpu_first,
        if p.ping.cpu_last != p.ping.cpu_first {
            format!("→{}", p.ping.cpu_last)
        } else {
            String::new()
        },
        p.pong.cpu_first,
        if p.pong.cpu_last != p.pong.cpu_first {
            format!("→{}", p.pong.cpu_last)
        } else {
            String::new()
        },
    );
    format!("{}: {ran}", asked.describe())
}

pub struct MatchInfo<'a> {
    pub combo: Combo,
    pub repetition: u32,
    pub pattern: Pattern,
    pub verify: &'a str,
    pub lossy: bool,
    pub placement: &'a Placement,
    pub payload: crate::channel::payload::Payload,
}

pub fn measurement(info: MatchInfo, played: &Played) -> Measurement {
    let timing = played.ping.timing.clone().unwrap_or_default();
    let hist = stats::histogram_from(&timing.samples);
    let secs = timing.elapsed_ns as f64 / 1e9;
    let rate = if secs > 0.0 {
        timing.rounds as f64 / secs
    } else {
        0.0
    };
    let size = info.combo.size as f64;
    let bytes_per_round = match info.pattern {
        Pattern::Rally => 2.0 * size,
        Pattern::Stream { .. } => size,
    };
    let mut tally = Tally::default();
    tally.add(&played.ping.tally);
    tally.add(&played.pong.tally);
    let damage = tally.stale + tally.out_of_order + tally.corrupted;
    let ok = damage == 0 && (info.lossy || tally.lost == 0);
    Measurement {
        repetition: info.repetition,
        pattern: info.pattern,
        placement: placement_text(info.placement, played),
        payload: info.payload,
        wire_bytes: info.payload.wire_size(info.combo.size),
        rounds: timing.rounds,
        warmup_rounds: timing.warmup_rounds,
        elapsed_ns: timing.elapsed_ns,
        timing: match (info.pattern, timing.batch) {
            (Pattern::Stream { window }, _) => format!("windows of {window}"),
            (_, 1) => "per round trip".into(),
            (_, b) => format!("batches of {b}"),
        },
        latency: Summary::of(&hist),
        rate_per_s: rate,
        bytes_per_s: rate * bytes_per_round,
        verification: Verification {
            mode: info.verify.into(),
            balls_checked: tally.received,
            balls_checksummed: tally.checksummed,
            lost: tally.lost,
            stale: tally.stale,
            out_of_order: tally.out_of_order,
            corrupted: tally.corrupted,
            ok,
        },
        ping: figures(&played.ping),
        pong: figures(&played.pong),
        load: played.load,
        histogram: timing.samples,
        combo: info.combo,
    }
}

/// Each combination over its repetitions, in first-measured order.
pub fn combine(ms: &[Measurement]) -> Vec<Combined> {
    let mut order: Vec<Combo> = Vec::new();
    for m in ms {
        if !order.contains(&m.combo) {
            order.push(m.combo.clone());
        }
    }
    order
        .into_iter()
        .map(|combo| {
            let reps: Vec<&Measurement> = ms.iter().filter(|m| m.combo == combo).collect();
            let mut h = stats::histogram();
            for m in &reps {
                let _ = h.add(stats::histogram_from(&m.histogram));
            }
            let rounds: u64 = reps.iter().map(|m| m.rounds).sum();
            let secs: f64 = reps.iter().map(|m| m.elapsed_ns as f64 / 1e9).sum();
            let bytes: f64 = reps
                .iter()
                .map(|m| m.bytes_per_s * m.elapsed_ns as f64 / 1e9)
                .sum();
            let cpu: u64 = reps
                .iter()
                .map(|m| {
                    m.ping.usage.user_ns
                        + m.ping.usage.system_ns
                        + m.pong.usage.user_ns
                        + m.pong.usage.system_ns
                })
                .sum();
            let switches: u64 = reps
                .iter()
                .map(|m| {
                    m.ping.usage.voluntary_switches
                        + m.ping.usage.involuntary_switches
                        + m.pong.usage.voluntary_switches
                        + m.pong.usage.involuntary_switches
                })
                .sum();
            let per = |x: f64| if rounds > 0 { x / rounds as f64 } else { 0.0 };
            Combined {
                repetitions: reps.len() as u32,
                latency: Summary::of(&h),
                rep_medians: reps.iter().map(|m| m.latency.median).collect(),
                rate_per_s: if secs > 0.0 {
                    rounds as f64 / secs
                } else {
                    0.0
                },
                bytes_per_s: if secs > 0.0 { bytes / secs } else { 0.0 },
                cpu_per_round_ns: per(cpu as f64),
                switches_per_round: per(switches as f64),
                verified_ok: reps.iter().all(|m| m.verification.ok),
                lost: reps.iter().map(|m| m.verification.lost).sum(),
                combo,
            }
        })
        .collect()
}

/// Each unit against the first unit of `units`, channel and size held fixed,
/// ratio of medians taken repetition by repetition (the interleaved pairs).
pub fn compare(ms: &[Measurement], units: &[&str]) -> Vec<Comparison> {
    let Some((&baseline, others)) = units.split_first() else {
        return Vec::new();
    };
    let mut keys: Vec<(String, usize)> = Vec::new();
    for m in ms {
        let k = (m.combo.channel.clone(), m.combo.size);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for (channel, size) in keys {
        let median_of = |unit: &str, rep: u32| {
            ms.iter()
                .find(|m| {
                    m.combo.unit == unit
                        && m.combo.channel == channel
                        && m.combo.size == size
                        && m.repetition == rep
                })
                .map(|m| m.latency.median)
                .filter(|&v| v > 0.0)
        };
        for &unit in others {
            let reps = ms.iter().map(|m| m.repetition + 1).max().unwrap_or(0);
            let ratios: Vec<f64> = (0..reps)
                .filter_map(|r| Some(median_of(unit, r)? / median_of(baseline, r)?))
                .collect();
            if ratios.is_empty() {
                continue;
            }
            out.push(Comparison {
                channel: channel.clone(),
                size,
                baseline: baseline.into(),
                unit: unit.into(),
                median_ratio: stats::median(&ratios),
                min_ratio: ratios.iter().copied().fold(f64::INFINITY, f64::min),
                max_ratio: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ratios,
            });
        }
    }
    out
}

/// One line describing a comparison.
pub fn describe(c: &Comparison) -> String {
    format!(
        "{} vs {} over {} with {} balls: {:.2}× the round trip (per repetition {})",
        c.unit,
        c.baseline,
        c.channel,
        format_size(c.size),
        c.median_ratio,
        c.ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::load::Load;
    use crate::measure::rusage::CpuUsage;

    fn m(unit: &str, rep: u32, median: u64) -> Measurement {
        let fig = PlayerFigures {
            pid: 1,
            tid: 1,
            cpu_first: 0,
            cpu_last: 0,
            usage: CpuUsage {
                user_ns: 100,
                system_ns: 100,
                voluntary_switches: 1,
                involuntary_switches: 0,
            },
            max_rss_kib: 0,
            tally: Tally::default(),
        };
        Measurement {
            combo: Combo {
                unit: unit.into(),
                channel: "pipe".into(),
                size: 8,
            },
            repetition: rep,
            pattern: Pattern::Rally,
            placement: "free".into(),
            payload: Default::default(),
            wire_bytes: 0,
            rounds: 10,
            warmup_rounds: 0,
            elapsed_ns: 10 * median,
            timing: "per round trip".into(),
            latency: Summary::of_samples(&[median; 10]),
            rate_per_s: 1e9 / median as f64,
            bytes_per_s: 16e9 / median as f64,
            verification: Verification {
                mode: "all".into(),
                balls_checked: 20,
                balls_checksummed: 20,
                lost: 0,
                stale: 0,
                out_of_order: 0,
                corrupted: 0,
                ok: true,
            },
            ping: fig.clone(),
            pong: fig,
            load: Load::default(),
            histogram: vec![(median, 10)],
        }
    }

    #[test]
    fn comparisons_pair_repetitions_in_order() {
        // Values under 2048 ns are exact in a 3-significant-figure histogram.
        let ms = vec![
            m("threads", 0, 1000),
            m("processes", 0, 1500),
            m("threads", 1, 1800),
            m("processes", 1, 1980),
        ];
        let c = compare(&ms, &["threads", "processes"]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].ratios.len(), 2);
        assert!((c[0].ratios[0] - 1.5).abs() < 1e-12);
        assert!((c[0].ratios[1] - 1.1).abs() < 1e-12);
        assert!((c[0].median_ratio - 1.3).abs() < 1e-12);
        assert!((c[0].min_ratio - 1.1).abs() < 1e-12);
        assert!((c[0].max_ratio - 1.5).abs() < 1e-12);
    }

    #[test]
    fn a_single_unit_has_nothing_to_compare() {
        assert!(compare(&[m("threads", 0, 1000)], &["threads"]).is_empty());
    }

    #[test]
    fn combining_merges_repetitions_and_normalises_per_round() {
        let ms = vec![m("threads", 0, 1000), m("threads", 1, 2000)];
        let c = combine(&ms);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].repetitions, 2);
        assert_eq!(c[0].latency.count, 20);
        assert_eq!(c[0].rep_medians, vec![1000.0, 2000.0]);
        // 20 rounds in 30 µs.
        assert!((c[0].rate_per_s - 20.0 / 30e-6).abs() < 1e-6);
        // 400 ns of CPU per repetition, 10 rounds each.
        assert!((c[0].cpu_per_round_ns - 40.0).abs() < 1e-9);
        assert!((c[0].switches_per_round - 0.2).abs() < 1e-9);
        assert!(c[0].verified_ok);
    }
}
