//! Two real "hosts": network namespaces joined by a veth pair, with
//! addresses (10.77.X.1 and .2) that exist only inside them. The server runs
//! in one, the client in the other; traffic never leaves the pair. The
//! namespaces are removed when the guard drops, even if the test fails.
//! Skipped, with the reason printed, without `ip` or without root.

mod net_common;

use net_common::{client, Server};
use std::process::Command;

fn ip(args: &[&str]) -> Result<(), String> {
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
struct Hosts {
    a: String,
    b: String,
    addr_a: String,
}

impl Hosts {
    fn make() -> Result<Hosts, String> {
        let pid = std::process::id();
        let x = pid % 250 + 1;
        let hosts = Hosts {
            a: format!("pp-a-{pid}"),
            b: format!("pp-b-{pid}"),
            addr_a: format!("10.77.{x}.1"),
        };
        let (va, vb) = (format!("ppva{pid}"), format!("ppvb{pid}"));
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
            &format!("10.77.{x}.2/24"),
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

fn can_run() -> Result<(), String> {
    if Command::new("ip").arg("-V").output().is_err() {
        return Err("`ip` (iproute2) is not installed".into());
    }
    if !rustix::process::geteuid().is_root() {
        return Err("network namespaces need root".into());
    }
    Ok(())
}

#[test]
fn tcp_and_udp_between_namespaced_hosts() {
    if let Err(why) = can_run() {
        println!("skipped: {why}");
        return;
    }
    let hosts = match Hosts::make() {
        Ok(h) => h,
        Err(why) => {
            println!("skipped: cannot make network namespaces here: {why}");
            return;
        }
    };
    let listen = format!("{}:7878", hosts.addr_a);
    let server = Server::start_with(
        &["ip", "netns", "exec", &hosts.a],
        &["--listen", &listen, "--token", "netns-test"],
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("hosts.json");
    let out = client(
        &["ip", "netns", "exec", &hosts.b],
        &server.addr,
        &[
            "--via",
            "tcp,udp",
            "--token",
            "netns-test",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let log = server.stop();
    assert!(
        out.status.success(),
        "client failed: {}\nserver: {log}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["peer"]["address"], listen.as_str());
    for m in doc["measurements"].as_array().unwrap() {
        assert_eq!(m["verification"]["ok"], true, "{m}");
    }
    println!("{}", String::from_utf8_lossy(&out.stdout));
    drop(hosts);
}
