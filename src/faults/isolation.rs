//! Isolation of memory (claims T9, P4, P10): a write to a variable after
//! `fork` is invisible to the parent (copy-on-write), while the same write in
//! a thread is visible; and a process cannot read another's memory without
//! privilege.
//!
//! The reading is tried with `process_vm_readv` and through
//! `/proc/PID/mem`, by an unprivileged sibling of the target (if pingpong
//! runs as root, the reader first drops to the user `nobody`, 65534), and
//! then by the target's own parent with pingpong's privileges: as root, or as
//! the same user with Yama off, that read may well succeed, and the table
//! says so.

use super::{command, report, run_case, wait_until, Observed, Row};
use crate::subprocess::fork_child;
use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Read, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const SECRET: &[u8] = b"pingpong-secret-7f3a";

pub fn run(quick: bool) -> Vec<Row> {
    run_case(
        "isolation",
        "memory",
        "process",
        &["all"],
        super::deadline(quick),
    )
}

pub fn child(arg: &str, _rest: &[String]) -> Result<i32> {
    match arg {
        "all" => all(),
        "target" => {
            let secret = SECRET.to_vec();
            super::say(&format!(
                "ADDR {} {}",
                secret.as_ptr() as usize,
                secret.len()
            ));
            // Hold the secret until pingpong closes our stdin.
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
            std::hint::black_box(&secret);
            Ok(0)
        }
        _ => Ok(2),
    }
}

/// What one attempt to read the target's memory gave.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Attempt {
    uid: u32,
    vm_readv: String,
    proc_mem: String,
    read_secret: bool,
}

fn attempt(pid: Pid, addr: usize, len: usize) -> Attempt {
    let mut a = Attempt {
        uid: rustix::process::geteuid().as_raw(),
        ..Attempt::default()
    };
    let mut buf = vec![0u8; len];
    let remote = [nix::sys::uio::RemoteIoVec { base: addr, len }];
    a.vm_readv = match nix::sys::uio::process_vm_readv(
        pid,
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &remote,
    ) {
        Ok(n) if buf[..n] == *SECRET => {
            a.read_secret = true;
            "read the secret".into()
        }
        Ok(n) => format!("read {n} bytes, not the secret"),
        Err(e) => format!("{e}"),
    };
    let mut buf2 = vec![0u8; len];
    a.proc_mem = match std::fs::File::open(format!("/proc/{pid}/mem")) {
        Err(e) => format!(
            "open: {}",
            nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))
        ),
        Ok(f) => match std::os::unix::fs::FileExt::read_at(&f, &mut buf2, addr as u64) {
            Ok(n) if buf2[..n] == *SECRET => {
                a.read_secret = true;
                "read the secret".into()
            }
            Ok(n) => format!("read {n} bytes, not the secret"),
            Err(e) => format!(
                "read: {}",
                nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))
            ),
        },
    };
    a
}

fn all() -> Result<i32> {
    write_after_fork()?;
    read_another_process()?;
    // Last, as it makes a thread.
    write_from_thread();
    Ok(0)
}

/// A write after fork: the child has its own copy.
fn write_after_fork() -> Result<()> {
    let mut value = Box::new(1u64);
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    // The child writes to its copy and reports it through the pipe.
    let child = fork_child(|| {
        *value = 2;
        rustix::io::write(&w, &value.to_le_bytes()).is_ok()
    })?;
    drop(w);
    let mut b = [0u8; 8];
    let mut f = std::fs::File::from(r);
    let seen_by_child = f
        .read_exact(&mut b)
        .map(|_| u64::from_le_bytes(b))
        .unwrap_or(0);
    let _ = waitpid(child, None);
    let parent_sees = *value;
    report(&Row {
        case: "write after fork".into(),
        unit: "process".into(),
        outcome: format!(
            "child wrote 2 and read {seen_by_child}; parent still reads {parent_sees}: {}",
            if parent_sees == 1 {
                "invisible (copy-on-write)"
            } else {
                "VISIBLE"
            }
        ),
        status: "exit 0".into(),
        observed: Observed::Write {
            seen_by_other: parent_sees != 1,
        },
        survived: Some(true),
        detail: "after fork the child's pages are copies: a write makes its own".into(),
        ..Row::default()
    });
    Ok(())
}

