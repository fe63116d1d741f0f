//! What a player reports when its rally is over.

use crate::kinds::Role;
use crate::measure::rusage::CpuUsage;
use serde::{Deserialize, Serialize};

/// What the receiving side of a player found in the balls it received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Balls received whose sequence number was checked (always all of them).
    pub received: u64,
    /// Balls whose checksum (or pattern, for balls under 16 bytes) was checked too.
    pub checksummed: u64,
    /// Balls that never came (a gap in the sequence, or a timeout on a lossy channel).
    pub lost: u64,
    /// Balls that came twice or too late (a number already seen).
    pub stale: u64,
    /// Balls that came ahead of their turn.
    pub out_of_order: u64,
    /// Balls whose content did not match their checksum.
    pub corrupted: u64,
}

impl Tally {
    /// Lost, stale, out-of-order or corrupted balls.
    pub fn anomalies(&self) -> u64 {
        self.lost + self.stale + self.out_of_order + self.corrupted
    }

    pub fn add(&mut self, o: &Tally) {
        self.received += o.received;
        self.checksummed += o.checksummed;
        self.lost += o.lost;
        self.stale += o.stale;
        self.out_of_order += o.out_of_order;
        self.corrupted += o.corrupted;
    }
}

/// The timings ping took.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timing {
    /// Round trips (rally) or balls (stream) in the timed part.
    pub rounds: u64,
    /// Round trips or balls in the warm-up, not timed.
    pub warmup_rounds: u64,
    /// Wall time of the timed part, first send to last receive.
    pub elapsed_ns: u64,
    /// Round trips per sample: 1 times each round trip; more divides the time
    /// of a batch (rally) or a window (stream) by its size.
    pub batch: u64,
    /// Histogram of per-round-trip (or per-ball) nanoseconds: (value, count).
    pub samples: Vec<(u64, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlayerReport {
    pub role: Role,
    pub pid: u32,
    pub tid: u32,
    /// CPU the player ran on when the timing started and when it ended.
    pub cpu_first: usize,
    pub cpu_last: usize,
    /// CPUs the player was allowed on.
    pub allowed_cpus: Vec<usize>,
    pub usage: CpuUsage,
    /// Peak resident memory of the player's process (for threads: the whole
    /// pingpong process they share), KiB.
    pub max_rss_kib: u64,
    pub tally: Tally,
    /// Ping's timings; `None` for pong.
    pub timing: Option<Timing>,
}
