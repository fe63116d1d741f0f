//! `pingpong run` over the whole matrix: every valid unit × channel
//! combination is measured, and the JSON results say what was measured, on
//! what machine, by which processes.

mod common;

use common::{listed_combinations, Sandbox};
use serde_json::Value;

fn measurements(doc: &Value) -> &Vec<Value> {
    doc["measurements"]
        .as_array()
        .expect("measurements is a list")
}

/// What every results document must hold, whatever was measured.
fn check_document(doc: &Value) {
    assert_eq!(doc["schema"], "pingpong.results");
    assert_eq!(doc["schema_version"], pingpong::results::SCHEMA_VERSION);
    assert_eq!(doc["experiment"], "run");
    let machine = &doc["machine"];
    for key in [
        "cpu_model",
        "kernel",
        "arch",
        "virtualization",
        "clock_source",
    ] {
        assert!(
            machine[key].as_str().is_some_and(|s| !s.is_empty()),
            "machine.{key} missing: {machine}"
        );
    }
    assert!(
        machine["logical_cpus"].as_u64().unwrap_or(0) > 0,
        "{machine}"
    );
    assert!(machine["allowed_cpus"].is_string(), "{machine}");
    let clock = &doc["clock"];
    assert!(
        clock["source"].as_str().is_some_and(|s| !s.is_empty()),
        "clock.source missing: {clock}"
    );
    assert!(clock["cost_ns"].as_f64().is_some(), "{clock}");
    assert!(clock["resolution_ns"].as_f64().is_some(), "{clock}");
    assert_eq!(
        doc["errors"].as_array().map(Vec::len),
        Some(0),
        "errors: {}",
        doc["errors"]
    );
}

/// What every measurement must hold: it measured something, its figures
/// are consistent, no ball was damaged, and the players were who the unit
/// says (one process for threads, two other processes for processes).
fn check_measurement(m: &Value, pingpong_pid: u32) {
    let label = &m["combo"];
    assert!(m["rounds"].as_u64().unwrap_or(0) > 0, "{label}: no rounds");
    let lat = &m["latency"];
    assert!(lat["count"].as_u64().unwrap_or(0) > 0, "{label}: {lat}");
    let (min, median, max) = (
        lat["min"].as_f64().unwrap(),
        lat["median"].as_f64().unwrap(),
        lat["max"].as_f64().unwrap(),
    );
    assert!(
        min <= median && median <= max,
        "{label}: median {median} outside [{min}, {max}]"
    );
    let v = &m["verification"];
    assert_eq!(v["ok"], true, "{label}: {v}");
    assert!(v["balls_checked"].as_u64().unwrap_or(0) > 0, "{label}: {v}");
    let ping = m["ping"]["pid"].as_u64().unwrap() as u32;
    let pong = m["pong"]["pid"].as_u64().unwrap() as u32;
    if m["combo"]["unit"] == "threads" {
        assert_eq!(ping, pingpong_pid, "{label}: ping is not in pingpong");
        assert_eq!(pong, pingpong_pid, "{label}: pong is not in pingpong");
        assert_ne!(
            m["ping"]["tid"], m["pong"]["tid"],
            "{label}: both players on one thread"
        );
    } else {
        assert_ne!(ping, pong, "{label}: both players in one process");
        assert_ne!(ping, pingpong_pid, "{label}: ping is pingpong itself");
        assert_ne!(pong, pingpong_pid, "{label}: pong is pingpong itself");
    }
}

