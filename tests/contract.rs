//! The typed contract between the experiments and the verdict: documents
//! made here for machines this one is not (1 to 128 CPUs), and documents
//! with other rows than the verdict's plan asks for, go through
//! `pingpong verdict --from`, and every claim they can decide gets a word;
//! a document with a missing field, or of another schema version, is
//! refused naming what is wrong.

mod common;

use assert_cmd::Command;
use pingpong::document::Document;
use pingpong::experiment::scale::{Rep, ScaleDocument, ScaleResult, Settings};
use pingpong::experiment::ExperimentDocument;
use pingpong::kinds::{CpuSet, UnitKind};
use pingpong::measure::load::BusySource;
use pingpong::results::Header;
use pingpong::verdict::VerdictDocument;
use serde_json::Value;

fn pingpong() -> Command {
    Command::cargo_bin("pingpong").expect("binary built")
}

/// A scaling run on a machine of `cpus` CPUs with these worker counts, in
/// three quiet rounds: threads and processes scale with the CPUs (up to the
/// workers), as on a machine without a GIL; pinned to one CPU they do not.
fn scale_document(cpus: usize, workers: &[usize]) -> ScaleDocument {
    let one = 1e9;
    let mut results = Vec::new();
    for placement in CpuSet::BOTH {
        for unit in [UnitKind::Fork, UnitKind::Thread] {
            for &n in workers {
                let at_once = match placement {
                    CpuSet::AllCpus => n.min(cpus) as f64,
                    CpuSet::OneCpu => 1.0,
                };
                let wall = one / at_once * 1.02;
                let mut row = ScaleResult::new(unit, placement, n);
                row.reps = [0.99, 1.0, 1.01]
                    .iter()
                    .enumerate()
                    .map(|(round, f)| Rep {
                        round: round as u32,
                        wall_ns: (wall * f) as u64,
                        cpu_ns: (one * 1.02) as u64,
                        checksum: 7,
                        others_cpus: 0.01,
                    })
                    .collect();
                results.push(row);
            }
        }
    }
    let mut doc = ExperimentDocument {
        header: Header::new("scale"),
        settings: Settings {
            workers: workers.to_vec(),
            pinned_workers: workers.to_vec(),
            work_iterations: 1 << 25,
            repetitions: 3,
            budget_s: 6.0,
            disturbed_cpus: 0.25,
            load_source: BusySource::ProcStat,
            kernel: "synthetic".into(),
            pinned_cpu: 0,
            allowed_cpus: cpus,
            expected_checksum: 7,
            timeout_s: 60.0,
        },
        results,
        unavailable: vec![],
        errors: vec![],
        notes: vec![],
        title: "",
    };
    doc.summarize();
    doc
}

/// A verdict document holding only `doc`, as step `scale`.
fn verdict_of(doc: ScaleDocument) -> VerdictDocument {
    repeated(vec![doc])
}

/// A verdict document holding `docs` as step `scale` of successive runs
/// of the plan (`--repeat`).
fn repeated(docs: Vec<ScaleDocument>) -> VerdictDocument {
    common::verdict_holding(
        docs.into_iter()
            .enumerate()
            .map(|(k, doc)| ("scale", k as u32, Document::Scale(doc)))
            .collect(),
    )
}

/// `pingpong verdict --from` on `doc`: the words it gives, by claim.
fn judged_again(doc: &Value) -> Vec<(String, Value)> {
    common::verdict_from(doc).1["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_string(),
                v["judgement"]["word"].clone(),
            )
        })
        .collect()
}

const SCALING: [&str; 5] = ["T3", "T7", "P3", "T8", "A5"];

fn assert_every_scaling_claim_has_a_word(words: &[(String, Value)], machine: &str) {
    for id in SCALING {
        let (_, w) = words.iter().find(|(i, _)| i == id).unwrap();
        assert_ne!(
            w["word"], "not_measurable",
            "{id} on {machine}: {w} — the experiment ran, so the claim must get a word"
        );
    }
}

