//! `pingpong serve`: plays pong for whoever connects, and is safe to leave
//! running.
//!
//! Why each bound is there:
//! * It listens on loopback unless told otherwise, and refuses to listen
//!   anywhere else without `--token`: an open port that makes us send
//!   traffic must not be reachable by strangers by accident.
//! * Sessions run on threads, at most `--max-sessions` at once; a
//!   connection beyond that is told "busy" and closed at once, so a flood
//!   costs a descriptor for a moment, never a thread or a buffer.
//! * Every read has a deadline: the handshake must complete within
//!   [`HANDSHAKE`], the session within `--session-limit` (whatever time the
//!   client asks for), and a rally that goes silent ends after [`IDLE`],
//!   over TCP and UDP alike. A client that connects and says nothing, or
//!   says hello and then nothing, holds a slot for seconds, not minutes.
//! * Control frames are at most [`frame::MAX_FRAME`] bytes, balls at most
//!   [`MAX_BALL`], windows at most [`MAX_WINDOW`]: memory per session is
//!   bounded before the first ball.
//! * A malformed frame ends its session with a logged reason; nothing a
//!   client sends can end the server. Every event is logged to stderr with
//!   the peer's address, on one line: what a peer sent is logged with its
//!   control characters escaped and cut to [`LOG_TEXT`] characters, and
//!   nothing it sent before its token was checked is logged beyond the
//!   reason for refusing it (a log line cannot be forged from outside).
//! * When `accept` fails (no descriptors left), the server backs off and
//!   says so once per [`ACCEPT_LOG_EVERY`], not once per attempt.

use super::frame::{self, FrameError};
use super::protocol::{self, Client, Hello, Reply, Server, VERSION};
use crate::ball;
use crate::channel::{ChannelError, DatagramEndpoint, Endpoint, StreamEndpoint};
use crate::cli::ServeArgs;
use crate::error::usage;
use crate::kinds::{Length, Pattern, Role};
use crate::player::board::{Board, Phase};
use crate::player::{self, Script};
use anyhow::{Context, Result};
use rustix::net::sockopt::{self, Timeout};
use std::io::Write;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The handshake (hello to ready) must be done within this.
pub const HANDSHAKE: Duration = Duration::from_secs(5);
/// A rally in which nothing arrives for this long has ended.
pub const IDLE: Duration = Duration::from_secs(10);
/// Largest ball a server accepts (two buffers of it per session).
pub const MAX_BALL: usize = 4 << 20;
/// Largest stream window a server accepts.
pub const MAX_WINDOW: u64 = 4096;
/// Longest loss timeout a client may ask for.
pub const MAX_LOSS_TIMEOUT: Duration = Duration::from_secs(5);
/// Writes to a client that does not read give up after this.
const WRITE: Duration = Duration::from_secs(5);
/// Longest peer-provided text in a log line, in characters.
pub const LOG_TEXT: usize = 200;
/// A failing `accept` is logged at most once per this.
pub const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(10);
/// Longest pause between attempts while `accept` keeps failing.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// What the server was told.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub token: Option<String>,
    pub max_sessions: usize,
    pub session_limit: Duration,
    /// No log lines (the verdict's own server).
    pub quiet: bool,
}

/// Parses `ADDR:PORT`, `ADDR` (default port) or `[v6]:PORT`.
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, super::DEFAULT_PORT));
    }
    Err(format!(
        "invalid address '{s}': give an IP address and port, e.g. 127.0.0.1:{}",
        super::DEFAULT_PORT
    ))
}

impl Options {
    pub fn from_args(a: &ServeArgs) -> Result<Options> {
        let listen = parse_addr(&a.listen).map_err(|e| usage(format!("--listen: {e}")))?;
        if a.max_sessions == 0 {
            return Err(usage("--max-sessions 0: allow at least one session"));
        }
        crate::bounds::count(a.max_sessions, "--max-sessions", 4096)?;
        let session_limit = crate::bounds::parse_time(
            &a.session_limit,
            "--session-limit",
            crate::bounds::LONGEST_RUN,
        )?;
        if session_limit < HANDSHAKE {
            return Err(usage("--session-limit is shorter than a handshake (5s)"));
        }
        if a.token.as_deref() == Some("") {
            return Err(usage("--token is empty: give a secret"));
        }
        if !listen.ip().is_loopback() && a.token.is_none() {
            return Err(usage(format!(
                "refusing to listen on {listen} without --token: anyone who can reach it could make this host send traffic; give --token SECRET (clients pass the same --token), or listen on 127.0.0.1"
            )));
        }
        Ok(Options {
            listen,
            token: a.token.clone(),
            max_sessions: a.max_sessions,
            session_limit,
            quiet: false,
        })
    }
}

