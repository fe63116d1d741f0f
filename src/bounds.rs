//! The largest time and count pingpong accepts for each flag, and the
//! checks that refuse anything beyond in one line (exit code 2) naming the
//! bound.
//!
//! Why bounds at all: a deadline is `Instant::now() + timeout`, which
//! panics past the clock's range (`--timeout 18446744073709551615s`); a
//! count multiplied by a size overflows; and a run must end, so a count of
//! repetitions or a sleep the user gives cannot be unbounded either. The
//! bounds are far beyond any useful run, so they only ever stop mistakes.

use crate::error::usage;
use anyhow::Result;
use std::fmt::Display;
use std::time::Duration;

/// Deadlines and lengths of whole measurements (`--timeout`, `--duration`,
/// `--session-limit`).
pub const LONGEST_RUN: Duration = Duration::from_secs(24 * 3600);
/// Waits inside one measurement (`--loss-timeout`, `--pace`, `--wait`, `--every`).
pub const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// A unit of work timed inside a measurement (`responsive --chunk`).
pub const LONGEST_CHUNK: Duration = Duration::from_secs(1);

/// Round trips or iterations (`--rounds`, `--warmup`, `switch --rounds`):
/// times the largest ball, still within 64 bits of bytes.
pub const MOST_ROUNDS: u64 = 1_000_000_000;
/// Repetitions of a measurement (`--reps`).
pub const MOST_REPS: u64 = 1000;
/// Balls per window (`--window`) and round trips per sample (`--batch`).
pub const MOST_WINDOW: u64 = 65_536;

/// Parses `flag`'s time (via [`crate::parse::parse_time`]) and refuses one
/// longer than `max`, naming the bound.
pub fn parse_time(s: &str, flag: &str, max: Duration) -> Result<Duration> {
    let d = crate::parse::parse_time(s, flag).map_err(usage)?;
    if d > max {
        return Err(usage(format!(
            "invalid {flag} '{s}': at most {}",
            humantime::format_duration(max)
        )));
    }
    Ok(d)
}

/// Refuses a count above `max`, naming the bound; returns the count.
pub fn count<T: PartialOrd + Display>(n: T, flag: &str, max: T) -> Result<T> {
    if n > max {
        return Err(usage(format!("invalid {flag} '{n}': at most {max}")));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_past_its_bound_is_a_usage_error_naming_the_bound() {
        let e = parse_time("18446744073709551615s", "--timeout", LONGEST_RUN).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), 2);
        assert!(e.to_string().contains("at most 1day"), "{e}");
        assert_eq!(
            parse_time("24h", "--timeout", LONGEST_RUN).unwrap(),
            LONGEST_RUN
        );
    }

    #[test]
    fn a_count_past_its_bound_is_a_usage_error_naming_the_bound() {
        let e = count(u64::MAX, "--reps", MOST_REPS).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), 2);
        assert!(e.to_string().contains("at most 1000"), "{e}");
        assert_eq!(count(1000, "--reps", MOST_REPS).unwrap(), 1000);
    }
}
