//! The byte-stream endpoint shared by pipes, FIFOs, Unix stream sockets and
//! TCP: a ball is written whole and read whole, looping over short reads and
//! writes with plain `read(2)`/`write(2)` (what `perf bench sched pipe` does),
//! so the harness adds no system call of its own to the rally.

use super::{retry, ChannelError, Endpoint};
use std::os::fd::OwnedFd;

pub struct StreamEndpoint {
    rx: OwnedFd,
    /// `None` when one descriptor both reads and writes (a socket).
    tx: Option<OwnedFd>,
}

impl StreamEndpoint {
    pub fn new(rx: OwnedFd, tx: Option<OwnedFd>) -> Self {
        StreamEndpoint { rx, tx }
    }
}

impl Endpoint for StreamEndpoint {
    #[inline]
    fn send(&mut self, mut ball: &[u8]) -> Result<(), ChannelError> {
        let fd = self.tx.as_ref().unwrap_or(&self.rx);
        while !ball.is_empty() {
            match retry(|| rustix::io::write(fd, ball)) {
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
            match retry(|| rustix::io::read(&self.rx, &mut buf[filled..])) {
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
