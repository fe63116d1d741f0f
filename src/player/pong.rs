//! Pong: returns every ball as it came (rally) or acknowledges each window
//! (stream), checking each one on the way.

use super::board::{Board, Phase};
use super::hits::HitLog;
use super::ping::ack_size;
use super::report::{PlayerReport, Tally};
use super::{failure, PlayError, Script};
use crate::ball::{self, Check, Verify};
use crate::channel::{ChannelError, Endpoint};
use crate::kinds::{Pattern, Role};
use crate::measure::rusage::CpuUsage;
use crate::measure::{placement, rusage};

pub fn play(
    script: &Script,
    ep: &mut dyn Endpoint,
    board: &Board,
    log: Option<HitLog>,
) -> Result<PlayerReport, PlayError> {
    let size = script.size;
    let mut buf = super::buffer(Role::Pong, size)?;
    let mut ack = super::buffer(Role::Pong, ack_size(size))?;
    let mut tally = Tally::default();
    let mut expected = 0u64;
    // CPU accounting starts with the first timed ball, as ping's does.
    let timed_from = script.warmup_balls();
    let mut cpu_first = placement::current_cpu();
    let mut usage_before = rusage::thread_usage();
    loop {
        board.post(Role::Pong, Phase::Receiving, expected);
        match ep.recv(&mut buf) {
            Ok(()) => {}
            Err(ChannelError::TimedOut) if script.lossy => {
                // Nothing came: was the final ball lost after ping finished?
                if board.read(Role::Ping).0 == Phase::Done {
                    break;
                }
                continue;
            }
            Err(ChannelError::WrongLength { .. }) if script.lossy => {
                tally.corrupted += 1;
                continue;
            }
            Err(e) => {
                return Err(failure(
                    Role::Pong,
                    format!("waiting for ball #{expected}"),
                    e,
                ))
            }
        }
        if ball::is_end(&mut buf) {
            board.post(Role::Pong, Phase::Ending, expected);
            let answer = final_answer(script.pattern, &mut buf, &mut ack);
            ep.send(answer)
                .map_err(|e| failure(Role::Pong, "answering the final ball".into(), e))?;
            break;
        }
        let Some(seq) = judge(&mut tally, &mut buf, expected, script.verify) else {
            continue;
        };
        expected = expected.max(seq + 1);
        if seq == timed_from && timed_from > 0 {
            cpu_first = placement::current_cpu();
            usage_before = rusage::thread_usage();
        }
        match script.pattern {
            Pattern::Rally => {
                if let Some(log) = &log {
                    log.hit(Role::Pong, seq + 1, script.pace);
                }
                board.post(Role::Pong, Phase::Sending, seq);
                ep.send(&buf)
                    .map_err(|e| failure(Role::Pong, format!("returning ball #{seq}"), e))?;
            }
            Pattern::Stream { window } => {
                if seq % window == window - 1 {
                    ball::stamp(&mut ack, seq, true);
                    board.post(Role::Pong, Phase::Sending, seq);
                    ep.send(&ack).map_err(|e| {
                        failure(Role::Pong, format!("acknowledging balls up to #{seq}"), e)
                    })?;
                }
            }
        }
    }
    Ok(report(tally, cpu_first, &usage_before))
}

/// Pong's answer to the final ball: the ball itself, stamped as final, in a
/// rally; a final acknowledgement in a stream.
pub(super) fn final_answer<'a>(pattern: Pattern, buf: &'a mut [u8], ack: &'a mut [u8]) -> &'a [u8] {
    let end = ball::end_seq(buf.len());
    match pattern {
        Pattern::Rally => {
            ball::stamp(buf, end, true);
            buf
        }
        Pattern::Stream { .. } => {
            ball::stamp(ack, ball::end_seq(ack.len()), true);
            ack
        }
    }
}

/// Checks an incoming ball against the one expected, counts it, and
/// returns the sequence number it stands for; `None` for a message that is
/// no ball of this rally (garbage: a number before the first ball or far
/// from any), counted corrupted and neither answered nor followed, so it
/// cannot move pong's count of lost balls. Shared with the async player.
#[inline]
pub(super) fn judge(
    tally: &mut Tally,
    buf: &mut [u8],
    expected: u64,
    verify: Verify,
) -> Option<u64> {
    let size = buf.len();
    tally.received += 1;
    match ball::check(buf, expected, verify) {
        Check::Good => {
            if verify.checks_sum(expected) {
                tally.checksummed += 1;
            }
            Some(expected)
        }
        Check::Corrupted => {
            tally.corrupted += 1;
            Some(expected)
        }
        Check::Garbage => {
            tally.corrupted += 1;
            None
        }
        Check::WrongSeq(found) => match ball::unwrap_seq(found, expected, size) {
            Some(s) if s < expected && expected - s <= ball::PLAUSIBLE => {
                tally.stale += 1;
                Some(s)
            }
            Some(s) if s >= expected && s - expected <= ball::PLAUSIBLE => {
                tally.lost += s - expected;
                Some(s)
            }
            _ => {
                tally.corrupted += 1;
                None
            }
        },
    }
}

/// Pong's report; its CPU accounting began at the first timed ball.
pub(super) fn report(tally: Tally, cpu_first: usize, usage_before: &CpuUsage) -> PlayerReport {
    let usage = rusage::delta(usage_before, &rusage::thread_usage());
    PlayerReport {
        role: Role::Pong,
        pid: std::process::id(),
        tid: rustix::thread::gettid().as_raw_nonzero().get() as u32,
        cpu_first,
        cpu_last: placement::current_cpu(),
        allowed_cpus: placement::allowed_cpus(),
        usage,
        max_rss_kib: rusage::max_rss_kib(),
        tally,
        timing: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_counted_corrupted_and_never_wraps_the_count_of_lost_balls() {
        for size in [4, 8, 16, 64, 1500] {
            let mut tally = Tally::default();
            for byte in [0xFF, 0x5A, 0xA7, 0x80] {
                let mut buf = vec![byte; size];
                assert_eq!(
                    judge(&mut tally, &mut buf, 3, Verify::All),
                    None,
                    "{byte:#x} × {size}"
                );
            }
            assert_eq!(tally.lost, 0, "size {size}: {tally:?}");
            assert_eq!(tally.corrupted, 4, "size {size}: {tally:?}");
        }
    }

    #[test]
    fn a_real_gap_is_counted_as_lost_balls() {
        let mut tally = Tally::default();
        let mut b = vec![0u8; 64];
        ball::stamp(&mut b, 10, true);
        assert_eq!(judge(&mut tally, &mut b, 7, Verify::All), Some(10));
        assert_eq!(tally.lost, 3);
    }
}
