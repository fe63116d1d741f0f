mod experiments_common;
use experiments_common as common;

#[test]
fn contention_quick_checks_every_total() {
    let doc = common::run_quick("contention", &["--workers", "3"]);
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
        assert_eq!(
            r["total"].as_u64(),
            Some(expected),
            "{} {}",
            r["unit"],
            r["method"]
        );
        assert_eq!(r["verified"], true);
        assert_eq!(r["adds"].as_u64(), Some(3 * adds));
    }
}
