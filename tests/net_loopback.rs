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

/// A hand-made client, for what `pingpong run` would never send: frames
/// written and read directly on the control connection.
mod raw {
    use serde_json::{json, Value};
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    pub fn machine(cpu_model: &str) -> Value {
        json!({
            "cpu_model": cpu_model, "logical_cpus": 1, "physical_cores": 1,
            "smt_siblings": [], "allowed_cpus": "0", "numa_nodes": 1, "kernel": "k",
            "arch": "x86_64", "virtualization": "none", "clock_source": "tsc",
            "memory_bytes": 1, "loadavg_1m": 0.0
        })
    }

    /// A hello for a rally of `rounds` balls of `size` bytes.
    pub fn hello(via: &str, pattern: Value, cpu_model: &str, token: Option<&str>) -> Value {
        json!({
            "magic": "pingpong-net", "version": 1, "token": token, "via": via,
            "script": {
                "size": 64, "pattern": pattern, "length": {"rounds": 2},
                "warmup_rounds": 0, "verify": "seq", "batch": null,
                "clock_cost_ns": 0.0, "lossy": false, "fault": null, "pace": null,
                "payload": "raw"
            },
            "loss_timeout_ms": 200, "timeout_ms": 10_000,
            "machine": machine(cpu_model)
        })
    }

    pub fn send(s: &mut TcpStream, msg: &Value) {
        let body = serde_json::to_vec(msg).unwrap();
        let mut framed = (body.len() as u32).to_be_bytes().to_vec();
        framed.extend_from_slice(&body);
        s.write_all(&framed).expect("sending a frame");
    }

    pub fn receive(s: &mut TcpStream) -> Value {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut prefix = [0u8; 4];
        s.read_exact(&mut prefix).expect("a frame's length");
        let mut body = vec![0u8; u32::from_be_bytes(prefix) as usize];
        s.read_exact(&mut body).expect("a frame");
        serde_json::from_slice(&body).expect("a JSON frame")
    }

    /// A 64-byte ball: number, size, and the CRC-32C of the whole (with
    /// the CRC field zero) where pingpong puts one (the final ball).
    pub fn ball(seq: u64) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[0..8].copy_from_slice(&seq.to_le_bytes());
        b[8..12].copy_from_slice(&64u32.to_le_bytes());
        let sum = crc32c::crc32c(&b);
        b[12..16].copy_from_slice(&sum.to_le_bytes());
        b
    }
}

#[test]
fn garbage_datagrams_in_a_udp_session_are_counted_corrupted_not_billions_lost() {
    let server = Server::start(&[]);
    let mut s = TcpStream::connect(&server.addr).unwrap();
    raw::send(&mut s, &raw::hello("udp", "rally".into(), "test", None));
    let welcome = raw::receive(&mut s);
    let port = welcome["Welcome"]["udp_port"]
        .as_u64()
        .unwrap_or_else(|| panic!("no UDP port in {welcome}"));
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.connect(("127.0.0.1", port as u16)).unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let my_port = udp.local_addr().unwrap().port();
    raw::send(&mut s, &serde_json::json!({"UdpPort": {"port": my_port}}));
    assert_eq!(raw::receive(&mut s), "Ready");

    let mut back = [0u8; 64];
    let mut garbage = 0;
    for seq in [0u64, 1, u64::MAX] {
        // All 0xFF starts with the final ball's number, but is not the final ball.
        for byte in [0x5A, 0xFF, 0xA7] {
            udp.send(&[byte; 64]).unwrap();
            garbage += 1;
        }
        udp.send(&raw::ball(seq)).unwrap();
        if let Err(e) = udp.recv(&mut back) {
            panic!(
                "pong did not return ball #{seq}: {e}; server log:\n{}",
                server.stop()
            );
        }
        assert_eq!(u64::from_le_bytes(back[..8].try_into().unwrap()), seq);
    }
    raw::send(&mut s, &serde_json::json!("Finished"));
    let report = raw::receive(&mut s);
    let tally = &report["Report"]["tally"];
    assert_eq!(tally["lost"], 0, "{report}");
    assert_eq!(tally["corrupted"], garbage, "{report}");
    assert_eq!(tally["stale"], 0, "{report}");
    drop(server);
}

