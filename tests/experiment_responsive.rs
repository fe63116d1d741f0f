mod experiments_common;
use experiments_common as common;

#[test]
fn responsive_quick_answers_every_ping_in_every_placement_and_chunk() {
    let doc = common::run_quick(
        "responsive",
        &[
            "--workers",
            "1",
            "--chunks",
            "1ms,5ms",
            "--reps",
            "2",
            "--duration",
            "40ms",
        ],
    );
    assert_eq!(
        doc["settings"]["chunks_ns"],
        serde_json::json!([1_000_000, 5_000_000])
    );
    let results = doc["results"].as_array().unwrap();
    let placements: Vec<(&str, Option<u64>)> = results
        .iter()
        .map(|r| (r["key"].as_str().unwrap(), r["chunk_ns"].as_u64()))
        .collect();
    assert_eq!(
        placements,
        [
            ("none", None),
            ("same-thread", Some(1_000_000)),
            ("same-thread", Some(5_000_000)),
            ("other-thread", None),
            ("other-process", None)
        ]
    );
    for r in results {
        let pings = r["pings"].as_u64().unwrap();
        assert!(pings > 0, "{}", r["key"]);
        assert_eq!(r["answered"].as_u64(), Some(pings));
        assert_eq!(r["latency"]["count"].as_u64(), Some(pings));
        assert_eq!(
            r["rep_median_ns"].as_array().unwrap().len(),
            2,
            "{}",
            r["key"]
        );
        assert_eq!(r["rep_p99_ns"].as_array().unwrap().len(), 2, "{}", r["key"]);
    }
}

#[test]
fn responsive_refuses_an_empty_chunk_list_and_a_zero_chunk() {
    common::assert_usage_error(&["responsive", "--chunks", "0ms"]);
    common::assert_usage_error(&["responsive", "--chunks", ""]);
}
