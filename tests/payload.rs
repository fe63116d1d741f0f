//! `--payload struct` (issue 3): the ball as a postcard-encoded serde struct
//! on byte channels between threads and both kinds of process, rally and
//! stream, verified; damage still detected; the payload shown in the JSON.
//! No timing is asserted.

mod common;

use assert_cmd::Command;
use common::run_json;
use std::time::Duration;

fn pingpong() -> Command {
    let mut c = Command::cargo_bin("pingpong").expect("binary built");
    c.timeout(Duration::from_secs(120));
    c
}

#[test]
fn struct_balls_cross_byte_channels_between_threads_and_processes_verified() {
    for pattern in ["rally", "stream"] {
        let (doc, code) = run_json(&[
            "--between",
            "threads,processes,processes-fork",
            "--via",
            "pipe,unix,tcp,udp,shm-ring",
            "--size",
            "8,64,5000",
            "--pattern",
            pattern,
            "--window",
            "8",
            "-n",
            "200",
            "--warmup",
            "5",
            "--payload",
            "struct",
        ]);
        assert_eq!(code, 0, "{pattern}: {doc:#}");
        assert_eq!(doc["settings"]["payload"], "struct");
        let ms = doc["measurements"].as_array().unwrap();
        assert_eq!(ms.len(), 3 * 5 * 3, "{pattern}");
        for m in ms {
            assert_eq!(m["payload"], "struct", "{m:#}");
            let size = m["combo"]["size"].as_u64().unwrap();
            assert!(m["wire_bytes"].as_u64().unwrap() > size, "{m:#}");
            assert_eq!(m["verification"]["ok"], true, "{m:#}");
            assert!(m["verification"]["balls_checked"].as_u64().unwrap() > 0);
        }
    }
}

#[test]
fn raw_is_the_default_and_says_so() {
    let (doc, code) = run_json(&["-b", "threads", "--via", "pipe", "-n", "50"]);
    assert_eq!(code, 0);
    assert_eq!(doc["settings"]["payload"], "raw");
    let m = &doc["measurements"][0];
    assert_eq!(m["payload"], "raw");
    assert_eq!(m["wire_bytes"], 64);
}

#[test]
fn a_ball_corrupted_before_encoding_is_caught_after_decoding() {
    for between in ["threads", "processes"] {
        let (doc, code) = run_json(&[
            "-b",
            between,
            "--via",
            "unix",
            "-n",
            "300",
            "--payload",
            "struct",
            "--inject",
            "corrupt:50",
        ]);
        assert_eq!(code, 1, "{between}: damage must fail the run: {doc:#}");
        let v = &doc["measurements"][0]["verification"];
        assert!(v["corrupted"].as_u64().unwrap() > 0, "{between}: {v}");
        assert_eq!(v["ok"], false);
    }
}

#[test]
fn a_payload_that_is_not_known_is_a_usage_error() {
    let out = pingpong()
        .args(["run", "--payload", "pickle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
