//! The verdict's plan: which rallies and experiments it runs in each mode,
//! with which arguments, and running them into [`Step`]s.
//!
//! The rallies run in this process (the engine's own matches); every other
//! experiment runs as its own `pingpong <experiment> --json FILE` child
//! ([`super::steps`]) — the very command a reader can rerun alone — so a
//! fault in one cannot take the verdict down.

use super::steps::{self, ExperimentStep};
use super::{demos, Outcome, Step, VerdictDocument};
use crate::cli::RunArgs;
use crate::document::Document;
use crate::kinds::Placement;
use crate::output::progress::Progress;
use crate::plan::RunPlan;
use crate::results::{Header, RunDocument};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::time::Duration;

/// How much to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Quick,
    Default,
    Thorough,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Default => "default",
            Mode::Thorough => "thorough",
        }
    }

    /// The experiments beyond the rally, with their arguments in this mode.
    pub fn experiments(self, _cpus: usize) -> Vec<ExperimentStep> {
        let quick = self == Mode::Quick;
        let with = |name: &'static str, extra: &[&str]| {
            let mut args: Vec<String> = Vec::new();
            if quick {
                args.push("--quick".into());
            }
            args.extend(extra.iter().map(|s| s.to_string()));
            ExperimentStep { name, args }
        };
        let reps = if quick { "3" } else { "5" };
        vec![
            with(REACH_STEP, &[]),
            with("spawn", &[]),
            with(
                "memory",
                match self {
                    Mode::Quick => &["--units", "1,10", "--reps", "3"],
                    Mode::Default => &["--units", "1,10,50", "--reps", "5"],
                    Mode::Thorough => &["--reps", "5"],
                },
            ),
            // Scaling from 1 to the CPUs and twice them, in interleaved
            // rounds, within the experiment's own budget (which holds on
            // 128 CPUs too); the evidence reads whichever counts were measured.
            with(
                "scale",
                match self {
                    Mode::Quick | Mode::Default => &[],
                    Mode::Thorough => &["--reps", "9", "--budget", "20s"],
                },
            ),
            // Repetitions interleaved across each experiment's variants.
            with(
                "contention",
                &match self {
                    Mode::Quick => vec!["--reps", "3"],
                    _ => vec!["--adds", "500000", "--reps", "5"],
                },
            ),
            // Fewer but longer repetitions (8 rounds a unit unless quick):
            // a burst of other load then weighs less in any one of them.
            with("overlap", &["--reps", "3"]),
            with("responsive", &["--reps", reps]),
            with("faults", &[]),
            // CPython beside Rust: skipped, with the reason, when none is
            // found. Every experiment a claim reads runs for the default
            // CPython; within the python step's budget (~8 s quick, ~25 s
            // default on 2 CPUs) quick mode runs, for a free-threaded one,
            // those where the GIL changes the answer (scaling, passing
            // data, locks), and the default mode runs the live
            // demonstrations and the start-up costs at their quick size.
            with(
                "python",
                match self {
                    Mode::Quick => &["--ft-experiments", "scale,rally,pickling,locks"],
                    Mode::Default => &[
                        "--quick-for",
                        "spawn,memory,faults,stop,pool,connection,zombie",
                    ],
                    Mode::Thorough => &[],
                },
            ),
        ]
    }

    /// How long the whole plan may take, re-measuring disturbed steps
    /// included (the plan itself takes well under it on an idle machine).
    pub fn budget(self) -> Duration {
        Duration::from_secs(match self {
            Mode::Quick => 15,
            Mode::Default => 60,
            Mode::Thorough => 300,
        })
    }

    /// (duration per repetition, repetitions) of the rallies.
    fn rally(self) -> (&'static str, u32) {
        match self {
            Mode::Quick => ("30ms", 2),
            Mode::Default => ("100ms", 3),
            Mode::Thorough => ("500ms", 5),
        }
    }

    /// Untimed round trips before each rally's timing: enough to have both
    /// players in the rally and their caches warm. (The run's default,
    /// 1000, costs 46 ms a match over spin on one CPU, where each hit
    /// waits for a yield: most of the rally steps' time.)
    const RALLY_WARMUP: u64 = 200;

    /// The channels of the pinned rallies: kernel channels, and shared
    /// memory between processes (the direct test of P11's "because");
    /// quick mode keeps two of each family.
    fn channels(self) -> &'static str {
        match self {
            Mode::Quick => "pipe,tcp,spin,futex",
            Mode::Default | Mode::Thorough => "pipe,unix,tcp,spin,futex,shm-ring",
        }
    }
}

