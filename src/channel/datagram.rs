//! The datagram endpoint shared by Unix datagram sockets and UDP: one ball is
//! one message. A message of the wrong length is reported (`MSG_TRUNC` gives
//! its real length); on a socket with a receive timeout (UDP), a timeout
//! means the ball was lost.

use super::{retry, ChannelError, Endpoint};
use rustix::net::{RecvFlags, SendFlags};
use std::os::fd::OwnedFd;

pub struct DatagramEndpoint {
    fd: OwnedFd,
}

impl DatagramEndpoint {
    pub fn new(fd: OwnedFd) -> Self {
        DatagramEndpoint { fd }
    }
}

impl Endpoint for DatagramEndpoint {
    #[inline]
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        match retry(|| rustix::net::send(&self.fd, ball, SendFlags::empty())) {
            Ok(n) if n == ball.len() => Ok(()),
            Ok(n) => Err(ChannelError::WrongLength {
                got: n,
                want: ball.len(),
            }),
            // Nobody listens on the peer's port any more (UDP), or the peer closed.
            Err(ChannelError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::BrokenPipe
                ) =>
            {
                Err(ChannelError::Closed)
            }
            Err(e) => Err(e),
        }
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let want = buf.len();
        match retry(|| rustix::net::recv(&self.fd, &mut *buf, RecvFlags::TRUNC)) {
            // A zero-length read on a datagram socket whose peer shut down.
            Ok((_, 0)) if want > 0 => Err(ChannelError::Closed),
            Ok((_, full)) if full == want => Ok(()),
            Ok((_, full)) => Err(ChannelError::WrongLength { got: full, want }),
            Err(ChannelError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(ChannelError::TimedOut)
            }
            Err(ChannelError::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                Err(ChannelError::Closed)
            }
            Err(e) => Err(e),
        }
    }
}
