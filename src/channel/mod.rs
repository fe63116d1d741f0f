//! How the ball travels: one file per channel, all behind [`Channel`].
//!
//! A channel is *prepared* once in the parent, before any player starts: the
//! parent makes the kernel objects (pipes, socket pairs, FIFOs) and hands one
//! [`EndpointSpec`] to each player. A spec can be moved into a thread, kept
//! across `fork`, or written as numbers on the command line of a re-executed
//! player (descriptors inherited), so the *same* channel code runs between
//! threads and between processes, and the difference between the two shows
//! with the channel held fixed.
//!
//! Adding a channel is one new file with a type that implements [`Channel`],
//! plus its line in [`ALL`].

pub mod async_end;
mod condvar;
mod crossbeam;
mod datagram;
mod eventfd;
pub mod faulty;
mod fifo;
mod flume;
mod futex;
mod ipc;
mod local;
mod mpsc;
pub mod payload;
mod pipe;
mod queue;
pub mod ring;
pub mod shm;
mod slot;
mod spin;
mod stream;
mod tcp;
mod tokio_mpsc;
mod tokio_notify;
mod udp;
mod unix;
mod unix_dgram;

use crate::kinds::UnitKind;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use datagram::DatagramEndpoint;
pub use stream::StreamEndpoint;

/// A way to carry the ball between two players.
pub trait Channel: Sync {
    /// The name used on the command line (`--via NAME`).
    fn name(&self) -> &'static str;
    /// One line for `pingpong list`.
    fn summary(&self) -> &'static str;
    /// The largest ball the channel carries in one message.
    fn max_size(&self) -> usize {
        usize::MAX
    }
    /// Whether balls can be lost (then a missing reply is counted, not an error).
    fn lossy(&self) -> bool {
        false
    }
    /// Whether players of this unit can use the channel; `Err` says why not.
    fn supports(&self, unit: UnitKind) -> Result<(), String> {
        let _ = unit;
        Ok(())
    }
    /// A line for the run's notes when this channel is measured (how it
    /// behaves where that matters for reading its figures).
    fn note(&self) -> Option<&'static str> {
        None
    }
    /// Whether tokio tasks can play over it (it has an async end, see
    /// [`async_end`]).
    fn tasks(&self) -> bool {
        false
    }
    /// Makes the kernel objects and returns each player's end.
    fn prepare(&self, setup: &Setup) -> Result<Pair>;
}

/// What a channel may need to prepare itself.
pub struct Setup<'a> {
    /// Ball size in bytes.
    pub size: usize,
    /// A private directory, removed after the measurement (for FIFOs).
    pub dir: &'a Path,
    /// How long a lossy channel waits for a reply before counting the ball lost.
    pub loss_timeout: Duration,
}

/// Both players' ends of a prepared channel.
pub struct Pair {
    pub ping: EndpointSpec,
    pub pong: EndpointSpec,
}

/// Every channel pingpong knows, in the order `list` shows them.
pub static ALL: &[&dyn Channel] = &[
    &pipe::Pipe,
    &fifo::Fifo,
    &unix::Unix,
    &unix_dgram::UnixDgram,
    &tcp::Tcp,
    &udp::Udp,
    &spin::Spin,
    &futex::Futex,
    &futex::SpinFutex,
    &eventfd::EventFd,
    &ring::ShmRing,
    &condvar::Condvar,
    &mpsc::Mpsc,
    &crossbeam::Crossbeam,
    &flume::Flume,
    &ipc::IpcChannel,
    &tokio_mpsc::TokioMpsc,
    &tokio_notify::TokioNotify,
];

/// The channels whose ball lies in memory both players map (a page shared
/// across processes), rather than passing through the kernel or staying in
/// one process's heap.
pub const SHARED_MEMORY: [&str; 5] = ["spin", "futex", "spin-futex", "eventfd", "shm-ring"];

/// Whether channel `name` carries the ball through shared memory.
pub fn is_shared_memory(name: &str) -> bool {
    SHARED_MEMORY.contains(&name)
}

/// Why a tokio channel refuses threads and processes.
const TASKS_ONLY: &str = "its ends are async: tasks only";

/// `Channel::supports` for a channel whose ends are async: tasks only.
pub fn tasks_only(unit: UnitKind) -> Result<(), String> {
    if unit.is_task() {
        Ok(())
    } else {
        Err(TASKS_ONLY.into())
    }
}

