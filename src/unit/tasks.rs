//! `tasks` and `tasks-mt`: ping and pong as two tokio tasks in the
//! pingpong process, on a current-thread runtime (both tasks take turns on
//! one thread) or on a multi-thread runtime with two workers.
//!
//! Why the two players share one runtime, started with the second player:
//! tasks are only worth measuring as tasks of the *same* runtime (that is
//! what an async program does), yet the supervisor starts its players one by
//! one. So the first player's kit waits here until the second arrives; then
//! one thread builds the runtime and spawns both. Each player still gets its
//! own [`Running`] handle, and reports over its own control line, so the
//! supervisor's barrier, deadline and failure reporting are unchanged.
//! Stopping a task aborts it at its next await (and raises the players'
//! abort flag, as for threads); a task cannot be killed mid-poll any more
//! than a thread can.
//!
//! Placement: on a current-thread runtime the runtime's thread is pinned to
//! ping's CPU (pong shares it, whatever `--cpus` says for pong); the
//! multi-thread runtime's workers are left where the kernel puts them.

use super::{Ending, Running};
use crate::kinds::Role;
use crate::player::{asynchronous, Kit};
use anyhow::{anyhow, Context, Result};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::task::AbortHandle;

/// What the two handles and the runtime's thread share.
#[derive(Default)]
struct Shared {
    endings: Mutex<[Option<Ending>; 2]>,
    aborts: Mutex<Vec<AbortHandle>>,
    stopped: std::sync::atomic::AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// The first player's kit, waiting for the second's.
static WAITING: Mutex<Option<(Kit, Arc<Shared>)>> = Mutex::new(None);

struct TaskPlayer {
    role: Role,
    shared: Arc<Shared>,
}

pub fn start(kit: Kit, multi: bool) -> Result<Box<dyn Running>> {
    let role = kit.spec.role;
    let mut waiting = WAITING
        .lock()
        .map_err(|_| anyhow!("the tasks rendezvous was poisoned"))?;
    let Some((first, shared)) = waiting.take() else {
        let shared = Arc::new(Shared::default());
        *waiting = Some((kit, shared.clone()));
        return Ok(Box::new(TaskPlayer { role, shared }));
    };
    drop(waiting);
    let cpu = if multi {
        None
    } else {
        first.spec.cpu.or(kit.spec.cpu)
    };
    let for_thread = shared.clone();
    let handle = std::thread::Builder::new()
        .name(if multi { "tasks-mt" } else { "tasks" }.into())
        .spawn(move || run_runtime(multi, cpu, [first, kit], for_thread))
        .context("starting the tasks' runtime thread")?;
    if let Ok(mut t) = shared.thread.lock() {
        *t = Some(handle);
    }
    Ok(Box::new(TaskPlayer { role, shared }))
}

/// The runtime's thread: builds the runtime, spawns both players, and
/// records how each ended.
fn run_runtime(multi: bool, cpu: Option<usize>, kits: [Kit; 2], shared: Arc<Shared>) {
    let set = |role: Role, e: Ending| {
        if let Ok(mut end) = shared.endings.lock() {
            end[role.index()] = Some(e);
        }
    };
    if let Some(c) = cpu {
        if let Err(e) = crate::measure::placement::pin_to(c) {
            for k in &kits {
                let _ = k.line.send(&crate::player::control::Msg::Failed {
                    error: format!("{}: {e:#}", k.spec.role.name()),
                });
            }
            for k in &kits {
                set(k.spec.role, Ending::Clean);
            }
            return;
        }
    }
    let runtime = if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            for k in &kits {
                let _ = k.line.send(&crate::player::control::Msg::Failed {
                    error: format!("{}: building the tokio runtime: {e}", k.spec.role.name()),
                });
                set(k.spec.role, Ending::Clean);
            }
            return;
        }
    };
    runtime.block_on(async {
        let mut handles = Vec::new();
        for kit in kits {
            let role = kit.spec.role;
            let h = tokio::spawn(asynchronous::play(kit));
            if let Ok(mut a) = shared.aborts.lock() {
                a.push(h.abort_handle());
            }
            handles.push((role, h));
        }
        if shared.stopped.load(std::sync::atomic::Ordering::Acquire) {
            for (_, h) in &handles {
                h.abort();
            }
        }
        for (role, h) in handles {
            let ending = match h.await {
                Ok(_) => Ending::Clean,
                Err(e) if e.is_panic() => Ending::Panicked(panic_text(e.into_panic())),
                Err(_) => Ending::Signaled("task aborted".into()),
            };
            set(role, ending);
        }
    });
    // Dropping the runtime waits for blocking work (a task stopped at its
    // start barrier, whose line the supervisor has hung up).
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

impl Running for TaskPlayer {
    fn role(&self) -> Role {
        self.role
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn stop(&mut self) {
        crate::interrupt::abort_players();
        self.shared
            .stopped
            .store(true, std::sync::atomic::Ordering::Release);
        if let Ok(a) = self.shared.aborts.lock() {
            for h in a.iter() {
                h.abort();
            }
        }
        // A player whose partner never started: nothing will run it.
        if let Ok(mut w) = WAITING.lock() {
            if w.as_ref()
                .is_some_and(|(_, s)| Arc::ptr_eq(s, &self.shared))
            {
                *w = None;
                if let Ok(mut end) = self.shared.endings.lock() {
                    end[self.role.index()] = Some(Ending::Clean);
                }
            }
        }
    }

    fn try_end(&mut self) -> Option<Ending> {
        self.shared.endings.lock().ok()?[self.role.index()].clone()
    }
}

impl Drop for TaskPlayer {
    fn drop(&mut self) {
        // The last handle joins the runtime's thread (bounded, as for threads).
        if Arc::strong_count(&self.shared) > 2 {
            return;
        }
        let handle = self.shared.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(h) = handle {
            for _ in 0..400 {
                if h.is_finished() {
                    let _ = h.join();
                    return;
                }
                self.stop();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}
