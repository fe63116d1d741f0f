//! Zombies (claim A7): a child that has exited but is not yet reaped stays
//! in the process table in state Z; `waitpid` removes it. A thread leaves no
//! such thing: the kernel reaps a finished thread's task itself (`join`
//! only collects its result).

use super::{command, mono_ns, report, run_case, Observed, Row};
use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub fn run(quick: bool) -> Vec<Row> {
    run_case(
        "zombies",
        "unreaped child",
        "process",
        &["zombie"],
        super::deadline(quick),
    )
}

fn state(path: &str) -> Option<char> {
    let s = std::fs::read_to_string(path).ok()?;
    s.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

pub fn child(arg: &str) -> Result<i32> {
    match arg {
        "zombie" => {}
        _ => return Ok(0), // "exit": a child that ends at once
    }
    zombie_process()?;
    finished_thread();
    Ok(0)
}

/// A child process that ended: a zombie until its parent reaps it.
fn zombie_process() -> Result<()> {
    let mut cmd = command(&["zombies".into(), "exit".into()])?;
    cmd.stdin(Stdio::null()).stdout(Stdio::null());
    let child = cmd.spawn().context("starting a child")?;
    let pid = Pid::from_raw(child.id() as i32);
    let path = format!("/proc/{pid}/stat");
    let t0 = mono_ns();
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen_z = None;
    while Instant::now() < end {
        if state(&path) == Some('Z') {
            seen_z = Some(mono_ns());
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    // Still a zombie a while later: nobody but its parent can remove it.
    std::thread::sleep(Duration::from_millis(50));
    let still_z = state(&path) == Some('Z');
    let before = mono_ns();
    let ws = waitpid(pid, None).context("waitpid")?;
    let reaped = mono_ns();
    let gone = state(&path).is_none();
    let mut figures = BTreeMap::new();
    figures.insert("seen_in_state_z".into(), seen_z.is_some() as u8 as f64);
    figures.insert("still_z_after_50ms".into(), still_z as u8 as f64);
    figures.insert("gone_after_waitpid".into(), gone as u8 as f64);
    figures.insert("waitpid_ns".into(), reaped.saturating_sub(before) as f64);
    report(&Row {
        outcome: match (seen_z.is_some(), gone) {
            (true, true) => "seen in state Z until reaped; gone after waitpid".into(),
            (true, false) => "seen in state Z; still listed after waitpid".into(),
            (false, _) => "never seen in state Z".into(),
        },
        status: super::describe(&ws).0,
        observed: Observed::Zombie {
            seen: seen_z.is_some(),
            gone_after_wait: gone,
        },
        survived: Some(true),
        notice_ns: seen_z.map(|z| z.saturating_sub(t0) as f64),
        detail: format!(
            "pid {pid}: /proc/{pid}/stat said Z{}; time to notice = from start until state Z was seen",
            if still_z { " and still Z 50 ms later" } else { "" }
        ),
        figures,
        ..Row::default()
    });
    Ok(())
}

/// A thread: its task vanishes by itself once it has finished.
fn finished_thread() {
    let tid = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let t = tid.clone();
    let h = std::thread::spawn(move || {
        t.store(
            rustix::thread::gettid().as_raw_nonzero().get() as u64,
            std::sync::atomic::Ordering::SeqCst,
        );
    });
    let tpath = |tid: u64| format!("/proc/self/task/{tid}");
    let end = Instant::now() + Duration::from_secs(5);
    let mut vanished = false;
    while Instant::now() < end {
        let id = tid.load(std::sync::atomic::Ordering::SeqCst);
        if h.is_finished() && id != 0 && !std::path::Path::new(&tpath(id)).exists() {
            vanished = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let _ = h.join();
    report(&Row {
        case: "finished thread, not yet joined".into(),
        unit: "thread".into(),
        outcome: if vanished {
            "no zombie: its task was gone before join".into()
        } else {
            "its task was still listed".into()
        },
        status: "joined".into(),
        observed: Observed::FinishedThread {
            lingered: !vanished,
        },
        survived: Some(true),
        notice_ns: None,
        detail: "the kernel reaps a finished thread itself; only its result waits for join".into(),
        ..Row::default()
    });
}
