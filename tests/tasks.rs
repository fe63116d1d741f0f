//! Async tasks as players (issue 3): `tasks` and `tasks-mt` over every
//! channel they support, rally and stream, raw and struct payloads, with
//! verified balls; damage detected; refusals are one-line usage errors; no
//! thread or descriptor left behind. No timing is asserted.

mod common;

use assert_cmd::Command;
use common::run_json;
use std::time::Duration;

const TASK_CHANNELS: &str = "tokio-mpsc,tokio-notify,pipe,unix,tcp";

fn pingpong() -> Command {
    let mut c = Command::cargo_bin("pingpong").expect("binary built");
    c.timeout(Duration::from_secs(120));
    c
}

#[test]
fn tasks_play_every_channel_they_support_rally_and_stream_verified() {
    for payload in ["raw", "struct"] {
        for pattern in ["rally", "stream"] {
            let (doc, code) = run_json(&[
                "--between",
                "tasks,tasks-mt",
                "--via",
                TASK_CHANNELS,
                "--size",
                "8,4KiB",
                "--pattern",
                pattern,
                "--window",
                "8",
                "-n",
                "200",
                "--warmup",
                "5",
                "--payload",
                payload,
            ]);
            assert_eq!(code, 0, "{payload} {pattern}: {doc:#}");
            let ms = doc["measurements"].as_array().unwrap();
            assert_eq!(ms.len(), 2 * 5 * 2, "{payload} {pattern}");
            for m in ms {
                assert_eq!(m["verification"]["ok"], true, "{m:#}");
                assert!(m["verification"]["balls_checked"].as_u64().unwrap() > 0);
                assert!(m["rounds"].as_u64().unwrap() >= 200);
                // Both tasks live in the pingpong process.
                assert_eq!(m["ping"]["pid"], m["pong"]["pid"], "{m:#}");
            }
            assert!(doc["errors"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn damage_between_tasks_is_detected() {
    let (doc, code) = run_json(&[
        "-b",
        "tasks",
        "--via",
        "tokio-notify",
        "-n",
        "300",
        "--inject",
        "corrupt:50",
    ]);
    assert_eq!(code, 1, "{doc:#}");
    let v = &doc["measurements"][0]["verification"];
    assert!(v["corrupted"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn channels_without_an_async_end_are_refused_in_one_line() {
    for (between, via) in [
        ("tasks", "fifo"),
        ("tasks-mt", "spin"),
        ("threads", "tokio-mpsc"),
        ("processes", "tokio-notify"),
    ] {
        let out = pingpong()
            .args(["run", "--between", between, "--via", via, "-n", "10"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{between} {via}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(via), "{err}");
    }
}

#[test]
fn list_shows_which_channels_tasks_support() {
    let out = pingpong().arg("list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tasks-mt"), "{text}");
    assert!(text.contains("tokio-mpsc"), "{text}");
    assert!(text.contains("tokio-notify"), "{text}");
    assert!(text.contains("tasks only"), "{text}");
    assert!(text.contains("no async end"), "{text}");
}
