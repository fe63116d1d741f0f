//! `pingpong verdict`, end to end.

use assert_cmd::Command;
use serde_json::Value;

fn pingpong() -> Command {
    Command::cargo_bin("pingpong").expect("binary built")
}

fn python3_on_path() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("python3").is_file()))
}

/// Whether a free-threaded CPython is on PATH (as the verdict looks for
/// one); CI builds one (bench/python-freethreaded.sh), so there it must be.
fn free_threaded_on_path() -> bool {
    let found = std::env::var_os("PATH").is_some_and(|p| {
        std::env::split_paths(&p).any(|d| {
            ["python3.14t", "python3.13t"]
                .iter()
                .any(|n| d.join(n).is_file())
        })
    });
    if !found {
        eprintln!("no python3.14t or python3.13t on PATH: the free-threaded column is not checked");
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a free-threaded CPython (.ci/run builds it)"
        );
    }
    found
}

#[test]
fn a_quick_verdict_judges_every_claim_with_evidence_and_re_renders_identically_from_its_json() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.json");
    let again = dir.path().join("again.json");
    let out = pingpong()
        .args(["verdict", "--quick", "--json"])
        .arg(&first)
        .timeout(std::time::Duration::from_secs(240))
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
            table.lines().any(|l| l.starts_with(&format!("{id} "))),
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
    // The measured claims rest on figures that are in the evidence, in
    // every column.
    for v in verdicts {
        for column in ["judgement", "cpython", "cpython_ft"] {
            let Some(figures) = v[column]["figures"].as_array() else {
                continue;
            };
            for key in figures {
                assert!(
                    doc["evidence"]["figures"][key.as_str().unwrap()].is_object(),
                    "{column}: {key}"
                );
            }
        }
    }
    // With python3 on PATH, every claim of the CPython column is judged
    // from its figures (which word, the figures decide).
    if python3_on_path() {
        for v in verdicts {
            if let Some(word) = v["cpython"]["word"]["word"].as_str() {
                assert_ne!(word, "not_measurable", "{}", v["cpython"]);
            }
        }
    }
    // With a free-threaded CPython on PATH its column is judged: T3 gets a
    // word from its figures (which word, the figures decide).
    if free_threaded_on_path() {
        let t3 = verdicts.iter().find(|v| v["id"] == "T3").unwrap();
        let word = &t3["cpython_ft"]["word"]["word"];
        assert!(word.is_string(), "{t3}");
        assert_ne!(word, "not_measurable", "{t3}");
        assert!(
            table.contains("CPython, free-threaded"),
            "no free-threaded column in the table"
        );
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

    // Every rendering has both CPython columns and says where they differ
    // (or why the free-threaded one is empty).
    let (html, csv, md) = (
        dir.path().join("v.html"),
        dir.path().join("v.csv"),
        dir.path().join("v.md"),
    );
    pingpong()
        .args(["verdict", "--from"])
        .arg(&first)
        .arg("--html")
        .arg(&html)
        .arg("--csv")
        .arg(&csv)
        .arg("--markdown")
        .arg(&md)
        .assert()
        .success();
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(
        csv.lines().next().unwrap().contains("cpython,cpython_ft"),
        "{csv}"
    );
    for page in [
        std::fs::read_to_string(&html).unwrap(),
        std::fs::read_to_string(&md).unwrap(),
        table.to_string(),
    ] {
        // (The terminal table may wrap the heading: its word is enough.)
        assert!(page.contains("free-threaded"), "no third column");
        assert!(
            page.contains("free-threaded CPython answers")
                || page.contains("free-threaded CPython gives each")
                || page.contains("free-threaded CPython column is empty"),
            "no sentence on the free-threaded column"
        );
    }
}

/// The verdict rendered again from `saved` with `args`, `COLUMNS` set to `columns`.
fn rendered(saved: &std::path::Path, columns: usize, args: &[&str]) -> String {
    let out = pingpong()
        .env("COLUMNS", columns.to_string())
        .args(["verdict", "--from"])
        .arg(saved)
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

/// The bottom line: from the counts to the line before the claims' table.
fn bottom_line(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.starts_with("Rust:"))
        .take_while(|l| !l.starts_with("id "))
        .collect()
}

