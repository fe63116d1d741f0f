//! `pingpong verdict`, end to end.

use assert_cmd::Command;
use serde_json::Value;

fn pingpong() -> Command {
    Command::cargo_bin("pingpong").expect("binary built")
}

#[test]
fn a_quick_verdict_judges_every_claim_with_evidence_and_re_renders_identically_from_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let again = dir.path().join("again.json");
    let out = pingpong()
        .args(["verdict", "--quick", "--json"])
        .arg(&first)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&out);
    let doc: Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    assert_eq!(doc["schema"], "pingpong.results");
    assert_eq!(doc["experiment"], "verdict");
    let verdicts = doc["verdicts"].as_array().unwrap();
    let ids: Vec<&str> = verdicts.iter().map(|v| v["id"].as_str().unwrap()).collect();
    let claims: Value = serde_json::from_str(include_str!("../data/claims.json")).unwrap();
    for c in claims["claims"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(ids.contains(&id), "claim {id} has no verdict");
        assert!(
            table.contains(&format!("│ {id} ")),
            "claim {id} missing from the table"
        );
    }
    for v in verdicts {
        let j = &v["judgement"];
        assert!(j["word"]["word"].is_string(), "{v}");
        assert!(
            !j["rule"].as_str().unwrap().is_empty(),
            "{} has no evidence",
            v["id"]
        );
    }
    // The measured claims rest on figures that are in the evidence.
    for v in verdicts {
        for key in v["judgement"]["figures"].as_array().unwrap() {
            assert!(
                doc["evidence"]["figures"][key.as_str().unwrap()].is_object(),
                "{key}"
            );
        }
    }

    pingpong()
        .args(["verdict", "--from"])
        .arg(&first)
        .arg("--json")
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn verdict_in_russian_shows_the_russian_claims() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("v.json");
    // Re-render a saved verdict: fast, and no measuring needed for the language.
    pingpong()
        .args(["verdict", "--quick", "--json"])
        .arg(&saved)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let out = pingpong()
        .args(["verdict", "--lang", "ru", "--from"])
        .arg(&saved)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("утверждение"), "{text}");
    assert!(text.contains("Потоки"), "{text}");
}

#[test]
fn a_file_that_is_not_a_verdict_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("bogus.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let out = pingpong()
        .args(["verdict", "--from"])
        .arg(&bogus)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("pingpong verdict --json"), "{err}");
}

#[test]
fn with_no_usable_cpython_the_verdict_still_runs_and_the_cpython_column_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("v.json");
    pingpong()
        .args(["verdict", "--quick", "--python", "/nonexistent", "--json"])
        .arg(&saved)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    let cpython: Vec<&Value> = doc["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.get("cpython").filter(|c| !c.is_null()))
        .collect();
    assert!(!cpython.is_empty(), "no claim has a CPython column");
    for c in cpython {
        assert_eq!(c["word"]["word"], "not_measurable", "{c}");
        assert!(
            c["word"]["why"].as_str().unwrap().contains("/nonexistent"),
            "{c}"
        );
    }
}
