//! Progress on stderr, updated only *between* measurements: no ticker thread
//! (a steady tick would add wake-ups to the very timings we take, and a
//! thread would forbid the fork start method). Hidden when stderr is not a
//! terminal.
//!
//! One bar serves a whole plan: whoever makes it finishes it (or drops it),
//! and a part of the plan that borrows it — a rally inside the verdict —
//! never does. The time left is pingpong's own estimate, not indicatif's:
//! steps differ in cost (a 100 ms rally against a 10 s experiment), so a
//! rate of steps per second would promise the experiments at the rallies'
//! pace. Each step has an expected cost; the time left is the remaining
//! steps' expected cost, scaled by how the steps done so far compared
//! with theirs ([`time_left`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The bar's length in drawn units (its position is the share of the
/// plan's expected cost done).
const BAR_UNITS: u64 = 1000;

pub struct Progress {
    bar: ProgressBar,
    plan: Mutex<Plan>,
}

/// What the plan expects and what is done, in steps and in expected seconds.
struct Plan {
    steps: u64,
    done: u64,
    /// Expected seconds of the whole plan.
    expected_total: f64,
    /// Expected seconds of the steps done.
    expected_done: f64,
    /// Expected seconds of the step under way, once started.
    current: Option<f64>,
    started: Instant,
    /// The part of the plan under way (a verdict's step), shown before
    /// each step's own name.
    context: String,
}

impl Plan {
    /// The expected cost of a step that did not say its own: an equal
    /// share of what is left.
    fn share_left(&self) -> f64 {
        let left = self.steps.saturating_sub(self.done).max(1);
        (self.expected_total - self.expected_done).max(0.0) / left as f64
    }

    /// "18/48 · ~52s left", as it stands.
    fn prefix(&self) -> String {
        let left = time_left(
            self.started.elapsed(),
            self.expected_done,
            self.expected_total,
        );
        format!("{}/{} · ~{} left", self.done, self.steps, duration(left))
    }
}

/// The time left: the remaining steps' expected cost, scaled by the pace
/// of the steps done (their actual time over their expected cost); before
/// any step is done, the expected cost itself.
pub fn time_left(elapsed: Duration, expected_done: f64, expected_total: f64) -> Duration {
    let remaining = (expected_total - expected_done).max(0.0);
    let pace = if expected_done > 0.0 {
        elapsed.as_secs_f64() / expected_done
    } else {
        1.0
    };
    Duration::try_from_secs_f64(remaining * pace).unwrap_or(Duration::MAX)
}

/// A duration for the bar: "8s", "1m 05s".
fn duration(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s < 60 {
        format!("{s}s")
    } else {
        format!("{}m {:02}s", s / 60, s % 60)
    }
}

impl Progress {
    /// A bar for `steps` steps of about equal cost.
    pub fn new(steps: u64) -> Progress {
        Progress::planned(steps, Duration::from_secs(steps))
    }

    /// A bar for `steps` steps expected to take `expected` in all.
    pub fn planned(steps: u64, expected: Duration) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(BAR_UNITS), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {prefix} · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let plan = Plan {
            steps,
            done: 0,
            expected_total: expected.as_secs_f64(),
            expected_done: 0.0,
            current: None,
            started: Instant::now(),
            context: String::new(),
        };
        bar.set_prefix(plan.prefix());
        Progress {
            bar,
            plan: Mutex::new(plan),
        }
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Names the part of the plan under way ("rally.same-cpu"): the steps
    /// that follow are shown under it.
    pub fn set_context(&self, name: &str) {
        self.plan().context = name.to_string();
    }

    /// Before a step: what is about to be measured (its cost: an equal
    /// share of what is left).
    pub fn start(&self, what: &str) {
        let share = self.plan().share_left();
        self.begin(what, share);
    }

    /// Before a step expected to take `expected`.
    pub fn start_expecting(&self, what: &str, expected: Duration) {
        self.begin(what, expected.as_secs_f64());
    }

    fn begin(&self, what: &str, expected: f64) {
        let mut plan = self.plan();
        plan.current = Some(expected);
        self.bar.set_prefix(plan.prefix());
        self.bar.set_message(match plan.context.as_str() {
            "" => what.to_string(),
            context => format!("{context} · {what}"),
        });
    }

    /// What the bar says is under way.
    pub fn message(&self) -> String {
        self.bar.message()
    }

    /// After a step.
    pub fn done(&self) {
        let mut plan = self.plan();
        let cost = match plan.current.take() {
            Some(c) => c,
            None => plan.share_left(),
        };
        plan.done += 1;
        plan.expected_done += cost;
        // The plan may have been longer than expected: never past the end.
        plan.expected_total = plan.expected_total.max(plan.expected_done);
        if plan.done > plan.steps {
            plan.steps = plan.done;
        }
        let share = if plan.expected_total > 0.0 {
            plan.expected_done / plan.expected_total
        } else {
            plan.done as f64 / plan.steps.max(1) as f64
        };
        self.bar.set_position((share * BAR_UNITS as f64) as u64);
        self.bar.set_prefix(plan.prefix());
    }

    /// Steps done so far.
    pub fn steps_done(&self) -> u64 {
        self.plan().done
    }

    /// Whether the bar has been finished (it then shows nothing more).
    pub fn is_finished(&self) -> bool {
        self.bar.is_finished()
    }

    /// Prints a line above the bar.
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// Clears the bar for good: for its owner only, once the whole plan is done.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    /// A bar left behind would stay drawn under the table.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_the_remaining_expected_cost_at_the_pace_of_the_steps_done() {
        // Nothing done yet: the plan's own expectation.
        assert_eq!(
            time_left(Duration::ZERO, 0.0, 60.0),
            Duration::from_secs(60)
        );
        // 10 s of expected work took 20 s: the 50 s left will take 100 s.
        assert_eq!(
            time_left(Duration::from_secs(20), 10.0, 60.0),
            Duration::from_secs(100)
        );
        // Cheap rallies done at their expected pace say nothing of the
        // dear experiments left but their expected cost.
        assert_eq!(
            time_left(Duration::from_secs(4), 4.0, 64.0),
            Duration::from_secs(60)
        );
        assert_eq!(
            time_left(Duration::from_secs(9), 64.0, 64.0),
            Duration::ZERO
        );
    }

    #[test]
    fn a_step_that_says_its_cost_weighs_that_much_in_the_plan() {
        let p = Progress::planned(3, Duration::from_secs(12));
        p.start_expecting("a short rally", Duration::from_secs(1));
        p.done();
        {
            let plan = p.plan();
            assert_eq!(plan.done, 1);
            assert!((plan.expected_done - 1.0).abs() < 1e-9);
            // The two steps left share the 11 s left.
            assert!((plan.share_left() - 5.5).abs() < 1e-9);
        }
        p.start("an experiment");
        p.done();
        assert!((p.plan().expected_done - 6.5).abs() < 1e-9);
        assert_eq!(p.steps_done(), 2);
        assert!(!p.is_finished());
    }

    #[test]
    fn the_prefix_counts_steps_and_says_the_time_left() {
        let p = Progress::planned(48, Duration::from_secs(90));
        let prefix = p.plan().prefix();
        assert!(prefix.starts_with("0/48 · ~"), "{prefix}");
        assert!(prefix.ends_with(" left"), "{prefix}");
        assert_eq!(duration(Duration::from_secs(65)), "1m 05s");
        assert_eq!(duration(Duration::from_millis(8400)), "8s");
    }
}
