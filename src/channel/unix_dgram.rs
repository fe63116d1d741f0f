//! `unix-dgram`: a connected pair of Unix datagram sockets. On Linux they are
//! reliable and keep order (a full receiver blocks the sender), so nothing is
//! lost; the largest ball is bounded by the socket send buffer.

use super::{Channel, EndpointSpec, Pair, Setup};
use anyhow::{Context, Result};
use rustix::net::{socketpair, sockopt, AddressFamily, SocketFlags, SocketType};

pub struct UnixDgram;

/// The largest datagram the kernel will accept: it caps `SO_SNDBUF` at
/// `net.core.wmem_max` and doubles it; a datagram needs some of that for
/// bookkeeping, so we promise the cap itself.
fn wmem_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/core/wmem_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(212_992)
}

impl Channel for UnixDgram {
    fn name(&self) -> &'static str {
        "unix-dgram"
    }
    fn summary(&self) -> &'static str {
        "a Unix datagram socket pair (socketpair, SOCK_DGRAM; reliable on Linux)"
    }
    fn max_size(&self) -> usize {
        wmem_max()
    }
    fn prepare(&self, setup: &Setup) -> Result<Pair> {
        let (a, b) = socketpair(
            AddressFamily::UNIX,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .context("socketpair(AF_UNIX, SOCK_DGRAM)")?;
        for s in [&a, &b] {
            // Room for a ball and a little more; the kernel caps it at wmem_max.
            sockopt::set_socket_send_buffer_size(s, setup.size.saturating_mul(2).max(65536))
                .context("setsockopt SO_SNDBUF")?;
        }
        Ok(Pair {
            ping: EndpointSpec::Datagram { fd: a },
            pong: EndpointSpec::Datagram { fd: b },
        })
    }
}
