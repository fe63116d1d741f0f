//! `eventfd`: the ball in a shared-memory slot ([`super::slot`]), and a pair
//! of eventfds as doorbells — each player sleeps reading its own and rings
//! the peer's after every ball. The kernel is entered on every hit, as with
//! a pipe, but no ball bytes pass through it: the cost of the doorbell alone.

use super::shm::Wait;
use super::{slot, Channel, Pair, Setup};
use anyhow::Result;

pub struct EventFd;

impl Channel for EventFd {
    fn name(&self) -> &'static str {
        "eventfd"
    }
    fn summary(&self) -> &'static str {
        "ball in shared memory, a pair of eventfds as doorbells"
    }
    fn max_size(&self) -> usize {
        slot::MAX_BALL
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        slot::prepare("eventfd", Wait::EventFd)
    }
}
