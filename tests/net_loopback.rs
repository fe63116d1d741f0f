//! `pingpong serve` and `run --between hosts` on loopback: rallies verified
//! over TCP and UDP with the peer's machine in the JSON, and the server
//! surviving hostile clients (garbage, an oversized prefix, silence, a flood
//! of 500 connections), then serving a normal client; and its memory staying
//! flat through rounds of oversized and garbage frames. Only 127.0.0.1.

mod net_common;

use net_common::{client, Server, BIN};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn json_of(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("json written")).expect("json")
}

#[test]
fn tcp_and_udp_rallies_are_verified_and_record_the_peer() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("hosts.json");
    let out = client(
        &[],
        &server.addr,
        &["--via", "tcp,udp", "--json", json.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json_of(&json);
    assert_eq!(doc["peer"]["address"], server.addr.as_str());
    assert!(doc["peer"]["machine"]["logical_cpus"].as_u64().unwrap() > 0);
    let combined = doc["combined"].as_array().unwrap();
    assert_eq!(combined.len(), 2);
    for c in combined {
        assert_eq!(c["combo"]["unit"], "hosts");
    }
    for m in doc["measurements"].as_array().unwrap() {
        assert_eq!(m["verification"]["ok"], true, "{m}");
    }
    let log = server.stop();
    assert!(log.contains("session done"), "{log}");
}

/// Sends `bytes` and returns what the server answered before closing (bounded).
fn poke(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = s.write_all(bytes);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

fn normal_client_succeeds(addr: &str) {
    // Sessions of closed attackers may take a moment to give back their slots.
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let out = client(&[], addr, &["--via", "tcp"]);
        if out.status.success() {
            return;
        }
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            err.contains("busy") && Instant::now() < until,
            "client failed: {err}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn hostile_clients_do_not_take_the_server_down() {
    let mut server = Server::start(&["--max-sessions", "16"]);
    let addr = server.addr.clone();

    // Garbage: an HTTP request read as a length prefix is far too large.
    poke(&addr, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // An oversized length prefix followed by a little data.
    poke(&addr, &[0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    // A well-sized frame of garbage: refused with a reason.
    let answer = poke(&addr, &[0, 0, 0, 5, 0xff, 0, 1, 2, 3]);
    assert!(String::from_utf8_lossy(&answer).contains("malformed"));
    // A truncated frame: announces 100 bytes, sends 3, closes.
    poke(&addr, &[0, 0, 0, 100, b'{', b'"', b'a']);
    // A client that connects and says nothing is cut off by the handshake deadline.
    let start = Instant::now();
    let silent = poke(&addr, b"");
    assert!(
        start.elapsed() < Duration::from_secs(14),
        "silent client held"
    );
    drop(silent);
    assert!(server.alive());

    // 500 connections at once: bounded, refused promptly, closed afterwards.
    let mut flood = Vec::new();
    for _ in 0..500 {
        if let Ok(s) = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(3)) {
            flood.push(s);
        }
    }
    assert!(flood.len() > 100, "only {} connections made", flood.len());
    assert!(server.alive());
    drop(flood);
    assert!(server.alive());

    normal_client_succeeds(&addr);
    assert!(server.alive());
    std::thread::sleep(Duration::from_millis(500));
    let log = server.stop();
    assert!(log.contains("refused: busy"), "{log}");
    assert!(log.contains("no hello within"), "{log}");
    assert!(log.contains("announced"), "{log}");
}

#[test]
fn another_protocol_version_is_refused_with_both_versions_named() {
    let server = Server::start(&[]);
    let hello = br#"{"magic":"pingpong-net","version":99}"#;
    let mut framed = (hello.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(hello);
    let answer = String::from_utf8_lossy(&poke(&server.addr, &framed)).to_string();
    assert!(
        answer.contains("client speaks version 99") && answer.contains("server speaks version 1"),
        "{answer}"
    );
    // The server logs once the session has closed the connection.
    std::thread::sleep(Duration::from_millis(500));
    let log = server.stop();
    assert!(log.contains("version 99"), "{log}");
}

#[test]
fn a_token_is_needed_beyond_loopback_and_checked() {
    let out = std::process::Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without --token"));

    let server = Server::start(&["--token", "s3cret"]);
    let out = client(&[], &server.addr, &["--via", "tcp"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a token"));
    let out = client(&[], &server.addr, &["--via", "tcp", "--token", "wrong"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong token"));
    let out = client(&[], &server.addr, &["--via", "tcp", "--token", "s3cret"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A line of `/proc/PID/status` (`VmRSS`, `Threads`…) as a number (kB for sizes).
fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// One round of attackers, all open at once: each claims a huge frame, or
/// sends 60 KiB of garbage as a frame, or announces the largest frame allowed
/// and closes after 60 KiB. Returns how many connected, once the server has
/// closed every one of them (or the round's deadline has passed).
fn flood_of_oversized_frames(addr: &str, count: usize) -> usize {
    const GARBAGE: usize = 60 * 1024;
    let deadline = Instant::now() + Duration::from_secs(30);
    let target = addr.parse().unwrap();
    let huge_prefix = [0xff, 0xff, 0xff, 0xf0, b'{', b'"'];
    let mut garbage_frame = ((GARBAGE - 4) as u32).to_be_bytes().to_vec();
    garbage_frame.resize(GARBAGE, 0xab);
    let mut largest_truncated = (64u32 * 1024).to_be_bytes().to_vec();
    largest_truncated.resize(GARBAGE, b' ');

    let mut open = Vec::new();
    for i in 0..count {
        if Instant::now() >= deadline {
            break;
        }
        let Ok(mut s) = TcpStream::connect_timeout(&target, Duration::from_secs(3)) else {
            continue;
        };
        s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
        // The server may refuse and close before reading: write errors are expected.
        let _ = match i % 3 {
            0 => s.write_all(&huge_prefix),
            1 => s.write_all(&garbage_frame),
            _ => s
                .write_all(&largest_truncated)
                .and_then(|()| s.shutdown(std::net::Shutdown::Write)),
        };
        open.push(s);
    }
    let connected = open.len();
    for mut s in open {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        s.set_read_timeout(Some(left)).unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    connected
}

#[test]
fn a_flood_of_oversized_frames_does_not_grow_the_servers_memory() {
    const MIB: u64 = 1024;
    let mut server = Server::start(&[]);
    let addr = server.addr.clone();
    let pid = server.child.id();
    let threads_at_rest = proc_status(pid, "Threads");
    let start = proc_status(pid, "VmRSS");

    let mut after = Vec::new();
    for round in 1..=3 {
        let connected = flood_of_oversized_frames(&addr, 200);
        assert!(
            connected >= 100,
            "round {round}: only {connected} connected"
        );
        // Every attacker is closed; wait (bounded) for their sessions to end.
        let until = Instant::now() + Duration::from_secs(10);
        while proc_status(pid, "Threads") > threads_at_rest && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(server.alive(), "server died in round {round}");
        let rss = proc_status(pid, "VmRSS");
        eprintln!(
            "flood round {round}: {connected} connections, server VmRSS {rss} KiB (start {start} KiB, {:+} KiB)",
            rss as i64 - start as i64
        );
        after.push(rss);
    }

    let peak = *after.iter().max().unwrap();
    assert!(
        peak < start + 64 * MIB,
        "server grew from {start} KiB to {peak} KiB under the flood"
    );
    assert!(
        after[2] <= after[0] + 16 * MIB,
        "server memory grows with the attacks: {after:?} KiB after rounds 1-3"
    );

    normal_client_succeeds(&addr);
    assert!(server.alive());
    eprintln!(
        "after a normal rally: server VmRSS {} KiB",
        proc_status(pid, "VmRSS")
    );
    let log = server.stop();
    let lines = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    eprintln!(
        "server log: {} refused busy, {} oversized prefixes, {} malformed, {} truncated",
        lines("refused: busy"),
        lines("announced"),
        lines("malformed"),
        lines("in the middle of a frame")
    );
    assert!(log.contains("announced"), "{log}");
    assert!(log.contains("malformed"), "{log}");
}