/// Whether players of `unit` can use channel `c`; `Err` says why not. Tasks
/// need an async end, which only some channels have.
pub fn check(c: &dyn Channel, unit: UnitKind) -> Result<(), String> {
    if unit.is_task() && !c.tasks() {
        let with: Vec<&str> = ALL.iter().filter(|c| c.tasks()).map(|c| c.name()).collect();
        return Err(format!(
            "no async end (tasks play over {})",
            with.join(", ")
        ));
    }
    c.supports(unit)
}

/// Looks a channel up by its command-line name.
pub fn by_name(name: &str) -> Option<&'static dyn Channel> {
    ALL.iter().copied().find(|c| c.name() == name)
}

/// Names of all channels, for error messages.
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|c| c.name()).collect()
}

/// Why a channel operation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("the other player closed the channel")]
    Closed,
    #[error("nothing arrived within the loss timeout")]
    TimedOut,
    #[error("a message of {got} bytes arrived where {want} were expected")]
    WrongLength { got: usize, want: usize },
    #[error("stopped by the supervisor")]
    Aborted,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// One player's end of a channel, opened and ready to carry balls.
pub trait Endpoint: Send {
    /// Sends one whole ball.
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError>;
    /// Receives one whole ball into `buf` (its length is the ball size).
    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError>;
}

/// A player's end of a channel, before it is opened: it can cross a thread,
/// a `fork`, or an `exec` (as [`WireSpec`]).
#[derive(Debug)]
pub enum EndpointSpec {
    /// A byte stream: separate read and write descriptors, or one socket.
    Stream { rx: OwnedFd, tx: Option<OwnedFd> },
    /// A datagram socket, connected to the peer.
    Datagram { fd: OwnedFd },
    /// Named pipes, opened by path by the player itself. `first_tx` says
    /// whether the write side is opened first, so the two players open the
    /// two FIFOs in the same order and cannot deadlock.
    Fifo {
        rx: PathBuf,
        tx: PathBuf,
        first_tx: bool,
    },
    /// A shared memory region (memfd) and, for `eventfd`, this player's
    /// doorbell then the peer's. `side` is 0 for ping, 1 for pong.
    Shared {
        mem: OwnedFd,
        len: usize,
        side: u8,
        kind: SharedKind,
        bells: Vec<OwnedFd>,
    },
    /// An in-process end (threads only): it cannot cross a process boundary.
    Local(LocalEnd),
    /// An async end of a tokio channel (tasks only).
    Task(async_end::TaskEnd),
    /// `ipc-channel`: where ping publishes its one-shot server's name, and
    /// which side this is (0 ping, 1 pong).
    Ipc { path: PathBuf, side: u8 },
}

/// Which endpoint a shared region is opened as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SharedKind {
    /// The one-ball slot, waiting as said.
    Slot(shm::Wait),
    /// The SPSC byte ring.
    Ring,
}

/// An opened in-process endpoint, carried to its thread.
pub struct LocalEnd(pub Box<dyn Endpoint>);

impl std::fmt::Debug for LocalEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalEnd")
    }
}

/// [`EndpointSpec`] as written on a re-executed player's command line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WireSpec {
    Stream {
        rx: RawFd,
        tx: Option<RawFd>,
    },
    Datagram {
        fd: RawFd,
    },
    Fifo {
        rx: PathBuf,
        tx: PathBuf,
        first_tx: bool,
    },
    Shared {
        mem: RawFd,
        len: usize,
        side: u8,
        kind: SharedKind,
        bells: Vec<RawFd>,
    },
    Ipc {
        path: PathBuf,
        side: u8,
    },
}

