//! The rally session: every cell of a plan measured with its repetitions
//! interleaved (A B C A B C…), summarised and exported after every
//! measurement. It sits below the front ends that play the matches — here
//! (`pingpong run`), against a peer (`--between hosts`) or over MPI
//! (`--between ranks`) — and above the engine that plays one match.

use crate::ball::Verify;
use crate::engine::{self, Match};
use crate::error::{ends_run, Interrupted};
use crate::kinds::Length;
use crate::measure::{checksum, clock};
use crate::output::{self, progress::Progress};
use crate::plan::{Cell, RunPlan};
use crate::player::Script;
use crate::results::{Failure, Header, RunDocument, Settings, Skipped};
use crate::summarize::{self, MatchInfo};
use anyhow::Result;
use std::io::Write;

pub mod matrix;

/// Prints the table; returns whether every measurement succeeded with intact balls.
pub fn finish(doc: &RunDocument) -> Result<bool> {
    let table = match &doc.cpu_matrix {
        Some(m) => matrix::render(m),
        None => output::table::render(doc),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(table.as_bytes())?;
    stdout.flush()?;
    let matrix_ok = doc
        .cpu_matrix
        .as_ref()
        .is_none_or(|m| m.errors.is_empty() && m.cells.iter().all(|c| c.verified));
    Ok(matrix_ok && doc.errors.is_empty() && doc.measurements.iter().all(|m| m.verification.ok))
}

/// Measures every cell of the plan, repetitions interleaved, exporting
/// after each measurement. Failed matches are recorded in the document;
/// an interruption or a usage error (a refused fork) ends it early, with
/// what was measured already exported. The progress bar is the caller's:
/// it may go on past this rally (the verdict's does), so it is never
/// finished here.
pub fn measure(plan: &RunPlan, progress: &Progress) -> Result<RunDocument> {
    measure_with(plan, progress, &mut |cell, script, _doc| {
        engine::play(
            &Match {
                unit: cell.unit,
                channel: cell.channel,
                script: script.clone(),
                placement: plan.placement,
                timeout: plan.timeout,
                loss_timeout: plan.loss_timeout,
            },
            None,
        )
    })
}

/// One match of a cell with a script; it may add to the document (the peer).
pub type Player<'a> = dyn FnMut(&Cell, &Script, &mut RunDocument) -> Result<engine::Played> + 'a;

/// [`measure`], with `play` playing each match (locally, or against a peer).
pub fn measure_with(plan: &RunPlan, progress: &Progress, play: &mut Player) -> Result<RunDocument> {
    let mut doc = new_document(plan);
    if plan.matrix {
        let m = matrix::measure(plan, doc.clock.cost_ns, |a, b| {
            progress.start(&format!("spin between CPUs {a} and {b}"));
        })?;
        doc.notes.extend(m.notes.iter().cloned());
        doc.cpu_matrix = Some(m);
        export(plan, &doc)?;
        return Ok(doc);
    }
    add_plan_notes(plan, &mut doc);
    let mut session = Session {
        plan,
        progress,
        unit_names: match plan.unit_label {
            Some(l) => vec![l],
            None => plan.units.iter().map(|u| u.name()).collect(),
        },
        busy: 0,
        doc,
    };
    'reps: for rep in 0..plan.reps {
        for cell in &plan.cells {
            session.play(cell, rep, play)?;
            if crate::interrupt::interrupted() {
                break 'reps;
            }
        }
    }
    if crate::interrupt::interrupted() {
        return Err(anyhow::Error::new(Interrupted));
    }
    Ok(session.doc)
}

/// The settings a run document records for a plan.
fn settings(plan: &RunPlan) -> Settings {
    Settings {
        pattern: plan.pattern,
        length: match plan.length {
            Length::Rounds(_) => "rounds".into(),
            Length::Time(_) => "duration".into(),
        },
        rounds: match plan.length {
            Length::Rounds(n) => Some(n),
            Length::Time(_) => None,
        },
        duration_s: match plan.length {
            Length::Time(d) => Some(d.as_secs_f64()),
            Length::Rounds(_) => None,
        },
        warmup_rounds: plan.warmup.unwrap_or(0),
        repetitions: plan.reps,
        placement: plan.placement,
        verify: plan
            .verify
            .map(|v| v.name().to_string())
            .unwrap_or_else(|| "all up to 64 KiB, sample above".into()),
        timeout_s: plan.timeout.as_secs_f64(),
        payload: plan.payload,
    }
}

