//! `processes` (spawn): the player is our own binary, re-executed with the
//! hidden `__player` subcommand. Its descriptors (its end of the channel, its
//! control line, the board) are inherited: every descriptor pingpong makes is
//! close-on-exec, and only this player's are opened up for this `exec`.
//!
//! Because the child `exec`s at once, this start method is safe from a
//! multi-threaded parent, unlike `fork` (see [`crate::subprocess::reexec`]).

use super::process::ProcessPlayer;
use super::Running;
use crate::channel::{EndpointSpec, WireSpec};
use crate::player::board::Board;
use crate::player::control::PlayerLine;
use crate::player::{play, Kit, PlayerSpec};
use crate::subprocess::deathsig::BeforeExec;
use crate::subprocess::reexec;
use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::Stdio;

/// Everything a re-executed player is told on its command line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wire {
    pub spec: PlayerSpec,
    pub endpoint: WireSpec,
    pub go: RawFd,
    pub out: RawFd,
    pub board: RawFd,
    pub events: Option<RawFd>,
    /// The supervisor's pid: the player exits if its parent is already gone.
    pub parent: u32,
}

/// The hidden subcommand that plays a player.
pub const SUBCOMMAND: &str = "__player";

pub fn start(kit: Kit) -> Result<Box<dyn Running>> {
    let role = kit.spec.role;
    let wire = Wire {
        spec: kit.spec.clone(),
        endpoint: kit.endpoint.to_wire()?,
        go: kit.line.go.as_raw_fd(),
        out: kit.line.out.as_raw_fd(),
        board: kit.board.fd().as_raw_fd(),
        events: kit.events.as_ref().map(|e| e.as_raw_fd()),
        parent: std::process::id(),
    };
    let mut inherit: Vec<RawFd> = kit.endpoint.fds().iter().map(|f| f.as_raw_fd()).collect();
    inherit.extend([wire.go, wire.out, wire.board]);
    inherit.extend(wire.events);
    let mut cmd = reexec::ourselves_with(
        SUBCOMMAND,
        BeforeExec {
            inherit,
            ..BeforeExec::dying_with(Signal::SIGKILL)
        },
    )?;
    cmd.arg(serde_json::to_string(&wire)?)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let child = cmd
        .spawn()
        .with_context(|| format!("re-executing pingpong as the {} player", role.name()))?;
    // The child has its own copies now; ours must go, so that a dead child
    // shows up as end-of-file on the channel and on the control line.
    drop(kit);
    Ok(Box::new(ProcessPlayer {
        role,
        pid: nix::unistd::Pid::from_raw(child.id() as i32),
        reaped: false,
    }))
}

/// The `__player` subcommand: a re-executed player's whole life.
pub fn player_main(arg: &str) -> i32 {
    let wire: Wire = match serde_json::from_str(arg) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("pingpong {SUBCOMMAND}: this subcommand is for pingpong's own use ({e})");
            return 2;
        }
    };
    if nix::unistd::getppid().as_raw() as u32 != wire.parent {
        return 1;
    }
    for fd in [wire.go, wire.out, wire.board]
        .into_iter()
        .chain(wire.events)
    {
        if rustix::io::fcntl_getfd(unsafe_borrow(fd)).is_err() {
            eprintln!("pingpong {SUBCOMMAND}: descriptor {fd} was not inherited");
            return 2;
        }
    }
    // SAFETY: the supervisor opened these descriptors for this process alone
    // (see `start`) and checked above that they are open; nothing else owns them.
    let (endpoint, go, out, board, events) = unsafe {
        (
            EndpointSpec::from_wire(wire.endpoint),
            OwnedFd::from_raw_fd(wire.go),
            OwnedFd::from_raw_fd(wire.out),
            OwnedFd::from_raw_fd(wire.board),
            wire.events.map(|e| OwnedFd::from_raw_fd(e)),
        )
    };
    // Close-on-exec again, so nothing we start later inherits them.
    for fd in [&go, &out, &board] {
        let _ = rustix::io::fcntl_setfd(fd.as_fd(), rustix::io::FdFlags::CLOEXEC);
    }
    let board = match Board::map(board) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("pingpong {SUBCOMMAND}: {e:#}");
            return 1;
        }
    };
    crate::interrupt::install_handlers();
    let kit = Kit {
        spec: wire.spec,
        endpoint,
        line: PlayerLine { go, out },
        board,
        events,
    };
    if play(kit) {
        0
    } else {
        1
    }
}

fn unsafe_borrow(fd: RawFd) -> std::os::fd::BorrowedFd<'static> {
    // SAFETY: only used for an fcntl(F_GETFD) probe of whether `fd` is open;
    // the borrow does not outlive that call in any meaningful way.
    unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
}
