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
