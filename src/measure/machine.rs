//! The machine a result was measured on, recorded with every result: a
//! figure without its machine is folklore again.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    /// Logical CPUs online.
    pub logical_cpus: usize,
    /// Physical cores (distinct package/core pairs).
    pub physical_cores: usize,
    /// Groups of logical CPUs sharing one core (SMT siblings), e.g. ["0,4", "1,5"].
    pub smt_siblings: Vec<String>,
    /// CPUs pingpong may run on (its affinity mask).
    pub allowed_cpus: String,
    pub numa_nodes: usize,
    pub kernel: String,
    pub arch: String,
    /// Hypervisor or "none" (bare metal), from the CPU flag and DMI.
    pub virtualization: String,
    pub clock_source: String,
    pub memory_bytes: u64,
    /// 1-minute load average when pingpong started.
    pub loadavg_1m: f64,
    /// The running kernel's boot id (`/proc/sys/kernel/random/boot_id`, a
    /// random id drawn at each boot): two peers with the same one run on
    /// one machine, whatever addresses they talk over (network namespaces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn cpu_model() -> String {
    read("/proc/cpuinfo")
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn virtualization() -> String {
    let flagged = read("/proc/cpuinfo")
        .map(|c| {
            c.lines()
                .any(|l| l.starts_with("flags") && l.split_whitespace().any(|f| f == "hypervisor"))
        })
        .unwrap_or(false);
    let dmi = [
        read("/sys/class/dmi/id/sys_vendor"),
        read("/sys/class/dmi/id/product_name"),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(" ");
    let hv = read("/sys/hypervisor/type");
    match (flagged, hv) {
        (_, Some(t)) if !t.is_empty() => format!("{t} ({dmi})"),
        (true, _) if !dmi.is_empty() => format!("virtual machine ({dmi})"),
        (true, _) => "virtual machine".into(),
        (false, _) => "none detected".into(),
    }
}

fn online_cpus() -> Vec<usize> {
    let mut v = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/sys/devices/system/cpu") {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if let Some(n) = name
                .strip_prefix("cpu")
                .and_then(|n| n.parse::<usize>().ok())
            {
                let online = read(&format!("/sys/devices/system/cpu/cpu{n}/online"))
                    .map(|s| s == "1")
                    .unwrap_or(true);
                if online {
                    v.push(n);
                }
            }
        }
    }
    v.sort_unstable();
    v
}

pub fn describe() -> Machine {
    let cpus = online_cpus();
    let mut cores = BTreeSet::new();
    let mut siblings = BTreeSet::new();
    for &c in &cpus {
        let base = format!("/sys/devices/system/cpu/cpu{c}/topology");
        let pkg = read(&format!("{base}/physical_package_id")).unwrap_or_default();
        let core = read(&format!("{base}/core_id")).unwrap_or_else(|| c.to_string());
        cores.insert((pkg, core));
        if let Some(s) = read(&format!("{base}/thread_siblings_list")) {
            siblings.insert(s);
        }
    }
    let numa = std::fs::read_dir("/sys/devices/system/node")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.starts_with("node") && n[4..].parse::<u32>().is_ok()
                })
                .count()
        })
        .unwrap_or(0)
        .max(1);
    let uts = rustix::system::uname();
    let memory_bytes = read("/proc/meminfo")
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    Machine {
        cpu_model: cpu_model(),
        logical_cpus: cpus.len().max(1),
        physical_cores: cores.len().max(1),
        smt_siblings: siblings.into_iter().collect(),
        allowed_cpus: super::placement::cpu_list(&super::placement::allowed_cpus()),
        numa_nodes: numa,
        kernel: format!(
            "{} {}",
            uts.sysname().to_string_lossy(),
            uts.release().to_string_lossy()
        ),
        arch: std::env::consts::ARCH.into(),
        virtualization: virtualization(),
        clock_source: super::clock::clock_source(),
        memory_bytes,
        loadavg_1m: read("/proc/loadavg")
            .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse().ok()))
            .unwrap_or(0.0),
        boot_id: read("/proc/sys/kernel/random/boot_id").filter(|s| !s.is_empty()),
    }
}

impl Machine {
    /// One line for the terminal.
    pub fn one_line(&self) -> String {
        format!(
            "{} · {} CPUs ({} cores) · {} · {} · clock {}",
            self.cpu_model,
            self.logical_cpus,
            self.physical_cores,
            self.kernel,
            self.virtualization,
            self.clock_source
        )
    }
}
