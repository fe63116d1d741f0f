//! Every damaged ball is counted, exactly, whatever its size and channel:
//! the hidden `--inject KIND:N` damages every N-th ball pong sends back
//! (never the final answer), so over R rounds (no warm-up) exactly R / N
//! balls are damaged, and the tally must say so: corrupted balls as
//! corrupted (a 4-byte ball too), duplicates as stale (the one that arrives
//! while ping waits for the final answer too), drops on UDP as lost,
//! reordered replies on UDP as one loss and one stale ball each. On a
//! reliable channel a dropped or held-back reply is a stall, ended by the
//! progress watchdog naming the ball ping waited for.
//!
//! Sizes: 4 B (sequence number only), 8 B (with pattern bytes), both sides
//! of the verification cut-over (64 KiB: every checksum; 64 KiB + 1: one in
//! 16), 4 MiB; UDP up to its largest datagram. Channels: a pipe between
//! threads, UDP between threads, tokio-mpsc between tasks.

mod common;

use common::Sandbox;
use serde_json::Value;

const CUT_OVER: usize = 64 * 1024;
const UDP_MAX: usize = 65_507;
const SAMPLE_EVERY: u64 = 16;

struct Case {
    between: &'static str,
    via: &'static str,
    size: usize,
}

fn reliable_cases() -> Vec<Case> {
    let mut v = Vec::new();
    for (between, via) in [("threads", "pipe"), ("tasks", "tokio-mpsc")] {
        for size in [4, 8, CUT_OVER, CUT_OVER + 1, 4 << 20] {
            v.push(Case { between, via, size });
        }
    }
    v
}

fn udp_cases() -> Vec<Case> {
    [4, 8, UDP_MAX]
        .into_iter()
        .map(|size| Case {
            between: "threads",
            via: "udp",
            size,
        })
        .collect()
}

/// Fewer rounds for large balls: the counts are exact whatever the length.
fn rounds_for(size: usize) -> u64 {
    if size > CUT_OVER + 1 {
        100
    } else {
        1000
    }
}

/// Whether the receiver checks the checksum of ball `seq` at this size by
/// default (every ball up to the cut-over, one in 16 above it).
fn checksummed(size: usize, seq: u64) -> bool {
    size <= CUT_OVER || seq % SAMPLE_EVERY == 0
}

/// The balls damaged by `--inject KIND:every` over `rounds` round trips:
/// the every-th, 2·every-th… ball pong sends, numbered from 0.
fn damaged(rounds: u64, every: u64) -> impl Iterator<Item = u64> {
    (1..=rounds / every).map(move |j| j * every - 1)
}

/// Runs one match with the fault; returns the exit code and the document.
fn inject(case: &Case, fault: &str, rounds: u64, extra: &[&str]) -> (i32, Value) {
    let sb = Sandbox::new();
    let size = case.size.to_string();
    let rounds = rounds.to_string();
    let mut args = vec![
        "run",
        "--between",
        case.between,
        "--via",
        case.via,
        "--size",
        &size,
        "--rounds",
        &rounds,
        "--warmup",
        "0",
        "--reps",
        "1",
        "--inject",
        fault,
    ];
    args.extend(extra);
    let (done, doc) = sb.run_json(&args);
    assert!(!done.stderr.contains("panicked"), "{}", done.describe());
    sb.assert_tmpdir_empty();
    (done.code().unwrap_or(-1), doc)
}

fn label(case: &Case, fault: &str) -> String {
    format!(
        "{fault} over {} between {} at {} B",
        case.via, case.between, case.size
    )
}

/// The verification of the one measurement, with every count named.
fn counts(doc: &Value, what: &str) -> [u64; 4] {
    let ms = doc["measurements"].as_array().expect("measurements");
    assert_eq!(ms.len(), 1, "{what}: {doc}");
    let v = &ms[0]["verification"];
    ["lost", "stale", "out_of_order", "corrupted"].map(|k| {
        v[k].as_u64()
            .unwrap_or_else(|| panic!("{what}: no {k} in {v}"))
    })
}

