//! What `pingpong python` shows: CPython's figures under `python.*` keys,
//! named like the Rust ones (`python.scale.threads.speedup` beside
//! `scale.threads.speedup`), so the same rules judge both worlds.
//!
//! Only the main interpreter's rows count here; a free-threaded build is a
//! world of its own.

use super::{PyResult, PythonDocument};
use crate::evidence::{Evidence, Figure, Spread, Unit, Witness};

/// The names of the figures (read by the rules too). Where a Rust rule
/// reads the figure, the name is the Rust figure's, prefixed.
pub mod key {
    use crate::experiment::{memory, scale};
    use crate::kinds::{CpuSet, UnitKind};

    /// The Rust figure's key, for CPython.
    pub fn python(rust_key: &str) -> String {
        format!("python.{rust_key}")
    }
    pub const GIL: &str = "python.gil";
    pub const CPUS: &str = "python.scale.cpus";

    fn unit(u: &str) -> UnitKind {
        if u == "threads" {
            UnitKind::Thread
        } else {
            UnitKind::Fork
        }
    }

    /// Scaling of `kernel` ("" for the pure-Python loop, ".hash" for sha256)
    /// over `u` ("threads" or "processes").
    pub fn speedup(kernel: &str, u: &str, pinned: bool) -> String {
        let cpus = if pinned {
            CpuSet::OneCpu
        } else {
            CpuSet::AllCpus
        };
        let rust = scale::key::speedup(unit(u), cpus);
        match kernel {
            "" => python(&rust),
            k => python(&rust.replacen("scale", &format!("scale{k}"), 1)),
        }
    }
    pub fn parallelism(kernel: &str, u: &str) -> String {
        let rust = scale::key::parallelism(unit(u));
        match kernel {
            "" => python(&rust),
            k => python(&rust.replacen("scale", &format!("scale{k}"), 1)),
        }
    }
    /// PSS per idle unit, for a `multiprocessing` start method (or threads).
    pub fn memory(case: &str) -> Option<String> {
        let u = match case {
            "threads" => UnitKind::Thread,
            "processes (fork)" => UnitKind::Fork,
            "processes (spawn)" => UnitKind::Spawn,
            "processes (forkserver)" => {
                return Some("python.memory.processes-forkserver.per-unit".into())
            }
            _ => return None,
        };
        Some(python(&memory::key::pss_per_unit(u)))
    }
    pub const SPAWN_THREAD: &str = "python.spawn.thread";
}

/// The label of the main interpreter's rows.
const MAIN: &str = "cpython";

impl PythonDocument {
    fn main_rows(&self) -> impl Iterator<Item = &PyResult> {
        self.results.iter().filter(|r| r.interpreter == MAIN)
    }
}

fn is(v: &Option<String>, s: &str) -> bool {
    v.as_deref() == Some(s)
}

impl Witness for PythonDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let cpus = self.settings.cpus;
        let n = cpus.max(2) as u64;
        if let Some(i) = self.settings.interpreters.first() {
            ev.put(
                key::GIL,
                Figure::exact(
                    if i.gil_enabled { 1.0 } else { 0.0 },
                    Unit::Count,
                    format!("CPython {} with the GIL enabled (1) or not (0)", i.version),
                    cmd,
                ),
            );
        }
        ev.put(
            key::CPUS,
            Figure::exact(
                cpus as f64,
                Unit::Cpus,
                "CPUs the CPython scaling used",
                cmd,
            ),
        );
        let scale_row = |kernel: &str, unit: &str, placement: &str, w: u64| {
            self.main_rows().find(|r| {
                r.experiment == "scale"
                    && is(&r.kernel, kernel)
                    && is(&r.unit, unit)
                    && is(&r.placement, placement)
                    && r.workers == Some(w)
                    && r.rep_wall_ns.as_ref().is_some_and(|v| !v.is_empty())
            })
        };
        for (kernel, kk) in [("python-loop", ""), ("sha256", ".hash")] {
            for unit in ["threads", "processes"] {
                for (placement, pinned) in [("all CPUs", false), ("one CPU", true)] {
                    let (Some(one), Some(many)) = (
                        scale_row(kernel, unit, placement, 1),
                        scale_row(kernel, unit, placement, n),
                    ) else {
                        continue;
                    };
                    let (Some(w1), Some(wn)) = (&one.rep_wall_ns, &many.rep_wall_ns) else {
                        continue;
                    };
                    ev.put(
                        key::speedup(kk, unit, pinned),
                        Figure::speedup(
                            w1,
                            wn,
                            format!("CPython {kernel}: speedup of {n} {unit} over 1 on {placement} (range over repetitions)"),
                            cmd,
                        ),
                    );
                    if let (false, Some(cpu)) = (pinned, many.cpu_ns) {
                        ev.put(
                            key::parallelism(kk, unit),
                            Figure::exact(
                                cpu / crate::stats::median(wn),
                                Unit::Cpus,
                                format!("CPython {kernel}: CPU time ÷ wall time of {n} {unit}"),
                                cmd,
                            ),
                        );
                    }
                }
            }
        }
        // Spawn and memory: medians, keyed like the Rust figures.
        for r in self.main_rows() {
            let Some(v) = r.value else { continue };
            let key = match r.experiment.as_str() {
                "spawn" => format!("python.spawn.{}", r.case),
                "memory" => match key::memory(&r.case) {
                    Some(k) => k,
                    None => continue,
                },
                _ => continue,
            };
            let unit = match r.value_unit.as_str() {
                "KiB" => Unit::KiB,
                _ => Unit::Ns,
            };
            ev.put(
                key,
                Figure::exact(
                    v,
                    unit,
                    format!("CPython: {} ({})", r.case, r.value_unit),
                    cmd,
                ),
            );
        }
        // Rally: processes ÷ threads on the same mechanism.
        // One CPU is pinned and so placement-matched; all CPUs is free, with
        // where the players ran not recorded: information only.
        use crate::results::{key as run, Asked, PlacementClass};
        for (placement, pinned) in [("all CPUs", false), ("one CPU", true)] {
            for (threads, processes, ck) in
                [("os.pipe", "os.pipe", "pipe"), ("queue", "Queue", "queue")]
            {
                let find = |unit: &str, m: &str| {
                    self.main_rows().find(|r| {
                        r.experiment == "rally"
                            && is(&r.unit, unit)
                            && is(&r.mechanism, m)
                            && is(&r.placement, placement)
                    })
                };
                let (Some(t), Some(p)) = (find("threads", threads), find("processes", processes))
                else {
                    continue;
                };
                let (Some(tv), Some(tl), Some(th), Some(pv), Some(pl), Some(ph)) =
                    (t.value, t.min_ns, t.max_ns, p.value, p.min_ns, p.max_ns)
                else {
                    continue;
                };
                ev.put(
                    key::python(&if pinned {
                        run::ratio(Asked::Pinned, PlacementClass::SameCpu, ck)
                    } else {
                        run::unplaced_ratio(ck)
                    }),
                    Figure {
                        value: pv / tv,
                        low: pl / th.max(1.0),
                        high: ph / tl.max(1.0),
                        unit: Unit::Ratio,
                        spread: Spread::Ci95,
                        what: format!("CPython round trip, processes ({processes}) ÷ threads ({threads}), {placement} (range over samples)"),
                        command: cmd.into(),
                    },
                );
            }
        }
    }
}
