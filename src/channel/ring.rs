//! `shm-ring`: a single-producer single-consumer byte ring per direction in
//! shared memory, for large balls (up to 16 MiB) between threads or
//! processes without entering the kernel on the data path.
//!
//! A ball is copied once into the ring by the sender and once out of it by
//! the receiver — the same two copies a pipe makes, but done by the players
//! themselves at memcpy speed, in chunks as space frees, so a ball larger
//! than the ring streams through it. The kernel is entered only to sleep and
//! wake: a player spins briefly, then raises its waiting flag and sleeps on
//! a shared futex ([`Bell`]), and the peer calls `futex_wake` only when that
//! flag is up. `head` and `tail` count bytes forever (u64 never wraps in
//! practice); positions in the ring are taken modulo its power-of-two size
//! ([`free`], [`split`], tested with proptest).
//!
//! Orderings: the producer copies bytes in, then Release-stores `head`; the
//! consumer Acquire-loads `head` before copying out, then Release-stores
//! `tail`; the producer Acquire-loads `tail` before reusing that space.

use super::shm::{self, Bell, Region, Wait};
use super::{Channel, ChannelError, Endpoint, EndpointSpec, Pair, Setup, SharedKind};
use anyhow::{Context, Result};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};

/// Ring bytes per direction (a power of two).
pub const CAP: usize = 4 << 20;
/// The largest ball.
pub const MAX_BALL: usize = 16 << 20;
const BLOCK: usize = 128;
const DATA: usize = 4096;
/// Bytes of the shared region: headers, then the two rings.
pub const LEN: usize = DATA + 2 * CAP;

#[repr(C)]
struct Line {
    /// `head` (producer's line) or `tail` (consumer's line).
    pos: AtomicU64,
    /// The owner of this line sleeps here (producer: ring full; consumer: empty).
    bell: Bell,
}

/// Free bytes in a ring of `cap` bytes holding `head - tail` bytes.
#[inline]
pub fn free(head: u64, tail: u64, cap: usize) -> usize {
    cap - (head - tail) as usize
}

/// The one or two contiguous pieces `(start, len)` of `n` bytes starting at
/// byte count `pos` in a ring of `cap` (a power of two) bytes.
#[inline]
pub fn split(pos: u64, n: usize, cap: usize) -> [(usize, usize); 2] {
    let start = (pos as usize) & (cap - 1);
    let first = n.min(cap - start);
    [(start, first), (0, n - first)]
}

pub struct ShmRing;

impl Channel for ShmRing {
    fn name(&self) -> &'static str {
        "shm-ring"
    }
    fn summary(&self) -> &'static str {
        "SPSC byte ring in shared memory (memfd), futex only when empty/full"
    }
    fn max_size(&self) -> usize {
        MAX_BALL
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let mem = Region::create("shm-ring", LEN)?;
        let mem2 = rustix::io::fcntl_dupfd_cloexec(&mem, 0).context("dup of the ring region")?;
        let spec = |mem, side| EndpointSpec::Shared {
            mem,
            len: LEN,
            side,
            kind: SharedKind::Ring,
            bells: vec![],
        };
        Ok(Pair {
            ping: spec(mem, 0),
            pong: spec(mem2, 1),
        })
    }
}

pub struct RingEndpoint {
    region: Region,
    _mem: OwnedFd,
    side: usize,
    /// Cached copies of the peer's counters, refreshed only when they limit us.
    tx_tail: u64,
    rx_head: u64,
}

// Per direction d: producer line at 2d·BLOCK, consumer line at (2d+1)·BLOCK,
// ring bytes at DATA + d·CAP.
fn head_off(d: usize) -> usize {
    2 * d * BLOCK
}
fn tail_off(d: usize) -> usize {
    (2 * d + 1) * BLOCK
}

impl RingEndpoint {
    pub fn open(mem: OwnedFd, len: usize, side: u8) -> Result<RingEndpoint, ChannelError> {
        if len < LEN || side > 1 {
            return Err(ChannelError::Io(std::io::Error::other(format!(
                "ring region of {len} bytes for side {side} is malformed"
            ))));
        }
        let region = Region::map(&mem, LEN)?;
        Ok(RingEndpoint {
            region,
            _mem: mem,
            side: side as usize,
            tx_tail: 0,
            rx_head: 0,
        })
    }

    fn line(region: &Region, off: usize) -> &Line {
        // SAFETY: offsets are 128-aligned and below DATA <= LEN (checked in
        // open); Line is atomics only, valid zeroed.
        unsafe { region.at(off) }
    }

