//! The one-ball slot behind `spin`, `futex`, `spin-futex` and `eventfd`:
//! per direction, a cache line holding the sequence counter *and* the ball,
//! so a small ball costs one cache-line transfer per hit, as in
//! core-to-core-latency's `msg_passing`. Only how a player waits differs
//! between the four channels ([`Wait`]).
//!
//! Layout of the shared region (each block 128-byte aligned, so that the
//! adjacent-line prefetcher does not couple two players' lines):
//!
//! ```text
//! W[d]  written by the sender of direction d:
//!       seq (balls sent) · ack (balls it has consumed from the other
//!       direction) · len · 40 bytes of inline ball     — one 64-byte line
//!       full bell (the sender sleeps here when the slot is occupied)
//! R[d]  written by the receiver of direction d:
//!       consumed (balls taken out) · data bell (it sleeps here when empty)
//! D[d]  the ball, for balls above 40 bytes (up to MAX_BALL)
//! ```
//!
//! Memory orderings: the sender writes the ball, `len` and `ack` with plain
//! or Relaxed stores, then `seq` with a Release store; the receiver
//! Acquire-loads `seq` and, once it sees the new value, every write before
//! the Release is visible to it (the ball is complete). In the other
//! direction the receiver copies the ball out, then Release-stores
//! `consumed` (and, later, the same count as `ack` in its own W line before
//! *its* Release of `seq`); the sender Acquire-loads either before it
//! overwrites the slot, so it never overwrites a ball not yet read.
//!
//! One ball in the slot at a time, so a stream must wait for each ball to
//! be consumed. The sender knows how far the receiver got from the `ack`
//! piggy-backed on the receiver's last ball back — in a rally that is always
//! enough, and the rally stays at one line transfer per direction — and
//! reads the receiver's own `consumed` line only when it is not.

use super::shm::{self, Bell, Region, Wait};
use super::{ChannelError, Endpoint, EndpointSpec, Pair, SharedKind};
use anyhow::{Context, Result};
use std::cell::UnsafeCell;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of ball carried in the counter's own cache line.
pub const INLINE: usize = 40;
/// The largest ball a slot carries.
pub const MAX_BALL: usize = 64 << 10;

const BLOCK: usize = 128;
const DATA: usize = 4096;

#[repr(C)]
struct Writer {
    seq: AtomicU64,
    ack: AtomicU64,
    len: AtomicU64,
    inline: UnsafeCell<[u8; INLINE]>,
    _pad: [u8; 64 - 24 - INLINE],
    full: Bell,
}

#[repr(C)]
struct Reader {
    consumed: AtomicU64,
    data: Bell,
}

const _: () = assert!(std::mem::size_of::<Writer>() <= BLOCK);
const _: () = assert!(std::mem::offset_of!(Writer, full) == 64);

fn w_off(d: usize) -> usize {
    d * 2 * BLOCK
}
fn r_off(d: usize) -> usize {
    d * 2 * BLOCK + BLOCK
}
fn d_off(d: usize) -> usize {
    DATA + d * MAX_BALL
}

/// Bytes of the shared region.
pub const LEN: usize = DATA + 2 * MAX_BALL;

/// Prepares a slot channel: one memfd, and a pair of eventfds for `EventFd`.
pub fn prepare(name: &str, wait: Wait) -> Result<Pair> {
    let mem = Region::create(name, LEN)?;
    let mem2 = rustix::io::fcntl_dupfd_cloexec(&mem, 0).context("dup of the shared region")?;
    let (bells_ping, bells_pong) = if wait == Wait::EventFd {
        let flags = rustix::event::EventfdFlags::CLOEXEC;
        let ping = rustix::event::eventfd(0, flags).context("eventfd for ping")?;
        let pong = rustix::event::eventfd(0, flags).context("eventfd for pong")?;
        let ping2 = rustix::io::fcntl_dupfd_cloexec(&ping, 0).context("dup eventfd")?;
        let pong2 = rustix::io::fcntl_dupfd_cloexec(&pong, 0).context("dup eventfd")?;
        (vec![ping, pong2], vec![pong, ping2])
    } else {
        (vec![], vec![])
    };
    let spec = |mem, side, bells| EndpointSpec::Shared {
        mem,
        len: LEN,
        side,
        kind: SharedKind::Slot(wait),
        bells,
    };
    Ok(Pair {
        ping: spec(mem, 0, bells_ping),
        pong: spec(mem2, 1, bells_pong),
    })
}

