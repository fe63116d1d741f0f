//! `unix`: a connected pair of Unix stream sockets (socketpair).

use super::{Channel, EndpointSpec, Pair, Setup};
use anyhow::{Context, Result};
use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};

pub struct Unix;

impl Channel for Unix {
    fn name(&self) -> &'static str {
        "unix"
    }
    fn summary(&self) -> &'static str {
        "a Unix stream socket pair (socketpair, SOCK_STREAM)"
    }
    fn tasks(&self) -> bool {
        true
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let (a, b) = socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .context("socketpair(AF_UNIX, SOCK_STREAM)")?;
        Ok(Pair {
            ping: EndpointSpec::Stream { rx: a, tx: None },
            pong: EndpointSpec::Stream { rx: b, tx: None },
        })
    }
}