impl EndpointSpec {
    /// The descriptors a player process must inherit.
    pub fn fds(&self) -> Vec<BorrowedFd<'_>> {
        match self {
            EndpointSpec::Stream { rx, tx } => {
                let mut v = vec![rx.as_fd()];
                v.extend(tx.as_ref().map(|t| t.as_fd()));
                v
            }
            EndpointSpec::Datagram { fd } => vec![fd.as_fd()],
            EndpointSpec::Fifo { .. } => vec![],
            EndpointSpec::Shared { mem, bells, .. } => {
                let mut v = vec![mem.as_fd()];
                v.extend(bells.iter().map(|b| b.as_fd()));
                v
            }
            EndpointSpec::Local(_) | EndpointSpec::Task(_) | EndpointSpec::Ipc { .. } => vec![],
        }
    }

    /// The spec as descriptor numbers; the descriptors stay owned by `self`.
    /// An in-process end has none and cannot cross an `exec`.
    pub fn to_wire(&self) -> Result<WireSpec> {
        Ok(match self {
            EndpointSpec::Stream { rx, tx } => WireSpec::Stream {
                rx: rx.as_raw_fd(),
                tx: tx.as_ref().map(|t| t.as_raw_fd()),
            },
            EndpointSpec::Datagram { fd } => WireSpec::Datagram { fd: fd.as_raw_fd() },
            EndpointSpec::Fifo { rx, tx, first_tx } => WireSpec::Fifo {
                rx: rx.clone(),
                tx: tx.clone(),
                first_tx: *first_tx,
            },
            EndpointSpec::Shared {
                mem,
                len,
                side,
                kind,
                bells,
            } => WireSpec::Shared {
                mem: mem.as_raw_fd(),
                len: *len,
                side: *side,
                kind: *kind,
                bells: bells.iter().map(|b| b.as_raw_fd()).collect(),
            },
            EndpointSpec::Ipc { path, side } => WireSpec::Ipc {
                path: path.clone(),
                side: *side,
            },
            EndpointSpec::Local(_) | EndpointSpec::Task(_) => {
                anyhow::bail!("this channel is threads only: its ends cannot cross an exec")
            }
        })
    }

    /// Takes ownership of descriptors inherited from the parent.
    ///
    /// # Safety
    /// The numbers must be open descriptors that this process owns and that
    /// nothing else will close: the re-executed player is given them for
    /// exactly this purpose by [`crate::unit::process`].
    pub unsafe fn from_wire(w: WireSpec) -> EndpointSpec {
        // SAFETY: guaranteed by the caller, see above.
        unsafe {
            match w {
                WireSpec::Stream { rx, tx } => EndpointSpec::Stream {
                    rx: OwnedFd::from_raw_fd(rx),
                    tx: tx.map(|t| OwnedFd::from_raw_fd(t)),
                },
                WireSpec::Datagram { fd } => EndpointSpec::Datagram {
                    fd: OwnedFd::from_raw_fd(fd),
                },
                WireSpec::Fifo { rx, tx, first_tx } => EndpointSpec::Fifo { rx, tx, first_tx },
                WireSpec::Ipc { path, side } => EndpointSpec::Ipc { path, side },
                WireSpec::Shared {
                    mem,
                    len,
                    side,
                    kind,
                    bells,
                } => EndpointSpec::Shared {
                    mem: OwnedFd::from_raw_fd(mem),
                    len,
                    side,
                    kind,
                    bells: bells.into_iter().map(|b| OwnedFd::from_raw_fd(b)).collect(),
                },
            }
        }
    }

    /// Opens the end for play. Opening may block (a FIFO waits for its peer);
    /// the supervisor's deadline bounds it.
    pub fn open(self) -> Result<Box<dyn Endpoint>, ChannelError> {
        Ok(match self {
            EndpointSpec::Stream { rx, tx } => Box::new(StreamEndpoint::new(rx, tx)),
            EndpointSpec::Datagram { fd } => Box::new(DatagramEndpoint::new(fd)),
            EndpointSpec::Fifo { rx, tx, first_tx } => Box::new(fifo::open(&rx, &tx, first_tx)?),
            EndpointSpec::Shared {
                mem,
                len,
                side,
                kind: SharedKind::Slot(wait),
                bells,
            } => Box::new(slot::SlotEndpoint::open(mem, len, side, wait, bells)?),
            EndpointSpec::Shared {
                mem,
                len,
                side,
                kind: SharedKind::Ring,
                ..
            } => Box::new(ring::RingEndpoint::open(mem, len, side)?),
            EndpointSpec::Local(LocalEnd(ep)) => ep,
            EndpointSpec::Ipc { path, side } => Box::new(ipc::open(&path, side)?),
            EndpointSpec::Task(_) => {
                return Err(ChannelError::Io(std::io::Error::other(
                    "this channel's ends are async: only tasks can use it",
                )))
            }
        })
    }
}

/// Runs a blocking system call again after `EINTR`, unless the supervisor
/// asked players to stop.
#[inline]
pub(crate) fn retry<T>(mut op: impl FnMut() -> rustix::io::Result<T>) -> Result<T, ChannelError> {
    loop {
        match op() {
            Ok(v) => return Ok(v),
            Err(rustix::io::Errno::INTR) => {
                if crate::interrupt::aborted() {
                    return Err(ChannelError::Aborted);
                }
            }
            Err(e) => return Err(ChannelError::Io(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shared_memory_channel_is_a_channel_processes_can_use() {
        for name in SHARED_MEMORY {
            let c = by_name(name).unwrap_or_else(|| panic!("{name} is no channel"));
            assert!(c.supports(crate::kinds::UnitKind::Spawn).is_ok(), "{name}");
        }
    }
}
