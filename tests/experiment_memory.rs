mod experiments_common;
use experiments_common as common;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn memory_quick_counts_each_family_in_every_repetition() {
    let doc = common::run_quick("memory", &["--units", "1,10", "--reps", "2"]);
    assert_eq!(doc["settings"]["repetitions"].as_u64(), Some(2));
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * 3, "1 and 10 units × three kinds");
    let readable = doc["unavailable"].as_array().unwrap().is_empty();
    for r in results {
        let n = r["units"].as_u64().unwrap();
        let unit = r["unit"].as_str().unwrap();
        let reps = r["reps"].as_array().unwrap();
        assert_eq!(reps.len(), 2, "{unit} {n}: one entry per repetition");
        if unit.starts_with("processes") {
            assert_eq!(r["children_counted"].as_u64(), Some(n), "{unit}");
            for rep in reps {
                assert!(rep["parent_pss_change_kib"].is_number() || !readable);
            }
        } else {
            assert_eq!(unit, "threads");
            assert!(r["stack"].as_str().unwrap().contains("MiB"));
            assert!(reps.iter().all(|x| x["parent_pss_change_kib"].is_null()));
        }
        if !readable {
            continue;
        }
        for k in ["pss_kib_per_unit", "uss_kib_per_unit", "rss_kib_per_unit"] {
            // The figure is the median of the repetitions' figures.
            let each: Vec<f64> = reps.iter().map(|x| x[k].as_f64().unwrap()).collect();
            assert_eq!(r[k].as_f64(), Some(median(each)), "{unit} {n} {k}");
        }
        if unit.starts_with("processes") {
            // A child holds its own pages within its resident set, and a
            // spawned child (a whole new image) adds memory to its family.
            for rep in reps {
                let uss = rep["uss_kib_per_unit"].as_f64().unwrap();
                assert!(uss <= rep["rss_kib_per_unit"].as_f64().unwrap());
                if unit == "processes" {
                    assert!(rep["pss_kib_per_unit"].as_f64().unwrap() > 0.0);
                }
            }
        }
    }
}

#[test]
fn memory_refuses_zero_units_and_zero_repetitions() {
    common::assert_usage_error(&["memory", "--units", "0"]);
    common::assert_usage_error(&["memory", "--reps", "0"]);
}
