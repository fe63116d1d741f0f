//! `--cpus matrix` (issue 3): spin between every ordered pair of CPUs, kept
//! in the JSON as a square matrix with /sys labels; refused in one line for
//! other channels. Only the shape is checked, never the figures.

use assert_cmd::Command;
use serde_json::Value;
use std::time::Duration;

fn pingpong() -> Command {
    let mut c = Command::cargo_bin("pingpong").expect("binary built");
    c.timeout(Duration::from_secs(120));
    c
}

#[test]
fn the_matrix_is_square_labelled_and_measures_every_ordered_pair_it_can() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    let out = pingpong()
        .args([
            "run", "-b", "threads", "--via", "spin", "--cpus", "matrix", "--json",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let m = &doc["cpu_matrix"];
    let cpus = m["cpus"].as_array().expect("cpus");
    let n = cpus.len();
    let rows = m["median_ns"].as_array().expect("median_ns");
    assert_eq!(rows.len(), n);
    for (i, row) in rows.iter().enumerate() {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), n);
        assert!(row[i].is_null(), "the diagonal is not measured");
    }
    assert_eq!(m["labels"].as_array().unwrap().len(), n);
    for l in m["labels"].as_array().unwrap() {
        assert!(!l["smt_siblings"].as_array().unwrap().is_empty(), "{l}");
    }
    assert_eq!(m["pairs_total"], n * n.saturating_sub(1));
    let cells = m["cells"].as_array().unwrap();
    assert_eq!(cells.len(), m["pairs_measured"].as_u64().unwrap() as usize);
    assert!(m["budget_s"].as_f64().unwrap() <= 30.0);
    for c in cells {
        assert_eq!(c["verified"], true, "{c}");
        assert!(c["median_ns"].as_f64().unwrap() > 0.0, "{c}");
        assert_ne!(c["ping"], c["pong"]);
        assert!(c["relation"].is_string());
    }
    if n == 2 {
        assert_eq!(cells.len(), 2, "both directions of the one pair");
        let notes = m["notes"].to_string();
        assert!(notes.contains("one pair"), "{notes}");
    }
}

#[test]
fn the_matrix_is_for_spin_alone() {
    for args in [
        vec!["--via", "pipe"],
        vec!["--via", "spin,futex"],
        vec!["--via", "spin", "-b", "threads,processes"],
    ] {
        let out = pingpong()
            .args(["run", "--cpus", "matrix"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("matrix"), "{err}");
    }
}