/// Runs `pingpong serve` until interrupted (SIGINT or SIGTERM); exits 130.
pub fn run(a: &ServeArgs) -> Result<i32> {
    let opts = Options::from_args(a)?;
    let listener =
        TcpListener::bind(opts.listen).with_context(|| format!("listening on {}", opts.listen))?;
    let local = listener.local_addr()?;
    // The bound address on stdout, first line: scripts and tests read the port.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {local}")?;
    out.flush()?;
    drop(out);
    eprintln!(
        "pingpong serve: listening on {local} (protocol {VERSION}, at most {} sessions, {} each{})",
        opts.max_sessions,
        humantime::format_duration(opts.session_limit),
        if opts.token.is_some() {
            ", token required"
        } else {
            ""
        }
    );
    serve(listener, opts)?;
    eprintln!("pingpong serve: interrupted, stopping");
    // Ctrl-C or SIGTERM is the only way a server ends: 130, as for any interrupted command.
    Ok(130)
}

/// Accepts connections until interrupted.
pub fn serve(listener: TcpListener, opts: Options) -> Result<()> {
    serve_until(listener, opts, &AtomicBool::new(false))
}

/// Accepts connections until interrupted or `stop` is set (the verdict runs
/// a server of its own this way, on an ephemeral loopback port). Sessions
/// still running then end by their own deadlines.
pub fn serve_until(listener: TcpListener, opts: Options, stop: &AtomicBool) -> Result<()> {
    listener.set_nonblocking(true).context("listener")?;
    let opts = Arc::new(opts);
    let active = Arc::new(AtomicUsize::new(0));
    let mut failing = AcceptFailures::default();
    while !crate::interrupt::interrupted() && !stop.load(Ordering::SeqCst) {
        let mut fds = [rustix::event::PollFd::new(
            &listener,
            rustix::event::PollFlags::IN,
        )];
        let tick = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 200_000_000,
        };
        let _ = rustix::event::poll(&mut fds, Some(&tick));
        loop {
            let (stream, peer) = match listener.accept() {
                Ok(c) => {
                    failing.recovered(&opts);
                    c
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => break,
                Err(e) => {
                    // Out of descriptors, a connection reset before accept…:
                    // the connection stays queued, so back off and say so once in a while.
                    let pause = failing.failed(&opts, &e);
                    std::thread::sleep(pause);
                    break;
                }
            };
            let _ = stream.set_nonblocking(false);
            if active.load(Ordering::SeqCst) >= opts.max_sessions {
                log(&opts, peer, "refused: busy (all sessions taken)");
                refuse_quickly(stream, "the server is busy: try again later");
                continue;
            }
            active.fetch_add(1, Ordering::SeqCst);
            let slot = Slot(Arc::clone(&active));
            let o = Arc::clone(&opts);
            let spawned = std::thread::Builder::new()
                .name(format!("session {peer}"))
                .spawn(move || {
                    let _slot = slot;
                    log(&o, peer, "connected");
                    match session(stream, peer, &o) {
                        Ok(summary) => log(&o, peer, &format!("session done: {summary}")),
                        Err(why) => log(&o, peer, &format!("session ended: {why}")),
                    }
                });
            if let Err(e) = spawned {
                // The closure (and its slot) was dropped: the count is back.
                log(
                    &opts,
                    peer,
                    &format!("refused: cannot start a session thread: {e}"),
                );
            }
        }
    }
    Ok(())
}

/// Failing `accept`s: the pause before the next attempt doubles up to
/// [`ACCEPT_BACKOFF`] while they fail, and a failure is logged at most once
/// per [`ACCEPT_LOG_EVERY`] (with how many were not), recovery included, so
/// a server flapping at its descriptor limit cannot flood its log.
#[derive(Default)]
struct AcceptFailures {
    pause: Duration,
    logged: Option<Instant>,
    unlogged: u64,
    /// A failure was logged and recovery has not been.
    reported: bool,
}

