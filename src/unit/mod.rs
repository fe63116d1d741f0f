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

use crate::player::{Kit, Role};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::os::fd::BorrowedFd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnitKind {
    #[serde(rename = "threads")]
    Thread,
    #[serde(rename = "processes")]
    Spawn,
    #[serde(rename = "processes-fork")]
    Fork,
    #[serde(rename = "tasks")]
    Tasks,
    #[serde(rename = "tasks-mt")]
    TasksMt,
}

impl UnitKind {
    pub const ALL: [UnitKind; 5] = [
        UnitKind::Thread,
        UnitKind::Spawn,
        UnitKind::Fork,
        UnitKind::Tasks,
        UnitKind::TasksMt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UnitKind::Thread => "threads",
            UnitKind::Spawn => "processes",
            UnitKind::Fork => "processes-fork",
            UnitKind::Tasks => "tasks",
            UnitKind::TasksMt => "tasks-mt",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            UnitKind::Thread => "two std::threads in one process",
            UnitKind::Spawn => "two child processes, our binary re-executed (spawn)",
            UnitKind::Fork => "two child processes forked without exec (fork)",
            UnitKind::Tasks => "two tokio tasks on a current-thread runtime (one thread)",
            UnitKind::TasksMt => "two tokio tasks on a multi-thread runtime (2 workers)",
        }
    }

    /// Parses a unit name, with the singular and start-method aliases.
    pub fn parse(s: &str) -> Option<UnitKind> {
        Some(match s {
            "threads" | "thread" => UnitKind::Thread,
            "processes" | "process" | "processes-spawn" | "spawn" => UnitKind::Spawn,
            "processes-fork" | "fork" => UnitKind::Fork,
            "tasks" | "task" => UnitKind::Tasks,
            "tasks-mt" | "task-mt" => UnitKind::TasksMt,
            _ => return None,
        })
    }

    pub fn is_process(self) -> bool {
        matches!(self, UnitKind::Spawn | UnitKind::Fork)
    }

    /// Whether players are async tasks (they need channels with an async end).
    pub fn is_task(self) -> bool {
        matches!(self, UnitKind::Tasks | UnitKind::TasksMt)
    }

    /// Starts one player of this unit.
    pub fn start(self, kit: Kit, foreign: &[BorrowedFd<'_>]) -> Result<Box<dyn Running>> {
        match self {
            UnitKind::Thread => thread::start(kit),
            UnitKind::Spawn => spawn::start(kit),
            UnitKind::Fork => fork::start(kit, foreign),
            UnitKind::Tasks => tasks::start(kit, false),
            UnitKind::TasksMt => tasks::start(kit, true),
        }
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
