//! `processes-fork` refuses to fork a multi-threaded pingpong: after `fork`
//! only the calling thread exists in the child, and a lock another thread
//! held (the allocator's, stdio's) would stay locked there forever. The test
//! harness is multi-threaded, so playing a fork match from a test, through
//! the library, must be refused with a usage error naming the alternative.

use pingpong::ball::Verify;
use pingpong::channel;
use pingpong::engine::{self, Match};
use pingpong::kinds::Placement;
use pingpong::kinds::UnitKind;
use pingpong::kinds::{Length, Pattern};
use pingpong::player::Script;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn a_fork_match_in_a_multi_threaded_process_is_refused_naming_the_spawn_alternative() {
    // Whatever thread the harness runs this test on, one more thread is
    // alive until the end of the test.
    let (hold, held) = mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let _ = held.recv();
    });
    let threads = pingpong::subprocess::fork::thread_count().expect("counting threads");
    assert!(threads > 1, "the test process runs {threads} thread(s)");

    let pipe = channel::by_name("pipe").expect("the pipe channel");
    let m = Match {
        unit: UnitKind::Fork,
        channel: pipe,
        script: Script {
            payload: Default::default(),
            size: 16,
            pattern: Pattern::Rally,
            length: Length::Rounds(10),
            warmup_rounds: 0,
            verify: Verify::All,
            batch: Some(1),
            clock_cost_ns: 0.0,
            lossy: pipe.lossy(),
            fault: None,
            pace: None,
        },
        placement: Placement::Free,
        timeout: Duration::from_secs(30),
        loss_timeout: Duration::from_secs(2),
    };
    let err = match engine::play(&m, None) {
        Ok(_) => panic!("a multi-threaded process forked its players"),
        Err(e) => e,
    };
    let text = format!("{err:#}");
    assert!(text.contains("refusing to fork"), "{text}");
    assert!(text.contains("--between processes"), "{text}");
    assert_eq!(
        pingpong::error::exit_code(&err),
        2,
        "a refused fork is a usage error: {text}"
    );
    // Nothing was forked: this process has no child left behind.
    let me = std::process::id().to_string();
    let children = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            stat.rfind(')')
                .and_then(|c| stat[c + 1..].split_whitespace().nth(1))
                == Some(me.as_str())
        })
        .count();
    assert_eq!(children, 0, "a refused fork left child processes");

    let _ = hold.send(());
    let _ = other.join();
}
