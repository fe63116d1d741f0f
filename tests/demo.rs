//! `pingpong demo`: ping and pong take strict turns, one line per hit,
//! each naming the process it was hit from: one process for threads, two
//! other processes for processes.

mod common;

use common::{listed_combinations, Sandbox, HANG_GUARD};

/// One printed hit: role, number, pid, tid.
#[derive(Debug)]
struct Hit {
    role: String,
    number: u64,
    pid: u32,
    tid: u32,
}

/// Reads the hit lines ("ping #1   0.000 ms   pid 12  tid 13").
fn hits(stdout: &str) -> Vec<Hit> {
    stdout
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("ping #") || l.starts_with("pong #"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let after = |key: &str| -> u32 {
                let i = words
                    .iter()
                    .position(|w| *w == key)
                    .unwrap_or_else(|| panic!("no {key} in {l:?}"));
                words[i + 1]
                    .parse()
                    .unwrap_or_else(|_| panic!("bad {key} in {l:?}"))
            };
            Hit {
                role: words[0].to_string(),
                number: words[1]
                    .trim_start_matches('#')
                    .parse()
                    .unwrap_or_else(|_| panic!("bad hit number in {l:?}")),
                pid: after("pid"),
                tid: after("tid"),
            }
        })
        .collect()
}

/// Plays a 4-hit demo of `unit` over `via`, checks the turns, and returns
/// the hits with pingpong's pid.
fn demo(unit: &str, via: &str) -> (Vec<Hit>, u32) {
    let sb = Sandbox::new();
    let done = sb
        .start(&[
            "demo",
            "--between",
            unit,
            "--via",
            via,
            "--pace",
            "1ms",
            "--hits",
            "4",
        ])
        .wait(HANG_GUARD);
    assert_eq!(done.code(), Some(0), "{unit} × {via}: {}", done.describe());
    let hits = hits(&done.stdout);
    assert_eq!(hits.len(), 8, "{unit} × {via}: {}", done.stdout);
    for (i, h) in hits.iter().enumerate() {
        let role = if i % 2 == 0 { "ping" } else { "pong" };
        assert_eq!(
            (h.role.as_str(), h.number),
            (role, i as u64 / 2 + 1),
            "{unit} × {via}: out of turn at line {}:\n{}",
            i + 1,
            done.stdout
        );
    }
    sb.assert_tmpdir_empty();
    (hits, done.pid)
}

fn pids(hits: &[Hit], role: &str) -> Vec<u32> {
    let mut v: Vec<u32> = hits
        .iter()
        .filter(|h| h.role == role)
        .map(|h| h.pid)
        .collect();
    v.dedup();
    v
}

fn demo_on_every_channel(unit: &str) {
    let channels: Vec<String> = listed_combinations()
        .into_iter()
        .filter(|(_, units)| units.iter().any(|u| u == unit))
        .map(|(c, _)| c)
        .collect();
    assert!(channels.iter().any(|c| c == "pipe"), "{channels:?}");
    for via in channels {
        let (hits, pingpong) = demo(unit, &via);
        let (ping, pong) = (pids(&hits, "ping"), pids(&hits, "pong"));
        assert_eq!(
            ping.len(),
            1,
            "{unit} × {via}: ping moved between processes: {hits:?}"
        );
        assert_eq!(
            pong.len(),
            1,
            "{unit} × {via}: pong moved between processes: {hits:?}"
        );
        if unit == "threads" {
            assert_eq!(ping[0], pingpong, "{unit} × {via}: {hits:?}");
            assert_eq!(pong[0], pingpong, "{unit} × {via}: {hits:?}");
            let tids = |r: &str| -> Vec<u32> {
                let mut v: Vec<u32> = hits.iter().filter(|h| h.role == r).map(|h| h.tid).collect();
                v.dedup();
                v
            };
            assert_ne!(
                tids("ping"),
                tids("pong"),
                "{unit} × {via}: one thread: {hits:?}"
            );
        } else {
            assert_ne!(ping[0], pong[0], "{unit} × {via}: one process: {hits:?}");
            assert_ne!(
                ping[0], pingpong,
                "{unit} × {via}: ping is pingpong: {hits:?}"
            );
            assert_ne!(
                pong[0], pingpong,
                "{unit} × {via}: pong is pingpong: {hits:?}"
            );
        }
    }
}

#[test]
fn a_demo_between_threads_alternates_ping_and_pong_from_one_process_on_every_channel() {
    demo_on_every_channel("threads");
}

#[test]
fn a_demo_between_spawned_processes_alternates_ping_and_pong_from_two_processes_on_every_channel() {
    demo_on_every_channel("processes");
}

#[test]
fn a_demo_between_forked_processes_alternates_ping_and_pong_from_two_processes_on_every_channel() {
    demo_on_every_channel("processes-fork");
}
