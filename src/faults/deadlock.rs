//! Deadlock (claim T13): two threads taking two locks in opposite order,
//! and two processes each waiting on the other's pipe.
//!
//! A watchdog notices that no progress is made within a deadline. For the
//! threads it names the units and the locks they hold and wait for, from our
//! own bookkeeping (every lock taken through [`Book::lock`] says what it
//! waits for and what it holds), and finds the cycle. Deadlocked threads
//! cannot be stopped, so the experiment ends by ending its sacrificial
//! process. For the processes it reads their state from /proc, then kills
//! and reaps them.

use super::{command, mono_ns, report, run_case, wait_until, Observed, Row};
use anyhow::{Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::Duration;

pub fn run(quick: bool) -> Vec<Row> {
    let window = if quick { "200" } else { "1000" };
    let mut rows = run_case(
        "deadlock",
        "two locks, opposite order",
        "threads",
        &["threads", window],
        super::deadline(quick),
    );
    rows.extend(run_case(
        "deadlock",
        "each waits on the other's pipe",
        "processes",
        &["processes", window],
        super::deadline(quick),
    ));
    rows
}

/// Per unit: the locks it holds, and the lock it waits for.
type Holdings = BTreeMap<&'static str, (Vec<&'static str>, Option<&'static str>)>;

/// Who holds and who waits for which lock.
#[derive(Default)]
struct Book {
    state: Mutex<Holdings>,
    progress: AtomicU64,
    last_change_ns: AtomicU64,
}

impl Book {
    fn update(&self, f: impl FnOnce(&mut Holdings)) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s);
        self.last_change_ns.store(mono_ns(), Ordering::SeqCst);
    }

    /// Takes `m`, named `lock`, for unit `who`, recording the wait and the hold.
    fn lock<'a, T>(
        &self,
        who: &'static str,
        lock: &'static str,
        m: &'a Mutex<T>,
    ) -> MutexGuard<'a, T> {
        self.update(|s| s.entry(who).or_default().1 = Some(lock));
        let g = m.lock().unwrap_or_else(|p| p.into_inner());
        self.update(|s| {
            let e = s.entry(who).or_default();
            e.1 = None;
            e.0.push(lock);
        });
        self.progress.fetch_add(1, Ordering::SeqCst);
        g
    }

    /// A cycle in the wait-for graph, described; None if there is none.
    fn cycle(&self) -> Option<String> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let holder = |lock: &str| {
            s.iter()
                .find(|(_, (h, _))| h.contains(&lock))
                .map(|(w, _)| *w)
        };
        let start = *s.keys().next()?;
        let mut path = vec![start];
        let mut at = start;
        loop {
            let waits = s.get(at)?.1?;
            let next = holder(waits)?;
            if next == start {
                break;
            }
            if path.contains(&next) || path.len() > s.len() {
                return None;
            }
            path.push(next);
            at = next;
        }
        Some(
            path.iter()
                .map(|w| {
                    let (h, wt) = &s[w];
                    format!(
                        "{w} holds {} and waits for {}",
                        h.join("+"),
                        wt.unwrap_or("-")
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    let window = Duration::from_millis(rest.first().and_then(|w| w.parse().ok()).unwrap_or(200));
    match arg {
        "threads" => threads(window),
        "processes" => processes(window),
        "pipe-worker" => {
            // Read one byte from the other, then answer: both wait first.
            let mut b = [0u8; 1];
            let _ = std::io::Read::read(&mut std::io::stdin(), &mut b);
            let _ = std::io::Write::write(&mut std::io::stdout(), &b);
            Ok(0)
        }
        _ => Ok(2),
    }
}

fn threads(window: Duration) -> Result<i32> {
    let book = Arc::new(Book::default());
    let l1 = Arc::new(Mutex::new(0u64));
    let l2 = Arc::new(Mutex::new(0u64));
    let barrier = Arc::new(Barrier::new(2));
    let start = mono_ns();
    for (who, first, second, a, b) in [
        ("thread-a", "L1", "L2", l1.clone(), l2.clone()),
        ("thread-b", "L2", "L1", l2.clone(), l1.clone()),
    ] {
        let (book, barrier) = (book.clone(), barrier.clone());
        std::thread::Builder::new()
            .name(who.into())
            .spawn(move || {
                let mut g1 = book.lock(who, first, &a);
                // Both hold their first lock before either asks for the second.
                barrier.wait();
                let mut g2 = book.lock(who, second, &b);
                *g1 += 1;
                *g2 += 1;
            })?;
    }
    // The watchdog: no progress within the window means a hang.
    let mut seen = book.progress.load(Ordering::SeqCst);
    let mut since = std::time::Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(5));
        let now = book.progress.load(Ordering::SeqCst);
        if now != seen {
            seen = now;
            since = std::time::Instant::now();
        } else if since.elapsed() >= window {
            break;
        }
    }
    let detected = mono_ns();
    let stuck_since = book.last_change_ns.load(Ordering::SeqCst);
    let detected_cycle = book.cycle();
    let found = detected_cycle.is_some();
    let (outcome, detail) = match detected_cycle {
        Some(c) => (
            format!(
                "deadlock detected after {} ms without progress",
                window.as_millis()
            ),
            format!("{c}; the threads cannot be stopped, so the sacrificial process exits"),
        ),
        None => ("no progress, but no cycle found".into(), String::new()),
    };
    let mut figures = BTreeMap::new();
    figures.insert("window_ms".into(), window.as_millis() as f64);
    figures.insert("run_ns".into(), detected.saturating_sub(start) as f64);
    report(&Row {
        outcome,
        status: "hung → process exit".into(),
        observed: Observed::Deadlock { detected: found },
        survived: Some(true),
        notice_ns: Some(detected.saturating_sub(stuck_since) as f64),
        detail,
        figures,
        ..Row::default()
    });
    // The two threads are stuck for good: end the process around them.
    std::process::exit(0);
}

fn proc_state(pid: Pid) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, r)| r.split_whitespace().next())
        .unwrap_or("?")
        .to_string();
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    if wchan.is_empty() || wchan == "0" {
        format!("state {state}")
    } else {
        format!("state {state} in {wchan}")
    }
}

