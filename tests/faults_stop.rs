//! `pingpong faults stop`: every attempt to stop a thread or a process is
//! really made and reports a typed outcome that agrees with what the parent
//! saw, and nothing (no zombie, no stopped process) is left behind.
//!
//! One run serves every test: this test process makes itself a child
//! subreaper first, so anything pingpong or its children fail to reap is
//! re-parented here, where it is seen.

mod faults_common;
use common::*;
use faults_common as common;
use serde_json::Value;
use std::sync::OnceLock;

struct Run {
    doc: Value,
    /// Our children other than pingpong after it ended: "pid state cmdline".
    leftovers: Vec<String>,
}

fn ours() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
        let doc = run_quick("stop");
        let leftovers = children_left();
        Run { doc, leftovers }
    })
}

/// Processes whose parent is this test process (pingpong itself was reaped
/// by `Command::output`); each is killed and reaped after being noted.
fn children_left() -> Vec<String> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().to_string();
        if !pid.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((_, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = after.split_whitespace().collect();
        if f.get(1) == Some(&me.as_str()) {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{pid} state {} {}",
                f[0],
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            ));
            let p = nix::unistd::Pid::from_raw(pid.parse().unwrap());
            let _ = nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(p, None);
        }
    }
    found
}

fn rows() -> Vec<&'static Value> {
    ours().doc["rows"].as_array().unwrap().iter().collect()
}

fn attempt(r: &Value) -> &Value {
    let a = &r["stop"];
    assert!(a.is_object(), "no typed outcome in {r:#}");
    a
}

fn methods(m: &str) -> Vec<&'static Value> {
    rows()
        .into_iter()
        .filter(|r| attempt(r)["method"] == m)
        .collect()
}

#[test]
fn nothing_is_left_behind_no_zombie_and_no_stopped_process() {
    assert!(
        ours().leftovers.is_empty(),
        "left behind: {:#?}",
        ours().leftovers
    );
}

#[test]
fn every_attempt_runs_and_yields_a_typed_outcome() {
    for m in [
        "sigterm",
        "sigterm_then_sigkill",
        "cooperative_flag",
        "flag_and_signal",
        "signal_eintr",
        "pthread_cancel_blocked",
        "pthread_cancel_cpu_loop",
        "pthread_cancel_async_cpu_loop",
        "fatal_signal_to_thread",
        "stop_signal_to_thread",
    ] {
        assert!(!methods(m).is_empty(), "no attempt {m}");
    }
    for r in rows() {
        let a = attempt(r);
        assert!(a["target"] == "thread" || a["target"] == "process", "{r:#}");
        assert_eq!(a["target"], r["unit"], "{r:#}");
        // Made and observed: not hung, not "could not run".
        assert!(
            a["result"] != "hung" && a["result"] != "not_observed",
            "{r:#}"
        );
    }
}

#[test]
fn each_typed_outcome_agrees_with_the_exit_status_the_parent_saw() {
    for r in rows() {
        let a = attempt(r);
        let status = r["status"].as_str().unwrap();
        match a["result"].as_str().unwrap() {
            "whole_process_died" => {
                assert_eq!(r["survived"], false, "{r:#}");
                assert_eq!(a["ended_by"], status, "{r:#}");
                assert_eq!(a["others_affected"], true, "{r:#}");
            }
            "ended" if a["target"] == "process" => {
                // Reaped by its parent, which saw the signal that ended it.
                assert_eq!(a["ended_by"], status, "{r:#}");
                assert!(status.starts_with("SIG"), "{r:#}");
            }
            "ended" => assert_eq!(status, "joined", "{r:#}"),
            _ => assert_ne!(r["survived"], false, "{r:#}"),
        }
        if r["survived"] == false {
            assert_eq!(a["result"], "whole_process_died", "{r:#}");
        }
    }
}

#[test]
fn a_fatal_signal_aimed_at_one_thread_kills_the_whole_sacrificial_process() {
    let fatal = methods("fatal_signal_to_thread");
    assert_eq!(fatal.len(), 2);
    for r in fatal {
        let a = attempt(r);
        assert_eq!(a["result"], "whole_process_died", "{r:#}");
        // The child died of the very signal aimed at one of its threads.
        assert_eq!(r["status"], a["signal"], "{r:#}");
        assert!(r["notice_ns"].as_f64().is_some(), "{r:#}");
    }
}

