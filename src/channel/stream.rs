//! The byte-stream endpoint shared by pipes, FIFOs, Unix stream sockets and
//! TCP: a ball is written whole and read whole, looping over short reads and
//! writes, one system call each way and none of the harness's own in the rally.
//!
//! Pipes and FIFOs use plain `read(2)`/`write(2)` (what `perf bench sched
//! pipe` does). Sockets use `send(2)`/`recv(2)` (what `sockperf` and netperf
//! do): on a socket, `read`/`write` take the VFS path first — position lock,
//! `rw_verify_area`, the LSM `file_permission` hook, fsnotify — before they
//! reach the same `sock_sendmsg`/`sock_recvmsg`, which costs a round trip over
//! loopback TCP several percent (measured with bench/peers.sh against sockperf).

use super::{retry, ChannelError, Endpoint};
use rustix::net::{RecvFlags, SendFlags};
use std::os::fd::OwnedFd;

pub struct StreamEndpoint {
    rx: OwnedFd,
    /// `None` when one descriptor both reads and writes (a socket).
    tx: Option<OwnedFd>,
    /// One socket both ways: `send`/`recv` instead of `write`/`read`.
    socket: bool,
}

impl StreamEndpoint {
    pub fn new(rx: OwnedFd, tx: Option<OwnedFd>) -> Self {
        let socket = tx.is_none();
        StreamEndpoint { rx, tx, socket }
    }
}

impl Endpoint for StreamEndpoint {
    #[inline]
    fn send(&mut self, mut ball: &[u8]) -> Result<(), ChannelError> {
        let fd = self.tx.as_ref().unwrap_or(&self.rx);
        while !ball.is_empty() {
            // MSG_NOSIGNAL: a closed peer is an error to report, not a SIGPIPE.
            let sent = if self.socket {
                retry(|| rustix::net::send(fd, ball, SendFlags::NOSIGNAL))
            } else {
                retry(|| rustix::io::write(fd, ball))
            };
            match sent {
                Ok(n) => ball = &ball[n..],
                Err(ChannelError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Err(ChannelError::Closed)
                }
                Err(ChannelError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Err(ChannelError::Closed)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let mut filled = 0;
        while filled < buf.len() {
            let got = if self.socket {
                retry(|| rustix::net::recv(&self.rx, &mut buf[filled..], RecvFlags::empty()))
                    .map(|(n, _)| n)
            } else {
                retry(|| rustix::io::read(&self.rx, &mut buf[filled..]))
            };
            match got {
                Ok(0) => return Err(ChannelError::Closed),
                Ok(n) => filled += n,
                Err(ChannelError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Err(ChannelError::Closed)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