/// The rally with both players pinned to one CPU (P11, A4).
pub const SAME_CPU_STEP: &str = "rally.same-cpu";
/// The rally with the players pinned to two different CPUs (P11).
pub const TWO_CPUS_STEP: &str = "rally.two-cpus";
/// The rally with free placement: information only, in thorough mode.
pub const FREE_STEP: &str = "rally.free";
/// The rally between two network endpoints (P7).
pub const HOSTS_STEP: &str = "hosts";
/// `pingpong reach` (A3).
pub const REACH_STEP: &str = "reach";

/// One rally of the plan: where the players sit, and its arguments; or
/// why it cannot be measured here.
struct RallyStep {
    name: &'static str,
    args: Result<RunArgs, String>,
}

/// The command that reproduces a rally alone.
fn rally_command(a: &RunArgs) -> String {
    let mut c = format!(
        "pingpong run --between {} --via {} --size {} --duration {} --reps {}",
        a.between,
        a.via(),
        a.size,
        a.duration.as_deref().unwrap_or("1s"),
        a.reps
    );
    if let Some(w) = a.warmup {
        c.push_str(&format!(" --warmup {w}"));
    }
    if let Some(cpu) = a.same_cpu {
        c.push_str(&format!(" --same-cpu {cpu}"));
    }
    if let Some(cpus) = &a.cpus {
        c.push_str(&format!(" --cpus {cpus}"));
    }
    c
}

fn rally_args(mode: Mode, placement: Placement) -> RunArgs {
    let (duration, reps) = mode.rally();
    let (same_cpu, cpus) = match placement {
        Placement::Free => (None, None),
        Placement::Pinned { ping, pong } if ping == pong => (Some(ping), None),
        Placement::Pinned { ping, pong } => (None, Some(format!("{ping},{pong}"))),
    };
    RunArgs {
        between: "threads,processes".into(),
        via: Some(mode.channels().into()),
        size: "64".into(),
        pattern: crate::cli::PatternArg::Rally,
        window: 64,
        rounds: None,
        duration: Some(duration.into()),
        warmup: Some(Mode::RALLY_WARMUP),
        quick: false,
        reps,
        cpus,
        same_cpu,
        verify: None,
        batch: None,
        timeout: None,
        loss_timeout: "200ms".into(),
        exports: Default::default(),
        inject: None,
        peer: None,
        token: None,
        payload: crate::cli::PayloadArg::Raw,
    }
}

/// The hosts rally's arguments: short, over TCP and UDP, against the
/// verdict's own server (its port is filled in when it is bound).
fn hosts_args(mode: Mode) -> RunArgs {
    let mut a = rally_args(mode, Placement::Free);
    a.between = "hosts".into();
    a.via = Some("tcp,udp".into());
    a.duration = Some(if mode == Mode::Quick { "50ms" } else { "100ms" }.into());
    a.reps = 2;
    a.timeout = Some("10s".into());
    a.peer = Some("127.0.0.1:7878".into());
    a
}

/// The commands that reproduce the hosts rally alone.
fn hosts_command(a: &RunArgs) -> String {
    format!(
        "pingpong serve & {}",
        rally_command(a).replace("--between hosts", "--between hosts --peer 127.0.0.1:7878")
    )
}

