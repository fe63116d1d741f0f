//! The async end of a channel, for players that are tokio tasks.
//!
//! A task must not block its runtime's thread, so it cannot use the blocking
//! [`super::Endpoint`]s: it gets an [`AsyncEndpoint`] instead. Byte streams
//! prepared by the ordinary channels (`pipe`, `unix`, `tcp`) are reopened as
//! tokio's own types — `tokio::net::unix::pipe`, `UnixStream`, `TcpStream` —
//! on the same descriptors, so tasks and threads are compared over the same
//! kernel objects. The tokio channels (`tokio-mpsc`, `tokio-notify`) hand
//! their ends over ready-made in [`super::EndpointSpec::Task`].
//!
//! The `--payload struct` encoding and `--inject` damage are applied here,
//! with the same functions the blocking adapters use, so a task's ball is
//! framed and damaged exactly as a thread's is.

use super::faulty::{Fault, Injector};
use super::{ChannelError, EndpointSpec};
use crate::channel::payload::{self, Payload};
use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Notify};

/// How the bytes move.
pub enum Transport {
    /// A byte stream: read and write halves.
    Stream {
        r: Box<dyn AsyncRead + Unpin + Send>,
        w: Box<dyn AsyncWrite + Unpin + Send>,
    },
    /// Two bounded tokio mpsc channels; each ball is a `Vec<u8>` moved through.
    Mpsc {
        tx: mpsc::Sender<Vec<u8>>,
        rx: mpsc::Receiver<Vec<u8>>,
    },
    /// Two lanes of a shared queue, each with a `Notify` doorbell.
    Notify { tx: Arc<Lane>, rx: Arc<Lane> },
}

/// One direction of `tokio-notify`: balls waiting to be taken and the
/// doorbell rung after each is put.
#[derive(Default)]
pub struct Lane {
    queue: Mutex<VecDeque<Vec<u8>>>,
    bell: Notify,
    closed: AtomicBool,
}

/// An opened async end.
pub struct AsyncEndpoint {
    transport: Transport,
    payload: Payload,
    fault: Option<Injector>,
    frame: Vec<u8>,
}

/// An unopened end of a tokio channel, carried to its task.
pub struct TaskEnd(pub Transport);

impl std::fmt::Debug for TaskEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskEnd")
    }
}

/// Both ends of a `tokio-mpsc` channel, `depth` balls deep each way.
pub fn mpsc_pair(depth: usize) -> (TaskEnd, TaskEnd) {
    let (a_tx, a_rx) = mpsc::channel(depth);
    let (b_tx, b_rx) = mpsc::channel(depth);
    (
        TaskEnd(Transport::Mpsc { tx: a_tx, rx: b_rx }),
        TaskEnd(Transport::Mpsc { tx: b_tx, rx: a_rx }),
    )
}

/// Both ends of a `tokio-notify` channel.
pub fn notify_pair() -> (TaskEnd, TaskEnd) {
    let a = Arc::new(Lane::default());
    let b = Arc::new(Lane::default());
    (
        TaskEnd(Transport::Notify {
            tx: a.clone(),
            rx: b.clone(),
        }),
        TaskEnd(Transport::Notify { tx: b, rx: a }),
    )
}

fn io(e: std::io::Error) -> ChannelError {
    if matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::ConnectionReset
    ) {
        ChannelError::Closed
    } else {
        ChannelError::Io(e)
    }
}

/// Reopens a prepared byte stream as tokio's type for it: a pipe pair, or a
/// Unix or TCP socket (told apart by the socket's address family).
fn open_stream(rx: OwnedFd, tx: Option<OwnedFd>) -> std::io::Result<Transport> {
    use tokio::net::unix::pipe;
    if let Some(tx) = tx {
        let r = pipe::Receiver::from_owned_fd(rx)?;
        let w = pipe::Sender::from_owned_fd(tx)?;
        return Ok(Transport::Stream {
            r: Box::new(r),
            w: Box::new(w),
        });
    }
    let family = rustix::net::getsockname(&rx)
        .map_err(std::io::Error::from)?
        .address_family();
    if family == rustix::net::AddressFamily::UNIX {
        let s = std::os::unix::net::UnixStream::from(rx);
        s.set_nonblocking(true)?;
        let (r, w) = tokio::net::UnixStream::from_std(s)?.into_split();
        Ok(Transport::Stream {
            r: Box::new(r),
            w: Box::new(w),
        })
    } else {
        let s = std::net::TcpStream::from(rx);
        s.set_nonblocking(true)?;
        let (r, w) = tokio::net::TcpStream::from_std(s)?.into_split();
        Ok(Transport::Stream {
            r: Box::new(r),
            w: Box::new(w),
        })
    }
}

