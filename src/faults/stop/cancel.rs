//! `pthread_cancel` on a thread blocked in `read` (a cancellation point),
//! on a pure CPU loop (deferred cancellation), and on a CPU loop that
//! switched itself to asynchronous cancellation.
//!
//! Cancelling a thread unwinds its stack (glibc's forced unwinding, the way
//! C++ destructors run on cancellation). Rust allows a forced unwind only
//! through "plain old frames", frames with nothing to drop; through a frame
//! that owns something it is undefined behaviour. A `std::thread`'s frames
//! own its closure, its result slot, its name…, so a `std::thread` must never
//! be cancelled. These threads are therefore created with raw
//! `pthread_create` and run a plain `extern "C"` function whose frame holds
//! only integers: nothing to drop, and no Rust frame below it. Even so, this
//! is only done inside the sacrificial child: if anything goes wrong (an
//! abort, a crash), the parent sees that death and reports it as the
//! outcome, and pingpong lives on.
//!
//! Asynchronous cancellation may strike at any instruction, so the code it
//! may strike must be async-cancel-safe: here that is a loop of one atomic
//! add, calling nothing, in a frame with nothing to drop. Rust promises
//! nothing about an unwind starting inside a Rust frame at an arbitrary
//! instruction, which is one more reason it is only observed here, in a
//! process that exists to be lost.

use super::cases::Case;
use super::{Method, Observed};
use crate::faults::{mark, mono_ns, report, Row};
use anyhow::{bail, Result};
use nix::libc;
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

// Hand-declared: the libc crate does not expose these (values from glibc's
// and musl's <pthread.h>, identical on every Linux architecture).
extern "C" {
    fn pthread_setcanceltype(kind: libc::c_int, old: *mut libc::c_int) -> libc::c_int;
}
const PTHREAD_CANCEL_ASYNCHRONOUS: libc::c_int = 1;
/// `PTHREAD_CANCELED`, `((void *) -1)`: what joining a cancelled thread returns.
const PTHREAD_CANCELED: usize = usize::MAX;

/// Turns of the CPU loop so far (it only adds to this).
static LOOP_TURNS: AtomicU64 = AtomicU64::new(0);

/// Blocks in `read` on the fd given as its argument (an integer, not a pointer).
extern "C" fn blocked_read(arg: *mut libc::c_void) -> *mut libc::c_void {
    let fd = arg as usize as libc::c_int;
    let mut byte = 0u8;
    // SAFETY: reads at most one byte into a local; the fd stays open in the
    // parent thread for as long as this thread can run.
    unsafe { libc::read(fd, (&mut byte as *mut u8).cast(), 1) };
    std::ptr::null_mut()
}

/// A pure CPU loop: no cancellation point, ever. A non-null argument
/// switches it to asynchronous cancellation first.
extern "C" fn cpu_loop(arg: *mut libc::c_void) -> *mut libc::c_void {
    if !arg.is_null() {
        // SAFETY: changes only this thread's cancel type; the old type is not wanted.
        unsafe { pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, std::ptr::null_mut()) };
    }
    loop {
        LOOP_TURNS.fetch_add(1, Ordering::Relaxed);
    }
}

/// A raw pthread's start routine.
type Start = extern "C" fn(*mut libc::c_void) -> *mut libc::c_void;

