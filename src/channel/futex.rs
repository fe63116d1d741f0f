//! `futex` and `spin-futex`: the slot of [`super::slot`], but a waiting
//! player sleeps in the kernel on a *shared* futex (so a wake crosses
//! processes), and is woken only when it has said it sleeps. `spin-futex`
//! first spins briefly, as glibc's adaptive mutexes do, then sleeps.

use super::shm::Wait;
use super::{slot, Channel, Pair, Setup};
use anyhow::Result;

pub struct Futex;

impl Channel for Futex {
    fn name(&self) -> &'static str {
        "futex"
    }
    fn summary(&self) -> &'static str {
        "shared-memory slot, players sleep on a shared futex"
    }
    fn max_size(&self) -> usize {
        slot::MAX_BALL
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        slot::prepare("futex", Wait::Futex)
    }
}

pub struct SpinFutex;

impl Channel for SpinFutex {
    fn name(&self) -> &'static str {
        "spin-futex"
    }
    fn summary(&self) -> &'static str {
        "shared-memory slot, spin briefly then sleep on a shared futex"
    }
    fn max_size(&self) -> usize {
        slot::MAX_BALL
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        slot::prepare("spin-futex", Wait::SpinFutex)
    }
}
