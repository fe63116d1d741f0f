mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn a_process_is_stopped_by_signal_and_a_thread_only_cooperatively() {
    let doc = run_quick("stop");
    assert_eq!(row(&doc, "cpu loop", "process")["status"], "SIGTERM");
    assert_eq!(row(&doc, "blocked read", "process")["status"], "SIGTERM");
    assert_eq!(
        row(&doc, "cpu loop, SIGTERM ignored", "process")["status"],
        "SIGKILL"
    );
    for case in [
        "cpu loop, checks a flag",
        "blocked read, checks a flag on EINTR",
    ] {
        let r = row(&doc, case, "thread");
        assert_eq!(r["status"], "joined", "{r:#}");
        assert!(r["notice_ns"].as_f64().is_some());
    }
    for case in ["cpu loop, never checks", "blocked read, retries EINTR"] {
        let r = row(&doc, case, "thread");
        assert!(
            r["outcome"]
                .as_str()
                .unwrap()
                .starts_with("cannot be stopped"),
            "{r:#}"
        );
    }
}
