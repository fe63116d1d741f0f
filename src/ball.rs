//! The ball: what ping and pong hit back and forth, and how each side checks it.
//!
//! A ball of `size` bytes carries its sequence number and, when it is large
//! enough, a CRC-32C of everything else, so that a lost, duplicated,
//! reordered or corrupted ball is *detected and counted*, never timed:
//!
//! ```text
//! size >= 16:  [seq: u64 LE][size: u32 LE][crc32c: u32 LE][payload ...]
//! 4 <= size < 16:  [seq: low 32 bits, u32 LE][pattern bytes derived from seq]
//! ```
//!
//! The CRC covers the header (with the CRC field zeroed) and the payload, so
//! a stale payload under a fresh header is caught too. CRC-32C runs on the
//! CPU's own instruction (SSE 4.2 / ARMv8 CRC) through the `crc32c` crate; its
//! cost per byte is measured at start and reported, and `--verify` chooses how
//! much of it a run pays (see [`Verify`]).

use serde::{Deserialize, Serialize};

/// Smallest ball: a 32-bit sequence number.
pub const MIN_SIZE: usize = 4;
/// Size from which a ball carries the full header with a CRC.
pub const HEADER: usize = 16;

/// How far from the number expected a returning ball's number may be and
/// still be a ball of this rally: a duplicate or a late reply is a few balls
/// old, a gap a few windows of lost balls. A number farther off (or before
/// the first ball) is no ball that was sent: the ball is counted corrupted.
/// This is what tells a corrupted 4-byte ball, all sequence number, from
/// another ball (a flipped high byte moves it by 2^24 or more).
pub const PLAUSIBLE: u64 = 1 << 24;

/// How much of each ball the receiver checks. Sequence numbers are always checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verify {
    /// Sequence number and checksum of every ball.
    All,
    /// Sequence number of every ball, checksum of one ball in [`SAMPLE_EVERY`].
    Sample,
    /// Sequence numbers only.
    Seq,
}

/// With `--verify sample`, one ball in this many has its checksum checked.
pub const SAMPLE_EVERY: u64 = 16;

/// Balls up to this size are fully checksummed by default; larger ones are sampled.
pub const VERIFY_ALL_UP_TO: usize = 64 * 1024;

impl Verify {
    /// The default for a ball size: every checksum for small balls, a sample for large ones.
    pub fn default_for(size: usize) -> Verify {
        if size <= VERIFY_ALL_UP_TO {
            Verify::All
        } else {
            Verify::Sample
        }
    }

    /// Whether the ball with this sequence number has its checksum checked.
    #[inline]
    pub fn checks_sum(self, seq: u64) -> bool {
        match self {
            Verify::All => true,
            Verify::Sample => seq % SAMPLE_EVERY == 0,
            Verify::Seq => false,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verify::All => "all",
            Verify::Sample => "sample",
            Verify::Seq => "seq",
        }
    }
}

/// What the receiver found in a ball.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The expected sequence number and (if checked) a valid checksum.
    Good,
    /// The sequence number differs from the one expected; carries the one found.
    WrongSeq(u64),
    /// The sequence number matched but the content did not.
    Corrupted,
    /// Another number than the one expected, and the rest of the ball does
    /// not agree with it either: a damaged ball (or garbage) whose number
    /// cannot be trusted.
    Garbage,
}

/// A zeroed buffer of `len` bytes for a ball, allocated fallibly: under a
/// memory limit (`ulimit -v`) a large ball is a failure the player reports
/// in one line, not an abort that leaves the match's files behind.
pub fn zeroed(len: usize) -> Result<Vec<u8>, String> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        format!(
            "cannot allocate {}: out of memory (is a memory limit set, e.g. ulimit -v?)",
            crate::format::format_size(len)
        )
    })?;
    v.resize(len, 0);
    Ok(v)
}

/// Writes ball `seq` into `buf` (its length is the ball size). The payload
/// beyond the header is left as it is: fill it once with [`fill_payload`].
#[inline]
pub fn stamp(buf: &mut [u8], seq: u64, with_sum: bool) {
    let size = buf.len();
    if size >= HEADER {
        buf[0..8].copy_from_slice(&seq.to_le_bytes());
        buf[8..12].copy_from_slice(&(size as u32).to_le_bytes());
        buf[12..16].fill(0);
        if with_sum {
            let sum = crc32c::crc32c(buf);
            buf[12..16].copy_from_slice(&sum.to_le_bytes());
        }
    } else {
        buf[0..4].copy_from_slice(&(seq as u32).to_le_bytes());
        for (i, b) in buf[4..].iter_mut().enumerate() {
            *b = pattern_byte(seq, i);
        }
    }
}

