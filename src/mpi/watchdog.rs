//! A rank's watchdog: MPI calls block without a timeout and cannot be
//! interrupted, so a rank whose peer is stuck or gone would wait for ever.
//! The watchdog is a thread that sleeps until the current step's deadline
//! (waking at least once a second to notice Ctrl-C) and, if the step is still
//! running then, says what the rank was waiting for and ends the process;
//! `mpirun` then ends the other rank. It never calls MPI.

use crate::kinds::Role;
use crate::player::board::Board;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a rank may take to end by itself after Ctrl-C or SIGTERM.
const GRACE: Duration = Duration::from_secs(3);
/// The longest the watchdog sleeps without looking at the interrupt flag.
const TICK: Duration = Duration::from_secs(1);

/// What is being watched.
struct Step {
    until: Instant,
    what: String,
    limit: Duration,
    /// Whether the player's board says more (during a rally).
    rally: bool,
}

#[derive(Default)]
struct State {
    step: Option<Step>,
    quit: bool,
}

pub struct Watchdog {
    shared: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching this rank (`name`, e.g. "rank 1 (pong)"); `board`
    /// tells which ball the player was on when it stalled.
    pub fn start(name: String, role: Role, board: Arc<Board>) -> std::io::Result<Watchdog> {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || watch(&s, &name, role, &board))?;
        Ok(Watchdog {
            shared,
            thread: Some(thread),
        })
    }

    /// Watches a new step: `what` must be over within `limit`.
    pub fn arm(&self, what: impl Into<String>, limit: Duration) {
        self.set(what.into(), limit, false);
    }

    /// Watches a rally, which must be over within `limit`; a stall names
    /// the ball the player was on.
    pub fn arm_rally(&self, what: impl Into<String>, limit: Duration) {
        self.set(what.into(), limit, true);
    }

    fn set(&self, what: String, limit: Duration, rally: bool) {
        let (m, cv) = &*self.shared;
        let mut st = m.lock().unwrap_or_else(|p| p.into_inner());
        st.step = Some(Step {
            until: Instant::now() + limit,
            what,
            limit,
            rally,
        });
        cv.notify_one();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        {
            let (m, cv) = &*self.shared;
            m.lock().unwrap_or_else(|p| p.into_inner()).quit = true;
            cv.notify_one();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch(shared: &(Mutex<State>, Condvar), name: &str, role: Role, board: &Board) {
    let (m, cv) = shared;
    let mut interrupted_at: Option<Instant> = None;
    let mut st = m.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        if st.quit {
            return;
        }
        let now = Instant::now();
        if crate::interrupt::interrupted() {
            let since = *interrupted_at.get_or_insert(now);
            if now - since >= GRACE {
                end(
                    130,
                    &format!("{name}: interrupted, and still blocked in MPI after {GRACE:?}: ending this rank"),
                );
            }
        }
        if let Some(step) = &st.step {
            if now >= step.until {
                let doing = if step.rally {
                    let (phase, seq) = board.read(role);
                    format!(" (it was {})", phase.describe(seq))
                } else {
                    String::new()
                };
                end(
                    1,
                    &format!(
                        "{name}: {}{doing} did not finish within {} (the deadline, --timeout): \
                         the other rank is stuck or gone, or the match needs a longer --timeout",
                        step.what,
                        humantime::format_duration(step.limit),
                    ),
                );
            }
        }
        let wake = st
            .step
            .as_ref()
            .map(|s| s.until.saturating_duration_since(now))
            .unwrap_or(TICK)
            .min(TICK);
        st = cv
            .wait_timeout(st, wake)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
}

/// Says why and ends the process at once: the main thread is blocked in
/// MPI, so nothing could unwind it, and `exit` would run MPI's handlers
/// from the wrong thread.
fn end(code: i32, why: &str) -> ! {
    eprintln!("error: {why}");
    // SAFETY: _exit ends the process at once without running atexit
    // handlers or destructors, which is the point here; nothing after it runs.
    unsafe { nix::libc::_exit(code) }
}