impl AcceptFailures {
    fn failed(&mut self, opts: &Options, e: &std::io::Error) -> Duration {
        self.unlogged += 1;
        let due = self.logged.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_EVERY);
        if due && !opts.quiet {
            let times = match self.unlogged {
                1 => String::new(),
                n => format!(" ({n} times since the last report)"),
            };
            eprintln!(
                "pingpong serve: accept failed{times}: {e}; retrying with a pause of up to {}s, reported again in {}s if it goes on",
                ACCEPT_BACKOFF.as_secs(),
                ACCEPT_LOG_EVERY.as_secs()
            );
            self.logged = Some(Instant::now());
            self.unlogged = 0;
            self.reported = true;
        }
        self.pause = (self.pause * 2).clamp(Duration::from_millis(10), ACCEPT_BACKOFF);
        self.pause
    }

    fn recovered(&mut self, opts: &Options) {
        self.pause = Duration::ZERO;
        if self.reported && !opts.quiet {
            eprintln!("pingpong serve: accepting connections again");
        }
        self.reported = false;
    }
}

/// Gives back a session slot when the session ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn log(opts: &Options, peer: SocketAddr, what: &str) {
    if opts.quiet {
        return;
    }
    // Whatever went into `what`, the line stays one line of bounded length.
    eprintln!("pingpong serve: [{peer}] {}", peer_text(what, 4 * LOG_TEXT));
}

