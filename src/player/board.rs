//! The board: a page of shared memory where each player posts what it is
//! doing (its phase and the ball it is on), so that when a run stalls the
//! supervisor can say *who* was stuck *where* ("pong was waiting for ball
//! #1234"), for threads and processes alike.
//!
//! It is a `memfd` mapped `MAP_SHARED` (an anonymous private map would not be
//! shared after `fork`), inherited by forked players and passed by descriptor
//! to re-executed ones. A player writes two relaxed stores per ball to a
//! cache line of its own, which no one else writes: nothing the rally feels.

use crate::kinds::Role;
use anyhow::{Context, Result};
use rustix::fs::{memfd_create, MemfdFlags};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a player is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Phase {
    Starting = 0,
    Opening = 1,
    WaitingForGo = 2,
    Sending = 3,
    Receiving = 4,
    Ending = 5,
    Done = 6,
}

impl Phase {
    fn from_u64(v: u64) -> Phase {
        match v {
            1 => Phase::Opening,
            2 => Phase::WaitingForGo,
            3 => Phase::Sending,
            4 => Phase::Receiving,
            5 => Phase::Ending,
            6 => Phase::Done,
            _ => Phase::Starting,
        }
    }

    pub fn describe(self, seq: u64) -> String {
        match self {
            Phase::Starting => "starting up".into(),
            Phase::Opening => "opening its end of the channel".into(),
            Phase::WaitingForGo => "waiting at the start barrier".into(),
            Phase::Sending => format!("sending ball #{seq}"),
            Phase::Receiving => format!("waiting for ball #{seq}"),
            Phase::Ending => "ending the rally".into(),
            Phase::Done => "finished".into(),
        }
    }
}

const LINE: usize = 128; // two cache lines per slot: no false sharing, also with adjacent-line prefetch
const LEN: usize = 4096;

/// Shared status slots, one per role.
pub struct Board {
    fd: OwnedFd,
    base: *mut u8,
}

// SAFETY: the mapping is only accessed through atomics; the pointer stays
// valid until `Drop` unmaps it, and the board is not cloned.
unsafe impl Send for Board {}
// SAFETY: as above, all access is atomic.
unsafe impl Sync for Board {}

impl Board {
    /// Makes a new, zeroed board.
    pub fn new() -> Result<Board> {
        let fd = memfd_create("pingpong-board", MemfdFlags::CLOEXEC).context("memfd_create")?;
        rustix::fs::ftruncate(&fd, LEN as u64).context("ftruncate board")?;
        Board::map(fd)
    }

    /// Maps a board made by the parent.
    pub fn map(fd: OwnedFd) -> Result<Board> {
        // SAFETY: a fresh shared mapping of a memfd of LEN bytes; no Rust
        // reference aliases it, and it is unmapped only in Drop.
        let base = unsafe {
            mmap(
                std::ptr::null_mut(),
                LEN,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            )
        }
        .context("mmap board")?;
        Ok(Board {
            fd,
            base: base.cast(),
        })
    }

    /// Another mapping of the same board (for one player).
    pub fn share(&self) -> Result<Board> {
        let fd = rustix::io::fcntl_dupfd_cloexec(&self.fd, 0).context("dup board")?;
        Board::map(fd)
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn slot(&self, role: Role, word: usize) -> &AtomicU64 {
        let offset = role.index() * LINE + word * 8;
        // SAFETY: offset + 8 <= LEN, 8-aligned in a page-aligned mapping that
        // lives as long as `self`; AtomicU64 has the layout of u64.
        unsafe { &*(self.base.add(offset) as *const AtomicU64) }
    }

    #[inline]
    pub fn post(&self, role: Role, phase: Phase, seq: u64) {
        self.slot(role, 1).store(seq, Ordering::Relaxed);
        self.slot(role, 0).store(phase as u64, Ordering::Release);
    }

    pub fn read(&self, role: Role) -> (Phase, u64) {
        let phase = Phase::from_u64(self.slot(role, 0).load(Ordering::Acquire));
        (phase, self.slot(role, 1).load(Ordering::Relaxed))
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        // SAFETY: `base` came from mmap of LEN bytes and is not used after this.
        unsafe {
            let _ = munmap(self.base.cast(), LEN);
        }
    }
}
