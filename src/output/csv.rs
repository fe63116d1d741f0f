//! `--csv FILE`: one row per measurement (every repetition), then one
//! combined row per combination (its repetitions merged), flat columns.
//!
//! The names are the JSON document's: `unit` (what `--between` chose) and
//! `channel` (what `--via` chose). Repetitions count from 1, as the
//! terminal and the progress bar count them. Where the players ran is in
//! columns (each player's CPU at the start and the end of the timed part,
//! its migrations, the placement class), not in a sentence.

use crate::kinds::Placement;
use crate::results::{Combined, Measurement, RunDocument};

/// What a row is: one repetition, or a combination over all of them.
pub const REPETITION_ROW: &str = "repetition";
pub const COMBINED_ROW: &str = "combined";

pub const HEADER: &[&str] = &[
    "row",
    "unit",
    "channel",
    "size_bytes",
    "repetition",
    "repetitions",
    "asked",
    "asked_ping_cpu",
    "asked_pong_cpu",
    "ran",
    "ping_cpu_first",
    "ping_cpu_last",
    "pong_cpu_first",
    "pong_cpu_last",
    "ping_migrations",
    "pong_migrations",
    "rounds",
    "elapsed_ns",
    "timing",
    "median_ns",
    "median_ci_low_ns",
    "median_ci_high_ns",
    "rep_median_min_ns",
    "rep_median_max_ns",
    "mean_ns",
    "stdev_ns",
    "min_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "max_ns",
    "rate_per_s",
    "bytes_per_s",
    "cpu_per_round_ns",
    "switches_per_round",
    "ping_user_ns",
    "ping_system_ns",
    "ping_vcsw",
    "ping_ivcsw",
    "pong_user_ns",
    "pong_system_ns",
    "pong_vcsw",
    "pong_ivcsw",
    "balls_checked",
    "balls_checksummed",
    "lost",
    "stale",
    "out_of_order",
    "corrupted",
    "verified_ok",
    "others_load_cpus",
    "steal_cpus",
];

