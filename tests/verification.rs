//! Damaged balls are detected and counted, never timed as if nothing
//! happened: the hidden `--inject` flag damages pong's replies on purpose.
//! A lost ball on a reliable channel is a stall the deadline ends, naming
//! who was waiting for what; a lost ball on UDP is a result.

mod common;

use common::Sandbox;
use serde_json::Value;

/// Runs one measurement with `fault` over `via`. Few warm-up rounds and a
/// short loss timeout: every dropped UDP reply costs one loss timeout.
fn inject(fault: &str, via: &str, between: &str) -> (common::Finished, Value) {
    let sb = Sandbox::new();
    let out = sb.run_json(&[
        "run",
        "--warmup",
        "20",
        "--loss-timeout",
        "100ms",
        "--between",
        between,
        "--via",
        via,
        "--size",
        "64",
        "--rounds",
        "200",
        "--reps",
        "1",
        "--inject",
        fault,
    ]);
    sb.assert_tmpdir_empty();
    out
}

fn verification(doc: &Value) -> &Value {
    let ms = doc["measurements"].as_array().expect("measurements");
    assert_eq!(ms.len(), 1, "{doc}");
    &ms[0]["verification"]
}

#[test]
fn corrupted_balls_on_a_pipe_are_counted_and_fail_the_run() {
    for between in ["threads", "processes"] {
        let (done, doc) = inject("corrupt:5", "pipe", between);
        assert_eq!(done.code(), Some(1), "{between}: {}", done.describe());
        let v = verification(&doc);
        assert!(v["corrupted"].as_u64().unwrap() > 0, "{between}: {v}");
        assert_eq!(v["ok"], false, "{between}: {v}");
        assert!(
            done.stderr.contains("corrupted"),
            "{between}: no warning on stderr:\n{}",
            done.stderr
        );
    }
}

#[test]
fn dropped_replies_on_udp_are_counted_as_losses_and_the_run_succeeds() {
    let (done, doc) = inject("drop:7", "udp", "threads");
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let v = verification(&doc);
    assert!(v["lost"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["ok"], true, "losses on UDP are results: {v}");
    assert_eq!(v["corrupted"], 0, "{v}");
}

#[test]
fn duplicated_replies_on_udp_are_counted_as_stale() {
    let (done, doc) = inject("dup:5", "udp", "threads");
    let v = verification(&doc);
    assert!(v["stale"].as_u64().unwrap() > 0, "{v}\n{}", done.describe());
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(done.code(), Some(1), "{}", done.describe());
}

/// `--inject drop:5` on a pipe: pong never returns ball 5, so ping waits
/// for it until the 2 s deadline, which must end the run with an error
/// naming ping and what it was waiting for.
fn a_dropped_reply_on_a_pipe_ends_at_the_deadline(between: &str) {
    let sb = Sandbox::new();
    let out = sb
        .pingpong()
        .args([
            "run",
            "--between",
            between,
            "--via",
            "pipe",
            "--rounds",
            "200",
            "--reps",
            "1",
            "--inject",
            "drop:5",
            "--timeout",
            "2s",
        ])
        // Never a hang: the 2 s deadline must end it long before this.
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("ping ("))
        .unwrap_or_else(|| panic!("{between}: no error naming ping:\n{stderr}"));
    assert!(
        line.contains("--timeout"),
        "{between}: the error does not name the deadline: {line}"
    );
    let at = line.find("ping (").unwrap_or(0);
    assert!(
        line[at..].contains("waiting for ball"),
        "{between}: the error does not say ping was waiting for its ball: {line}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    sb.assert_tmpdir_empty();
}

#[test]
fn a_dropped_reply_between_threads_ends_at_the_deadline_naming_ping_waiting_for_its_ball() {
    a_dropped_reply_on_a_pipe_ends_at_the_deadline("threads");
}

#[test]
fn a_dropped_reply_between_processes_ends_at_the_deadline_naming_ping_waiting_for_its_ball() {
    a_dropped_reply_on_a_pipe_ends_at_the_deadline("processes");
}

#[test]
fn a_dropped_reply_between_forked_processes_ends_at_the_deadline_naming_ping_waiting_for_its_ball()
{
    a_dropped_reply_on_a_pipe_ends_at_the_deadline("processes-fork");
}
