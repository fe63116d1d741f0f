//! Ping: serves, times, and checks every ball that comes back.
//!
//! Timing follows core-to-core-latency: one clock read per sample, a sample
//! being one round trip, or a batch of round trips divided by its size where
//! reading the clock is not negligible against a round trip. Only samples in
//! which every ball came back intact go into the histogram: a damaged ball is
//! counted, never timed.

use super::board::{Board, Phase};
use super::hits::HitLog;
use super::report::{PlayerReport, Tally, Timing};
use super::{failure, PlayError, Script};
use crate::ball::{self, Check, Verify};
use crate::channel::{ChannelError, Endpoint};
use crate::kinds::{Length, Pattern, Role};
use crate::measure::{placement, rusage};
use hdrhistogram::Histogram;
use std::time::Instant;

/// Clock reads may cost at most this share of a sample.
const CLOCK_SHARE: f64 = 0.01;
/// How many times ping sends the final ball on a lossy channel before giving up.
const END_TRIES: u32 = 5;

struct Ping<'a> {
    script: &'a Script,
    ep: &'a mut dyn Endpoint,
    board: &'a Board,
    ball: Vec<u8>,
    back: Vec<u8>,
    tally: Tally,
    seq: u64,
    log: Option<HitLog>,
}

pub fn play(
    script: &Script,
    ep: &mut dyn Endpoint,
    board: &Board,
    log: Option<HitLog>,
) -> Result<PlayerReport, PlayError> {
    let (ball, back) = balls(script)?;
    let mut p = Ping {
        script,
        ep,
        board,
        ball,
        back,
        tally: Tally::default(),
        seq: 0,
        log,
    };

    // Warm-up: untimed, it also makes sure pong is in the rally.
    let warm_start = Instant::now();
    while p.seq < script.warmup_balls() {
        p.exchange()?;
    }
    let warmup_rounds = p.seq;
    let per_round_ns = pace(warm_start, warmup_rounds);
    let tally_warm = p.tally;
    p.tally = Tally::default();

    let mut timer = Timer::start(script, per_round_ns);
    loop {
        let mut intact = true;
        match script.pattern {
            Pattern::Rally => {
                for _ in 0..timer.batch {
                    intact &= p.exchange()?;
                }
            }
            Pattern::Stream { .. } => intact = p.exchange()?,
        }
        if timer.lap(intact, script.length) {
            break;
        }
    }
    let timed = timer.stop(warmup_rounds);
    p.finish()?;
    Ok(report(p.tally, tally_warm, timed))
}

/// Ping's two buffers: the ball it serves (payload filled once) and where
/// what comes back lands (the ball in a rally, an acknowledgement in a stream).
pub(super) fn balls(script: &Script) -> Result<(Vec<u8>, Vec<u8>), PlayError> {
    let mut ball = super::buffer(Role::Ping, script.size)?;
    ball::fill_payload(&mut ball);
    let back_len = match script.pattern {
        Pattern::Rally => script.size,
        Pattern::Stream { .. } => ack_size(script.size),
    };
    Ok((ball, super::buffer(Role::Ping, back_len)?))
}

/// The timed part of ping's play, whatever drives it (a thread blocking on
/// its channel, or an async task awaiting it): samples, CPU accounting, and
/// when to stop. Shared by [`play`] and the async player.
pub(super) struct Timer {
    pub batch: u64,
    hist: Histogram<u64>,
    start: Instant,
    last: Instant,
    timed: u64,
    cpu_first: usize,
    usage_before: crate::measure::rusage::CpuUsage,
}

/// What the timed part measured, before the final ball.
pub(super) struct Timed {
    timing: Timing,
    cpu_first: usize,
    cpu_last: usize,
    usage: crate::measure::rusage::CpuUsage,
}

impl Timer {
    /// Starts timing: rally balls are timed in batches chosen from the
    /// clock's cost and the warm-up's pace; stream balls by the window.
    pub fn start(script: &Script, per_round_ns: f64) -> Timer {
        let batch = match script.pattern {
            Pattern::Rally => script
                .batch
                .unwrap_or_else(|| auto_batch(script.clock_cost_ns, per_round_ns)),
            Pattern::Stream { window } => window,
        };
        let cpu_first = placement::current_cpu();
        let usage_before = rusage::thread_usage();
        let start = Instant::now();
        Timer {
            batch,
            hist: Histogram::<u64>::new(3).expect("3 significant figures is valid"),
            start,
            last: start,
            timed: 0,
            cpu_first,
            usage_before,
        }
    }

