//! `tokio-mpsc`: two bounded `tokio::sync::mpsc` channels, one each way,
//! the ball moved through as a `Vec<u8>` (tasks only) — the channel an async
//! program reaches for first, to set beside `mpsc` between threads.

use super::async_end::mpsc_pair;
use super::{Channel, EndpointSpec, Pair, Setup};
use crate::kinds::UnitKind;
use anyhow::Result;

/// Balls each direction holds before a sender waits (a stream window fits).
const DEPTH: usize = 1024;

pub struct TokioMpsc;

impl Channel for TokioMpsc {
    fn name(&self) -> &'static str {
        "tokio-mpsc"
    }
    fn summary(&self) -> &'static str {
        "tokio::sync::mpsc, bounded, ball moved as a Vec (tasks only)"
    }
    fn tasks(&self) -> bool {
        true
    }
    fn supports(&self, unit: UnitKind) -> Result<(), String> {
        super::tasks_only(unit)
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let (ping, pong) = mpsc_pair(DEPTH);
        Ok(Pair {
            ping: EndpointSpec::Task(ping),
            pong: EndpointSpec::Task(pong),
        })
    }
}
