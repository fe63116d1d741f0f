//! Two real "hosts": network namespaces joined by a veth pair, with
//! addresses (10.77.X.1 and .2) that exist only inside them. The server runs
//! in one, the client in the other; traffic never leaves the pair. The
//! namespaces are removed when the guard drops, even if the test fails.
//! Skipped, with the reason printed, without `ip` or without root.

mod net_common;
mod netns;

use net_common::{client, Server};
use netns::{can_run, Hosts};

#[test]
fn tcp_and_udp_between_namespaced_hosts() {
    if let Err(why) = can_run() {
        println!("skipped: {why}");
        return;
    }
    let hosts = match Hosts::make("", 0) {
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
