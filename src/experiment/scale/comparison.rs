//! Which rounds a comparison of many workers with one rests on (the quiet
//! ones, when there are enough), the speedup they give, and when that
//! speedup is more than the workers and the CPUs allow (broken).

use super::{Rep, ScaleDocument, ScaleResult, BROKEN_ABOVE, FEWEST_QUIET};
use crate::kinds::{CpuSet, UnitKind};

impl ScaleDocument {
    fn rows(&self, unit: UnitKind, cpus: CpuSet) -> impl Iterator<Item = &ScaleResult> {
        self.results.iter().filter(move |r| {
            r.unit == unit && r.placement == cpus && (!r.reps.is_empty() || r.failed.is_some())
        })
    }

    /// The 1-worker row and the row with the most workers that still fit
    /// the CPUs (at least 2), among the rows measured: whatever worker
    /// counts the run was given, this is the pair a speedup compares.
    pub fn one_and_many(
        &self,
        unit: UnitKind,
        cpus: CpuSet,
    ) -> Option<(&ScaleResult, &ScaleResult)> {
        let fit = self.settings.allowed_cpus.max(2);
        let one = self.rows(unit, cpus).find(|r| r.workers == 1)?;
        let many = self
            .rows(unit, cpus)
            .filter(|r| r.workers > 1 && r.workers <= fit)
            .max_by_key(|r| r.workers)?;
        Some((one, many))
    }

    /// The 1-worker row `row` is compared with (itself for a 1-worker row).
    fn partner(&self, row: &ScaleResult) -> Option<&ScaleResult> {
        self.rows(row.unit, row.placement).find(|r| r.workers == 1)
    }

    /// Whether other processes left this repetition alone.
    pub fn quiet(&self, rep: &Rep) -> bool {
        rep.others_cpus <= self.settings.disturbed_cpus
    }

    /// The fewest quiet rounds a comparison may rest on.
    fn enough(&self) -> usize {
        FEWEST_QUIET.min(self.settings.repetitions.max(1) as usize)
    }

    /// The rounds a comparison of `many` with `one` rests on, as pairs of
    /// their repetitions: the rounds in which both were quiet, when there
    /// are enough of them; else every round that measured both. The flag
    /// says which.
    pub fn pairs<'a>(
        &self,
        one: &'a ScaleResult,
        many: &'a ScaleResult,
    ) -> (Vec<(&'a Rep, &'a Rep)>, bool) {
        let all: Vec<(&Rep, &Rep)> = many
            .reps
            .iter()
            .filter_map(|m| Some((one.rep(m.round)?, m)))
            .collect();
        let quiet: Vec<(&Rep, &Rep)> = all
            .iter()
            .copied()
            .filter(|(o, m)| self.quiet(o) && self.quiet(m))
            .collect();
        if quiet.len() >= self.enough() {
            (quiet, true)
        } else {
            (all, false)
        }
    }

    /// `many`'s speedup over `one` in each round it rests on.
    pub fn paired_speedups(&self, one: &ScaleResult, many: &ScaleResult) -> Vec<f64> {
        self.pairs(one, many)
            .0
            .iter()
            .filter(|(_, m)| m.wall_ns > 0)
            .map(|(o, m)| o.wall_ns as f64 / m.wall_ns as f64)
            .collect()
    }

    /// Quiet rounds `row` still lacks (compared with its 1-worker row).
    pub(super) fn lacking(&self, row: &ScaleResult) -> usize {
        let Some(one) = self.partner(row) else {
            return 0;
        };
        let quiet = row
            .reps
            .iter()
            .filter(|m| self.quiet(m) && one.rep(m.round).is_some_and(|o| self.quiet(o)))
            .count();
        (self.settings.repetitions as usize).saturating_sub(quiet)
    }

    /// The most speedup `row` can honestly show: its workers, or the CPUs
    /// they may use, whichever is fewer.
    fn ceiling(&self, row: &ScaleResult) -> usize {
        let cpus = match row.placement {
            CpuSet::AllCpus => self.settings.allowed_cpus.max(1),
            CpuSet::OneCpu => 1,
        };
        row.workers.min(cpus)
    }

    /// Recomputes every row's medians, speedup and broken mark from the
    /// repetitions its comparison rests on ([`ScaleDocument::pairs`]).
    pub fn summarize(&mut self) {
        let mut out = Vec::with_capacity(self.results.len());
        for row in &self.results {
            let mut r = row.clone();
            let (reps, ratios): (Vec<&Rep>, Vec<f64>) = match self.partner(row) {
                Some(one) => self
                    .pairs(one, row)
                    .0
                    .into_iter()
                    .filter(|(_, m)| m.wall_ns > 0)
                    .map(|(o, m)| (m, o.wall_ns as f64 / m.wall_ns as f64))
                    .unzip(),
                None => (row.reps.iter().collect(), Vec::new()),
            };
            let median = |f: &dyn Fn(&Rep) -> u64| {
                (!reps.is_empty()).then(|| {
                    crate::stats::median(&reps.iter().map(|p| f(p) as f64).collect::<Vec<_>>())
                })
            };
            r.wall_ns = median(&|p| p.wall_ns);
            r.cpu_ns = median(&|p| p.cpu_ns);
            r.speedup = (!ratios.is_empty()).then(|| crate::stats::median(&ratios));
            r.efficiency = r
                .speedup
                .map(|s| crate::experiment::efficiency(s, row.workers));
            let cap = self.ceiling(row);
            r.broken = r
                .speedup
                .filter(|&s| s > cap as f64 * BROKEN_ABOVE)
                .map(|s| {
                    format!(
                        "a speedup of {s:.2}× from {} {} on {} cannot be theirs: at most {cap}× \
                     (plus {:.0}%) is possible, so its runs or the 1-worker runs they are compared with were disturbed",
                        row.workers,
                        row.unit,
                        row.placement,
                        (BROKEN_ABOVE - 1.0) * 100.0
                    )
                });
            out.push(r);
        }
        self.results = out;
    }
}
