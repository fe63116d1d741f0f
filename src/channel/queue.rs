//! The in-process queue channels (`mpsc`, `crossbeam`, `flume`) differ only
//! in the crate that provides the queue: all three offer an unbounded
//! `channel()` of `Sender`/`Receiver` with `send`, `try_recv` and
//! `recv_timeout`, and error enums of the same names. This macro writes the
//! channel once for any of them; each variant file is one invocation.

/// `queue_channel!(Type, "name", "summary", path::to::crate, unbounded_fn)`.
macro_rules! queue_channel {
    ($ty:ident, $name:literal, $summary:literal, $krate:path, $unbounded:ident) => {
        use super::local::{self, Put, Take, POLL};
        use super::{Channel, ChannelError, Pair, Setup};
        use crate::kinds::UnitKind;
        use anyhow::Result;
        use $krate::{$unbounded as channel, Receiver, RecvTimeoutError, Sender, TryRecvError};

        pub struct $ty;

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

        impl Channel for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn summary(&self) -> &'static str {
                $summary
            }
            fn supports(&self, unit: UnitKind) -> Result<(), String> {
                local::threads_only(unit)
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
    };
}

pub(super) use queue_channel;
