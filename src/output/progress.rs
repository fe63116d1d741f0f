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
//! pace. Each step has an expected cost and a kind (the verdict's rally
//! matches, its experiments); the time left is, kind by kind, the
//! remaining steps' expected cost scaled by how the steps of that kind done
//! so far compared with theirs ([`time_left`]): fast rallies say nothing
//! of how an experiment will go.

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

/// One kind of step: what all of them are expected to cost, and what
/// those done were expected to cost and took.
#[derive(Clone, Debug, PartialEq)]
pub struct Kind {
    pub name: &'static str,
    /// Expected seconds of every step of this kind.
    pub expected_total: f64,
    /// Expected seconds of the steps of this kind done.
    pub expected_done: f64,
    /// Seconds the steps of this kind done took.
    pub actual_done: f64,
}

impl Kind {
    fn new(name: &'static str, expected: Duration) -> Kind {
        Kind {
            name,
            expected_total: expected.as_secs_f64(),
            expected_done: 0.0,
            actual_done: 0.0,
        }
    }
}

/// What the plan expects and what is done, in steps and in expected seconds.
struct Plan {
    steps: u64,
    done: u64,
    kinds: Vec<Kind>,
    /// The kind of the steps that follow.
    kind: usize,
    /// The step under way: its expected seconds and when it began.
    current: Option<(f64, Instant)>,
    /// The part of the plan under way (a verdict's step), shown before
    /// each step's own name.
    context: String,
}

impl Plan {
    fn expected_total(&self) -> f64 {
        self.kinds.iter().map(|k| k.expected_total).sum()
    }

    fn expected_done(&self) -> f64 {
        self.kinds.iter().map(|k| k.expected_done).sum()
    }

    /// The expected cost of a step that did not say its own: an equal
    /// share of what is left of its kind.
    fn share_left(&self) -> f64 {
        let k = &self.kinds[self.kind];
        let left = self.steps.saturating_sub(self.done).max(1);
        (k.expected_total - k.expected_done).max(0.0) / left as f64
    }

    /// "18/48 · ~52s left", as it stands.
    fn prefix(&self) -> String {
        format!(
            "{}/{} · ~{} left",
            self.done,
            self.steps,
            duration(time_left(&self.kinds))
        )
    }
}

/// The time left: for each kind of step, the remaining steps' expected
/// cost at the pace of the steps of that kind done (their time over their
/// expected cost); a kind none of whose steps is done yet, at its expected
/// cost.
pub fn time_left(kinds: &[Kind]) -> Duration {
    let left: f64 = kinds
        .iter()
        .map(|k| {
            let remaining = (k.expected_total - k.expected_done).max(0.0);
            let pace = if k.expected_done > 0.0 {
                k.actual_done / k.expected_done
            } else {
                1.0
            };
            remaining * pace
        })
        .sum();
    Duration::try_from_secs_f64(left).unwrap_or(Duration::MAX)
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
        Progress::planned_kinds(steps, &[("steps", expected)])
    }

    /// A bar for `steps` steps of several kinds, each kind's steps
    /// expected to take so long in all; the steps count under the first
    /// kind until [`Progress::set_kind`] says otherwise.
    pub fn planned_kinds(steps: u64, kinds: &[(&'static str, Duration)]) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            ProgressBar::with_draw_target(Some(BAR_UNITS), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {prefix} · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut kinds: Vec<Kind> = kinds.iter().map(|&(n, e)| Kind::new(n, e)).collect();
        if kinds.is_empty() {
            kinds.push(Kind::new("steps", Duration::ZERO));
        }
        let plan = Plan {
            steps,
            done: 0,
            kinds,
            kind: 0,
            current: None,
            context: String::new(),
        };
        bar.set_prefix(plan.prefix());
        Progress {
            bar,
            plan: Mutex::new(plan),
        }
    }

    /// The steps that follow are of this kind (one named when the bar was
    /// made; another counts as expected to cost nothing more).
    pub fn set_kind(&self, name: &'static str) {
        let mut plan = self.plan();
        plan.kind = match plan.kinds.iter().position(|k| k.name == name) {
            Some(i) => i,
            None => {
                plan.kinds.push(Kind::new(name, Duration::ZERO));
                plan.kinds.len() - 1
            }
        };
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
        plan.current = Some((expected, Instant::now()));
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
        let (expected, took) = match plan.current.take() {
            Some((e, began)) => (e, began.elapsed().as_secs_f64()),
            None => (plan.share_left(), 0.0),
        };
        plan.done += 1;
        plan.steps = plan.steps.max(plan.done);
        let i = plan.kind;
        let kind = &mut plan.kinds[i];
        kind.expected_done += expected;
        kind.actual_done += took;
        // The plan may have been longer than expected: never past the end.
        kind.expected_total = kind.expected_total.max(kind.expected_done);
        let share = match plan.expected_total() {
            t if t > 0.0 => plan.expected_done() / t,
            _ => plan.done as f64 / plan.steps as f64,
        };
        self.bar.set_prefix(plan.prefix());
        self.bar.set_position((share * BAR_UNITS as f64) as u64);
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

    fn kind(expected_total: f64, expected_done: f64, actual_done: f64) -> Kind {
        Kind {
            name: "k",
            expected_total,
            expected_done,
            actual_done,
        }
    }

    #[test]
    fn the_time_left_is_each_kind_s_remaining_expected_cost_at_its_own_pace() {
        // Nothing done yet: the plan's own expectation.
        assert_eq!(time_left(&[kind(60.0, 0.0, 0.0)]), Duration::from_secs(60));
        // 10 s of expected work took 20 s: the 50 s left will take 100 s.
        assert_eq!(
            time_left(&[kind(60.0, 10.0, 20.0)]),
            Duration::from_secs(100)
        );
        // Rallies done in half their expected time say nothing of the
        // experiments left, none of which is done yet.
        let rallies = kind(4.0, 4.0, 2.0);
        let experiments = kind(60.0, 0.0, 0.0);
        assert_eq!(time_left(&[rallies, experiments]), Duration::from_secs(60));
        assert_eq!(time_left(&[kind(64.0, 64.0, 9.0)]), Duration::ZERO);
    }

    #[test]
    fn a_step_that_says_its_cost_weighs_that_much_in_its_kind() {
        let p = Progress::planned_kinds(
            3,
            &[
                ("rallies", Duration::from_secs(1)),
                ("experiments", Duration::from_secs(11)),
            ],
        );
        p.start_expecting("a short rally", Duration::from_secs(1));
        p.done();
        p.set_kind("experiments");
        {
            let plan = p.plan();
            assert_eq!(plan.done, 1);
            assert!((plan.kinds[0].expected_done - 1.0).abs() < 1e-9);
            // The two steps left share the experiments' 11 s.
            assert!((plan.share_left() - 5.5).abs() < 1e-9);
        }
        p.start("an experiment");
        p.done();
        assert!((p.plan().kinds[1].expected_done - 5.5).abs() < 1e-9);
        assert_eq!(p.steps_done(), 2);
        assert!(!p.is_finished());
    }

    #[test]
    fn the_prefix_counts_steps_and_says_the_time_left() {
        let p = Progress::planned(48, Duration::from_secs(90));
        let prefix = p.plan().prefix();
        assert_eq!(prefix, "0/48 · ~1m 30s left");
        assert_eq!(duration(Duration::from_millis(8400)), "8s");
    }
}
