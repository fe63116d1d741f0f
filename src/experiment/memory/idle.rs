//! The idle units and what they add: threads that wait on a condition
//! variable, processes (forked, or our binary re-executed) that wait for the
//! end of file on a pipe.

use super::smaps::{family_pss_growth, rollup, sum, vsz_kib};
use super::{Mem, RepMemory, IDLE, THREAD_STACK};
use crate::experiment::{Children, Deadline};
use anyhow::{bail, Context, Result};
use nix::unistd::Pid;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};

/// The idle child's life: say "ready" on stdout, wait for end-of-file on stdin.
pub fn idle_main() -> i32 {
    if std::io::stdout()
        .write_all(b"r")
        .and_then(|_| std::io::stdout().flush())
        .is_err()
    {
        return 1;
    }
    let mut buf = [0u8; 16];
    loop {
        match std::io::stdin().read(&mut buf) {
            Ok(0) => return 0,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return 1,
        }
    }
}

pub(super) fn per(total: Option<i64>, n: usize) -> Option<f64> {
    total.map(|t| t as f64 / n as f64)
}

/// Idle threads: the growth of pingpong, and how many units were counted (n).
/// The stack asked for in repetition `rep` (from 0): one page more each
/// time. glibc keeps ended threads' stacks (up to 40 MiB) and serves a new
/// thread from them when one is large enough; a larger request each time
/// keeps every repetition's threads fresh, like the processes.
pub(super) fn stack_for(rep: u32) -> usize {
    THREAD_STACK + rep as usize * 4096
}

pub(super) fn threads(n: usize, stack: usize, d: &Deadline) -> Result<(RepMemory, usize)> {
    let before = rollup("self").ok();
    let vsz_before = vsz_kib("self");
    // Gate: (ready count, released)
    let gate = Arc::new((Mutex::new((0usize, false)), Condvar::new()));
    let mut handles = Vec::with_capacity(n);
    let mut spawn_err = None;
    for _ in 0..n {
        let g = gate.clone();
        let dl = *d;
        match std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                let (m, cv) = &*g;
                let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
                st.0 += 1;
                cv.notify_all();
                while !st.1 && !dl.passed() {
                    st = cv
                        .wait_timeout(st, dl.remaining())
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
            }) {
            Ok(h) => handles.push(h),
            Err(e) => {
                spawn_err = Some(e);
                break;
            }
        }
    }
    let wait_ready = || -> Result<()> {
        let (m, cv) = &*gate;
        let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
        while st.0 < handles.len() {
            if d.passed() {
                bail!("{} threads did not all start within {}", n, d.describe());
            }
            st = cv
                .wait_timeout(st, d.remaining())
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        Ok(())
    };
    let ready = wait_ready();
    let after = rollup("self").ok();
    let vsz_after = vsz_kib("self");
    {
        let (m, cv) = &*gate;
        m.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        cv.notify_all();
    }
    for h in handles {
        let _ = h.join();
    }
    if let Some(e) = spawn_err {
        bail!("could not start thread: {e}");
    }
    ready?;
    let delta = |f: fn(&Mem) -> u64| match (before, after) {
        (Some(b), Some(a)) => Some(f(&a) as i64 - f(&b) as i64),
        _ => None,
    };
    let vsz = match (vsz_before, vsz_after) {
        (Some(b), Some(a)) => Some(a as i64 - b as i64),
        _ => None,
    };
    Ok((
        RepMemory {
            pss_kib_per_unit: per(delta(|m| m.pss_kib), n),
            uss_kib_per_unit: per(delta(|m| m.uss_kib), n),
            rss_kib_per_unit: per(delta(|m| m.rss_kib), n),
            vsz_kib_per_unit: per(vsz, n),
            parent_pss_change_kib: None,
        },
        n,
    ))
}