#[test]
fn a_stop_signal_aimed_at_one_thread_is_seen_from_outside_and_undone() {
    let r = methods("stop_signal_to_thread")[0];
    let a = attempt(r);
    let (threads, stopped) = (fig(r, "threads"), fig(r, "threads_stopped"));
    assert!(threads >= 2.0, "{r:#}");
    match a["result"].as_str().unwrap() {
        "whole_process_stopped" => assert_eq!(stopped, threads, "{r:#}"),
        "only_thread_stopped" => assert!(stopped >= 1.0 && stopped < threads, "{r:#}"),
        other => panic!("{other}: {r:#}"),
    }
    assert_eq!(a["others_affected"], stopped > 1.0, "{r:#}");
    // SIGCONT resumed it and it ended on its own.
    assert_eq!(fig(r, "resumed_after_sigcont"), 1.0, "{r:#}");
    assert_eq!(r["survived"], true, "{r:#}");
    assert!(r["status"].as_str().unwrap().ends_with("exit 0"), "{r:#}");
}

#[test]
fn a_signal_to_one_blocked_thread_reports_what_it_did_to_that_thread_and_the_other() {
    let r = methods("signal_eintr")[0];
    let a = attempt(r);
    assert!(fig(r, "signals_sent") >= 1.0, "{r:#}");
    assert!(a["others_affected"].is_boolean(), "{r:#}");
    // A time to notice exactly when the read was seen to return EINTR.
    assert_eq!(
        r["notice_ns"].is_number(),
        a["result"] == "interrupted",
        "{r:#}"
    );
}

#[test]
fn a_cancelled_thread_was_joined_and_a_still_running_one_kept_running() {
    for m in [
        "pthread_cancel_blocked",
        "pthread_cancel_cpu_loop",
        "pthread_cancel_async_cpu_loop",
    ] {
        let r = methods(m)[0];
        match attempt(r)["result"].as_str().unwrap() {
            "ended" => assert_eq!(fig(r, "joined_canceled"), 1.0, "{r:#}"),
            "still_running" if m != "pthread_cancel_blocked" => {
                assert!(fig(r, "loop_turns_after_cancel") > 0.0, "{r:#}")
            }
            "still_running" => {}
            other => panic!("{other}: {r:#}"),
        }
    }
}

#[test]
fn a_process_is_stopped_by_signal_and_reaped() {
    let doc = &ours().doc;
    assert_eq!(row(doc, "cpu loop", "process")["status"], "SIGTERM");
    assert_eq!(row(doc, "blocked read", "process")["status"], "SIGTERM");
    assert_eq!(
        row(doc, "cpu loop, SIGTERM ignored", "process")["status"],
        "SIGKILL"
    );
    for case in [
        "cpu loop, checks a flag",
        "blocked read, checks a flag on EINTR",
    ] {
        let r = row(doc, case, "thread");
        assert_eq!(r["status"], "joined", "{r:#}");
        assert!(r["notice_ns"].as_f64().is_some());
    }
}

#[test]
fn the_findings_are_read_from_the_typed_outcomes() {
    let demos = &demos(&ours().doc);
    let kill = &demos["faults.stop.thread-unkillable"];
    let alone = methods("fatal_signal_to_thread")
        .iter()
        .chain(methods("stop_signal_to_thread").iter())
        .any(|r| {
            let x = &attempt(r)["result"];
            x == "only_thread_died" || x == "only_thread_stopped"
        });
    assert_eq!(kill["shows_claim"], !alone, "{kill:#}");
    let interrupt = &demos["faults.stop.thread-uninterruptible"];
    let reached = rows().iter().any(|r| {
        let a = attempt(r);
        a["method"].as_str().unwrap().starts_with("pthread_cancel") && a["result"] == "ended"
            || a["method"] == "signal_eintr" && a["result"] == "interrupted"
    });
    assert_eq!(interrupt["shows_claim"], !reached, "{interrupt:#}");
    let both = &demos["faults.stop.thread-unstoppable"];
    assert_eq!(
        both["shows_claim"],
        kill["shows_claim"] == true && interrupt["shows_claim"] == true,
        "{both:#}"
    );
}
