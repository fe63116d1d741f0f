//! One match: prepare the channel, start both players, hold them at the
//! start barrier, let them play, and supervise until both have reported —
//! or end it, within the deadline, with an error that names the player and
//! what it was doing. Whatever happens, every process is reaped and every
//! file the match made is removed before this returns.
//!
//! A rally in which no ball moves (neither player's board changes) for a few
//! seconds is stalled: a lost ball on a reliable channel, a deadlock, a
//! stopped process. The progress watchdog ends it then, naming who made no
//! progress (a process stopped by SIGSTOP is named as such), instead of
//! waiting for the match's deadline (30 s and more).

use crate::channel::{Channel, EndpointSpec, Pair, Setup};
use crate::error::Interrupted;
use crate::kinds::{Placement, Role, UnitKind};
use crate::measure::load::{self, Load};
use crate::player::board::{Board, Phase};
use crate::player::control::{self, Msg, PlayerLine, SupervisorLine};
use crate::player::hits::Hit;
use crate::player::report::PlayerReport;
use crate::player::{Kit, PlayerSpec, Script};
use crate::unit::{Ending, Running};
use anyhow::{anyhow, Context, Result};
use rustix::event::{poll, PollFd, PollFlags};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// One match to play.
pub struct Match<'a> {
    pub unit: UnitKind,
    pub channel: &'a dyn Channel,
    pub script: Script,
    pub placement: Placement,
    /// The whole match, set-up included, must end within this.
    pub timeout: Duration,
    pub loss_timeout: Duration,
}

/// What a finished match hands back.
pub struct Played {
    pub ping: PlayerReport,
    pub pong: PlayerReport,
    pub load: Load,
}

/// How long stopped players get to end before we give up on them.
const GRACE: Duration = Duration::from_secs(2);
const TICK: Duration = Duration::from_millis(20);
/// The longest the supervisor sleeps while players are talking to it. It
/// wakes at once for any message, a player's death (end-of-file on its
/// line) or a signal, so a long wait costs nothing — and every wake-up of
/// a third thread on a two-CPU machine can disturb the very rally it times
/// (perf bench's own parent just blocks in join).
const LONG_WAIT: Duration = Duration::from_secs(1);
/// How long a player's failure waits for its peer's death to show (see
/// `let_deaths_show`); a death shows within microseconds of its end-of-file.
const SETTLE: Duration = Duration::from_millis(200);
/// A rally in which no ball moved for this long (plus what the script makes
/// a ball legitimately take, see [`watchdog_for`]) is stalled.
pub const STALL: Duration = Duration::from_secs(5);

/// How long a rally may go without a ball moving before the watchdog ends
/// it: [`STALL`], plus time to carry a large ball (at 100 MB/s, far below
/// any channel's speed), two loss timeouts (a lost UDP ball is waited for),
/// and three demo paces (a player sleeps before each hit).
pub fn watchdog_for(m: &Match) -> Duration {
    let carry = Duration::from_secs_f64(m.script.size as f64 / 100e6);
    STALL + carry + 2 * m.loss_timeout + 3 * m.script.pace.unwrap_or_default()
}

struct Seat {
    role: Role,
    unit: Box<dyn Running>,
    line: SupervisorLine,
    ready: bool,
    report: Option<PlayerReport>,
    failure: Option<String>,
    ending: Option<Ending>,
}

