//! `pingpong run --between hosts --peer HOST:PORT`: ping here, pong on a
//! `pingpong serve` there.
//!
//! The run is resolved and measured exactly as a local one (same plan, same
//! repetitions, same document); only the match differs: each is one session
//! with the server, ping playing the engine's own loop here and pong's
//! report coming back over the control connection.

use super::frame;
use super::protocol::{self, Client, Hello, Reply, Server, MAGIC, VERSION};
use crate::channel::{DatagramEndpoint, Endpoint, StreamEndpoint};
use crate::cli::RunArgs;
use crate::engine::Played;
use crate::error::usage;
use crate::kinds::Placement;
use crate::kinds::Role;
use crate::measure::load;
use crate::measure::machine::Machine;
use crate::output::progress::Progress;
use crate::plan::{Cell, RunPlan};
use crate::player::board::Board;
use crate::player::{self, Script};
use crate::rally;
use crate::results::{Peer, RunDocument};
use anyhow::{anyhow, bail, Context, Result};
use rustix::net::sockopt::{self, Timeout};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

/// Connecting and the handshake must be done within this.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Runs `pingpong run --between hosts`.
pub fn run(args: &RunArgs) -> Result<bool> {
    let plan = plan(args)?;
    let progress = Progress::new(plan.cells.len() as u64 * plan.reps as u64);
    let doc = measure(&plan, args, &progress);
    progress.finish();
    rally::finish(&doc?)
}

/// Resolves a `--between hosts` run into a plan.
pub fn plan(args: &RunArgs) -> Result<RunPlan> {
    if args.between.trim() != "hosts" {
        return Err(usage(
            "--peer plays against another host: use --between hosts alone",
        ));
    }
    let peer = args
        .peer
        .as_deref()
        .ok_or_else(|| usage("--between hosts needs --peer HOST:PORT (a pingpong serve)"))?;
    resolve(peer)?;
    let mut plan = RunPlan::build(args, "threads")?;
    if let Some(c) = plan
        .cells
        .iter()
        .find(|c| !matches!(c.channel.name(), "tcp" | "udp"))
    {
        return Err(usage(format!(
            "--between hosts plays over tcp or udp, not {}",
            c.channel.name()
        )));
    }
    if plan.placement != Placement::Free {
        return Err(usage(
            "--cpus and --same-cpu place both players on this machine: not with --between hosts",
        ));
    }
    if plan.fault.is_some() {
        return Err(usage("--inject is not available with --between hosts"));
    }
    plan.unit_label = Some("hosts");
    Ok(plan)
}

/// Measures a planned `--between hosts` run against `args.peer`.
pub fn measure(plan: &RunPlan, args: &RunArgs, progress: &Progress) -> Result<RunDocument> {
    let peer = args
        .peer
        .as_deref()
        .ok_or_else(|| usage("--between hosts needs --peer HOST:PORT (a pingpong serve)"))?;
    let addr = resolve(peer)?;
    let token = args.token.clone();
    rally::measure_with(plan, progress, &mut |cell, script, doc| {
        session(addr, token.as_deref(), plan, cell, script, doc)
    })
}

/// `HOST[:PORT]` to one socket address (the port defaults to 7878).
pub fn resolve(peer: &str) -> Result<SocketAddr> {
    let with_port = if peer.parse::<SocketAddr>().is_ok()
        || peer
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
    {
        peer.to_string()
    } else {
        format!(
            "{}:{}",
            peer.trim_matches(|c| c == '[' || c == ']'),
            super::DEFAULT_PORT
        )
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| usage(format!("--peer '{peer}': {e}")))?
        .next()
        .ok_or_else(|| usage(format!("--peer '{peer}': no address")))?;
    Ok(addr)
}

fn send<T: serde::Serialize>(stream: &mut TcpStream, msg: &T) -> Result<()> {
    let bytes = serde_json::to_vec(msg)?;
    let framed = frame::encode(&bytes)?;
    stream.write_all(&framed).context("writing to the server")?;
    Ok(())
}

fn receive<T: serde::de::DeserializeOwned>(
    stream: &mut TcpStream,
    deadline: Instant,
    what: &str,
) -> Result<T> {
    let payload = frame::read_frame(stream, deadline).with_context(|| what.to_string())?;
    protocol::parse(&payload).map_err(|e| anyhow!("{what}: {e}"))
}

