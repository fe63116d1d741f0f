//! Running one Python program under a deadline, leaving nothing behind.
//!
//! The interpreter runs below a guard ([`crate::subprocess::guard`]), in a
//! process group of its own. Past the deadline (or on Ctrl-C) the guard is
//! told to end everything below it; after a normal exit it does so anyway,
//! so a multiprocessing child, a forkserver or a resource tracker that
//! outlived the interpreter cannot linger; and when pingpong dies, the guard
//! is told by its parent-death signal. The interpreter's temporary files go
//! into the private directory of the programs, so they go with it. Output
//! is read by threads so a full pipe cannot stall the child.

use crate::error::Interrupted;
use crate::subprocess::reap::{self, Cut};
use crate::subprocess::{guard, Deadline};
use anyhow::{bail, Context, Result};
use nix::unistd::Pid;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

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

/// Runs `python dir/main.py args…` in `dir`, within `timeout`, below a
/// guard; `dir` is also its temporary directory.
pub fn run(python: &Path, dir: &Path, args: &[String], timeout: Duration) -> Result<Output> {
    let what = format!("{} main.py {}", python.display(), args.join(" "));
    let mut cmd = guard::command(python)?;
    cmd.arg(dir.join("main.py"))
        .args(args)
        .current_dir(dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // `multiprocessing` keeps its sockets in `pymp-*` there: they go with
    // the directory, even when the interpreter is killed.
    for var in ["TMPDIR", "TEMP", "TMP"] {
        cmd.env(var, dir);
    }
    let mut child = cmd.spawn().with_context(|| format!("starting `{what}`"))?;
    let pid = Pid::from_raw(child.id() as i32);
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    // Whatever happens, nothing below the guard outlives this call.
    let waited = guard::wait(pid, &Deadline::after(timeout), true);
    if waited.is_err() {
        // The wait itself failed: stop the guard before waiting for its output.
        let _ = guard::stop(pid);
    }
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let status = match waited.with_context(|| format!("waiting for `{what}`"))? {
        (ws, None) => reap::exit_status(&ws),
        (_, Some(Cut::Interrupted)) => return Err(anyhow::Error::new(Interrupted)),
        (_, Some(Cut::Deadline)) => bail!(
            "`{what}` did not finish within {}s; its process group was killed and reaped",
            timeout.as_secs_f64()
        ),
    };
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
