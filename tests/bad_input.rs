//! A mistake on the command line ends pingpong at once with exit code 2
//! and exactly one line on stderr naming the fix: never a panic, never a
//! backtrace, never a measurement.

mod common;

use common::Sandbox;

/// Runs pingpong with `args`, expects a usage error, and returns its one line.
fn refused(args: &[&str]) -> String {
    let sb = Sandbox::new();
    let out = sb
        .pingpong()
        .args(args)
        // A backtrace, if anything panicked, would show in full.
        .env("RUST_BACKTRACE", "1")
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "pingpong {args:?}: want exactly one line on stderr, got:\n{stderr}"
    );
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE"] {
        assert!(
            !stderr.contains(bad),
            "pingpong {args:?}: stderr mentions {bad}:\n{stderr}"
        );
    }
    assert!(
        out.stdout.is_empty(),
        "pingpong {args:?}: a refused command printed results:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    sb.assert_tmpdir_empty();
    lines[0].to_string()
}

fn assert_mentions(line: &str, words: &[&str]) {
    for w in words {
        assert!(line.contains(w), "{line:?} does not mention {w:?}");
    }
}

#[test]
fn an_unknown_unit_is_refused_naming_the_valid_units() {
    let line = refused(&["run", "--between", "fibers"]);
    assert_mentions(&line, &["fibers", "threads", "processes", "processes-fork"]);
}

#[test]
fn an_unknown_channel_is_refused_naming_the_valid_channels() {
    let line = refused(&["run", "--via", "carrier-pigeon"]);
    assert_mentions(
        &line,
        &[
            "carrier-pigeon",
            "pipe",
            "fifo",
            "unix",
            "unix-dgram",
            "tcp",
            "udp",
        ],
    );
}

#[test]
fn a_ball_smaller_than_its_sequence_number_is_refused() {
    let line = refused(&["run", "--size", "3"]);
    assert_mentions(&line, &["--size", "4 bytes"]);
}

#[test]
fn a_ball_too_large_for_udp_alone_is_refused_suggesting_a_smaller_size_or_another_channel() {
    let line = refused(&["run", "--size", "1MiB", "--via", "udp"]);
    assert_mentions(&line, &["udp", "--size", "--via"]);
}

#[test]
fn zero_rounds_are_refused() {
    let line = refused(&["run", "--rounds", "0"]);
    assert_mentions(&line, &["--rounds"]);
}

#[test]
fn one_cpu_for_two_players_is_refused_asking_for_two() {
    let line = refused(&["run", "--cpus", "0"]);
    assert_mentions(&line, &["--cpus", "0,1"]);
}

#[test]
fn a_cpu_pingpong_may_not_use_is_refused_naming_those_it_may() {
    let line = refused(&["run", "--cpus", "0,999"]);
    assert_mentions(&line, &["999", "may use CPUs"]);
}

#[test]
fn an_unknown_fault_to_inject_is_refused_naming_the_faults() {
    let line = refused(&["run", "--inject", "bogus"]);
    assert_mentions(&line, &["bogus", "corrupt:N", "drop:N", "dup:N"]);
}

#[test]
fn an_unknown_flag_is_refused_pointing_to_help() {
    let line = refused(&["run", "--frobnicate"]);
    assert_mentions(&line, &["--frobnicate", "--help"]);
}

#[test]
fn a_demo_between_two_units_is_refused_asking_for_one() {
    let line = refused(&["demo", "--between", "threads,processes"]);
    assert_mentions(&line, &["one --between"]);
}

#[test]
fn the_hidden_player_subcommand_refuses_garbage_without_panicking() {
    let sb = Sandbox::new();
    let out = sb
        .pingpong()
        .args(["__player", "not json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("pingpong's own use"), "{stderr}");
}

#[test]
fn a_time_past_any_deadline_is_refused_naming_the_bound_in_every_subcommand() {
    const HUGE: &str = "18446744073709551615s";
    let cases: &[&[&str]] = &[
        &["run", "--timeout", HUGE],
        &["run", "--duration", HUGE],
        &["run", "--loss-timeout", HUGE],
        &["demo", "--timeout", HUGE],
        &["demo", "--pace", HUGE],
        &["switch", "--timeout", HUGE],
        &["contention", "--timeout", HUGE],
        &["overlap", "--timeout", HUGE],
        &["overlap", "--round", HUGE],
        &["responsive", "--timeout", HUGE],
        &["responsive", "--every", HUGE],
        &["responsive", "--duration", HUGE],
        &["responsive", "--chunks", HUGE],
        &["memory", "--timeout", HUGE],
        &["spawn", "--timeout", HUGE],
        &["scale", "--timeout", HUGE],
        &["python", "--timeout", HUGE],
        &["serve", "--session-limit", HUGE],
    ];
    for args in cases {
        let line = refused(args);
        assert_mentions(&line, &[args[1], "at most"]);
    }
}

#[test]
fn a_count_past_its_bound_is_refused_naming_the_bound() {
    const HUGE: &str = "18446744073709551615";
    let cases: &[&[&str]] = &[
        &["run", "--rounds", HUGE],
        &["run", "--warmup", HUGE],
        &["run", "--batch", HUGE],
        &["run", "--reps", "4294967295"],
        &["run", "--pattern", "stream", "--window", HUGE],
        &["demo", "--hits", HUGE],
        &["switch", "--rounds", HUGE],
        &["switch", "--reps", "4294967295"],
        &["switch", "--working-set", "1TiB"],
        &["contention", "--adds", HUGE],
        &["scale", "--work", HUGE],
        &["scale", "--reps", "4294967295"],
        &["serve", "--max-sessions", HUGE],
    ];
    for args in cases {
        let line = refused(args);
        assert_mentions(&line, &[args[args.len() - 2], "at most"]);
    }
}

#[test]
fn a_non_utf8_argument_is_refused_in_one_line() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    for args in [&["run"][..], &[][..]] {
        let out = sb
            .pingpong()
            .args(args)
            .arg(std::ffi::OsStr::from_bytes(b"\xff"))
            .env("RUST_BACKTRACE", "1")
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_non_utf8_export_path_is_written_where_it_says() {
    use std::os::unix::ffi::OsStrExt;
    let sb = Sandbox::new();
    let mut path = sb.out.path().as_os_str().as_bytes().to_vec();
    path.extend_from_slice(b"/r\xff.json");
    let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&path));
    sb.pingpong()
        .args([
            "run",
            "--between",
            "threads",
            "--rounds",
            "20",
            "-r",
            "1",
            "--json",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert!(common::read_json(&path).is_ok());
    sb.assert_tmpdir_empty();
}

#[test]
fn balls_larger_than_a_memory_limit_fail_the_match_in_one_line_leaving_nothing() {
    let sb = Sandbox::new();
    // 200 MB of address space: the binary runs, three 64 MiB balls do not fit.
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 200000 && exec \"$0\" \"$@\""])
        .arg(common::bin())
        .args([
            "run",
            "--between",
            "threads",
            "--size",
            "64MiB",
            "--rounds",
            "10",
            "-r",
            "1",
        ])
        .env("TMPDIR", sb.tmp.path())
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("running sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_mentions(&stderr, &["out of memory", "--size"]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    sb.assert_tmpdir_empty();
}

#[test]
fn a_token_without_a_peer_is_refused_naming_the_missing_flag() {
    let line = refused(&["run", "--token", "x"]);
    assert_mentions(&line, &["required", "--peer"]);
}
