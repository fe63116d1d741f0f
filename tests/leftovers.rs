//! Whatever happens to a run (it ends normally, the user presses Ctrl-C,
//! a player is killed), pingpong leaves nothing behind: no zombie, no
//! orphaned player, no temporary directory, no FIFO, for every unit and
//! every channel.
//!
//! This test process makes itself a *child subreaper*: a player pingpong
//! failed to reap (a zombie) or to stop (an orphan) is re-parented to us
//! when pingpong exits, instead of vanishing into init, so it can be seen.
//! The runs in this file take turns (one pingpong at a time), so any child
//! of ours but the pingpong being run is a leftover.

mod common;

use common::{children_of, listed_combinations, players_of, thread_count, Finished, Proc, Sandbox};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Duration;

/// How long after the signal pingpong may take to end before it counts
/// as hung (it is expected to end in well under a second).
const AFTER_SIGNAL: Duration = Duration::from_secs(30);

/// Takes this file's turn lock, making this process a subreaper first.
fn my_turn() -> MutexGuard<'static, ()> {
    static SUBREAPER: Once = Once::new();
    static TURN: Mutex<()> = Mutex::new(());
    SUBREAPER.call_once(|| {
        nix::sys::prctl::set_child_subreaper(true).expect("becoming a child subreaper");
    });
    // A failed test poisons the lock; the next one may still run, once
    // what the failed one left is gone (it has been reported already).
    let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    for p in children_of(std::process::id()) {
        let pid = Pid::from_raw(p.pid as i32);
        let _ = kill(pid, Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(pid, None);
    }
    turn
}

/// The channels `pingpong list` marks valid between `unit`.
fn channels_for(unit: &str) -> Vec<String> {
    let v: Vec<String> = listed_combinations()
        .into_iter()
        .filter(|(_, units)| units.iter().any(|u| u == unit))
        .map(|(c, _)| c)
        .collect();
    assert!(!v.is_empty(), "no channel is valid between {unit}");
    v
}

/// Fails the test, naming what was left, if pingpong (`pid`, already
/// reaped) left a process or a file behind. Leftover processes are killed
/// and reaped first, so one failure does not spill into the next test.
fn assert_nothing_left(what: &str, sb: &Sandbox, done: &Finished) {
    let me = std::process::id();
    let mut left: Vec<Proc> = children_of(me);
    for p in players_of(done.pid, sb) {
        if !left.iter().any(|l| l.pid == p.pid) {
            left.push(p);
        }
    }
    let files = sb.leftover_files();
    if left.is_empty() && files.is_empty() {
        return;
    }
    let report: Vec<String> = left
        .iter()
        .map(|p| {
            format!(
                "pid {} (parent {}, state {}, {}): {}",
                p.pid, p.ppid, p.state, p.comm, p.cmdline
            )
        })
        .collect();
    for p in &left {
        let _ = kill(Pid::from_raw(p.pid as i32), Signal::SIGKILL);
        if p.ppid == me {
            let _ = nix::sys::wait::waitpid(Pid::from_raw(p.pid as i32), None);
        }
    }
    panic!(
        "{what}: pingpong left behind\nprocesses: {report:#?}\nfiles: {files:#?}\n{}",
        done.describe()
    );
}