    /// Ends one sample of `batch` round trips (or one window); returns
    /// whether the timed part is over. Only intact samples are recorded.
    #[inline]
    pub fn lap(&mut self, intact: bool, length: Length) -> bool {
        let now = Instant::now();
        let ns = (now - self.last).as_nanos() as u64;
        self.last = now;
        self.timed += self.batch;
        if intact {
            self.hist.record((ns / self.batch).max(1)).ok();
        }
        let done = match length {
            Length::Rounds(n) => self.timed >= n,
            Length::Time(d) => now - self.start >= d,
        };
        done || crate::interrupt::aborted()
    }

    pub fn stop(self, warmup_rounds: u64) -> Timed {
        let elapsed = self.last - self.start;
        let usage = rusage::delta(&self.usage_before, &rusage::thread_usage());
        Timed {
            cpu_first: self.cpu_first,
            cpu_last: placement::current_cpu(),
            usage,
            timing: Timing {
                rounds: self.timed,
                warmup_rounds,
                elapsed_ns: elapsed.as_nanos() as u64,
                batch: self.batch,
                samples: self
                    .hist
                    .iter_recorded()
                    .map(|v| (v.value_iterated_to(), v.count_at_value()))
                    .collect(),
            },
        }
    }
}

/// Ping's report: the timed tally plus the warm-up's anomalies (a damaged
/// ball is never fine, timed or not).
pub(super) fn report(mut tally: Tally, warm: Tally, timed: Timed) -> PlayerReport {
    tally.lost += warm.lost;
    tally.stale += warm.stale;
    tally.out_of_order += warm.out_of_order;
    tally.corrupted += warm.corrupted;
    PlayerReport {
        role: Role::Ping,
        pid: std::process::id(),
        tid: rustix::thread::gettid().as_raw_nonzero().get() as u32,
        cpu_first: timed.cpu_first,
        cpu_last: timed.cpu_last,
        allowed_cpus: placement::allowed_cpus(),
        usage: timed.usage,
        max_rss_kib: rusage::max_rss_kib(),
        tally,
        timing: Some(timed.timing),
    }
}

/// What ping makes of a ball that came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Judged {
    /// The ball expected, intact.
    Good,
    /// Damaged or out of order: counted, the sample is not timed.
    Bad,
    /// A duplicate or late reply to an earlier ball: skip it and wait on.
    Stale,
}

/// Checks a returned ball against the one expected and counts it.
#[inline]
pub(super) fn judge(tally: &mut Tally, back: &mut [u8], seq: u64, verify: Verify) -> Judged {
    let size = back.len();
    tally.received += 1;
    match ball::check(back, seq, verify) {
        Check::Good => {
            if verify.checks_sum(seq) {
                tally.checksummed += 1;
            }
            Judged::Good
        }
        Check::Corrupted | Check::Garbage => {
            tally.corrupted += 1;
            Judged::Bad
        }
        Check::WrongSeq(found) => match ball::unwrap_seq(found, seq, size) {
            Some(s) if s < seq && seq - s <= ball::PLAUSIBLE => {
                tally.stale += 1;
                Judged::Stale
            }
            Some(s) if s > seq && s - seq <= ball::PLAUSIBLE => {
                tally.out_of_order += 1;
                Judged::Bad
            }
            // No ball of this rally carries that number: a damaged one.
            _ => {
                tally.corrupted += 1;
                Judged::Bad
            }
        },
    }
}

/// The warm-up's pace, ns per round trip (or window).
pub(super) fn pace(start: Instant, rounds: u64) -> f64 {
    if rounds > 0 {
        start.elapsed().as_nanos() as f64 / rounds as f64
    } else {
        0.0
    }
}

/// Acknowledgements in stream mode are short balls.
pub fn ack_size(size: usize) -> usize {
    size.min(ball::HEADER)
}

/// Round trips per sample so that reading the clock costs at most
/// [`CLOCK_SHARE`] of a sample.
pub fn auto_batch(clock_cost_ns: f64, round_trip_ns: f64) -> u64 {
    if round_trip_ns <= 0.0 || clock_cost_ns <= 0.0 {
        return 1;
    }
    let need = clock_cost_ns / (CLOCK_SHARE * round_trip_ns);
    need.ceil().clamp(1.0, 1_000_000.0) as u64
}

