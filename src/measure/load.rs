//! The machine's other load during a measurement: CPU time used by processes
//! other than pingpong and its players, and time stolen by the hypervisor,
//! from `/proc/stat` and `/proc/PID/stat` sampled before and after.
//!
//! On a small shared virtual machine this matters: an idle vCPU halts and
//! the host must wake it, so a cross-CPU round trip on an idle machine can be
//! several times slower than on a busy one. pingpong reports the load beside
//! each figure and warns when the machine was not idle.

use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Others' load above this many CPUs makes a measurement "not idle".
pub const BUSY_CPUS: f64 = 0.10;

#[derive(Clone, Copy, Debug)]
pub struct Snapshot {
    at: Instant,
    busy: u64,
    steal: u64,
    ours: u64,
}

/// Load during one measurement, in CPUs (1.0 = one CPU fully used).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Load {
    /// CPUs used by everything but pingpong and its players.
    pub others_cpus: f64,
    /// CPUs taken by the hypervisor (steal time).
    pub steal_cpus: f64,
    /// CPUs used by pingpong and its players.
    pub ours_cpus: f64,
    /// Length of the window, ms.
    pub window_ms: f64,
}

impl Load {
    pub fn is_busy(&self) -> bool {
        self.others_cpus > BUSY_CPUS || self.steal_cpus > BUSY_CPUS
    }
}

fn ticks_per_second() -> f64 {
    rustix::param::clock_ticks_per_second() as f64
}

/// (busy, steal) ticks over all CPUs from the first line of /proc/stat.
fn system_ticks() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    // Interrupt time is left out: it is mostly the wake-ups and (for
    // loopback sockets) the packet processing that our own rally causes, and
    // the kernel charges it to no process, so it would look like others' load.
    let get = |i: usize| v.get(i).copied().unwrap_or(0);
    (get(0) + get(1) + get(2), get(7))
}

/// utime + stime of a process (all its threads), ticks.
fn process_ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); utime is field 14, stime 15.
    let get = |i: usize| {
        f.get(i - 3)
            .and_then(|x| x.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(14) + get(15)
}

/// Where [`system_busy_seconds`] reads the CPU time every task has used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusySource {
    /// The root cgroup's `cpuacct.usage` (cgroup v1): nanoseconds, charged
    /// at every task switch, so even a window of a few milliseconds reads true.
    Cpuacct,
    /// `/proc/stat`: clock ticks, sampled by the timer (interrupts left
    /// out), so only windows of a few hundred milliseconds read true.
    ProcStat,
}

/// The root cpuacct cgroup where cgroup v1 mounts it.
const CPUACCT: [&str; 2] = [
    "/sys/fs/cgroup/cpuacct/cpuacct.usage",
    "/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage",
];

fn cpuacct_ns() -> Option<u64> {
    CPUACCT
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok()?.trim().parse().ok())
}

/// The most exact source this machine offers, chosen once.
pub fn busy_source() -> BusySource {
    static SOURCE: std::sync::OnceLock<BusySource> = std::sync::OnceLock::new();
    *SOURCE.get_or_init(|| {
        if cpuacct_ns().is_some() {
            BusySource::Cpuacct
        } else {
            BusySource::ProcStat
        }
    })
}

/// CPU seconds used by the whole system so far (all CPUs), from
/// [`busy_source`].
pub fn system_busy_seconds() -> f64 {
    match busy_source() {
        BusySource::Cpuacct => cpuacct_ns().unwrap_or(0) as f64 / 1e9,
        BusySource::ProcStat => system_ticks().0 as f64 / ticks_per_second(),
    }
}

/// Samples the system and our processes (pingpong itself plus `players`).
pub fn snapshot(players: &[u32]) -> Snapshot {
    let (busy, steal) = system_ticks();
    let ours =
        process_ticks(std::process::id()) + players.iter().map(|&p| process_ticks(p)).sum::<u64>();
    Snapshot {
        at: Instant::now(),
        busy,
        steal,
        ours,
    }
}

/// The load between two snapshots.
pub fn between(a: &Snapshot, b: &Snapshot) -> Load {
    let secs = (b.at - a.at).as_secs_f64();
    if secs <= 0.0 {
        return Load::default();
    }
    let hz = ticks_per_second();
    let busy = b.busy.saturating_sub(a.busy) as f64 / hz;
    let ours = b.ours.saturating_sub(a.ours) as f64 / hz;
    Load {
        others_cpus: ((busy - ours) / secs).max(0.0),
        steal_cpus: b.steal.saturating_sub(a.steal) as f64 / hz / secs,
        ours_cpus: ours / secs,
        window_ms: secs * 1000.0,
    }
}

/// Measures the CPU time other processes use over a window: all CPU time
/// the system used ([`system_busy_seconds`]), less what pingpong
/// and its reaped descendants used (`getrusage`), per second of wall time.
/// The verdict measures each step with it, and `pingpong scale` each of its
/// runs, so both report the same quantity.
///
/// Where the machine offers only `/proc/stat` ([`busy_source`]), which
/// counts in clock ticks, a window should last a few hundred milliseconds
/// for a reading to within a few hundredths of a CPU.
pub struct LoadMeter {
    busy0: f64,
    ours0: f64,
    t0: Instant,
}

impl LoadMeter {
    pub fn start() -> LoadMeter {
        LoadMeter {
            busy0: system_busy_seconds(),
            ours0: crate::measure::rusage::family_cpu_seconds(),
            t0: Instant::now(),
        }
    }

    /// CPUs the other processes used since [`LoadMeter::start`].
    pub fn others_cpus(&self) -> f64 {
        let wall = self.t0.elapsed().as_secs_f64().max(1e-9);
        let others = (system_busy_seconds() - self.busy0)
            - (crate::measure::rusage::family_cpu_seconds() - self.ours0);
        (others / wall).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_has_readable_cpu_ticks() {
        // Burn a little CPU so the count is not zero on a coarse tick.
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed().as_millis() < 30 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(process_ticks(std::process::id()) > 0);
    }

    #[test]
    fn the_system_s_cpu_time_never_runs_backwards_and_others_load_is_never_negative() {
        let meter = LoadMeter::start();
        let a = system_busy_seconds();
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed().as_millis() < 20 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(system_busy_seconds() >= a, "{:?}", busy_source());
        let others = meter.others_cpus();
        assert!(others >= 0.0 && others.is_finite());
    }

    #[test]
    fn a_load_window_is_never_negative() {
        let a = snapshot(&[]);
        let b = snapshot(&[]);
        let l = between(&a, &b);
        assert!(l.others_cpus >= 0.0 && l.steal_cpus >= 0.0 && l.ours_cpus >= 0.0);
    }
}