pub struct SlotEndpoint {
    region: Region,
    _mem: OwnedFd,
    wait: Wait,
    /// My direction (I send on it); I receive on `1 - side`.
    side: usize,
    /// eventfds: mine (I sleep on it), the peer's (I ring it).
    mine: Option<OwnedFd>,
    peer: Option<OwnedFd>,
    sent: u64,
    received: u64,
    /// How many of my balls the peer has consumed, as far as I know.
    peer_consumed: u64,
}

impl SlotEndpoint {
    pub fn open(
        mem: OwnedFd,
        len: usize,
        side: u8,
        wait: Wait,
        bells: Vec<OwnedFd>,
    ) -> Result<SlotEndpoint, ChannelError> {
        if len < LEN || side > 1 {
            return Err(ChannelError::Io(std::io::Error::other(format!(
                "slot region of {len} bytes for side {side} is malformed"
            ))));
        }
        let region = Region::map(&mem, LEN)?;
        let mut bells = bells.into_iter();
        Ok(SlotEndpoint {
            region,
            _mem: mem,
            wait,
            side: side as usize,
            mine: bells.next(),
            peer: bells.next(),
            sent: 0,
            received: 0,
            peer_consumed: 0,
        })
    }

    fn writer(region: &Region, d: usize) -> &Writer {
        // SAFETY: w_off is 128-aligned and inside the region (LEN checked in
        // open); Writer is atomics and bytes, valid zeroed.
        unsafe { region.at(w_off(d)) }
    }

    fn reader(region: &Region, d: usize) -> &Reader {
        // SAFETY: as in `writer`.
        unsafe { region.at(r_off(d)) }
    }
}

impl Endpoint for SlotEndpoint {
    #[inline]
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        if ball.len() > MAX_BALL {
            return Err(ChannelError::WrongLength {
                got: ball.len(),
                want: MAX_BALL,
            });
        }
        let d = self.side;
        if self.peer_consumed < self.sent {
            // The piggy-backed ack is not enough (a stream): ask the reader's line.
            let sent = self.sent;
            let r = Self::reader(&self.region, d);
            let w = Self::writer(&self.region, d);
            shm::wait_until(self.wait, &w.full, self.mine.as_ref(), || {
                r.consumed.load(Ordering::Acquire) >= sent
            })?;
            self.peer_consumed = Self::reader(&self.region, d)
                .consumed
                .load(Ordering::Acquire);
        }
        let w = Self::writer(&self.region, d);
        let dst = if ball.len() <= INLINE {
            w.inline.get() as *mut u8
        } else {
            // SAFETY: d_off(d) + MAX_BALL <= LEN.
            unsafe { self.region.base().add(d_off(d)) }
        };
        // SAFETY: `dst` has room for the ball (checked above); the receiver
        // does not read it until our Release of `seq` below, and has finished
        // reading the previous ball (consumed >= sent, Acquire above or via ack).
        unsafe { std::ptr::copy_nonoverlapping(ball.as_ptr(), dst, ball.len()) };
        w.len.store(ball.len() as u64, Ordering::Relaxed);
        w.ack.store(self.received, Ordering::Relaxed);
        self.sent += 1;
        w.seq.store(self.sent, Ordering::Release);
        let bell = &Self::reader(&self.region, d).data;
        shm::notify(self.wait, bell, self.peer.as_ref(), true)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let d = 1 - self.side;
        let want = self.received + 1;
        let w = Self::writer(&self.region, d);
        let r = Self::reader(&self.region, d);
        shm::wait_until(self.wait, &r.data, self.mine.as_ref(), || {
            w.seq.load(Ordering::Acquire) >= want
        })?;
        let len = w.len.load(Ordering::Relaxed) as usize;
        if len != buf.len() || len > MAX_BALL {
            return Err(ChannelError::WrongLength {
                got: len,
                want: buf.len(),
            });
        }
        let src = if len <= INLINE {
            w.inline.get() as *const u8
        } else {
            // SAFETY: d_off(d) + MAX_BALL <= LEN.
            unsafe { self.region.base().add(d_off(d)) as *const u8 }
        };
        // SAFETY: `len` bytes at `src` were published by the Acquire above and
        // the sender does not touch them until we Release `consumed`.
        unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), len) };
        self.peer_consumed = self.peer_consumed.max(w.ack.load(Ordering::Relaxed));
        self.received = want;
        r.consumed.store(want, Ordering::Release);
        if self.wait != Wait::Spin {
            shm::notify(self.wait, &w.full, self.peer.as_ref(), false)?;
        }
        Ok(())
    }
}
