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

use common::{
    children_of, have_python3, listed_combinations, players_of, thread_count, Finished, Proc,
    Sandbox,
};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
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

/// A run of `unit` over `via` long enough to be interrupted mid-rally.
fn long_run<'a>(unit: &'a str, via: &'a str) -> [&'a str; 11] {
    [
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
    ]
}

/// Starts a long run of `unit` over `via` and returns once it is
/// measuring: its match directory exists and both players are up.
fn start_measuring(sb: &Sandbox, unit: &str, via: &str) -> common::Started {
    let mut run = sb.start(&long_run(unit, via));
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

// ---------------------------------------------------------------------------
// When pingpong itself is killed (SIGKILL): it cannot clean up, so every
// process below it must end by itself, within a second, and the next
// pingpong must remove the temporary directories it left.

/// How long after pingpong's death its descendants may take to end.
const AFTER_DEATH: Duration = Duration::from_secs(1);

/// One process below pingpong, as recorded before the kill.
#[derive(Clone, Debug)]
struct Below {
    pid: u32,
    /// Field 22 of /proc/PID/stat: with the pid, names one process.
    start_time: u64,
    pgid: u32,
    /// 1 for pingpong's children, 2 for theirs…
    depth: usize,
    cmdline: String,
}

/// (ppid, pgid, start time, state) of `pid`, from /proc/PID/stat.
fn stat_of(pid: u32) -> Option<(u32, u32, u64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    // f[0] is field 3 (state).
    Some((
        f.get(1)?.parse().ok()?,
        f.get(2)?.parse().ok()?,
        f.get(19)?.parse().ok()?,
        f.first()?.chars().next()?,
    ))
}

/// Every process below `root` now, walking the children recursively.
fn tree_below(root: u32) -> Vec<Below> {
    let all = common::processes();
    let mut found = Vec::new();
    let mut next = vec![(root, 0)];
    while let Some((pid, depth)) = next.pop() {
        for p in all.iter().filter(|p| p.ppid == pid) {
            if let Some((_, pgid, start_time, _)) = stat_of(p.pid) {
                found.push(Below {
                    pid: p.pid,
                    start_time,
                    pgid,
                    depth: depth + 1,
                    cmdline: p.cmdline.clone(),
                });
                next.push((p.pid, depth + 1));
            }
        }
    }
    found
}

/// Whether `b` runs a Python interpreter (not the shell of a wrapper such as pyenv's).
fn is_python(b: &Below) -> bool {
    std::fs::read_link(format!("/proc/{}/exe", b.pid)).is_ok_and(|exe| {
        exe.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("python"))
    })
}

/// Whether this very process still runs (a zombie has ended).
fn still_runs(b: &Below) -> bool {
    stat_of(b.pid).is_some_and(|(_, _, start, state)| start == b.start_time && state != 'Z')
}

/// Kills what still runs of `tree` (after a failure, so that it does not
/// spill into the next test) and reaps what comes to us.
fn kill_all(tree: &[Below]) {
    for b in tree.iter().filter(|b| still_runs(b)) {
        let _ = kill(Pid::from_raw(b.pid as i32), Signal::SIGKILL);
    }
    std::thread::sleep(Duration::from_millis(50));
    reap_our_zombies();
}

/// Reaps the zombies re-parented to this test (a subreaper): an orphan that
/// ended is ours to reap, as init would.
fn reap_our_zombies() {
    for p in children_of(std::process::id()) {
        if p.state == 'Z' {
            let _ = nix::sys::wait::waitpid(Pid::from_raw(p.pid as i32), None);
        }
    }
}

