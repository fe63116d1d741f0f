//! Live demonstrations for the definitional claims: not measurements, but
//! the machine showing what the claim says (or failing to).

use crate::evidence::Demo;
use std::sync::atomic::{AtomicU64, Ordering};

fn tid() -> u32 {
    rustix::thread::gettid().as_raw_nonzero().get() as u32
}

/// T1, P2: threads live inside one process: their ids share one pid.
pub fn threads_share_a_pid() -> Demo {
    let pid = std::process::id();
    let seen: Vec<(u32, u32)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| (std::process::id(), tid())))
            .collect();
        hs.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let same_pid = seen.len() == 2 && seen.iter().all(|&(p, _)| p == pid);
    let distinct = seen.len() == 2 && seen[0].1 != seen[1].1 && seen.iter().all(|&(_, t)| t != pid);
    Demo {
        shows_claim: same_pid && distinct,
        shown: format!(
            "two threads got thread ids {} under the one process id {pid} (the main thread's id is the pid itself)",
            seen.iter().map(|(_, t)| t.to_string()).collect::<Vec<_>>().join(" and ")
        ),
    }
}

/// P1: the kernel makes a process to run a program: a new pid, our child.
pub fn the_os_makes_a_process() -> Demo {
    let me = std::process::id();
    match std::process::Command::new("/bin/true").spawn() {
        Ok(mut child) => {
            let pid = child.id();
            let ok = child.wait().map(|s| s.success()).unwrap_or(false);
            Demo {
                shows_claim: ok && pid != me,
                shown: format!(
                    "running /bin/true, the kernel made process {pid} (a child of pingpong, {me}), which ran the program and exited"
                ),
            }
        }
        Err(e) => Demo {
            shows_claim: false,
            shown: format!("could not start /bin/true: {e}"),
        },
    }
}

static SHARED: AtomicU64 = AtomicU64::new(0);
thread_local! {
    static LOCAL: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// T2, T5, A8: a global written by one thread is read by another; a
/// thread-local is each thread's own.
pub fn threads_share_globals() -> Demo {
    let value = 0x5EED_0000 + u64::from(std::process::id());
    SHARED.store(0, Ordering::SeqCst);
    LOCAL.with(|l| l.set(1));
    let their_local = std::thread::scope(|s| {
        s.spawn(|| {
            SHARED.store(value, Ordering::SeqCst);
            LOCAL.with(|l| l.set(2));
            LOCAL.with(|l| l.get())
        })
        .join()
        .unwrap_or(0)
    });
    let read = SHARED.load(Ordering::SeqCst);
    let mine = LOCAL.with(|l| l.get());
    Demo {
        shows_claim: read == value && mine == 1 && their_local == 2,
        shown: format!(
            "a thread wrote {value:#x} to a global and the main thread read {read:#x}; \
             a thread-local set to 2 in that thread stayed {mine} in the main thread"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demonstrations_show_what_the_claims_say() {
        assert!(threads_share_a_pid().shows_claim);
        assert!(threads_share_globals().shows_claim);
        assert!(the_os_makes_a_process().shows_claim);
    }
}