fn processes(window: Duration) -> Result<i32> {
    let flags = rustix::pipe::PipeFlags::CLOEXEC;
    let (a_r, a_w) = rustix::pipe::pipe_with(flags)?;
    let (b_r, b_w) = rustix::pipe::pipe_with(flags)?;
    let start = mono_ns();
    let mut one = command(&["deadlock".into(), "pipe-worker".into()])?;
    one.stdin(Stdio::from(a_r)).stdout(Stdio::from(b_w));
    let one = one.spawn().context("starting process A")?;
    let mut two = command(&["deadlock".into(), "pipe-worker".into()])?;
    two.stdin(Stdio::from(b_r)).stdout(Stdio::from(a_w));
    let two = two.spawn().context("starting process B")?;
    // `one` and `two` own the only ends now (ours were moved into Stdio and dropped).
    let (p1, p2) = (
        Pid::from_raw(one.id() as i32),
        Pid::from_raw(two.id() as i32),
    );
    // The watchdog: if neither ends within the window, they hang.
    let (ws1, hung) = wait_until_alive(p1, window)?;
    let detected = mono_ns();
    let (outcome, detail, ended_ns) = if hung {
        let s1 = proc_state(p1);
        let s2 = proc_state(p2);
        let t = mono_ns();
        let _ = kill(p1, Signal::SIGKILL);
        let _ = kill(p2, Signal::SIGKILL);
        let _ = wait_until(p1, Duration::from_secs(5));
        let _ = wait_until(p2, Duration::from_secs(5));
        (
            format!(
                "hang detected after {} ms without progress; both killed and reaped",
                window.as_millis()
            ),
            format!(
                "process A (pid {p1}, {s1}) waits to read B's pipe; process B (pid {p2}, {s2}) waits to read A's pipe"
            ),
            mono_ns().saturating_sub(t),
        )
    } else {
        let _ = wait_until(p2, Duration::from_secs(5));
        (format!("no hang ({ws1:?})"), String::new(), 0)
    };
    let mut figures = BTreeMap::new();
    figures.insert("window_ms".into(), window.as_millis() as f64);
    figures.insert("kill_to_reaped_ns".into(), ended_ns as f64);
    report(&Row {
        outcome,
        status: if hung { "SIGKILL" } else { "exit" }.into(),
        observed: Observed::Deadlock { detected: hung },
        survived: Some(true),
        notice_ns: Some(detected.saturating_sub(start) as f64),
        detail,
        figures,
        ..Row::default()
    });
    Ok(0)
}

/// Like [`wait_until`], but at the deadline leaves the process alive and
/// says so (true), instead of killing it.
fn wait_until_alive(pid: Pid, window: Duration) -> Result<(String, bool)> {
    use crate::subprocess::{reap, Deadline};
    Ok(match reap::wait(pid, &Deadline::after(window), false)? {
        reap::Waited::Ended(ws) => (super::describe(&ws).0, false),
        reap::Waited::Cut(_) => (String::new(), true),
    })
}