/// Starts `args` in a fresh sandbox, waits until `ready` holds for the tree
/// below pingpong, kills pingpong with SIGKILL and asserts that every
/// process that was below it (recorded before the kill, walked recursively),
/// every member of their process groups, and every process that inherited
/// the sandbox's TMPDIR has ended within [`AFTER_DEATH`], and that no zombie
/// or orphan is left. Then a new pingpong in the same sandbox must remove
/// the temporary directories the killed one left. Returns the recorded tree.
fn sigkill_leaves_nothing(
    what: &str,
    args: &[&str],
    ready: impl Fn(&[Below], &Sandbox) -> bool,
) -> Vec<Below> {
    let _turn = my_turn();
    let sb = Sandbox::new();
    let mut run = sb.start(args);
    let pid = run.pid();
    let until = std::time::Instant::now() + common::HANG_GUARD;
    let tree = loop {
        if run.has_ended() {
            let done = run.wait(AFTER_SIGNAL);
            panic!(
                "{what}: ended before it could be killed\n{}",
                done.describe()
            );
        }
        let tree = tree_below(pid);
        if ready(&tree, &sb) {
            break tree;
        }
        if std::time::Instant::now() >= until {
            kill_all(&tree);
            panic!("{what}: never got to the moment to kill it; below it: {tree:#?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let me = std::process::id();
    let (_, my_group, _, _) = stat_of(me).expect("our own stat");
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("killing pingpong");
    let killed_at = std::time::Instant::now();
    let done = run.wait(AFTER_SIGNAL);
    assert_eq!(done.status.signal(), Some(9), "{what}: {}", done.describe());
    // Process groups other than ours (pingpong ran in the test's own).
    let groups: Vec<u32> = tree
        .iter()
        .map(|b| b.pgid)
        .filter(|&g| g != my_group)
        .collect();
    let tmpdir = format!("TMPDIR={}", sb.tmp.path().display());
    let survivors = || -> Vec<String> {
        let mut left: Vec<String> = tree
            .iter()
            .filter(|b| still_runs(b))
            .map(|b| format!("below pingpong (depth {}): {b:?}", b.depth))
            .collect();
        for p in common::processes() {
            if p.pid == me || p.state == 'Z' || tree.iter().any(|b| b.pid == p.pid) {
                continue;
            }
            let group = stat_of(p.pid).map(|s| s.1);
            if group.is_some_and(|g| groups.contains(&g)) || p.environ_contains(&tmpdir) {
                left.push(format!("of the run: {p:?}"));
            }
        }
        left
    };
    let mut left = survivors();
    while !left.is_empty() && killed_at.elapsed() < AFTER_DEATH {
        std::thread::sleep(Duration::from_millis(10));
        left = survivors();
    }
    let took = killed_at.elapsed();
    if !left.is_empty() {
        kill_all(&tree);
        panic!("{what}: still running {took:?} after pingpong was killed: {left:#?}");
    }
    // No zombie and no orphan: what ended and came to us is reaped by us
    // (as init would); nothing of ours may still run.
    reap_our_zombies();
    let orphans = children_of(me);
    assert!(
        orphans.is_empty(),
        "{what}: orphans re-parented to the test: {orphans:#?}"
    );
    // Its temporary directories stay (SIGKILL) …
    let left_dirs = sb.leftover_files();
    // … until the next start, which removes them.
    sb.pingpong().arg("list").assert().success();
    let after = sb.leftover_files();
    assert!(
        after.is_empty(),
        "{what}: the next start did not remove what the killed pingpong left: {after:#?} \
         (before it: {left_dirs:#?})"
    );
    tree
}

/// Whether pingpong has made its private directory in the sandbox.
fn made_a_directory(sb: &Sandbox) -> bool {
    !sb.leftover_files().is_empty()
}

#[test]
fn sigkill_of_pingpong_mid_run_between_processes_ends_both_players_within_a_second() {
    sigkill_leaves_nothing(
        "run --between processes",
        &long_run("processes", "pipe"),
        |tree, sb| tree.len() == 2 && made_a_directory(sb),
    );
}

#[test]
fn sigkill_of_pingpong_faults_ends_the_sacrificial_children_and_their_workers_within_a_second() {
    let tree = sigkill_leaves_nothing("faults", &["faults", "stop", "pool"], |tree, _| {
        tree.iter().any(|b| b.depth >= 2)
    });
    assert!(
        tree.iter().any(|b| b.cmdline.contains("__fault")),
        "{tree:#?}"
    );
}

#[test]
fn sigkill_of_pingpong_verdict_mid_step_ends_the_step_and_everything_below_it_within_a_second() {
    let tree = sigkill_leaves_nothing("verdict --quick", &["verdict", "--quick"], |tree, _| {
        // A step child (`pingpong <experiment> --json …`) with children of its own.
        tree.iter().any(|b| {
            b.depth >= 2
                && tree
                    .iter()
                    .any(|s| s.depth == 1 && s.cmdline.contains("pingpong-verdict-"))
        })
    });
    assert!(
        tree.iter().any(|b| b.cmdline.contains("--json")),
        "{tree:#?}"
    );
}

#[test]
fn sigkill_of_pingpong_python_ends_the_interpreter_and_its_workers_within_a_second() {
    if !have_python3() {
        return;
    }
    // pingpong → guard → interpreter → multiprocessing workers.
    sigkill_leaves_nothing("python", &["python", "--quick"], |tree, sb| {
        tree.iter().any(|b| b.depth >= 3 && is_python(b)) && made_a_directory(sb)
    });
}

#[test]
fn sigkill_of_pingpong_python_ends_a_grandchild_that_left_for_a_session_of_its_own() {
    // A stand-in for CPython: it answers the probe like one, then leaves a
    // grandchild in a session (and process group) of its own and waits.
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("python3");
    std::fs::write(
        &fake,
        "#!/bin/sh\n\
         if [ \"$2\" = probe ]; then\n\
         echo '{\"interpreter\": {\"version\": \"3.11.0\", \"implementation\": \"CPython\", \
         \"gil_enabled\": true, \"free_threaded_build\": false}}'\n\
         exit 0\n\
         fi\n\
         setsid sleep 600 &\n\
         sleep 600\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fake = fake.to_str().unwrap().to_string();
    let tree = sigkill_leaves_nothing(
        "python with a grandchild in its own session",
        &["python", "rally", "--python", &fake],
        |tree, _| {
            let group_of = |depth| tree.iter().find(|b| b.depth == depth).map(|b| b.pgid);
            // The sleeper has left the interpreter's group.
            tree.iter()
                .any(|b| b.depth == 3 && b.cmdline.contains("sleep") && Some(b.pgid) != group_of(2))
        },
    );
    assert!(
        tree.iter().any(|b| b.cmdline.contains("__guard")),
        "{tree:#?}"
    );
}

#[test]
fn ctrl_c_mid_pingpong_python_exits_130_and_the_interpreter_keeps_its_temporary_files_private() {
    if !have_python3() {
        return;
    }
    let _turn = my_turn();
    let sb = Sandbox::new();
    let run = sb.start(&["python", "--quick"]);
    let pid = run.pid();
    let mut interpreter = None;
    common::wait_for("the interpreter's workers", || {
        let tree = tree_below(pid);
        interpreter = tree.iter().find(|b| b.depth == 2).map(|b| b.pid);
        tree.iter().any(|b| b.depth >= 3 && is_python(b))
    });
    // Its TMPDIR (and TEMP, TMP) is pingpong's private directory, so that
    // `multiprocessing`'s `pymp-*` goes with it.
    let interpreter = Proc::read(interpreter.expect("an interpreter")).expect("its /proc");
    let private = std::fs::read_dir(sb.tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pingpong-python-"))
        })
        .expect("pingpong's private Python directory");
    for var in ["TMPDIR", "TEMP", "TMP"] {
        assert!(
            interpreter.environ_contains(&format!("{var}={}", private.display())),
            "{var} of the interpreter is not {}",
            private.display()
        );
    }
    kill(Pid::from_raw(pid as i32), Signal::SIGINT).expect("sending SIGINT");
    let done = run.wait(AFTER_SIGNAL);
    assert_eq!(done.code(), Some(130), "{}", done.describe());
    assert_nothing_left("Ctrl-C mid pingpong python", &sb, &done);
}

#[test]
fn a_stale_temporary_directory_of_a_dead_owner_is_removed_at_the_next_start_and_a_live_ones_is_kept(
) {
    // Children of this process are reaped by the turn's holder alone.
    let _turn = my_turn();
    let sb = Sandbox::new();
    let tmp = sb.tmp.path();
    let (_, _, my_start, _) = stat_of(std::process::id()).expect("our own stat");
    let me = std::process::id();
    // A pid that has ended (and been reaped).
    let dead = {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let dir = |name: String| {
        let p = tmp.join(name);
        std::fs::create_dir(&p).unwrap();
        std::fs::write(p.join("ipc-channel.name"), b"x").unwrap();
        p
    };
    let of_dead_owner = dir(format!("pingpong-{dead}-12345-Ab3xYz"));
    let of_recycled_pid = dir(format!("pingpong-python-{me}-{}-Cd4eFg", my_start + 1));
    let of_live_owner = dir(format!("pingpong-verdict-{me}-{my_start}-Hi5jKl"));
    let unmarked = dir("pingpong-Mn6oPq".to_string());
    let other_namespace = dir(format!("pingpong-{dead}-12345-Rs7tUv"));
    std::fs::write(other_namespace.join(".owner"), "pid_namespace 1\n").unwrap();
    // A link named like a dead owner's directory: neither it nor what it
    // points to is touched.
    let target = dir("elsewhere".to_string());
    let link = tmp.join(format!("pingpong-{dead}-12345-Wx8yZa"));
    std::os::unix::fs::symlink(&target, &link).unwrap();

    sb.pingpong().arg("list").assert().success();

    assert!(!of_dead_owner.exists(), "a dead owner's directory stayed");
    assert!(
        !of_recycled_pid.exists(),
        "a recycled pid was taken for its owner"
    );
    assert!(
        of_live_owner.join("ipc-channel.name").exists(),
        "a live run's directory was removed"
    );
    assert!(unmarked.exists(), "an unmarked directory was removed");
    assert!(
        other_namespace.exists(),
        "another pid namespace's directory was removed"
    );
    assert!(link.symlink_metadata().is_ok(), "a link was removed");
    assert!(
        target.join("ipc-channel.name").exists(),
        "a link was followed"
    );
}
