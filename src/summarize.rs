//! From raw player reports to results: one [`Measurement`] per match, one
//! [`Combined`] per combination, and the pair-by-pair [`Comparison`]s.
//!
//! A comparison is like with like: two units are compared only over the
//! repetitions in which both ran in the same actual placement
//! ([`PlacementClass`]). On a virtual machine a round trip across two vCPUs
//! can cost 30× one on a single vCPU, and free placement lands on either,
//! run by run; a ratio of one against the other would measure the
//! scheduler's coin, not the units.

use crate::engine::Played;
use crate::format::format_size;
use crate::kinds::Pattern;
use crate::kinds::Placement;
use crate::player::report::{PlayerReport, Tally};
use crate::results::{
    Combined, Combo, Comparison, Measurement, Mismatch, PlacementClass, PlayerFigures, Verification,
};
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
    /// Both players ran on this machine (not hosts or ranks), so their CPU
    /// numbers compare.
    pub one_machine: bool,
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
    let (ping, pong) = (figures(&played.ping), figures(&played.pong));
    Measurement {
        ran: info.one_machine.then(|| PlacementClass::of(&ping, &pong)),
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
        ping,
        pong,
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
                ran: reps.iter().filter_map(|m| m.ran).collect(),
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

/// Each unit against the first unit of `units`, channel and size held
/// fixed, ratio of medians taken repetition by repetition (the interleaved
/// pairs) — only over pairs whose two matches ran in the same actual
/// placement: one comparison per placement class met. Pairs that ran in
/// different placements, or in which a player moved (moving is no
/// placement: two moved matches need not have moved alike), are left out
/// and returned as [`Mismatch`]es.
pub fn compare(ms: &[Measurement], units: &[&str]) -> (Vec<Comparison>, Vec<Mismatch>) {
    let Some((&baseline, others)) = units.split_first() else {
        return (Vec::new(), Vec::new());
    };
    let mut keys: Vec<(String, usize)> = Vec::new();
    for m in ms {
        let k = (m.combo.channel.clone(), m.combo.size);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let reps = ms.iter().map(|m| m.repetition + 1).max().unwrap_or(0);
    let mut out = Vec::new();
    let mut mismatches = Vec::new();
    for (channel, size) in keys {
        // The match of `unit` in repetition `rep`: its median and where it ran.
        let find = |unit: &str, rep: u32| {
            ms.iter()
                .find(|m| {
                    m.combo.unit == unit
                        && m.combo.channel == channel
                        && m.combo.size == size
                        && m.repetition == rep
                })
                .filter(|m| m.latency.median > 0.0)
                .and_then(|m| Some((m.latency.median, m.ran?)))
        };
        for &unit in others {
            // (repetition, class, ratio) of every pair both of whose matches exist.
            let mut pairs: Vec<(u32, PlacementClass, f64)> = Vec::new();
            let mut excluded = 0u32;
            for r in 0..reps {
                let (Some((b, b_ran)), Some((u, u_ran))) = (find(baseline, r), find(unit, r))
                else {
                    continue;
                };
                if b_ran == u_ran && b_ran != PlacementClass::Moved {
                    pairs.push((r, b_ran, u / b));
                } else {
                    excluded += 1;
                    mismatches.push(Mismatch {
                        channel: channel.clone(),
                        size,
                        repetition: r,
                        baseline: baseline.into(),
                        baseline_ran: b_ran,
                        unit: unit.into(),
                        unit_ran: u_ran,
                    });
                }
            }
            for class in [PlacementClass::SameCpu, PlacementClass::TwoCpus] {
                let (repetitions, ratios): (Vec<u32>, Vec<f64>) = pairs
                    .iter()
                    .filter(|(_, c, _)| *c == class)
                    .map(|&(r, _, v)| (r, v))
                    .unzip();
                if ratios.is_empty() {
                    continue;
                }
                out.push(Comparison {
                    channel: channel.clone(),
                    size,
                    baseline: baseline.into(),
                    unit: unit.into(),
                    placement: class,
                    repetitions,
                    median_ratio: stats::median(&ratios),
                    min_ratio: ratios.iter().copied().fold(f64::INFINITY, f64::min),
                    max_ratio: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    ratios,
                    excluded,
                });
            }
        }
    }
    (out, mismatches)
}

/// The note on pairs left out of the comparisons, if any were.
pub fn mismatch_note(mismatches: &[Mismatch]) -> Option<String> {
    if mismatches.is_empty() {
        return None;
    }
    let mut channels: Vec<&str> = Vec::new();
    for m in mismatches {
        if !channels.contains(&m.channel.as_str()) {
            channels.push(&m.channel);
        }
    }
    Some(format!(
        "{} repetition pair(s) were left out of the comparisons (over {}) because the two units \
         ran in different placements or a player moved (e.g. {} {} against {} {}, repetition {}): \
         only like placements are compared; pin with --same-cpu or --cpus to compare every repetition",
        mismatches.len(),
        channels.join(", "),
        mismatches[0].unit,
        mismatches[0].unit_ran,
        mismatches[0].baseline,
        mismatches[0].baseline_ran,
        mismatches[0].repetition + 1
    ))
}

/// One line describing a comparison.
pub fn describe(c: &Comparison) -> String {
    format!(
        "{} vs {} over {} with {} balls, {}: {:.2}× the round trip (per repetition {}){}",
        c.unit,
        c.baseline,
        c.channel,
        format_size(c.size),
        c.placement.describe(),
        c.median_ratio,
        c.repetitions
            .iter()
            .zip(&c.ratios)
            .map(|(n, r)| format!("#{} {r:.2}", n + 1))
            .collect::<Vec<_>>()
            .join(", "),
        if c.excluded > 0 {
            format!(
                "; {} pair(s) left out (different placements, or a player moved)",
                c.excluded
            )
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::load::Load;
    use crate::measure::rusage::CpuUsage;

    fn player(cpu_first: usize, cpu_last: usize, migrations: Option<u64>) -> PlayerFigures {
        PlayerFigures {
            pid: 1,
            tid: 1,
            cpu_first,
            cpu_last,
            usage: CpuUsage {
                user_ns: 100,
                system_ns: 100,
                voluntary_switches: 1,
                involuntary_switches: 0,
                migrations,
            },
            max_rss_kib: 0,
            tally: Tally::default(),
        }
    }

    /// A measurement of `unit` in repetition `rep`, ping and pong on these CPUs.
    fn placed(unit: &str, rep: u32, median: u64, ping: usize, pong: usize) -> Measurement {
        let (ping, pong) = (player(ping, ping, Some(0)), player(pong, pong, Some(0)));
        Measurement {
            combo: Combo {
                unit: unit.into(),
                channel: "pipe".into(),
                size: 8,
            },
            repetition: rep,
            pattern: Pattern::Rally,
            placement: "free".into(),
            ran: Some(PlacementClass::of(&ping, &pong)),
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
            ping,
            pong,
            load: Load::default(),
            histogram: vec![(median, 10)],
        }
    }

    fn m(unit: &str, rep: u32, median: u64) -> Measurement {
        placed(unit, rep, median, 0, 0)
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
        let (c, mismatched) = compare(&ms, &["threads", "processes"]);
        assert!(mismatched.is_empty());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].placement, PlacementClass::SameCpu);
        assert_eq!(c[0].repetitions, vec![0, 1]);
        assert_eq!(c[0].ratios.len(), 2);
        assert!((c[0].ratios[0] - 1.5).abs() < 1e-12);
        assert!((c[0].ratios[1] - 1.1).abs() < 1e-12);
        assert!((c[0].median_ratio - 1.3).abs() < 1e-12);
        assert!((c[0].min_ratio - 1.1).abs() < 1e-12);
        assert!((c[0].max_ratio - 1.5).abs() < 1e-12);
        assert_eq!(c[0].excluded, 0);
    }

    #[test]
    fn a_comparison_never_pairs_a_same_cpu_repetition_with_a_cross_cpu_one() {
        // Free placement, three repetitions: both on one CPU; threads on one
        // CPU but processes across two (30× slower there); both across two.
        let ms = vec![
            placed("threads", 0, 1000, 1, 1),
            placed("processes", 0, 1100, 0, 0),
            placed("threads", 1, 1000, 0, 0),
            placed("processes", 1, 1900, 0, 1),
            placed("threads", 2, 1800, 0, 1),
            placed("processes", 2, 1620, 1, 0),
        ];
        let (c, mismatched) = compare(&ms, &["threads", "processes"]);
        assert_eq!(c.len(), 2, "{c:?}");
        let same = c
            .iter()
            .find(|c| c.placement == PlacementClass::SameCpu)
            .unwrap();
        assert_eq!(same.repetitions, vec![0]);
        assert!((same.median_ratio - 1.1).abs() < 1e-12);
        let two = c
            .iter()
            .find(|c| c.placement == PlacementClass::TwoCpus)
            .unwrap();
        assert_eq!(two.repetitions, vec![2]);
        assert!((two.median_ratio - 0.9).abs() < 1e-12);
        // Repetition 2 (index 1) is in neither: counted, and named.
        assert!(c
            .iter()
            .all(|c| c.excluded == 1 && !c.repetitions.contains(&1)));
        assert_eq!(
            mismatched,
            vec![Mismatch {
                channel: "pipe".into(),
                size: 8,
                repetition: 1,
                baseline: "threads".into(),
                baseline_ran: PlacementClass::SameCpu,
                unit: "processes".into(),
                unit_ran: PlacementClass::TwoCpus,
            }]
        );
        let note = mismatch_note(&mismatched).unwrap();
        assert!(note.contains("1 repetition pair"), "{note}");
        assert!(mismatch_note(&[]).is_none());
    }

    #[test]
    fn two_matches_in_which_a_player_moved_are_not_compared() {
        let mut t = placed("threads", 0, 1000, 0, 0);
        let mut p = placed("processes", 0, 30_000, 0, 0);
        t.ran = Some(PlacementClass::Moved);
        p.ran = Some(PlacementClass::Moved);
        let (c, mismatched) = compare(&[t, p], &["threads", "processes"]);
        assert!(c.is_empty());
        assert_eq!(mismatched.len(), 1);
    }

    #[test]
    fn when_no_pair_ran_alike_there_is_no_comparison_only_mismatches() {
        let ms = vec![
            placed("threads", 0, 1000, 0, 0),
            placed("processes", 0, 1900, 0, 1),
        ];
        let (c, mismatched) = compare(&ms, &["threads", "processes"]);
        assert!(c.is_empty());
        assert_eq!(mismatched.len(), 1);
    }

    #[test]
    fn a_player_that_changed_cpu_or_migrated_makes_the_match_moved() {
        let still = player(0, 0, Some(0));
        assert_eq!(PlacementClass::of(&still, &still), PlacementClass::SameCpu);
        assert_eq!(
            PlacementClass::of(&still, &player(1, 1, Some(0))),
            PlacementClass::TwoCpus
        );
        // Ended on another CPU than it started on.
        assert_eq!(
            PlacementClass::of(&still, &player(1, 0, Some(1))),
            PlacementClass::Moved
        );
        // Moved away and back: only the scheduler's count shows it.
        assert_eq!(
            PlacementClass::of(&player(0, 0, Some(2)), &still),
            PlacementClass::Moved
        );
        // Where the kernel does not count migrations, the CPUs seen decide.
        assert_eq!(
            PlacementClass::of(&player(0, 0, None), &player(0, 0, None)),
            PlacementClass::SameCpu
        );
    }

    #[test]
    fn a_single_unit_has_nothing_to_compare() {
        assert!(compare(&[m("threads", 0, 1000)], &["threads"]).0.is_empty());
    }

    #[test]
    fn combining_merges_repetitions_and_normalises_per_round() {
        let ms = vec![m("threads", 0, 1000), m("threads", 1, 2000)];
        let c = combine(&ms);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].repetitions, 2);
        assert_eq!(c[0].latency.count, 20);
        assert_eq!(c[0].rep_medians, vec![1000.0, 2000.0]);
        assert_eq!(c[0].ran, vec![PlacementClass::SameCpu; 2]);
        // 20 rounds in 30 µs.
        assert!((c[0].rate_per_s - 20.0 / 30e-6).abs() < 1e-6);
        // 400 ns of CPU per repetition, 10 rounds each.
        assert!((c[0].cpu_per_round_ns - 40.0).abs() < 1e-9);
        assert!((c[0].switches_per_round - 0.2).abs() < 1e-9);
        assert!(c[0].verified_ok);
    }
}