/// Reading another process's memory: a target process holds a secret; an
/// unprivileged sibling, then the target's parent, try to read it.
fn read_another_process() -> Result<()> {
    let mut cmd = command(&["isolation".into(), "target".into()])?;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut target = cmd.spawn().context("starting the target process")?;
    let tpid = Pid::from_raw(target.id() as i32);
    let mut line = String::new();
    std::io::BufReader::new(target.stdout.take().context("stdout")?).read_line(&mut line)?;
    let mut it = line.split_whitespace().skip(1);
    let addr: usize = it
        .next()
        .and_then(|a| a.parse().ok())
        .context("target address")?;
    let len: usize = it
        .next()
        .and_then(|a| a.parse().ok())
        .context("target length")?;
    let root = rustix::process::geteuid().is_root();
    let yama = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "absent".into());
    read_unprivileged(tpid, addr, len, root, &yama)?;
    read_privileged(tpid, addr, len, root);
    drop(target.stdin.take());
    let _ = wait_until(tpid, Duration::from_secs(5));
    Ok(())
}

/// By an unprivileged sibling (forked: still single-threaded here).
fn read_unprivileged(tpid: Pid, addr: usize, len: usize, root: bool, yama: &str) -> Result<()> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    // The child drops privilege, tries the reads and reports through the pipe.
    let child = fork_child(|| {
        if root {
            // SAFETY: plain system calls dropping to `nobody`.
            unsafe {
                nix::libc::setgroups(0, std::ptr::null());
                nix::libc::setgid(65534);
                nix::libc::setuid(65534);
            }
        }
        let a = attempt(tpid, addr, len);
        let mut f = std::fs::File::from(w);
        let _ = f.write_all(serde_json::to_string(&a).unwrap_or_default().as_bytes());
        true
    })?;
    let mut s = String::new();
    let _ = std::fs::File::from(r).read_to_string(&mut s);
    let _ = waitpid(child, None);
    let sibling = serde_json::from_str::<Attempt>(&s).unwrap_or_default();
    let who = if root {
        "an unprivileged sibling (root dropped to nobody)".to_string()
    } else {
        format!("a sibling, same user (uid {})", sibling.uid)
    };
    report(&Row {
        case: "read another's memory, unprivileged".into(),
        unit: "process".into(),
        outcome: if sibling.read_secret {
            "READ the secret: not shielded".into()
        } else {
            "refused: the memory is shielded".into()
        },
        status: format!("process_vm_readv: {}; /proc/PID/mem: {}", sibling.vm_readv, sibling.proc_mem),
        observed: Observed::ForeignRead {
            refused: !sibling.read_secret,
        },
        survived: Some(true),
        detail: format!(
            "reader: {who}, uid {}; Yama ptrace_scope {yama}. Linux allows the read only to a \
             process that may ptrace the target (same user and not forbidden by Yama, or CAP_SYS_PTRACE)",
            sibling.uid
        ),
        ..Row::default()
    });
    Ok(())
}

/// By the target's parent, with pingpong's own privileges.
fn read_privileged(tpid: Pid, addr: usize, len: usize, root: bool) {
    let mine = attempt(tpid, addr, len);
    report(&Row {
        case: "read its child's memory, privileged".into(),
        unit: "process".into(),
        outcome: if mine.read_secret {
            "read the secret (with privilege this is allowed)".into()
        } else {
            "refused even so".into()
        },
        status: format!(
            "process_vm_readv: {}; /proc/PID/mem: {}",
            mine.vm_readv, mine.proc_mem
        ),
        observed: Observed::ForeignRead {
            refused: !mine.read_secret,
        },
        survived: Some(true),
        detail: format!(
            "reader: the target's parent, uid {}{}; isolation between processes is by user and \
             privilege, not absolute",
            mine.uid,
            if root { " (root: CAP_SYS_PTRACE)" } else { "" }
        ),
        ..Row::default()
    });
}

/// The same write from a thread: one memory, one variable.
fn write_from_thread() {
    let shared = AtomicU64::new(1);
    std::thread::scope(|s| {
        s.spawn(|| shared.store(2, Ordering::SeqCst));
    });
    let now = shared.load(Ordering::SeqCst);
    report(&Row {
        case: "write from a thread".into(),
        unit: "thread".into(),
        outcome: format!(
            "thread wrote 2; main thread reads {now}: {}",
            if now == 2 {
                "visible (shared memory)"
            } else {
                "invisible"
            }
        ),
        status: "joined".into(),
        observed: Observed::Write {
            seen_by_other: now == 2,
        },
        survived: Some(true),
        detail: "threads share one address space: any thread can change any shared data".into(),
        ..Row::default()
    });
}
