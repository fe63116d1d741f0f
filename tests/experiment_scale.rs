mod experiments_common;
use experiments_common as common;

/// SplitMix64, written again here so the test does not trust the code it tests.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn scale_quick_verifies_every_answer_and_its_arithmetic() {
    let doc = common::run_quick("scale", &["--workers", "1,2,3"]);
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
        for c in r["checksums"].as_array().unwrap() {
            assert_eq!(c.as_u64(), Some(expected));
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
