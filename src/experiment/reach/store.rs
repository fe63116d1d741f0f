//! Where a way's structure lies (the writer's heap, shared memory both
//! processes map, or nowhere shared), and the work on it: filling it with a
//! round's contents, summing its words.

use super::Way;
use crate::channel::shm::Region;
use anyhow::{anyhow, bail, Result};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Where the structure starts in the shared region (after the header's page).
const DATA_AT: usize = 4096;

/// Fills the structure with contents of round `round`; returns the sum of
/// its 64-bit words, which the reader must find.
pub(super) fn fill(bytes: &mut [u8], round: u64) -> u64 {
    let seed = round.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut sum = 0u64;
    for (i, w) in bytes.chunks_exact_mut(8).enumerate() {
        let v = seed.wrapping_mul(i as u64 + 1) ^ round;
        w.copy_from_slice(&v.to_le_bytes());
        sum = sum.wrapping_add(v);
    }
    sum
}

/// Reads every 64-bit word of the structure: the reader's work, the same
/// code for every way.
#[inline(never)]
pub(super) fn sum_words(bytes: &[u8]) -> u64 {
    bytes.chunks_exact(8).fold(0u64, |a, w| {
        a.wrapping_add(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))
    })
}

/// The structure in a memfd both processes map, with the round the writer
/// last published in its header.
pub(super) struct Shared {
    region: Region,
    _fd: OwnedFd,
    size: usize,
}

// SAFETY: the mapping is plain shared memory, valid until Drop; the writer
// and the reader take turns on the structure (note, then answer), and the
// published round is an atomic.
unsafe impl Sync for Shared {}

impl Shared {
    pub(super) fn new(size: usize) -> Result<Shared> {
        let fd = Region::create("reach", DATA_AT + size)?;
        let region = Region::map(&fd, DATA_AT + size)
            .map_err(|e| anyhow!("mapping the shared structure: {e}"))?;
        Ok(Shared {
            region,
            _fd: fd,
            size,
        })
    }

    fn published(&self) -> &AtomicU64 {
        // SAFETY: offset 0 is page-aligned and inside the region; a fresh
        // memfd is zeroed, and the word is only ever accessed atomically.
        unsafe { self.region.at::<AtomicU64>(0) }
    }

    /// The writer fills the structure and publishes round `round`.
    pub(super) fn write(&self, round: u64) -> u64 {
        // SAFETY: the region holds DATA_AT + size bytes. Only the writer
        // writes, and only between the reader's answer and its next note:
        // the reader touches the structure only between note and answer.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(self.region.base().add(DATA_AT), self.size) };
        let sum = fill(bytes, round);
        self.published().store(round, Ordering::Release);
        sum
    }

    /// The reader reads round `round` in place.
    pub(super) fn read(&self, round: u64) -> Result<u64> {
        let seen = self.published().load(Ordering::Acquire);
        if seen != round {
            bail!("the note said round {round}, the shared memory holds round {seen}");
        }
        // SAFETY: as in `write`: between the note and the answer no one writes.
        let bytes =
            unsafe { std::slice::from_raw_parts(self.region.base().add(DATA_AT), self.size) };
        Ok(sum_words(bytes))
    }
}

/// Where the structure lies for a way.
#[derive(Clone)]
pub(super) enum Store {
    /// The writer's own heap, shared with the reader thread by reference.
    Heap(Arc<RwLock<Vec<u8>>>),
    /// Shared memory mapped by both processes.
    Shared(Arc<Shared>),
    /// Nowhere shared: each side has its own buffer and the pipe carries it.
    Pipe,
}

pub(super) fn store_for(way: Way, size: usize) -> Result<Store> {
    Ok(match way {
        Way::ThreadsInPlace => Store::Heap(Arc::new(RwLock::new(vec![0u8; size]))),
        Way::ProcessesSharedMemory => Store::Shared(Arc::new(Shared::new(size)?)),
        Way::ThreadsPipe | Way::ProcessesPipe => Store::Pipe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_finds_the_sum_the_writer_wrote_and_only_that() {
        let mut a = vec![0u8; 4096];
        let s1 = fill(&mut a, 1);
        assert_eq!(sum_words(&a), s1);
        let s2 = fill(&mut a, 2);
        assert_ne!(s1, s2, "each round writes new contents");
        assert_eq!(sum_words(&a), s2);
        a[100] ^= 1;
        assert_ne!(sum_words(&a), s2, "one flipped bit is seen");
    }

    #[test]
    fn shared_memory_read_in_place_sees_the_round_published() {
        let s = Shared::new(4096).unwrap();
        let expected = s.write(3);
        assert_eq!(s.read(3).unwrap(), expected);
        assert!(s.read(4).is_err(), "a note for another round is refused");
    }
}
