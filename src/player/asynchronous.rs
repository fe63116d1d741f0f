//! The players as tokio tasks: the same life as [`super::play`] — open,
//! report ready, wait at the start barrier, rally, report over the control
//! line — with the channel awaited instead of blocked on.
//!
//! Only the loops that touch the channel are written again, as `async fn`s;
//! what they decide is not: ball stamping and checking ([`crate::ball`]),
//! ping's verdict on a returned ball ([`ping::judge`]), its sampling and
//! batching ([`ping::Timer`]), pong's bookkeeping ([`pong::judge`]) and both
//! reports are the blocking player's own functions, so a task's figures mean
//! what a thread's mean.
//!
//! CPU accounting is per thread (`RUSAGE_THREAD`): on a current-thread
//! runtime both tasks share the runtime's one thread, so each player's CPU
//! time includes the other's; on a multi-thread runtime a task may move
//! between workers mid-run and its CPU time is that of the worker it ended
//! on. The timing itself (ping's clock) is unaffected.

use super::board::{Board, Phase};
use super::control::{Msg, PlayerLine};
use super::ping::{self, Judged, Timer};
use super::pong;
use super::report::{PlayerReport, Tally};
use super::{failure, Kit, PlayError, PlayerSpec, Script};
use crate::ball;
use crate::channel::async_end::AsyncEndpoint;
use crate::kinds::{Pattern, Role};
use crate::measure::{placement, rusage};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Plays one player's whole part as a task and reports to the supervisor.
/// Returns whether the player finished its rally.
pub async fn play(kit: Kit) -> bool {
    let Kit {
        spec,
        endpoint,
        line,
        board,
        events: _,
    } = kit;
    let role = spec.role;
    let line = Arc::new(line);
    let deadline = spec.deadline.unwrap_or(Duration::from_secs(3600));
    let played = tokio::time::timeout(deadline, play_inner(&spec, endpoint, &line, &board)).await;
    let result = match played {
        Ok(r) => r,
        Err(_) => Err(anyhow::anyhow!(
            "{}: the task did not finish within {} (--timeout)",
            role.name(),
            humantime::format_duration(deadline)
        )),
    };
    super::tell_supervisor(role, result, &line, &board)
}

async fn play_inner(
    spec: &PlayerSpec,
    endpoint: crate::channel::EndpointSpec,
    line: &Arc<PlayerLine>,
    board: &Board,
) -> anyhow::Result<PlayerReport> {
    let role = spec.role;
    board.post(role, Phase::Starting, 0);
    board.post(role, Phase::Opening, 0);
    let fault = if role == Role::Pong {
        spec.script.fault
    } else {
        None
    };
    let mut ep = AsyncEndpoint::open(endpoint, spec.script.payload, fault)
        .map_err(|e| failure(role, "opening its end of the channel".into(), e))?;
    line.send(&Msg::Ready {
        pid: std::process::id(),
        tid: rustix::thread::gettid().as_raw_nonzero().get() as u32,
    })?;
    board.post(role, Phase::WaitingForGo, 0);
    // The barrier is a blocking read: off the runtime's threads, so that the
    // other task can get ready meanwhile on a current-thread runtime.
    let waiter = line.clone();
    let go = tokio::task::spawn_blocking(move || waiter.wait_go())
        .await
        .unwrap_or(false);
    if !go {
        anyhow::bail!(
            "{}: the supervisor called the run off at the start barrier",
            role.name()
        );
    }
    Ok(match role {
        Role::Ping => play_ping(&spec.script, &mut ep, board).await?,
        Role::Pong => play_pong(&spec.script, &mut ep, board).await?,
    })
}

struct Ping<'a> {
    script: &'a Script,
    ep: &'a mut AsyncEndpoint,
    board: &'a Board,
    ball: Vec<u8>,
    back: Vec<u8>,
    tally: Tally,
    seq: u64,
}

async fn play_ping(
    script: &Script,
    ep: &mut AsyncEndpoint,
    board: &Board,
) -> Result<PlayerReport, PlayError> {
    let (ball, back) = ping::balls(script)?;
    let mut p = Ping {
        script,
        ep,
        board,
        ball,
        back,
        tally: Tally::default(),
        seq: 0,
    };
    let warm_start = Instant::now();
    while p.seq < script.warmup_balls() {
        p.exchange().await?;
    }
    let warmup_rounds = p.seq;
    let per_round_ns = ping::pace(warm_start, warmup_rounds);
    let tally_warm = std::mem::take(&mut p.tally);
    let mut timer = Timer::start(script, per_round_ns);
    loop {
        let mut intact = true;
        match script.pattern {
            Pattern::Rally => {
                for _ in 0..timer.batch {
                    intact &= p.exchange().await?;
                }
            }
            Pattern::Stream { .. } => intact = p.exchange().await?,
        }
        if timer.lap(intact, script.length) {
            break;
        }
    }
    let timed = timer.stop(warmup_rounds);
    p.finish().await?;
    Ok(ping::report(p.tally, tally_warm, timed))
}

