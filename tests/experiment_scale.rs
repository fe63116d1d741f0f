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
    let exact = doc["settings"]["load_source"] == "cpuacct";
    for r in results {
        let rounds: Vec<u64> = reps(r).iter().map(round).collect();
        // Every run took one repetition in each planned round, in order;
        // later rounds measure again only what disturbed runs left short.
        assert_eq!(rounds[..3], [0, 1, 2], "{r}");
        assert!(rounds.windows(2).all(|w| w[0] < w[1]), "{r}");
        for p in reps(r) {
            let l = p["others_cpus"].as_f64().unwrap();
            assert!(l >= 0.0 && l.is_finite(), "{p}");
        }
    }
    if !exact {
        // In ticks, a run is too short to read: each gets its round's load.
        for k in 0..3 {
            let loads: Vec<f64> = results
                .iter()
                .map(|r| reps(r)[k]["others_cpus"].as_f64().unwrap())
                .collect();
            assert!(loads.iter().all(|&l| l == loads[0]), "{loads:?}");
        }
    }
}

#[test]
fn a_speedup_is_the_median_of_its_rounds_paired_with_the_one_worker_run() {
    let doc = common::run_quick(
        "scale",
        &["--workers", "1,2", "--work", "1048576", "--reps", "3"],
    );
    let results = doc["results"].as_array().unwrap();
    let disturbed = doc["settings"]["disturbed_cpus"].as_f64().unwrap();
    let quiet = |p: &Value| p["others_cpus"].as_f64().unwrap() <= disturbed;
    for r in results.iter().filter(|r| r["workers"] == 2) {
        let one = results
            .iter()
            .find(|o| {
                o["workers"] == 1 && o["unit"] == r["unit"] && o["placement"] == r["placement"]
            })
            .unwrap();
        // The rounds measured by both; the quiet ones if there are three
        // (the planned rounds), else all of them.
        let pairs: Vec<(Value, Value)> = reps(r)
            .into_iter()
            .filter_map(|p| {
                let o = reps(one).into_iter().find(|q| round(q) == round(&p))?;
                Some((o, p))
            })
            .collect();
        let calm: Vec<(Value, Value)> = pairs
            .iter()
            .filter(|(o, p)| quiet(o) && quiet(p))
            .cloned()
            .collect();
        let used = if calm.len() >= 3 { calm } else { pairs };
        let ratios: Vec<f64> = used
            .iter()
            .map(|(o, p)| o["wall_ns"].as_f64().unwrap() / p["wall_ns"].as_f64().unwrap())
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
