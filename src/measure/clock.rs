//! The clock's own cost, measured before trusting it.
//!
//! `Instant::now()` is `clock_gettime(CLOCK_MONOTONIC)`, served by the vDSO
//! without entering the kernel when the clock source allows (tsc, kvm-clock),
//! and by a real system call otherwise (hpet, some hypervisors' clocks),
//! which can cost a microsecond. Ping reads the clock once per sample and
//! batches round trips when a read is not negligible against a round trip.

use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClockInfo {
    /// The kernel's clock source (`/sys/devices/system/clocksource/...`).
    pub source: String,
    /// Median cost of one `Instant::now()`, ns.
    pub cost_ns: f64,
    /// Smallest non-zero step between two reads seen, ns.
    pub resolution_ns: u64,
}

pub fn clock_source() -> String {
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Measures the clock: 101 runs of 1,000 back-to-back reads; the median run.
pub fn measure() -> ClockInfo {
    const READS: u32 = 1000;
    let mut per_read = Vec::with_capacity(101);
    let mut resolution = u64::MAX;
    for _ in 0..101 {
        let start = Instant::now();
        let mut prev = start;
        for _ in 0..READS {
            let now = Instant::now();
            let step = (now - prev).as_nanos() as u64;
            if step > 0 {
                resolution = resolution.min(step);
            }
            prev = now;
        }
        per_read.push((prev - start).as_nanos() as f64 / READS as f64);
    }
    per_read.sort_by(f64::total_cmp);
    ClockInfo {
        source: clock_source(),
        cost_ns: per_read[per_read.len() / 2],
        resolution_ns: if resolution == u64::MAX {
            0
        } else {
            resolution
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clock_costs_something_and_ticks() {
        let c = super::measure();
        assert!(c.cost_ns > 0.0);
        assert!(c.resolution_ns > 0);
    }
}