/// Starts a long run of `unit` over `via` and returns once it is
/// measuring: its match directory exists and both players are up.
fn start_measuring(sb: &Sandbox, unit: &str, via: &str) -> common::Started {
    let mut run = sb.start(&[
        "run",
        "--between",
        unit,
        "--via",
        via,
        "--size",
        "64",
        "--duration",
        "5s",
        "--reps",
        "1",
    ]);
    let pid = run.pid();
    loop {
        if run.has_ended() {
            let done = run.wait(AFTER_SIGNAL);
            panic!(
                "{unit} × {via}: ended before it could be interrupted\n{}",
                done.describe()
            );
        }
        let dir_made = !sb.leftover_files().is_empty();
        let players_up = if unit == "threads" {
            // The main thread and two players.
            thread_count(pid) >= 3
        } else {
            children_of(pid).len() == 2
        };
        if dir_made && players_up {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Past the warm-up, into the timed rally.
    std::thread::sleep(Duration::from_millis(300));
    run
}

fn a_normal_run_leaves_nothing_between(unit: &str) {
    let _turn = my_turn();
    let via = channels_for(unit).join(",");
    let sb = Sandbox::new();
    let mut most_players = 0;
    let done = sb
        .start(&[
            "run",
            "--between",
            unit,
            "--via",
            &via,
            "--size",
            "64",
            "--rounds",
            "200",
            "--reps",
            "2",
        ])
        .wait_watching(common::HANG_GUARD, |pid| {
            most_players = most_players.max(children_of(pid).len());
        });
    assert_nothing_left(
        &format!("a normal run between {unit} via {via}"),
        &sb,
        &done,
    );
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    // Each match reaps its players before the next one starts.
    assert!(
        most_players <= 2,
        "{unit}: pingpong held {most_players} child processes at once"
    );
}

fn ctrl_c_leaves_nothing_between(unit: &str) {
    let _turn = my_turn();
    for via in channels_for(unit) {
        let sb = Sandbox::new();
        let run = start_measuring(&sb, unit, &via);
        kill(Pid::from_raw(run.pid() as i32), Signal::SIGINT).expect("sending SIGINT");
        let done = run.wait(AFTER_SIGNAL);
        assert_eq!(
            done.code(),
            Some(130),
            "{unit} × {via}: Ctrl-C must exit with 130\n{}",
            done.describe()
        );
        assert!(
            done.stderr.contains("interrupted"),
            "{unit} × {via}: {}",
            done.describe()
        );
        assert!(!done.stderr.contains("panicked"), "{}", done.describe());
        assert_nothing_left(&format!("Ctrl-C between {unit} via {via}"), &sb, &done);
    }
}

fn a_killed_player_ends_the_run_naming_it_and_leaves_nothing(unit: &str) {
    let _turn = my_turn();
    for (i, via) in channels_for(unit).into_iter().enumerate() {
        let sb = Sandbox::new();
        let run = start_measuring(&sb, unit, &via);
        let mut players: Vec<u32> = children_of(run.pid()).iter().map(|p| p.pid).collect();
        players.sort_unstable();
        assert_eq!(players.len(), 2, "{unit} × {via}: players {players:?}");
        // Ping starts first, so usually has the lower pid: kill ping on
        // one channel, pong on the next.
        let victim = players[i % 2];
        kill(Pid::from_raw(victim as i32), Signal::SIGKILL).expect("killing a player");
        let done = run.wait(AFTER_SIGNAL);
        assert_eq!(
            done.code(),
            Some(1),
            "{unit} × {via}: a dead player is an error\n{}",
            done.describe()
        );
        let named = format!("(process {victim}) was killed by SIGKILL");
        let line = done
            .stderr
            .lines()
            .find(|l| l.contains(&named))
            .unwrap_or_else(|| {
                panic!(
                    "{unit} × {via}: no error naming the dead player ({named})\n{}",
                    done.describe()
                )
            });
        let before = &line[..line.find(&named).unwrap_or(0)];
        assert!(
            before.ends_with("ping ") || before.ends_with("pong "),
            "{unit} × {via}: the dead player's role is not named: {line}"
        );
        assert!(!done.stderr.contains("panicked"), "{}", done.describe());
        assert_nothing_left(
            &format!("killing player {victim} between {unit} via {via}"),
            &sb,
            &done,
        );
    }
}

#[test]
fn a_normal_run_between_threads_leaves_no_process_directory_or_fifo() {
    a_normal_run_leaves_nothing_between("threads");
}

#[test]
fn a_normal_run_between_spawned_processes_leaves_no_process_directory_or_fifo() {
    a_normal_run_leaves_nothing_between("processes");
}

#[test]
fn a_normal_run_between_forked_processes_leaves_no_process_directory_or_fifo() {
    a_normal_run_leaves_nothing_between("processes-fork");
}

#[test]
fn ctrl_c_mid_run_between_threads_exits_130_and_leaves_nothing_on_any_channel() {
    ctrl_c_leaves_nothing_between("threads");
}

#[test]
fn ctrl_c_mid_run_between_spawned_processes_exits_130_and_leaves_nothing_on_any_channel() {
    ctrl_c_leaves_nothing_between("processes");
}

#[test]
fn ctrl_c_mid_run_between_forked_processes_exits_130_and_leaves_nothing_on_any_channel() {
    ctrl_c_leaves_nothing_between("processes-fork");
}

#[test]
fn a_killed_child_player_ends_the_run_with_an_error_naming_it_and_leaves_nothing_spawned() {
    a_killed_player_ends_the_run_naming_it_and_leaves_nothing("processes");
}

#[test]
fn a_killed_child_player_ends_the_run_with_an_error_naming_it_and_leaves_nothing_forked() {
    a_killed_player_ends_the_run_naming_it_and_leaves_nothing("processes-fork");
}