impl Ping<'_> {
    /// One round trip (rally) or one window (stream). `Ok(false)` when a ball
    /// came back damaged or not at all on a lossy channel.
    #[inline]
    fn exchange(&mut self) -> Result<bool, PlayError> {
        match self.script.pattern {
            Pattern::Rally => {
                let seq = self.seq;
                self.seq += 1;
                if let Some(log) = &self.log {
                    log.hit(Role::Ping, seq + 1, self.script.pace);
                }
                self.serve(seq)?;
                self.receive(seq)
            }
            Pattern::Stream { window } => {
                for _ in 0..window {
                    let seq = self.seq;
                    self.seq += 1;
                    self.serve(seq)?;
                }
                self.receive(self.seq - 1)
            }
        }
    }

    #[inline]
    fn serve(&mut self, seq: u64) -> Result<(), PlayError> {
        self.board.post(Role::Ping, Phase::Sending, seq);
        ball::stamp(&mut self.ball, seq, self.script.verify.checks_sum(seq));
        self.ep
            .send(&self.ball)
            .map_err(|e| failure(Role::Ping, format!("sending ball #{seq}"), e))
    }

    /// Waits for the return of ball `seq` (or the acknowledgement of a window
    /// ending with it), skipping and counting stale balls.
    #[inline]
    fn receive(&mut self, seq: u64) -> Result<bool, PlayError> {
        self.board.post(Role::Ping, Phase::Receiving, seq);
        loop {
            match self.ep.recv(&mut self.back) {
                Ok(()) => {}
                Err(ChannelError::TimedOut) if self.script.lossy => {
                    self.tally.lost += 1;
                    return Ok(false);
                }
                Err(ChannelError::WrongLength { .. }) if self.script.lossy => {
                    self.tally.corrupted += 1;
                    return Ok(false);
                }
                Err(e) => {
                    return Err(failure(
                        Role::Ping,
                        format!("waiting for ball #{seq} to come back"),
                        e,
                    ))
                }
            }
            match judge(&mut self.tally, &mut self.back, seq, self.script.verify) {
                Judged::Good => return Ok(true),
                Judged::Bad => return Ok(false),
                Judged::Stale => continue,
            }
        }
    }

    /// Sends the final ball and waits for pong to answer it, so that both
    /// players finish together and pong is never left waiting.
    fn finish(&mut self) -> Result<(), PlayError> {
        self.board.post(Role::Ping, Phase::Ending, self.seq);
        let end = ball::end_seq(self.script.size);
        ball::stamp(&mut self.ball, end, true);
        for _ in 0..END_TRIES {
            self.ep
                .send(&self.ball)
                .map_err(|e| failure(Role::Ping, "sending the final ball".into(), e))?;
            loop {
                match self.ep.recv(&mut self.back) {
                    Ok(()) if ball::is_end(&mut self.back) => return Ok(()),
                    // A duplicate or late ball still in flight: counted like any other.
                    Ok(()) => {
                        judge(
                            &mut self.tally,
                            &mut self.back,
                            self.seq,
                            self.script.verify,
                        );
                        continue;
                    }
                    Err(ChannelError::TimedOut) if self.script.lossy => break,
                    Err(ChannelError::WrongLength { .. }) if self.script.lossy => {
                        self.tally.corrupted += 1;
                        continue;
                    }
                    Err(e) => {
                        return Err(failure(
                            Role::Ping,
                            "waiting for pong to answer the final ball".into(),
                            e,
                        ))
                    }
                }
            }
        }
        // Lossy channel and every final ball lost: pong sees ping's Done on the board.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cheap_clock_times_every_round_trip() {
        assert_eq!(auto_batch(25.0, 4000.0), 1);
    }

    #[test]
    fn an_expensive_clock_times_batches() {
        // 25 ns clock, 200 ns round trip: 25 / (0.01 * 200) = 12.5 → 13.
        assert_eq!(auto_batch(25.0, 200.0), 13);
    }

    #[test]
    fn unknown_costs_time_every_round_trip() {
        assert_eq!(auto_batch(0.0, 100.0), 1);
        assert_eq!(auto_batch(20.0, 0.0), 1);
    }

    #[test]
    fn acks_are_short() {
        assert_eq!(ack_size(1 << 20), 16);
        assert_eq!(ack_size(8), 8);
    }
}