/// Fills the payload of a ball with bytes that vary along the ball, so that a
/// shifted or truncated ball cannot pass as a good one.
pub fn fill_payload(buf: &mut [u8]) {
    if buf.len() > HEADER {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for chunk in buf[HEADER..].chunks_mut(8) {
            // xorshift64: cheap, deterministic, no zero runs.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bytes = x.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[inline]
fn pattern_byte(seq: u64, i: usize) -> u8 {
    (seq as u8)
        .wrapping_mul(31)
        .wrapping_add(i as u8)
        .wrapping_add(0xA5)
}

/// The sequence number a ball carries (only its low 32 bits for balls under 16 bytes).
#[inline]
pub fn seq_of(buf: &[u8]) -> u64 {
    if buf.len() >= HEADER {
        u64::from_le_bytes(buf[0..8].try_into().expect("8 bytes"))
    } else {
        u32::from_le_bytes(buf[0..4].try_into().expect("4 bytes")) as u64
    }
}

/// Checks a received ball against the sequence number expected.
#[inline]
pub fn check(buf: &mut [u8], expected: u64, verify: Verify) -> Check {
    let size = buf.len();
    if size >= HEADER {
        let seq = seq_of(buf);
        if seq != expected {
            return other_ball(buf, seq, verify);
        }
        if u32::from_le_bytes(buf[8..12].try_into().expect("4 bytes")) as usize != size {
            return Check::Corrupted;
        }
        if verify.checks_sum(seq) {
            let stored = u32::from_le_bytes(buf[12..16].try_into().expect("4 bytes"));
            buf[12..16].fill(0);
            let sum = crc32c::crc32c(buf);
            buf[12..16].copy_from_slice(&stored.to_le_bytes());
            if sum != stored {
                return Check::Corrupted;
            }
        }
        Check::Good
    } else {
        let seq = seq_of(buf);
        if seq != expected as u32 as u64 {
            return other_ball(buf, seq, verify);
        }
        if verify != Verify::Seq
            && buf[4..]
                .iter()
                .enumerate()
                .any(|(i, &b)| b != pattern_byte(expected, i))
        {
            return Check::Corrupted;
        }
        Check::Good
    }
}

/// A ball that carries another number than the one expected: another
/// ball if the rest of it agrees with the number it carries (its size
/// field, its CRC if it has one, its pattern bytes), a corrupted one
/// otherwise (a damaged number is not a stale or early ball). Only reached
/// on the rare wrong-number path, so the extra check costs the rally nothing.
#[cold]
fn other_ball(buf: &mut [u8], found: u64, verify: Verify) -> Check {
    let size = buf.len();
    let intact = if size >= HEADER {
        let stored = u32::from_le_bytes(buf[12..16].try_into().expect("4 bytes"));
        let size_ok = u32::from_le_bytes(buf[8..12].try_into().expect("4 bytes")) as usize == size;
        // A ball stamped without its sum (sampling, --verify seq) has zero there.
        size_ok
            && (stored == 0 || {
                buf[12..16].fill(0);
                let sum = crc32c::crc32c(buf);
                buf[12..16].copy_from_slice(&stored.to_le_bytes());
                sum == stored
            })
    } else {
        verify == Verify::Seq
            || buf[4..]
                .iter()
                .enumerate()
                .all(|(i, &b)| b == pattern_byte(found, i))
    };
    if intact {
        Check::WrongSeq(found)
    } else {
        Check::Garbage
    }
}

/// The full sequence number of a ball that carries `found`, read next to the
/// one `expected`: balls under 16 bytes carry only the low 32 bits, which are
/// taken as the nearest number to `expected` (wrap-around safe). `None` for
/// a number before the first ball (never a wrap to a huge one).
#[inline]
pub fn unwrap_seq(found: u64, expected: u64, size: usize) -> Option<u64> {
    if size >= HEADER {
        Some(found)
    } else {
        let delta = (found as u32).wrapping_sub(expected as u32) as i32 as i64;
        expected.checked_add_signed(delta)
    }
}

/// Whether `buf` is the ball that ends a rally: the end number, and the
/// rest of the ball as the end ball is stamped (its size field and CRC, or
/// its pattern bytes), so that garbage that happens to start with the end
/// number (all 0xFF) cannot end a rally.
pub fn is_end(buf: &mut [u8]) -> bool {
    seq_of(buf) == end_seq(buf.len()) && check(buf, end_seq(buf.len()), Verify::All) == Check::Good
}

/// The sequence number that ends a rally: "stop, and answer the same".
#[inline]
pub fn end_seq(size: usize) -> u64 {
    if size >= HEADER {
        u64::MAX
    } else {
        u32::MAX as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ball(size: usize, seq: u64) -> Vec<u8> {
        let mut b = vec![0u8; size];
        fill_payload(&mut b);
        stamp(&mut b, seq, true);
        b
    }

    #[test]
    fn a_fresh_ball_checks_good() {
        for size in [4, 5, 15, 16, 17, 64, 4096, 100_000] {
            let mut b = ball(size, 42);
            assert_eq!(check(&mut b, 42, Verify::All), Check::Good, "size {size}");
        }
    }

    #[test]
    fn a_ball_from_another_round_is_reported_with_its_number() {
        let mut b = ball(64, 7);
        assert_eq!(check(&mut b, 8, Verify::All), Check::WrongSeq(7));
        let mut s = ball(4, 7);
        assert_eq!(check(&mut s, 8, Verify::All), Check::WrongSeq(7));
    }

    #[test]
    fn short_sequence_numbers_unwrap_next_to_the_expected_one() {
        assert_eq!(unwrap_seq(7, 8, 4), Some(7));
        assert_eq!(unwrap_seq(9, 8, 4), Some(9));
        let big = (1u64 << 32) + 5;
        assert_eq!(unwrap_seq(3, big, 4), Some((1u64 << 32) + 3));
        assert_eq!(
            unwrap_seq(u32::MAX as u64, 1u64 << 32, 4),
            Some((1u64 << 32) - 1)
        );
        assert_eq!(unwrap_seq(12345, 7, 64), Some(12345));
    }

    #[test]
    fn a_short_number_before_the_first_ball_does_not_wrap_to_a_huge_one() {
        assert_eq!(unwrap_seq(u32::MAX as u64 - 15, 3, 4), None);
    }

    #[test]
    fn a_ball_whose_number_was_damaged_is_corrupted_not_another_ball() {
        for size in [5, 8, 15, 16, 64, 4096] {
            let mut b = ball(size, 7);
            b[0] ^= 0x40;
            assert_eq!(check(&mut b, 7, Verify::All), Check::Garbage, "size {size}");
        }
        // Stamped without a sum (sampling): the size field still tells.
        let mut b = vec![0u8; 64];
        stamp(&mut b, 7, false);
        b[9] ^= 1;
        b[0] ^= 0x40;
        assert_eq!(check(&mut b, 7, Verify::Sample), Check::Garbage);
    }

    #[test]
    fn seq_only_verification_ignores_the_payload() {
        let mut b = ball(64, 3);
        b[40] ^= 1;
        assert_eq!(check(&mut b, 3, Verify::Seq), Check::Good);
        assert_eq!(check(&mut b, 3, Verify::All), Check::Corrupted);
    }

    #[test]
    fn sampling_checks_one_ball_in_sample_every() {
        let checked = (0..SAMPLE_EVERY * 10)
            .filter(|&s| Verify::Sample.checks_sum(s))
            .count();
        assert_eq!(checked, 10);
    }

    proptest! {
        #[test]
        fn any_payload_round_trips(size in MIN_SIZE..5000usize, seq in any::<u64>(), seed in any::<u8>()) {
            let mut b = vec![seed; size];
            stamp(&mut b, seq, true);
            let mut copy = b.clone();
            prop_assert_eq!(check(&mut copy, seq, Verify::All), Check::Good);
            // Checking leaves the ball as it was, so pong can send it back.
            prop_assert_eq!(copy, b);
        }

        #[test]
        fn any_single_corruption_is_caught(size in MIN_SIZE..5000usize, seq in any::<u64>(),
                                           pos in any::<prop::sample::Index>(), flip in 1u8..=255) {
            let mut b = ball(size, seq);
            let i = pos.index(size);
            b[i] ^= flip;
            let outcome = check(&mut b, seq, Verify::All);
            prop_assert_ne!(outcome, Check::Good, "flip {:#x} at {} of {} went unnoticed", flip, i, size);
        }
    }
}
