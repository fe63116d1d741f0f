//! Re-executing our own binary: the safe way to get a process from a
//! multi-threaded pingpong, and the way every helper process is made (the
//! `processes` unit's players, the faults' sacrificial children, the
//! memory experiment's idle children, the verdict's steps, the guard).
//!
//! The child `exec`s at once, so unlike [`super::fork`] it inherits no
//! locked lock, whatever threads pingpong runs. Its first argument is a
//! subcommand: a hidden one (`__player`, `__fault`, `__guard`, …) that
//! `main` dispatches before parsing the command line, or a plain one (a
//! verdict step runs `pingpong scale …`). It dies with its parent
//! ([`super::deathsig`]); every descriptor pingpong makes is close-on-exec,
//! so it inherits only those named in [`BeforeExec::inherit`].

use super::deathsig::{self, BeforeExec};
use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use std::path::PathBuf;
use std::process::Command;

/// The path of our own executable.
pub fn exe() -> Result<PathBuf> {
    std::env::current_exe().context("finding our own executable to re-execute")
}

/// `pingpong SUBCOMMAND`, dying with this process (SIGKILL). Spawn it from
/// a thread that outlives the child (see [`super::deathsig`]).
pub fn ourselves(subcommand: &str) -> Result<Command> {
    ourselves_with(subcommand, BeforeExec::dying_with(Signal::SIGKILL))
}

/// `pingpong SUBCOMMAND`, doing `before` between `fork` and `exec`.
pub fn ourselves_with(subcommand: &str, before: BeforeExec) -> Result<Command> {
    let mut cmd = Command::new(exe()?);
    cmd.arg(subcommand);
    deathsig::arm(&mut cmd, before);
    Ok(cmd)
}
