//! What a scale document shows: the speedups over one worker and how many
//! workers ran at once, the others' load during the rounds they rest on,
//! and whether threads pinned to one CPU all finished right (A5).

use super::{ScaleDocument, ScaleResult};
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::kinds::{CpuSet, UnitKind};

/// The names of the figures this experiment shows: the rules read them by
/// these functions, so the two cannot disagree.
pub mod key {
    use crate::kinds::{CpuSet, UnitKind};

    /// CPUs pingpong may use.
    pub const CPUS: &str = "scale.cpus";
    /// Whether every run of two or more threads pinned to one CPU finished
    /// with the right answer (a demonstration).
    pub const PINNED_VERIFIED: &str = "scale.pinned-verified";
    /// CPUs other processes used during the rounds the figures rest on.
    pub const LOAD: &str = "scale.load";

    fn unit(u: UnitKind) -> &'static str {
        match u {
            UnitKind::Thread => "threads",
            _ => "processes",
        }
    }

    /// Speedup of the most workers measured (up to the CPUs) over one.
    pub fn speedup(u: UnitKind, cpus: CpuSet) -> String {
        match cpus {
            CpuSet::AllCpus => format!("scale.{}.speedup", unit(u)),
            CpuSet::OneCpu => format!("scale.{}.pinned.speedup", unit(u)),
        }
    }

    /// CPU time ÷ wall time of those workers, free to use every CPU.
    pub fn parallelism(u: UnitKind) -> String {
        format!("scale.{}.parallelism", unit(u))
    }
}

impl Witness for ScaleDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        let cpus = self.settings.allowed_cpus;
        ev.put(
            key::CPUS,
            Figure::exact(cpus as f64, Unit::Cpus, "CPUs pingpong may use", cmd),
        );
        // The others' load during the repetitions each figure rests on; the
        // most disturbed figure's is the load the rules read.
        let mut load: Load = None;
        for unit in [UnitKind::Thread, UnitKind::Fork] {
            for placement in CpuSet::BOTH {
                self.testify_speedup(ev, cmd, unit, placement, &mut load);
            }
        }
        if let Some((_, loads, rounds)) = load {
            if let Some(f) = Figure::of_repetitions(
                &loads,
                Unit::Cpus,
                format!("CPUs other processes used during {rounds} (the most disturbed figure's)"),
                cmd,
            ) {
                ev.put(key::LOAD, f);
            }
        }
        // A5: threads pinned to one CPU take turns; they must all finish
        // with the right answer.
        self.testify_pinned(ev);
    }
}

/// The others' load during the rounds a figure rests on, and which rounds.
type Load = Option<(f64, Vec<f64>, String)>;

impl ScaleDocument {
    /// The speedup of the most workers over one, of `unit` on `placement`
    /// (free to use every CPU, also how many ran at once), or why it is
    /// missing; `load` keeps the most disturbed figure's load.
    fn testify_speedup(
        &self,
        ev: &mut Evidence,
        cmd: &str,
        unit: UnitKind,
        placement: CpuSet,
        load: &mut Load,
    ) {
        let Some((one, many)) = self.one_and_many(unit, placement) else {
            return;
        };
        let k = key::speedup(unit, placement);
        if let Some(why) = many
            .broken
            .as_ref()
            .or(many.failed.as_ref())
            .or(one.failed.as_ref())
        {
            ev.miss(k, format!("{} {unit} on {placement}: {why}", many.workers));
            return;
        }
        let n = many.workers;
        let (pairs, quiet) = self.pairs(one, many);
        let loads: Vec<f64> = pairs
            .iter()
            .map(|(o, m)| o.others_cpus.max(m.others_cpus))
            .collect();
        let worst = crate::stats::median(&loads);
        if worst.is_finite() && load.as_ref().is_none_or(|(w, ..)| worst > *w) {
            let rounds = format!(
                "the {} round(s) of {n} {unit} and 1 on {placement}{}",
                pairs.len(),
                if quiet {
                    ", all quiet"
                } else {
                    ", too few of them quiet"
                }
            );
            *load = Some((worst, loads, rounds));
        }
        let ratios = self.paired_speedups(one, many);
        if let Some(f) = Figure::of_repetitions(
            &ratios,
            Unit::Ratio,
            format!("speedup of {n} {unit} over 1 on {placement}, round by round"),
            cmd,
        ) {
            ev.put(k, f);
        }
        if placement == CpuSet::AllCpus {
            let par: Vec<f64> = pairs
                .iter()
                .filter(|(_, m)| m.wall_ns > 0)
                .map(|(_, m)| m.cpu_ns as f64 / m.wall_ns as f64)
                .collect();
            if let Some(f) = Figure::of_repetitions(
                &par,
                Unit::Cpus,
                format!("CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                cmd,
            ) {
                ev.put(key::parallelism(unit), f);
            }
        }
    }

    /// A5: whether every run of two or more threads pinned to one CPU
    /// finished with the right answer, or why nothing shows it.
    fn testify_pinned(&self, ev: &mut Evidence) {
        let pinned: Vec<&ScaleResult> = self
            .results
            .iter()
            .filter(|r| {
                r.placement == CpuSet::OneCpu && r.unit == UnitKind::Thread && r.workers > 1
            })
            .collect();
        let tried: Vec<&&ScaleResult> = pinned
            .iter()
            .filter(|r| !r.reps.is_empty() || r.failed.is_some())
            .collect();
        if tried.is_empty() {
            ev.miss(
                key::PINNED_VERIFIED,
                "no run of two or more threads pinned to one CPU was measured",
            );
            return;
        }
        let wrong: Vec<String> = tried
            .iter()
            .filter(|r| !r.verified)
            .map(|r| r.workers.to_string())
            .collect();
        let unfinished: Vec<String> = tried
            .iter()
            .filter(|r| r.failed.is_some())
            .map(|r| r.workers.to_string())
            .collect();
        let reps: usize = tried.iter().map(|r| r.reps.len()).sum();
        let counts: Vec<String> = tried.iter().map(|r| r.workers.to_string()).collect();
        let mut shown = format!(
            "{reps} run(s) of {} threads pinned to CPU {}",
            counts.join(", "),
            self.settings.pinned_cpu
        );
        if wrong.is_empty() && unfinished.is_empty() {
            shown.push_str(" all finished with the right answer, taking turns on one CPU");
        }
        if !wrong.is_empty() {
            shown.push_str(&format!("; WRONG ANSWER with {} threads", wrong.join(", ")));
        }
        if !unfinished.is_empty() {
            shown.push_str(&format!(
                "; did not finish with {} threads",
                unfinished.join(", ")
            ));
        }
        ev.show(
            key::PINNED_VERIFIED,
            wrong.is_empty() && unfinished.is_empty(),
            shown,
        );
    }
}
