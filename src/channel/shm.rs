//! Shared memory for the memory-speed channels (`spin`, `futex`,
//! `spin-futex`, `eventfd`, `shm-ring`): a region both players map, and the
//! ways a player waits for a word in it to change.
//!
//! The region is a `memfd` ("pingpong-…"), sized with `ftruncate` and mapped
//! `MAP_SHARED` (an anonymous or `memmap2` map is private: after `fork` the
//! two players would each see their own copy). It crosses a thread or a
//! `fork` as an owned descriptor and an `exec` as a descriptor number
//! ([`super::WireSpec::Shared`]); each player maps it itself and unmaps it on
//! drop. A memfd has no name in any file system, so unlike `shm_open` it
//! can never leave an entry in `/dev/shm` behind: the memory goes with the
//! last descriptor and mapping, even when every player is killed with
//! SIGKILL and no destructor runs.
//!
//! Waiting comes in three strengths ([`Wait`]): busy-wait, sleep in the
//! kernel on a *shared* futex (not `FUTEX_PRIVATE_FLAG`, so a wake reaches a
//! sleeper in another process: shared futexes are keyed by the physical
//! page), or both — spin briefly, then sleep. The `eventfd` channel rings an
//! eventfd instead of a futex.

use super::{retry, ChannelError};
use anyhow::{Context, Result};
use rustix::fs::{memfd_create, MemfdFlags};
use rustix::mm::{mmap, munmap, MapFlags, ProtFlags};
use rustix::thread::futex;
use serde::{Deserialize, Serialize};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, Ordering};

/// A mapping of a shared memfd, unmapped on drop.
pub struct Region {
    base: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory, valid until Drop; the
// endpoints that use it coordinate every access through atomics.
unsafe impl Send for Region {}

impl Region {
    /// Makes a new zeroed memfd of `len` bytes (close-on-exec; `spawn` opens
    /// it up only for the player it is meant for).
    pub fn create(name: &str, len: usize) -> Result<OwnedFd> {
        let fd = memfd_create(format!("pingpong-{name}"), MemfdFlags::CLOEXEC)
            .with_context(|| format!("memfd_create for channel {name}"))?;
        rustix::fs::ftruncate(&fd, len as u64)
            .with_context(|| format!("ftruncate of the {name} region to {len} bytes"))?;
        Ok(fd)
    }

    /// Maps `len` bytes of `fd`, shared.
    pub fn map(fd: &OwnedFd, len: usize) -> Result<Region, ChannelError> {
        // SAFETY: a fresh shared mapping of a memfd at least `len` bytes long
        // (made by `create`); no Rust reference aliases it, and it is unmapped
        // only in Drop.
        let base = unsafe {
            mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|e| ChannelError::Io(e.into()))?;
        Ok(Region {
            base: base.cast(),
            len,
        })
    }

    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// A reference to a `T` at `offset`.
    ///
    /// # Safety
    /// `offset` must be aligned for `T`, `offset + size_of::<T>() <= len`,
    /// and `T` must be valid for any bytes (atomics, zero-initialised).
    pub unsafe fn at<T>(&self, offset: usize) -> &T {
        debug_assert!(offset + std::mem::size_of::<T>() <= self.len);
        debug_assert!(offset % std::mem::align_of::<T>() == 0);
        // SAFETY: guaranteed by the caller.
        unsafe { &*(self.base.add(offset) as *const T) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: `base` came from mmap of `len` bytes and is not used after this.
        unsafe {
            let _ = munmap(self.base.cast(), self.len);
        }
    }
}

/// How a player waits for its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wait {
    /// Busy-wait; after [`SPIN_BEFORE_YIELD`] checks, `sched_yield` between
    /// checks, so two players on one CPU take turns instead of livelocking.
    Spin,
    /// Sleep on a shared futex at once.
    Futex,
    /// Spin [`SPIN_BEFORE_SLEEP`] checks, then sleep on the futex.
    SpinFutex,
    /// Sleep reading an eventfd (the peer always rings it).
    EventFd,
}

/// Busy checks before a spinning player starts yielding its CPU. At a few
/// tens of ns per check this is some tens of µs: far above any cross-core
/// round trip, far below a scheduler time slice.
pub const SPIN_BEFORE_YIELD: u32 = 1 << 11;
/// Busy checks before `spin-futex` goes to sleep.
pub const SPIN_BEFORE_SLEEP: u32 = 1 << 11;
/// How often a spin loop looks at the abort flag.
const ABORT_EVERY: u32 = 1 << 12;

/// A doorbell in shared memory: the sleeper raises `waiting` and sleeps on
/// `epoch`; the ringer, after publishing, wakes it only if it is waiting.
#[repr(C)]
pub struct Bell {
    epoch: AtomicU32,
    waiting: AtomicU32,
}

impl Bell {
    /// Rings if someone sleeps. Called after the caller's Release store of
    /// the value the sleeper waits for. The SeqCst fence pairs with the one
    /// in [`Bell::sleep`] (Dekker): either the sleeper sees the new value
    /// before sleeping, or we see its `waiting` flag and wake it.
    #[inline]
    pub fn ring(&self) -> Result<(), ChannelError> {
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.waiting.load(Ordering::Relaxed) != 0 {
            self.epoch.fetch_add(1, Ordering::SeqCst);
            futex::wake(&self.epoch, futex::Flags::empty(), u32::MAX)
                .map_err(|e| ChannelError::Io(e.into()))?;
        }
        Ok(())
    }

