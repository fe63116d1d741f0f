//! The results of a run, as data: what `run` measured, flowing on to the
//! exporters and (later) the verdict, with no reference back to how it was
//! measured. This is the versioned JSON schema documented in the README.

use crate::kinds::Pattern;
use crate::measure::checksum::ChecksumInfo;
use crate::measure::clock::ClockInfo;
use crate::measure::load::Load;
use crate::measure::machine::Machine;
use crate::measure::rusage::CpuUsage;
use crate::player::report::Tally;
use crate::stats::Summary;
use serde::{Deserialize, Serialize};

/// Name of the schema in every JSON document pingpong writes.
pub const SCHEMA: &str = "pingpong.results";
/// Bumped on any change a reader must know about.
pub const SCHEMA_VERSION: u32 = 2;

/// What opens every JSON document pingpong writes, whatever the experiment:
/// a reader (the verdict, a notebook) checks `schema` and `schema_version`,
/// then dispatches on `experiment`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub schema: String,
    pub schema_version: u32,
    /// "run", or the name of another experiment ("spawn", "memory", "faults"…).
    pub experiment: String,
    pub pingpong_version: String,
    /// The command line, as given.
    pub command: Vec<String>,
    /// Seconds since the Unix epoch when the experiment started.
    pub started_unix: u64,
    pub machine: Machine,
}

impl Header {
    /// A header for `experiment`, describing this machine now.
    pub fn new(experiment: &str) -> Header {
        Header {
            schema: SCHEMA.into(),
            schema_version: SCHEMA_VERSION,
            experiment: experiment.into(),
            pingpong_version: env!("CARGO_PKG_VERSION").into(),
            // Lossy: a path argument may not be UTF-8 (`std::env::args` would panic).
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            machine: crate::measure::machine::describe(),
        }
    }
}

/// A whole `pingpong run`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunDocument {
    #[serde(flatten)]
    pub header: Header,
    pub clock: ClockInfo,
    pub checksum: ChecksumInfo,
    pub settings: Settings,
    /// Every repetition of every combination, in the order measured (interleaved).
    pub measurements: Vec<Measurement>,
    /// Each combination over all its repetitions.
    pub combined: Vec<Combined>,
    /// Units compared pair by pair, with the channel, size and placement held fixed.
    pub comparisons: Vec<Comparison>,
    /// Combinations not run, and why.
    pub skipped: Vec<Skipped>,
    /// Measurements that failed, and why.
    pub errors: Vec<Failure>,
    /// Warnings a reader should see beside the figures.
    pub notes: Vec<String>,
    /// The other host, for `run --between hosts`: where it was and what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<Peer>,
    /// `--cpus matrix`: every ordered pair of CPUs, for a heatmap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_matrix: Option<CpuMatrix>,
}

/// The host that played pong in `run --between hosts`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Peer {
    /// The address connected to, as HOST:PORT.
    pub address: String,
    /// Version of the control protocol both sides spoke.
    pub protocol_version: u32,
    /// The peer's machine description, as it sent it in the handshake.
    pub machine: Machine,
}

/// `--cpus matrix`: the median round trip for every ordered pair of CPUs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CpuMatrix {
    pub unit: String,
    pub channel: String,
    pub size: usize,
    /// The CPUs, in the order of the matrix's rows and columns.
    pub cpus: Vec<usize>,
    pub labels: Vec<CpuLabel>,
    /// Timed part of each pair, seconds.
    pub per_pair_s: f64,
    /// The bound on the whole matrix, seconds.
    pub budget_s: f64,
    pub pairs_total: usize,
    pub pairs_measured: usize,
    /// `median_ns[i][j]`: ping on `cpus[i]`, pong on `cpus[j]`; null on the
    /// diagonal, for pairs not measured, and for damaged balls.
    pub median_ns: Vec<Vec<Option<f64>>>,
    pub cells: Vec<MatrixCell>,
    pub errors: Vec<String>,
    pub notes: Vec<String>,
}

