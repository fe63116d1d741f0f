//! `condvar`: a `Mutex<VecDeque>` and a `Condvar` per direction — what a
//! hand-rolled queue between threads looks like (threads only).

use super::local::{self, Put, Take, POLL};
use super::{Channel, ChannelError, Pair, Setup};
use crate::kinds::UnitKind;
use anyhow::Result;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar as StdCondvar, Mutex};

pub struct Condvar;

#[derive(Default)]
struct State {
    queue: VecDeque<Vec<u8>>,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    ready: StdCondvar,
}

struct Tx(Arc<Shared>);
struct Rx(Arc<Shared>);

fn poisoned<T>(_: T) -> ChannelError {
    ChannelError::Io(std::io::Error::other(
        "the other player panicked holding the lock",
    ))
}

impl Put for Tx {
    fn put(&mut self, ball: Vec<u8>) -> Result<(), ChannelError> {
        let mut s = self.0.state.lock().map_err(poisoned)?;
        if s.closed {
            return Err(ChannelError::Closed);
        }
        s.queue.push_back(ball);
        drop(s);
        self.0.ready.notify_one();
        Ok(())
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.state.lock() {
            s.closed = true;
        }
        self.0.ready.notify_all();
    }
}

impl Take for Rx {
    fn take(&mut self, block: bool) -> Result<Option<Vec<u8>>, ChannelError> {
        let mut s = self.0.state.lock().map_err(poisoned)?;
        if block && s.queue.is_empty() && !s.closed {
            s = self.0.ready.wait_timeout(s, POLL).map_err(poisoned)?.0;
        }
        match s.queue.pop_front() {
            Some(v) => Ok(Some(v)),
            None if s.closed => Err(ChannelError::Closed),
            None => Ok(None),
        }
    }
}

impl Channel for Condvar {
    fn name(&self) -> &'static str {
        "condvar"
    }
    fn summary(&self) -> &'static str {
        "Mutex + Condvar queue, ball moved as a Vec (threads only)"
    }
    fn supports(&self, unit: UnitKind) -> Result<(), String> {
        local::threads_only(unit)
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let there = Arc::new(Shared::default());
        let back = Arc::new(Shared::default());
        Ok(local::pair(
            (Tx(there.clone()), Rx(back.clone())),
            (Tx(back), Rx(there)),
        ))
    }
}
