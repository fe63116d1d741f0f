//! A channel wrapper that damages balls on purpose, to prove that damage is
//! detected and counted rather than timed (hidden flag `--inject`; hyperfine
//! keeps a fake executor behind a hidden flag for the same reason).
//!
//! The wrapper sits on pong's sending side: every `every`-th ball pong sends
//! back is corrupted (one byte flipped), dropped, sent twice (again just
//! before the next ball), or held back and sent after the next one. The final answer that ends a rally is never
//! touched nor counted, so `--inject KIND:N` over R balls (warm-up included)
//! damages exactly R / N of them. The same [`Injector`] serves the blocking
//! players (as [`Faulty`]) and the tasks.

use super::{ChannelError, Endpoint};
use crate::ball;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    Corrupt,
    Drop,
    Dup,
    Reorder,
}

/// Which balls to damage and how: `corrupt:N`, `drop:N`, `dup:N` or `reorder:N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub every: u64,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || {
            format!("invalid --inject '{s}': use corrupt:N, drop:N, dup:N or reorder:N with N >= 1")
        };
        let (kind, every) = s.split_once(':').ok_or_else(err)?;
        let kind = match kind {
            "corrupt" => FaultKind::Corrupt,
            "drop" => FaultKind::Drop,
            "dup" => FaultKind::Dup,
            "reorder" => FaultKind::Reorder,
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
            FaultKind::Reorder => "reorder",
        };
        write!(f, "{k}:{}", self.every)
    }
}

/// What goes out in place of one ball pong sends.
pub enum Outgoing<'a> {
    /// Nothing (dropped, or held back).
    Nothing,
    /// One message.
    One(&'a [u8]),
    /// Two messages, in this order (a duplicate, or a held ball first).
    Two(&'a [u8], &'a [u8]),
}

impl<'a> Outgoing<'a> {
    /// The messages, in the order they are sent.
    pub fn messages(&self) -> impl Iterator<Item = &'a [u8]> {
        let (a, b) = match *self {
            Outgoing::Nothing => (None, None),
            Outgoing::One(a) => (Some(a), None),
            Outgoing::Two(a, b) => (Some(a), Some(b)),
        };
        a.into_iter().chain(b)
    }
}

/// Decides what happens to each ball pong sends.
pub struct Injector {
    fault: Fault,
    sent: u64,
    /// A copy of a ball to send again (dup) or late (reorder) before the next one.
    held: Option<Vec<u8>>,
    /// The held ball, going out now.
    released: Vec<u8>,
    /// The corrupted copy of a ball.
    scratch: Vec<u8>,
}

/// What becomes of the ball being sent (besides a held one going first).
enum This {
    AsIs,
    Corrupted,
    Withheld,
}

impl Injector {
    pub fn new(fault: Fault) -> Injector {
        Injector {
            fault,
            sent: 0,
            held: None,
            released: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// What to send in place of `ball`. A duplicate goes out again just
    /// before the next ball (not at once: two large balls in a row would
    /// fill a pipe that ping, busy sending, is not reading); a reordered
    /// ball goes out after the next one. Either way a held ball goes out
    /// before the final answer.
    pub fn outgoing<'a>(&'a mut self, ball: &'a [u8]) -> Outgoing<'a> {
        let late = match self.held.take() {
            Some(h) => {
                self.released = h;
                true
            }
            None => false,
        };
        let this = if ball::seq_of(ball) == ball::end_seq(ball.len()) {
            This::AsIs
        } else {
            self.sent += 1;
            if self.sent % self.fault.every != 0 {
                This::AsIs
            } else {
                match self.fault.kind {
                    FaultKind::Corrupt => {
                        self.scratch.clear();
                        self.scratch.extend_from_slice(ball);
                        if let Some(last) = self.scratch.last_mut() {
                            *last ^= 0x5A;
                        }
                        This::Corrupted
                    }
                    FaultKind::Drop => This::Withheld,
                    FaultKind::Dup => {
                        self.held = Some(ball.to_vec());
                        This::AsIs
                    }
                    FaultKind::Reorder => {
                        self.held = Some(ball.to_vec());
                        This::Withheld
                    }
                }
            }
        };
        let this = match this {
            This::AsIs => Some(ball),
            This::Corrupted => Some(&self.scratch[..]),
            This::Withheld => None,
        };
        match (late, this) {
            (true, Some(b)) => Outgoing::Two(&self.released, b),
            (true, None) => Outgoing::One(&self.released),
            (false, Some(b)) => Outgoing::One(b),
            (false, None) => Outgoing::Nothing,
        }
    }
}

pub struct Faulty {
    inner: Box<dyn Endpoint>,
    injector: Injector,
}

impl Faulty {
    pub fn wrap(inner: Box<dyn Endpoint>, fault: Fault) -> Box<dyn Endpoint> {
        Box::new(Faulty {
            inner,
            injector: Injector::new(fault),
        })
    }
}

impl Endpoint for Faulty {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        for m in self.injector.outgoing(ball).messages() {
            self.inner.send(m)?;
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ball(seq: u64) -> Vec<u8> {
        let mut b = vec![0u8; 16];
        ball::stamp(&mut b, seq, true);
        b
    }

    fn seqs(out: &Outgoing) -> Vec<u64> {
        out.messages().map(ball::seq_of).collect()
    }

    #[test]
    fn every_nth_ball_is_damaged_and_the_final_answer_never() {
        let end = ball(u64::MAX);
        for kind in ["corrupt", "drop", "dup", "reorder"] {
            let mut inj = Injector::new(format!("{kind}:2").parse().unwrap());
            let mut untouched = 0;
            for seq in 0..10 {
                let b = ball(seq);
                let out: Vec<Vec<u8>> = inj.outgoing(&b).messages().map(<[u8]>::to_vec).collect();
                if out == [b.clone()] {
                    untouched += 1;
                }
            }
            // Corrupt and drop: balls 0, 2, 4, 6, 8 go out as they are (dup
            // and reorder: see the tests below).
            if kind == "corrupt" || kind == "drop" {
                assert_eq!(untouched, 5, "{kind}");
            }
            // The final answer always goes out (after a held ball, if any).
            assert_eq!(seqs(&inj.outgoing(&end)).last(), Some(&u64::MAX), "{kind}");
        }
    }

    #[test]
    fn a_duplicate_goes_out_again_just_before_the_next_ball() {
        let mut inj = Injector::new("dup:2".parse().unwrap());
        assert_eq!(seqs(&inj.outgoing(&ball(0))), [0]);
        assert_eq!(seqs(&inj.outgoing(&ball(1))), [1]);
        assert_eq!(seqs(&inj.outgoing(&ball(2))), [1, 2]);
        assert_eq!(seqs(&inj.outgoing(&ball(3))), [3]);
        assert_eq!(seqs(&inj.outgoing(&ball(u64::MAX))), [3, u64::MAX]);
    }

    #[test]
    fn a_reordered_ball_goes_out_after_the_next_one_and_before_the_final_answer() {
        let mut inj = Injector::new("reorder:2".parse().unwrap());
        assert_eq!(seqs(&inj.outgoing(&ball(0))), [0]);
        assert_eq!(seqs(&inj.outgoing(&ball(1))), Vec::<u64>::new());
        assert_eq!(seqs(&inj.outgoing(&ball(2))), [1, 2]);
        assert_eq!(seqs(&inj.outgoing(&ball(3))), Vec::<u64>::new());
        assert_eq!(seqs(&inj.outgoing(&ball(u64::MAX))), [3, u64::MAX]);
    }
}