/// A CPU's place in the machine, from /sys.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CpuLabel {
    pub cpu: usize,
    pub smt_siblings: Vec<usize>,
    pub numa_node: Option<usize>,
}

/// One measured pair.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatrixCell {
    pub ping: usize,
    pub pong: usize,
    /// "smt-siblings", "same-node", "cross-node" or "unknown-node".
    pub relation: String,
    pub median_ns: Option<f64>,
    pub rounds: u64,
    pub verified: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub pattern: Pattern,
    /// "rounds" or "duration".
    pub length: String,
    pub rounds: Option<u64>,
    pub duration_s: Option<f64>,
    pub warmup_rounds: u64,
    pub repetitions: u32,
    pub placement: crate::kinds::Placement,
    pub verify: String,
    pub timeout_s: f64,
    /// raw, or struct (postcard-encoded serde struct around the ball).
    #[serde(default)]
    pub payload: crate::channel::payload::Payload,
}

/// Identifies one combination of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Combo {
    pub unit: String,
    pub channel: String,
    pub size: usize,
}

impl Combo {
    pub fn label(&self) -> String {
        format!(
            "{} · {} · {}",
            self.unit,
            self.channel,
            crate::format::format_size(self.size)
        )
    }
}

/// One player's side of a measurement.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlayerFigures {
    pub pid: u32,
    pub tid: u32,
    pub cpu_first: usize,
    pub cpu_last: usize,
    pub usage: CpuUsage,
    pub max_rss_kib: u64,
    pub tally: Tally,
}

/// What was checked, over both players.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verification {
    /// "all", "sample" or "seq".
    pub mode: String,
    /// Balls whose sequence number was checked (both directions).
    pub balls_checked: u64,
    /// Balls whose checksum was checked too.
    pub balls_checksummed: u64,
    pub lost: u64,
    pub stale: u64,
    pub out_of_order: u64,
    pub corrupted: u64,
    /// No anomaly at all (on a lossy channel, losses are results, not failures).
    pub ok: bool,
}

/// One repetition of one combination.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurement {
    pub combo: Combo,
    /// 0-based repetition number.
    pub repetition: u32,
    pub pattern: Pattern,
    /// How the players were placed: what was asked and where they ran.
    pub placement: String,
    /// raw, or struct (postcard-encoded serde struct around the ball).
    #[serde(default)]
    pub payload: crate::channel::payload::Payload,
    /// Bytes one ball takes on the channel (the ball size, plus the struct's framing).
    #[serde(default)]
    pub wire_bytes: usize,
    /// Round trips (rally) or balls (stream) timed.
    pub rounds: u64,
    pub warmup_rounds: u64,
    pub elapsed_ns: u64,
    /// "per round trip" or "batches of N" or "windows of N".
    pub timing: String,
    /// Per round trip (rally) or per ball (stream), ns.
    pub latency: Summary,
    /// Round trips (rally) or balls (stream) per second.
    pub rate_per_s: f64,
    /// Payload bytes moved per second (both directions for a rally).
    pub bytes_per_s: f64,
    pub verification: Verification,
    pub ping: PlayerFigures,
    pub pong: PlayerFigures,
    pub load: Load,
    /// Latency histogram, (ns, count), for plots and re-analysis.
    pub histogram: Vec<(u64, u64)>,
}

/// One combination over all repetitions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Combined {
    pub combo: Combo,
    pub repetitions: u32,
    /// Merged over repetitions.
    pub latency: Summary,
    /// The median of each repetition, in order.
    pub rep_medians: Vec<f64>,
    pub rate_per_s: f64,
    pub bytes_per_s: f64,
    /// CPU time of both players per round trip (or ball), ns.
    pub cpu_per_round_ns: f64,
    /// Context switches of both players per round trip (or ball).
    pub switches_per_round: f64,
    pub verified_ok: bool,
    pub lost: u64,
}

