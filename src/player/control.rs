//! The control line between a player and the supervisor: a pipe each way.
//!
//! The player says `Ready` once its end of the channel is open and it is
//! pinned, then waits for one byte ("go") — the start barrier, so that no
//! set-up leaks into the timing; at the end it sends its `Report` (or why it
//! failed). Messages are JSON lines. The same pipes serve threads and
//! processes, so the supervisor treats every unit alike, and a player that
//! dies shows up as end-of-file on its line.

use crate::player::report::PlayerReport;
use anyhow::{Context, Result};
use rustix::pipe::{pipe_with, PipeFlags};
use serde::{Deserialize, Serialize};
use std::os::fd::OwnedFd;

#[derive(Debug, Serialize, Deserialize)]
pub enum Msg {
    Ready { pid: u32, tid: u32 },
    Report(Box<PlayerReport>),
    Failed { error: String },
}

/// The player's side: read "go", write messages.
#[derive(Debug)]
pub struct PlayerLine {
    pub go: OwnedFd,
    pub out: OwnedFd,
}

/// The supervisor's side.
pub struct SupervisorLine {
    go: Option<OwnedFd>,
    input: OwnedFd,
    buf: Vec<u8>,
    eof: bool,
}

/// Makes the two pipes of one control line.
pub fn line() -> Result<(SupervisorLine, PlayerLine)> {
    let (go_rx, go_tx) = pipe_with(PipeFlags::CLOEXEC).context("pipe(2) for control")?;
    let (out_rx, out_tx) =
        pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).context("pipe(2) for control")?;
    // Only the supervisor's reading end is non-blocking; the player writes blocking.
    rustix::fs::fcntl_setfl(&out_tx, rustix::fs::OFlags::empty()).context("fcntl")?;
    Ok((
        SupervisorLine {
            go: Some(go_tx),
            input: out_rx,
            buf: Vec::new(),
            eof: false,
        },
        PlayerLine {
            go: go_rx,
            out: out_tx,
        },
    ))
}

impl PlayerLine {
    pub fn send(&self, msg: &Msg) -> Result<()> {
        let mut line = serde_json::to_vec(msg)?;
        line.push(b'\n');
        let mut rest = &line[..];
        while !rest.is_empty() {
            match rustix::io::write(&self.out, rest) {
                Ok(n) => rest = &rest[n..],
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e).context("writing to the supervisor"),
            }
        }
        Ok(())
    }

    /// Waits for the supervisor's "go". `false` if the supervisor hung up or aborted.
    pub fn wait_go(&self) -> bool {
        let mut b = [0u8; 1];
        loop {
            match rustix::io::read(&self.go, &mut b) {
                Ok(1) => return true,
                Ok(_) => return false,
                Err(rustix::io::Errno::INTR) if !crate::interrupt::aborted() => continue,
                Err(_) => return false,
            }
        }
    }
}

impl SupervisorLine {
    pub fn fd(&self) -> &OwnedFd {
        &self.input
    }

    /// Sends "go" (once).
    pub fn go(&mut self) -> Result<()> {
        if let Some(fd) = self.go.take() {
            rustix::io::write(&fd, b"g").context("sending go")?;
        }
        Ok(())
    }

    /// Closes the "go" pipe without sending: a player waiting at the barrier gives up.
    pub fn hang_up(&mut self) {
        self.go = None;
    }

    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// Reads whatever has arrived and returns the complete messages in it.
    pub fn pump(&mut self) -> Result<Vec<Msg>> {
        let mut chunk = [0u8; 65536];
        loop {
            match rustix::io::read(&self.input, &mut chunk) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(rustix::io::Errno::AGAIN) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e).context("reading from a player"),
            }
        }
        let mut msgs = Vec::new();
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let msg =
                serde_json::from_slice(&line[..nl]).context("malformed message from a player")?;
            msgs.push(msg);
        }
        Ok(msgs)
    }
}
