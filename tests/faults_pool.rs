mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn the_process_pool_survives_an_abort_and_the_thread_pool_only_a_panic() {
    let doc = run_quick("pool");
    let p = row(&doc, "abort mid-run", "processes");
    assert_eq!(p["survived"], true, "{p:#}");
    assert_eq!(p["status"], "SIGABRT");
    assert_eq!(fig(p, "delivered"), fig(p, "jobs"));
    assert_eq!(fig(p, "lost"), 0.0);
    assert_eq!(fig(p, "duplicates_suppressed"), 0.0);
    assert_eq!(fig(p, "wrong"), 0.0);
    assert!(fig(p, "recovery_ns") > 0.0);
    assert!(p["outcome"].as_str().unwrap().contains("exactly once"));

    let ta = row(&doc, "abort mid-run", "threads");
    assert_eq!(ta["survived"], false, "{ta:#}");
    assert_eq!(ta["status"], "SIGABRT");

    let tp = row(&doc, "panic mid-run", "threads");
    assert_eq!(tp["survived"], true, "{tp:#}");
    assert_eq!(fig(tp, "delivered"), fig(tp, "jobs"));
    assert_eq!(fig(tp, "duplicates_suppressed"), 0.0);
    assert!(tp["outcome"].as_str().unwrap().contains("exactly once"));
}
