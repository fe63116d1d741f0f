//! Starting a process that does nothing (fork, vfork, posix_spawn of a tiny
//! program, or our own binary re-executed), prepared outside the timed loop,
//! and waiting for it in a blocking `waitpid` that an interval timer
//! interrupts past the deadline.

use super::{Method, NOOP, TINY};
use crate::experiment::Deadline;
use anyhow::{bail, Context, Result};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::ffi::CString;

/// What a process method starts: prepared once, outside the timed loop.
pub(super) struct Program {
    method: Method,
    path: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
}

impl Program {
    pub(super) fn new(method: Method) -> Result<Program> {
        let (path, argv) = match method {
            Method::Reexec => {
                let exe = crate::subprocess::reexec::exe()?;
                let p = CString::new(exe.as_os_str().as_encoded_bytes())?;
                (p.clone(), vec![p, CString::new(NOOP)?])
            }
            _ => (CString::new(TINY)?, vec![CString::new(TINY)?]),
        };
        let envp = std::env::vars_os()
            .filter_map(|(k, v)| {
                let mut b = k.as_encoded_bytes().to_vec();
                b.push(b'=');
                b.extend_from_slice(v.as_encoded_bytes());
                CString::new(b).ok()
            })
            .collect();
        Ok(Program {
            method,
            path,
            argv,
            envp,
        })
    }

    pub(super) fn start(&self) -> Result<Pid> {
        if self.method == Method::Fork {
            // SAFETY: single-threaded (checked by the caller before the loop;
            // nothing in the loop starts a thread); the child only calls
            // `_exit`, which is async-signal-safe.
            return match unsafe { nix::unistd::fork() }.context("fork")? {
                nix::unistd::ForkResult::Child => unsafe { nix::libc::_exit(0) },
                nix::unistd::ForkResult::Parent { child } => Ok(child),
            };
        }
        if self.method == Method::Vfork {
            return vfork_exit();
        }
        let mut argv: Vec<*mut nix::libc::c_char> =
            self.argv.iter().map(|a| a.as_ptr() as *mut _).collect();
        argv.push(std::ptr::null_mut());
        let mut envp: Vec<*mut nix::libc::c_char> =
            self.envp.iter().map(|a| a.as_ptr() as *mut _).collect();
        envp.push(std::ptr::null_mut());
        let mut pid: nix::libc::pid_t = 0;
        // SAFETY: every pointer is valid for the call: `path`, `argv` and
        // `envp` are NUL-terminated strings in null-terminated arrays that
        // outlive it; null file actions and attributes mean defaults. glibc
        // implements posix_spawn with clone(CLONE_VM | CLONE_VFORK) + exec.
        let rc = unsafe {
            nix::libc::posix_spawn(
                &mut pid,
                self.path.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                argv.as_ptr(),
                envp.as_ptr(),
            )
        };
        if rc != 0 {
            bail!(
                "posix_spawn {}: {}",
                self.path.to_string_lossy(),
                std::io::Error::from_raw_os_error(rc)
            );
        }
        Ok(Pid::from_raw(pid))
    }
}

/// A child made like `vfork`: it shares our memory and we are suspended
/// until it leaves; it runs on its own small stack and only calls `_exit`.
fn vfork_exit() -> Result<Pid> {
    extern "C" fn child(_: *mut nix::libc::c_void) -> nix::libc::c_int {
        // SAFETY: `_exit` is async-signal-safe and touches no shared state.
        unsafe { nix::libc::_exit(0) }
    }
    thread_local! {
        static STACK: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
    }
    STACK.with(|st| {
        let mut st = st.borrow_mut();
        // The stack grows down: pass its 16-byte-aligned top.
        let top = (st.as_mut_ptr() as usize + st.len()) & !15;
        // SAFETY: `child` runs on the stack above (ours, alive and not used
        // by anything else while the parent is suspended by CLONE_VFORK),
        // touches no memory of ours, and only calls `_exit`. SIGCHLD makes
        // it an ordinary child for `waitpid`.
        let pid = unsafe {
            nix::libc::clone(
                child,
                top as *mut nix::libc::c_void,
                nix::libc::CLONE_VM | nix::libc::CLONE_VFORK | nix::libc::SIGCHLD,
                std::ptr::null_mut(),
            )
        };
        if pid < 0 {
            bail!(
                "clone(CLONE_VM | CLONE_VFORK): {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(Pid::from_raw(pid))
    })
}

/// Blocks in `waitpid`; the armed [`Alarm`] interrupts it past the deadline,
/// and the child is then killed and reaped. Returns whether it exited with 0.
pub(super) fn wait_within(pid: Pid, deadline: &Deadline, what: &str) -> Result<bool> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code == 0),
            Ok(WaitStatus::Signaled(..)) => return Ok(false),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {
                if deadline.passed() || crate::interrupt::interrupted() {
                    crate::experiment::kill_and_reap(pid);
                    deadline.check(what)?;
                    bail!("{what} (pid {pid}) was stopped");
                }
            }
            Err(e) => bail!("waiting for {what} (pid {pid}): {e}"),
        }
    }
}

/// An interval timer that delivers SIGALRM from the deadline on, every 50 ms,
/// so that a blocking `waitpid` returns EINTR; disarmed on drop.
pub(super) struct Alarm;

extern "C" fn on_alarm(_: nix::libc::c_int) {}

impl Alarm {
    pub(super) fn arm(deadline: &Deadline) -> Result<Alarm> {
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let act = SigAction::new(
            SigHandler::Handler(on_alarm),
            SaFlags::empty(),
            SigSet::empty(),
        );
        // SAFETY: the handler does nothing (async-signal-safe); installed
        // without SA_RESTART so that blocking calls return EINTR.
        unsafe { sigaction(Signal::SIGALRM, &act) }.context("installing the SIGALRM handler")?;
        let rem = deadline
            .remaining()
            .max(std::time::Duration::from_millis(1));
        set_timer(rem.as_secs() as i64, rem.subsec_micros() as i64);
        Ok(Alarm)
    }
}

fn set_timer(secs: i64, usecs: i64) {
    let v = nix::libc::itimerval {
        it_interval: nix::libc::timeval {
            tv_sec: 0,
            tv_usec: if secs == 0 && usecs == 0 { 0 } else { 50_000 },
        },
        it_value: nix::libc::timeval {
            tv_sec: secs,
            tv_usec: usecs,
        },
    };
    // SAFETY: a valid itimerval; the old value is not wanted (null).
    unsafe {
        nix::libc::setitimer(nix::libc::ITIMER_REAL, &v, std::ptr::null_mut());
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        set_timer(0, 0);
    }
}
