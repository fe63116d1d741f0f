mod experiments_common;
use experiments_common as common;

#[test]
fn memory_quick_counts_processes_over_their_children() {
    let doc = common::run_quick("memory", &[]);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * 3, "1 and 10 units × three kinds");
    let readable = doc["unavailable"].as_array().unwrap().is_empty();
    for r in results {
        let n = r["units"].as_u64().unwrap();
        let unit = r["unit"].as_str().unwrap();
        if unit.starts_with("processes") {
            assert_eq!(r["children_counted"].as_u64(), Some(n), "{unit}");
            if readable {
                for k in ["rss_kib_per_unit", "pss_kib_per_unit", "uss_kib_per_unit"] {
                    let v = r[k].as_f64().unwrap();
                    assert!(v >= 0.0, "{unit} {k} = {v}");
                }
                // Per unit × count = total (the sum over children).
                let per = r["pss_kib_per_unit"].as_f64().unwrap();
                let total = r["pss_kib_total"].as_i64().unwrap() as f64;
                assert!((per * n as f64 - total).abs() < 1e-6);
                // A child's PSS never exceeds its RSS.
                assert!(per <= r["rss_kib_per_unit"].as_f64().unwrap());
            }
        } else {
            assert_eq!(unit, "threads");
            assert!(r["stack"].as_str().unwrap().contains("MiB"));
        }
    }
}

#[test]
fn memory_refuses_zero_units() {
    common::assert_usage_error(&["memory", "--units", "0"]);
}
