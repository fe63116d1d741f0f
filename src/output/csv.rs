//! `--csv FILE`: one row per measurement (every repetition), flat columns.

use crate::results::RunDocument;

pub const HEADER: &[&str] = &[
    "unit",
    "channel",
    "size_bytes",
    "repetition",
    "placement",
    "rounds",
    "elapsed_ns",
    "timing",
    "median_ns",
    "median_ci_low_ns",
    "median_ci_high_ns",
    "mean_ns",
    "stdev_ns",
    "min_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "max_ns",
    "rate_per_s",
    "bytes_per_s",
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

pub fn render(doc: &RunDocument) -> anyhow::Result<Vec<u8>> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for m in &doc.measurements {
        let l = &m.latency;
        let v = &m.verification;
        w.write_record([
            m.combo.unit.clone(),
            m.combo.channel.clone(),
            m.combo.size.to_string(),
            m.repetition.to_string(),
            m.placement.clone(),
            m.rounds.to_string(),
            m.elapsed_ns.to_string(),
            m.timing.clone(),
            l.median.to_string(),
            l.median_ci.0.to_string(),
            l.median_ci.1.to_string(),
            format!("{:.1}", l.mean),
            format!("{:.1}", l.stdev),
            l.min.to_string(),
            l.p90.to_string(),
            l.p99.to_string(),
            l.p999.to_string(),
            l.max.to_string(),
            format!("{:.1}", m.rate_per_s),
            format!("{:.1}", m.bytes_per_s),
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
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