/// The hosts rally (claim P7): a `pingpong serve` of the verdict's own, in
/// a thread, on an ephemeral loopback port, stopped before this returns;
/// ping plays here. Under a second of rally; nothing else can reach it.
fn hosts_rally(plan: &RunPlan, mode: Mode, progress: &Progress) -> Result<RunDocument> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .context("binding the verdict's loopback server")?;
    let addr = listener.local_addr()?;
    let opts = crate::net::server::Options {
        listen: addr,
        token: None,
        max_sessions: 2,
        session_limit: Duration::from_secs(30),
        quiet: true,
    };
    let mut args = hosts_args(mode);
    args.peer = Some(addr.to_string());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let server = s.spawn(|| crate::net::server::serve_until(listener, opts, &stop));
        let doc = crate::net::client::measure(plan, &args, progress);
        stop.store(true, Ordering::SeqCst);
        let _ = server.join();
        doc
    })
}

/// A rally's document as a step; an interruption ends the verdict.
fn rally_step(
    name: &str,
    command: String,
    run: impl FnOnce() -> Result<RunDocument>,
    progress: &Progress,
) -> Result<Step> {
    let load = steps::LoadMeter::start();
    let t0 = std::time::Instant::now();
    let outcome = match run() {
        Ok(mut doc) => {
            // The command that reproduces this rally alone, not the verdict's own.
            doc.header.command = command.split(' ').map(String::from).collect();
            Outcome::Measured {
                document: Box::new(Document::Run(Box::new(doc))),
            }
        }
        Err(e) if crate::error::exit_code(&e) == 130 => return Err(e),
        Err(e) => {
            progress.println(&format!("warning: the {name} rally failed: {e:#}"));
            Outcome::Failed {
                why: format!("the {name} rally failed: {e:#}"),
            }
        }
    };
    Ok(Step {
        name: name.into(),
        command,
        others_cpus: Some(load.others_cpus()),
        run: 0,
        disturbed: Vec::new(),
        seconds: t0.elapsed().as_secs_f64(),
        outcome,
    })
}

/// Comparisons of a rally in which one repetition contradicts the
/// others: their median ratio is clearly on one side of 1 (beyond
/// [`super::rules::MARGIN`]) and some repetition's is not. On one CPU the
/// repetitions of an undisturbed rally agree within a few percent, so a
/// contradicting one was disturbed (others' load in its 100 ms is too
/// short to show in the step's). Across two vCPUs each repetition's round
/// trip depends on how fast the host wakes a halted vCPU, so repetitions
/// differ by nature there and that rally is not measured again.
fn contradicted(s: &Step) -> usize {
    let Outcome::Measured { document } = &s.outcome else {
        return 0;
    };
    let Document::Run(run) = document.as_ref() else {
        return 0;
    };
    contradicting(&run.comparisons)
}

fn contradicting(comparisons: &[crate::results::Comparison]) -> usize {
    let m = super::rules::MARGIN;
    let side = |r: f64| (r > 1.0 + m) as i8 - (r < 1.0 - m) as i8;
    comparisons
        .iter()
        .filter(|c| {
            let mid = side(c.median_ratio);
            mid != 0 && c.ratios.iter().any(|&r| side(r) != mid)
        })
        .count()
}

/// Of two attempts at a step, `second` when it is the better one, else
/// `first`: the other's load joins the loads of the kept one's earlier
/// attempts, and its time is counted.
fn keep(first: Step, second: Step, second_is_better: bool) -> Step {
    let (mut kept, mut dropped) = if second_is_better {
        (second, first)
    } else {
        (first, second)
    };
    kept.disturbed.append(&mut dropped.disturbed);
    kept.disturbed.extend(dropped.others_cpus);
    kept.seconds += dropped.seconds;
    kept
}

/// At most this many attempts at a step that other processes disturbed.
const ATTEMPTS: usize = 3;

