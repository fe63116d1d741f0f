mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn an_unreaped_child_is_a_zombie_until_reaped() {
    let doc = run_quick("zombies");
    let z = row(&doc, "unreaped child", "process");
    assert_eq!(
        z["outcome"], "seen in state Z until reaped; gone after waitpid",
        "{z:#}"
    );
    assert_eq!(fig(z, "seen_in_state_z"), 1.0);
    assert_eq!(fig(z, "gone_after_waitpid"), 1.0);
    let t = row(&doc, "finished thread, not yet joined", "thread");
    assert!(
        t["outcome"].as_str().unwrap().starts_with("no zombie"),
        "{t:#}"
    );
}
