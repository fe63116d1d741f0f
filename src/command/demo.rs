//! `pingpong demo`: the classic exercise. Ping and pong print in strict
//! turns, slowed down so a person can watch, each line with the hit's time,
//! process id and thread id (threads share one pid; processes do not). The
//! order is checked as it happens: two pings in a row is an error.

use crate::bounds;
use crate::channel;
use crate::cli::DemoArgs;
use crate::engine::{self, Match};
use crate::error::usage;
use crate::kinds::Placement;
use crate::kinds::{Length, Pattern, Role};
use crate::plan::{invalid_reason, parse_units};
use crate::player::hits::Hit;
use crate::player::Script;
use anyhow::{bail, Result};
use std::io::Write;
use std::time::Duration;

/// Hits per player a demo may ask for: it is for watching.
const MOST_HITS: u64 = 10_000;

/// Checks strict turns: ping 1, pong 1, ping 2, pong 2, …
#[derive(Default)]
pub struct Referee {
    last: Option<(Role, u64)>,
    pub hits: u64,
}

impl Referee {
    pub fn call(&mut self, hit: &Hit) -> Result<()> {
        let expected = match self.last {
            None => (Role::Ping, 1),
            Some((Role::Ping, n)) => (Role::Pong, n),
            Some((Role::Pong, n)) => (Role::Ping, n + 1),
        };
        if (hit.role, hit.number) != expected {
            bail!(
                "out of turn: {} hit #{} where {} #{} was due",
                hit.role.name(),
                hit.number,
                expected.0.name(),
                expected.1
            );
        }
        self.last = Some((hit.role, hit.number));
        self.hits += 1;
        Ok(())
    }
}

pub fn run(a: &DemoArgs) -> Result<()> {
    let (m, pace) = prepare(a)?;
    let (unit, chan) = (m.unit, m.channel);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} hits each, between {} via {} ({}), one every {}:",
        a.hits,
        unit.name(),
        chan.name(),
        unit.summary(),
        humantime::format_duration(pace)
    )?;
    let mut referee = Referee::default();
    let mut first: Option<u64> = None;
    let mut on_hit = |hit: Hit| -> Result<()> {
        referee.call(&hit)?;
        let t0 = *first.get_or_insert(hit.monotonic_ns);
        let indent = if hit.role == Role::Ping {
            ""
        } else {
            "          "
        };
        writeln!(
            out,
            "{indent}{} #{:<3} {:>9.3} ms   pid {:<7} tid {}",
            hit.role.name(),
            hit.number,
            (hit.monotonic_ns - t0) as f64 / 1e6,
            hit.pid,
            hit.tid
        )?;
        out.flush()?;
        Ok(())
    };
    engine::play(&m, Some(&mut on_hit))?;
    let hits = referee.hits;
    if hits != 2 * a.hits {
        bail!(
            "the demo ended after {hits} hits where {} were due",
            2 * a.hits
        );
    }
    println!("{hits} hits in strict turns: never two pings or two pongs in a row.");
    Ok(())
}

/// The match the command line asks for, checked (one clear line for a bad
/// value): one unit, one channel, a paced rally of `--hits` balls; and the
/// pace.
fn prepare(a: &DemoArgs) -> Result<(Match<'static>, Duration)> {
    let units = parse_units(&a.between)?;
    let [unit] = units[..] else {
        return Err(usage("demo plays one unit at a time: give one --between"));
    };
    if unit.is_task() {
        return Err(usage(
            "demo does not pace tasks yet: use --between threads, processes or processes-fork",
        ));
    }
    let chan = channel::by_name(&a.via).ok_or_else(|| {
        usage(format!(
            "unknown channel '{}' for --via: choose from {}",
            a.via,
            channel::names().join(", ")
        ))
    })?;
    if let Some(why) = invalid_reason(unit, chan, 16) {
        return Err(usage(why));
    }
    if a.hits == 0 {
        return Err(usage("--hits 0: give at least one hit"));
    }
    bounds::count(a.hits, "--hits", MOST_HITS)?;
    let pace = bounds::parse_time(&a.pace, "--pace", bounds::LONGEST_WAIT)?;
    let timeout = match &a.timeout {
        Some(t) => bounds::parse_time(t, "--timeout", bounds::LONGEST_RUN)?,
        None => pace * (2 * a.hits as u32 + 2) + Duration::from_secs(30),
    };
    let script = Script {
        payload: Default::default(),
        size: 16,
        pattern: Pattern::Rally,
        length: Length::Rounds(a.hits),
        warmup_rounds: 0,
        verify: crate::ball::Verify::All,
        batch: Some(1),
        clock_cost_ns: 0.0,
        lossy: chan.lossy(),
        fault: None,
        pace: Some(pace),
    };
    let m = Match {
        unit,
        channel: chan,
        script,
        placement: Placement::Free,
        timeout,
        loss_timeout: Duration::from_secs(2),
    };
    Ok((m, pace))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(role: Role, number: u64) -> Hit {
        Hit {
            role,
            number,
            monotonic_ns: 0,
            pid: 1,
            tid: 1,
        }
    }

    #[test]
    fn strict_turns_pass() {
        let mut r = Referee::default();
        for n in 1..=3 {
            r.call(&hit(Role::Ping, n)).unwrap();
            r.call(&hit(Role::Pong, n)).unwrap();
        }
        assert_eq!(r.hits, 6);
    }

    #[test]
    fn two_pings_in_a_row_are_an_error() {
        let mut r = Referee::default();
        r.call(&hit(Role::Ping, 1)).unwrap();
        let e = r.call(&hit(Role::Ping, 2)).unwrap_err();
        assert!(e.to_string().contains("out of turn"), "{e}");
    }

    #[test]
    fn pong_cannot_serve() {
        let mut r = Referee::default();
        assert!(r.call(&hit(Role::Pong, 1)).is_err());
    }
}