impl AsyncEndpoint {
    /// Opens an end for a task. Must run inside a tokio runtime (the stream
    /// types register with its reactor).
    pub fn open(
        spec: EndpointSpec,
        payload: Payload,
        fault: Option<Fault>,
    ) -> Result<AsyncEndpoint, ChannelError> {
        let transport = match spec {
            EndpointSpec::Stream { rx, tx } => open_stream(rx, tx)?,
            EndpointSpec::Task(TaskEnd(t)) => t,
            _ => {
                return Err(ChannelError::Io(std::io::Error::other(
                    "this channel has no async end for tasks",
                )))
            }
        };
        Ok(AsyncEndpoint {
            transport,
            payload,
            fault: fault.map(Injector::new),
            frame: Vec::new(),
        })
    }

    /// Sends one whole ball, framed as `--payload` says and damaged as
    /// `--inject` says (pong only).
    pub async fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        let out = match &mut self.fault {
            Some(injector) => injector.outgoing(ball),
            None => super::faulty::Outgoing::One(ball),
        };
        for m in out.messages() {
            match self.payload {
                Payload::Raw => send_raw(&mut self.transport, m).await?,
                Payload::Struct => {
                    payload::encode(m, &mut self.frame)?;
                    send_raw(&mut self.transport, &self.frame).await?
                }
            }
        }
        Ok(())
    }

    /// Receives one whole ball into `buf`.
    pub async fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        match self.payload {
            Payload::Raw => recv_raw(&mut self.transport, buf).await,
            Payload::Struct => {
                self.frame.resize(Payload::Struct.wire_size(buf.len()), 0);
                recv_raw(&mut self.transport, &mut self.frame).await?;
                payload::decode(&self.frame, buf)
            }
        }
    }
}

async fn send_raw(t: &mut Transport, ball: &[u8]) -> Result<(), ChannelError> {
    match t {
        Transport::Stream { w, .. } => w.write_all(ball).await.map_err(io),
        Transport::Mpsc { tx, .. } => tx
            .send(ball.to_vec())
            .await
            .map_err(|_| ChannelError::Closed),
        Transport::Notify { tx, .. } => {
            if let Ok(mut q) = tx.queue.lock() {
                q.push_back(ball.to_vec());
            }
            tx.bell.notify_one();
            Ok(())
        }
    }
}

async fn recv_raw(t: &mut Transport, buf: &mut [u8]) -> Result<(), ChannelError> {
    let got = match t {
        Transport::Stream { r, .. } => {
            r.read_exact(buf).await.map_err(io)?;
            return Ok(());
        }
        Transport::Mpsc { rx, .. } => rx.recv().await.ok_or(ChannelError::Closed)?,
        Transport::Notify { rx, .. } => loop {
            // notify_one stores a permit when nobody waits, so a ball put
            // between the check and the wait is not missed.
            let next = rx.queue.lock().ok().and_then(|mut q| q.pop_front());
            if let Some(b) = next {
                break b;
            }
            if rx.closed.load(Ordering::Acquire) {
                return Err(ChannelError::Closed);
            }
            rx.bell.notified().await;
        },
    };
    if got.len() != buf.len() {
        return Err(ChannelError::WrongLength {
            got: got.len(),
            want: buf.len(),
        });
    }
    buf.copy_from_slice(&got);
    Ok(())
}

impl Drop for AsyncEndpoint {
    fn drop(&mut self) {
        // The peer's recv must see the end, as it would see end-of-file.
        if let Transport::Notify { tx, .. } = &self.transport {
            tx.closed.store(true, Ordering::Release);
            tx.bell.notify_one();
        }
    }
}
