//! The two players and what they do, whatever unit they live in.
//!
//! [`play`] is the whole life of a player: pin itself, open its end of the
//! channel, report ready, wait at the start barrier, rally, report. A thread
//! runs it on a `std::thread`, a forked process runs it right after `fork`,
//! and a re-executed process runs it from the hidden `__player` subcommand:
//! one piece of code, so threads and processes are compared on equal terms.

pub mod asynchronous;
pub mod board;
pub mod control;
pub mod hits;
mod ping;
mod pong;
pub mod report;

use crate::ball::Verify;
use crate::channel::faulty::{Fault, Faulty};
use crate::channel::{ChannelError, EndpointSpec};
use crate::kinds::{Length, Pattern, Role};
use crate::measure::placement;
use board::{Board, Phase};
use control::{Msg, PlayerLine};
use serde::{Deserialize, Serialize};
use std::os::fd::OwnedFd;
use std::time::Duration;

/// What both players agree on before the first ball.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Script {
    pub size: usize,
    pub pattern: Pattern,
    pub length: Length,
    /// Untimed round trips (rally) or windows (stream) before timing starts.
    pub warmup_rounds: u64,
    pub verify: Verify,
    /// Round trips per timed sample; `None` lets ping choose from the clock's cost.
    pub batch: Option<u64>,
    /// Cost of one clock read, ns (measured by the supervisor at start).
    pub clock_cost_ns: f64,
    /// Whether a missing reply is a loss to count (UDP) rather than a stall.
    pub lossy: bool,
    /// Damage done on purpose to pong's replies (tests).
    pub fault: Option<Fault>,
    /// Demo mode: each player waits this long before each hit and logs it.
    pub pace: Option<Duration>,
    /// What travels: the raw ball, or a struct encoded with postcard.
    #[serde(default)]
    pub payload: crate::channel::payload::Payload,
}

impl Script {
    /// Balls sent before the timed part: both players know it, so pong
    /// starts its CPU accounting at the same ball as ping.
    pub fn warmup_balls(&self) -> u64 {
        match self.pattern {
            Pattern::Rally => self.warmup_rounds,
            Pattern::Stream { window } => self.warmup_rounds * window,
        }
    }
}

/// One player's part: its role, its CPU, the script.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlayerSpec {
    pub role: Role,
    pub cpu: Option<usize>,
    pub script: Script,
    /// The match's deadline, set-up included (tasks also enforce it
    /// themselves with `tokio::time::timeout`).
    #[serde(default)]
    pub deadline: Option<Duration>,
}

/// Everything a player needs to play.
pub struct Kit {
    pub spec: PlayerSpec,
    pub endpoint: EndpointSpec,
    pub line: PlayerLine,
    pub board: Board,
    /// Demo mode: where each hit is logged ("ping 3 <ns>"), shared by both players.
    pub events: Option<OwnedFd>,
}

/// A player's failure, with what it was doing.
#[derive(Debug, thiserror::Error)]
#[error("{role}: {doing}: {cause}")]
pub struct PlayError {
    pub role: &'static str,
    pub doing: String,
    pub cause: String,
}

/// A player's buffer for a ball (or an acknowledgement), or why it could not have one.
pub(crate) fn buffer(role: Role, len: usize) -> Result<Vec<u8>, PlayError> {
    crate::ball::zeroed(len).map_err(|cause| PlayError {
        role: role.name(),
        doing: "making room for its balls".into(),
        cause: format!("{cause}; use a smaller --size"),
    })
}

pub(crate) fn failure(role: Role, doing: String, cause: ChannelError) -> PlayError {
    PlayError {
        role: role.name(),
        doing,
        cause: cause.to_string(),
    }
}

/// Plays one player's whole part and reports to the supervisor; never panics
/// outward. Returns whether the player finished its rally.
pub fn play(kit: Kit) -> bool {
    let Kit {
        spec,
        endpoint,
        line,
        board,
        events,
    } = kit;
    let result = play_inner(&spec, endpoint, &line, &board, events);
    tell_supervisor(spec.role, result, &line, &board)
}

/// Sends a player's report, or why it failed, to the supervisor (threads,
/// processes and tasks alike); returns whether the player finished its rally.
fn tell_supervisor(
    role: Role,
    result: anyhow::Result<report::PlayerReport>,
    line: &PlayerLine,
    board: &Board,
) -> bool {
    match result {
        Ok(report) => {
            board.post(role, Phase::Done, 0);
            line.send(&Msg::Report(Box::new(report))).is_ok()
        }
        Err(e) => {
            let _ = line.send(&Msg::Failed {
                error: e.to_string(),
            });
            false
        }
    }
}

/// Plays one side of a rally over an endpoint opened elsewhere, with no
/// supervisor: what `pingpong serve` (pong) and `run --between hosts` (ping)
/// do. The loops are the very ones of a local match, so figures across hosts
/// compare with local ones.
pub fn play_over(
    role: Role,
    script: &Script,
    ep: &mut dyn crate::channel::Endpoint,
    board: &Board,
) -> Result<report::PlayerReport, PlayError> {
    match role {
        Role::Ping => ping::play(script, ep, board, None),
        Role::Pong => pong::play(script, ep, board, None),
    }
}

fn play_inner(
    spec: &PlayerSpec,
    endpoint: EndpointSpec,
    line: &PlayerLine,
    board: &Board,
    events: Option<OwnedFd>,
) -> anyhow::Result<report::PlayerReport> {
    let role = spec.role;
    board.post(role, Phase::Starting, 0);
    if let Some(cpu) = spec.cpu {
        placement::pin_to(cpu).map_err(|e| anyhow::anyhow!("{}: {e:#}", role.name()))?;
    }
    board.post(role, Phase::Opening, 0);
    let ep = endpoint
        .open()
        .map_err(|e| failure(role, "opening its end of the channel".into(), e))?;
    // The payload adapter sits under the fault injector, so a ball damaged
    // on purpose is damaged before it is encoded, as a real bug would be.
    let mut ep = spec.script.payload.wrap(ep);
    if role == Role::Pong {
        if let Some(fault) = spec.script.fault {
            ep = Faulty::wrap(ep, fault);
        }
    }
    line.send(&Msg::Ready {
        pid: std::process::id(),
        tid: rustix::thread::gettid().as_raw_nonzero().get() as u32,
    })?;
    board.post(role, Phase::WaitingForGo, 0);
    if !line.wait_go() {
        anyhow::bail!(
            "{}: the supervisor called the run off at the start barrier",
            role.name()
        );
    }
    let log = events.map(hits::HitLog::new);
    let report = match role {
        Role::Ping => ping::play(&spec.script, ep.as_mut(), board, log)?,
        Role::Pong => pong::play(&spec.script, ep.as_mut(), board, log)?,
    };
    Ok(report)
}