pub(super) fn cancel(c: &Case, grace: Duration) -> Result<i32> {
    let (r, _w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let (start, arg): (Start, usize) = match c.method {
        Method::PthreadCancelBlocked => (blocked_read, r.as_raw_fd() as usize),
        Method::PthreadCancelCpuLoop => (cpu_loop, 0),
        _ => (cpu_loop, 1),
    };
    let thread = create(start, arg)?;
    // Let it reach its read, or spin a while.
    std::thread::sleep(Duration::from_millis(20));
    let turns0 = LOOP_TURNS.load(Ordering::SeqCst);
    let t0 = mark();
    let joined = cancel_and_join(thread, grace)?;
    let at = mono_ns();
    let turns = LOOP_TURNS.load(Ordering::SeqCst).saturating_sub(turns0);
    let mut figures = BTreeMap::new();
    if c.method != Method::PthreadCancelBlocked {
        figures.insert("loop_turns_after_cancel".into(), turns as f64);
    }
    if let Some(retval) = joined {
        report_joined(c, figures, retval, at.saturating_sub(t0));
        return Ok(0);
    }
    report_still_running(c, figures, grace, turns);
    // The thread cannot be joined; end the process around it.
    std::process::exit(0);
}

/// A raw pthread running `start` with a plain integer argument.
fn create(start: Start, arg: usize) -> Result<libc::pthread_t> {
    let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: `start` has the start routine's signature; its argument is a
    // plain integer (an fd, or a flag), so no memory is shared with the thread.
    let rc = unsafe {
        libc::pthread_create(
            thread.as_mut_ptr(),
            std::ptr::null(),
            start,
            arg as *mut libc::c_void,
        )
    };
    if rc != 0 {
        bail!("pthread_create: {}", std::io::Error::from_raw_os_error(rc));
    }
    // SAFETY: pthread_create succeeded, so it wrote the thread's id.
    Ok(unsafe { thread.assume_init() })
}

/// `pthread_cancel`, then tries to join the thread until the grace period
/// ends: what it returned if it was joined (`None` if it was not).
fn cancel_and_join(thread: libc::pthread_t, grace: Duration) -> Result<Option<usize>> {
    // SAFETY: the thread was created by `create` and has been neither joined nor detached.
    let rc = unsafe { libc::pthread_cancel(thread) };
    if rc != 0 {
        bail!("pthread_cancel: {}", std::io::Error::from_raw_os_error(rc));
    }
    let end = Instant::now() + grace;
    let mut retval: *mut libc::c_void = std::ptr::null_mut();
    let joined = loop {
        // SAFETY: as above; `retval` is a valid place for the thread's result.
        match unsafe { libc::pthread_tryjoin_np(thread, &mut retval) } {
            0 => break true,
            libc::EBUSY if Instant::now() < end => std::thread::sleep(Duration::from_micros(200)),
            _ => break false,
        }
    };
    Ok(joined.then_some(retval as usize))
}

/// The thread was joined: cancelled, or ended by itself.
fn report_joined(c: &Case, mut figures: BTreeMap<String, f64>, retval: usize, notice_ns: u64) {
    let cancelled = retval == PTHREAD_CANCELED;
    figures.insert("joined_canceled".into(), f64::from(u8::from(cancelled)));
    report(&Row {
        outcome: if cancelled {
            "cancelled: joined with PTHREAD_CANCELED".into()
        } else {
            "ended by itself (joined, not PTHREAD_CANCELED)".into()
        },
        status: "joined".into(),
        survived: Some(true),
        notice_ns: Some(notice_ns as f64),
        detail: "a raw pthread running a plain extern \"C\" function (no Rust frame to \
                 unwind); time to notice = from pthread_cancel until it was joined"
            .into(),
        figures,
        stop: Some(c.attempt(Observed::Ended)),
        ..Row::default()
    });
}

/// The thread was still blocked, or still running, after the grace period.
fn report_still_running(c: &Case, figures: BTreeMap<String, f64>, grace: Duration, turns: u64) {
    report(&Row {
        outcome: format!(
            "not cancelled: still {} {} ms after pthread_cancel{}; ended only by ending its process",
            if c.method == Method::PthreadCancelBlocked {
                "blocked"
            } else {
                "running"
            },
            grace.as_millis(),
            if c.method == Method::PthreadCancelBlocked {
                String::new()
            } else {
                format!(" ({turns} more turns of its loop)")
            }
        ),
        status: "running → process exit".into(),
        survived: Some(true),
        detail: "deferred cancellation acts only at a cancellation point (read, sleep…), which \
                 a pure CPU loop never reaches; the sacrificial process exits and takes the \
                 thread with it"
            .into(),
        figures,
        stop: Some(c.attempt(Observed::StillRunning)),
        ..Row::default()
    });
}