impl Ping<'_> {
    async fn exchange(&mut self) -> Result<bool, PlayError> {
        match self.script.pattern {
            Pattern::Rally => {
                let seq = self.seq;
                self.seq += 1;
                self.serve(seq).await?;
                self.receive(seq).await
            }
            Pattern::Stream { window } => {
                for _ in 0..window {
                    let seq = self.seq;
                    self.seq += 1;
                    self.serve(seq).await?;
                }
                self.receive(self.seq - 1).await
            }
        }
    }

    async fn serve(&mut self, seq: u64) -> Result<(), PlayError> {
        self.board.post(Role::Ping, Phase::Sending, seq);
        ball::stamp(&mut self.ball, seq, self.script.verify.checks_sum(seq));
        self.ep
            .send(&self.ball)
            .await
            .map_err(|e| failure(Role::Ping, format!("sending ball #{seq}"), e))
    }

    async fn receive(&mut self, seq: u64) -> Result<bool, PlayError> {
        self.board.post(Role::Ping, Phase::Receiving, seq);
        loop {
            self.ep.recv(&mut self.back).await.map_err(|e| {
                failure(
                    Role::Ping,
                    format!("waiting for ball #{seq} to come back"),
                    e,
                )
            })?;
            match ping::judge(&mut self.tally, &mut self.back, seq, self.script.verify) {
                Judged::Good => return Ok(true),
                Judged::Bad => return Ok(false),
                Judged::Stale => continue,
            }
        }
    }

    async fn finish(&mut self) -> Result<(), PlayError> {
        self.board.post(Role::Ping, Phase::Ending, self.seq);
        let end = ball::end_seq(self.script.size);
        ball::stamp(&mut self.ball, end, true);
        self.ep
            .send(&self.ball)
            .await
            .map_err(|e| failure(Role::Ping, "sending the final ball".into(), e))?;
        loop {
            self.ep.recv(&mut self.back).await.map_err(|e| {
                failure(
                    Role::Ping,
                    "waiting for pong to answer the final ball".into(),
                    e,
                )
            })?;
            if ball::is_end(&mut self.back) {
                return Ok(());
            }
            // A duplicate or late ball still in flight: counted like any other.
            ping::judge(
                &mut self.tally,
                &mut self.back,
                self.seq,
                self.script.verify,
            );
        }
    }
}

async fn play_pong(
    script: &Script,
    ep: &mut AsyncEndpoint,
    board: &Board,
) -> Result<PlayerReport, PlayError> {
    let size = script.size;
    let mut buf = super::buffer(Role::Pong, size)?;
    let mut ack = super::buffer(Role::Pong, ping::ack_size(size))?;
    let mut tally = Tally::default();
    let mut expected = 0u64;
    let timed_from = script.warmup_balls();
    let mut cpu_first = placement::current_cpu();
    let mut usage_before = rusage::thread_usage();
    loop {
        board.post(Role::Pong, Phase::Receiving, expected);
        ep.recv(&mut buf)
            .await
            .map_err(|e| failure(Role::Pong, format!("waiting for ball #{expected}"), e))?;
        if ball::is_end(&mut buf) {
            board.post(Role::Pong, Phase::Ending, expected);
            let answer = pong::final_answer(script.pattern, &mut buf, &mut ack);
            ep.send(answer)
                .await
                .map_err(|e| failure(Role::Pong, "answering the final ball".into(), e))?;
            break;
        }
        let Some(seq) = pong::judge(&mut tally, &mut buf, expected, script.verify) else {
            continue;
        };
        expected = expected.max(seq + 1);
        if seq == timed_from && timed_from > 0 {
            cpu_first = placement::current_cpu();
            usage_before = rusage::thread_usage();
        }
        match script.pattern {
            Pattern::Rally => {
                board.post(Role::Pong, Phase::Sending, seq);
                ep.send(&buf)
                    .await
                    .map_err(|e| failure(Role::Pong, format!("returning ball #{seq}"), e))?;
            }
            Pattern::Stream { window } => {
                if seq % window == window - 1 {
                    ball::stamp(&mut ack, seq, true);
                    board.post(Role::Pong, Phase::Sending, seq);
                    ep.send(&ack).await.map_err(|e| {
                        failure(Role::Pong, format!("acknowledging balls up to #{seq}"), e)
                    })?;
                }
            }
        }
    }
    Ok(pong::report(tally, cpu_first, &usage_before))
}