/// Plays one match. `on_hit` receives demo-mode hits in the order they happened.
pub fn play(m: &Match, on_hit: Option<&mut dyn FnMut(Hit) -> Result<()>>) -> Result<Played> {
    let dir = crate::subprocess::tempdir::private("pingpong-")
        .context("making a private temporary directory")?;
    let Pair { ping, pong } = m
        .channel
        .prepare(&Setup {
            size: m.script.payload.wire_size(m.script.size),
            dir: dir.path(),
            loss_timeout: m.loss_timeout,
        })
        .with_context(|| format!("preparing channel {}", m.channel.name()))?;
    let board = Board::new()?;
    let (sup_ping, line_ping) = control::line()?;
    let (sup_pong, line_pong) = control::line()?;
    let (events_rx, events_tx) = events(m.script.pace.is_some() || on_hit.is_some())?;
    let ping_kit = kit(m, Role::Ping, ping, line_ping, &board, &events_tx)?;
    let pong_kit = kit(m, Role::Pong, pong, line_pong, &board, &events_tx)?;
    drop(events_tx);

    // What a forked player must close: everything that is not its own.
    let mut supervisor_fds: Vec<BorrowedFd> = vec![sup_ping.fd().as_fd(), sup_pong.fd().as_fd()];
    supervisor_fds.extend(events_rx.as_ref().map(|e| e.as_fd()));
    let mut foreign_to_ping = supervisor_fds.clone();
    foreign_to_ping.extend(pong_kit.endpoint.fds());
    foreign_to_ping.extend([pong_kit.line.go.as_fd(), pong_kit.line.out.as_fd()]);
    let foreign_to_ping: Vec<i32> = foreign_to_ping
        .iter()
        .map(std::os::fd::AsRawFd::as_raw_fd)
        .collect();
    let foreign_to_pong: Vec<i32> = supervisor_fds
        .iter()
        .map(std::os::fd::AsRawFd::as_raw_fd)
        .collect();
    let borrow = |v: &[i32]| -> Vec<BorrowedFd<'static>> {
        // SAFETY: the numbers are descriptors this function keeps open until
        // both players are started; the borrows are used only by `fork` to
        // close them in the child.
        v.iter()
            .map(|&f| unsafe { BorrowedFd::borrow_raw(f) })
            .collect()
    };

    crate::interrupt::reset_abort();
    let seats = start_players(
        m.unit,
        (ping_kit, sup_ping, &borrow(&foreign_to_ping)),
        (pong_kit, sup_pong, &borrow(&foreign_to_pong)),
    )?;

    let mut sup = Supervisor {
        seats,
        board: &board,
        deadline: Instant::now() + m.timeout,
        timeout: m.timeout,
        watchdog: watchdog_for(m),
        rally: m.script.pattern == crate::kinds::Pattern::Rally,
        progress: None,
        events: events_rx,
        events_buf: Vec::new(),
        on_hit,
    };
    let result = sup.run();
    if result.is_err() {
        sup.stop_all();
    }
    // Dropping the seats reaps every process (killing any still running).
    drop(sup);
    drop(dir);
    result
}

/// The pipe both players log their hits to (demo mode, or a paced match):
/// its read end, non-blocking, and its write end; or neither.
fn events(wanted: bool) -> Result<(Option<OwnedFd>, Option<OwnedFd>)> {
    Ok(if wanted {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        rustix::fs::fcntl_setfl(&r, rustix::fs::OFlags::NONBLOCK)?;
        (Some(r), Some(w))
    } else {
        (None, None)
    })
}

/// What one player is started with: its part of the match, its end of the
/// channel and of its control line, the board, and its own copy of the
/// events pipe's write end.
fn kit(
    m: &Match,
    role: Role,
    endpoint: EndpointSpec,
    line: PlayerLine,
    board: &Board,
    events_tx: &Option<OwnedFd>,
) -> Result<Kit> {
    let dup = |fd: &Option<OwnedFd>| -> Result<Option<OwnedFd>> {
        Ok(match fd {
            Some(f) => Some(rustix::io::fcntl_dupfd_cloexec(f, 0)?),
            None => None,
        })
    };
    let spec = |role| PlayerSpec {
        role,
        cpu: m.placement.cpu(role),
        script: m.script.clone(),
        deadline: Some(m.timeout),
    };
    Ok(Kit {
        spec: spec(role),
        endpoint,
        line,
        board: board.share()?,
        events: dup(events_tx)?,
    })
}

