//! The interleaved rounds: round k takes repetition k of every run, in
//! alternating order; after the planned rounds, the runs whose comparison
//! lacks quiet rounds are measured again (with their 1-worker runs) while
//! the budget lasts. Each repetition is recorded with the others' load.

use super::units::{processes, threads};
use super::{Deadline, Rep, ScaleDocument, ScaleResult, Session, Settings, Variant};
use crate::kinds::{CpuSet, UnitKind};
use crate::measure::load::{BusySource, LoadMeter};
use anyhow::Result;
use std::time::{Duration, Instant};

/// What the rounds need: the runs, the work and its answer, the time.
pub(super) struct Plan<'a> {
    pub variants: &'a [Variant],
    pub work: u64,
    /// Rounds planned.
    pub reps: u32,
    pub budget: Duration,
    /// The timeout of one run.
    pub timeout: Duration,
    /// The CPU the pinned runs' workers are pinned to.
    pub pinned_cpu: usize,
    /// The checksum of the whole work.
    pub expected: u64,
}

/// How the rounds went.
pub(super) struct Rounds {
    /// Rounds taken.
    pub round: u32,
    /// The budget ended them.
    pub out_of_budget: bool,
    /// Runs measured again because disturbed repetitions left a comparison
    /// short of quiet rounds.
    pub again: usize,
}

/// What the next round takes, or why there is none.
enum Next {
    Take(Vec<usize>),
    Done,
    OutOfBudget,
}

/// Every round, planned then measured again, each run's repetitions
/// recorded as its round ends; the rows summarized at the end.
pub(super) fn measure(s: &mut Session<'_, Settings, ScaleResult>, plan: &Plan) -> Result<Rounds> {
    let precise = s.doc.settings.load_source == BusySource::Cpuacct;
    let started = Instant::now();
    let mut durations: Vec<f64> = Vec::new();
    let mut round = 0u32;
    let mut out_of_budget = false;
    let mut again = 0usize;
    loop {
        let spent = started.elapsed().as_secs_f64();
        let next = crate::stats::median(&durations);
        let fits = durations.is_empty() || spent + next <= plan.budget.as_secs_f64();
        let chosen = match next_round(&s.doc, plan, round, fits) {
            Next::Take(chosen) => chosen,
            Next::Done => break,
            Next::OutOfBudget => {
                out_of_budget = true;
                break;
            }
        };
        if round >= plan.reps {
            again += chosen.len();
        }
        let round_meter = LoadMeter::start();
        let t0 = Instant::now();
        let taken = one_round(s, plan, round, chosen)?;
        // Without an exact source, a run is too short to read others' load
        // on its own: every run of the round gets the round's.
        let whole_round = round_meter.others_cpus();
        durations.push(t0.elapsed().as_secs_f64());
        record(s, plan.expected, taken, precise, whole_round)?;
        round += 1;
    }
    s.doc.summarize();
    Ok(Rounds {
        round,
        out_of_budget,
        again,
    })
}

/// The runs round `round` takes: in a planned round every run still live
/// (at least two planned rounds whatever the budget); after them, the runs
/// whose comparison lacks quiet rounds, with their 1-worker runs, while the
/// budget lasts (and up to three times the planned rounds).
fn next_round(doc: &ScaleDocument, plan: &Plan, round: u32, fits: bool) -> Next {
    let (variants, reps) = (plan.variants, plan.reps);
    let live = |i: &usize| doc.results[*i].failed.is_none();
    if round < reps {
        // The planned rounds, at least two of them whatever the budget.
        if round >= 2.min(reps) && !fits {
            return Next::OutOfBudget;
        }
        Next::Take((0..variants.len()).filter(live).collect())
    } else {
        // Runs measured again where disturbed repetitions left a
        // comparison short of quiet rounds, with their 1-worker runs.
        let short: Vec<usize> = (0..variants.len())
            .filter(|&i| live(&i) && doc.lacking(&doc.results[i]) > 0)
            .collect();
        if short.is_empty() || round >= 3 * reps {
            return Next::Done;
        }
        if !fits {
            return Next::OutOfBudget;
        }
        Next::Take(
            (0..variants.len())
                .filter(|&i| {
                    live(&i)
                        && short.iter().any(|&j| {
                            let (u, p, _) = variants[j];
                            j == i || (variants[i] == (u, p, 1))
                        })
                })
                .collect(),
        )
    }
}

/// One repetition of each chosen run, in order on even rounds and in
/// reverse on odd ones; a run that fails is recorded as failed.
fn one_round(
    s: &mut Session<'_, Settings, ScaleResult>,
    plan: &Plan,
    round: u32,
    chosen: Vec<usize>,
) -> Result<Vec<(usize, Rep)>> {
    let mut taken: Vec<(usize, Rep)> = Vec::new();
    let order: Vec<usize> = if round % 2 == 0 {
        chosen
    } else {
        chosen.into_iter().rev().collect()
    };
    for i in order {
        let (unit, placement, n) = plan.variants[i];
        let what = format!("{unit}, {placement}, {n} worker(s), round {}", round + 1);
        s.start(&what)?;
        let d = Deadline::after(plan.timeout);
        let pin = (placement == CpuSet::OneCpu).then_some(plan.pinned_cpu);
        let meter = LoadMeter::start();
        let r = if unit == UnitKind::Thread {
            threads(plan.work, n, pin, &d)
        } else {
            processes(plan.work, n, pin, &d)
        };
        let others = meter.others_cpus();
        match r {
            Ok((wall_ns, cpu_ns, checksum)) => taken.push((
                i,
                Rep {
                    round,
                    wall_ns,
                    cpu_ns,
                    checksum,
                    others_cpus: others,
                },
            )),
            Err(e) => {
                s.doc.results[i].failed = Some(format!("{e:#}"));
                s.failed(&what, e)?;
            }
        }
    }
    Ok(taken)
}

/// Adds a round's repetitions to their rows (with the whole round's load
/// where the load source is not exact), checks their answers, and exports.
fn record(
    s: &mut Session<'_, Settings, ScaleResult>,
    expected: u64,
    taken: Vec<(usize, Rep)>,
    precise: bool,
    whole_round: f64,
) -> Result<()> {
    for (i, mut rep) in taken {
        if !precise {
            rep.others_cpus = whole_round;
        }
        let row = &mut s.doc.results[i];
        if rep.checksum != expected {
            row.verified = false;
        }
        row.reps.push(rep);
        s.doc.summarize();
        let row = s.doc.results[i].clone();
        s.set(i, row)?;
    }
    Ok(())
}
