//! Evidence from the experiments beyond the rally. Each experiment runs as
//! its own `pingpong <experiment> --json FILE` child — the very command a
//! reader can rerun alone — so a fault in one cannot take the verdict down,
//! and its document is read back into named figures and demonstrations.

use super::evidence::{Demo, Evidence, Figure, Missing};
use crate::subprocess::reap::Cut;
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One experiment of the plan: its name and its arguments (without `--json`).
pub struct Step {
    pub name: &'static str,
    pub args: Vec<String>,
}

impl Step {
    pub fn new(name: &'static str, args: &[&str]) -> Step {
        Step {
            name,
            args: args.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The command that reproduces this experiment alone.
    pub fn command(&self) -> String {
        let mut c = format!("pingpong {}", self.name);
        for a in &self.args {
            c.push(' ');
            c.push_str(a);
        }
        c
    }
}

/// An experiment's document, and the CPUs other processes used meanwhile.
pub struct Ran {
    pub doc: Value,
    pub others_cpus: f64,
}

/// Runs the step as a child of pingpong and returns its JSON document, with
/// the machine's other load during it: all CPU time the system used, less
/// what pingpong and its (reaped) descendants used, per second of wall time.
pub fn run(step: &Step, timeout: Duration) -> Result<Ran> {
    use crate::measure::{load, rusage};
    let (busy0, ours0, t0) = (
        load::system_busy_seconds(),
        rusage::family_cpu_seconds(),
        Instant::now(),
    );
    let dir = crate::subprocess::tempdir::private("pingpong-verdict-")?;
    let json = dir.path().join(format!("{}.json", step.name));
    // A child of pingpong that dies with it, like every child.
    let mut child = crate::subprocess::reexec::ourselves(step.name)?
        .args(&step.args)
        .arg("--json")
        .arg(&json)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting `{}`", step.command()))?;
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    let deadline = crate::subprocess::Deadline::after(timeout);
    let status = match crate::subprocess::reap::wait_or_kill(pid, &deadline, true)? {
        (ws, None) => crate::subprocess::reap::exit_status(&ws),
        (_, Some(Cut::Interrupted)) => return Err(anyhow::Error::new(crate::error::Interrupted)),
        (_, Some(Cut::Deadline)) => bail!(
            "`{}` did not finish within {}s",
            step.command(),
            timeout.as_secs()
        ),
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let wall = t0.elapsed().as_secs_f64().max(1e-9);
    let others = (load::system_busy_seconds() - busy0) - (rusage::family_cpu_seconds() - ours0);
    let others_cpus = (others / wall).max(0.0);
    let text = std::fs::read_to_string(&json).with_context(|| {
        format!(
            "`{}` wrote no results ({status}): {}",
            step.command(),
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no message")
        )
    })?;
    let mut doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("reading the results of `{}`", step.command()))?;
    // The command that reproduces it alone, not the verdict's temporary file.
    if let Some(c) = doc.get_mut("command") {
        *c = step
            .command()
            .split(' ')
            .map(|w| Value::String(w.into()))
            .collect();
    }
    Ok(Ran { doc, others_cpus })
}

fn num(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64()
}

/// A figure from an experiment's latency summary: the median and its 95% interval.
fn median_of(summary: &Value, what: String, command: &str) -> Option<Figure> {
    let ci = summary.get("median_ci")?.as_array()?;
    Some(Figure {
        value: num(summary, "median")?,
        low: ci.first()?.as_f64()?,
        high: ci.get(1)?.as_f64()?,
        unit: "ns".into(),
        what,
        command: command.into(),
    })
}

/// The numbers of a JSON array field (a scale row's `rep_wall_ns`), if any.
pub(super) fn numbers(r: &Value, key: &str) -> Option<Vec<f64>> {
    let v: Vec<f64> = r
        .get(key)?
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    (!v.is_empty()).then_some(v)
}

fn results(doc: &Value) -> &[Value] {
    doc.get("results")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Others' load above this many CPUs makes a CPU-bound experiment inconclusive.
pub const BUSY_CPUS: f64 = 0.25;

/// Adds what one experiment's document shows.
pub fn collect(ev: &mut Evidence, step: &Step, ran: &Ran) {
    let doc = &ran.doc;
    let cmd = step.command();
    ev.put(
        format!("load.{}", step.name),
        Figure::exact(
            ran.others_cpus,
            "CPUs",
            format!("CPUs used by other processes during `{cmd}`"),
            &cmd,
        ),
    );
    match step.name {
        "spawn" => {
            for r in results(doc) {
                let (Some(method), Some(heap)) = (
                    r.get("method").and_then(Value::as_str),
                    num(r, "parent_heap_bytes"),
                ) else {
                    continue;
                };
                let key = if heap > 0.0 {
                    format!("spawn.{method}-large-heap")
                } else {
                    format!("spawn.{method}")
                };
                let what =
                    format!(
                    "median create + join/wait of {} with {} MiB resident in the parent (95% CI)",
                    r.get("description").and_then(Value::as_str).unwrap_or(method),
                    heap / (1u64 << 20) as f64
                );
                if let Some(f) = r.get("total").and_then(|t| median_of(t, what, &cmd)) {
                    ev.put(key, f);
                }
            }
        }
        "memory" => {
            // The largest count measured: fixed costs of the parent matter least there.
            for (unit, key) in [
                ("threads", "threads"),
                ("processes-fork", "processes-fork"),
                ("processes (spawn)", "processes"),
            ] {
                let best = results(doc)
                    .iter()
                    .filter(|r| r.get("unit").and_then(Value::as_str) == Some(unit))
                    .filter(|r| num(r, "pss_kib_per_unit").is_some())
                    .max_by_key(|r| r.get("units").and_then(Value::as_u64).unwrap_or(0));
                if let Some(r) = best {
                    let n = r.get("units").and_then(Value::as_u64).unwrap_or(0);
                    let pss = num(r, "pss_kib_per_unit").unwrap_or(0.0);
                    ev.put(
                        format!("memory.{key}.per-unit"),
                        Figure::exact(
                            pss,
                            "KiB",
                            format!("PSS added per idle {unit} unit, {n} at once"),
                            &cmd,
                        ),
                    );
                }
            }
        }
        "scale" => scale(ev, doc, &cmd),
        "python" => super::python::collect(ev, doc, &cmd),
        "contention" => {
            for r in results(doc)
                .iter()
                .filter(|r| r.get("unit").and_then(Value::as_str) == Some("threads"))
            {
                let (Some(method), Some(cpu)) = (
                    r.get("method").and_then(Value::as_str),
                    num(r, "cpu_per_add_ns"),
                ) else {
                    continue;
                };
                if r.get("verified").and_then(Value::as_bool) != Some(true) {
                    continue;
                }
                ev.put(
                    format!("contention.{method}"),
                    Figure::exact(
                        cpu,
                        "ns",
                        format!("CPU time per addition, threads, {method}"),
                        &cmd,
                    ),
                );
            }
        }
        "overlap" => {
            if let Some(r) = results(doc).iter().find(|r| {
                r.get("unit").and_then(Value::as_str) == Some("threads")
                    && r.get("wait_kind").and_then(Value::as_str) == Some("sleep")
            }) {
                if let (Some(s), Some(n)) = (num(r, "speedup"), num(r, "units")) {
                    ev.put(
                        "overlap.threads.speedup",
                        Figure::exact(
                            s,
                            "×",
                            format!(
                                "{n} threads each waiting: serial wall time ÷ concurrent wall time"
                            ),
                            &cmd,
                        ),
                    );
                    ev.put(
                        "overlap.units",
                        Figure::exact(n, "units", "units waiting at once".into(), &cmd),
                    );
                }
            }
        }
        "responsive" => {
            for r in results(doc) {
                let (Some(key), Some(p99)) = (
                    r.get("key").and_then(Value::as_str),
                    r.get("latency").and_then(|l| num(l, "p99")),
                ) else {
                    continue;
                };
                ev.put(
                    format!("responsive.{key}.p99"),
                    Figure::exact(
                        p99,
                        "ns",
                        format!(
                            "99th percentile of the interface's answer time, heavy work in: {key}"
                        ),
                        &cmd,
                    ),
                );
            }
        }
        "faults" => {
            if let Some(demos) = doc.get("demos").and_then(Value::as_object) {
                for (k, d) in demos {
                    if let (Some(shows), Some(shown)) = (
                        d.get("shows_claim").and_then(Value::as_bool),
                        d.get("shown").and_then(Value::as_str),
                    ) {
                        ev.demos.insert(
                            k.clone(),
                            Demo {
                                shows_claim: shows,
                                shown: format!("{shown} (`{cmd}`)"),
                            },
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

/// Speedups from the scaling experiment, with intervals from its repetitions:
/// [min wall(1) ÷ max wall(n), max wall(1) ÷ min wall(n)].
fn scale(ev: &mut Evidence, doc: &Value, cmd: &str) {
    let cpus = doc
        .pointer("/settings/allowed_cpus")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    ev.put(
        "scale.cpus",
        Figure::exact(cpus, "CPUs", "CPUs pingpong may use".into(), cmd),
    );
    let n = cpus.max(2.0) as u64;
    let walls = |unit: &str, placement: &str, workers: u64| -> Option<Vec<f64>> {
        let r = results(doc).iter().find(|r| {
            r.get("unit").and_then(Value::as_str) == Some(unit)
                && r.get("placement").and_then(Value::as_str) == Some(placement)
                && r.get("workers").and_then(Value::as_u64) == Some(workers)
        })?;
        numbers(r, "rep_wall_ns")
    };
    for (unit, key) in [("threads", "threads"), ("processes-fork", "processes")] {
        for (placement, suffix) in [("all CPUs", ""), ("one CPU", ".pinned")] {
            let (Some(one), Some(many)) = (walls(unit, placement, 1), walls(unit, placement, n))
            else {
                continue;
            };
            let mid = |v: &[f64]| crate::stats::median(v);
            if suffix.is_empty() {
                let cpu = results(doc)
                    .iter()
                    .find(|r| {
                        r.get("unit").and_then(Value::as_str) == Some(unit)
                            && r.get("placement").and_then(Value::as_str) == Some(placement)
                            && r.get("workers").and_then(Value::as_u64) == Some(n)
                    })
                    .and_then(|r| num(r, "cpu_ns"));
                if let Some(cpu) = cpu {
                    ev.put(
                        format!("scale.{key}.parallelism"),
                        Figure::exact(
                            cpu / mid(&many),
                            "CPUs",
                            format!("CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                            cmd,
                        ),
                    );
                }
            }
            ev.put(
                format!("scale.{key}{suffix}.speedup"),
                Figure::speedup(
                    &one,
                    &many,
                    format!("speedup of {n} {unit} over 1 on {placement} (range over repetitions)"),
                    cmd,
                ),
            );
        }
    }
    let pinned: Vec<&Value> = results(doc)
        .iter()
        .filter(|r| r.get("placement").and_then(Value::as_str) == Some("one CPU"))
        .collect();
    if !pinned.is_empty() {
        let all = pinned
            .iter()
            .all(|r| r.get("verified").and_then(Value::as_bool) == Some(true));
        ev.demos.insert(
            "scale.pinned-verified".into(),
            Demo {
                shows_claim: all,
                shown: format!(
                    "{} of {} runs with every worker pinned to one CPU finished with the right answer",
                    pinned.iter().filter(|r| r.get("verified").and_then(Value::as_bool) == Some(true)).count(),
                    pinned.len()
                ),
            },
        );
    }
}

/// Records why an experiment gave no evidence.
pub fn failed(ev: &mut Evidence, step: &Step, err: &anyhow::Error) {
    ev.missing.insert(
        step.name.into(),
        Missing {
            // The error already names the command.
            why: format!("{err:#}"),
        },
    );
}
