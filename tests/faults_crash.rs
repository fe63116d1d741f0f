mod faults_common;
use common::*;
use faults_common as common;

#[test]
fn a_fault_in_a_thread_kills_the_program_and_in_a_process_only_the_worker() {
    let doc = run_quick("crash");
    // A panic is joined as an error: the program lives either way.
    assert_eq!(row(&doc, "panic", "thread")["survived"], true);
    assert_eq!(row(&doc, "panic", "process")["survived"], true);
    assert_eq!(row(&doc, "panic", "process")["status"], "exit 101");
    // abort in a thread kills the (sacrificial) program with SIGABRT; in a
    // process, only the worker.
    let t = row(&doc, "abort", "thread");
    assert_eq!(t["survived"], false);
    assert_eq!(t["status"], "SIGABRT");
    let p = row(&doc, "abort", "process");
    assert_eq!(p["survived"], true);
    assert_eq!(p["status"], "SIGABRT");
    // The invalid write: SIGSEGV, same containment.
    assert_eq!(row(&doc, "null-write", "thread")["status"], "SIGSEGV");
    assert_eq!(row(&doc, "null-write", "thread")["survived"], false);
    assert_eq!(row(&doc, "null-write", "process")["status"], "SIGSEGV");
    assert_eq!(row(&doc, "null-write", "process")["survived"], true);
    // Stack overflow: a signal either way, contained only in a process.
    let s = row(&doc, "stack-overflow", "thread");
    assert_eq!(s["survived"], false);
    assert!(s["status"].as_str().unwrap().starts_with("SIG"), "{s:#}");
    assert_eq!(row(&doc, "stack-overflow", "process")["survived"], true);
    // exit() from a worker thread ends the whole program.
    assert_eq!(row(&doc, "exit", "thread")["status"], "exit 3");
    assert_eq!(row(&doc, "exit", "thread")["survived"], false);
    assert_eq!(row(&doc, "exit", "process")["survived"], true);
    for r in doc["rows"].as_array().unwrap() {
        assert!(
            r["notice_ns"].as_f64().is_some(),
            "time to notice missing: {r:#}"
        );
    }
}
