//! Where players run: pinning to CPUs, read back and checked, because a
//! placement the kernel silently ignored would make every figure a lie.

use anyhow::{bail, Context, Result};
use rustix::thread::{sched_getaffinity, sched_getcpu, sched_setaffinity, CpuSet};

/// CPUs the calling thread may run on.
pub fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(None) {
        Ok(set) => (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect(),
        Err(_) => Vec::new(),
    }
}

/// The CPU the calling thread runs on now.
pub fn current_cpu() -> usize {
    sched_getcpu()
}

/// How many times the scheduler has moved the calling thread to another CPU
/// since it started: `se.nr_migrations` of `/proc/thread-self/sched`.
/// `None` where the kernel does not show it (built without scheduler
/// statistics, or no /proc): a reader then has only the CPUs seen at the
/// start and the end of the timed part.
///
/// Read by the player itself, before and after its timed part, so a move
/// and back (which the CPUs seen at both ends would hide) is still counted.
pub fn migrations() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    parse_migrations(&text)
}

fn parse_migrations(sched: &str) -> Option<u64> {
    sched.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        (name.trim() == "se.nr_migrations")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// Pins the calling thread to `cpu`, and checks that the kernel did it.
pub fn pin_to(cpu: usize) -> Result<()> {
    if cpu >= CpuSet::MAX_CPU {
        bail!("CPU {cpu} does not exist");
    }
    let mut set = CpuSet::new();
    set.set(cpu);
    sched_setaffinity(None, &set).with_context(|| {
        format!(
            "the kernel refused to place this player on CPU {cpu} (CPUs allowed: {})",
            cpu_list(&allowed_cpus())
        )
    })?;
    let now = allowed_cpus();
    if now != [cpu] {
        bail!(
            "asked for CPU {cpu} but the kernel allows {}: placement was ignored",
            cpu_list(&now)
        );
    }
    Ok(())
}

/// Formats CPU numbers compactly: `0-3,6`.
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut out = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if out.is_empty() {
        "none".into()
    } else {
        out.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_collapse_runs() {
        assert_eq!(cpu_list(&[0, 1, 2, 3, 6]), "0-3,6");
        assert_eq!(cpu_list(&[1]), "1");
        assert_eq!(cpu_list(&[]), "none");
    }

    #[test]
    fn migrations_are_read_from_the_scheduler_statistics() {
        let sched = "cat (17298, #threads: 1)\n---\nse.exec_start   :  2162192.016090\n\
                     se.nr_migrations                             :                    7\n\
                     nr_switches  :  0\n";
        assert_eq!(parse_migrations(sched), Some(7));
        assert_eq!(parse_migrations("nr_switches : 3\n"), None);
        assert_eq!(parse_migrations("se.nr_migrations : many\n"), None);
    }

    #[test]
    fn pinning_to_a_cpu_that_does_not_exist_is_an_error() {
        let err = pin_to(CpuSet::MAX_CPU + 1).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }
}