/// Runs an experiment step; while other processes disturbed it (their load
/// above [`super::rules::BUSY`] during the step) and the budget allows,
/// measures it again and keeps the least disturbed attempt, recording the
/// loads of the others. A step whose every attempt was disturbed keeps its
/// load, and the rules then say the word depends on the machine's load.
fn experiment_step(
    step: &ExperimentStep,
    run: u32,
    budget: &Budget,
    progress: &Progress,
) -> Result<Step> {
    let mut best = steps::run(step, STEP_TIMEOUT);
    let took = budget.elapsed_since_last();
    let mut attempts = 1;
    let disturbed = |s: &Step| {
        step.name != "faults"
            && matches!(s.outcome, Outcome::Measured { .. })
            && s.others_cpus.is_some_and(|l| l > super::rules::BUSY)
    };
    while disturbed(&best) && attempts < ATTEMPTS && budget.allows(took) {
        progress.println(&format!(
            "note: other processes used {:.2} CPUs during `{}`; measuring it again",
            best.others_cpus.unwrap_or(0.0),
            step.command()
        ));
        let again = steps::run(step, STEP_TIMEOUT);
        // The least disturbed attempt that measured something.
        let better = matches!(again.outcome, Outcome::Measured { .. })
            && matches!((again.others_cpus, best.others_cpus), (Some(a), Some(b)) if a < b);
        best = keep(best, again, better);
        attempts += 1;
    }
    if let Outcome::Failed { why } = &best.outcome {
        if crate::interrupt::interrupted() {
            return Err(anyhow::Error::new(crate::error::Interrupted));
        }
        progress.println(&format!("warning: {why}"));
    }
    best.run = run;
    Ok(best)
}

/// The deadline of one experiment step.
const STEP_TIMEOUT: Duration = Duration::from_secs(180);

/// The verdict's time budget: measuring a disturbed step again is allowed
/// only while the whole plan stays within it.
struct Budget {
    start: std::time::Instant,
    limit: Duration,
    last: std::cell::Cell<std::time::Instant>,
}

impl Budget {
    fn new(limit: Duration) -> Budget {
        let now = std::time::Instant::now();
        Budget {
            start: now,
            limit,
            last: std::cell::Cell::new(now),
        }
    }

    /// Time since the previous call (one step's time).
    fn elapsed_since_last(&self) -> Duration {
        let now = std::time::Instant::now();
        let d = now - self.last.get();
        self.last.set(now);
        d
    }

    /// Whether another `step` long fits in the budget.
    fn allows(&self, step: Duration) -> bool {
        self.start.elapsed() + step <= self.limit
    }
}

/// The rallies of a mode on a machine where pingpong may use `cpus`: both
/// players pinned to one CPU, then to two different CPUs; free placement
/// only in thorough mode, as information.
fn rallies(mode: Mode, cpus: &[usize]) -> Vec<RallyStep> {
    let first = cpus.first().copied().unwrap_or(0);
    let mut out = vec![
        RallyStep {
            name: SAME_CPU_STEP,
            args: Ok(rally_args(
                mode,
                Placement::Pinned {
                    ping: first,
                    pong: first,
                },
            )),
        },
        RallyStep {
            name: TWO_CPUS_STEP,
            args: match cpus {
                [a, b, ..] => Ok(rally_args(mode, Placement::Pinned { ping: *a, pong: *b })),
                _ => Err(format!(
                    "pingpong may use only CPU {first} here: two different CPUs cannot be measured"
                )),
            },
        },
    ];
    if mode == Mode::Thorough {
        out.push(RallyStep {
            name: FREE_STEP,
            args: Ok(rally_args(mode, Placement::Free)),
        });
    }
    out
}

/// The demonstrations the verdict shows live, before measuring.
fn live_demos() -> BTreeMap<String, crate::evidence::Demo> {
    let mut live = BTreeMap::new();
    live.insert("threads_share_a_pid".into(), demos::threads_share_a_pid());
    live.insert(
        "the_os_makes_a_process".into(),
        demos::the_os_makes_a_process(),
    );
    live.insert(
        "threads_share_globals".into(),
        demos::threads_share_globals(),
    );
    live
}

