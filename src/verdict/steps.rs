//! One experiment of the verdict's plan, run as its own
//! `pingpong <experiment> --json FILE` child — the very command a reader can
//! rerun alone — under a deadline, with the machine's other load measured
//! meanwhile; its document is read back typed ([`Document`]).

use super::{Outcome, Step};
use crate::document::Document;
use crate::subprocess::reap::Cut;
use anyhow::{bail, Context, Result};
use std::process::Stdio;
use std::time::Duration;

/// An experiment of the plan: its name and its arguments (without `--json`).
#[derive(Clone, Debug)]
pub struct ExperimentStep {
    pub name: &'static str,
    pub args: Vec<String>,
}

impl ExperimentStep {
    /// The command that reproduces this experiment alone.
    pub fn command(&self) -> String {
        let mut c = format!("pingpong {}", self.name);
        for a in &self.args {
            c.push(' ');
            c.push_str(a);
        }
        c
    }
}

/// The machine's other load while a step runs (shared with the experiments
/// that measure it themselves).
pub use crate::measure::load::LoadMeter;

/// Runs the step as a child of pingpong: its document, or why there is none.
pub fn run(step: &ExperimentStep, timeout: Duration) -> Step {
    let load = LoadMeter::start();
    let t0 = std::time::Instant::now();
    let outcome = match measure(step, timeout) {
        Ok(document) => Outcome::Measured {
            document: Box::new(document),
        },
        Err(e) => Outcome::Failed {
            // The error already names the command.
            why: format!("{e:#}"),
        },
    };
    Step {
        name: step.name.into(),
        command: step.command(),
        others_cpus: Some(load.others_cpus()),
        run: 0,
        disturbed: Vec::new(),
        seconds: t0.elapsed().as_secs_f64(),
        outcome,
    }
}

fn measure(step: &ExperimentStep, timeout: Duration) -> Result<Document> {
    let dir = crate::subprocess::tempdir::private("pingpong-verdict-")?;
    let json = dir.path().join(format!("{}.json", step.name));
    // A child of pingpong that dies with it, like every child.
    let mut child = crate::subprocess::reexec::ourselves(step.name)?
        .args(&step.args)
        .arg("--json")
        .arg(&json)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting `{}`", step.command()))?;
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let deadline = crate::subprocess::Deadline::after(timeout);
    let status = match crate::subprocess::reap::wait_or_kill(pid, &deadline, true)? {
        (ws, None) => crate::subprocess::reap::exit_status(&ws),
        (_, Some(Cut::Interrupted)) => return Err(anyhow::Error::new(crate::error::Interrupted)),
        (_, Some(Cut::Deadline)) => bail!(
            "`{}` did not finish within {}s",
            step.command(),
            timeout.as_secs()
        ),
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let text = std::fs::read_to_string(&json).with_context(|| {
        format!(
            "`{}` wrote no results ({status}): {}",
            step.command(),
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("reading the results of `{}`", step.command()))?;
    let mut doc = Document::from_value(value)
        .map_err(|e| anyhow::anyhow!("reading the results of `{}`: {e}", step.command()))?;
    // The command that reproduces it alone, not the verdict's temporary file.
    doc.header_mut().command = step.command().split(' ').map(String::from).collect();
    Ok(doc)
}
