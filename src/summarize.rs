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
    Combined, Combo, Comparison, Measurement, Mismatch, PlacementClass, PlayerFigures, Skipped,
    Verification,
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

/// One line describing a comparison, hyperfine-style: which unit was
/// faster and by how much, with its interval over the repetitions (never a
/// single value written as an interval), or "no clear difference" when the
/// repetitions fall on both sides of 1×.
pub fn describe(c: &Comparison) -> String {
    let ratio = format!("{} ÷ {} {:.2}×", c.unit, c.baseline, c.median_ratio);
    let (low, high) = (format!("{:.2}", c.min_ratio), format!("{:.2}", c.max_ratio));
    let spread = match c.ratios.len() {
        0 | 1 => format!("{ratio}, one repetition: no interval"),
        n if low == high => format!("{ratio} in each of {n} repetitions"),
        n => format!(
            "{ratio}, {low}–{high} over {n} repetitions: {}",
            c.repetitions
                .iter()
                .zip(&c.ratios)
                .map(|(n, r)| format!("#{} {r:.2}", n + 1))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let head = if c.ratios.len() > 1 && c.min_ratio <= 1.0 && c.max_ratio >= 1.0 {
        "no clear difference".to_string()
    } else if c.median_ratio >= 1.0 {
        format!(
            "{} {:.2}× faster than {}",
            c.baseline, c.median_ratio, c.unit
        )
    } else {
        format!(
            "{} {:.2}× faster than {}",
            c.unit,
            1.0 / c.median_ratio,
            c.baseline
        )
    };
    format!(
        "over {} ({}), {}: {head} ({spread}){}",
        c.channel,
        format_size(c.size),
        c.placement.describe(),
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

/// "same-cpu ×2, two-cpus ×1": where the players of some matches ran.
pub fn ran_counts(classes: impl IntoIterator<Item = PlacementClass>) -> String {
    let mut counts: Vec<(PlacementClass, usize)> = Vec::new();
    for c in classes {
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    match counts.as_slice() {
        [] => "–".into(),
        [(c, _)] => c.to_string(),
        many => many
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The units never compared over a channel and size because no
/// repetition pair ran alike: why, and what their medians' ratio then
/// measures (where the players ran, not what they are).
pub fn uncompared(
    ms: &[Measurement],
    comparisons: &[Comparison],
    mismatches: &[Mismatch],
) -> Vec<String> {
    let mut seen: Vec<(&str, usize, &str, &str)> = Vec::new();
    let mut out = Vec::new();
    for m in mismatches {
        let key = (
            m.channel.as_str(),
            m.size,
            m.baseline.as_str(),
            m.unit.as_str(),
        );
        let compared = comparisons.iter().any(|c| {
            c.channel == m.channel
                && c.size == m.size
                && c.baseline == m.baseline
                && c.unit == m.unit
        });
        if compared || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let of = |unit: &str| -> Vec<&Measurement> {
            ms.iter()
                .filter(|x| {
                    x.combo.unit == unit && x.combo.channel == m.channel && x.combo.size == m.size
                })
                .collect()
        };
        let (base, unit) = (of(&m.baseline), of(&m.unit));
        let median = |v: &[&Measurement]| {
            stats::median(&v.iter().map(|x| x.latency.median).collect::<Vec<_>>())
        };
        let ratio = median(&unit) / median(&base);
        out.push(format!(
            "over {} ({}): {} and {} never ran alike ({}: {}; {}: {}), so they are not compared: \
             {} ÷ {} {ratio:.2}× here measures where the players ran, not what they are; pin them \
             with --same-cpu or --cpus A,B to compare",
            m.channel,
            format_size(m.size),
            m.unit,
            m.baseline,
            m.unit,
            ran_counts(unit.iter().filter_map(|x| x.ran)),
            m.baseline,
            ran_counts(base.iter().filter_map(|x| x.ran)),
            m.unit,
            m.baseline,
        ));
    }
    out
}

/// The combinations skipped, each reason once: "condvar, mpsc cannot run
/// between processes: …" rather than one line per unit, channel and size.
/// A reason names its channel, unit and size; the lines gather the
/// channels, units and sizes that share the rest of it.
pub fn skipped_lines(skipped: &[Skipped]) -> Vec<String> {
    // The reason with its unit and size taken out, per channel.
    let mut by_channel: Vec<(String, String, Vec<String>, Vec<String>)> = Vec::new();
    for s in skipped {
        let unit = format!("between {}", s.combo.unit);
        let size = format_size(s.combo.size);
        let template = s
            .reason
            .replacen(&unit, "between {units}", 1)
            .replacen(&size, "{sizes}", 1);
        match by_channel
            .iter_mut()
            .find(|(c, t, _, _)| *c == s.combo.channel && *t == template)
        {
            Some((_, _, units, sizes)) => {
                if !units.contains(&s.combo.unit) {
                    units.push(s.combo.unit.clone());
                }
                if !sizes.contains(&size) {
                    sizes.push(size);
                }
            }
            None => by_channel.push((
                s.combo.channel.clone(),
                template,
                vec![s.combo.unit.clone()],
                vec![size],
            )),
        }
    }
    // Then the channels whose filled-in reasons read alike but for the channel.
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for (channel, template, units, sizes) in by_channel {
        let text = template.replacen("{units}", &units.join(", "), 1).replacen(
            "{sizes}",
            &sizes.join(", "),
            1,
        );
        let key = text.replacen(&channel, "{channels}", 1);
        match lines.iter_mut().find(|(k, _)| *k == key) {
            Some((_, channels)) => channels.push(channel),
            None => lines.push((key, vec![channel])),
        }
    }
    lines
        .into_iter()
        .map(|(key, channels)| key.replacen("{channels}", &channels.join(", "), 1))
        .collect()
}

/// How far apart (relatively) repetitions may lie beyond their intervals
/// before they are said to disagree: the intervals of a 1 s rally are a
/// fraction of a percent wide, and 10–20 % between repetitions is the
/// ordinary drift of a shared machine; the players landing on one CPU in
/// one repetition and on two in the next costs several times more.
pub const DISAGREE: f64 = 0.25;

/// Why repetitions disagree, as far as the document shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The players ran on other CPUs in some repetitions than in others.
    Placement,
    /// Other processes were busy during some repetitions only.
    Load,
    /// Neither: the players ran alike on an idle machine.
    Unknown,
}

/// Repetitions of one thing (a combination's medians, or a comparison's
/// ratios) that disagree beyond their intervals, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Disagreement {
    /// What disagrees: a combination ("threads · pipe · 64 B") or a ratio
    /// ("processes ÷ threads over pipe (64 B), both players on one CPU").
    pub what: String,
    /// The combination, when it is one (its row is marked).
    pub combo: Option<Combo>,
    /// Each repetition's value, with where its players ran when that is
    /// the cause: "#1 74.46 µs on CPUs 0,1 (two-cpus), #2 2.95 µs on CPU 0 (same-cpu)".
    pub values: String,
    pub cause: Cause,
}

/// The warning on a run's disagreements: one line each, then why and
/// what to do, once. Empty when the repetitions agree.
pub fn warning(ds: &[Disagreement], placement: &Placement) -> Vec<String> {
    if ds.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "WARNING: the repetitions of {} disagree beyond their intervals:",
        match ds.len() {
            1 => "one measurement".to_string(),
            n => format!("{n} measurements"),
        }
    )];
    lines.extend(ds.iter().map(|d| format!("{}: {}", d.what, d.values)));
    let count = |c: Cause| ds.iter().filter(|d| d.cause == c).count();
    let mut why = Vec::new();
    if count(Cause::Placement) > 0 {
        why.push(format!(
            "the players' CPUs changed between repetitions ({} of {}): a round trip across two CPUs \
             can cost many times one on a single CPU, most of all on a virtual machine",
            count(Cause::Placement),
            ds.len()
        ));
    }
    if count(Cause::Load) > 0 {
        why.push(format!(
            "other processes were busy during some repetitions only ({} of {})",
            count(Cause::Load),
            ds.len()
        ));
    }
    if count(Cause::Unknown) > 0 {
        why.push(format!(
            "not in the figures for {} of {} (the players ran alike on an idle machine)",
            count(Cause::Unknown),
            ds.len()
        ));
    }
    lines.push(format!("Why: {}.", why.join("; ")));
    let pin = "pin the players so every repetition runs alike: --same-cpu (both on one CPU) or \
               --cpus A,B (each on its own)";
    lines.push(format!(
        "Fix: {}.",
        match placement {
            Placement::Free if count(Cause::Placement) == ds.len() => pin.to_string(),
            Placement::Free => format!("{pin}; run on an idle machine, or take more --reps"),
            Placement::Pinned { .. } => {
                "run on an idle machine, or take more --reps or a longer --duration".to_string()
            }
        }
    ));
    lines
}

/// Where a match's players ran: "CPU 0 (same-cpu)", "CPUs 0,1 (two-cpus)",
/// "CPUs 1,0→1 (moved)".
fn cpus(m: &Measurement) -> String {
    let at = |p: &PlayerFigures| {
        if p.cpu_first == p.cpu_last {
            p.cpu_first.to_string()
        } else {
            format!("{}→{}", p.cpu_first, p.cpu_last)
        }
    };
    let class = m.ran.map(|c| format!(" ({c})")).unwrap_or_default();
    if m.ran == Some(PlacementClass::SameCpu) {
        format!("CPU {}{class}", m.ping.cpu_first)
    } else {
        format!("CPUs {},{}{class}", at(&m.ping), at(&m.pong))
    }
}

/// Why the repetitions `reps` of one combination may differ, as far as the
/// document shows: the players ran on other CPUs, or other processes were
/// busy in some of them.
fn cause(reps: &[&Measurement]) -> Cause {
    let placed = |m: &&Measurement| {
        (
            m.ping.cpu_first,
            m.ping.cpu_last,
            m.pong.cpu_first,
            m.pong.cpu_last,
            m.ran,
        )
    };
    let first = reps.first().map(placed);
    let busy = reps.iter().filter(|m| m.load.is_busy()).count();
    if reps.iter().any(|m| Some(placed(m)) != first) {
        Cause::Placement
    } else if busy > 0 && busy < reps.len() {
        Cause::Load
    } else {
        Cause::Unknown
    }
}

/// Each repetition's value, annotated with what explains it.
fn annotated(
    reps: &[&Measurement],
    cause: Cause,
    value: impl Fn(&Measurement) -> String,
) -> String {
    reps.iter()
        .map(|m| {
            let why = match cause {
                Cause::Placement => format!(" on {}", cpus(m)),
                Cause::Load if m.load.is_busy() => {
                    format!(" (others used {:.2} CPUs)", m.load.others_cpus)
                }
                _ => String::new(),
            };
            format!("#{} {}{why}", m.repetition + 1, value(m))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Combinations whose repetitions' medians disagree: their intervals do
/// not all overlap and the highest median is over [`DISAGREE`] above the
/// lowest. The merged median's interval, narrow over many samples, would
/// hide them.
pub fn disagreements(ms: &[Measurement]) -> Vec<Disagreement> {
    let mut order: Vec<&Combo> = Vec::new();
    for m in ms {
        if !order.contains(&&m.combo) {
            order.push(&m.combo);
        }
    }
    let mut out = Vec::new();
    for combo in order {
        let reps: Vec<&Measurement> = ms
            .iter()
            .filter(|m| &m.combo == combo && m.latency.count > 0)
            .collect();
        if reps.len() < 2 {
            continue;
        }
        let lowest_high = reps
            .iter()
            .map(|m| m.latency.median_ci.1)
            .fold(f64::INFINITY, f64::min);
        let highest_low = reps
            .iter()
            .map(|m| m.latency.median_ci.0)
            .fold(0.0, f64::max);
        let (lo, hi) = reps.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), m| {
            (lo.min(m.latency.median), hi.max(m.latency.median))
        });
        if highest_low <= lowest_high || hi <= lo * (1.0 + DISAGREE) {
            continue;
        }
        let cause = cause(&reps);
        out.push(Disagreement {
            what: combo.label(),
            combo: Some(combo.clone()),
            values: annotated(&reps, cause, |m| crate::format::ns(m.latency.median)),
            cause,
        });
    }
    out
}

/// Comparisons whose per-repetition ratios disagree: the highest over
/// [`DISAGREE`] above the lowest. Each ratio pairs like placements, so the
/// cause is where exactly the players ran, or the machine's load, in some
/// repetitions.
pub fn ratio_disagreements(ms: &[Measurement], comparisons: &[Comparison]) -> Vec<Disagreement> {
    let mut out = Vec::new();
    for c in comparisons {
        if c.ratios.len() < 2 || c.max_ratio <= c.min_ratio * (1.0 + DISAGREE) {
            continue;
        }
        let of = |unit: &str| -> Vec<&Measurement> {
            c.repetitions
                .iter()
                .filter_map(|r| {
                    ms.iter().find(|m| {
                        m.combo.channel == c.channel
                            && m.combo.size == c.size
                            && m.combo.unit == unit
                            && m.repetition == *r
                    })
                })
                .collect()
        };
        let (base, unit) = (of(&c.baseline), of(&c.unit));
        let cause = match (cause(&base), cause(&unit)) {
            (Cause::Placement, _) | (_, Cause::Placement) => Cause::Placement,
            (Cause::Load, _) | (_, Cause::Load) => Cause::Load,
            _ => Cause::Unknown,
        };
        let ratio = |m: &Measurement| {
            c.repetitions
                .iter()
                .zip(&c.ratios)
                .find(|(r, _)| **r == m.repetition)
                .map(|(_, v)| format!("{v:.2}×"))
                .unwrap_or_default()
        };
        out.push(Disagreement {
            what: format!(
                "{} ÷ {} over {} ({}), {}",
                c.unit,
                c.baseline,
                c.channel,
                format_size(c.size),
                c.placement.describe()
            ),
            combo: None,
            values: annotated(&unit, cause, ratio),
            cause,
        });
    }
    out
}

/// Every disagreement of a run: its combinations' medians, then its ratios.
pub fn all_disagreements(doc: &crate::results::RunDocument) -> Vec<Disagreement> {
    let mut out = disagreements(&doc.measurements);
    out.extend(ratio_disagreements(&doc.measurements, &doc.comparisons));
    out
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

    #[test]
    fn repetitions_that_ran_on_one_cpu_then_on_two_disagree_loudly_with_the_reason_and_the_fix() {
        // The run: 1.87 µs, 61.6 µs, 1.90 µs, each repetition's
        // interval a fraction of a percent wide.
        let ms = vec![
            placed("processes", 0, 1870, 0, 0),
            placed("processes", 1, 61_600, 0, 1),
            placed("processes", 2, 1900, 1, 1),
        ];
        let d = disagreements(&ms);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].cause, Cause::Placement);
        assert_eq!(d[0].combo.as_ref(), Some(&ms[0].combo));
        assert!(
            d[0].values.contains("µs on CPUs 0,1 (two-cpus)"),
            "{}",
            d[0].values
        );
        assert!(
            d[0].values.contains("#1 1.87 µs on CPU 0 (same-cpu)"),
            "{}",
            d[0].values
        );
        let w = warning(&d, &Placement::Free).join("\n");
        assert!(w.starts_with("WARNING"), "{w}");
        assert!(w.contains("CPUs changed between repetitions"), "{w}");
        assert!(w.contains("--same-cpu") && w.contains("--cpus A,B"), "{w}");
    }

    #[test]
    fn repetitions_within_the_drift_of_a_shared_machine_do_not_disagree() {
        let ms = vec![
            placed("threads", 0, 1000, 0, 0),
            placed("threads", 1, 1150, 0, 0),
            placed("threads", 2, 1080, 0, 0),
        ];
        assert!(disagreements(&ms).is_empty());
        assert!(warning(&[], &Placement::Free).is_empty());
        // Far apart, but the intervals overlap: the repetitions agree.
        let mut wide = vec![
            placed("threads", 0, 1000, 0, 0),
            placed("threads", 1, 1900, 0, 0),
        ];
        wide[0].latency.median_ci = (900.0, 2000.0);
        assert!(disagreements(&wide).is_empty());
    }

    #[test]
    fn repetitions_apart_on_the_same_cpus_name_the_load_and_a_pinned_run_is_not_told_to_pin() {
        let mut ms = vec![
            placed("threads", 0, 1000, 0, 0),
            placed("threads", 1, 3000, 0, 0),
        ];
        ms[1].load.others_cpus = 0.9;
        let d = disagreements(&ms);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].cause, Cause::Load);
        assert!(
            d[0].values.contains("others used 0.90 CPUs"),
            "{}",
            d[0].values
        );
        let w = warning(&d, &Placement::Pinned { ping: 0, pong: 0 }).join("\n");
        assert!(w.contains("busy during some repetitions"), "{w}");
        assert!(
            w.contains("idle machine") && !w.contains("--same-cpu"),
            "{w}"
        );
    }

    #[test]
    fn a_ratio_names_the_faster_unit_with_its_interval_and_never_shows_one_value_as_an_interval() {
        let ms = vec![
            m("threads", 0, 1000),
            m("processes", 0, 1100),
            m("threads", 1, 1000),
            m("processes", 1, 1500),
        ];
        let (c, _) = compare(&ms, &["threads", "processes"]);
        let line = describe(&c[0]);
        assert!(
            line.contains("threads 1.30× faster than processes"),
            "{line}"
        );
        assert!(line.contains("1.10–1.50 over 2 repetitions"), "{line}");
        let same = vec![
            m("threads", 0, 1000),
            m("processes", 0, 1130),
            m("threads", 1, 1000),
            m("processes", 1, 1131),
        ];
        let (c, _) = compare(&same, &["threads", "processes"]);
        let line = describe(&c[0]);
        assert!(line.contains("1.13× in each of 2 repetitions"), "{line}");
        assert!(!line.contains("1.13–1.13"), "{line}");
        let (one, _) = compare(&ms[..2], &["threads", "processes"]);
        let line = describe(&one[0]);
        assert!(line.contains("one repetition: no interval"), "{line}");
        assert!(!line.contains("1.10–1.10"), "{line}");
        let both_ways = vec![
            m("threads", 0, 1000),
            m("processes", 0, 900),
            m("threads", 1, 1000),
            m("processes", 1, 1200),
        ];
        let (c, _) = compare(&both_ways, &["threads", "processes"]);
        assert!(
            describe(&c[0]).contains("no clear difference"),
            "{}",
            describe(&c[0])
        );
    }

    #[test]
    fn ratios_that_disagree_within_one_placement_are_warned_about() {
        // Per-repetition ratios 1.24, 32.97, 1.02, all with both players on one CPU.
        let ms = vec![
            m("threads", 0, 1000),
            m("processes", 0, 1240),
            m("threads", 1, 100),
            m("processes", 1, 3297),
            m("threads", 2, 1000),
            m("processes", 2, 1020),
        ];
        let (c, _) = compare(&ms, &["threads", "processes"]);
        let d = ratio_disagreements(&ms, &c);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].what.starts_with("processes ÷ threads over pipe"),
            "{}",
            d[0].what
        );
        assert!(d[0].values.contains("#2 32.97×"), "{}", d[0].values);
    }

    #[test]
    fn units_that_never_ran_alike_are_not_compared_and_the_output_says_their_ratio_is_placement() {
        // ipc-channel with --via all, free placement: threads across two
        // CPUs (60 µs), processes on one (3.5 µs) in every repetition.
        let ms: Vec<Measurement> = (0..3)
            .flat_map(|r| {
                [
                    placed("threads", r, 60_000, 0, 1),
                    placed("processes", r, 3_500, 0, 0),
                ]
            })
            .collect();
        let (c, mismatched) = compare(&ms, &["threads", "processes"]);
        assert!(c.is_empty());
        let lines = uncompared(&ms, &c, &mismatched);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert!(
            line.contains("processes: same-cpu; threads: two-cpus"),
            "{line}"
        );
        assert!(line.contains("processes ÷ threads 0.06×"), "{line}");
        assert!(line.contains("where the players ran"), "{line}");
        assert!(disagreements(&ms).is_empty());
    }

    #[test]
    fn skipped_combinations_are_listed_once_per_reason() {
        let skip = |unit: &str, channel: &str, size: usize, why: &str| Skipped {
            combo: Combo {
                unit: unit.into(),
                channel: channel.into(),
                size,
            },
            reason: format!("{channel} cannot run between {unit}: {why}"),
        };
        let mut skipped = Vec::new();
        for size in [64, 128] {
            for ch in ["condvar", "mpsc"] {
                skipped.push(skip("processes", ch, size, "threads only"));
            }
            for unit in ["threads", "processes"] {
                skipped.push(skip(unit, "tokio-mpsc", size, "tasks only"));
            }
        }
        let lines = skipped_lines(&skipped);
        assert_eq!(
            lines,
            vec![
                "condvar, mpsc cannot run between processes: threads only".to_string(),
                "tokio-mpsc cannot run between threads, processes: tasks only".to_string(),
            ]
        );
    }
}
