//! `mpsc`: `std::sync::mpsc` channels, one each way (threads only).

use super::local::{self, Put, Take, POLL};
use super::{Channel, ChannelError, Pair, Setup};
use crate::unit::UnitKind;
use anyhow::Result;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender, TryRecvError};

pub struct Mpsc;

struct Tx(Sender<Vec<u8>>);
struct Rx(Receiver<Vec<u8>>);

impl Put for Tx {
    fn put(&mut self, ball: Vec<u8>) -> Result<(), ChannelError> {
        self.0.send(ball).map_err(|_| ChannelError::Closed)
    }
}

impl Take for Rx {
    fn take(&mut self, block: bool) -> Result<Option<Vec<u8>>, ChannelError> {
        if !block {
            return match self.0.try_recv() {
                Ok(v) => Ok(Some(v)),
                Err(TryRecvError::Empty) => Ok(None),
                Err(TryRecvError::Disconnected) => Err(ChannelError::Closed),
            };
        }
        match self.0.recv_timeout(POLL) {
            Ok(v) => Ok(Some(v)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(ChannelError::Closed),
        }
    }
}

impl Channel for Mpsc {
    fn name(&self) -> &'static str {
        "mpsc"
    }
    fn summary(&self) -> &'static str {
        "std::sync::mpsc, ball moved as a Vec (threads only)"
    }
    fn supports(&self, unit: UnitKind) -> Result<(), String> {
        if unit.is_process() {
            return Err(local::THREADS_ONLY.into());
        }
        Ok(())
    }
    fn prepare(&self, _setup: &Setup) -> Result<Pair> {
        let (there_tx, there_rx) = channel();
        let (back_tx, back_rx) = channel();
        Ok(local::pair(
            (Tx(there_tx), Rx(back_rx)),
            (Tx(back_tx), Rx(there_rx)),
        ))
    }
}
