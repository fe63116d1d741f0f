//! A channel wrapper that damages balls on purpose, to prove that damage is
//! detected and counted rather than timed (hidden flag `--inject`; hyperfine
//! keeps a fake executor behind a hidden flag for the same reason).
//!
//! The wrapper sits on pong's sending side: every `every`-th ball pong sends
//! back is corrupted (one byte flipped), dropped, or sent twice.

use super::{ChannelError, Endpoint};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    Corrupt,
    Drop,
    Dup,
}

/// Which balls to damage and how: `corrupt:N`, `drop:N` or `dup:N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub every: u64,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("invalid --inject '{s}': use corrupt:N, drop:N or dup:N with N >= 1");
        let (kind, every) = s.split_once(':').ok_or_else(err)?;
        let kind = match kind {
            "corrupt" => FaultKind::Corrupt,
            "drop" => FaultKind::Drop,
            "dup" => FaultKind::Dup,
            _ => return Err(err()),
        };
        let every: u64 = every.parse().map_err(|_| err())?;
        if every == 0 {
            return Err(err());
        }
        Ok(Fault { kind, every })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            FaultKind::Corrupt => "corrupt",
            FaultKind::Drop => "drop",
            FaultKind::Dup => "dup",
        };
        write!(f, "{k}:{}", self.every)
    }
}

pub struct Faulty {
    inner: Box<dyn Endpoint>,
    fault: Fault,
    sent: u64,
    scratch: Vec<u8>,
}

impl Faulty {
    pub fn wrap(inner: Box<dyn Endpoint>, fault: Fault) -> Box<dyn Endpoint> {
        Box::new(Faulty {
            inner,
            fault,
            sent: 0,
            scratch: Vec::new(),
        })
    }
}

impl Endpoint for Faulty {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        self.sent += 1;
        if self.sent % self.fault.every != 0 {
            return self.inner.send(ball);
        }
        match self.fault.kind {
            FaultKind::Corrupt => {
                self.scratch.clear();
                self.scratch.extend_from_slice(ball);
                let last = self.scratch.len() - 1;
                self.scratch[last] ^= 0x5A;
                self.inner.send(&self.scratch)
            }
            FaultKind::Drop => Ok(()),
            FaultKind::Dup => {
                self.inner.send(ball)?;
                self.inner.send(ball)
            }
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv(buf)
    }
}
