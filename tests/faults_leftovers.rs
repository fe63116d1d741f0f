mod faults_common;
use assert_cmd::cargo::CommandCargoExt;
use common::*;
use faults_common as common;
use std::process::Command;

#[test]
fn every_experiment_leaves_no_process_behind_and_every_export_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (json, csv, md) = (
        dir.path().join("f.json"),
        dir.path().join("f.csv"),
        dir.path().join("f.md"),
    );
    let out = Command::cargo_bin("pingpong")
        .unwrap()
        .args(["faults", "--quick", "--json"])
        .arg(&json)
        .arg("--csv")
        .arg(&csv)
        .arg("--markdown")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_nothing_left_behind();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let names: Vec<&str> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["experiment"].as_str().unwrap())
        .collect();
    for e in [
        "crash",
        "stop",
        "deadlock",
        "race",
        "isolation",
        "zombies",
        "pool",
    ] {
        assert!(names.contains(&e), "no row for {e}");
    }
    // Every finding the verdict reads is there, and each shows its claim here.
    let typed: pingpong::faults::FaultsDocument = serde_json::from_value(doc.clone()).unwrap();
    let mut ev = pingpong::evidence::Evidence::default();
    pingpong::evidence::Witness::testify(&typed, &mut ev, "pingpong faults --quick");
    use pingpong::faults::findings::key;
    for k in [
        key::THREAD_CRASH_KILLS_PROGRAM,
        key::PROCESS_CRASH_CONTAINED,
        key::THREAD_UNKILLABLE,
        key::PROCESS_KILLED,
        key::DEADLOCK_DETECTED,
        key::THREAD_WRITE_VISIBLE,
        key::FORK_WRITE_INVISIBLE,
        key::PROCESS_POOL_RECOVERS,
        key::ZOMBIE_UNTIL_REAPED,
    ] {
        let d = ev
            .demo(k)
            .unwrap_or_else(|| panic!("no finding {k}: {ev:#?}"));
        assert!(d.shows_claim, "{k}: {d:?}");
    }
    assert!(ev.demo(key::RACE_LOSES_UPDATES).is_some());
    assert!(ev.demo(key::FOREIGN_READ_REFUSED).is_some());
    // T11 as a whole may hold, fail or depend: its word leads what it shows.
    assert!(ev.demo(key::THREAD_UNSTOPPABLE).is_some());
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.starts_with("experiment,case,unit,outcome,status,survived,notice_ns"));
    assert_eq!(csv.lines().count(), names.len() + 1);
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("# pingpong faults"));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("time to notice"));
}

#[test]
fn an_unknown_experiment_is_a_usage_error() {
    let out = Command::cargo_bin("pingpong")
        .unwrap()
        .args(["faults", "meltdown"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown fault experiment 'meltdown'"));
}
