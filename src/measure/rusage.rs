//! CPU time and context switches from `getrusage`.

use crate::player::report::CpuUsage;
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::time::TimeValLike;

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
