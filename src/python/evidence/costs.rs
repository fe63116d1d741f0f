//! The figures of what things cost in CPython, column by column: scaling,
//! starting a unit, its memory, rallies, pickling.

use super::{key, Column};
use crate::evidence::{Evidence, Figure, Unit};
use crate::python::rows::*;

impl Column<'_> {
    pub(super) fn scale(&self, ev: &mut Evidence) {
        let rows: Vec<&ScaleRow> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Scale(s) if !s.rep_wall_ns.is_empty() => Some(s),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return;
        }
        self.put(
            ev,
            key::CPUS_REL,
            self.exact(self.cpus as f64, Unit::Cpus, "CPUs the run may use".into()),
        );
        if let Some(load) = rows
            .iter()
            .filter_map(|r| r.load_other_cpus)
            .reduce(f64::max)
        {
            let wall = rows.iter().map(|r| r.load_wall_s).fold(0.0, f64::max);
            self.put(
                ev,
                key::SCALE_LOAD,
                self.exact(
                    load,
                    Unit::Cpus,
                    format!("CPUs other processes used during the scaling run ({wall:.1} s)"),
                ),
            );
        }
        self.scale_speedups(ev, &rows);
        self.scale_single_and_pinned(ev, &rows);
    }

    /// For each kernel, unit and placement: the speedup of the most workers
    /// that fit the CPUs over one, and (free placement) how many ran at once.
    fn scale_speedups(&self, ev: &mut Evidence, rows: &[&ScaleRow]) {
        let fit = self.cpus.max(2) as u32;
        for kernel in Kernel::ALL.iter().copied() {
            for unit in PyUnit::ALL.iter().copied() {
                for placement in ScalePlacement::ALL.iter().copied() {
                    let of = |r: &&&ScaleRow| {
                        r.kernel == kernel && r.unit == unit && r.placement == placement
                    };
                    let Some(one) = rows.iter().filter(of).find(|r| r.workers == 1) else {
                        continue;
                    };
                    let Some(many) = rows
                        .iter()
                        .filter(of)
                        .filter(|r| r.workers > 1 && r.workers <= fit)
                        .max_by_key(|r| r.workers)
                    else {
                        continue;
                    };
                    let n = many.workers;
                    self.put(
                        ev,
                        &key::scale_speedup(kernel, unit, placement),
                        Figure::speedup(
                            &one.rep_wall_ns,
                            &many.rep_wall_ns,
                            self.what(format!(
                                "{kernel}, speedup of {n} {unit} over 1, {placement} (range over repetitions)"
                            )),
                            self.cmd,
                        ),
                    );
                    if placement == ScalePlacement::Free {
                        let par: Vec<f64> = many
                            .rep_cpu_ns
                            .iter()
                            .zip(&many.rep_wall_ns)
                            .filter(|(_, w)| **w > 0.0)
                            .map(|(c, w)| c / w)
                            .collect();
                        if let Some(f) = self.reps(
                            &par,
                            Unit::Cpus,
                            format!("{kernel}, CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                        ) {
                            self.put(ev, &key::scale_parallelism(kernel, unit), f);
                        }
                    }
                }
            }
        }
    }

    /// The pure-Python loop's time per iteration on one thread, and whether
    /// the runs pinned to one CPU gave the right answer.
    fn scale_single_and_pinned(&self, ev: &mut Evidence, rows: &[&ScaleRow]) {
        if let Some(ns) = rows
            .iter()
            .find(|r| {
                r.kernel == Kernel::PythonLoop
                    && r.unit == PyUnit::Threads
                    && r.placement == ScalePlacement::Free
                    && r.workers == 1
            })
            .and_then(|r| r.ns_per_item)
        {
            self.put(
                ev,
                key::NS_PER_ITERATION,
                self.exact(
                    ns,
                    Unit::Ns,
                    "wall time per iteration of the pure-Python loop on 1 thread".into(),
                ),
            );
        }
        let pinned: Vec<(&PyResult, &ScaleRow)> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Scale(s) if s.placement == ScalePlacement::OneCpu => Some((*r, s)),
                _ => None,
            })
            .collect();
        if !pinned.is_empty() {
            let ok = pinned
                .iter()
                .filter(|(r, _)| r.verified == Some(true))
                .count();
            self.show(
                ev,
                crate::experiment::scale::key::PINNED_VERIFIED,
                ok == pinned.len(),
                format!(
                    "{ok} of {} runs with every thread or process pinned to one CPU finished with the right answer",
                    pinned.len()
                ),
            );
        }
    }

    pub(super) fn spawn(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Spawn(s) = &r.row else { continue };
            if r.verified == Some(false) {
                self.miss(
                    ev,
                    &key::spawn(s.method),
                    format!("{}: a unit did not end cleanly", s.description),
                );
                continue;
            }
            if let Some(f) = self.reps(
                &s.reps.reps,
                Unit::Ns,
                format!("{} (median of {} per repetition)", s.description, s.per_rep),
            ) {
                self.put(ev, &key::spawn(s.method), f);
            }
        }
    }

    pub(super) fn memory(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let (PyRow::Memory(m), Some(v)) = (&r.row, r.value) else {
                continue;
            };
            let how = match m.start_method {
                StartMethod::Thread => "thread".to_string(),
                sm => format!("process ({sm})"),
            };
            self.put(
                ev,
                &key::memory(m.start_method),
                self.exact(
                    v,
                    Unit::KiB,
                    format!("PSS added per idle {how}, {} at once", m.units),
                ),
            );
        }
    }

    pub(super) fn rally(&self, ev: &mut Evidence) {
        let rows: Vec<(&PyResult, &RallyRow)> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Rally(x) if r.verified != Some(false) => Some((*r, x)),
                _ => None,
            })
            .collect();
        self.rally_medians(ev, &rows);
        let moved = self.rally_ratios(ev, &rows);
        if !moved.is_empty() {
            self.miss(
                ev,
                "rally.moved",
                format!(
                    "a pinned player ran elsewhere than pinned ({}): not compared",
                    moved.join(", ")
                ),
            );
        }
    }

    /// Every rally's round trip, over its repetitions.
    fn rally_medians(&self, ev: &mut Evidence, rows: &[(&PyResult, &RallyRow)]) {
        for (_, r) in rows {
            if let Some(f) = self.reps(
                &r.reps.reps,
                Unit::Ns,
                format!(
                    "round trip between {} over {} ({}), {}",
                    r.unit,
                    r.mechanism,
                    r.channel,
                    match r.placement {
                        RallyPlacement::Free => format!(
                            "not pinned (on one CPU in {} of {} repetitions)",
                            r.shared_cpu_reps, r.reps.repetitions
                        ),
                        p => format!("pinned {p}"),
                    }
                ),
            ) {
                self.put(ev, &key::rally_median(r.placement, r.mechanism, r.unit), f);
            }
        }
    }

    /// Processes ÷ threads, mechanism by mechanism, placement by placement;
    /// the pairs not compared because a player moved.
    fn rally_ratios(&self, ev: &mut Evidence, rows: &[(&PyResult, &RallyRow)]) -> Vec<String> {
        let mut moved = Vec::new();
        // Like with like: processes ÷ threads only where both were pinned
        // alike and stayed where they were pinned; repetitions alternate
        // T P T P, so each repetition gives a ratio of its own.
        for placement in [RallyPlacement::SameCpu, RallyPlacement::CrossCpu] {
            for m in Mechanism::ALL.iter().copied() {
                let find = |u: PyUnit| {
                    rows.iter()
                        .map(|(_, r)| *r)
                        .find(|r| r.placement == placement && r.mechanism == m && r.unit == u)
                };
                let (Some(t), Some(p)) = (find(PyUnit::Threads), find(PyUnit::Processes)) else {
                    continue;
                };
                if t.placement_kept != Some(true) || p.placement_kept != Some(true) {
                    moved.push(format!("{m} {placement}"));
                    continue;
                }
                let ratios: Vec<f64> = p
                    .reps
                    .reps
                    .iter()
                    .zip(&t.reps.reps)
                    .filter(|(_, t)| **t > 0.0)
                    .map(|(p, t)| p / t)
                    .collect();
                let natural = if m == Mechanism::Queue {
                    " (each unit's natural queue)"
                } else {
                    ""
                };
                if let Some(f) = self.reps(
                    &ratios,
                    Unit::Ratio,
                    format!(
                        "round trip, processes ({}) ÷ threads ({}){natural}, both pinned {placement}, per interleaved repetition",
                        p.channel, t.channel
                    ),
                ) {
                    self.put(ev, &key::rally_ratio(placement, m), f);
                }
            }
        }
        moved
    }

    pub(super) fn pickling(&self, ev: &mut Evidence) {
        for r in &self.rows {
            match &r.row {
                PyRow::Pickling(PicklingRow::Serialise(s)) if r.verified != Some(false) => {
                    if let Some(f) = self.reps(
                        &s.reps.reps,
                        Unit::Ns,
                        format!(
                            "pickle.dumps + pickle.loads of {} ({} B pickled)",
                            s.object, s.pickled_bytes
                        ),
                    ) {
                        self.put(ev, &key::pickling(s.object), f);
                    }
                    self.put(
                        ev,
                        &key::pickled_bytes(s.object),
                        self.exact(
                            s.pickled_bytes as f64,
                            Unit::Bytes,
                            format!("{} pickled", s.object),
                        ),
                    );
                }
                PyRow::Pickling(PicklingRow::Transfer(t)) if r.verified != Some(false) => {
                    let how = match t.channel {
                        TransferChannel::Queue => "queue.Queue to a thread (a reference moves)",
                        TransferChannel::MpPipe => "multiprocessing.Pipe to a process (pickled)",
                        TransferChannel::MpQueue => "multiprocessing.Queue to a process (pickled)",
                    };
                    if let Some(f) = self.reps(
                        &t.reps.reps,
                        Unit::Ns,
                        format!(
                            "sending {} ({} B pickled) over {how}, with its acknowledgement",
                            t.object, t.pickled_bytes
                        ),
                    ) {
                        self.put(ev, &key::transfer(t.channel), f);
                    }
                }
                _ => {}
            }
        }
    }
}
