//! What the `faults_*` tests share: running one experiment in quick mode and
//! checking that no process is left behind.

#![allow(dead_code)]

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `pingpong faults NAME --quick --json FILE`, checks that pingpong
/// itself exited 0 whatever it demonstrated, and returns the document.
pub fn run_quick(name: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("faults.json");
    let out = Command::cargo_bin("pingpong")
        .unwrap()
        .args(["faults", name, "--quick", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "pingpong faults {name} --quick must exit 0; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["experiment"], "faults");
    assert_eq!(doc["schema"], "pingpong.results");
    // The typed contract: JSON → typed → JSON gives the same document.
    let typed = pingpong::document::Document::from_value(doc.clone()).expect("a typed document");
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        doc,
        "JSON → typed → JSON changed it"
    );
    assert_nothing_left_behind();
    doc
}

/// The findings a faults document shows, as the verdict reads them
/// (`faults.<experiment>.<finding>` → `{shows_claim, shown}`), from its
/// typed rows.
pub fn demos(doc: &Value) -> Value {
    let typed: pingpong::faults::FaultsDocument =
        serde_json::from_value(doc.clone()).expect("a typed faults document");
    let mut ev = pingpong::evidence::Evidence::default();
    pingpong::evidence::Witness::testify(&typed, &mut ev, "pingpong faults");
    serde_json::to_value(&ev.demos).unwrap()
}

/// The row for `case` and `unit`.
pub fn row<'a>(doc: &'a Value, case: &str, unit: &str) -> &'a Value {
    doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["case"] == case && r["unit"] == unit)
        .unwrap_or_else(|| panic!("no row {case} / {unit} in {doc:#}"))
}

pub fn fig(r: &Value, name: &str) -> f64 {
    r["figures"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no figure {name} in {r:#}"))
}

/// Processes running our binary with the hidden `__fault` subcommand.
pub fn leftovers() -> Vec<String> {
    let ours = assert_cmd::cargo::cargo_bin("pingpong");
    let ours = ours.to_string_lossy().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let exe = std::fs::read_link(e.path().join("exe"))
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        if cmdline.contains("__fault") && exe.starts_with(&ours) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

/// No sacrificial child or worker outlives pingpong (a killed one may need
/// a moment to be reaped by init, so look a few times).
pub fn assert_nothing_left_behind() {
    let end = Instant::now() + Duration::from_secs(3);
    loop {
        let left = leftovers();
        if left.is_empty() {
            return;
        }
        if Instant::now() > end {
            panic!("processes left behind: {left:#?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
