mod faults_common;
use common::*;
use faults_common as common;

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        .unwrap_or(false)
}

#[test]
fn a_write_after_fork_is_private_and_a_write_from_a_thread_is_shared() {
    let doc = run_quick("isolation");
    let f = row(&doc, "write after fork", "process");
    assert!(
        f["outcome"]
            .as_str()
            .unwrap()
            .contains("parent still reads 1"),
        "{f:#}"
    );
    let t = row(&doc, "write from a thread", "thread");
    assert!(
        t["outcome"]
            .as_str()
            .unwrap()
            .contains("main thread reads 2"),
        "{t:#}"
    );
    let u = row(&doc, "read another's memory, unprivileged", "process");
    if running_as_root() {
        // The reader dropped to `nobody`: the target (root's) is out of reach.
        assert!(
            u["outcome"].as_str().unwrap().starts_with("refused"),
            "{u:#}"
        );
    }
    // Whatever happened with privilege is reported, not assumed.
    let p = row(&doc, "read its child's memory, privileged", "process");
    assert!(p["status"].as_str().unwrap().contains("process_vm_readv"));
}
