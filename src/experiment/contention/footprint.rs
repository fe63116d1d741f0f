//! What each mechanism adds in memory beyond the `u64` total it guards or
//! carries: a lock's or an atomic's size, a channel's heap growth.

use super::{Footprint, Footprinting, Method};
use crate::kinds::UnitKind;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, RwLock};

/// Objects made to measure a channel's heap: enough that a page's worth of
/// allocator slack does not matter, few enough to take a millisecond.
const CHANNELS_MEASURED: u64 = 256;

fn size_of_less_u64<T>(object: &str) -> Footprint {
    let bytes = std::mem::size_of::<T>() as u64;
    Footprint {
        extra_bytes: bytes.saturating_sub(std::mem::size_of::<u64>() as u64) as f64,
        how: Footprinting::SizeOf {
            object: object.into(),
            bytes,
        },
        per_queued_value_bytes: None,
    }
}

/// What `method` adds in memory, between `unit`s.
pub(super) fn footprint(
    unit: UnitKind,
    method: Method,
    channel: Option<&Footprint>,
) -> Option<Footprint> {
    Some(match (unit, method) {
        (_, Method::PerWorker) => Footprint {
            extra_bytes: 0.0,
            how: Footprinting::Nothing,
            per_queued_value_bytes: None,
        },
        (_, Method::Atomic) => size_of_less_u64::<AtomicU64>("AtomicU64"),
        (UnitKind::Thread, Method::Mutex) => size_of_less_u64::<Mutex<u64>>("Mutex<u64>"),
        (UnitKind::Thread, Method::Rwlock) => size_of_less_u64::<RwLock<u64>>("RwLock<u64>"),
        (UnitKind::Thread, Method::Channel) => return channel.cloned(),
        // Between processes the mutex sits beside the total, whole.
        (_, Method::Mutex) => {
            let bytes = std::mem::size_of::<nix::libc::pthread_mutex_t>() as u64;
            Footprint {
                extra_bytes: bytes as f64,
                how: Footprinting::SizeOf {
                    object: "pthread_mutex_t".into(),
                    bytes,
                },
                per_queued_value_bytes: None,
            }
        }
        _ => return None,
    })
}

/// glibc's `struct mallinfo2` (every field a `size_t`).
#[repr(C)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    /// Bytes in use by malloc.
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

/// Bytes in use by malloc, from glibc's `mallinfo2`, looked up at run time
/// so that the binary still starts on a C library without it (glibc before
/// 2.33, musl): then None. Hand-written because no maintained crate reports
/// the allocator's bytes in use without replacing the global allocator.
fn heap_in_use() -> Option<usize> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks
    // a symbol up; a null result is handled.
    let sym = unsafe { nix::libc::dlsym(nix::libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
    if sym.is_null() {
        return None;
    }
    // SAFETY: glibc's mallinfo2 takes nothing and returns struct mallinfo2
    // by value, which `MallInfo2` mirrors field for field.
    let f: unsafe extern "C" fn() -> MallInfo2 = unsafe { std::mem::transmute(sym) };
    // SAFETY: a plain call of that function; it only reads allocator state.
    let info = unsafe { f() };
    Some(info.uordblks)
}

/// A std channel's heap: the growth of making [`CHANNELS_MEASURED`]
/// channels that each carried one value, per channel, plus its two handles;
/// and the growth per value left waiting in one channel.
pub(super) fn channel_footprint() -> Option<Footprint> {
    let k = CHANNELS_MEASURED as usize;
    let mut held = Vec::with_capacity(k);
    let before = heap_in_use()?;
    for i in 0..k {
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        tx.send(i as u64).ok()?;
        rx.recv().ok()?;
        held.push((tx, rx));
    }
    let after = heap_in_use()?;
    drop(held);
    let per_channel = after.saturating_sub(before) as f64 / k as f64;
    // Values left waiting: enough to fill many of the channel's blocks.
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    tx.send(0).ok()?;
    let waiting = 31 * 64;
    let before = heap_in_use()?;
    for i in 0..waiting {
        tx.send(i).ok()?;
    }
    let after = heap_in_use()?;
    drop((tx, rx));
    let handles = (std::mem::size_of::<std::sync::mpsc::Sender<u64>>()
        + std::mem::size_of::<std::sync::mpsc::Receiver<u64>>()) as u64;
    Some(Footprint {
        extra_bytes: per_channel + handles as f64,
        how: Footprinting::HeapGrowth {
            objects: CHANNELS_MEASURED,
            handle_bytes: handles,
        },
        per_queued_value_bytes: Some(after.saturating_sub(before) as f64 / waiting as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_adds_no_bytes_to_its_u64_and_a_lock_adds_some() {
        let none = footprint(UnitKind::Thread, Method::PerWorker, None).unwrap();
        assert_eq!(none.extra_bytes, 0.0);
        assert_eq!(
            footprint(UnitKind::Thread, Method::Atomic, None)
                .unwrap()
                .extra_bytes,
            0.0
        );
        for unit in [UnitKind::Thread, UnitKind::Fork] {
            let m = footprint(unit, Method::Mutex, None).unwrap();
            assert!(m.extra_bytes > 0.0, "{unit}: {m:?}");
        }
        // A channel's cost is measured, never assumed.
        assert_eq!(footprint(UnitKind::Thread, Method::Channel, None), None);
        assert_eq!(footprint(UnitKind::Fork, Method::Rwlock, None), None);
    }
}
