mod experiments_common;
use experiments_common as common;

#[test]
fn reach_quick_reaches_the_structure_every_way_with_checked_answers() {
    let doc = common::run_quick("reach", &[]);
    let results = doc["results"].as_array().unwrap();
    let ways: Vec<&str> = results.iter().map(|r| r["way"].as_str().unwrap()).collect();
    for way in [
        "threads-in-place",
        "threads-pipe",
        "processes-pipe",
        "processes-shared-memory",
    ] {
        assert!(ways.contains(&way), "{way} missing: {ways:?}");
    }
    let reps = doc["settings"]["repetitions"].as_u64().unwrap() as usize;
    let rounds = doc["settings"]["rounds"].as_u64().unwrap();
    let median = |way: &str| {
        let r = results.iter().find(|r| r["way"] == way).unwrap();
        r["median_ns"].as_f64().unwrap()
    };
    for r in results {
        assert_eq!(r["rep_median_ns"].as_array().unwrap().len(), reps, "{r}");
        assert_eq!(r["checked"].as_u64(), Some(rounds * reps as u64), "{r}");
        assert_eq!(r["wrong"].as_u64(), Some(0), "{r}");
        let in_place = r["way"].as_str().unwrap().ends_with("in-place")
            || r["way"] == "processes-shared-memory";
        assert_eq!(r["copies"].as_u64(), Some(if in_place { 0 } else { 2 }));
    }
    // Two copies of a megabyte through a pipe cost more than reading it once.
    assert!(
        median("threads-pipe") > median("threads-in-place"),
        "{results:?}"
    );
}

#[test]
fn reach_refuses_bad_sizes_counts_and_cpus() {
    for args in [
        &["reach", "--size", "4"][..],
        &["reach", "--rounds", "0"],
        &["reach", "--reps", "0"],
        &["reach", "--cpus", "0"],
        &["reach", "--cpus", "0,4095"],
    ] {
        common::assert_usage_error(args);
    }
}