/// `unit` against `baseline`, pair by pair over the interleaved repetitions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    pub channel: String,
    pub size: usize,
    pub baseline: String,
    pub unit: String,
    /// median(unit, rep i) / median(baseline, rep i) for each repetition i.
    pub ratios: Vec<f64>,
    pub median_ratio: f64,
    pub min_ratio: f64,
    pub max_ratio: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Skipped {
    pub combo: Combo,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Failure {
    pub combo: Combo,
    pub repetition: u32,
    pub error: String,
}

/// The names of the figures a run shows (read by the rules too).
pub mod key {
    use crate::kinds::Placement;

    /// How the players were placed, as a word in the figures' names.
    pub fn placement(p: &Placement) -> &'static str {
        match p {
            Placement::Free => "free",
            Placement::Pinned { ping, pong } if ping == pong => "same-cpu",
            Placement::Pinned { .. } => "two-cpus",
        }
    }

    /// Processes ÷ threads (or another pair of units) round trip over
    /// `channel`, with the players placed as `placement` says.
    pub fn ratio(placement: &str, channel: &str) -> String {
        format!("rally.{placement}.{channel}.ratio")
    }

    /// The placement and channel of a [`ratio`] key.
    pub fn parse_ratio(key: &str) -> Option<(&str, &str)> {
        let rest = key.strip_prefix("rally.")?.strip_suffix(".ratio")?;
        rest.split_once('.')
    }

    /// The median round trip of `unit` over `channel`.
    pub fn median(placement: &str, channel: &str, unit: &str) -> String {
        format!("rally.{placement}.{channel}.{unit}.median")
    }

    /// The median round trip between two hosts over `channel`.
    pub fn hosts(channel: &str) -> String {
        format!("hosts.{channel}.median")
    }
}

/// The unit name of a rally between hosts.
pub const HOSTS: &str = "hosts";

impl crate::evidence::Witness for RunDocument {
    fn testify(&self, ev: &mut crate::evidence::Evidence, command: &str) {
        use crate::evidence::{Figure, Spread, Unit};
        use crate::format::format_size;
        let placement = key::placement(&self.settings.placement);
        for c in &self.comparisons {
            ev.put(
                key::ratio(placement, &c.channel),
                Figure {
                    value: c.median_ratio,
                    low: c.min_ratio,
                    high: c.max_ratio,
                    unit: Unit::Ratio,
                    spread: if c.ratios.len() > 1 {
                        Spread::Repetitions {
                            n: c.ratios.len() as u32,
                        }
                    } else {
                        Spread::Exact
                    },
                    what: format!(
                        "{} ÷ {} round trip over {} ({}), median of per-repetition ratios (range over {} interleaved repetitions)",
                        c.unit,
                        c.baseline,
                        c.channel,
                        format_size(c.size),
                        c.ratios.len()
                    ),
                    command: command.into(),
                },
            );
        }
        let peer = self
            .peer
            .as_ref()
            .map(|p| format!(" with pingpong serve at {}", p.address))
            .unwrap_or_default();
        for c in &self.combined {
            let (name, what) = if c.combo.unit == HOSTS {
                (
                    key::hosts(&c.combo.channel),
                    format!(
                        "median round trip between hosts over {} ({}){peer}, verified balls, 95% confidence interval",
                        c.combo.channel,
                        format_size(c.combo.size)
                    ),
                )
            } else {
                (
                    key::median(placement, &c.combo.channel, &c.combo.unit),
                    format!(
                        "median round trip, {} over {} ({}), 95% confidence interval",
                        c.combo.unit,
                        c.combo.channel,
                        format_size(c.combo.size)
                    ),
                )
            };
            ev.put(
                name,
                Figure::ci95(
                    c.latency.median,
                    c.latency.median_ci,
                    Unit::Ns,
                    what,
                    command,
                ),
            );
        }
    }
}