/// Runs every channel `pingpong list` marks valid for `unit`, and checks
/// there is exactly one measurement per combination.
fn every_listed_channel_between(unit: &str, pattern: &str, only: Option<&[&str]>) {
    let channels: Vec<String> = listed_combinations()
        .into_iter()
        .filter(|(_, units)| units.iter().any(|u| u == unit))
        .map(|(c, _)| c)
        .filter(|c| match only {
            Some(o) => o.contains(&c.as_str()),
            None => true,
        })
        .collect();
    assert!(!channels.is_empty(), "no channel is valid between {unit}");
    let via = channels.join(",");
    let sb = Sandbox::new();
    let (done, doc) = sb.run_json(&[
        "run",
        "--between",
        unit,
        "--via",
        &via,
        "--pattern",
        pattern,
        "--size",
        "8",
        "--rounds",
        "200",
        "--reps",
        "1",
    ]);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    check_document(&doc);
    let ms = measurements(&doc);
    for c in &channels {
        let n = ms
            .iter()
            .filter(|m| m["combo"]["unit"] == unit && m["combo"]["channel"] == c.as_str())
            .count();
        assert_eq!(n, 1, "{unit} × {c}: {n} measurements, want 1");
    }
    assert_eq!(ms.len(), channels.len(), "unexpected measurements");
    for m in ms {
        assert_eq!(m["pattern"]["stream"].is_object(), pattern == "stream");
        check_measurement(m, done.pid);
    }
    sb.assert_tmpdir_empty();
}

#[test]
fn every_listed_channel_carries_a_rally_between_threads() {
    every_listed_channel_between("threads", "rally", None);
}

#[test]
fn every_listed_channel_carries_a_rally_between_spawned_processes() {
    every_listed_channel_between("processes", "rally", None);
}

#[test]
fn every_listed_channel_carries_a_rally_between_forked_processes() {
    every_listed_channel_between("processes-fork", "rally", None);
}

const STREAMS: &[&str] = &["pipe", "unix", "tcp"];

#[test]
fn pipe_unix_and_tcp_carry_a_stream_between_threads() {
    every_listed_channel_between("threads", "stream", Some(STREAMS));
}

#[test]
fn pipe_unix_and_tcp_carry_a_stream_between_spawned_processes() {
    every_listed_channel_between("processes", "stream", Some(STREAMS));
}

#[test]
fn pipe_unix_and_tcp_carry_a_stream_between_forked_processes() {
    every_listed_channel_between("processes-fork", "stream", Some(STREAMS));
}

#[test]
fn a_pipe_carries_small_medium_and_large_balls_in_one_run() {
    let sb = Sandbox::new();
    let (done, doc) = sb.run_json(&[
        "run",
        "--between",
        "threads,processes",
        "--via",
        "pipe",
        "--size",
        "8,4KiB,1MiB",
        "--duration",
        "50ms",
        "--reps",
        "1",
    ]);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    check_document(&doc);
    let ms = measurements(&doc);
    for unit in ["threads", "processes"] {
        let mut sizes: Vec<u64> = ms
            .iter()
            .filter(|m| m["combo"]["unit"] == unit)
            .map(|m| m["combo"]["size"].as_u64().unwrap())
            .collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![8, 4096, 1 << 20], "{unit}");
    }
    for m in ms {
        check_measurement(m, done.pid);
    }
}

#[test]
fn a_matrix_skips_balls_too_large_for_udp_and_runs_the_rest() {
    let sb = Sandbox::new();
    let (done, doc) = sb.run_json(&[
        "run",
        "--between",
        "threads",
        "--via",
        "pipe,udp",
        "--size",
        "8,1MiB",
        "--rounds",
        "200",
        "--reps",
        "1",
    ]);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    check_document(&doc);
    let skipped = doc["skipped"].as_array().expect("skipped is a list");
    assert_eq!(skipped.len(), 1, "skipped: {skipped:?}");
    assert_eq!(skipped[0]["combo"]["channel"], "udp");
    assert_eq!(skipped[0]["combo"]["size"], 1 << 20);
    assert!(
        skipped[0]["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "a skip without a reason: {}",
        skipped[0]
    );
    let mut ran: Vec<(String, u64)> = measurements(&doc)
        .iter()
        .map(|m| {
            (
                m["combo"]["channel"].as_str().unwrap().to_string(),
                m["combo"]["size"].as_u64().unwrap(),
            )
        })
        .collect();
    ran.sort();
    assert_eq!(
        ran,
        vec![
            ("pipe".to_string(), 8),
            ("pipe".to_string(), 1 << 20),
            ("udp".to_string(), 8),
        ]
    );
    for m in measurements(&doc) {
        check_measurement(m, done.pid);
    }
}
