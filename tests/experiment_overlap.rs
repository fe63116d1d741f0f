mod experiments_common;
use experiments_common as common;

#[test]
fn overlap_quick_completes_every_unit_in_every_repetition_of_every_mix() {
    let doc = common::run_quick(
        "overlap",
        &[
            "--units",
            "3",
            "--rounds",
            "2",
            "--round",
            "4ms",
            "--waiting",
            "75,25",
            "--reps",
            "2",
        ],
    );
    let mixes: Vec<u64> = doc["settings"]["mixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["waiting_percent"].as_u64().unwrap())
        .collect();
    assert_eq!(mixes, [75, 25]);
    for m in doc["settings"]["mixes"].as_array().unwrap() {
        // Computing plus waiting make the round.
        assert_eq!(
            m["compute_ns"].as_u64().unwrap() + m["wait_ns"].as_u64().unwrap(),
            4_000_000
        );
    }
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        2 * 3,
        "two mixes × serial, processes, threads"
    );
    for r in results {
        let what = format!("{} {}%", r["unit"], r["waiting_percent"]);
        assert_eq!(r["completed"].as_u64(), Some(3), "{what}");
        assert_eq!(r["rep_wall_ns"].as_array().unwrap().len(), 2, "{what}");
        assert_eq!(r["rep_cpu_ns"].as_array().unwrap().len(), 2, "{what}");
        assert!(r["cpu_use"].as_f64().unwrap() >= 0.0, "{what}");
        if r["unit"] == "serial" {
            assert!((r["speedup"].as_f64().unwrap() - 1.0).abs() < 1e-9);
            // One unit after another waits at least every round's wait.
            let waits = 3.0 * 2.0 * r["waiting_percent"].as_f64().unwrap() / 100.0 * 4e6;
            for w in r["rep_wall_ns"].as_array().unwrap() {
                assert!(w.as_f64().unwrap() >= waits, "{what}: {w} < {waits}");
            }
        }
    }
}

#[test]
fn overlap_refuses_a_share_over_100_percent_and_zero_repetitions() {
    common::assert_usage_error(&["overlap", "--waiting", "120"]);
    common::assert_usage_error(&["overlap", "--reps", "0"]);
    common::assert_usage_error(&["overlap", "--rounds", "0"]);
}
