//! `pingpong python` with the machine's CPython: the document, the verified
//! answers, the GIL flag, a clear error for a bad --python, and no Python
//! process left behind.

mod common;

use common::have_python3;
use std::process::Command;

fn pingpong() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pingpong"))
}

fn python_processes_under(dir: &std::path::Path) -> usize {
    // Any process whose command line names our private program directory.
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(&needle))
        .count()
}

#[test]
fn python_quick_writes_a_verified_document_and_leaves_nothing() {
    if !have_python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("py.json");
    let out = pingpong()
        .args(["python", "--quick", "--json"])
        .arg(&json)
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(doc["experiment"], "python");
    let i = &doc["settings"]["interpreters"][0];
    assert!(i["version"].as_str().unwrap().starts_with("3."), "{i}");
    assert!(i["gil_enabled"].is_boolean());
    let results = doc["results"].as_array().unwrap();
    for e in ["rally", "spawn", "scale", "pickling", "memory", "faults"] {
        assert!(
            results.iter().any(|r| r["experiment"] == e),
            "no {e} results"
        );
    }
    for r in results {
        assert_ne!(r["verified"], false, "wrong answer: {r}");
    }
    // Faults: a segfault in a thread ends the process, in a child only the child.
    let survived = |case: &str| {
        results
            .iter()
            .find(|r| r["case"] == case)
            .map(|r| r["program_survived"].as_bool().unwrap())
    };
    assert_eq!(survived("segfault in a thread"), Some(false));
    assert_eq!(survived("segfault in a process"), Some(true));
    assert!(doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    // The private program directory is gone and nothing runs from it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("pingpong-python-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(python_processes_under(dir.path()), 0);
}

#[test]
fn a_missing_interpreter_is_one_clear_line_and_exit_2() {
    let out = pingpong()
        .args(["python", "--quick", "--python", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent"), "{err}");
}
