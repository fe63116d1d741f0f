//! `fifo`: two named pipes in a private temporary directory, each opened by
//! path by the player that uses it — the way unrelated processes find each
//! other. The directory is removed with the measurement.

use super::{retry, Channel, ChannelError, EndpointSpec, Pair, Setup, StreamEndpoint};
use anyhow::{Context, Result};
use nix::sys::stat::Mode;
use rustix::fs::{Mode as RMode, OFlags};
use std::path::Path;

pub struct Fifo;

impl Channel for Fifo {
    fn name(&self) -> &'static str {
        "fifo"
    }
    fn summary(&self) -> &'static str {
        "two named pipes (mkfifo) in a private temporary directory"
    }
    fn prepare(&self, setup: &Setup) -> Result<Pair> {
        let there = setup.dir.join("ping-to-pong.fifo");
        let back = setup.dir.join("pong-to-ping.fifo");
        for p in [&there, &back] {
            nix::unistd::mkfifo(p, Mode::S_IRUSR | Mode::S_IWUSR)
                .with_context(|| format!("mkfifo {}", p.display()))?;
        }
        Ok(Pair {
            // Both open ping→pong first: ping as writer, pong as reader.
            ping: EndpointSpec::Fifo {
                rx: back.clone(),
                tx: there.clone(),
                first_tx: true,
            },
            pong: EndpointSpec::Fifo {
                rx: there,
                tx: back,
                first_tx: false,
            },
        })
    }
}

/// Opens both FIFOs, blocking until the peer opens the other side of each.
/// The two players open them in the same order, so neither waits for the
/// other forever; a peer that never comes is cut off by the supervisor.
pub(super) fn open(rx: &Path, tx: &Path, first_tx: bool) -> Result<StreamEndpoint, ChannelError> {
    let open_rx =
        || retry(|| rustix::fs::open(rx, OFlags::RDONLY | OFlags::CLOEXEC, RMode::empty()));
    let open_tx =
        || retry(|| rustix::fs::open(tx, OFlags::WRONLY | OFlags::CLOEXEC, RMode::empty()));
    let (r, t) = if first_tx {
        let t = open_tx()?;
        (open_rx()?, t)
    } else {
        let r = open_rx()?;
        (r, open_tx()?)
    };
    Ok(StreamEndpoint::new(r, Some(t)))
}
