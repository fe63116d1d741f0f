//! `tokio-notify`: a shared queue per direction and a `tokio::sync::Notify`
//! rung after each ball (tasks only) — the hand-rolled wake-up that async
//! code uses when a channel is more than it needs, so the cost of waking a
//! task shows without a channel's bookkeeping around it.

use super::async_end::notify_pair;
use super::{Channel, EndpointSpec, Pair, Setup};
use crate::kinds::UnitKind;
use anyhow::Result;

pub struct TokioNotify;

impl Channel for TokioNotify {
    fn name(&self) -> &'static str {
        "tokio-notify"
    }
    fn summary(&self) -> &'static str {
        "tokio::sync::Notify doorbell + shared queue (tasks only)"
    }
    fn tasks(&self) -> bool {
        true
    }
    fn supports(&self, unit: UnitKind) -> Result<(), String> {
        super::tasks_only(unit)
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let (ping, pong) = notify_pair();
        Ok(Pair {
            ping: EndpointSpec::Task(ping),
            pong: EndpointSpec::Task(pong),
        })
    }
}
