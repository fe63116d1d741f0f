//! Evidence from `pingpong python`: CPython's figures under `python.*`
//! keys, named like the Rust ones (`python.scale.threads.speedup` beside
//! `scale.threads.speedup`), so the same rules can judge both worlds.

use super::evidence::{Evidence, Figure};
use serde_json::Value;

fn rows(doc: &Value) -> impl Iterator<Item = &Value> {
    doc.get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        // The main interpreter only: a free-threaded one is its own world.
        .filter(|r| r.get("interpreter").and_then(Value::as_str) == Some("cpython"))
}

fn s<'a>(r: &'a Value, k: &str) -> &'a str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

fn f(r: &Value, k: &str) -> Option<f64> {
    r.get(k).and_then(Value::as_f64)
}

fn fig(value: f64, low: f64, high: f64, unit: &str, what: String, cmd: &str) -> Figure {
    Figure {
        value,
        low,
        high,
        unit: unit.into(),
        what,
        command: cmd.into(),
    }
}

/// Adds the figures of a `pingpong python` document.
pub fn collect(ev: &mut Evidence, doc: &Value, cmd: &str) {
    let cpus = doc
        .pointer("/settings/cpus")
        .and_then(Value::as_f64)
        .unwrap_or(2.0);
    let n = cpus.max(2.0) as u64;
    if let Some(i) = doc.pointer("/settings/interpreters/0") {
        ev.put(
            "python.gil",
            fig(
                if i.get("gil_enabled").and_then(Value::as_bool) == Some(false) {
                    0.0
                } else {
                    1.0
                },
                1.0,
                1.0,
                "GIL",
                format!(
                    "CPython {} with the GIL enabled (1) or not (0)",
                    s(i, "version")
                ),
                cmd,
            ),
        );
        if let Some(g) = ev.figures.get_mut("python.gil") {
            (g.low, g.high) = (g.value, g.value);
        }
    }
    ev.put(
        "python.scale.cpus",
        Figure::exact(cpus, "CPUs", "CPUs the CPython scaling used".into(), cmd),
    );
    // Scaling: speedup of n workers over 1, range over the repetitions.
    let walls = |kernel: &str, unit: &str, placement: &str, w: u64| -> Option<(Vec<f64>, f64)> {
        let r = rows(doc).find(|r| {
            s(r, "experiment") == "scale"
                && s(r, "kernel") == kernel
                && s(r, "unit") == unit
                && s(r, "placement") == placement
                && r.get("workers").and_then(Value::as_u64) == Some(w)
        })?;
        Some((super::sources::numbers(r, "rep_wall_ns")?, f(r, "cpu_ns")?))
    };
    for (kernel, kk) in [("python-loop", ""), ("sha256", ".hash")] {
        for unit in ["threads", "processes"] {
            for (placement, suffix) in [("all CPUs", ""), ("one CPU", ".pinned")] {
                let (Some((one, _)), Some((many, cpu))) = (
                    walls(kernel, unit, placement, 1),
                    walls(kernel, unit, placement, n),
                ) else {
                    continue;
                };
                ev.put(
                    format!("python.scale{kk}.{unit}{suffix}.speedup"),
                    Figure::speedup(
                        &one,
                        &many,
                        format!("CPython {kernel}: speedup of {n} {unit} over 1 on {placement} (range over repetitions)"),
                        cmd,
                    ),
                );
                if suffix.is_empty() {
                    ev.put(
                        format!("python.scale{kk}.{unit}.parallelism"),
                        Figure::exact(
                            cpu / crate::stats::median(&many),
                            "CPUs",
                            format!("CPython {kernel}: CPU time ÷ wall time of {n} {unit}"),
                            cmd,
                        ),
                    );
                }
            }
        }
    }
    // Spawn and memory: medians, keyed like the Rust figures.
    for r in rows(doc) {
        let (Some(v), case) = (f(r, "value"), s(r, "case")) else {
            continue;
        };
        let key = match (s(r, "experiment"), case) {
            ("spawn", c) => format!("python.spawn.{c}"),
            ("memory", "threads") => "python.memory.threads.per-unit".into(),
            ("memory", "processes (fork)") => "python.memory.processes-fork.per-unit".into(),
            ("memory", "processes (spawn)") => "python.memory.processes.per-unit".into(),
            ("memory", "processes (forkserver)") => {
                "python.memory.processes-forkserver.per-unit".into()
            }
            _ => continue,
        };
        let unit = s(r, "value_unit");
        ev.put(
            key,
            Figure::exact(v, unit, format!("CPython: {case} ({unit})"), cmd),
        );
    }
    // Rally: processes ÷ threads on the same mechanism, interval from the sample ranges.
    for (placement, pk) in [("all CPUs", "free"), ("one CPU", "same-cpu")] {
        for (threads, processes, ck) in
            [("os.pipe", "os.pipe", "pipe"), ("queue", "Queue", "queue")]
        {
            let find = |unit: &str, m: &str| {
                rows(doc).find(|r| {
                    s(r, "experiment") == "rally"
                        && s(r, "unit") == unit
                        && s(r, "mechanism") == m
                        && s(r, "placement") == placement
                })
            };
            let (Some(t), Some(p)) = (find("threads", threads), find("processes", processes))
            else {
                continue;
            };
            let (Some(tv), Some(tl), Some(th), Some(pv), Some(pl), Some(ph)) = (
                f(t, "value"),
                f(t, "min_ns"),
                f(t, "max_ns"),
                f(p, "value"),
                f(p, "min_ns"),
                f(p, "max_ns"),
            ) else {
                continue;
            };
            ev.put(
                format!("python.rally.{pk}.{ck}.ratio"),
                fig(
                    pv / tv,
                    pl / th.max(1.0),
                    ph / tl.max(1.0),
                    "×",
                    format!("CPython round trip, processes ({processes}) ÷ threads ({threads}), {placement} (range over samples)"),
                    cmd,
                ),
            );
        }
    }
}

/// The evidence as the Rust rules expect it, made of CPython's figures:
/// `python.X` becomes `X`, the load during `pingpong python` stands for the
/// load during `scale`, and why CPython was not measured stands for why
/// each experiment is missing.
pub fn as_rust(ev: &Evidence) -> Evidence {
    let mut out = Evidence::default();
    for (k, f) in &ev.figures {
        if let Some(rest) = k.strip_prefix("python.") {
            out.put(rest, f.clone());
        }
    }
    if let Some(t) = ev.figure("python.spawn.thread") {
        out.put("spawn.std-thread", t.clone());
    }
    if let Some(l) = ev.figure("load.python") {
        out.put("load.scale", l.clone());
    }
    let why = ev
        .missing
        .get("python")
        .map(|m| m.why.clone())
        .unwrap_or_else(|| "CPython was not measured (pingpong python did not run)".into());
    for e in ["scale", "spawn", "memory", "rally", "python"] {
        out.missing.insert(
            e.into(),
            super::evidence::Missing {
                why: format!("CPython: {why}"),
            },
        );
    }
    out
}
