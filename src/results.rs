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
pub const SCHEMA_VERSION: u32 = 3;

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
    /// Repetition pairs left out of [`Comparison`]s because the two units
    /// ran in different placements (one on one CPU, the other across two…)
    /// or a player moved.
    pub mismatches: Vec<Mismatch>,
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
    /// Where the players actually ran during the timed part (from
    /// `ping`/`pong`'s CPUs and migrations); `None` when they ran on two
    /// machines (hosts, ranks), whose CPU numbers do not compare. Required
    /// in a document: comparisons are made only between like placements.
    #[serde(deserialize_with = "Option::deserialize")]
    pub ran: Option<PlacementClass>,
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
    /// Where the players ran in each repetition, in order (empty for hosts
    /// and ranks). The merged figures mix them; comparisons do not.
    pub ran: Vec<PlacementClass>,
    pub rate_per_s: f64,
    pub bytes_per_s: f64,
    /// CPU time of both players per round trip (or ball), ns.
    pub cpu_per_round_ns: f64,
    /// Context switches of both players per round trip (or ball).
    pub switches_per_round: f64,
    pub verified_ok: bool,
    pub lost: u64,
}

/// `unit` against `baseline`, pair by pair over the interleaved
/// repetitions in which both ran in the same actual placement: like with
/// like. One per channel, size and placement class met.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    pub channel: String,
    pub size: usize,
    pub baseline: String,
    pub unit: String,
    /// Where the players of both units ran in every pair compared.
    pub placement: PlacementClass,
    /// The repetitions compared (0-based), in order.
    pub repetitions: Vec<u32>,
    /// median(unit, rep i) / median(baseline, rep i) for each repetition i compared.
    pub ratios: Vec<f64>,
    pub median_ratio: f64,
    pub min_ratio: f64,
    pub max_ratio: f64,
    /// Pairs of this channel and size left out because the two units ran
    /// in different placements or a player moved (each in
    /// [`RunDocument::mismatches`]).
    pub excluded: u32,
}

/// A repetition pair not compared: the two units ran in different
/// placements, or a player moved during the timed part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mismatch {
    pub channel: String,
    pub size: usize,
    pub repetition: u32,
    pub baseline: String,
    pub baseline_ran: PlacementClass,
    pub unit: String,
    pub unit_ran: PlacementClass,
}

/// Where the two players of a match actually ran during its timed part,
/// as the players saw it themselves: on one CPU, on two different CPUs,
/// or moved. On a virtual machine a pipe round trip can be 30× slower
/// across two vCPUs than on one, so only like placements are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementClass {
    /// Both players on one CPU, neither moved.
    SameCpu,
    /// Each player on its own CPU, the two different, neither moved.
    TwoCpus,
    /// A player changed CPU during the timed part (a different CPU at the
    /// end than at the start, or a migration counted by the scheduler).
    Moved,
}

impl PlacementClass {
    pub const ALL: [PlacementClass; 3] = [
        PlacementClass::SameCpu,
        PlacementClass::TwoCpus,
        PlacementClass::Moved,
    ];

    /// The class of a match from each player's figures.
    pub fn of(ping: &PlayerFigures, pong: &PlayerFigures) -> PlacementClass {
        let moved = |p: &PlayerFigures| p.cpu_first != p.cpu_last || p.usage.migrations > Some(0);
        if moved(ping) || moved(pong) {
            PlacementClass::Moved
        } else if ping.cpu_first == pong.cpu_first {
            PlacementClass::SameCpu
        } else {
            PlacementClass::TwoCpus
        }
    }

    /// Its name in keys and tables: "same-cpu", "two-cpus", "moved".
    pub fn name(self) -> &'static str {
        match self {
            PlacementClass::SameCpu => "same-cpu",
            PlacementClass::TwoCpus => "two-cpus",
            PlacementClass::Moved => "moved",
        }
    }

    /// In words.
    pub fn describe(self) -> &'static str {
        match self {
            PlacementClass::SameCpu => "both players on one CPU",
            PlacementClass::TwoCpus => "the players on two different CPUs",
            PlacementClass::Moved => "a player moved between CPUs",
        }
    }
}