/// One match against the server.
fn session(
    addr: SocketAddr,
    token: Option<&str>,
    plan: &RunPlan,
    cell: &Cell,
    script: &Script,
    doc: &mut RunDocument,
) -> Result<Played> {
    let via = cell.channel.name();
    let mut stream = TcpStream::connect_timeout(&addr, HANDSHAKE)
        .with_context(|| format!("connecting to pingpong serve at {addr}"))?;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(HANDSHAKE))?;
    let handshake = Instant::now() + HANDSHAKE;
    let hello = Hello {
        magic: MAGIC.into(),
        version: VERSION,
        token: token.map(str::to_string),
        via: via.into(),
        script: script.clone(),
        loss_timeout_ms: plan.loss_timeout.as_millis() as u64,
        timeout_ms: plan.timeout.as_millis() as u64,
        machine: doc.header.machine.clone(),
    };
    let (machine, udp_port) = greet(&mut stream, addr, &hello, handshake)?;
    let mut ep = endpoint(&mut stream, addr, via, udp_port, plan, script)?;
    match receive::<Server>(&mut stream, handshake, "waiting for the server to be ready")? {
        Server::Ready => {}
        Server::Failed { error } => bail!("the server at {addr} failed: {error}"),
        Server::Report(_) => bail!("the server at {addr} reported before the rally"),
    }
    doc.peer = Some(Peer {
        address: addr.to_string(),
        protocol_version: VERSION,
        machine: *machine,
    });
    let board = Board::new()?;
    let me = [std::process::id()];
    let before = load::snapshot(&me);
    let ping = player::play_over(Role::Ping, script, ep.as_mut(), &board)
        .map_err(|e| anyhow!("{e} (playing against {addr})"))?;
    let after = load::snapshot(&me);
    drop(ep);
    send(&mut stream, &Client::Finished)?;
    let end = Instant::now() + HANDSHAKE;
    let pong = match receive::<Server>(&mut stream, end, "waiting for pong's report")? {
        Server::Report(r) => *r,
        Server::Failed { error } => bail!("pong at {addr}: {error}"),
        Server::Ready => bail!("the server at {addr} said ready twice"),
    };
    Ok(Played {
        ping,
        pong,
        load: load::between(&before, &after),
    })
}

/// Says hello and reads the server's welcome within the handshake: the
/// server's machine, and its UDP port (udp only).
fn greet(
    stream: &mut TcpStream,
    addr: SocketAddr,
    hello: &Hello,
    handshake: Instant,
) -> Result<(Box<Machine>, Option<u16>)> {
    send(stream, hello)?;
    Ok(
        match receive::<Reply>(stream, handshake, "waiting for the server's welcome")? {
            Reply::Refused { version, reason } => {
                bail!("the server at {addr} (protocol version {version}) refused: {reason}")
            }
            Reply::Welcome {
                version,
                machine,
                udp_port,
                ..
            } => {
                if version != VERSION {
                    bail!("protocol version mismatch: this client speaks version {VERSION}, the server at {addr} version {version}");
                }
                (machine, udp_port)
            }
        },
    )
}

/// Where the balls travel: over UDP, to the server's port (ours sent back),
/// or over the control connection itself.
fn endpoint(
    stream: &mut TcpStream,
    addr: SocketAddr,
    via: &str,
    udp_port: Option<u16>,
    plan: &RunPlan,
    script: &Script,
) -> Result<Box<dyn Endpoint>> {
    Ok(if via == "udp" {
        let port = udp_port.ok_or_else(|| anyhow!("the server sent no UDP port"))?;
        let local = stream.local_addr()?;
        let socket = UdpSocket::bind((local.ip(), 0)).context("binding a UDP socket")?;
        socket
            .connect((addr.ip(), port))
            .with_context(|| format!("connecting UDP to {}:{port}", addr.ip()))?;
        sockopt::set_socket_timeout(&socket, Timeout::Recv, Some(plan.loss_timeout))?;
        let buf = script.size.saturating_mul(64).clamp(212_992, 8 << 20);
        let _ = sockopt::set_socket_recv_buffer_size(&socket, buf);
        let _ = sockopt::set_socket_send_buffer_size(&socket, buf);
        send(
            stream,
            &Client::UdpPort {
                port: socket.local_addr()?.port(),
            },
        )?;
        Box::new(DatagramEndpoint::new(OwnedFd::from(socket)))
    } else {
        let data = stream.try_clone()?;
        data.set_read_timeout(Some(plan.timeout))?;
        Box::new(StreamEndpoint::new(OwnedFd::from(data), None))
    })
}
