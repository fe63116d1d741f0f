//! Playing across hosts: `pingpong serve` plays pong for clients, and
//! `pingpong run --between hosts --peer HOST:PORT` plays ping against it.
//!
//! Why a protocol of our own, and why it is small: the rally itself must be
//! the very same ping and pong loops that run between local threads and
//! processes, or figures across hosts could not be compared with local ones.
//! So the network part is only what a local match gets for free from its
//! supervisor: agreeing on the script, swapping machine descriptions, and
//! carrying pong's report back. That is a handful of length-prefixed JSON
//! frames over one TCP connection ([`frame`], [`protocol`]); the balls then
//! travel over the same TCP connection (`--via tcp`) or a UDP socket pair
//! negotiated in the handshake (`--via udp`).
//!
//! A server may be left running, so every input it reads is bounded: frame
//! lengths, ball sizes, windows, the time a handshake and a session may
//! take, and the number of sessions at once ([`server`]).

pub mod client;
pub mod frame;
pub mod protocol;
pub mod server;

/// The port `serve` listens on and `--peer` connects to when none is given.
pub const DEFAULT_PORT: u16 = 7878;
