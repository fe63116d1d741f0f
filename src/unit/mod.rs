//! Where a player lives: one file per unit, all behind [`Running`].
//!
//! * `threads` — two `std::thread`s in the pingpong process ([`thread`]).
//! * `processes` — the *spawn* start method: our own binary re-executed as a
//!   hidden `__player` subcommand, channel descriptors inherited ([`spawn`]).
//! * `processes-fork` — the *fork* start method: `fork` without `exec`,
//!   allowed only while pingpong is single-threaded ([`fork`]).
//! * `tasks`, `tasks-mt` — two tokio tasks on a current-thread or a
//!   multi-thread runtime, over channels with an async end ([`tasks`]).
//!
//! The names follow CPython's `multiprocessing` start methods, since the
//! claims pingpong tests were written with CPython in mind.

pub mod fork;
mod process;
pub mod spawn;
pub mod tasks;
pub mod thread;

use crate::kinds::{Role, UnitKind};
use crate::player::Kit;
use anyhow::Result;
use std::os::fd::BorrowedFd;

/// Starts one player of this unit.
pub fn start(kind: UnitKind, kit: Kit, foreign: &[BorrowedFd<'_>]) -> Result<Box<dyn Running>> {
    match kind {
        UnitKind::Thread => thread::start(kit),
        UnitKind::Spawn => spawn::start(kit),
        UnitKind::Fork => fork::start(kit, foreign),
        UnitKind::Tasks => tasks::start(kit, false),
        UnitKind::TasksMt => tasks::start(kit, true),
    }
}

/// How a player's unit ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The thread returned, or the process exited with status 0.
    Clean,
    /// A process exited with a non-zero status.
    Exited(i32),
    /// A process was killed by a signal.
    Signaled(String),
    /// A thread panicked.
    Panicked(String),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Clean => f.write_str("ended normally"),
            Ending::Exited(c) => write!(f, "exited with status {c}"),
            Ending::Signaled(s) => write!(f, "was killed by {s}"),
            Ending::Panicked(m) => write!(f, "panicked: {m}"),
        }
    }
}

/// A started player, as the supervisor sees it.
pub trait Running {
    fn role(&self) -> Role;
    /// The process id of a process player.
    fn pid(&self) -> Option<u32>;
    /// Makes the player stop now: a process is killed (SIGKILL); a thread is
    /// told to give up and its blocking call interrupted (threads cannot be
    /// killed). Safe to call repeatedly.
    fn stop(&mut self);
    /// Whether the player has ended, and how; reaps or joins it. Never blocks.
    fn try_end(&mut self) -> Option<Ending>;
}