#[test]
fn every_scaling_claim_gets_a_word_on_machines_of_1_to_128_cpus() {
    for cpus in [1, 2, 4, 16, 64, 128] {
        // The verdict's own plan: one worker, and one per CPU (at least two).
        let doc = verdict_of(scale_document(cpus, &[1, cpus.max(2)]));
        let words = judged_again(&serde_json::to_value(&doc).unwrap());
        assert_every_scaling_claim_has_a_word(&words, &format!("{cpus} CPUs"));
    }
}

#[test]
fn a_scaling_run_with_other_worker_counts_than_the_plan_still_decides_the_claims() {
    for (cpus, workers) in [
        (4, vec![1, 2]),
        (16, vec![1, 2, 3, 5, 8, 40]),
        (128, vec![1, 64, 256]),
        (2, vec![1, 2, 3, 4]),
    ] {
        let doc = verdict_of(scale_document(cpus, &workers));
        let words = judged_again(&serde_json::to_value(&doc).unwrap());
        assert_every_scaling_claim_has_a_word(&words, &format!("{cpus} CPUs, workers {workers:?}"));
    }
}

#[test]
fn threads_that_scale_on_many_cpus_refute_t3_there() {
    let doc = verdict_of(scale_document(64, &[1, 64]));
    let words = judged_again(&serde_json::to_value(&doc).unwrap());
    let (_, t3) = words.iter().find(|(i, _)| i == "T3").unwrap();
    assert_eq!(t3["word"], "fails", "{t3}");
}

fn fails_with(doc: &Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("in.json");
    std::fs::write(&from, serde_json::to_vec(doc).unwrap()).unwrap();
    let out = pingpong()
        .args(["verdict", "--from"])
        .arg(&from)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a broken document is a usage error"
    );
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn a_document_missing_a_field_fails_loudly_naming_the_field() {
    let mut doc = serde_json::to_value(verdict_of(scale_document(2, &[1, 2]))).unwrap();
    let row = &mut doc["steps"][0]["outcome"]["document"]["results"][0];
    row.as_object_mut().unwrap().remove("reps");
    let err = fails_with(&doc);
    assert!(err.contains("reps"), "{err}");
}

#[test]
fn a_document_with_a_renamed_field_fails_loudly_naming_the_field() {
    let mut doc = serde_json::to_value(verdict_of(scale_document(2, &[1, 2]))).unwrap();
    let settings = doc["steps"][0]["outcome"]["document"]["settings"]
        .as_object_mut()
        .unwrap();
    let cpus = settings.remove("allowed_cpus").unwrap();
    settings.insert("cpus_allowed".into(), cpus);
    let err = fails_with(&doc);
    assert!(err.contains("allowed_cpus"), "{err}");
}

#[test]
fn a_document_of_another_schema_version_is_refused_naming_both() {
    for version in [1, pingpong::results::SCHEMA_VERSION + 1] {
        let mut doc = serde_json::to_value(verdict_of(scale_document(2, &[1, 2]))).unwrap();
        doc["schema_version"] = version.into();
        let err = fails_with(&doc);
        assert!(
            err.contains(&format!("schema_version {version}"))
                && err.contains(&format!(
                    "schema_version {}",
                    pingpong::results::SCHEMA_VERSION
                )),
            "{err}"
        );
    }
}

#[test]
fn repeated_runs_give_the_most_frequent_word_and_show_a_claim_whose_word_changed() {
    // Two runs on a 4-CPU machine whose threads scale, one on a 1-CPU one.
    let doc = repeated(vec![
        scale_document(4, &[1, 4]),
        scale_document(1, &[1, 2]),
        scale_document(4, &[1, 4]),
    ]);
    let (table, judged) = common::verdict_from(&doc);
    assert!(
        table.contains("3 runs of the plan, interleaved: unstable: T3"),
        "{table}"
    );
    let t3 = judged["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "T3")
        .unwrap();
    assert_eq!(t3["judgement"]["word"]["word"], "fails");
    assert_eq!(
        t3["stability"]["seen"],
        serde_json::json!([["fails", 2], ["depends", 1]])
    );
}
