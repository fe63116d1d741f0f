//! `udp`: two UDP sockets on loopback (127.0.0.1), connected to each other.
//! UDP may drop a ball: a receive timeout turns a missing reply into a
//! counted loss instead of a hang, and late or duplicated balls are counted.

use super::{Channel, EndpointSpec, Pair, Setup};
use anyhow::{Context, Result};
use rustix::net::sockopt::{self, Timeout};
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::OwnedFd;

pub struct Udp;

/// Largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IP header).
pub const MAX_UDP: usize = 65_507;

impl Channel for Udp {
    fn name(&self) -> &'static str {
        "udp"
    }
    fn summary(&self) -> &'static str {
        "two connected UDP sockets over loopback 127.0.0.1 (losses counted)"
    }
    fn max_size(&self) -> usize {
        MAX_UDP
    }
    fn lossy(&self) -> bool {
        true
    }
    fn prepare(&self, setup: &Setup) -> Result<Pair> {
        let a = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("bind udp 127.0.0.1:0")?;
        let b = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("bind udp 127.0.0.1:0")?;
        a.connect(b.local_addr()?).context("connect udp")?;
        b.connect(a.local_addr()?).context("connect udp")?;
        for s in [&a, &b] {
            sockopt::set_socket_timeout(s, Timeout::Recv, Some(setup.loss_timeout))
                .context("setsockopt SO_RCVTIMEO")?;
            // Room for a window of large balls in stream mode.
            let buf = setup.size.saturating_mul(64).clamp(212_992, 8 << 20);
            let _ = sockopt::set_socket_recv_buffer_size(s, buf);
            let _ = sockopt::set_socket_send_buffer_size(s, buf);
        }
        Ok(Pair {
            ping: EndpointSpec::Datagram {
                fd: OwnedFd::from(a),
            },
            pong: EndpointSpec::Datagram {
                fd: OwnedFd::from(b),
            },
        })
    }
}
