//! Demo mode's log of hits: each player writes one short line per hit to a
//! pipe shared by both players. A write under `PIPE_BUF` bytes is atomic and
//! each player writes *before* sending the ball on, so the order of lines in
//! the pipe is the real order of the hits, which the supervisor checks.

use crate::kinds::Role;
use std::os::fd::OwnedFd;
use std::time::Duration;

pub struct HitLog {
    fd: OwnedFd,
}

impl HitLog {
    pub fn new(fd: OwnedFd) -> Self {
        HitLog { fd }
    }

    /// Waits `pace`, then logs hit number `hit` by `role`.
    pub fn hit(&self, role: Role, hit: u64, pace: Option<Duration>) {
        if let Some(p) = pace {
            std::thread::sleep(p);
        }
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let ns = now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64;
        let tid = rustix::thread::gettid().as_raw_nonzero().get();
        let line = format!(
            "{} {} {} {} {}\n",
            role.name(),
            hit,
            ns,
            std::process::id(),
            tid
        );
        let _ = rustix::io::write(&self.fd, line.as_bytes());
    }
}

/// One logged hit, as the supervisor reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub role: Role,
    pub number: u64,
    pub monotonic_ns: u64,
    pub pid: u32,
    pub tid: u32,
}

impl Hit {
    pub fn parse(line: &str) -> Option<Hit> {
        let mut it = line.split_whitespace();
        let role = match it.next()? {
            "ping" => Role::Ping,
            "pong" => Role::Pong,
            _ => return None,
        };
        Some(Hit {
            role,
            number: it.next()?.parse().ok()?,
            monotonic_ns: it.next()?.parse().ok()?,
            pid: it.next()?.parse().ok()?,
            tid: it.next()?.parse().ok()?,
        })
    }
}