/// On a reliable channel the match must end (by the progress watchdog, a
/// few seconds in), naming ball `seq` as the one ping waited for.
fn assert_stalls_at(case: &Case, fault: &str, seq: u64) {
    let what = label(case, fault);
    let (code, doc) = inject(case, fault, 1000, &["--timeout", "60s"]);
    assert_eq!(code, 1, "{what}: {doc}");
    let errors = doc["errors"].as_array().expect("errors");
    let error = errors
        .first()
        .and_then(|e| e["error"].as_str())
        .unwrap_or_else(|| panic!("{what}: no error recorded: {doc}"));
    let at = error
        .find("ping")
        .unwrap_or_else(|| panic!("{what}: does not name ping: {error}"));
    let waited: String = error[at..]
        .split("waiting for ball #")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(
        waited,
        seq.to_string(),
        "{what}: ping should be named waiting for ball #{seq}: {error}"
    );
}

#[test]
fn every_corrupted_ball_is_counted_as_corrupted_at_every_size() {
    for case in reliable_cases().into_iter().chain(udp_cases()) {
        // 17: under sampling (one checksum in 16) some damaged balls are checked.
        let every = 17;
        let rounds = rounds_for(case.size);
        let fault = format!("corrupt:{every}");
        let what = label(&case, &fault);
        let (code, doc) = inject(&case, &fault, rounds, &[]);
        let want = damaged(rounds, every)
            .filter(|&k| checksummed(case.size, k))
            .count() as u64;
        assert!(want > 0, "{what}: the case checks nothing");
        assert_eq!(
            counts(&doc, &what),
            [0, 0, 0, want],
            "{what}: lost, stale, out of order, corrupted"
        );
        assert_eq!(code, 1, "{what}: damaged balls fail the run");
    }
}

#[test]
fn every_duplicate_is_counted_as_stale_even_during_the_final_answer() {
    for case in reliable_cases().into_iter().chain(udp_cases()) {
        let rounds = rounds_for(case.size);
        // Every 10th, and the last ball alone: its duplicate arrives while
        // ping waits for the final answer.
        for every in [10, rounds] {
            let fault = format!("dup:{every}");
            let what = label(&case, &fault);
            let (code, doc) = inject(&case, &fault, rounds, &[]);
            assert_eq!(
                counts(&doc, &what),
                [0, rounds / every, 0, 0],
                "{what}: lost, stale, out of order, corrupted"
            );
            assert_eq!(code, 1, "{what}: duplicates fail the run");
        }
    }
}

#[test]
fn every_dropped_reply_is_a_loss_on_udp_and_a_named_stall_on_a_reliable_channel() {
    for case in udp_cases() {
        let (rounds, every) = (500, 100);
        let fault = format!("drop:{every}");
        let what = label(&case, &fault);
        let (code, doc) = inject(&case, &fault, rounds, &["--loss-timeout", "200ms"]);
        assert_eq!(
            counts(&doc, &what),
            [rounds / every, 0, 0, 0],
            "{what}: lost, stale, out of order, corrupted"
        );
        assert_eq!(code, 0, "{what}: losses on UDP are results");
    }
    for case in reliable_cases()
        .into_iter()
        .filter(|c| c.size == 4 || c.size == 4 << 20)
    {
        assert_stalls_at(&case, "drop:7", 6);
    }
}

#[test]
fn every_reordered_reply_is_a_loss_and_a_stale_ball_on_udp_and_a_named_stall_on_a_reliable_channel()
{
    for case in udp_cases() {
        // 500 is a multiple of 100: the last reply is held until the final answer.
        let (rounds, every) = (500, 100);
        let fault = format!("reorder:{every}");
        let what = label(&case, &fault);
        let (code, doc) = inject(&case, &fault, rounds, &["--loss-timeout", "200ms"]);
        assert_eq!(
            counts(&doc, &what),
            [rounds / every, rounds / every, 0, 0],
            "{what}: lost, stale, out of order, corrupted"
        );
        assert_eq!(code, 1, "{what}: a late ball fails the run");
    }
    for case in reliable_cases()
        .into_iter()
        .filter(|c| c.size == 4 || c.size == 4 << 20)
    {
        assert_stalls_at(&case, "reorder:7", 6);
    }
}