    fn ring(&self, d: usize) -> *mut u8 {
        // SAFETY: DATA + d·CAP + CAP <= LEN for d in 0..2.
        unsafe { self.region.base().add(DATA + d * CAP) }
    }
}

impl Endpoint for RingEndpoint {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        let d = self.side;
        let (hl, tl) = (
            Self::line(&self.region, head_off(d)),
            Self::line(&self.region, tail_off(d)),
        );
        let mut head = hl.pos.load(Ordering::Relaxed);
        let mut off = 0;
        while off < ball.len() {
            if free(head, self.tx_tail, CAP) == 0 {
                self.tx_tail = tl.pos.load(Ordering::Acquire);
                if free(head, self.tx_tail, CAP) == 0 {
                    shm::wait_until(Wait::SpinFutex, &hl.bell, None, || {
                        tl.pos.load(Ordering::Acquire) != head - CAP as u64
                    })?;
                    self.tx_tail = tl.pos.load(Ordering::Acquire);
                }
            }
            let n = free(head, self.tx_tail, CAP).min(ball.len() - off);
            let base = self.ring(d);
            let mut src = off;
            for (start, len) in split(head, n, CAP) {
                // SAFETY: `start + len <= CAP` (split), inside this direction's
                // ring; the consumer does not read these bytes until our
                // Release of `head`, and has released them (tail Acquire).
                unsafe {
                    std::ptr::copy_nonoverlapping(ball.as_ptr().add(src), base.add(start), len)
                };
                src += len;
            }
            off += n;
            head += n as u64;
            hl.pos.store(head, Ordering::Release);
            tl.bell.ring()?;
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let d = 1 - self.side;
        let (hl, tl) = (
            Self::line(&self.region, head_off(d)),
            Self::line(&self.region, tail_off(d)),
        );
        let mut tail = tl.pos.load(Ordering::Relaxed);
        let mut off = 0;
        while off < buf.len() {
            if self.rx_head == tail {
                self.rx_head = hl.pos.load(Ordering::Acquire);
                if self.rx_head == tail {
                    shm::wait_until(Wait::SpinFutex, &tl.bell, None, || {
                        hl.pos.load(Ordering::Acquire) != tail
                    })?;
                    self.rx_head = hl.pos.load(Ordering::Acquire);
                }
            }
            let n = ((self.rx_head - tail) as usize).min(buf.len() - off);
            let base = self.ring(d);
            let mut dst = off;
            for (start, len) in split(tail, n, CAP) {
                // SAFETY: `start + len <= CAP`; these bytes were published by
                // the producer's Release of `head` (Acquired above) and stay
                // untouched until we Release `tail`.
                unsafe {
                    std::ptr::copy_nonoverlapping(base.add(start), buf.as_mut_ptr().add(dst), len)
                };
                dst += len;
            }
            off += n;
            tail += n as u64;
            tl.pos.store(tail, Ordering::Release);
            hl.bell.ring()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_and_full() {
        assert_eq!(free(0, 0, 16), 16);
        assert_eq!(free(16, 0, 16), 0);
        assert_eq!(free(u64::MAX - 3, u64::MAX - 3, 16), 16);
    }

    #[test]
    fn wraps_in_two_pieces() {
        assert_eq!(split(14, 5, 16), [(14, 2), (0, 3)]);
        assert_eq!(split(16, 5, 16), [(0, 5), (0, 0)]);
    }

    proptest! {
        #[test]
        fn pieces_cover_exactly_n_bytes_inside_the_ring(pos in any::<u64>(), n in 0usize..=64, shift in 4u32..12) {
            let cap = 1usize << shift;
            let n = n.min(cap);
            let [(s1, l1), (s2, l2)] = split(pos, n, cap);
            prop_assert_eq!(l1 + l2, n);
            prop_assert!(s1 + l1 <= cap);
            prop_assert!(s2 + l2 <= cap);
            prop_assert_eq!(s1, (pos % cap as u64) as usize);
            if l2 > 0 { prop_assert_eq!(s1 + l1, cap); prop_assert_eq!(s2, 0); }
        }

        #[test]
        fn free_never_exceeds_cap(tail in any::<u32>(), used in 0usize..=4096) {
            let tail = tail as u64;
            let f = free(tail + used as u64, tail, 4096);
            prop_assert_eq!(f + used, 4096);
        }
    }
}
