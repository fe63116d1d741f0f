//! `pingpong verdict`: runs a curated plan of experiments and gives every
//! claim of the study notes a verdict computed from the figures just
//! measured — with the figures, the rule that turned them into a word, and
//! the command that reproduces each experiment alone.
//!
//! Measuring (experiments → [`evidence::Evidence`]) and judging (evidence →
//! words, [`rules`]) are kept apart, so rules are tested on synthetic
//! figures, and `--from` judges a saved run again without measuring.

pub mod claims;
pub mod demos;
pub mod evidence;
pub mod python;
pub mod rally;
pub mod render;
pub mod rules;
pub mod sources;

use crate::cli::{RunArgs, VerdictArgs};
use crate::command::run;
use crate::error::usage;
use crate::output::{self, progress::Progress};
use crate::plan::RunPlan;
use crate::results::{Header, RunDocument};
use anyhow::{Context, Result};
use evidence::{Evidence, Missing};
use rules::Judgement;
use serde::{Deserialize, Serialize};
use std::io::Write;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub id: String,
    pub claim_en: String,
    pub claim_ru: String,
    pub judgement: Judgement,
    /// The same claim judged from CPython's figures (`pingpong python`),
    /// for the claims both worlds measure; None for the others.
    #[serde(default)]
    pub cpython: Option<Judgement>,
}

/// What `verdict --json` writes and `--from` reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerdictDocument {
    #[serde(flatten)]
    pub header: Header,
    /// "quick", "default" or "thorough".
    pub mode: String,
    pub lang: String,
    pub evidence: Evidence,
    pub verdicts: Vec<Verdict>,
    /// The documents of the rallies run, whole (histograms included).
    pub runs: Vec<RunDocument>,
    /// The documents of the other experiments, as they wrote them.
    #[serde(default)]
    pub experiments: Vec<serde_json::Value>,
}

/// How much to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Quick,
    Default,
    Thorough,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Default => "default",
            Mode::Thorough => "thorough",
        }
    }
    /// The experiments beyond the rally, with their arguments in this mode.
    fn steps(self) -> Vec<sources::Step> {
        use sources::Step;
        let quick = self == Mode::Quick;
        let q: &[&str] = if quick { &["--quick"] } else { &[] };
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            q.iter().chain(extra).copied().collect()
        };
        vec![
            Step::new("spawn", &with(&[])),
            Step::new(
                "memory",
                &with(if quick { &[] } else { &["--units", "1,10,100"] }),
            ),
            Step::new(
                "scale",
                &with(match self {
                    Mode::Quick => &["--workers", "1,2", "--work", "8388608", "--reps", "3"],
                    Mode::Default => &["--workers", "1,2", "--reps", "3"],
                    Mode::Thorough => &["--reps", "5"],
                }),
            ),
            Step::new("contention", &with(&[])),
            Step::new("overlap", &with(&[])),
            Step::new("responsive", &with(&[])),
            Step::new("faults", &with(&[])),
            // CPython beside Rust: skipped, with the reason, when none is found.
            // Quick mode runs only what the CPython column reads.
            Step::new(
                "python",
                &with(if quick {
                    &["rally", "spawn", "scale", "memory"]
                } else {
                    &[]
                }),
            ),
        ]
    }

    /// (duration per repetition, repetitions)
    fn rally(self) -> (&'static str, u32) {
        match self {
            Mode::Quick => ("100ms", 2),
            Mode::Default => ("300ms", 3),
            Mode::Thorough => ("1s", 5),
        }
    }
}

/// One rally experiment of the plan.
struct RallyStep {
    placement: &'static str,
    args: RunArgs,
}