impl std::fmt::Display for PlacementClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a run asked of the scheduler: players pinned to CPUs, or free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Asked {
    Pinned,
    Free,
}

impl Asked {
    pub fn of(p: &crate::kinds::Placement) -> Asked {
        match p {
            crate::kinds::Placement::Free => Asked::Free,
            crate::kinds::Placement::Pinned { .. } => Asked::Pinned,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Asked::Pinned => "pinned",
            Asked::Free => "free",
        }
    }
}

/// Where the two endpoints of a hosts rally were, as far as the run can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoints {
    /// The peer's address is a loopback address: one machine.
    Loopback,
    /// Both sides report the same boot id: one machine (e.g. two network
    /// namespaces joined by a veth pair).
    OneMachine,
    /// The two sides report different boot ids: two machines (or two
    /// virtual machines).
    TwoMachines,
    /// Not loopback, and a side did not report its boot id.
    Unknown,
}

impl Peer {
    /// Where this peer and `here` (the machine that played ping) were.
    pub fn endpoints(&self, here: &Machine) -> Endpoints {
        let loopback = self
            .address
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback());
        if loopback {
            return Endpoints::Loopback;
        }
        match (&here.boot_id, &self.machine.boot_id) {
            (Some(a), Some(b)) if a == b => Endpoints::OneMachine,
            (Some(_), Some(_)) => Endpoints::TwoMachines,
            _ => Endpoints::Unknown,
        }
    }
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
///
/// A rally's figures are named by what was asked (`pinned` or `free`) and
/// by where the players actually ran ([`PlacementClass`]): a ratio is
/// always of like placements, and a rule can read only pinned ones.
pub mod key {
    use super::{Asked, PlacementClass};

    /// `unit` ÷ `baseline` (processes ÷ threads) round trip over `channel`,
    /// over the repetitions in which both ran as `ran`.
    pub fn ratio(asked: Asked, ran: PlacementClass, channel: &str) -> String {
        format!("rally.{}.{}.{channel}.ratio", asked.name(), ran.name())
    }

    /// What was asked, where the players ran and the channel of a [`ratio`] key.
    pub fn parse_ratio(key: &str) -> Option<(Asked, PlacementClass, &str)> {
        let rest = key.strip_prefix("rally.")?.strip_suffix(".ratio")?;
        let (asked, rest) = rest.split_once('.')?;
        let (ran, channel) = rest.split_once('.')?;
        let asked = [Asked::Pinned, Asked::Free]
            .into_iter()
            .find(|a| a.name() == asked)?;
        let ran = PlacementClass::ALL.into_iter().find(|c| c.name() == ran)?;
        Some((asked, ran, channel))
    }

    /// A processes ÷ threads ratio under free placement where where the
    /// players ran was not recorded (CPython's rally): information only.
    pub fn unplaced_ratio(channel: &str) -> String {
        format!("rally.free.{channel}.ratio")
    }

    /// A unit's median round trip under free placement where where the
    /// players ran was not recorded (CPython's rally): information only.
    pub fn unplaced_median(channel: &str, unit: &str) -> String {
        format!("rally.free.{channel}.{unit}.median")
    }

    /// The median round trip of `unit` over `channel`, over its
    /// repetitions that ran as `ran`.
    pub fn median(asked: Asked, ran: PlacementClass, channel: &str, unit: &str) -> String {
        format!(
            "rally.{}.{}.{channel}.{unit}.median",
            asked.name(),
            ran.name()
        )
    }

    /// The median round trip between two hosts over `channel`.
    pub fn hosts(channel: &str) -> String {
        format!("hosts.{channel}.median")
    }

    /// Balls checked (sequence number and checksum) that came back intact
    /// between two hosts over `channel`.
    pub fn hosts_intact(channel: &str) -> String {
        format!("hosts.{channel}.intact")
    }

    /// Balls lost between two hosts over `channel`.
    pub fn hosts_lost(channel: &str) -> String {
        format!("hosts.{channel}.lost")
    }

    /// Balls that came twice, late or out of turn over `channel`.
    pub fn hosts_reordered(channel: &str) -> String {
        format!("hosts.{channel}.reordered")
    }

