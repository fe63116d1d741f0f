//! A rally in which no ball moves is ended by the progress watchdog a few
//! seconds in, long before the match's deadline, naming who made no
//! progress: a player process stopped by SIGSTOP, or where a lost ball on a
//! reliable channel was lost. Nothing is left behind.

mod common;

use common::{children_of, players_of, wait_for, Sandbox, HANG_GUARD};
use std::time::{Duration, Instant};

/// Far beyond the watchdog (a few seconds): a rally ended before this was
/// ended by the watchdog, not by the deadline.
const DEADLINE: &str = "60s";
const WELL_BEFORE: Duration = Duration::from_secs(30);

#[test]
fn a_stopped_player_process_is_named_and_its_rally_ends_well_before_the_deadline() {
    let sb = Sandbox::new();
    let started = sb.start(&[
        "run",
        "--between",
        "processes",
        "--rounds",
        "1000000000",
        "--reps",
        "1",
        "--timeout",
        DEADLINE,
    ]);
    let pid = started.pid();
    // pong is the second player started.
    let mut pong = None;
    wait_for("both players to start", || {
        let players: Vec<u32> = children_of(pid).iter().map(|p| p.pid).collect();
        pong = players.get(1).copied();
        players.len() == 2
    });
    let pong = pong.unwrap();
    // Let the rally get under way, then stop pong.
    std::thread::sleep(Duration::from_millis(1500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pong as i32),
        nix::sys::signal::Signal::SIGSTOP,
    )
    .unwrap();
    let stopped = Instant::now();
    let done = started.wait(HANG_GUARD);
    let took = stopped.elapsed();
    assert_eq!(done.code(), Some(1), "{}", done.describe());
    assert!(
        took < WELL_BEFORE,
        "ended {took:?} after pong stopped, not by the watchdog: {}",
        done.describe()
    );
    assert!(
        done.stderr.contains(&format!(
            "pong (process {pong}) made no progress: it is stopped"
        )),
        "{}",
        done.describe()
    );
    assert!(done.stderr.contains("no ball moved"), "{}", done.describe());
    assert!(players_of(pid, &sb).is_empty(), "players left behind");
    sb.assert_tmpdir_empty();
}

#[test]
fn a_ball_lost_on_a_reliable_channel_is_named_by_the_watchdog_well_before_the_deadline() {
    for between in ["threads", "processes"] {
        let sb = Sandbox::new();
        let t0 = Instant::now();
        let done = sb
            .start(&[
                "run",
                "--between",
                between,
                "--rounds",
                "1000",
                "--reps",
                "1",
                "--inject",
                "drop:7",
                "--timeout",
                DEADLINE,
            ])
            .wait(HANG_GUARD);
        let took = t0.elapsed();
        assert_eq!(done.code(), Some(1), "{between}: {}", done.describe());
        assert!(took < WELL_BEFORE, "{between}: took {took:?}");
        assert!(
            done.stderr
                .contains("pong returned ball #6 but it never reached ping"),
            "{between}: {}",
            done.describe()
        );
        sb.assert_tmpdir_empty();
    }
}