/// Each rally's command and plan, or why it cannot be measured here.
#[allow(clippy::type_complexity)]
fn rally_plans(
    rallies: &[RallyStep],
) -> Result<Vec<std::result::Result<(String, RunPlan), String>>> {
    rallies
        .iter()
        .map(|s| {
            Ok(match &s.args {
                Ok(a) => Ok((rally_command(a), RunPlan::from_args(a)?)),
                Err(why) => Err(why.clone()),
            })
        })
        .collect()
}

/// The kinds of step of the verdict's progress bar: each has its own
/// pace (fast rallies say nothing of how long an experiment takes).
const MATCHES: &str = "rally matches";
const EXPERIMENTS: &str = "experiments";

/// The expected time of the rallies' matches.
fn rally_time(rallies: &[&RunPlan]) -> Duration {
    rallies
        .iter()
        .map(|p| {
            p.expected_match()
                .saturating_mul(p.cells.len() as u32 * p.reps)
        })
        .sum()
}

/// About how long an experiment step takes in a mode, as measured on a
/// busy 2-vCPU virtual machine (thorough mode: four times the default):
/// the progress bar's first guess, which the pace of the experiments done
/// then corrects.
fn expected_experiment(mode: Mode, name: &str) -> Duration {
    let (quick, default) = match name {
        REACH_STEP => (0.7, 2.2),
        "spawn" => (1.4, 20.0),
        "memory" => (0.3, 3.0),
        "scale" => (1.0, 4.5),
        "contention" => (0.6, 1.8),
        "overlap" => (2.0, 2.0),
        "responsive" => (2.8, 3.1),
        "faults" => (1.4, 6.8),
        "python" => (6.2, 11.4),
        _ => (1.0, 3.0),
    };
    Duration::from_secs_f64(match mode {
        Mode::Quick => quick,
        Mode::Default => default,
        Mode::Thorough => 4.0 * default,
    })
}

/// The verdict's one progress bar: every rally match and every experiment
/// step, `repeat` times, each kind with its expected time.
fn progress_bar(
    mode: Mode,
    rallies: &[&RunPlan],
    experiments: &[ExperimentStep],
    repeat: u32,
) -> Progress {
    let matches: u64 = rallies
        .iter()
        .map(|p| p.cells.len() as u64 * u64::from(p.reps))
        .sum();
    let experiment_time: Duration = experiments
        .iter()
        .map(|e| expected_experiment(mode, e.name))
        .sum();
    Progress::planned_kinds(
        (matches + experiments.len() as u64) * u64::from(repeat),
        &[
            (MATCHES, rally_time(rallies).saturating_mul(repeat)),
            (EXPERIMENTS, experiment_time.saturating_mul(repeat)),
        ],
    )
}

/// Runs the whole plan `repeat` times, interleaved step by step (each step
/// of every run before the next step), and judges every claim.
pub fn measure(
    mode: Mode,
    lang: String,
    python: Option<&std::path::Path>,
    python_ft: Option<&std::path::Path>,
    repeat: u32,
) -> Result<VerdictDocument> {
    let repeat = repeat.max(1);
    let live = live_demos();
    let cpus = crate::measure::placement::allowed_cpus();
    let rallies = rallies(mode, &cpus);
    let plans = rally_plans(&rallies)?;
    let mut experiments = mode.experiments(cpus.len());
    with_pythons(&mut experiments, python, python_ft);
    let hosts_plan = crate::net::client::plan(&hosts_args(mode))?;
    let rally_plans: Vec<&RunPlan> = plans
        .iter()
        .flatten()
        .map(|(_, p)| p)
        .chain([&hosts_plan])
        .collect();
    let progress = progress_bar(mode, &rally_plans, &experiments, repeat);
    let budget = Budget::new(mode.budget() * repeat);
    // Quick mode measures each rally once: it is a first look in 15 s.
    let remeasure = mode != Mode::Quick;
    let mut done = rally_steps(&rallies, &plans, repeat, remeasure, &progress)?;
    done.extend(hosts_steps(&hosts_plan, mode, repeat, &progress)?);
    budget.elapsed_since_last();
    progress.set_kind(EXPERIMENTS);
    done.extend(experiment_steps(
        &experiments,
        mode,
        repeat,
        &budget,
        &progress,
    )?);
    progress.finish();
    let mut doc = VerdictDocument {
        header: Header::new("verdict"),
        mode: mode.name().into(),
        lang,
        runs: repeat,
        verdicts: Vec::new(),
        evidence: Default::default(),
        demos: live,
        steps: done,
    };
    doc.judge();
    Ok(doc)
}

