//! A signal aimed at one thread blocked in `read` (`pthread_kill`, handler
//! installed without `SA_RESTART`): does its read return EINTR, and is a
//! second blocked thread affected?

use super::cases::Case;
use super::task::{gettid, task_state};
use super::Observed;
use crate::faults::{mark, mono_ns, report, Row};
use anyhow::{Context, Result};
use nix::libc;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The thread aimed at, and where the SIGUSR1 handler ran.
static TARGET_TID: AtomicI32 = AtomicI32::new(0);
static HANDLER_RUNS: AtomicU64 = AtomicU64::new(0);
static HANDLER_RUNS_ELSEWHERE: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_usr1(_: libc::c_int) {
    HANDLER_RUNS.fetch_add(1, Ordering::SeqCst);
    if gettid() != TARGET_TID.load(Ordering::SeqCst) {
        HANDLER_RUNS_ELSEWHERE.fetch_add(1, Ordering::SeqCst);
    }
}

const BLOCKED: u8 = 0;
const EINTR: u8 = 1;
const RETURNED: u8 = 2;

/// A thread blocked in `read` on its own pipe, and how its read ended.
struct Reader {
    handle: std::thread::JoinHandle<()>,
    tid: Arc<AtomicI32>,
    state: Arc<AtomicU8>,
    returned_ns: Arc<AtomicU64>,
    write: std::os::fd::OwnedFd,
}

impl Reader {
    fn start(name: &str) -> Result<Reader> {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let tid = Arc::new(AtomicI32::new(0));
        let state = Arc::new(AtomicU8::new(BLOCKED));
        let returned_ns = Arc::new(AtomicU64::new(0));
        let (t, s, n) = (tid.clone(), state.clone(), returned_ns.clone());
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                t.store(gettid(), Ordering::SeqCst);
                let mut buf = [0u8; 1];
                // One read, not retried: what ends it is what we observe.
                let r = rustix::io::read(r.as_fd(), &mut buf);
                n.store(mono_ns(), Ordering::SeqCst);
                s.store(
                    if r == Err(rustix::io::Errno::INTR) {
                        EINTR
                    } else {
                        RETURNED
                    },
                    Ordering::SeqCst,
                );
            })?;
        Ok(Reader {
            handle,
            tid,
            state,
            returned_ns,
            write: w,
        })
    }

    fn state(&self) -> u8 {
        self.state.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until the thread sleeps in its read.
    fn wait_blocked(&self) {
        let end = Instant::now() + Duration::from_millis(500);
        while Instant::now() < end {
            let tid = self.tid.load(Ordering::SeqCst);
            if tid != 0 && task_state("self", tid) == Some('S') {
                return;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Lets it out of its read (if still in it) and joins it.
    fn finish(self) {
        let _ = rustix::io::write(&self.write, b"x");
        let _ = self.handle.join();
    }
}

pub(super) fn signal_eintr(c: &Case, grace: Duration) -> Result<i32> {
    use std::os::unix::thread::JoinHandleExt;
    let act = SigAction::new(
        SigHandler::Handler(on_usr1),
        SaFlags::empty(), // no SA_RESTART: an interrupted read returns EINTR
        SigSet::empty(),
    );
    // SAFETY: the handler only makes a system call (gettid) and touches
    // atomics, all async-signal-safe.
    unsafe { sigaction(Signal::SIGUSR1, &act) }.context("sigaction")?;
    let target = Reader::start("target")?;
    let bystander = Reader::start("bystander")?;
    target.wait_blocked();
    bystander.wait_blocked();
    TARGET_TID.store(target.tid.load(Ordering::SeqCst), Ordering::SeqCst);
    let pthread = target.handle.as_pthread_t();
    let t0 = mark();
    let end = Instant::now() + grace;
    let mut sent = 0u64;
    // Repeated, in case one lands just before the read starts (the handler
    // then runs and the read blocks anyway).
    while target.state() == BLOCKED && Instant::now() < end {
        // (An error only means the thread just left its read and ended.)
        if nix::sys::pthread::pthread_kill(pthread, Signal::SIGUSR1).is_ok() {
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // Time for any effect on the other thread to show.
    std::thread::sleep(Duration::from_millis(20));
    let (t, b) = (target.state(), bystander.state());
    let elsewhere = HANDLER_RUNS_ELSEWHERE.load(Ordering::SeqCst);
    let returned = target.returned_ns.load(Ordering::SeqCst);
    let result = if t == EINTR {
        Observed::Interrupted
    } else {
        Observed::NotInterrupted
    };
    let mut a = c.attempt(result);
    let others = b != BLOCKED || elsewhere > 0;
    a.others_affected = Some(others);
    let mut figures = BTreeMap::new();
    figures.insert("signals_sent".into(), sent as f64);
    figures.insert(
        "handler_runs".into(),
        HANDLER_RUNS.load(Ordering::SeqCst) as f64,
    );
    figures.insert("handler_runs_in_other_threads".into(), elsewhere as f64);
    let outcome = format!(
        "{} after {sent} signal(s); the other blocked thread {}",
        match t {
            EINTR => "interrupted: its read returned EINTR",
            RETURNED => "its read returned, but not with EINTR",
            _ => "not interrupted: still blocked in its read",
        },
        if b == BLOCKED {
            "stayed blocked"
        } else {
            "was affected too"
        },
    );
    target.finish();
    bystander.finish();
    report(&Row {
        outcome,
        status: "joined".into(),
        survived: Some(true),
        notice_ns: (t == EINTR).then(|| returned.saturating_sub(t0) as f64),
        detail: "SIGUSR1 by pthread_kill to one of two threads blocked in read, handler installed \
                 without SA_RESTART; the read is not retried; time to notice = from the first \
                 signal until the read returned"
            .into(),
        figures,
        stop: Some(a),
        ..Row::default()
    });
    Ok(0)
}
