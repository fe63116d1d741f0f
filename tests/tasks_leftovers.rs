//! Tasks matches played through the library leave nothing behind in the
//! process: the runtime's thread is joined and every channel descriptor
//! closed, for each unit and channel, and after a failed match too. Its own
//! test binary, so no other test's threads or descriptors come and go.

use pingpong::ball::Verify;
use pingpong::channel;
use pingpong::engine::{self, Match};
use pingpong::kinds::Placement;
use pingpong::kinds::UnitKind;
use pingpong::kinds::{Length, Pattern};
use pingpong::player::Script;
use std::time::Duration;

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

fn play(unit: UnitKind, via: &str, fault: Option<&str>) -> bool {
    let c = channel::by_name(via).expect("channel");
    let m = Match {
        unit,
        channel: c,
        script: Script {
            payload: Default::default(),
            size: 64,
            pattern: Pattern::Rally,
            length: Length::Rounds(100),
            warmup_rounds: 5,
            verify: Verify::All,
            batch: Some(1),
            clock_cost_ns: 0.0,
            lossy: false,
            fault: fault.map(|f| f.parse().expect("fault")),
            pace: None,
        },
        placement: Placement::Free,
        timeout: Duration::from_secs(30),
        loss_timeout: Duration::from_secs(2),
    };
    engine::play(&m, None).is_ok()
}

#[test]
fn no_thread_or_descriptor_outlives_a_tasks_match() {
    // One warm-up match, so lazily made process-wide state exists already.
    assert!(play(UnitKind::Tasks, "pipe", None));
    let fds = count("/proc/self/fd");
    let threads = count("/proc/self/task");
    for unit in [UnitKind::Tasks, UnitKind::TasksMt] {
        for via in ["tokio-mpsc", "tokio-notify", "pipe", "unix", "tcp"] {
            assert!(play(unit, via, None), "{unit:?} {via}");
        }
    }
    // A damaged match still ends cleanly (damage is counted, not fatal).
    assert!(play(UnitKind::TasksMt, "unix", Some("corrupt:10")));
    assert_eq!(count("/proc/self/fd"), fds, "descriptors left behind");
    assert_eq!(count("/proc/self/task"), threads, "threads left behind");
}
