//! The contrast: a thread that cooperates, checking a flag (and, for a
//! blocked read, woken by SIGUSR1 to see it).

use super::cases::Case;
use super::{Method, Observed};
use crate::faults::{mono_ns, report, Row};
use anyhow::Result;
use nix::sys::signal::Signal;
use std::hint::black_box;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The contrast: a thread that cooperates (checks a flag; for a blocked
/// read, is woken by SIGUSR1 to see it).
pub(super) fn cooperative(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    crate::interrupt::install_handlers();
    let flag = Arc::new(AtomicBool::new(false));
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let interrupts = c.method == Method::FlagAndSignal;
    let f = flag.clone();
    let h = std::thread::Builder::new()
        .name("runaway".into())
        .spawn(move || {
            let mut x = 0u64;
            let mut buf = [0u8; 1];
            if interrupts {
                loop {
                    match rustix::io::read(r.as_fd(), &mut buf) {
                        Err(rustix::io::Errno::INTR) if f.load(Ordering::SeqCst) => break,
                        Err(rustix::io::Errno::INTR) => continue,
                        _ => break,
                    }
                }
            } else {
                while !f.load(Ordering::Relaxed) {
                    x = black_box(x.wrapping_add(1));
                }
            }
        })?;
    std::thread::sleep(Duration::from_millis(20));
    let pthread = h.as_pthread_t();
    let t0 = mono_ns();
    flag.store(true, Ordering::SeqCst);
    let end = Instant::now() + grace;
    while !h.is_finished() && Instant::now() < end {
        if interrupts {
            let _ = nix::sys::pthread::pthread_kill(pthread, Signal::SIGUSR1);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let stopped_at = mono_ns();
    if !h.is_finished() {
        report(&Row {
            outcome: format!(
                "not stopped within {} ms although it checks its flag",
                grace.as_millis()
            ),
            status: "running → process exit".into(),
            survived: Some(true),
            stop: Some(c.attempt(Observed::StillRunning)),
            ..Row::default()
        });
        std::process::exit(0);
    }
    let _ = h.join();
    drop(w);
    report(&Row {
        outcome: "stopped cooperatively and joined".into(),
        status: "joined".into(),
        survived: Some(true),
        notice_ns: Some(stopped_at.saturating_sub(t0) as f64),
        detail: if interrupts {
            "flag set, then SIGUSR1 (installed without SA_RESTART) until the read returned EINTR and the thread saw the flag".into()
        } else {
            "flag set; time until the loop saw it and the thread was joined".into()
        },
        stop: Some(c.attempt(Observed::Ended)),
        ..Row::default()
    });
    Ok(0)
}