    /// Balls whose content did not match their checksum over `channel`.
    pub fn hosts_corrupted(channel: &str) -> String {
        format!("hosts.{channel}.corrupted")
    }

    /// Matches over `channel` that failed (no connection, no answer…).
    pub fn hosts_failed(channel: &str) -> String {
        format!("hosts.{channel}.failed")
    }

    /// How many machines the two endpoints of the hosts rally were on (1 or
    /// 2); absent when the run could not tell.
    pub const HOSTS_MACHINES: &str = "hosts.machines";
}

/// The unit name of a rally between hosts.
pub const HOSTS: &str = "hosts";

impl crate::evidence::Witness for RunDocument {
    fn testify(&self, ev: &mut crate::evidence::Evidence, command: &str) {
        if self.measurements.iter().any(|m| m.combo.unit == HOSTS)
            || self.errors.iter().any(|e| e.combo.unit == HOSTS)
        {
            self.testify_hosts(ev, command);
        } else {
            self.testify_rally(ev, command);
        }
    }
}

impl RunDocument {
    /// A local rally: ratios and medians by what was asked and where the
    /// players ran.
    fn testify_rally(&self, ev: &mut crate::evidence::Evidence, command: &str) {
        use crate::evidence::{Figure, Spread, Unit};
        use crate::format::format_size;
        let asked = Asked::of(&self.settings.placement);
        for c in &self.comparisons {
            ev.put(
                key::ratio(asked, c.placement, &c.channel),
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
                        "{} ÷ {} round trip over {} ({}), {} ({}), median of per-repetition ratios \
                         (range over {} interleaved repetitions{})",
                        c.unit,
                        c.baseline,
                        c.channel,
                        format_size(c.size),
                        c.placement.describe(),
                        self.settings.placement.describe(),
                        c.ratios.len(),
                        if c.excluded > 0 {
                            format!(
                                "; {} pair(s) left out, the two ran in different placements or a player moved",
                                c.excluded
                            )
                        } else {
                            String::new()
                        }
                    ),
                    command: command.into(),
                },
            );
        }
        let mut seen: Vec<(PlacementClass, &Combo)> = Vec::new();
        for m in &self.measurements {
            let Some(ran) = m.ran else { continue };
            if seen.contains(&(ran, &m.combo)) {
                continue;
            }
            seen.push((ran, &m.combo));
            let medians: Vec<f64> = self
                .measurements
                .iter()
                .filter(|o| o.combo == m.combo && o.ran == Some(ran))
                .map(|o| o.latency.median)
                .collect();
            let what = format!(
                "median round trip, {} over {} ({}), {} ({}), range over {} repetition(s)",
                m.combo.unit,
                m.combo.channel,
                format_size(m.combo.size),
                ran.describe(),
                self.settings.placement.describe(),
                medians.len()
            );
            if let Some(f) = Figure::of_repetitions(&medians, Unit::Ns, what, command) {
                ev.put(key::median(asked, ran, &m.combo.channel, &m.combo.unit), f);
            }
        }
    }

    /// A rally between hosts: the round trip, what became of the balls,
    /// the matches that failed, and how many machines the endpoints were on.
    fn testify_hosts(&self, ev: &mut crate::evidence::Evidence, command: &str) {
        let at = self
            .peer
            .as_ref()
            .map(|p| format!(" with pingpong serve at {}", p.address))
            .unwrap_or_default();
        for ch in self.channels() {
            self.testify_host_round_trip(ev, command, ch, &at);
            self.testify_host_matches(ev, command, ch, &at);
        }
        self.testify_host_machines(ev, command);
    }

    /// Every channel measured or failed, in the order first seen.
    fn channels(&self) -> Vec<&str> {
        let mut channels: Vec<&str> = Vec::new();
        for c in self
            .measurements
            .iter()
            .map(|m| &m.combo)
            .chain(self.errors.iter().map(|e| &e.combo))
        {
            if !channels.contains(&c.channel.as_str()) {
                channels.push(&c.channel);
            }
        }
        channels
    }

    /// The median round trip between hosts over `ch`, verified balls.
    fn testify_host_round_trip(
        &self,
        ev: &mut crate::evidence::Evidence,
        command: &str,
        ch: &str,
        at: &str,
    ) {
        use crate::evidence::{Figure, Unit};
        use crate::format::format_size;
        if let Some(c) = self.combined.iter().find(|c| c.combo.channel == ch) {
            ev.put(
                key::hosts(ch),
                Figure::ci95(
                    c.latency.median,
                    c.latency.median_ci,
                    Unit::Ns,
                    format!(
                        "median round trip between hosts over {ch} ({}){at}, verified balls, 95% confidence interval",
                        format_size(c.combo.size)
                    ),
                    command,
                ),
            );
        }
    }

    /// What became of the balls over `ch` (where a match was played), and
    /// the matches over it that failed.
    fn testify_host_matches(
        &self,
        ev: &mut crate::evidence::Evidence,
        command: &str,
        ch: &str,
        at: &str,
    ) {
        use crate::evidence::{Figure, Unit};
        let ms: Vec<&Measurement> = self
            .measurements
            .iter()
            .filter(|m| m.combo.channel == ch)
            .collect();
        let sum = |f: &dyn Fn(&Verification) -> u64| -> f64 {
            ms.iter().map(|m| f(&m.verification)).sum::<u64>() as f64
        };
        let lost = sum(&|v| v.lost);
        let reordered = sum(&|v| v.stale + v.out_of_order);
        let corrupted = sum(&|v| v.corrupted);
        let intact = (sum(&|v| v.balls_checked) - reordered - corrupted).max(0.0);
        let n = ms.len();
        let mut count = |k: String, v: f64, what: String| {
            ev.put(k, Figure::exact(v, Unit::Count, what, command));
        };
        // Balls are counted only where a match was played: over a
        // channel no match got through, only the failures show.
        if n > 0 {
            count(
                key::hosts_intact(ch),
                intact,
                format!("balls checked and intact over {ch}{at}, both ways, {n} match(es)"),
            );
            count(
                key::hosts_lost(ch),
                lost,
                format!("balls lost over {ch}{at}, {n} match(es)"),
            );
            count(
                key::hosts_reordered(ch),
                reordered,
                format!("balls that came twice, late or out of turn over {ch}{at}"),
            );
            count(
                key::hosts_corrupted(ch),
                corrupted,
                format!("balls whose content did not match their checksum over {ch}{at}"),
            );
        }
        let failed: Vec<&Failure> = self
            .errors
            .iter()
            .filter(|e| e.combo.channel == ch)
            .collect();
        count(
            key::hosts_failed(ch),
            failed.len() as f64,
            match failed.first() {
                Some(f) => format!(
                    "matches over {ch} that failed ({} of {}): {}",
                    failed.len(),
                    failed.len() + n,
                    f.error
                ),
                None => format!("matches over {ch} that failed (none of {n})"),
            },
        );
    }

    /// How many machines the two endpoints ran on, where the peer says.
    fn testify_host_machines(&self, ev: &mut crate::evidence::Evidence, command: &str) {
        use crate::evidence::{Figure, Unit};
        if let Some(p) = &self.peer {
            let (machines, how) = match p.endpoints(&self.header.machine) {
                Endpoints::Loopback => (
                    Some(1.0),
                    format!(
                        "{} is a loopback address: both endpoints on this one machine",
                        p.address
                    ),
                ),
                Endpoints::OneMachine => (
                    Some(1.0),
                    format!(
                        "{} reports this machine's own boot id: both endpoints on one machine",
                        p.address
                    ),
                ),
                Endpoints::TwoMachines => (
                    Some(2.0),
                    format!(
                        "{} reports another boot id than this machine's: two machines",
                        p.address
                    ),
                ),
                Endpoints::Unknown => (None, String::new()),
            };
            if let Some(v) = machines {
                ev.put(
                    key::HOSTS_MACHINES,
                    Figure::exact(
                        v,
                        Unit::Count,
                        format!("machines the two endpoints ran on: {how}"),
                        command,
                    ),
                );
            }
        }
    }
}