    /// Sleeps until rung, unless `ready()` already holds once `waiting` is
    /// raised. May return spuriously: callers loop.
    pub fn sleep(&self, ready: impl Fn() -> bool) -> Result<(), ChannelError> {
        let epoch = self.epoch.load(Ordering::SeqCst);
        self.waiting.store(1, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        let r = if ready() {
            Ok(())
        } else {
            // EAGAIN: the epoch moved on (we were rung) before we slept.
            match futex::wait(&self.epoch, futex::Flags::empty(), epoch, None) {
                Ok(()) | Err(rustix::io::Errno::AGAIN) => Ok(()),
                Err(rustix::io::Errno::INTR) if crate::interrupt::aborted() => {
                    Err(ChannelError::Aborted)
                }
                Err(rustix::io::Errno::INTR) => Ok(()),
                Err(e) => Err(ChannelError::Io(e.into())),
            }
        };
        self.waiting.store(0, Ordering::Relaxed);
        r
    }
}

/// Waits until `ready()` holds, the way `wait` says. `bell` is the futex
/// doorbell (futex kinds); `doorbell` is this player's eventfd (eventfd kind).
#[inline]
pub fn wait_until(
    wait: Wait,
    bell: &Bell,
    doorbell: Option<&OwnedFd>,
    ready: impl Fn() -> bool,
) -> Result<(), ChannelError> {
    if ready() {
        return Ok(());
    }
    let mut spins: u32 = 0;
    loop {
        match wait {
            Wait::Spin | Wait::SpinFutex => {
                std::hint::spin_loop();
                spins = spins.wrapping_add(1);
                if spins % ABORT_EVERY == 0 && crate::interrupt::aborted() {
                    return Err(ChannelError::Aborted);
                }
                if wait == Wait::Spin && spins >= SPIN_BEFORE_YIELD {
                    rustix::thread::sched_yield();
                }
                if wait == Wait::SpinFutex && spins >= SPIN_BEFORE_SLEEP {
                    bell.sleep(&ready)?;
                }
            }
            Wait::Futex => bell.sleep(&ready)?,
            Wait::EventFd => {
                let fd = doorbell.ok_or_else(|| {
                    ChannelError::Io(std::io::Error::other("eventfd doorbell missing"))
                })?;
                // Raise the flag first, so that a peer ringing only sleepers
                // (`notify(.., always: false)`) sees us; then look again.
                bell.waiting.store(1, Ordering::SeqCst);
                std::sync::atomic::fence(Ordering::SeqCst);
                let r = if ready() {
                    Ok(0)
                } else {
                    let mut b = [0u8; 8];
                    retry(|| rustix::io::read(fd, &mut b))
                };
                bell.waiting.store(0, Ordering::Relaxed);
                r?;
            }
        }
        if ready() {
            return Ok(());
        }
    }
}

/// Rings the peer after publishing: the futex bell (futex kinds, only if the
/// peer sleeps) or the peer's eventfd (always, when `always`, else only if it
/// sleeps: `waiting` says so).
#[inline]
pub fn notify(
    wait: Wait,
    bell: &Bell,
    peer_doorbell: Option<&OwnedFd>,
    always: bool,
) -> Result<(), ChannelError> {
    match wait {
        Wait::Spin => Ok(()),
        Wait::Futex | Wait::SpinFutex => bell.ring(),
        Wait::EventFd => {
            let fd = peer_doorbell.ok_or_else(|| {
                ChannelError::Io(std::io::Error::other("eventfd doorbell missing"))
            })?;
            if !always {
                std::sync::atomic::fence(Ordering::SeqCst);
                if bell.waiting.load(Ordering::Relaxed) == 0 {
                    return Ok(());
                }
            }
            retry(|| rustix::io::write(fd, &1u64.to_ne_bytes())).map(|_| ())
        }
    }
}
