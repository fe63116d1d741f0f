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
