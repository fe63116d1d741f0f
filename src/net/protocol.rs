//! The control protocol: what client and server say, in order.
//!
//! ```text
//! client → Hello { magic, version, token, via, script, machine }
//! server → Welcome { version, machine, udp_port } | Refused { version, reason }
//! client → UdpPort { port }                       (udp only)
//! server → Ready                                   (pong is listening)
//!          … the rally: balls on the data path …
//! client → Finished
//! server → Report(pong's report) | Failed { error }
//! ```
//!
//! Every message is one JSON frame. The first thing either side reads is the
//! magic and the version, parsed on their own ([`Probe`]) so that a peer of
//! another version gets "version X here, Y there" instead of a parse error.

use crate::measure::machine::Machine;
use crate::player::report::PlayerReport;
use crate::player::Script;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// Opens every Hello: not pingpong, not spoken to.
pub const MAGIC: &str = "pingpong-net";
/// Bumped on any change to the messages.
pub const VERSION: u32 = 1;

/// The magic and version alone, readable whatever else the message holds.
#[derive(Debug, Deserialize)]
pub struct Probe {
    pub magic: Option<String>,
    pub version: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    pub magic: String,
    pub version: u32,
    /// The shared secret, when the server asks for one.
    pub token: Option<String>,
    /// "tcp" or "udp".
    pub via: String,
    pub script: Script,
    /// How long a lost UDP ball is waited for, ms.
    pub loss_timeout_ms: u64,
    /// How long the client will wait for the session, ms (the server may cut it).
    pub timeout_ms: u64,
    pub machine: Machine,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    Welcome {
        version: u32,
        machine: Box<Machine>,
        /// The server's UDP port for the balls (udp only).
        udp_port: Option<u16>,
        /// The session ends by then, whatever the client asked, ms.
        session_limit_ms: u64,
    },
    Refused {
        version: u32,
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Client {
    UdpPort { port: u16 },
    Finished,
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Server {
    Ready,
    Report(Box<PlayerReport>),
    Failed { error: String },
}

/// Parses a frame's payload as `T`, with the error saying what was expected.
pub fn parse<T: DeserializeOwned>(payload: &[u8]) -> Result<T, String> {
    serde_json::from_slice(payload).map_err(|e| {
        format!(
            "malformed message (expected {}): {e}",
            std::any::type_name::<T>()
                .rsplit("::")
                .next()
                .unwrap_or("?")
        )
    })
}

/// Checks the magic and version of a Hello before anything else is read.
pub fn check_version(payload: &[u8]) -> Result<(), String> {
    let probe: Probe = parse(payload)?;
    if probe.magic.as_deref() != Some(MAGIC) {
        return Err("not a pingpong client (wrong magic)".into());
    }
    match probe.version {
        Some(VERSION) => Ok(()),
        Some(v) => Err(format!(
            "protocol version mismatch: the client speaks version {v}, this server speaks version {VERSION}; use the same pingpong release on both hosts"
        )),
        None => Err("no protocol version in the hello".into()),
    }
}

/// Compares two secrets in time that depends only on their lengths, not on
/// where they first differ.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u8 | ((a.len() != b.len()) as u8);
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"x"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn another_version_is_named() {
        let e = check_version(br#"{"magic":"pingpong-net","version":99}"#).unwrap_err();
        assert!(e.contains("version 99") && e.contains("version 1"), "{e}");
        assert!(check_version(br#"{"magic":"http","version":1}"#).is_err());
        assert!(check_version(b"\xff\x00garbage").is_err());
    }
}
