//! Running one Python program under a deadline, leaving nothing behind.
//!
//! The interpreter starts in a process group of its own. Past the deadline
//! (or on Ctrl-C) the whole group is killed; after a normal exit the group
//! is killed anyway, so a multiprocessing child, a forkserver or a resource
//! tracker that outlived its parent cannot linger. Output is read by threads
//! so a full pipe cannot stall the child.

use crate::error::Interrupted;
use anyhow::{bail, Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished program left: its exit status, stdout and stderr.
pub struct Output {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

fn reader(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut r) = r {
            let _ = r.read_to_string(&mut s);
        }
        s
    })
}

/// Runs `python dir/main.py args…` in `dir`, within `timeout`.
pub fn run(python: &Path, dir: &Path, args: &[String], timeout: Duration) -> Result<Output> {
    let what = format!("{} main.py {}", python.display(), args.join(" "));
    let mut child = Command::new(python)
        .arg(dir.join("main.py"))
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting `{what}`"))?;
    let group = Pid::from_raw(-(child.id() as i32));
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Ok(s),
            Ok(None) => {}
            Err(e) => break Err(anyhow::Error::new(e).context(format!("waiting for `{what}`"))),
        }
        if crate::interrupt::interrupted() {
            break Err(anyhow::Error::new(Interrupted));
        }
        if Instant::now() >= deadline {
            break Err(anyhow::anyhow!(
                "`{what}` did not finish within {}s; its process group was killed and reaped",
                timeout.as_secs_f64()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever happened, nothing of the group outlives this call.
    let _ = kill(group, Signal::SIGKILL);
    let _ = child.wait();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let status = status?;
    Ok(Output {
        success: status.success(),
        status: status.to_string(),
        stdout,
        stderr,
    })
}

/// The JSON object a program printed (its last line), or why there is none.
pub fn json(out: &Output, what: &str) -> Result<serde_json::Value> {
    let last = out.stdout.lines().rev().find(|l| !l.trim().is_empty());
    match last.map(serde_json::from_str::<serde_json::Value>) {
        Some(Ok(v)) if out.success => Ok(v),
        _ => bail!(
            "{what} failed ({}): {}",
            out.status,
            out.stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
        ),
    }
}
