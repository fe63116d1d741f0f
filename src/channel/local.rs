//! What the threads-only channels (`condvar`, `mpsc`, `crossbeam`, `flume`)
//! share: the ball travels as a `Vec<u8>` moved through an in-process queue
//! — no descriptor, nothing a process could inherit, hence threads only.
//!
//! [`super::Endpoint`] sends and receives byte slices, so the bytes are
//! copied into a recycled vector on the way in and out of it on the way out
//! (no allocation per ball once warm); the vector itself is moved, never
//! cloned. Blocking waits wake every [`POLL`] to look at the abort flag,
//! since a thread parked in a user-space queue does not see `SIGUSR1`; the
//! fast path tries first without a timeout, so no clock is read per ball.

use super::{ChannelError, Endpoint, EndpointSpec, Pair};
use crate::kinds::UnitKind;
use std::time::Duration;

/// How often a blocked receiver checks whether it must give up.
pub const POLL: Duration = Duration::from_millis(50);

/// The sending end of one direction's queue.
pub trait Put: Send + 'static {
    fn put(&mut self, ball: Vec<u8>) -> Result<(), ChannelError>;
}

/// The receiving end of one direction's queue.
pub trait Take: Send + 'static {
    /// `Ok(None)` when nothing is there (`block == false`) or nothing came
    /// within [`POLL`] (`block == true`).
    fn take(&mut self, block: bool) -> Result<Option<Vec<u8>>, ChannelError>;
}

/// Why the players are threads only, for `supports`.
const THREADS_ONLY: &str =
    "threads only: the ball is a Vec moved through an in-process queue, which no other process can reach";

/// `Channel::supports` for an in-process channel: no process can reach it.
pub fn threads_only(unit: UnitKind) -> Result<(), String> {
    if unit.is_process() {
        Err(THREADS_ONLY.into())
    } else {
        Ok(())
    }
}

pub struct LocalEndpoint<T: Put, R: Take> {
    tx: T,
    rx: R,
    spare: Vec<Vec<u8>>,
}

/// Builds the pair from two directions' ends.
pub fn pair<T: Put, R: Take>(ping: (T, R), pong: (T, R)) -> Pair {
    let end = |(tx, rx)| {
        EndpointSpec::Local(super::LocalEnd(Box::new(LocalEndpoint {
            tx,
            rx,
            spare: Vec::new(),
        })))
    };
    Pair {
        ping: end(ping),
        pong: end(pong),
    }
}

impl<T: Put, R: Take> Endpoint for LocalEndpoint<T, R> {
    #[inline]
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        let mut v = self.spare.pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(ball);
        self.tx.put(v)
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let v = match self.rx.take(false)? {
            Some(v) => v,
            None => loop {
                if let Some(v) = self.rx.take(true)? {
                    break v;
                }
                if crate::interrupt::aborted() {
                    return Err(ChannelError::Aborted);
                }
            },
        };
        if v.len() != buf.len() {
            return Err(ChannelError::WrongLength {
                got: v.len(),
                want: buf.len(),
            });
        }
        buf.copy_from_slice(&v);
        if self.spare.len() < 1024 {
            self.spare.push(v);
        }
        Ok(())
    }
}
