mod experiments_common;
use experiments_common as common;

#[test]
fn responsive_quick_answers_every_ping_in_every_placement() {
    let doc = common::run_quick("responsive", &["--workers", "1"]);
    let results = doc["results"].as_array().unwrap();
    let modes: Vec<&str> = results
        .iter()
        .map(|r| r["heavy_work"].as_str().unwrap())
        .collect();
    assert_eq!(
        modes,
        [
            "no heavy work",
            "same thread",
            "other threads",
            "other processes"
        ]
    );
    let keys: Vec<&str> = results.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        ["none", "same-thread", "other-thread", "other-process"]
    );
    for r in results {
        let pings = r["pings"].as_u64().unwrap();
        assert!(pings > 0);
        assert_eq!(r["answered"].as_u64(), Some(pings));
        assert_eq!(r["latency"]["count"].as_u64(), Some(pings));
    }
}
