//! The experiments beyond the rally (issue 4): one module each, sharing what
//! every experiment needs and nothing more.
//!
//! Each experiment is a subcommand with the engine's conventions: progress on
//! stderr updated only between measurements, a table on stdout, exports
//! (`--json/--csv/--markdown`) rewritten after every measurement, a deadline
//! on everything, and nothing left behind (every child is reaped, every
//! thread joined). The JSON document opens with the common [`Header`], so the
//! verdict can read it like any other ([`crate::results::Header`]).
//!
//! What they share: the arguments, the document, the rendering of a row and
//! the session that records, exports and prints ([`session`]); what a
//! parent shares with its forked workers ([`workers`]: memory shared across
//! `fork`, a pipe, a bounded read); and a few figures (speedup, efficiency). The children come from the process toolkit
//! ([`crate::subprocess`]): [`fork_child`] (only while single-threaded), the
//! [`Deadline`], and the [`Children`] guard (reaped within the deadline; a
//! stuck child is killed and reaped).

pub mod contention;
pub mod memory;
pub mod overlap;
pub mod reach;
pub mod responsive;
pub mod scale;
pub mod spawn_cost;
pub mod switch;

pub mod session;
pub mod workers;

pub use session::{CommonArgs, ExperimentDocument, Row, Session};
pub use workers::{children_cpu_ns, pipe, read_within, SharedMap};
// The process helpers every experiment uses, from the process toolkit.
pub use crate::subprocess::fork::settle_to_one_thread;
pub use crate::subprocess::{fork_child, kill_and_reap, or_killed, Children, Deadline};

/// Hidden subcommands run by re-executed children: they skip clap.
/// Returns the exit code if `args` names one.
pub fn child_main(args: &[String]) -> Option<i32> {
    match args.get(1).map(String::as_str) {
        Some(spawn_cost::NOOP) => Some(0),
        Some(memory::IDLE) => Some(memory::idle_main()),
        _ => None,
    }
}

/// CPUs this process may use.
pub fn cpus() -> usize {
    crate::measure::placement::allowed_cpus().len().max(1)
}

/// speedup = baseline time / time.
pub fn speedup(baseline_ns: f64, ns: f64) -> f64 {
    if ns > 0.0 {
        baseline_ns / ns
    } else {
        f64::NAN
    }
}

/// efficiency = speedup / workers.
pub fn efficiency(speedup: f64, workers: usize) -> f64 {
    if workers > 0 {
        speedup / workers as f64
    } else {
        f64::NAN
    }
}

/// Formats a float ratio with two decimals, "–" when undefined.
pub fn ratio(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "–".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speedup_and_efficiency() {
        assert_eq!(speedup(100.0, 50.0), 2.0);
        assert_eq!(efficiency(2.0, 4), 0.5);
        assert!(speedup(1.0, 0.0).is_nan());
        assert!(efficiency(1.0, 0).is_nan());
    }
}
