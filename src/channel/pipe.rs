//! `pipe`: two anonymous pipes, one each way — the channel of
//! `perf bench sched pipe` and lmbench's `lat_pipe`.

use super::{Channel, EndpointSpec, Pair, Setup};
use anyhow::{Context, Result};
use rustix::pipe::{pipe_with, PipeFlags};

pub struct Pipe;

impl Channel for Pipe {
    fn name(&self) -> &'static str {
        "pipe"
    }
    fn summary(&self) -> &'static str {
        "two anonymous pipes, one each way"
    }
    fn tasks(&self) -> bool {
        true
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let (there_rx, there_tx) = pipe_with(PipeFlags::CLOEXEC).context("pipe(2) ping→pong")?;
        let (back_rx, back_tx) = pipe_with(PipeFlags::CLOEXEC).context("pipe(2) pong→ping")?;
        Ok(Pair {
            ping: EndpointSpec::Stream {
                rx: back_rx,
                tx: Some(there_tx),
            },
            pong: EndpointSpec::Stream {
                rx: there_rx,
                tx: Some(back_tx),
            },
        })
    }
}
