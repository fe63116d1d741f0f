//! The memory-speed channels (issue 3): every one between every unit it
//! supports, rally and stream, with verified balls; damage detected; nothing
//! left behind (no /dev/shm entry, no process), also after SIGKILL; spin on
//! one CPU does not hang. No timing is asserted.

mod common;

use assert_cmd::Command;
use common::run_json;
use serde_json::Value;
use std::time::{Duration, Instant};

const SHARED: &[&str] = &["spin", "futex", "spin-futex", "eventfd", "shm-ring"];
const THREADS_ONLY: &[&str] = &["condvar", "mpsc", "crossbeam", "flume"];

fn pingpong() -> Command {
    let mut c = Command::cargo_bin("pingpong").expect("binary built");
    c.timeout(Duration::from_secs(120));
    c
}

fn check_verified(doc: &Value, want: usize, what: &str) {
    let ms = doc["measurements"].as_array().unwrap();
    assert_eq!(ms.len(), want, "{what}: measurements {doc:#}");
    for m in ms {
        let v = &m["verification"];
        assert_eq!(v["ok"], true, "{what}: {m:#}");
        assert!(v["balls_checked"].as_u64().unwrap() > 0, "{what}: {v}");
    }
}

#[test]
fn shared_memory_channels_rally_and_stream_between_threads_and_both_process_kinds() {
    for via in SHARED {
        for pattern in ["rally", "stream"] {
            let (doc, code) = run_json(&[
                "--between",
                "threads,processes,processes-fork",
                "--via",
                via,
                "--pattern",
                pattern,
                "-s",
                "64,4KiB",
                "-n",
                "1000",
            ]);
            assert_eq!(code, 0, "{via} {pattern}");
            check_verified(&doc, 6, &format!("{via} {pattern}"));
        }
    }
}

#[test]
fn shm_ring_carries_large_balls_that_wrap_the_ring() {
    let (doc, code) = run_json(&[
        "--between",
        "threads,processes",
        "--via",
        "shm-ring",
        "--pattern",
        "stream",
        "-s",
        "3MiB",
        "-n",
        "20",
    ]);
    assert_eq!(code, 0);
    check_verified(&doc, 2, "shm-ring 3 MiB");
}

#[test]
fn threads_only_channels_rally_and_stream_and_are_refused_between_processes() {
    for via in THREADS_ONLY {
        for pattern in ["rally", "stream"] {
            let (doc, code) = run_json(&[
                "--between",
                "threads,processes",
                "--via",
                via,
                "--pattern",
                pattern,
                "-n",
                "1000",
            ]);
            assert_eq!(code, 0, "{via} {pattern}");
            check_verified(&doc, 1, via);
            let skipped = doc["skipped"].as_array().unwrap();
            assert!(
                skipped
                    .iter()
                    .any(|s| s["reason"].as_str().unwrap().contains("threads only")),
                "{via}: {skipped:?}"
            );
        }
    }
}

#[test]
fn list_says_which_channels_are_threads_only() {
    let out = pingpong().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for via in SHARED.iter().chain(THREADS_ONLY) {
        assert!(text.contains(via), "{via} missing from list:\n{text}");
    }
}

#[test]
fn corrupted_balls_are_detected_on_spin_and_shm_ring() {
    for via in ["spin", "shm-ring"] {
        for between in ["threads", "processes"] {
            let (doc, code) = run_json(&[
                "--between",
                between,
                "--via",
                via,
                "--inject",
                "corrupt:5",
                "-n",
                "1000",
            ]);
            assert_eq!(code, 1, "{via} {between}");
            let v = &doc["measurements"][0]["verification"];
            assert_eq!(v["ok"], false, "{via}: {v}");
            assert!(v["corrupted"].as_u64().unwrap() > 0, "{via}: {v}");
        }
    }
}

fn shm_entries() -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("pingpong"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn no_dev_shm_entry_is_ever_made() {
    let before = shm_entries();
    let (_, code) = run_json(&[
        "--between",
        "threads,processes,processes-fork",
        "--via",
        "spin,futex,eventfd,shm-ring",
        "-n",
        "500",
    ]);
    assert_eq!(code, 0);
    assert_eq!(shm_entries(), before);
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: the comm may hold spaces, so split after ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (_state, ppid) = (f.next(), f.next().and_then(|s| s.parse::<u32>().ok()));
        if ppid == Some(pid) {
            v.push(p);
        }
    }
    v
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.contains(") Z "))
        .unwrap_or(false)
}

#[test]
fn a_player_killed_with_sigkill_leaves_no_process_and_no_shm_entry() {
    for via in ["spin", "shm-ring", "futex"] {
        let before = shm_entries();
        let exe = assert_cmd::cargo::cargo_bin("pingpong");
        let mut sup = std::process::Command::new(exe)
            .args(["run", "--between", "processes", "--via", via, "-r", "1"])
            .args(["-d", "20s", "--timeout", "60s"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let kids = loop {
            let k = children_of(sup.id());
            if k.len() == 2 || start.elapsed() > Duration::from_secs(30) {
                break k;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(kids.len(), 2, "{via}: two players expected");
        std::thread::sleep(Duration::from_millis(300));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(kids[0] as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let start = Instant::now();
        let status = loop {
            if let Some(s) = sup.try_wait().unwrap() {
                break s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{via}: supervisor did not end"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(!status.success(), "{via}: a killed player is a failure");
        for k in kids {
            assert!(!alive(k), "{via}: player {k} outlived the run");
        }
        assert_eq!(shm_entries(), before);
    }
}

#[test]
fn spin_on_one_cpu_yields_instead_of_hanging() {
    let out = pingpong()
        .args(["run", "--between", "threads,processes", "--via", "spin"])
        .args(["--same-cpu", "0", "-n", "300", "-r", "1"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("sched_yield"), "the note says how: {text}");
}
