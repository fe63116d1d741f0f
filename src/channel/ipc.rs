//! `ipc-channel`: servo's `ipc-channel` crate, the ball a `Vec<u8>` sent
//! through `IpcSender<Vec<u8>>` (serialised with serde + bincode, carried
//! over a Unix `SOCK_SEQPACKET` socket) — the Rust analogue of CPython's
//! `multiprocessing` pipes. Threads and processes (spawn and fork).
//!
//! Bootstrap, and why it goes through a file: an `IpcOneShotServer` cannot
//! cross an `exec` (the crate gives no way to rebuild one from an inherited
//! descriptor) and its name exists only once it is made, so the parent
//! cannot make it for a re-executed player. Instead ping makes the server
//! when it opens its end and publishes the server's name in the match's
//! private directory (the path is what travels in the [`super::WireSpec`]);
//! pong waits for the name, makes both directions' channels, keeps its two
//! ends and sends ping the other two through the server. The same code runs
//! between threads, forked and spawned processes. If pong never comes, ping
//! stays in `accept` until the supervisor's deadline ends the match.

use super::{Channel, ChannelError, Endpoint, EndpointSpec, Pair, Setup};
use anyhow::Result;
use ipc_channel::ipc::{self, IpcError, IpcOneShotServer, IpcReceiver, IpcSender};
use std::path::Path;
use std::time::Duration;

/// What pong hands ping: ping's sender (ping → pong) and receiver (pong → ping).
type Ends = (IpcSender<Vec<u8>>, IpcReceiver<Vec<u8>>);

/// The file in the match's directory where ping publishes the server's name.
const NAME_FILE: &str = "ipc-channel.name";
/// How often pong looks for the name (it also checks the abort flag).
const LOOK: Duration = Duration::from_micros(200);

pub struct IpcChannel;

impl Channel for IpcChannel {
    fn name(&self) -> &'static str {
        "ipc-channel"
    }
    fn summary(&self) -> &'static str {
        "servo's ipc-channel, IpcSender<Vec<u8>> (serde + bincode over a Unix socket)"
    }
    fn prepare(&self, setup: &Setup) -> Result<Pair> {
        let path = setup.dir.join(NAME_FILE);
        Ok(Pair {
            ping: EndpointSpec::Ipc {
                path: path.clone(),
                side: 0,
            },
            pong: EndpointSpec::Ipc { path, side: 1 },
        })
    }
}

fn io(e: impl std::fmt::Display) -> ChannelError {
    ChannelError::Io(std::io::Error::other(format!("ipc-channel: {e}")))
}

/// Opens one player's end: ping serves, pong connects.
pub fn open(path: &Path, side: u8) -> Result<IpcEndpoint, ChannelError> {
    if side == 0 {
        let (server, name) = IpcOneShotServer::<Ends>::new()?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, name.as_bytes())?;
        std::fs::rename(&tmp, path)?;
        let (_bootstrap, (tx, rx)) = server.accept().map_err(io)?;
        Ok(IpcEndpoint { tx, rx })
    } else {
        let name = loop {
            match std::fs::read_to_string(path) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if crate::interrupt::aborted() {
                        return Err(ChannelError::Aborted);
                    }
                    std::thread::sleep(LOOK);
                }
                Err(e) => return Err(e.into()),
            }
        };
        let (there_tx, there_rx) = ipc::channel::<Vec<u8>>()?;
        let (back_tx, back_rx) = ipc::channel::<Vec<u8>>()?;
        let bootstrap = IpcSender::<Ends>::connect(name)?;
        bootstrap.send((there_tx, back_rx)).map_err(io)?;
        Ok(IpcEndpoint {
            tx: back_tx,
            rx: there_rx,
        })
    }
}

pub struct IpcEndpoint {
    tx: IpcSender<Vec<u8>>,
    rx: IpcReceiver<Vec<u8>>,
}

impl Endpoint for IpcEndpoint {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        // The crate takes the value: the ball is copied into a Vec, as a
        // program sending its data through ipc-channel would own it.
        // The crate's error is bincode's, a version we do not depend on:
        // a peer that went away shows as EPIPE / ECONNRESET in its text.
        self.tx.send(ball.to_vec()).map_err(|e| {
            let text = e.to_string();
            if text.contains("Broken pipe") || text.contains("Connection reset") {
                ChannelError::Closed
            } else {
                io(text)
            }
        })
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let got = self.rx.recv().map_err(|e| match e {
            IpcError::Disconnected => ChannelError::Closed,
            e => io(e),
        })?;
        if got.len() != buf.len() {
            return Err(ChannelError::WrongLength {
                got: got.len(),
                want: buf.len(),
            });
        }
        buf.copy_from_slice(&got);
        Ok(())
    }
}
