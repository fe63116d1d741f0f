//! Shared by the experiment tests: run an experiment in its quickest mode
//! with `--json`, as a child of a subreaper, and check that it left nothing
//! behind (no process, no file beside its JSON).

#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;
use std::sync::Mutex;

/// One pingpong at a time per test binary, so that the check for leftover
/// children never sees another test's pingpong still running.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Children of this test process still alive (or unreaped), by pid.
fn children() -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name may hold spaces; fields resume after the last ')'.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid: i32 = rest.split_whitespace().nth(1).unwrap().parse().unwrap();
        if ppid == me {
            out.push(pid);
        }
    }
    out
}

/// Runs `pingpong <experiment> --quick --json FILE <extra>` and returns the
/// document. Orphans would be re-parented to this test (a subreaper), so any
/// process the experiment left behind shows up here as our child.
pub fn run_quick(experiment: &str, extra: &[&str]) -> Value {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: a plain prctl on this process.
    unsafe {
        nix::libc::prctl(nix::libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let csv = dir.path().join("out.csv");
    let md = dir.path().join("out.md");
    let out = Command::cargo_bin("pingpong")
        .unwrap()
        .arg(experiment)
        .arg("--quick")
        .arg("--json")
        .arg(&json)
        .arg("--csv")
        .arg(&csv)
        .arg("--markdown")
        .arg(&md)
        .args(extra)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pingpong {experiment} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    let left = children();
    for &pid in &left {
        // Clean up before failing, so one failure does not leak into others.
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    }
    assert!(
        left.is_empty(),
        "pingpong {experiment} left processes behind: {left:?}"
    );
    assert_no_leftover_files(dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("pingpong {experiment}")),
        "no table:\n{stdout}"
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    check_header(&doc, experiment);
    // The typed contract: JSON → typed → JSON gives the same document.
    let typed = pingpong::document::Document::from_value(doc.clone()).expect("a typed document");
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        doc,
        "JSON → typed → JSON changed it"
    );
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    let rows = doc["results"].as_array().unwrap().len();
    assert_eq!(csv_text.lines().count(), rows + 1, "one CSV row per result");
    assert!(std::fs::read_to_string(&md).unwrap().contains("| "));
    doc
}

fn assert_no_leftover_files(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["out.csv", "out.json", "out.md"], "leftover files");
}

/// The common header every document opens with.
pub fn check_header(doc: &Value, experiment: &str) {
    assert_eq!(doc["schema"], "pingpong.results");
    assert!(doc["schema_version"].as_u64().unwrap() >= 1);
    assert_eq!(doc["experiment"], experiment);
    assert!(doc["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    assert!(doc["settings"].is_object());
    assert!(doc["results"].is_array());
    assert!(doc["notes"].is_array());
    assert!(doc["unavailable"].is_array());
    assert_eq!(
        doc["errors"].as_array().unwrap().len(),
        0,
        "errors: {}",
        doc["errors"]
    );
}

/// A usage error: exit code 2 and one line on stderr.
pub fn assert_usage_error(args: &[&str]) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::cargo_bin("pingpong")
        .unwrap()
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
}