/// Text a peer sent, fit for a log line: control characters (a newline that
/// would forge a line, an escape that would drive a terminal) escaped, and
/// cut to `max` characters.
pub fn peer_text(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Tells a client it is refused, without ever waiting on it for long.
fn refuse_quickly(mut stream: TcpStream, reason: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = send(&mut stream, &refused(reason));
}

/// Why a hello was refused, for the log: our own words and a version
/// number, never a parser's message (it may quote what the client sent).
fn refusal_for_the_log(why: &str) -> &str {
    if why.starts_with("malformed") {
        "malformed hello"
    } else {
        why
    }
}

fn refused(reason: &str) -> Reply {
    Reply::Refused {
        version: VERSION,
        reason: reason.into(),
    }
}

fn send<T: serde::Serialize>(stream: &mut TcpStream, msg: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec(msg).map_err(|e| e.to_string())?;
    let framed = frame::encode(&bytes).map_err(|e| e.to_string())?;
    stream
        .write_all(&framed)
        .map_err(|e| format!("writing to the client: {e}"))
}

fn receive<T: serde::de::DeserializeOwned>(
    stream: &mut TcpStream,
    deadline: Instant,
    what: &str,
) -> Result<T, String> {
    let payload = frame::read_frame(stream, deadline).map_err(|e| format!("{what}: {e}"))?;
    protocol::parse(&payload).map_err(|e| format!("{what}: {e}"))
}

/// One client, from hello to report. `Err` says why it ended early.
fn session(mut stream: TcpStream, peer: SocketAddr, opts: &Options) -> Result<String, String> {
    let start = Instant::now();
    let handshake = start + HANDSHAKE;
    let _ = stream.set_nodelay(true);
    stream
        .set_write_timeout(Some(WRITE))
        .map_err(|e| e.to_string())?;
    let (hello, script, udp) = read_hello(&mut stream, handshake, opts)?;
    // The client's times are capped by the server's own limits.
    let limit = opts
        .session_limit
        .min(Duration::from_millis(hello.timeout_ms));
    let deadline = start + limit;
    let loss = Duration::from_millis(hello.loss_timeout_ms);
    let socket = if udp {
        let local = stream.local_addr().map_err(|e| e.to_string())?;
        Some(
            UdpSocket::bind((local.ip(), 0))
                .map_err(|e| format!("binding a UDP socket on {}: {e}", local.ip()))?,
        )
    } else {
        None
    };
    let welcome = Reply::Welcome {
        version: VERSION,
        machine: Box::new(crate::measure::machine::describe()),
        udp_port: match &socket {
            Some(s) => Some(s.local_addr().map_err(|e| e.to_string())?.port()),
            None => None,
        },
        session_limit_ms: limit.as_millis() as u64,
    };
    send(&mut stream, &welcome)?;
    log(opts, peer, &hello_line(&hello, &script));
    let board = Board::new().map_err(|e| format!("{e:#}"))?;
    let control = stream.try_clone().map_err(|e| e.to_string())?;
    let inner = endpoint(&mut stream, socket, peer, handshake, loss, &script)?;
    let mut ep = Guarded {
        inner,
        deadline,
        control: udp.then_some(control),
        board: board.share().map_err(|e| format!("{e:#}"))?,
        finished: false,
        last_ball: Instant::now(),
    };
    send(&mut stream, &Server::Ready)?;
    let played = player::play_over(Role::Pong, &script, &mut ep, &board);
    let finished = ep.finished;
    drop(ep);
    match played {
        Ok(report) => {
            if !finished {
                let end = deadline.min(Instant::now() + HANDSHAKE);
                match receive::<Client>(&mut stream, end, "waiting for the client to finish")? {
                    Client::Finished => {}
                    other => return Err(format!("expected Finished, got {other:?}")),
                }
            }
            let summary = format!(
                "{} balls returned, {} anomalies",
                report.tally.received,
                report.tally.anomalies()
            );
            send(&mut stream, &Server::Report(Box::new(report)))?;
            Ok(summary)
        }
        Err(e) => {
            let error = e.to_string();
            let _ = send(
                &mut stream,
                &Server::Failed {
                    error: error.clone(),
                },
            );
            Err(error)
        }
    }
}

/// Reads the client's hello within the handshake and checks it: its
/// version, its form, its token, and what it asks ([`check_hello`]). A
/// client refused is told why; the log is told only what it may see.
fn read_hello(
    stream: &mut TcpStream,
    handshake: Instant,
    opts: &Options,
) -> Result<(Hello, Script, bool), String> {
    let payload = frame::read_frame(stream, handshake).map_err(|e| match e {
        FrameError::Closed => "closed before saying hello".to_string(),
        FrameError::Deadline => format!(
            "no hello within {} (silent or slow client)",
            humantime::format_duration(HANDSHAKE)
        ),
        e => format!("reading the hello: {e}"),
    })?;
    // Until the token is checked, the log says why a client is refused and
    // nothing it sent: the client itself is told the details.
    if let Err(why) = protocol::check_version(&payload) {
        let _ = send(stream, &refused(&why));
        return Err(format!("refused: {}", refusal_for_the_log(&why)));
    }
    let hello: Hello = match protocol::parse(&payload) {
        Ok(h) => h,
        Err(why) => {
            let _ = send(stream, &refused(&why));
            return Err("refused: malformed hello".into());
        }
    };
    if let Some(secret) = &opts.token {
        let ok = hello
            .token
            .as_deref()
            .is_some_and(|t| protocol::same_secret(t.as_bytes(), secret.as_bytes()));
        if !ok {
            let why = if hello.token.is_none() {
                "this server needs a token: pass --token SECRET"
            } else {
                "wrong token"
            };
            let _ = send(stream, &refused(why));
            return Err(format!("refused: {why}"));
        }
    }
    match check_hello(&hello, opts) {
        Ok((script, udp)) => Ok((hello, script, udp)),
        Err(why) => {
            let _ = send(stream, &refused(&why));
            Err(why)
        }
    }
}

/// The log's line for an accepted hello: what will be played, over what,
/// with whom.
fn hello_line(hello: &Hello, script: &Script) -> String {
    format!(
        "hello: {} {} balls over {}, {}",
        match script.pattern {
            Pattern::Rally => "rally of".to_string(),
            Pattern::Stream { window } => format!("stream (window {window}) of"),
        },
        crate::format::format_size(script.size),
        hello.via,
        peer_text(&hello.machine.one_line(), LOG_TEXT)
    )
}

/// Where the balls travel: over UDP, to the port the client names (and only
/// to the address the control connection came from), or over the control
/// connection itself.
fn endpoint(
    stream: &mut TcpStream,
    socket: Option<UdpSocket>,
    peer: SocketAddr,
    handshake: Instant,
    loss: Duration,
    script: &Script,
) -> Result<Box<dyn Endpoint>, String> {
    Ok(match socket {
        Some(socket) => {
            let Client::UdpPort { port } = receive(stream, handshake, "waiting for the UDP port")?
            else {
                return Err("expected the client's UDP port".into());
            };
            // Balls go only to the address the control connection came from.
            socket
                .connect((peer.ip(), port))
                .map_err(|e| format!("connecting UDP to {}:{port}: {e}", peer.ip()))?;
            sockopt::set_socket_timeout(&socket, Timeout::Recv, Some(loss))
                .map_err(|e| e.to_string())?;
            let buf = script.size.saturating_mul(64).clamp(212_992, 8 << 20);
            let _ = sockopt::set_socket_recv_buffer_size(&socket, buf);
            let _ = sockopt::set_socket_send_buffer_size(&socket, buf);
            Box::new(DatagramEndpoint::new(OwnedFd::from(socket)))
        }
        None => {
            let data = stream.try_clone().map_err(|e| e.to_string())?;
            data.set_read_timeout(Some(IDLE))
                .map_err(|e| e.to_string())?;
            Box::new(StreamEndpoint::new(OwnedFd::from(data), None))
        }
    })
}

/// Checks what a client asks for against the server's bounds; returns the
/// script pong will play (with nothing a client may not choose) and whether
/// the balls travel by UDP.
pub fn check_hello(h: &Hello, opts: &Options) -> Result<(Script, bool), String> {
    let udp = match h.via.as_str() {
        "tcp" => false,
        "udp" => true,
        other => {
            return Err(format!(
                "unknown channel '{}': tcp or udp",
                peer_text(other, LOG_TEXT)
            ))
        }
    };
    let s = &h.script;
    let max = if udp {
        crate::channel::by_name("udp").map_or(0, |c| c.max_size())
    } else {
        MAX_BALL
    };
    if s.size < ball::MIN_SIZE || s.size > max {
        return Err(format!(
            "ball size {} outside {}..={max} bytes over {}",
            s.size,
            ball::MIN_SIZE,
            h.via
        ));
    }
    if let Pattern::Stream { window } = s.pattern {
        if window == 0 || window > MAX_WINDOW {
            return Err(format!("window {window} outside 1..={MAX_WINDOW}"));
        }
    }
    if let Length::Time(d) = s.length {
        if d > opts.session_limit {
            return Err(format!(
                "a {} rally is longer than this server's session limit ({})",
                humantime::format_duration(d),
                humantime::format_duration(opts.session_limit)
            ));
        }
    }
    let loss = Duration::from_millis(h.loss_timeout_ms);
    if loss.is_zero() || loss > MAX_LOSS_TIMEOUT {
        return Err(format!(
            "loss timeout {}ms outside 1..=5000",
            h.loss_timeout_ms
        ));
    }
    if h.timeout_ms == 0 {
        return Err("session timeout of 0".into());
    }
    let mut script = s.clone();
    script.fault = None;
    script.pace = None;
    script.lossy = udp;
    Ok((script, udp))
}

/// Pong's endpoint on a server: the session deadline on every receive, and,
/// for UDP, a look at the control connection when a ball is late, since the
/// client's "finished" is how pong learns a lost final ball was the last.
struct Guarded {
    inner: Box<dyn Endpoint>,
    deadline: Instant,
    control: Option<TcpStream>,
    board: Board,
    finished: bool,
    /// When the last ball arrived (UDP: a silent client is ended after [`IDLE`]).
    last_ball: Instant,
}

impl Endpoint for Guarded {
    fn send(&mut self, ball: &[u8]) -> Result<(), ChannelError> {
        self.inner.send(ball)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        if Instant::now() >= self.deadline {
            return Err(ChannelError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the session limit passed",
            )));
        }
        match self.inner.recv(buf) {
            Ok(()) => {
                self.last_ball = Instant::now();
                Ok(())
            }
            // UDP: a lost ball is a result, but a client that sends nothing
            // at all has gone silent, and is ended as a silent TCP one is.
            Err(ChannelError::TimedOut) if self.last_ball.elapsed() >= IDLE => {
                Err(ChannelError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("nothing arrived for {}", humantime::format_duration(IDLE)),
                )))
            }
            Err(ChannelError::TimedOut) => {
                if let Some(c) = &mut self.control {
                    let mut fds = [rustix::event::PollFd::new(
                        &*c,
                        rustix::event::PollFlags::IN,
                    )];
                    let zero = rustix::time::Timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    };
                    if rustix::event::poll(&mut fds, Some(&zero)).unwrap_or(0) > 0 {
                        // Finished, or gone: either way ping plays no more.
                        let end = Instant::now() + Duration::from_secs(1);
                        if let Ok(p) = frame::read_frame(c, end) {
                            self.finished = matches!(protocol::parse(&p), Ok(Client::Finished));
                        }
                        self.board.post(Role::Ping, Phase::Done, 0);
                    }
                }
                Err(ChannelError::TimedOut)
            }
            Err(ChannelError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(ChannelError::Io(std::io::Error::new(
                    e.kind(),
                    format!("nothing arrived for {}", humantime::format_duration(IDLE)),
                )))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_escapes_control_characters_and_is_cut() {
        assert_eq!(peer_text("a\nb\x1b[2Jc", 100), "a\\nb\\u{1b}[2Jc");
        let long = "x".repeat(1000);
        assert_eq!(peer_text(&long, 10).chars().count(), 11);
    }
}
