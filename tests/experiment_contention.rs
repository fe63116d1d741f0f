mod experiments_common;
use experiments_common as common;

#[test]
fn contention_quick_checks_every_total_in_every_repetition() {
    let doc = common::run_quick("contention", &["--workers", "3", "--reps", "2"]);
    let adds = doc["settings"]["adds_per_worker"].as_u64().unwrap();
    let expected = 3 * adds * (adds + 1) / 2;
    assert_eq!(doc["settings"]["expected_total"].as_u64(), Some(expected));
    let results = doc["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        5 + 3,
        "five thread methods, three process methods"
    );
    for r in results {
        let what = format!("{} {}", r["unit"], r["method"]);
        let totals = r["totals"].as_array().unwrap();
        assert_eq!(totals.len(), 2, "{what}: one total per repetition");
        assert!(
            totals.iter().all(|t| t.as_u64() == Some(expected)),
            "{what}"
        );
        assert_eq!(r["verified"], true);
        assert_eq!(r["adds"].as_u64(), Some(3 * adds));
        assert_eq!(r["rep_cpu_ns"].as_array().unwrap().len(), 2, "{what}");
        assert_eq!(r["rep_wall_ns"].as_array().unwrap().len(), 2, "{what}");
    }
}

#[test]
fn contention_gives_each_mechanism_its_bytes_or_says_it_was_not_measured() {
    let doc = common::run_quick("contention", &["--workers", "2", "--reps", "1"]);
    let unmeasured = doc["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u.as_str().unwrap().contains("mallinfo2"));
    for r in doc["results"].as_array().unwrap() {
        let (unit, method) = (r["unit"].as_str().unwrap(), r["method"].as_str().unwrap());
        let f = &r["footprint"];
        if method == "channel" && unmeasured {
            assert!(f.is_null(), "{unit} {method}: {f}");
            continue;
        }
        let extra = f["extra_bytes"].as_f64().unwrap();
        match method {
            "per-worker" | "atomic" => assert_eq!(extra, 0.0, "{unit} {method}"),
            // A channel's heap (each used once) exceeds its two handles.
            "channel" => {
                assert_eq!(f["how"]["kind"], "heap_growth");
                assert!(extra > f["how"]["handle_bytes"].as_f64().unwrap(), "{f}");
                assert!(f["per_queued_value_bytes"].as_f64().unwrap() >= 8.0, "{f}");
            }
            _ => assert!(extra > 0.0, "{unit} {method}: {f}"),
        }
    }
}
