//! Frames of the control connection: a 4-byte big-endian length, then that
//! many bytes of payload (JSON, see [`super::protocol`]).
//!
//! The length is checked against [`MAX_FRAME`] *before* any buffer is made,
//! so a peer cannot make us allocate more than that by lying in a prefix;
//! a prefix that announces more is an error, never a wait. The decoder is a
//! pure function over bytes, which is what the proptest and the fuzz target
//! (fuzz/fuzz_targets/frame.rs) exercise.

use std::io::Read;
use std::time::Instant;

/// Largest payload of one control frame.
pub const MAX_FRAME: usize = 64 * 1024;
/// Bytes of the length prefix.
pub const PREFIX: usize = 4;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {0} bytes announced, at most {MAX_FRAME} allowed")]
    TooLarge(u64),
    #[error("connection closed in the middle of a frame ({got} of {want} bytes)")]
    Truncated { got: usize, want: usize },
    #[error("connection closed")]
    Closed,
    #[error("no complete frame within the deadline")]
    Deadline,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Prefixes `payload` with its length. Fails only if it exceeds [`MAX_FRAME`].
pub fn encode(payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    if payload.len() > MAX_FRAME {
        return Err(FrameError::TooLarge(payload.len() as u64));
    }
    let mut out = Vec::with_capacity(PREFIX + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Decodes one frame from the start of `buf`: `Ok(Some((payload, used)))`
/// when a whole frame is there, `Ok(None)` when more bytes are needed, an
/// error when the prefix announces too much. Never panics, whatever `buf` is.
pub fn decode(buf: &[u8]) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(prefix) = buf.get(..PREFIX) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len as u64));
    }
    match buf.get(PREFIX..PREFIX + len) {
        Some(payload) => Ok(Some((payload, PREFIX + len))),
        None => Ok(None),
    }
}

/// Something to read frames from whose read timeout can be set (a socket).
pub trait Timed: Read {
    fn set_timeout(&self, t: Option<std::time::Duration>) -> std::io::Result<()>;
}

impl Timed for std::net::TcpStream {
    fn set_timeout(&self, t: Option<std::time::Duration>) -> std::io::Result<()> {
        self.set_read_timeout(t)
    }
}

/// Reads one whole frame, giving up at `deadline` however slowly the bytes
/// trickle in (each read waits at most until the deadline).
pub fn read_frame<R: Timed>(r: &mut R, deadline: Instant) -> Result<Vec<u8>, FrameError> {
    let mut prefix = [0u8; PREFIX];
    fill(r, &mut prefix, deadline, true)?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len as u64));
    }
    let mut payload = vec![0u8; len];
    fill(r, &mut payload, deadline, false)?;
    Ok(payload)
}

fn fill<R: Timed>(
    r: &mut R,
    buf: &mut [u8],
    deadline: Instant,
    at_start: bool,
) -> Result<(), FrameError> {
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(FrameError::Deadline);
        }
        r.set_timeout(Some(left))?;
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 && at_start => return Err(FrameError::Closed),
            Ok(0) => {
                return Err(FrameError::Truncated {
                    got,
                    want: buf.len(),
                })
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(FrameError::Deadline)
            }
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_oversized_prefix_is_refused_before_any_allocation() {
        let buf = [0xff, 0xff, 0xff, 0xff, 1, 2];
        assert!(matches!(decode(&buf), Err(FrameError::TooLarge(_))));
        assert!(encode(&vec![0u8; MAX_FRAME + 1]).is_err());
    }

    #[test]
    fn a_short_buffer_asks_for_more() {
        assert!(matches!(decode(&[0, 0]), Ok(None)));
        assert!(matches!(decode(&[0, 0, 0, 3, 1]), Ok(None)));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(Some((payload, used))) = decode(&bytes) {
                prop_assert!(used <= bytes.len());
                prop_assert_eq!(payload.len() + PREFIX, used);
            }
            let _ = super::super::protocol::parse::<super::super::protocol::Hello>(&bytes);
        }

        #[test]
        fn encode_then_decode_round_trips(
            payload in proptest::collection::vec(any::<u8>(), 0..2048),
            tail in proptest::collection::vec(any::<u8>(), 0..16),
        ) {
            let mut framed = encode(&payload).unwrap();
            let whole = framed.len();
            framed.extend_from_slice(&tail);
            let (got, used) = decode(&framed).unwrap().unwrap();
            prop_assert_eq!(got, &payload[..]);
            prop_assert_eq!(used, whole);
        }
    }
}
