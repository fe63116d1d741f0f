//! The work every run does: SplitMix64 summed over a range of integers
//! (wrapping), so the answer does not depend on how the range is split
//! into parts, and the answer over the whole work computed serially.

use super::Deadline;
use anyhow::Result;
use std::sync::atomic::{AtomicBool, Ordering};

/// SplitMix64's output function (Steele, Lea, Flood 2014).
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The kernel: wrapping sum of splitmix64(i) for i in lo..hi. Checks `stop`
/// every 2^20 iterations, so a deadline can end a thread that cannot be killed.
pub fn kernel(lo: u64, hi: u64, stop: &AtomicBool) -> Option<u64> {
    let mut acc = 0u64;
    let mut i = lo;
    while i < hi {
        let end = hi.min(i + (1 << 20));
        for x in i..end {
            acc = acc.wrapping_add(splitmix64(x));
        }
        i = end;
        if stop.load(Ordering::Relaxed) {
            return None;
        }
    }
    Some(acc)
}

/// The kernel's result over 0..work, computed in slices so that Ctrl-C
/// and the deadline end it too (a large `--work` takes seconds).
pub(super) fn expected_checksum(work: u64, d: &Deadline) -> Result<u64> {
    let never = AtomicBool::new(false);
    let mut acc = 0u64;
    let mut lo = 0;
    while lo < work {
        d.check("computing the expected checksum")?;
        let hi = work.min(lo + (1 << 24));
        acc = acc.wrapping_add(kernel(lo, hi, &never).unwrap_or(0));
        lo = hi;
    }
    Ok(acc)
}

/// The `i`-th of `n` near-equal parts of 0..work.
pub fn part(work: u64, n: usize, i: usize) -> (u64, u64) {
    let n = n as u128;
    let w = work as u128;
    ((w * i as u128 / n) as u64, (w * (i as u128 + 1) / n) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_work_exactly() {
        for n in 1..9 {
            let mut next = 0;
            for i in 0..n {
                let (lo, hi) = part(1000, n, i);
                assert_eq!(lo, next);
                next = hi;
            }
            assert_eq!(next, 1000);
        }
    }

    #[test]
    fn the_answer_does_not_depend_on_the_split() {
        let stop = AtomicBool::new(false);
        let whole = kernel(0, 10_000, &stop).unwrap();
        let split = (0..3)
            .map(|i| {
                let (lo, hi) = part(10_000, 3, i);
                kernel(lo, hi, &stop).unwrap()
            })
            .fold(0u64, u64::wrapping_add);
        assert_eq!(whole, split);
    }

    #[test]
    fn splitmix_matches_the_reference() {
        // First output of the reference generator seeded with 0.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }
}