/// The `python` step given the CPythons asked for.
fn with_pythons(
    experiments: &mut [ExperimentStep],
    python: Option<&std::path::Path>,
    python_ft: Option<&std::path::Path>,
) {
    if let Some(step) = experiments.iter_mut().find(|s| s.name == "python") {
        for (flag, path) in [("--python", python), ("--python-ft", python_ft)] {
            if let Some(p) = path {
                step.args.push(flag.into());
                step.args.push(p.display().to_string());
            }
        }
    }
}

/// Each rally `repeat` times, the one on one CPU measured again where a
/// repetition contradicts the others and `remeasure` allows (a rally that
/// cannot be measured here, once
/// per run, with why).
fn rally_steps(
    rallies: &[RallyStep],
    plans: &[std::result::Result<(String, RunPlan), String>],
    repeat: u32,
    remeasure: bool,
    progress: &Progress,
) -> Result<Vec<Step>> {
    let mut done = Vec::new();
    for (step, plan) in rallies.iter().zip(plans) {
        for run in 0..repeat {
            progress.set_context(step.name);
            let mut s = match plan {
                Ok((command, plan)) => {
                    let attempt = || {
                        rally_step(
                            step.name,
                            command.clone(),
                            || crate::rally::measure(plan, progress),
                            progress,
                        )
                    };
                    let first = attempt()?;
                    if remeasure && step.name == SAME_CPU_STEP && contradicted(&first) > 0 {
                        progress.println(&format!(
                            "note: a repetition of `{command}` contradicted the others; measuring it again"
                        ));
                        // The attempt whose repetitions contradict each other less.
                        let second = attempt()?;
                        let better = contradicted(&second) < contradicted(&first);
                        keep(first, second, better)
                    } else {
                        first
                    }
                }
                Err(why) => Step {
                    name: step.name.into(),
                    command: String::new(),
                    others_cpus: None,
                    run: 0,
                    disturbed: Vec::new(),
                    seconds: 0.0,
                    outcome: Outcome::Failed { why: why.clone() },
                },
            };
            s.run = run;
            done.push(s);
        }
    }
    Ok(done)
}

/// The rally over the network between hosts, `repeat` times.
fn hosts_steps(
    hosts_plan: &RunPlan,
    mode: Mode,
    repeat: u32,
    progress: &Progress,
) -> Result<Vec<Step>> {
    let mut done = Vec::new();
    for run in 0..repeat {
        progress.set_context(HOSTS_STEP);
        let mut s = rally_step(
            HOSTS_STEP,
            hosts_command(&hosts_args(mode)),
            || hosts_rally(hosts_plan, mode, progress),
            progress,
        )?;
        s.run = run;
        done.push(s);
    }
    Ok(done)
}