impl RallyStep {
    fn command(&self) -> String {
        let a = &self.args;
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
        session_limit: std::time::Duration::from_secs(30),
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

/// Judges every claim from the evidence.
pub fn judge_all(ev: &Evidence) -> Vec<Verdict> {
    claims::all()
        .iter()
        .map(|c| Verdict {
            id: c.id.clone(),
            claim_en: c.en.clone(),
            claim_ru: c.ru.clone(),
            judgement: rules::judge(&c.id, ev),
            cpython: rules::judge_cpython(&c.id, ev),
        })
        .collect()
}

pub fn run(a: &VerdictArgs) -> Result<()> {
    let lang = match a.lang.as_str() {
        "en" | "ru" => a.lang.clone(),
        other => return Err(usage(format!("unknown --lang '{other}': choose en or ru"))),
    };
    for (path, flag) in [
        (&a.json, "--json"),
        (&a.markdown, "--markdown"),
        (&a.html, "--html"),
    ] {
        if let Some(p) = path {
            output::check_target(p, flag)?;
        }
    }
    let doc = match &a.from {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut doc: VerdictDocument = serde_json::from_str(&text).map_err(|e| {
                usage(format!(
                    "{} is not a pingpong verdict JSON ({e}): give a file written by `pingpong verdict --json`",
                    path.display()
                ))
            })?;
            // Judged again from the saved evidence: the same rules, no measuring.
            doc.verdicts = judge_all(&doc.evidence);
            doc.lang = lang;
            doc
        }
        None => {
            let mode = if a.quick {
                Mode::Quick
            } else if a.thorough {
                Mode::Thorough
            } else {
                Mode::Default
            };
            measure(mode, lang, a.python.as_deref())?
        }
    };
    if let Some(p) = &a.json {
        let mut bytes = serde_json::to_vec_pretty(&doc)?;
        bytes.push(b'\n');
        output::write_atomically(p, &bytes)?;
    }
    if let Some(p) = &a.markdown {
        output::write_atomically(p, render::markdown(&doc).as_bytes())?;
    }
    if let Some(p) = &a.html {
        output::write_atomically(p, crate::report::html::render(&doc).as_bytes())?;
    }
    let mut out = std::io::stdout().lock();
    out.write_all(render::table(&doc).as_bytes())?;
    out.flush()?;
    Ok(())
}

fn measure(mode: Mode, lang: String, python: Option<&std::path::Path>) -> Result<VerdictDocument> {
    let mut ev = Evidence::default();
    ev.demos
        .insert("threads_share_a_pid".into(), demos::threads_share_a_pid());
    ev.demos.insert(
        "the_os_makes_a_process".into(),
        demos::the_os_makes_a_process(),
    );
    ev.demos.insert(
        "threads_share_globals".into(),
        demos::threads_share_globals(),
    );

    let cpu = crate::measure::placement::allowed_cpus()
        .first()
        .copied()
        .unwrap_or(0);
    let steps = [
        RallyStep {
            placement: "same-cpu",
            args: rally_args(mode, Some(cpu)),
        },
        RallyStep {
            placement: "free",
            args: rally_args(mode, None),
        },
    ];
    let plans: Vec<RunPlan> = steps
        .iter()
        .map(|s| RunPlan::from_args(&s.args))
        .collect::<Result<_>>()?;
    let mut experiments = mode.steps();
    if let (Some(py), Some(step)) = (python, experiments.iter_mut().find(|s| s.name == "python")) {
        step.args.push("--python".into());
        step.args.push(py.display().to_string());
    }
    let hosts_args = hosts_args(mode);
    let hosts_plan = crate::net::client::plan(&hosts_args)?;
    let total: u64 = plans
        .iter()
        .chain([&hosts_plan])
        .map(|p| p.cells.len() as u64 * p.reps as u64)
        .sum::<u64>()
        + experiments.len() as u64;
    let progress = Progress::new(total);
    let mut runs = Vec::new();
    let mut experiment_docs = Vec::new();
    for (step, plan) in steps.iter().zip(&plans) {
        match run::measure(plan, &progress) {
            Ok(mut doc) => {
                // The command that reproduces this experiment alone, not the verdict's own.
                doc.header.command = step.command().split(' ').map(String::from).collect();
                rally::collect(&mut ev, &doc, step.placement, &step.command());
                runs.push(doc);
            }
            Err(e) if crate::error::exit_code(&e) == 130 => return Err(e),
            Err(e) => {
                ev.missing.insert(
                    "rally".into(),
                    Missing {
                        why: format!("the rally failed: {e:#}"),
                    },
                );
            }
        }
    }
    match hosts_rally(&hosts_plan, mode, &progress) {
        Ok(mut doc) => {
            let cmd = "pingpong serve & pingpong run --between hosts --peer 127.0.0.1:7878 --via tcp,udp --duration 100ms --reps 2";
            doc.header.command = cmd.split(' ').map(String::from).collect();
            rally::collect(&mut ev, &doc, "hosts", cmd);
            runs.push(doc);
        }
        Err(e) if crate::error::exit_code(&e) == 130 => return Err(e),
        Err(e) => {
            progress.println(&format!("warning: the hosts rally failed: {e:#}"));
            ev.missing.insert(
                "hosts".into(),
                Missing {
                    why: format!("the hosts rally failed: {e:#}"),
                },
            );
        }
    }
    for step in &experiments {
        progress.start(&format!("`{}`", step.command()));
        match sources::run(step, std::time::Duration::from_secs(180)) {
            Ok(ran) => {
                sources::collect(&mut ev, step, &ran);
                experiment_docs.push(ran.doc);
            }
            Err(e) if crate::error::exit_code(&e) == 130 => return Err(e),
            Err(e) => {
                progress.println(&format!("warning: {e:#}"));
                sources::failed(&mut ev, step, &e);
            }
        }
        progress.done();
    }
    progress.finish();
    Ok(VerdictDocument {
        header: Header::new("verdict"),
        mode: mode.name().into(),
        lang,
        verdicts: judge_all(&ev),
        evidence: ev,
        runs,
        experiments: experiment_docs,
    })
}
