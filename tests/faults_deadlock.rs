mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn the_watchdog_names_the_deadlocked_units_and_ends_the_hang() {
    let doc = run_quick("deadlock");
    let t = row(&doc, "two locks, opposite order", "threads");
    let detail = t["detail"].as_str().unwrap();
    assert!(
        detail.contains("thread-a holds L1 and waits for L2"),
        "{t:#}"
    );
    assert!(
        detail.contains("thread-b holds L2 and waits for L1"),
        "{t:#}"
    );
    assert!(t["outcome"]
        .as_str()
        .unwrap()
        .starts_with("deadlock detected"));
    let p = row(&doc, "each waits on the other's pipe", "processes");
    assert!(
        p["outcome"].as_str().unwrap().starts_with("hang detected"),
        "{p:#}"
    );
    assert_eq!(p["status"], "SIGKILL");
}
