//! One run of the kernel split over worker threads or over forked worker
//! processes: its wall time, its CPU time and the sum of the parts.

use super::{kernel, part};
use crate::experiment::{Children, Deadline};
use anyhow::{bail, Result};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// One run over threads: (wall ns, CPU ns, checksum).
pub fn threads(work: u64, n: usize, pin: Option<usize>, d: &Deadline) -> Result<(u64, u64, u64)> {
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<Result<u64, String>>();
    let cpu0 = crate::measure::rusage::process_cpu_ns();
    let t0 = Instant::now();
    let mut hs = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, stop) = (tx.clone(), stop.clone());
        hs.push(std::thread::spawn(move || {
            if let Some(c) = pin {
                if let Err(e) = crate::measure::placement::pin_to(c) {
                    let _ = tx.send(Err(format!("{e:#}")));
                    return;
                }
            }
            let (lo, hi) = part(work, n, i);
            if let Some(v) = kernel(lo, hi, &stop) {
                let _ = tx.send(Ok(v));
            }
        }));
    }
    drop(tx);
    let mut total = 0u64;
    let mut failure = None;
    for _ in 0..n {
        match rx.recv_timeout(d.remaining()) {
            Ok(Ok(v)) => total = total.wrapping_add(v),
            Ok(Err(e)) => {
                failure = Some(anyhow::anyhow!(e));
                break;
            }
            Err(_) => {
                failure = Some(anyhow::anyhow!(
                    "{n} worker threads did not finish within {}; told to stop",
                    d.describe()
                ));
                break;
            }
        }
    }
    if failure.is_some() {
        stop.store(true, Ordering::Relaxed);
    }
    for h in hs {
        let _ = h.join();
    }
    let wall = t0.elapsed().as_nanos() as u64;
    let cpu = crate::measure::rusage::process_cpu_ns().saturating_sub(cpu0);
    match failure {
        Some(e) => Err(e),
        None => Ok((wall, cpu, total)),
    }
}

/// One run over forked processes: (wall ns, CPU ns, checksum).
pub fn processes(work: u64, n: usize, pin: Option<usize>, d: &Deadline) -> Result<(u64, u64, u64)> {
    let (r, w) = crate::experiment::pipe()?;
    let mut kids = Children::default();
    let cpu0 = crate::experiment::children_cpu_ns();
    let t0 = Instant::now();
    for i in 0..n {
        let wfd = w.as_raw_fd();
        kids.0.push(crate::experiment::fork_child(move || {
            if let Some(c) = pin {
                if crate::measure::placement::pin_to(c).is_err() {
                    return false;
                }
            }
            let (lo, hi) = part(work, n, i);
            let v = kernel(lo, hi, &AtomicBool::new(false)).unwrap_or(0);
            // SAFETY: writes 8 bytes (atomic on a pipe) from a live buffer.
            unsafe { nix::libc::write(wfd, v.to_le_bytes().as_ptr().cast(), 8) == 8 }
        })?);
    }
    drop(w);
    let mut buf = vec![0u8; 8 * n];
    crate::experiment::read_within(r.as_fd(), &mut buf, d, "the worker processes")
        .map_err(crate::experiment::or_killed)?;
    let statuses = kids.reap_all(d, "a worker process")?;
    let wall = t0.elapsed().as_nanos() as u64;
    if !statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
    {
        bail!("a worker process did not exit cleanly: {statuses:?}");
    }
    let cpu = crate::experiment::children_cpu_ns().saturating_sub(cpu0);
    let total = buf
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .fold(0u64, u64::wrapping_add);
    Ok((wall, cpu, total))
}