/// What was asked of the scheduler: "free" or "pinned", and the CPUs.
fn asked(p: &Placement) -> [String; 3] {
    match p {
        Placement::Free => ["free".into(), String::new(), String::new()],
        Placement::Pinned { ping, pong } => ["pinned".into(), ping.to_string(), pong.to_string()],
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Both players' CPU time and context switches, and per round trip.
fn per_round(m: &Measurement) -> (f64, f64) {
    let (p, q) = (&m.ping.usage, &m.pong.usage);
    let cpu = (p.user_ns + p.system_ns + q.user_ns + q.system_ns) as f64;
    let switches = (p.voluntary_switches
        + p.involuntary_switches
        + q.voluntary_switches
        + q.involuntary_switches) as f64;
    let n = m.rounds.max(1) as f64;
    (cpu / n, switches / n)
}

fn measurement_row(doc: &RunDocument, m: &Measurement) -> Vec<String> {
    let l = &m.latency;
    let v = &m.verification;
    let (cpu, switches) = per_round(m);
    let mut row = vec![
        REPETITION_ROW.into(),
        m.combo.unit.clone(),
        m.combo.channel.clone(),
        m.combo.size.to_string(),
        (m.repetition + 1).to_string(),
        "1".into(),
    ];
    row.extend(asked(&doc.settings.placement));
    row.extend([
        opt(m.ran),
        m.ping.cpu_first.to_string(),
        m.ping.cpu_last.to_string(),
        m.pong.cpu_first.to_string(),
        m.pong.cpu_last.to_string(),
        opt(m.ping.usage.migrations),
        opt(m.pong.usage.migrations),
        m.rounds.to_string(),
        m.elapsed_ns.to_string(),
        m.timing.clone(),
        l.median.to_string(),
        l.median_ci.0.to_string(),
        l.median_ci.1.to_string(),
        l.median.to_string(),
        l.median.to_string(),
        format!("{:.1}", l.mean),
        format!("{:.1}", l.stdev),
        l.min.to_string(),
        l.p90.to_string(),
        l.p99.to_string(),
        l.p999.to_string(),
        l.max.to_string(),
        format!("{:.1}", m.rate_per_s),
        format!("{:.1}", m.bytes_per_s),
        format!("{cpu:.1}"),
        format!("{switches:.3}"),
        m.ping.usage.user_ns.to_string(),
        m.ping.usage.system_ns.to_string(),
        m.ping.usage.voluntary_switches.to_string(),
        m.ping.usage.involuntary_switches.to_string(),
        m.pong.usage.user_ns.to_string(),
        m.pong.usage.system_ns.to_string(),
        m.pong.usage.voluntary_switches.to_string(),
        m.pong.usage.involuntary_switches.to_string(),
        v.balls_checked.to_string(),
        v.balls_checksummed.to_string(),
        v.lost.to_string(),
        v.stale.to_string(),
        v.out_of_order.to_string(),
        v.corrupted.to_string(),
        v.ok.to_string(),
        format!("{:.3}", m.load.others_cpus),
        format!("{:.3}", m.load.steal_cpus),
    ]);
    row
}

/// A combination over its repetitions: the merged figures; where each
/// repetition ran is in its own row, so `ran` here is the one class they
/// all share, or "mixed".
fn combined_row(doc: &RunDocument, c: &Combined) -> Vec<String> {
    let l = &c.latency;
    let reps: Vec<&Measurement> = doc
        .measurements
        .iter()
        .filter(|m| m.combo == c.combo)
        .collect();
    let sum = |f: &dyn Fn(&Measurement) -> u64| reps.iter().map(|m| f(m)).sum::<u64>().to_string();
    let ran = match c.ran.first() {
        Some(first) if c.ran.iter().all(|r| r == first) => first.to_string(),
        Some(_) => "mixed".into(),
        None => String::new(),
    };
    let rep_min = c.rep_medians.iter().copied().fold(f64::INFINITY, f64::min);
    let rep_max = c.rep_medians.iter().copied().fold(0.0, f64::max);
    let blank = String::new;
    let mut row = vec![
        COMBINED_ROW.into(),
        c.combo.unit.clone(),
        c.combo.channel.clone(),
        c.combo.size.to_string(),
        blank(),
        c.repetitions.to_string(),
    ];
    row.extend(asked(&doc.settings.placement));
    row.push(ran);
    row.extend(std::iter::repeat_with(blank).take(6));
    row.extend([
        sum(&|m| m.rounds),
        sum(&|m| m.elapsed_ns),
        reps.first().map(|m| m.timing.clone()).unwrap_or_default(),
        l.median.to_string(),
        l.median_ci.0.to_string(),
        l.median_ci.1.to_string(),
        if rep_min.is_finite() {
            rep_min.to_string()
        } else {
            blank()
        },
        if reps.is_empty() {
            blank()
        } else {
            rep_max.to_string()
        },
        format!("{:.1}", l.mean),
        format!("{:.1}", l.stdev),
        l.min.to_string(),
        l.p90.to_string(),
        l.p99.to_string(),
        l.p999.to_string(),
        l.max.to_string(),
        format!("{:.1}", c.rate_per_s),
        format!("{:.1}", c.bytes_per_s),
        format!("{:.1}", c.cpu_per_round_ns),
        format!("{:.3}", c.switches_per_round),
        sum(&|m| m.ping.usage.user_ns),
        sum(&|m| m.ping.usage.system_ns),
        sum(&|m| m.ping.usage.voluntary_switches),
        sum(&|m| m.ping.usage.involuntary_switches),
        sum(&|m| m.pong.usage.user_ns),
        sum(&|m| m.pong.usage.system_ns),
        sum(&|m| m.pong.usage.voluntary_switches),
        sum(&|m| m.pong.usage.involuntary_switches),
        sum(&|m| m.verification.balls_checked),
        sum(&|m| m.verification.balls_checksummed),
        sum(&|m| m.verification.lost),
        sum(&|m| m.verification.stale),
        sum(&|m| m.verification.out_of_order),
        sum(&|m| m.verification.corrupted),
        c.verified_ok.to_string(),
        blank(),
        blank(),
    ]);
    row
}

pub fn render(doc: &RunDocument) -> anyhow::Result<Vec<u8>> {
    let rows = doc
        .measurements
        .iter()
        .map(|m| measurement_row(doc, m))
        .chain(doc.combined.iter().map(|c| combined_row(doc, c)));
    crate::export::csv_bytes(HEADER, rows)
}
