mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn split_load_store_may_lose_updates_and_fetch_add_never_does() {
    let doc = run_quick("race");
    let split = row(&doc, "load then store", "threads");
    let expected = fig(split, "expected");
    let lost = fig(split, "lost_updates");
    assert!(lost >= 0.0);
    assert_eq!(fig(split, "total") + lost, expected);
    let atomic = row(&doc, "fetch_add", "threads");
    assert_eq!(fig(atomic, "lost_updates"), 0.0);
    assert_eq!(fig(atomic, "total"), fig(atomic, "expected"));
}

/// A9: each thread API, with its own lock and without, reports a typed run.
#[test]
fn both_thread_apis_start_and_join_every_thread_and_both_locks_give_the_exact_total() {
    let doc = run_quick("race");
    let runs: Vec<&serde_json::Value> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.get("locks"))
        .collect();
    let pairs: Vec<(String, String)> = runs
        .iter()
        .map(|l| (l["api"].to_string(), l["lock"].to_string()))
        .collect();
    for (api, lock) in [
        ("pthread", "pthread_mutex"),
        ("std_thread", "std_mutex"),
        ("pthread", "unlocked"),
        ("std_thread", "unlocked"),
    ] {
        assert!(
            pairs.contains(&(format!("\"{api}\""), format!("\"{lock}\""))),
            "no run of {api} with {lock}: {pairs:?}"
        );
    }
    let n = |l: &serde_json::Value, k: &str| l[k].as_u64().unwrap();
    for l in &runs {
        assert_eq!(n(l, "threads_started"), n(l, "threads"), "{l:#}");
        assert_eq!(n(l, "threads_joined"), n(l, "threads"), "{l:#}");
        assert_eq!(n(l, "expected"), n(l, "threads") * n(l, "per_thread"));
        assert_eq!(
            n(l, "total") + n(l, "lost_updates"),
            n(l, "expected"),
            "{l:#}"
        );
        if l["lock"] != "unlocked" {
            assert_eq!(n(l, "lost_updates"), 0, "a lock lost updates: {l:#}");
        }
    }
    // The finding reads those runs: it shows the claim exactly when every
    // thread joined and both locks were exact (as asserted above).
    let d = &demos(&doc)["faults.race.locks-both-apis"];
    let all_good = runs.iter().all(|l| {
        n(l, "threads_joined") == n(l, "threads")
            && (l["lock"] == "unlocked" || n(l, "total") == n(l, "expected"))
    });
    assert_eq!(d["shows_claim"], all_good, "{d:#}");
}
