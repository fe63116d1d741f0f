//! CPU time and context switches from `getrusage`, and migrations from the
//! scheduler's statistics.

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;
use serde::{Deserialize, Serialize};

/// CPU time and context switches of one player during the timed part of the
/// rally, from `getrusage(RUSAGE_THREAD)` read by the player itself before and
/// after (the same call for a thread and for a single-threaded process).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUsage {
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// Moves to another CPU ([`crate::measure::placement::migrations`]);
    /// `None` where the kernel does not show them.
    #[serde(default)]
    pub migrations: Option<u64>,
}

impl CpuUsage {
    pub fn add(&mut self, o: &CpuUsage) {
        self.user_ns += o.user_ns;
        self.system_ns += o.system_ns;
        self.voluntary_switches += o.voluntary_switches;
        self.involuntary_switches += o.involuntary_switches;
        self.migrations = match (self.migrations, o.migrations) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
}

/// The calling thread's own usage so far (`RUSAGE_THREAD`): for a player
/// thread that is the player alone, for a single-threaded player process the
/// same as the process.
pub fn thread_usage() -> CpuUsage {
    match getrusage(UsageWho::RUSAGE_THREAD) {
        Ok(u) => CpuUsage {
            user_ns: u.user_time().num_nanoseconds() as u64,
            system_ns: u.system_time().num_nanoseconds() as u64,
            voluntary_switches: u.voluntary_context_switches() as u64,
            involuntary_switches: u.involuntary_context_switches() as u64,
            migrations: crate::measure::placement::migrations(),
        },
        Err(_) => CpuUsage::default(),
    }
}

/// `after - before`, field by field.
pub fn delta(before: &CpuUsage, after: &CpuUsage) -> CpuUsage {
    CpuUsage {
        user_ns: after.user_ns.saturating_sub(before.user_ns),
        system_ns: after.system_ns.saturating_sub(before.system_ns),
        voluntary_switches: after
            .voluntary_switches
            .saturating_sub(before.voluntary_switches),
        involuntary_switches: after
            .involuntary_switches
            .saturating_sub(before.involuntary_switches),
        migrations: match (before.migrations, after.migrations) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b)),
            _ => None,
        },
    }
}

/// Peak resident set size of the calling process, KiB.
pub fn max_rss_kib() -> u64 {
    getrusage(UsageWho::RUSAGE_SELF)
        .map(|u| u.max_rss() as u64)
        .unwrap_or(0)
}

/// CPU time of this process and of every descendant it has reaped so far
/// (`RUSAGE_SELF` + `RUSAGE_CHILDREN`, which counts grandchildren that the
/// children reaped), seconds.
pub fn family_cpu_seconds() -> f64 {
    let secs = |who| {
        getrusage(who)
            .map(|u| {
                (u.user_time().num_microseconds() + u.system_time().num_microseconds()) as f64 / 1e6
            })
            .unwrap_or(0.0)
    };
    secs(UsageWho::RUSAGE_SELF) + secs(UsageWho::RUSAGE_CHILDREN)
}

/// CPU time of the calling process so far (user + system), nanoseconds.
pub fn process_cpu_ns() -> u64 {
    getrusage(UsageWho::RUSAGE_SELF)
        .map(|u| (u.user_time().num_nanoseconds() + u.system_time().num_nanoseconds()) as u64)
        .unwrap_or(0)
}