/// Each experiment `repeat` times, within the budget.
fn experiment_steps(
    experiments: &[ExperimentStep],
    mode: Mode,
    repeat: u32,
    budget: &Budget,
    progress: &Progress,
) -> Result<Vec<Step>> {
    let mut done = Vec::new();
    for step in experiments {
        for run in 0..repeat {
            progress.set_context(step.name);
            progress.start_expecting(
                &format!("`{}`", step.command()),
                expected_experiment(mode, step.name),
            );
            done.push(experiment_step(step, run, budget, progress)?);
            progress.done();
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(ratios: &[f64]) -> crate::results::Comparison {
        let mut sorted = ratios.to_vec();
        sorted.sort_by(f64::total_cmp);
        crate::results::Comparison {
            channel: "pipe".into(),
            size: 64,
            baseline: "threads".into(),
            unit: "processes".into(),
            placement: crate::results::PlacementClass::SameCpu,
            repetitions: (0..ratios.len() as u32).collect(),
            ratios: ratios.to_vec(),
            median_ratio: sorted[sorted.len() / 2],
            min_ratio: sorted[0],
            max_ratio: sorted[sorted.len() - 1],
            excluded: 0,
        }
    }

    fn attempt(load: f64, seconds: f64) -> Step {
        Step {
            name: "x".into(),
            command: "pingpong x".into(),
            others_cpus: Some(load),
            run: 0,
            disturbed: vec![],
            seconds,
            outcome: Outcome::Failed { why: "-".into() },
        }
    }

    #[test]
    fn the_attempt_kept_carries_the_loads_of_every_other_attempt_and_their_time() {
        let two = keep(attempt(0.9, 1.0), attempt(0.5, 2.0), true);
        assert_eq!(
            (two.others_cpus, two.disturbed.clone()),
            (Some(0.5), vec![0.9])
        );
        let three = keep(two, attempt(0.1, 4.0), true);
        assert_eq!(three.others_cpus, Some(0.1));
        assert_eq!(three.disturbed, vec![0.9, 0.5]);
        assert_eq!(three.seconds, 7.0);
        let kept = keep(three, attempt(0.7, 1.0), false);
        assert_eq!(
            (kept.others_cpus, kept.disturbed),
            (Some(0.1), vec![0.9, 0.5, 0.7])
        );
    }

    #[test]
    fn a_repetition_that_contradicts_the_others_is_found_and_one_inside_the_noise_is_not() {
        // Every repetition clearly slower: agreed.
        assert_eq!(contradicting(&[comparison(&[1.10, 1.09, 1.11])]), 0);
        // One repetition inside the noise while the others are clearly slower.
        assert_eq!(contradicting(&[comparison(&[1.10, 1.01, 1.11])]), 1);
        // A ratio inside the noise whose repetitions wander around it is
        // no contradiction: its word is "no clear difference" either way.
        assert_eq!(contradicting(&[comparison(&[1.00, 1.07, 0.99])]), 0);
        // Clearly faster, one repetition clearly slower.
        assert_eq!(contradicting(&[comparison(&[0.90, 0.91, 1.05])]), 1);
    }

    #[test]
    fn the_verdict_s_one_bar_counts_every_match_and_experiment_with_their_expected_time() {
        for mode in [Mode::Quick, Mode::Default] {
            let plan = RunPlan::from_args(&rally_args(mode, Placement::Free)).unwrap();
            let experiments = mode.experiments(2);
            let bar = progress_bar(mode, &[&plan, &plan], &experiments, 2);
            assert_eq!(bar.steps_done(), 0);
            let matches = plan.cells.len() as u64 * u64::from(plan.reps);
            let expected = rally_time(&[&plan]).as_secs_f64();
            assert!(expected > 0.0);
            // Every experiment is expected to take longer than one match.
            for e in &experiments {
                assert!(
                    expected_experiment(mode, e.name) > plan.expected_match(),
                    "{}",
                    e.name
                );
            }
            // The bar ends at the last step of the plan, not before.
            for _ in 0..2 * (2 * matches + experiments.len() as u64) {
                bar.start("a step");
                bar.done();
            }
            assert!(!bar.is_finished());
            assert_eq!(
                bar.steps_done(),
                2 * (2 * matches + experiments.len() as u64)
            );
        }
    }
}
