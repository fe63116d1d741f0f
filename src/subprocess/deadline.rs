//! When something must be over: a measurement, a child, a grace period.
//!
//! It lives in the process toolkit because every wait on a child is bounded
//! by one ([`super::reap`]), and the experiments, the faults, the verdict,
//! the Python runs and the MPI launcher all bound their children this way.

use crate::error::Interrupted;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// When a measurement (or a wait) must be over.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    end: Instant,
    limit: Duration,
}

impl Deadline {
    pub fn after(limit: Duration) -> Deadline {
        let now = Instant::now();
        // A limit past what the clock can hold means "no deadline": a
        // century away, instead of an overflow.
        let end = now
            .checked_add(limit)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600));
        Deadline { end, limit }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.end
    }

    /// An error if the deadline has passed (or the run was interrupted).
    pub fn check(&self, what: &str) -> Result<()> {
        if crate::interrupt::interrupted() {
            return Err(anyhow::Error::new(Interrupted));
        }
        if self.passed() {
            bail!("{what} did not finish within {}", self.describe());
        }
        Ok(())
    }

    /// The limit, for a message ("2s", "1m 30s").
    pub fn describe(&self) -> String {
        humantime::format_duration(Duration::from_millis(self.limit.as_millis() as u64)).to_string()
    }
}
