mod experiments_common;
use experiments_common as common;

#[test]
fn overlap_quick_completes_every_wait() {
    let doc = common::run_quick("overlap", &["--units", "3", "--wait", "10ms"]);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        assert_eq!(r["completed"].as_u64(), Some(3));
        assert!(r["cpu_use"].as_f64().unwrap() >= 0.0);
        if r["unit"] == "serial" {
            assert!((r["speedup"].as_f64().unwrap() - 1.0).abs() < 1e-9);
        }
    }
}
