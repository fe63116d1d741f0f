//! `--payload raw|struct`: what a ball is while it travels.
//!
//! With `raw` (the default) the ball is the byte buffer of [`crate::ball`],
//! written to the channel as it is. With `struct` it is a structured value —
//! a sequence number, a timestamp-like `u64`, a short string and a vector
//! holding the raw ball — that the sender encodes with postcard (serde) and
//! the receiver decodes into a freshly allocated value before looking at it,
//! as a program that "pickles" its messages does. Comparing the two on the
//! same channel shows the cost of serialising apart from the cost of
//! transport (CPython pays it for every `multiprocessing` message).
//!
//! Why this lives here, as an [`Endpoint`] adapter wrapped around the opened
//! channel, rather than inside ping and pong: the players, their timing and
//! their verification stay one piece of code whatever the payload, and the
//! adapter works on every channel, byte streams, datagrams, shared memory and
//! in-process queues alike. The vector inside the struct *is* the raw ball,
//! so the receiver's usual checks (sequence number, CRC-32C of the content)
//! still run on what was decoded, and a ball damaged before encoding
//! (`--inject corrupt:N`) is still caught; the struct's own sequence number
//! must also agree with the one in the vector.
//!
//! On the wire a struct ball takes [`OVERHEAD`] bytes more than the raw one
//! (postcard's varints for the fields, then zero padding), so every frame of
//! a given ball size has the same length and the channels that need fixed
//! message lengths (datagrams, shared slots) carry it unchanged.

use super::{ChannelError, Endpoint};
use crate::ball;
use serde::{Deserialize, Serialize};

/// How the ball travels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Payload {
    /// The raw ball, bytes as they are.
    #[default]
    Raw,
    /// A serde struct around the ball, encoded with postcard.
    Struct,
}

/// The short string every struct ball carries.
const TAG: &str = "pingpong";

/// Bytes a struct frame adds to the raw ball, at most: two `u64` varints (10
/// bytes each), the tag (its length varint and bytes), the vector's length
/// varint (5 bytes covers balls up to 4 GiB).
pub const OVERHEAD: usize = 10 + 10 + 1 + TAG.len() + 5;

impl Payload {
    pub fn name(self) -> &'static str {
        match self {
            Payload::Raw => "raw",
            Payload::Struct => "struct",
        }
    }

    /// Bytes one message of a `size`-byte ball takes on the channel.
    pub fn wire_size(self, size: usize) -> usize {
        match self {
            Payload::Raw => size,
            Payload::Struct => size + OVERHEAD,
        }
    }

    /// The opened channel, as the players will use it.
    pub fn wrap(self, inner: Box<dyn Endpoint>) -> Box<dyn Endpoint> {
        match self {
            Payload::Raw => inner,
            Payload::Struct => Box::new(StructEndpoint {
                inner,
                frame: Vec::new(),
            }),
        }
    }
}

/// The structured ball. The vector is the raw ball, header and CRC included.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct StructBall {
    pub seq: u64,
    /// Filled from the sequence number, not the clock, so that the figures
    /// show the cost of encoding alone.
    pub stamp: u64,
    pub tag: String,
    pub data: Vec<u8>,
}

/// Encodes on `send`, decodes on `recv`.
struct StructEndpoint {
    inner: Box<dyn Endpoint>,
    frame: Vec<u8>,
}

fn stamp_for(seq: u64) -> u64 {
    seq.wrapping_mul(1_000_003).wrapping_add(1 << 60)
}

/// Encodes `raw` as a struct ball into `frame`, padded to its wire size.
pub fn encode(raw: &[u8], frame: &mut Vec<u8>) -> Result<(), ChannelError> {
    let seq = ball::seq_of(raw);
    let value = StructBall {
        seq,
        stamp: stamp_for(seq),
        tag: TAG.to_string(),
        data: raw.to_vec(),
    };
    frame.clear();
    frame.resize(Payload::Struct.wire_size(raw.len()), 0);
    postcard::to_slice(&value, frame).map_err(|e| invalid(format!("encoding ball #{seq}: {e}")))?;
    Ok(())
}

/// Decodes a struct frame into `buf` (the raw ball), checking that the frame
/// holds a ball of the expected size whose sequence numbers agree.
pub fn decode(frame: &[u8], buf: &mut [u8]) -> Result<(), ChannelError> {
    let value: StructBall =
        postcard::from_bytes(frame).map_err(|e| invalid(format!("decoding a struct ball: {e}")))?;
    if value.data.len() != buf.len() {
        return Err(ChannelError::WrongLength {
            got: value.data.len(),
            want: buf.len(),
        });
    }
    if value.seq != ball::seq_of(&value.data) || value.tag != TAG {
        return Err(invalid(format!(
            "a struct ball says #{} but carries ball #{} (tag '{}')",
            value.seq,
            ball::seq_of(&value.data),
            value.tag
        )));
    }
    buf.copy_from_slice(&value.data);
    Ok(())
}

fn invalid(msg: String) -> ChannelError {
    ChannelError::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, msg))
}

impl Endpoint for StructEndpoint {
    fn send(&mut self, raw: &[u8]) -> Result<(), ChannelError> {
        encode(raw, &mut self.frame)?;
        self.inner.send(&self.frame)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.frame.resize(Payload::Struct.wire_size(buf.len()), 0);
        self.inner.recv(&mut self.frame)?;
        decode(&self.frame, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_struct_ball_round_trips_and_fills_its_frame() {
        for size in [4usize, 16, 64, 4096, 70_000] {
            let mut raw = vec![0u8; size];
            ball::fill_payload(&mut raw);
            ball::stamp(&mut raw, 12345, true);
            let mut frame = Vec::new();
            encode(&raw, &mut frame).unwrap();
            assert_eq!(frame.len(), size + OVERHEAD);
            let mut back = vec![0u8; size];
            decode(&frame, &mut back).unwrap();
            assert_eq!(back, raw);
        }
    }

    #[test]
    fn the_largest_varints_fit_the_overhead() {
        let mut raw = vec![0u8; 64];
        ball::stamp(&mut raw, u64::MAX, true);
        let mut frame = Vec::new();
        encode(&raw, &mut frame).unwrap();
        let mut back = vec![0u8; 64];
        decode(&frame, &mut back).unwrap();
    }

    #[test]
    fn a_frame_for_another_size_is_refused() {
        let raw = vec![0u8; 64];
        let mut frame = Vec::new();
        encode(&raw, &mut frame).unwrap();
        let mut back = vec![0u8; 32];
        assert!(matches!(
            decode(&frame, &mut back),
            Err(ChannelError::WrongLength { got: 64, want: 32 })
        ));
    }
}