/// Starts ping, then pong, each with its kit, its supervisor line and the
/// descriptors it must close; if pong cannot start, ping is stopped.
fn start_players(
    unit: UnitKind,
    (ping_kit, sup_ping, ping_foreign): (Kit, SupervisorLine, &[BorrowedFd<'_>]),
    (pong_kit, sup_pong, pong_foreign): (Kit, SupervisorLine, &[BorrowedFd<'_>]),
) -> Result<Vec<Seat>> {
    let mut seats: Vec<Seat> = Vec::with_capacity(2);
    let ping_unit = crate::unit::start(unit, ping_kit, ping_foreign)?;
    seats.push(Seat::new(Role::Ping, ping_unit, sup_ping));
    let pong_unit = match crate::unit::start(unit, pong_kit, pong_foreign) {
        Ok(u) => u,
        Err(e) => {
            seats[0].unit.stop();
            return Err(e);
        }
    };
    seats.push(Seat::new(Role::Pong, pong_unit, sup_pong));
    Ok(seats)
}

impl Seat {
    fn new(role: Role, unit: Box<dyn Running>, line: SupervisorLine) -> Seat {
        Seat {
            role,
            unit,
            line,
            ready: false,
            report: None,
            failure: None,
            ending: None,
        }
    }

    fn who(&self) -> String {
        match self.unit.pid() {
            Some(pid) => format!("{} (process {pid})", self.role.name()),
            None => format!("{} (thread)", self.role.name()),
        }
    }
}

struct Supervisor<'a, 'h> {
    seats: Vec<Seat>,
    board: &'a Board,
    deadline: Instant,
    timeout: Duration,
    /// See [`watchdog_for`].
    watchdog: Duration,
    /// One ball in flight (what a stall says about where the ball went).
    rally: bool,
    /// The board as last seen changing, and when.
    progress: Option<([(Phase, u64); 2], Instant)>,
    events: Option<OwnedFd>,
    events_buf: Vec<u8>,
    on_hit: Option<&'h mut (dyn FnMut(Hit) -> Result<()> + 'h)>,
}

impl Supervisor<'_, '_> {
    fn run(&mut self) -> Result<Played> {
        self.wait_until(|s| s.ready, "starting")?;
        let pids: Vec<u32> = self.seats.iter().filter_map(|s| s.unit.pid()).collect();
        let before = load::snapshot(&pids);
        for s in &mut self.seats {
            s.line.go()?;
        }
        self.wait_until(|s| s.report.is_some(), "playing")?;
        let after = load::snapshot(&pids);
        // Both reported: let them end (threads return, processes exit) and reap.
        let _ = self.wait_until(|s| s.ending.is_some(), "ending");
        let load = load::between(&before, &after);
        let mut reports = self.seats.iter_mut().map(|s| s.report.take());
        let ping = reports
            .next()
            .flatten()
            .ok_or_else(|| anyhow!("ping sent no report"))?;
        let pong = reports
            .next()
            .flatten()
            .ok_or_else(|| anyhow!("pong sent no report"))?;
        Ok(Played { ping, pong, load })
    }

    /// Supervises until `done` holds for both seats, a player fails or dies,
    /// the deadline passes, or the user interrupts.
    fn wait_until(&mut self, done: impl Fn(&Seat) -> bool, stage: &str) -> Result<()> {
        loop {
            self.pump()?;
            if self.failure().is_some() {
                self.let_deaths_show();
                if let Some(err) = self.failure() {
                    return Err(err);
                }
            }
            if self.seats.iter().all(&done) {
                return Ok(());
            }
            if crate::interrupt::interrupted() {
                return Err(anyhow::Error::new(Interrupted));
            }
            if Instant::now() >= self.deadline {
                return Err(anyhow!(
                    "the match did not finish within {} (--timeout) while {stage}: {}",
                    humantime::format_duration(self.timeout),
                    self.doing()
                ));
            }
            if stage == "playing" {
                if let Some(stalled) = self.stalled() {
                    return Err(stalled);
                }
            }
            self.wait_for_input();
        }
    }

    /// What each player was doing, as the board shows it; a process player
    /// stopped by a signal is said to be.
    fn doing(&self) -> String {
        let doing: Vec<String> = self
            .seats
            .iter()
            .map(|s| {
                let (phase, seq) = self.board.read(s.role);
                if s.unit.pid().is_some_and(is_stopped) {
                    format!(
                        "{} is stopped (by SIGSTOP or a debugger) while {}",
                        s.who(),
                        phase.describe(seq)
                    )
                } else {
                    format!("{} was {}", s.who(), phase.describe(seq))
                }
            })
            .collect();
        doing.join("; ")
    }

    /// The progress watchdog: an error once no ball has moved for
    /// [`Supervisor::watchdog`], naming who made no progress.
    fn stalled(&mut self) -> Option<anyhow::Error> {
        let now = [self.board.read(Role::Ping), self.board.read(Role::Pong)];
        match self.progress {
            Some((seen, since)) if seen == now => {
                if since.elapsed() < self.watchdog {
                    return None;
                }
            }
            _ => {
                self.progress = Some((now, Instant::now()));
                return None;
            }
        }
        let stopped: Vec<String> = self
            .seats
            .iter()
            .filter(|s| s.unit.pid().is_some_and(is_stopped))
            .map(|s| format!("{} made no progress: it is stopped", s.who()))
            .collect();
        let [(ping_phase, ping_seq), (pong_phase, pong_seq)] = now;
        let why = if !stopped.is_empty() {
            stopped.join("; ")
        } else if self.rally && ping_phase == Phase::Receiving && pong_phase == Phase::Receiving {
            if pong_seq > ping_seq {
                format!("pong returned ball #{ping_seq} but it never reached ping")
            } else {
                format!("ball #{ping_seq} never reached pong")
            }
        } else {
            "neither player made progress".into()
        };
        Some(anyhow!(
            "no ball moved for {} (the rally's progress watchdog, well before the {} --timeout): {why}; {}",
            humantime::format_duration(Duration::from_secs(self.watchdog.as_secs())),
            humantime::format_duration(self.timeout),
            self.doing()
        ))
    }

    /// Waits up to one tick for a message from a player.
    fn wait_for_input(&self) {
        let mut fds: Vec<PollFd> = self
            .seats
            .iter()
            .filter(|s| !s.line.at_eof())
            .map(|s| PollFd::new(s.line.fd(), PollFlags::IN))
            .collect();
        if let Some(e) = &self.events {
            fds.push(PollFd::new(e, PollFlags::IN));
        }
        if fds.is_empty() {
            // Lines closed, waiting for the ends to be reaped: look again soon.
            std::thread::sleep(TICK);
        } else {
            let wait = self
                .deadline
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(1), LONG_WAIT);
            let timeout = rustix::time::Timespec {
                tv_sec: wait.as_secs() as _,
                tv_nsec: wait.subsec_nanos() as _,
            };
            let _ = poll(&mut fds, Some(&timeout));
        }
    }

    /// Reads messages and hits, and notices players that ended.
    fn pump(&mut self) -> Result<()> {
        self.pump_hits()?;
        for s in &mut self.seats {
            for msg in s.line.pump()? {
                match msg {
                    Msg::Ready { .. } => s.ready = true,
                    Msg::Report(r) => s.report = Some(*r),
                    Msg::Failed { error } => s.failure = Some(error),
                }
            }
            if s.ending.is_none() {
                s.ending = s.unit.try_end();
                if s.ending.is_some() {
                    // Read what it said before it ended.
                    for msg in s.line.pump()? {
                        match msg {
                            Msg::Ready { .. } => s.ready = true,
                            Msg::Report(r) => s.report = Some(*r),
                            Msg::Failed { error } => s.failure = Some(error),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn pump_hits(&mut self) -> Result<()> {
        let Some(fd) = &self.events else {
            return Ok(());
        };
        let mut chunk = [0u8; 4096];
        loop {
            match rustix::io::read(fd, &mut chunk) {
                Ok(0) => break,
                Ok(n) => self.events_buf.extend_from_slice(&chunk[..n]),
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => break,
            }
        }
        while let Some(nl) = self.events_buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.events_buf.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&line);
            if let (Some(hit), Some(cb)) = (Hit::parse(&text), self.on_hit.as_mut()) {
                cb(hit)?;
            }
        }
        Ok(())
    }

    /// A killed player shows first as end-of-file to its peer, and the
    /// peer's "the other player closed the channel" can reach us before the
    /// death is visible to `waitpid` (the kernel closes a dying process's
    /// descriptors before it becomes a zombie). So before naming what went
    /// wrong, give each process player that has not said why it stopped a
    /// moment to be seen ending: then the death, the cause, is named.
    fn let_deaths_show(&mut self) {
        let until = Instant::now() + SETTLE;
        loop {
            let unexplained = self.seats.iter().any(|s| {
                s.unit.pid().is_some()
                    && s.ending.is_none()
                    && s.failure.is_none()
                    && s.report.is_none()
            });
            if !unexplained || Instant::now() >= until || self.pump().is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The first thing that went wrong, if anything did. A player that died
    /// is the cause; its peer's "the other player closed the channel" only
    /// the consequence, so deaths are named first.
    fn failure(&self) -> Option<anyhow::Error> {
        let mut causes = Vec::new();
        for s in &self.seats {
            match &s.ending {
                Some(Ending::Clean) | None => {}
                Some(e) if s.failure.is_none() && s.report.is_none() => {
                    let (phase, seq) = self.board.read(s.role);
                    causes.push(format!("{} {e} while {}", s.who(), phase.describe(seq)));
                }
                Some(_) => {}
            }
            if s.ending == Some(Ending::Clean) && s.report.is_none() && s.failure.is_none() {
                causes.push(format!("{} ended without a report", s.who()));
            }
        }
        for s in &self.seats {
            if let Some(f) = &s.failure {
                causes.push(f.clone());
            }
        }
        if causes.is_empty() {
            None
        } else {
            Some(anyhow!(causes.join("; then ")))
        }
    }

    /// Stops every player and waits (bounded) for each to end.
    fn stop_all(&mut self) {
        let until = Instant::now() + GRACE;
        for s in &mut self.seats {
            s.line.hang_up();
        }
        while Instant::now() < until {
            let mut running = false;
            for s in &mut self.seats {
                if s.ending.is_none() {
                    s.unit.stop();
                    s.ending = s.unit.try_end();
                    running |= s.ending.is_none();
                }
            }
            if !running {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Whether process `pid` is stopped (state T: SIGSTOP, SIGTSTP; t: traced).
fn is_stopped(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // "pid (comm) state …": comm may hold spaces and parentheses.
            let rest = &s[s.rfind(')')? + 1..];
            rest.split_whitespace().next()?.chars().next()
        })
        .is_some_and(|state| state == 'T' || state == 't')
}