#[test]
fn one_measured_verdict_reads_well_at_80_and_120_columns_with_explain_and_in_russian() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("v.json");
    // Measured once; every rendering below re-renders it (no measuring).
    pingpong()
        .args(["verdict", "--quick", "--json"])
        .arg(&saved)
        .timeout(std::time::Duration::from_secs(240))
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    let claims: Value = serde_json::from_str(include_str!("../data/claims.json")).unwrap();
    let claims = claims["claims"].as_array().unwrap();

    // Fitted to the width: no line wider, and no word broken — the bottom
    // line says the same words as on a very wide terminal, and each claim's
    // short name stands whole on its id's line.
    let wide = rendered(&saved, 1000, &[]);
    let words = |lines: Vec<&str>| -> Vec<String> {
        lines
            .iter()
            .flat_map(|l| l.split_whitespace())
            .map(String::from)
            .collect()
    };
    for columns in [80, 120] {
        let text = rendered(&saved, columns, &[]);
        for line in text.lines() {
            assert!(
                line.chars().count() <= columns,
                "a line wider than {columns} columns: {line:?}"
            );
        }
        let bottom = bottom_line(&text);
        assert!(
            bottom.iter().any(|l| l.contains("Threads or processes")),
            "{text}"
        );
        assert_eq!(
            words(bottom),
            words(bottom_line(&wide)),
            "the bottom line at {columns} columns breaks a word"
        );
        for c in claims {
            let (id, short) = (c["id"].as_str().unwrap(), c["short_en"].as_str().unwrap());
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&format!("{id} ")) && l.contains(short)),
                "{id}'s short name is not whole on its line at {columns} columns:\n{text}"
            );
        }
        // The bottom line is read without scrolling: it opens the output.
        let first = text.lines().position(|l| l.starts_with("Rust:")).unwrap();
        assert!(first < 6, "the counts come first:\n{text}");
    }

    // --explain: every claim's rule, with its figures.
    let explained = rendered(&saved, 100, &["--explain"]);
    let rules = explained.matches("    rule: ").count();
    assert_eq!(rules, claims.len(), "one rule per claim:\n{explained}");
    for v in doc["verdicts"].as_array().unwrap() {
        if let Some(k) = v["judgement"]["figures"].as_array().and_then(|f| f.first()) {
            let k = k.as_str().unwrap();
            assert!(explained.contains(&format!("{k} = ")), "{k} is not shown");
        }
    }
    assert!(
        !rendered(&saved, 100, &[]).contains("    rule: "),
        "the rules only with --explain"
    );

    // Russian: the claims, the machine line, the counts and the bottom
    // line in the terminal; labels, plot titles and the fault table in the
    // report.
    let text = rendered(&saved, 100, &["--lang", "ru"]);
    for label in [
        "утверждение",
        "Потоки",
        "машина:",
        "верно",
        "Потоки или процессы на этой машине?",
    ] {
        assert!(text.contains(label), "no {label:?} in:\n{text}");
    }
    let html = dir.path().join("ru.html");
    pingpong()
        .args(["verdict", "--lang", "ru", "--from"])
        .arg(&saved)
        .arg("--html")
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).unwrap();
    for label in [
        "Потоки или процессы на этой машине?",
        "Машина",
        "виртуализация",
        "Процессы ÷ потоки",
        "Создать и завершить одну единицу",
        "Повторить",
        "программа выжила",
        "утверждение",
    ] {
        assert!(page.contains(label), "no {label:?} in the Russian report");
    }
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
        .timeout(std::time::Duration::from_secs(240))
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    for column in ["cpython", "cpython_ft"] {
        let cells: Vec<&Value> = doc["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.get(column).filter(|c| !c.is_null()))
            .collect();
        assert!(!cells.is_empty(), "no claim has a {column} column");
        for c in cells {
            assert_eq!(c["word"]["word"], "not_measurable", "{column}: {c}");
            assert!(
                c["word"]["why"].as_str().unwrap().contains("/nonexistent"),
                "{column}: {c}"
            );
        }
    }
}