#[test]
fn a_udp_client_silent_after_its_hello_gives_its_slot_back_within_the_idle_limit() {
    let server = Server::start(&["--max-sessions", "1"]);
    // A long rally that asks for a day; stopped (silent) once it is under way.
    let mut silent = std::process::Command::new(BIN)
        .args([
            "run",
            "--between",
            "hosts",
            "--peer",
            &server.addr,
            "--via",
            "udp",
            "--rounds",
            "1000000000",
            "--reps",
            "1",
            "--timeout",
            "24h",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let pid = nix::unistd::Pid::from_raw(silent.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
    let stopped = Instant::now();
    // With one slot, a normal client is served only once the silent one is ended.
    let served = loop {
        let out = client(&[], &server.addr, &["--via", "tcp"]);
        if out.status.success() {
            break stopped.elapsed();
        }
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains("busy"), "client failed: {err}");
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the silent UDP client still holds the only slot after 30 s"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    let _ = silent.kill();
    let _ = silent.wait();
    let log = server.stop();
    assert!(log.contains("nothing arrived for 10s"), "{log}");
    eprintln!("the silent client's slot was free again after {served:.1?}");
}

#[test]
fn a_client_cannot_forge_or_flood_the_servers_log() {
    let forged = "FORGED pingpong serve: [1.2.3.4:5] session done";
    let long = "A".repeat(60_000);
    // With a token: before it is checked, nothing the client sent is logged.
    let server = Server::start(&["--token", "s3cret"]);
    for hello in [
        raw::hello("tcp", format!("evil\n{forged}").into(), "m", None),
        raw::hello(
            "tcp",
            "rally".into(),
            &format!("x\n{forged}"),
            Some("wrong"),
        ),
        raw::hello(&format!("x\n{forged}"), "rally".into(), "m", Some("s3cret")),
        raw::hello(
            "tcp",
            "rally".into(),
            &format!("{long}\n{forged}"),
            Some("s3cret"),
        ),
        raw::hello(&long, "rally".into(), "m", Some("s3cret")),
    ] {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        raw::send(&mut s, &hello);
        let _ = raw::receive(&mut s);
    }
    std::thread::sleep(Duration::from_millis(500));
    let log = server.stop();
    for line in log.lines() {
        assert!(
            line.starts_with("pingpong serve: "),
            "a forged line: {line:?}"
        );
        assert!(
            line.chars().count() <= 1000,
            "a line of {} characters",
            line.len()
        );
        assert!(
            !line.contains("evil"),
            "logged before the token check: {line}"
        );
    }
    assert!(log.contains("refused: malformed hello"), "{log}");
    assert!(log.contains("refused: wrong token"), "{log}");
    assert!(log.contains("\\nFORGED"), "escaped, not dropped: {log}");
}

#[test]
fn accept_failures_for_want_of_descriptors_are_logged_once_per_interval() {
    let mut server = Server::start_with(
        &["sh", "-c", "ulimit -n 16 && exec \"$0\" \"$@\""],
        &["--listen", "127.0.0.1:0"],
    );
    // Silent connections hold the server's descriptors until their handshake
    // deadline (5 s); those beyond wait in the queue while accept fails.
    let mut held = Vec::new();
    for _ in 0..40 {
        if let Ok(s) =
            TcpStream::connect_timeout(&server.addr.parse().unwrap(), Duration::from_secs(2))
        {
            held.push(s);
        }
    }
    std::thread::sleep(Duration::from_secs(4));
    assert!(server.alive());
    drop(held);
    std::thread::sleep(Duration::from_secs(2));
    assert!(server.alive());
    let log = server.stop();
    let failures = log.lines().filter(|l| l.contains("accept failed")).count();
    assert!(failures >= 1, "the limit was never hit:\n{log}");
    assert!(
        failures <= 2,
        "{failures} accept failures logged in about 6 s:\n{log}"
    );
}

#[test]
fn serve_exits_130_on_sigint_and_on_sigterm() {
    for signal in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        let mut server = Server::start(&[]);
        let pid = nix::unistd::Pid::from_raw(server.child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
        let until = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = server.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < until, "serve ignored {signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(130), "after {signal}");
    }
}
