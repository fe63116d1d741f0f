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
        vec![
            with("spawn", &[]),
            with("memory", if quick { &[] } else { &["--units", "1,10,100"] }),
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
            with("contention", &[]),
            with("overlap", &[]),
            with("responsive", &[]),
            with("faults", &[]),
            // CPython beside Rust: skipped, with the reason, when none is found.
            // Quick mode runs only what the CPython column reads.
            with(
                "python",
                if quick {
                    &["rally", "spawn", "scale", "memory"]
                } else {
                    &[]
                },
            ),
        ]
    }

    /// (duration per repetition, repetitions) of the rallies.
    fn rally(self) -> (&'static str, u32) {
        match self {
            Mode::Quick => ("100ms", 2),
            Mode::Default => ("300ms", 3),
            Mode::Thorough => ("1s", 5),
        }
    }
}

/// One rally of the plan: where the players sit, and its arguments.
struct RallyStep {
    name: &'static str,
    args: RunArgs,
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
    if let Some(cpu) = a.same_cpu {
        c.push_str(&format!(" --same-cpu {cpu}"));
    }
    c
}

fn rally_args(mode: Mode, same_cpu: Option<usize>) -> RunArgs {
    let (duration, reps) = mode.rally();
    RunArgs {
        between: "threads,processes".into(),
        via: Some("pipe,unix,tcp".into()),
        size: "64".into(),
        pattern: crate::cli::PatternArg::Rally,
        window: 64,
        rounds: None,
        duration: Some(duration.into()),
        warmup: None,
        reps,
        cpus: None,
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
    let mut a = rally_args(mode, None);
    a.between = "hosts".into();
    a.via = Some("tcp,udp".into());
    a.duration = Some("100ms".into());
    a.reps = 2;
    a.timeout = Some("10s".into());
    a.peer = Some("127.0.0.1:7878".into());
    a
}

const HOSTS_COMMAND: &str = "pingpong serve & pingpong run --between hosts --peer 127.0.0.1:7878 --via tcp,udp --duration 100ms --reps 2";

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
        outcome,
    })
}

/// Runs the whole plan and judges every claim.
pub fn measure(
    mode: Mode,
    lang: String,
    python: Option<&std::path::Path>,
) -> Result<VerdictDocument> {
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

    let cpus = crate::measure::placement::allowed_cpus();
    let first = cpus.first().copied().unwrap_or(0);
    let rallies = [
        RallyStep {
            name: "rally.same-cpu",
            args: rally_args(mode, Some(first)),
        },
        RallyStep {
            name: "rally.free",
            args: rally_args(mode, None),
        },
    ];
    let plans: Vec<RunPlan> = rallies
        .iter()
        .map(|s| RunPlan::from_args(&s.args))
        .collect::<Result<_>>()?;
    let mut experiments = mode.experiments(cpus.len());
    if let (Some(py), Some(step)) = (python, experiments.iter_mut().find(|s| s.name == "python")) {
        step.args.push("--python".into());
        step.args.push(py.display().to_string());
    }
    let hosts_plan = crate::net::client::plan(&hosts_args(mode))?;
    let total: u64 = plans
        .iter()
        .chain([&hosts_plan])
        .map(|p| p.cells.len() as u64 * p.reps as u64)
        .sum::<u64>()
        + experiments.len() as u64;
    let progress = Progress::new(total);
    let mut done = Vec::new();
    for (step, plan) in rallies.iter().zip(&plans) {
        done.push(rally_step(
            step.name,
            rally_command(&step.args),
            || crate::rally::measure(plan, &progress),
            &progress,
        )?);
    }
    done.push(rally_step(
        "hosts",
        HOSTS_COMMAND.into(),
        || hosts_rally(&hosts_plan, mode, &progress),
        &progress,
    )?);
    for step in &experiments {
        progress.start(&format!("`{}`", step.command()));
        let ran = steps::run(step, Duration::from_secs(180));
        if let Outcome::Failed { why } = &ran.outcome {
            if crate::interrupt::interrupted() {
                return Err(anyhow::Error::new(crate::error::Interrupted));
            }
            progress.println(&format!("warning: {why}"));
        }
        done.push(ran);
        progress.done();
    }
    progress.finish();
    let mut doc = VerdictDocument {
        header: Header::new("verdict"),
        mode: mode.name().into(),
        lang,
        verdicts: Vec::new(),
        evidence: Default::default(),
        demos: live,
        steps: done,
    };
    doc.judge();
    Ok(doc)
}
