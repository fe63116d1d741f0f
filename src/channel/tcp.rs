//! `tcp`: a TCP connection over loopback (127.0.0.1) with `TCP_NODELAY`, so
//! small balls are sent at once instead of waiting for Nagle's algorithm.

use super::{Channel, EndpointSpec, Pair, Setup};
use anyhow::{Context, Result};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::OwnedFd;

pub struct Tcp;

impl Channel for Tcp {
    fn name(&self) -> &'static str {
        "tcp"
    }
    fn summary(&self) -> &'static str {
        "a TCP connection over loopback 127.0.0.1, TCP_NODELAY"
    }
    fn tasks(&self) -> bool {
        true
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("bind 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let ping = TcpStream::connect(addr).with_context(|| format!("connect {addr}"))?;
        let (pong, _) = listener.accept().context("accept on loopback")?;
        for s in [&ping, &pong] {
            s.set_nodelay(true).context("setsockopt TCP_NODELAY")?;
        }
        Ok(Pair {
            ping: EndpointSpec::Stream {
                rx: OwnedFd::from(ping),
                tx: None,
            },
            pong: EndpointSpec::Stream {
                rx: OwnedFd::from(pong),
                tx: None,
            },
        })
    }
}