/// Idle processes: the family's figures, and how many children were read.
pub(super) fn processes(n: usize, d: &Deadline, fork: bool) -> Result<(RepMemory, usize)> {
    let (hold_r, hold_w) = crate::experiment::pipe()?;
    let (ready_r, ready_w) = crate::experiment::pipe()?;
    let mut kids = Children::default();
    let before = rollup("self").ok();
    for _ in 0..n {
        let pid = if fork {
            fork_idle(&hold_r, &hold_w, &ready_w)?
        } else {
            spawn_idle(&hold_r, &ready_w)?
        };
        kids.0.push(pid);
    }
    drop(ready_w);
    let mut buf = vec![0u8; n];
    crate::experiment::read_within(ready_r.as_fd(), &mut buf, d, "the idle children's start")
        .map_err(crate::experiment::or_killed)?;
    let after = rollup("self").ok();
    let (mems, vsz) = children_memory(&kids);
    drop(hold_w);
    drop(hold_r);
    let statuses = kids.reap_all(d, "an idle child")?;
    let clean = statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)));
    if !clean {
        bail!("an idle child did not exit cleanly: {statuses:?}");
    }
    let counted = mems.len();
    let all = counted == n;
    let children = sum(&mems);
    let (family, parent_change) = match (before, after, all) {
        (Some(b), Some(a), true) => (
            Some(family_pss_growth(&b, &a, &mems)),
            Some(a.pss_kib as f64 - b.pss_kib as f64),
        ),
        _ => (None, None),
    };
    let some = |v: u64| all.then_some(v as i64);
    Ok((
        RepMemory {
            pss_kib_per_unit: per(family, n),
            uss_kib_per_unit: per(some(children.uss_kib), n),
            rss_kib_per_unit: per(some(children.rss_kib), n),
            vsz_kib_per_unit: per(vsz, n),
            parent_pss_change_kib: parent_change,
        },
        counted,
    ))
}

/// A forked idle child: says it is ready on `ready_w`, then waits for the
/// end of file on `hold_r`.
fn fork_idle(hold_r: &OwnedFd, hold_w: &OwnedFd, ready_w: &OwnedFd) -> Result<Pid> {
    let (hr, hw, rw) = (hold_r.as_raw_fd(), hold_w.as_raw_fd(), ready_w.as_raw_fd());
    crate::experiment::fork_child(move || {
        // SAFETY: plain system calls on descriptors this child inherited.
        unsafe {
            nix::libc::close(hw);
            if nix::libc::write(rw, b"r".as_ptr().cast(), 1) != 1 {
                return false;
            }
            let mut b = [0u8; 16];
            loop {
                let r = nix::libc::read(hr, b.as_mut_ptr().cast(), b.len());
                if r == 0 {
                    return true;
                }
                if r < 0
                    && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                {
                    return false;
                }
            }
        }
    })
}

/// A re-executed idle child ([`idle_main`]): its stdin is `hold_r`, its
/// stdout `ready_w`.
fn spawn_idle(hold_r: &OwnedFd, ready_w: &OwnedFd) -> Result<Pid> {
    let stdin: OwnedFd = hold_r.try_clone()?;
    let stdout: OwnedFd = ready_w.try_clone()?;
    let mut cmd = crate::subprocess::reexec::ourselves(IDLE)?;
    cmd.stdin(stdin)
        .stdout(stdout)
        .stderr(std::process::Stdio::null());
    let child = cmd
        .spawn()
        .context("re-executing pingpong as an idle child")?;
    Ok(Pid::from_raw(child.id() as i32))
}

/// Every child's memory that could be read, and the sum of their virtual
/// sizes (None if one could not be read).
fn children_memory(kids: &Children) -> (Vec<Mem>, Option<i64>) {
    let mut mems = Vec::with_capacity(kids.0.len());
    let mut vsz_total = 0i64;
    let mut vsz_ok = true;
    for pid in &kids.0 {
        let p = pid.to_string();
        if let Ok(m) = rollup(&p) {
            mems.push(m);
        }
        match vsz_kib(&p) {
            Some(v) => vsz_total += v as i64,
            None => vsz_ok = false,
        }
    }
    (mems, vsz_ok.then_some(vsz_total))
}