/// An empty document for a plan: the machine, the clock, the checksum's
/// cost and the combinations skipped (named as the results name them).
fn new_document(plan: &RunPlan) -> RunDocument {
    RunDocument {
        header: Header::new("run"),
        settings: settings(plan),
        clock: clock::measure(),
        checksum: checksum::measure(),
        measurements: Vec::new(),
        combined: Vec::new(),
        comparisons: Vec::new(),
        skipped: plan
            .skipped
            .iter()
            .map(|(c, why)| Skipped {
                combo: label(plan, c),
                reason: why.clone(),
            })
            .collect(),
        errors: Vec::new(),
        mismatches: Vec::new(),
        notes: Vec::new(),
        peer: None,
        cpu_matrix: None,
    }
}

/// A cell's combination as the results name it ("hosts", "ranks" for the
/// unit when the players are not local).
fn label(plan: &RunPlan, cell: &Cell) -> crate::results::Combo {
    let mut c = cell.combo();
    if let Some(l) = plan.unit_label {
        c.unit = l.into();
    }
    c
}

/// The notes known before anything is measured: the virtual machine's,
/// and each channel's own, once.
fn add_plan_notes(plan: &RunPlan, doc: &mut RunDocument) {
    if plan.machine_notes() {
        doc.notes.push(vm_note(doc));
    }
    for cell in &plan.cells {
        if let Some(note) = cell.channel.note() {
            if !doc.notes.iter().any(|n| n == note) {
                doc.notes.push(note.to_string());
            }
        }
    }
}

/// A run under way: the plan, its document so far, and how many
/// measurements other processes disturbed.
struct Session<'a> {
    plan: &'a RunPlan,
    progress: &'a Progress,
    unit_names: Vec<&'a str>,
    busy: usize,
    doc: RunDocument,
}

impl Session<'_> {
    /// What ping and pong play for a cell.
    fn script(&self, cell: &Cell, verify: Verify) -> Script {
        let plan = self.plan;
        Script {
            size: cell.size,
            pattern: plan.pattern,
            length: plan.length,
            warmup_rounds: plan.warmup_for(cell.size),
            verify,
            batch: plan.batch,
            clock_cost_ns: self.doc.clock.cost_ns,
            lossy: cell.channel.lossy(),
            fault: plan.fault,
            pace: None,
            payload: plan.payload,
        }
    }

    /// Plays one repetition of one cell, records it (or its failure),
    /// summarises and exports; an error that ends the run is returned
    /// after what was measured is exported.
    fn play(&mut self, cell: &Cell, rep: u32, play: &mut Player) -> Result<()> {
        let plan = self.plan;
        let combo = label(plan, cell);
        self.progress.start_expecting(
            &format!("{} (repetition {}/{})", combo.label(), rep + 1, plan.reps),
            plan.expected_match(),
        );
        let verify = plan
            .verify
            .unwrap_or_else(|| Verify::default_for(cell.size));
        let script = self.script(cell, verify);
        match play(cell, &script, &mut self.doc) {
            Ok(played) => {
                let meas = summarize::measurement(
                    MatchInfo {
                        combo,
                        repetition: rep,
                        pattern: plan.pattern,
                        verify: verify.name(),
                        lossy: cell.channel.lossy(),
                        placement: &plan.placement,
                        payload: plan.payload,
                        one_machine: plan.unit_label.is_none(),
                    },
                    &played,
                );
                self.record(meas);
            }
            Err(e) if ends_run(&e) => {
                // Interrupted, a usage error (fork refused), or players out
                // of step: stop here, keeping what was measured.
                self.summarise();
                export(plan, &self.doc)?;
                return Err(e);
            }
            Err(e) => {
                self.progress.println(&format!(
                    "error: {} (repetition {}): {e:#}",
                    combo.label(),
                    rep + 1
                ));
                self.doc.errors.push(Failure {
                    combo,
                    repetition: rep,
                    error: format!("{e:#}"),
                });
            }
        }
        self.summarise();
        export(plan, &self.doc)?;
        self.progress.done();
        Ok(())
    }

    /// Keeps a measurement, saying at once if its balls came back damaged.
    fn record(&mut self, meas: crate::results::Measurement) {
        if meas.load.is_busy() {
            self.busy += 1;
        }
        if !meas.verification.ok {
            self.progress.println(&format!(
                "warning: {} (repetition {}): damaged balls detected: {} lost, {} stale, {} out of order, {} corrupted",
                meas.combo.label(),
                meas.repetition + 1,
                meas.verification.lost,
                meas.verification.stale,
                meas.verification.out_of_order,
                meas.verification.corrupted
            ));
        }
        self.doc.measurements.push(meas);
    }

    fn summarise(&mut self) {
        summarise(&mut self.doc, &self.unit_names, self.busy);
    }
}

