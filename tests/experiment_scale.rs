mod experiments_common;
use experiments_common as common;
use serde_json::Value;

/// SplitMix64, written again here so the test does not trust the code it tests.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn reps(row: &Value) -> Vec<Value> {
    row["reps"].as_array().unwrap().clone()
}

fn round(rep: &Value) -> u64 {
    rep["round"].as_u64().unwrap()
}

#[test]
fn scale_quick_verifies_every_answer_and_its_arithmetic() {
    let doc = common::run_quick("scale", &["--workers", "1,2,3", "--work", "1048576"]);
    let work = doc["settings"]["work_iterations"].as_u64().unwrap();
    let expected = (0..work).map(splitmix64).fold(0u64, u64::wrapping_add);
    assert_eq!(
        doc["settings"]["expected_checksum"].as_u64(),
        Some(expected)
    );
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        3 * 2 * 2,
        "3 counts × 2 units × 2 placements"
    );
    for r in results {
        assert_eq!(r["verified"], true);
        assert!(!reps(r).is_empty());
        for p in reps(r) {
            assert_eq!(p["checksum"].as_u64(), Some(expected));
        }
        let n = r["workers"].as_f64().unwrap();
        let sp = r["speedup"].as_f64().unwrap();
        let eff = r["efficiency"].as_f64().unwrap();
        assert!(
            (eff - sp / n).abs() < 1e-9,
            "efficiency = speedup / workers"
        );
        if n == 1.0 {
            assert!((sp - 1.0).abs() < 1e-9);
        }
    }
}

#[test]
fn repetitions_are_interleaved_in_rounds_that_record_the_machine_s_other_load() {
    let doc = common::run_quick(
        "scale",
        &["--workers", "1,2", "--work", "1048576", "--reps", "3"],
    );
    let results = doc["results"].as_array().unwrap();
    let rounds = |r: &Value| -> Vec<(u64, f64)> {
        reps(r)
            .iter()
            .map(|p| (round(p), p["others_cpus"].as_f64().unwrap()))
            .collect()
    };
    let first = rounds(&results[0]);
    assert!(first.len() >= 3, "at least the planned rounds: {first:?}");
    for r in results {
        // Every run took one repetition in every round, and a round's load
        // is the same for all of them: they were measured together.
        assert_eq!(rounds(r), first, "{r}");
    }
    assert!(first.iter().all(|&(_, l)| l >= 0.0 && l.is_finite()));
}

#[test]
fn a_speedup_is_the_median_of_its_rounds_paired_with_the_one_worker_run() {
    let doc = common::run_quick(
        "scale",
        &["--workers", "1,2", "--work", "1048576", "--reps", "3"],
    );
    let results = doc["results"].as_array().unwrap();
    let disturbed = doc["settings"]["disturbed_cpus"].as_f64().unwrap();
    for r in results.iter().filter(|r| r["workers"] == 2) {
        let one = results
            .iter()
            .find(|o| {
                o["workers"] == 1 && o["unit"] == r["unit"] && o["placement"] == r["placement"]
            })
            .unwrap();
        // The rounds used: the quiet ones if there are three (the planned
        // rounds), else every round.
        let quiet: Vec<u64> = reps(r)
            .iter()
            .filter(|p| p["others_cpus"].as_f64().unwrap() <= disturbed)
            .map(round)
            .collect();
        let used: Vec<u64> = if quiet.len() >= 3 {
            quiet
        } else {
            reps(r).iter().map(round).collect()
        };
        let ratios: Vec<f64> = reps(r)
            .iter()
            .filter(|p| used.contains(&round(p)))
            .map(|p| {
                let o = reps(one)
                    .into_iter()
                    .find(|q| round(q) == round(p))
                    .unwrap();
                o["wall_ns"].as_f64().unwrap() / p["wall_ns"].as_f64().unwrap()
            })
            .collect();
        let sp = r["speedup"].as_f64().unwrap();
        assert!(
            (sp - median(ratios.clone())).abs() < 1e-9,
            "{sp} vs {ratios:?}"
        );
    }
}

#[test]
fn a_budget_of_zero_is_refused_naming_the_fix() {
    let out = assert_cmd::Command::cargo_bin("pingpong")
        .unwrap()
        .args(["scale", "--budget", "0s"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--budget") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}
