//! The small vocabularies every layer shares: where players live
//! ([`UnitKind`]), who they are ([`Role`]), how they exchange balls
//! ([`Pattern`]), for how long ([`Length`]), and on which CPUs
//! ([`Placement`], [`CpuSet`]).
//!
//! A leaf module, so that the channels, the players, the units and the
//! results can all name these without importing one another.

use serde::{Deserialize, Serialize};
use std::time::Duration;

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Ping,
    Pong,
}

impl Role {
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn name(self) -> &'static str {
        match self {
            Role::Ping => "ping",
            Role::Pong => "pong",
        }
    }
}

/// How balls are exchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// One ball in flight: ping sends, pong returns it (latency).
    Rally,
    /// Ping sends `window` balls, pong acknowledges the window (bandwidth, like osu_bw).
    Stream { window: u64 },
}

/// How long the timed part lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Length {
    Rounds(u64),
    Time(Duration),
}

/// Where the two players run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Placement {
    /// Wherever the kernel puts them.
    Free,
    /// Ping on the first CPU, pong on the second (may be the same).
    Pinned { ping: usize, pong: usize },
}

impl Placement {
    pub fn cpu(&self, role: Role) -> Option<usize> {
        match (self, role) {
            (Placement::Free, _) => None,
            (Placement::Pinned { ping, .. }, Role::Ping) => Some(*ping),
            (Placement::Pinned { pong, .. }, Role::Pong) => Some(*pong),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Placement::Free => "free".into(),
            Placement::Pinned { ping, pong } if ping == pong => format!("same CPU {ping}"),
            Placement::Pinned { ping, pong } => format!("CPUs {ping},{pong}"),
        }
    }
}

/// The CPUs a group of workers may use: all that pingpong may use, or
/// every worker pinned to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CpuSet {
    AllCpus,
    OneCpu,
}

impl CpuSet {
    pub const BOTH: [CpuSet; 2] = [CpuSet::AllCpus, CpuSet::OneCpu];

    pub fn label(self) -> &'static str {
        match self {
            CpuSet::AllCpus => "all CPUs",
            CpuSet::OneCpu => "one CPU",
        }
    }
}

impl std::fmt::Display for CpuSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::fmt::Display for UnitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