fn summarise(doc: &mut RunDocument, units: &[&str], busy: usize) {
    doc.combined = summarize::combine(&doc.measurements);
    (doc.comparisons, doc.mismatches) = summarize::compare(&doc.measurements, units);
    let note = "the machine was not idle during";
    doc.notes.retain(|n| !n.starts_with(note));
    let left_out = " repetition pair(s) were left out of the comparisons";
    doc.notes.retain(|n| !n.contains(left_out));
    if let Some(n) = summarize::mismatch_note(&doc.mismatches) {
        doc.notes.push(n);
    }
    if busy > 0 {
        doc.notes.push(format!(
            "{note} {busy} of {} measurements (other processes or the hypervisor used more than {:.0}% of a CPU); \
             compare only figures from the same run",
            doc.measurements.len(),
            crate::measure::load::BUSY_CPUS * 100.0
        ));
    }
}

fn export(plan: &RunPlan, doc: &RunDocument) -> Result<()> {
    plan.exports.write(doc)
}

fn vm_note(doc: &RunDocument) -> String {
    format!(
        "this machine is virtual ({}): an idle vCPU halts and the host must wake it, so round trips \
         across CPUs can be several times slower on an idle machine than on a busy one or on one CPU; \
         pin with --cpus or --same-cpu and compare only within one run",
        doc.header.machine.virtualization
    )
}

impl RunPlan {
    /// Whether to add the note on virtual machines: players on different
    /// (or unpinned) CPUs of a virtual machine.
    fn machine_notes(&self) -> bool {
        // MPI ranks poll while they wait: no vCPU halts under them.
        let vm = machine_is_virtual() && self.unit_label != Some("ranks");
        let cross = !matches!(self.placement, crate::kinds::Placement::Pinned { ping, pong } if ping == pong);
        vm && cross
    }
}

fn machine_is_virtual() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|c| c.split_whitespace().any(|f| f == "hypervisor"))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        run: crate::cli::RunArgs,
    }

    fn plan(line: &str) -> RunPlan {
        let args = Cmd::try_parse_from(std::iter::once("run").chain(line.split_whitespace()))
            .unwrap()
            .run;
        RunPlan::from_args(&args).unwrap()
    }

    #[test]
    fn a_rally_leaves_the_bar_it_shares_with_the_rest_of_the_plan_going() {
        let plan = plan("--between threads --via pipe --rounds 50 --warmup 10 --reps 2");
        // The verdict's bar: this rally is 2 of its 5 steps.
        let progress = Progress::planned(5, Duration::from_secs(5));
        progress.set_context("rally.same-cpu");
        let doc = measure(&plan, &progress).unwrap();
        assert_eq!(doc.measurements.len(), 2);
        assert!(!progress.is_finished(), "the rally finished the plan's bar");
        assert_eq!(progress.steps_done(), 2);
        let said = progress.message();
        assert!(
            said.starts_with("rally.same-cpu · threads · pipe"),
            "{said}"
        );
        progress.start("the next step");
        progress.done();
        assert_eq!(progress.steps_done(), 3);
    }
}
