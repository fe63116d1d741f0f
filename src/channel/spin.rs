//! `spin`: both players busy-wait on the slot's sequence counter (see
//! [`super::slot`]) — the cache-line ping-pong of core-to-core-latency, as a
//! channel, between threads or (over a shared memfd) processes.
//!
//! Two players spinning on one CPU would livelock until the time slice
//! ends, so a waiting player spins [`super::shm::SPIN_BEFORE_YIELD`] checks
//! and then calls `sched_yield` between checks: on one CPU (`--same-cpu`)
//! the players take turns; across CPUs a rally never gets that far. The run
//! says so in its notes.

use super::shm::Wait;
use super::{slot, Channel, Pair, Setup};
use anyhow::Result;

pub struct Spin;

impl Channel for Spin {
    fn name(&self) -> &'static str {
        "spin"
    }
    fn summary(&self) -> &'static str {
        "busy-wait on a cache line in shared memory (yields after a short spin)"
    }
    fn max_size(&self) -> usize {
        slot::MAX_BALL
    }
    fn note(&self) -> Option<&'static str> {
        Some(
            "spin: a waiting player busy-waits about 2048 checks, then calls sched_yield between \
             checks, so two players on one CPU take turns instead of livelocking",
        )
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        slot::prepare("spin", Wait::Spin)
    }
}
