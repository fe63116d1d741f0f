//! Where the players of a rally actually ran is recorded with every
//! measurement, and threads and processes are compared only over
//! repetitions that ran alike.

use assert_cmd::Command;
use serde_json::Value;

fn run(placement: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    Command::cargo_bin("pingpong")
        .unwrap()
        .args([
            "run",
            "--between",
            "threads,processes",
            "--via",
            "pipe",
            "--duration",
            "20ms",
            "--warmup",
            "50",
            "--reps",
            "2",
            "--json",
        ])
        .arg(&json)
        .args(placement)
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

fn allowed_cpus() -> Vec<usize> {
    pingpong::measure::placement::allowed_cpus()
}

/// Every measurement ran as `class`, no player moved, and the comparison
/// says so and pairs every repetition.
fn assert_ran(doc: &Value, class: &str) {
    for m in doc["measurements"].as_array().unwrap() {
        assert_eq!(m["ran"], class, "{}", m["placement"]);
        for p in ["ping", "pong"] {
            let fig = &m[p];
            assert_eq!(fig["cpu_first"], fig["cpu_last"], "{p} moved: {fig}");
            let migrations = &fig["usage"]["migrations"];
            assert!(
                migrations.is_null() || migrations == 0,
                "{p} pinned yet migrated: {fig}"
            );
        }
    }
    let c = &doc["comparisons"].as_array().unwrap()[0];
    assert_eq!(c["placement"], class);
    assert_eq!(c["repetitions"], serde_json::json!([0, 1]));
    assert_eq!(c["excluded"], 0);
    assert!(doc["mismatches"].as_array().unwrap().is_empty());
}

#[test]
fn a_rally_pinned_to_one_cpu_records_that_both_players_ran_there() {
    let cpu = allowed_cpus()[0];
    let doc = run(&["--same-cpu", &cpu.to_string()]);
    assert_ran(&doc, "same-cpu");
    for m in doc["measurements"].as_array().unwrap() {
        assert_eq!(m["ping"]["cpu_first"], cpu);
        assert_eq!(m["pong"]["cpu_first"], cpu);
    }
}

#[test]
fn a_rally_pinned_to_two_cpus_records_two_cpus() {
    let cpus = allowed_cpus();
    let [a, b, ..] = cpus[..] else {
        eprintln!("one CPU allowed: nothing to show");
        return;
    };
    let doc = run(&["--cpus", &format!("{a},{b}")]);
    assert_ran(&doc, "two-cpus");
}

#[test]
fn a_free_rally_compares_only_repetitions_that_ran_alike() {
    let doc = run(&[]);
    let ms = doc["measurements"].as_array().unwrap();
    let ran = |unit: &str, rep: u64| {
        ms.iter()
            .find(|m| m["combo"]["unit"] == unit && m["repetition"] == rep)
            .map(|m| m["ran"].clone())
            .unwrap()
    };
    let mut compared = 0;
    for c in doc["comparisons"].as_array().unwrap() {
        for rep in c["repetitions"].as_array().unwrap() {
            let rep = rep.as_u64().unwrap();
            assert_eq!(ran("threads", rep), c["placement"]);
            assert_eq!(ran("processes", rep), c["placement"]);
            compared += 1;
        }
    }
    let excluded = doc["mismatches"].as_array().unwrap().len();
    assert_eq!(compared + excluded, 2, "every pair compared or excluded");
    if excluded > 0 {
        let notes = doc["notes"].to_string();
        assert!(notes.contains("left out of the comparisons"), "{notes}");
    }
}
