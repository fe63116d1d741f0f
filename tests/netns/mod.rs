//! Test hosts made with network namespaces joined by a veth pair, with
//! addresses (10.77.X.1 and .2) that exist only inside them; removed when
//! the guard drops, even if the test fails. Needs `ip` (iproute2) and root.
#![allow(dead_code)]

use std::process::Command;

pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Two namespaces and the veth pair between them; removed on drop.
pub struct Hosts {
    pub a: String,
    pub b: String,
    pub addr_a: String,
    pub addr_b: String,
    /// The veth ends in a and in b.
    pub dev_a: String,
    pub dev_b: String,
}

impl Hosts {
    /// Makes hosts `pp-a-TAGPID` and `pp-b-TAGPID` on subnet 10.77.X.0/24,
    /// X from the pid and `subnet` (so two test files never share one).
    pub fn make(tag: &str, subnet: u32) -> Result<Hosts, String> {
        let pid = std::process::id();
        let x = (pid + subnet) % 250 + 1;
        let (va, vb) = (format!("ppva{tag}{pid}"), format!("ppvb{tag}{pid}"));
        let hosts = Hosts {
            a: format!("pp-a-{tag}{pid}"),
            b: format!("pp-b-{tag}{pid}"),
            addr_a: format!("10.77.{x}.1"),
            addr_b: format!("10.77.{x}.2"),
            dev_a: va.clone(),
            dev_b: vb.clone(),
        };
        ip(&["netns", "add", &hosts.a])?;
        ip(&["netns", "add", &hosts.b])?;
        // Made inside namespace a, so the pair never appears on the host.
        ip(&[
            "-n", &hosts.a, "link", "add", &va, "type", "veth", "peer", "name", &vb, "netns",
            &hosts.b,
        ])?;
        ip(&[
            "-n",
            &hosts.a,
            "addr",
            "add",
            &format!("{}/24", hosts.addr_a),
            "dev",
            &va,
        ])?;
        ip(&[
            "-n",
            &hosts.b,
            "addr",
            "add",
            &format!("{}/24", hosts.addr_b),
            "dev",
            &vb,
        ])?;
        for (ns, dev) in [(&hosts.a, &va), (&hosts.b, &vb)] {
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(hosts)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the veth, and so the pair.
        let _ = ip(&["netns", "del", &self.a]);
        let _ = ip(&["netns", "del", &self.b]);
    }
}

pub fn can_run() -> Result<(), String> {
    if Command::new("ip").arg("-V").output().is_err() {
        return Err("`ip` (iproute2) is not installed".into());
    }
    if !rustix::process::geteuid().is_root() {
        return Err("network namespaces need root".into());
    }
    Ok(())
}
