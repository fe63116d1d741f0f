//! Rules read from CPU-bound scaling: whether threads (T3, T7, T8, A5) and
//! processes (P3) run at once, and whether processes get around CPython's
//! GIL (P5).

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence, Figure};
use crate::experiment::scale::key;
use crate::kinds::{CpuSet, UnitKind};

/// Speedup thresholds: clearly parallel above, clearly serial below.
pub const PARALLEL: f64 = 1.5;
pub const SERIAL: f64 = 1.2;

/// Others' load above this many CPUs makes a CPU-bound experiment inconclusive.
pub const BUSY: f64 = 0.25;

fn cpus(ev: &Evidence) -> usize {
    ev.figure(key::CPUS).map(|f| f.value as usize).unwrap_or(0)
}

/// Other processes' load (CPUs) during the scaling experiment: what the
/// experiment recorded over the rounds its figures rest on, else what the
/// verdict measured over the whole step, if either was measured.
fn scale_load(ev: &Evidence) -> Option<(String, f64)> {
    [key::LOAD.to_string(), crate::verdict::load_key("scale")]
        .into_iter()
        .find_map(|k| ev.figure(&k).map(|f| (k, f.value)))
}

/// Speedup clearly above PARALLEL in every round.
fn parallel(f: &Figure) -> bool {
    against(f, PARALLEL) == Compared::Above
}

/// Speedup clearly under SERIAL in every round.
fn serial(f: &Figure) -> bool {
    f.high < SERIAL
}

/// CPU time over SERIAL× wall time in every round: units seen running at once.
fn at_once(p: &Figure) -> bool {
    p.low > SERIAL
}

/// CPU time within 1 + 5·MARGIN of wall time in every round: one at a time.
fn one_at_a_time(p: &Figure) -> bool {
    p.high < 1.0 + 5.0 * MARGIN
}

/// T3, T7, P3, T8 (CPU-bound scaling) and A5 (threads pinned to one CPU).
///
/// In order: no experiment → not measurable here; one CPU → depends on the
/// number of CPUs; others' load over [`BUSY`] during the rounds the figures
/// rest on → depends on the machine's load (never "holds": a disturbed
/// round can make a speedup look bigger or smaller); no figure → not
/// measurable here, with the experiment's own reason (failed, or broken);
/// then the figures against [`PARALLEL`] and [`SERIAL`], anything between
/// being no clear difference.
/// A5 reads only whether the pinned threads finished with the right
/// answer, which others' load cannot change.
pub fn scale(ev: &Evidence, id: &str) -> Judgement {
    if id == "A5" {
        return turns(ev);
    }
    let unit = if id == "P3" {
        UnitKind::Fork
    } else {
        UnitKind::Thread
    };
    let k = if id == "T8" {
        key::speedup(UnitKind::Thread, CpuSet::OneCpu)
    } else {
        key::speedup(unit, CpuSet::AllCpus)
    };
    let par_key = key::parallelism(unit);
    let free_key = key::speedup(UnitKind::Thread, CpuSet::AllCpus);
    let f = ev.figure(&k);
    let par = ev.figure(&par_key).filter(|_| id != "T8" && id != "T7");
    let free = ev.figure(&free_key);
    // What the rule rests on: a speedup (T8: both the pinned and the free
    // one), or for T3 and P3 at least the CPU time ÷ wall time.
    let measured = match id {
        "T8" => f.is_some() && free.is_some(),
        "T7" => f.is_some(),
        _ => f.is_some() || par.is_some(),
    };
    // The experiment's own reason first: a broken or unfinished run.
    let why: Vec<&str> = match id {
        "T8" => vec![&k, &free_key, "scale"],
        "T7" => vec![&k, "scale"],
        _ => vec![&k, &par_key, "scale"],
    };
    if !measured && ev.figure(key::CPUS).is_none() {
        return missing(ev, &why, "needs the `scale` experiment");
    }
    let mut figures: Vec<String> = f.map(|_| k.clone()).into_iter().collect();
    if id == "T8" {
        figures.push(free_key.clone());
    }
    if par.is_some() {
        figures.push(par_key.clone());
    }
    let commands: Vec<String> = f
        .or(par)
        .map(|x| vec![x.command.clone()])
        .unwrap_or_default();
    let measured_text = measured_text(id, f, par, free);
    let n = cpus(ev);
    if n < 2 {
        figures.push(key::CPUS.into());
        return one_cpu(&measured_text, figures, commands);
    }
    let load = scale_load(ev);
    let others = load.as_ref().map(|(_, l)| *l).unwrap_or(0.0);
    if let Some((lk, _)) = &load {
        figures.push(lk.clone());
    }
    if others > BUSY {
        // Before a missing figure too: a measurement broken or cut short on
        // a busy machine says more about the machine than about the units.
        return busy(others, &measured_text, figures, commands);
    }
    if !measured {
        return missing(ev, &why, "needs the `scale` experiment");
    }
    let (word, rule) = match id {
        "T3" => t3(f, par, n),
        "T7" => t7(f, n),
        "P3" => p3(f, par, n),
        _ => t8(f, free, n),
    };
    Judgement {
        word,
        rule: format!("{rule}; measured {measured_text}; others' load {others:.2} CPUs"),
        figures,
        commands,
    }
}

/// What was measured, as the rule's text gives it: T8's pinned and free
/// speedups, else the speedup and CPU time ÷ wall time.
fn measured_text(
    id: &str,
    f: Option<&Figure>,
    par: Option<&Figure>,
    free: Option<&Figure>,
) -> String {
    let shown = |x: Option<&Figure>| x.map(show).unwrap_or_else(|| "not measured".into());
    match id {
        "T8" => format!("pinned {}, free {}", shown(f), shown(free)),
        _ => format!(
            "speedup {}{}",
            shown(f),
            par.map(|p| format!("; CPU time ÷ wall time {}", show(p)))
                .unwrap_or_default()
        ),
    }
}

/// One CPU: no two units can run at once here, whatever they are. That is
/// a property of this machine, not of threads or processes.
fn one_cpu(measured_text: &str, figures: Vec<String>, commands: Vec<String>) -> Judgement {
    Judgement {
        word: Word::Depends {
            on: "the number of CPUs: pingpong may use one here, so units can only take turns"
                .into(),
        },
        rule: format!(
            "with one CPU no two units run at once, so the claim cannot be told apart from the machine; measured {measured_text}"
        ),
        figures,
        commands,
    }
}

/// Others used over [`BUSY`] CPUs during the rounds measured.
fn busy(
    others: f64,
    measured_text: &str,
    figures: Vec<String>,
    commands: Vec<String>,
) -> Judgement {
    Judgement {
        word: busy_word(others),
        rule: format!(
            "a CPU-bound comparison needs the CPUs to itself: others used over {BUSY} CPUs during \
             the rounds measured; measured {measured_text}"
        ),
        figures,
        commands,
    }
}

/// T3's word (threads seen running at once fail it) and rule.
fn t3(f: Option<&Figure>, par: Option<&Figure>, n: usize) -> (Word, String) {
    (
        if par.is_some_and(at_once) || f.is_some_and(parallel) {
            Word::Fails
        } else if f.is_none_or(serial) && par.is_none_or(one_at_a_time) {
            Word::Holds
        } else {
            Word::NoClearDifference
        },
        format!(
            "fails when CPU-bound threads are seen running at once (CPU time over {SERIAL}× wall time, \
             or a speedup over {PARALLEL}× with {n} CPUs, in every round); holds when they neither speed up \
             (under {SERIAL}×) nor use more than one CPU; between, no clear difference"
        ),
    )
}

/// T7's word (threads one per CPU faster than one) and rule.
fn t7(f: Option<&Figure>, n: usize) -> (Word, String) {
    (
        if f.is_some_and(parallel) {
            Word::Holds
        } else if f.is_some_and(serial) {
            Word::Fails
        } else {
            Word::NoClearDifference
        },
        format!(
            "holds when CPU-bound work split over threads, one per CPU ({n}), runs over {PARALLEL}× faster \
             than on one thread in every round; fails under {SERIAL}×; between, no clear difference"
        ),
    )
}

/// P3's word (processes faster than one, or seen running at once) and rule.
fn p3(f: Option<&Figure>, par: Option<&Figure>, n: usize) -> (Word, String) {
    (
        if f.is_some_and(parallel) || par.is_some_and(at_once) {
            Word::Holds
        } else if f.is_none_or(serial) && par.is_none_or(one_at_a_time) {
            Word::Fails
        } else {
            Word::NoClearDifference
        },
        format!(
            "holds when CPU-bound processes, one per CPU ({n}), run over {PARALLEL}× faster than one \
             or are seen running at once (CPU time over {SERIAL}× wall time) in every round; fails when \
             they neither speed up (under {SERIAL}×) nor use more than one CPU; between, no clear difference"
        ),
    )
}

/// T8's word (pinned to one CPU against free to use every CPU, both
/// measured) and rule.
fn t8(f: Option<&Figure>, free: Option<&Figure>, n: usize) -> (Word, String) {
    (
        // Both measured, as checked in `scale`.
        match (f, free) {
            (Some(pinned), Some(free)) if serial(pinned) && parallel(free) => Word::Holds,
            (Some(pinned), Some(free)) if parallel(pinned) || (serial(free) && serial(pinned)) => {
                Word::Fails
            }
            _ => Word::NoClearDifference,
        },
        format!(
            "holds when threads pinned to one CPU gain under {SERIAL}× while threads free to use \
             {n} CPUs gain over {PARALLEL}×; fails when pinned threads gain over {PARALLEL}× too, \
             or when free threads gain under {SERIAL}× as pinned ones do (several processors give \
             no more); between, no clear difference"
        ),
    )
}

fn busy_word(load: f64) -> Word {
    Word::Depends {
        on: format!(
            "the machine's load: other processes used {load:.2} CPUs meanwhile, so the units \
             could not all get a CPU; rerun on a quieter machine"
        ),
    }
}

/// A5: on one core the threads still run, taking turns: every run of two
/// or more threads pinned to one CPU finished with the right answer.
fn turns(ev: &Evidence) -> Judgement {
    let Some(d) = ev.demo(key::PINNED_VERIFIED) else {
        return missing(
            ev,
            &[key::PINNED_VERIFIED, "scale"],
            "needs the `scale` experiment's runs of threads pinned to one CPU",
        );
    };
    let k = key::speedup(UnitKind::Thread, CpuSet::OneCpu);
    let pinned = ev.figure(&k);
    Judgement {
        word: if d.shows_claim {
            Word::Holds
        } else {
            Word::Fails
        },
        rule: format!(
            "holds when threads pinned to one CPU all finish with the right answer (they can only take \
             turns there); fails when one gave a wrong answer or did not finish; {}; pinned speedup {}",
            d.shown,
            pinned.map(show).unwrap_or_else(|| "not measured".into())
        ),
        figures: pinned.map(|_| k.clone()).into_iter().collect(),
        commands: pinned.map(|p| vec![p.command.clone()]).unwrap_or_default(),
    }
}

/// P5: processes get around CPython's GIL. Holds when CPython processes
/// speed pure-Python CPU work up over PARALLEL× on N CPUs while CPython
/// threads stay under SERIAL×, on a machine otherwise idle enough to tell.
pub fn gil(ev: &Evidence) -> Judgement {
    use crate::python::evidence::key as py;
    let tk = py::speedup("", "threads", false);
    let pk = py::speedup("", "processes", false);
    let (Some(t), Some(p)) = (ev.figure(&tk), ev.figure(&pk)) else {
        return missing(
            ev,
            &["python"],
            "needs CPython (pingpong python): no CPython scaling was measured",
        );
    };
    let n = ev.figure(py::CPUS).map(|f| f.value).unwrap_or(0.0);
    if n < 2.0 {
        return missing(
            ev,
            &[],
            "needs at least two CPUs to run two CPython units at once",
        );
    }
    let load = ev
        .figure(&crate::verdict::load_key("python"))
        .map(|f| f.value)
        .unwrap_or(0.0);
    // Processes ran at once: a speedup clearly over PARALLEL, or CPU time
    // over SERIAL× wall time in every round together with a speedup
    // clearly over SERIAL (as P3 reads Rust's processes): a CPython
    // process's start and end make its short runs' speedups noisy, its
    // CPU time ÷ wall time is not.
    let pk_par = py::parallelism("processes");
    let par = ev.figure(&pk_par);
    let procs_parallel =
        against(p, PARALLEL) == Compared::Above || (par.is_some_and(at_once) && p.low > SERIAL);
    let threads_serial = t.high < SERIAL;
    let threads_parallel = against(t, PARALLEL) == Compared::Above;
    let word = if procs_parallel && threads_serial {
        Word::Holds
    } else if threads_parallel {
        // No GIL in the way (a free-threaded build): nothing to get around.
        Word::Fails
    } else if load > BUSY {
        Word::Depends {
            on: format!("the machine's load: other processes used {load:.2} CPUs meanwhile; rerun on a quieter machine"),
        }
    } else if p.high < SERIAL {
        Word::Fails
    } else {
        Word::NoClearDifference
    };
    Judgement {
        word,
        rule: format!(
            "holds when CPython processes run a pure-Python CPU loop at once on {n:.0} CPUs (over {PARALLEL}× faster than one \
             process, or over {SERIAL}× faster with CPU time over {SERIAL}× wall time, in every round) while CPython threads \
             stay under {SERIAL}× (the GIL lets one run at a time); measured processes {}{}, threads {}; others' load {load:.2} CPUs",
            show(p),
            par.map(|f| format!(" (CPU time ÷ wall time {})", show(f))).unwrap_or_default(),
            show(t)
        ),
        figures: std::iter::once(pk)
            .chain(par.map(|_| pk_par.clone()))
            .chain(std::iter::once(tk))
            .collect(),
        commands: vec![p.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio, with};
    use super::*;
    use crate::evidence::Figure;

    fn cpus(n: f64) -> (String, Figure) {
        (key::CPUS.into(), fig(n, n, n))
    }
    fn two() -> (String, Figure) {
        cpus(2.0)
    }
    fn speedup(u: UnitKind, p: CpuSet, (v, lo, hi): (f64, f64, f64)) -> (String, Figure) {
        (key::speedup(u, p), ratio(v, lo, hi))
    }
    fn threads(v: (f64, f64, f64)) -> (String, Figure) {
        speedup(UnitKind::Thread, CpuSet::AllCpus, v)
    }
    fn pinned(v: (f64, f64, f64)) -> (String, Figure) {
        speedup(UnitKind::Thread, CpuSet::OneCpu, v)
    }
    fn processes(v: (f64, f64, f64)) -> (String, Figure) {
        speedup(UnitKind::Fork, CpuSet::AllCpus, v)
    }
    fn par(u: UnitKind, v: f64) -> (String, Figure) {
        (key::parallelism(u), fig(v, v * 0.97, v * 1.02))
    }
    fn load(v: f64) -> (String, Figure) {
        (key::LOAD.into(), fig(v, v * 0.9, v * 1.1))
    }
    /// A 2-CPU machine on which threads and processes scale (1.9×), pinned
    /// threads do not (1.0×), others are idle, and the pinned threads finished.
    fn scaling() -> Evidence {
        let mut ev = with(&[
            two(),
            threads((1.9, 1.8, 1.95)),
            processes((1.9, 1.8, 1.95)),
            pinned((1.0, 0.97, 1.02)),
            par(UnitKind::Thread, 1.95),
            par(UnitKind::Fork, 1.95),
            load(0.02),
        ]);
        ev.show(key::PINNED_VERIFIED, true, "ok");
        ev
    }
    fn word(ev: &Evidence, id: &str) -> Word {
        scale(ev, id).word
    }
    fn depends_on(w: &Word, what: &str) -> bool {
        matches!(w, Word::Depends { on } if on.contains(what))
    }
    fn set(ev: &mut Evidence, (k, f): (String, Figure)) {
        ev.put(k, f);
    }

    #[test]
    fn on_a_machine_where_units_scale_t3_fails_and_t7_p3_t8_a5_hold() {
        let ev = scaling();
        assert_eq!(word(&ev, "T3"), Word::Fails);
        assert_eq!(word(&ev, "T7"), Word::Holds);
        assert_eq!(word(&ev, "P3"), Word::Holds);
        assert_eq!(word(&ev, "T8"), Word::Holds);
        assert_eq!(word(&ev, "A5"), Word::Holds);
    }

    #[test]
    fn serial_threads_make_t3_hold_and_t7_fail() {
        let mut ev = scaling();
        set(&mut ev, threads((1.0, 0.95, 1.05)));
        set(&mut ev, par(UnitKind::Thread, 1.0));
        assert_eq!(word(&ev, "T3"), Word::Holds);
        assert_eq!(word(&ev, "T7"), Word::Fails);
        // Several CPUs give no more than one: T8's comparison fails.
        assert_eq!(word(&ev, "T8"), Word::Fails);
    }

    #[test]
    fn threads_seen_using_two_cpus_refute_t3_even_without_a_speedup() {
        let mut ev = scaling();
        set(&mut ev, threads((1.1, 1.0, 1.2)));
        set(&mut ev, par(UnitKind::Thread, 1.9));
        assert_eq!(word(&ev, "T3"), Word::Fails);
        // T7 is about speed: 1.1× is neither clearly parallel nor serial.
        assert_eq!(word(&ev, "T7"), Word::NoClearDifference);
    }

    #[test]
    fn a_speedup_inside_the_noise_is_no_clear_difference() {
        let mut ev = scaling();
        set(&mut ev, threads((1.4, 1.1, 1.6)));
        set(&mut ev, par(UnitKind::Thread, 1.15));
        set(&mut ev, processes((1.4, 1.1, 1.6)));
        set(&mut ev, par(UnitKind::Fork, 1.15));
        for id in ["T3", "T7", "P3", "T8"] {
            assert_eq!(word(&ev, id), Word::NoClearDifference, "{id}");
        }
    }

    #[test]
    fn processes_seen_running_at_once_make_p3_hold_and_serial_ones_make_it_fail() {
        let mut ev = scaling();
        set(&mut ev, processes((1.3, 1.1, 1.6)));
        assert_eq!(word(&ev, "P3"), Word::Holds, "CPU time ÷ wall 1.95");
        set(&mut ev, processes((1.0, 0.97, 1.03)));
        set(&mut ev, par(UnitKind::Fork, 1.0));
        assert_eq!(word(&ev, "P3"), Word::Fails);
    }

    #[test]
    fn pinned_threads_that_scale_refute_t8() {
        let mut ev = scaling();
        set(&mut ev, pinned((1.9, 1.8, 1.95)));
        assert_eq!(word(&ev, "T8"), Word::Fails);
    }

    #[test]
    fn a_busy_machine_makes_scaling_depend_on_load_never_hold() {
        // Whatever the figures say: a disturbed round can make a speedup
        // look bigger or smaller than the units' own.
        for (t, p) in [(1.9, 1.95), (1.0, 1.0)] {
            let mut ev = scaling();
            set(&mut ev, threads((t, t * 0.95, t * 1.02)));
            set(&mut ev, par(UnitKind::Thread, p));
            set(&mut ev, load(0.9));
            for id in ["T3", "T7", "P3", "T8"] {
                assert!(depends_on(&word(&ev, id), "load"), "{id}");
            }
        }
    }

    #[test]
    fn the_load_the_experiment_recorded_comes_before_the_step_s() {
        let mut ev = scaling();
        // The step as a whole was busy, but the rounds the figures rest on were quiet.
        set(
            &mut ev,
            (crate::verdict::load_key("scale"), fig(0.9, 0.9, 0.9)),
        );
        assert_eq!(word(&ev, "T7"), Word::Holds);
        // Without the experiment's own figure, the step's load decides.
        ev.figures.remove(key::LOAD);
        assert!(depends_on(&word(&ev, "T7"), "load"));
    }

    #[test]
    fn on_one_cpu_scaling_depends_on_the_number_of_cpus() {
        let mut ev = scaling();
        set(&mut ev, cpus(1.0));
        set(&mut ev, threads((1.0, 0.98, 1.02)));
        for id in ["T3", "T7", "P3", "T8"] {
            assert!(depends_on(&word(&ev, id), "number of CPUs"), "{id}");
        }
        // Taking turns on one CPU is just what A5 says.
        assert_eq!(word(&ev, "A5"), Word::Holds);
    }

    #[test]
    fn without_the_experiment_scaling_is_not_measurable_and_says_why() {
        let mut ev = Evidence::default();
        ev.miss("scale", "`pingpong scale` did not finish within 180s");
        for id in ["T3", "T7", "P3", "T8", "A5"] {
            match word(&ev, id) {
                Word::NotMeasurable { why } => assert!(why.contains("180s"), "{id}: {why}"),
                w => panic!("{id}: {w:?}"),
            }
        }
    }

    #[test]
    fn a_broken_measurement_is_not_measurable_naming_why() {
        let mut ev = scaling();
        let k = key::speedup(UnitKind::Thread, CpuSet::AllCpus);
        ev.figures.remove(&k);
        ev.figures.remove(&key::parallelism(UnitKind::Thread));
        ev.miss(k, "a speedup of 3.1× from 2 threads cannot be theirs");
        for id in ["T3", "T7", "T8"] {
            match word(&ev, id) {
                Word::NotMeasurable { why } => assert!(why.contains("3.1×"), "{id}: {why}"),
                w => panic!("{id}: {w:?}"),
            }
        }
        // Processes were measured apart.
        assert_eq!(word(&ev, "P3"), Word::Holds);
    }

    #[test]
    fn a_broken_measurement_on_a_busy_machine_depends_on_the_load() {
        let mut ev = scaling();
        let k = key::speedup(UnitKind::Thread, CpuSet::OneCpu);
        ev.figures.remove(&k);
        ev.miss(
            k,
            "a speedup of 1.4× from 2 threads on one CPU cannot be theirs",
        );
        set(&mut ev, load(1.2));
        assert!(depends_on(&word(&ev, "T8"), "load"));
    }

    #[test]
    fn a5_is_not_measurable_without_its_demonstration_and_fails_only_on_a_wrong_or_unfinished_run()
    {
        let mut ev = scaling();
        ev.demos.clear();
        assert!(matches!(word(&ev, "A5"), Word::NotMeasurable { .. }));
        ev.show(key::PINNED_VERIFIED, false, "WRONG ANSWER with 2 threads");
        assert_eq!(word(&ev, "A5"), Word::Fails);
        ev.show(key::PINNED_VERIFIED, true, "all finished");
        // Others' load cannot change an answer: A5 still holds.
        set(&mut ev, load(1.5));
        assert_eq!(word(&ev, "A5"), Word::Holds);
    }

    fn py(threads: (f64, f64, f64), processes: (f64, f64, f64), load: f64) -> Evidence {
        use crate::python::evidence::key as py;
        let (a, b, c) = threads;
        let (d, e, f) = processes;
        with(&[
            (py::speedup("", "threads", false), ratio(a, b, c)),
            (py::speedup("", "processes", false), ratio(d, e, f)),
            (py::CPUS.into(), fig(2.0, 2.0, 2.0)),
            (crate::verdict::load_key("python"), fig(load, load, load)),
        ])
    }

    #[test]
    fn p5_holds_when_processes_scale_and_threads_do_not() {
        let ev = py((1.02, 0.98, 1.05), (1.9, 1.8, 1.95), 0.0);
        assert_eq!(gil(&ev).word, Word::Holds);
    }

    #[test]
    fn p5_fails_when_threads_scale_too_as_without_a_gil() {
        let ev = py((1.9, 1.8, 1.95), (1.9, 1.8, 1.95), 0.0);
        assert_eq!(gil(&ev).word, Word::Fails);
    }

    #[test]
    fn p5_holds_when_processes_ran_at_once_though_one_round_sped_up_less() {
        use crate::python::evidence::key as py;
        // A short CPython run: one round's speedup under PARALLEL, but every
        // round's CPU time shows both processes running at once.
        let mut ev = py((1.0, 0.97, 1.02), (1.85, 1.45, 2.05), 0.0);
        assert_eq!(gil(&ev).word, Word::NoClearDifference);
        ev.put(py::parallelism("processes"), fig(1.92, 1.88, 1.94));
        let j = gil(&ev);
        assert_eq!(j.word, Word::Holds, "{}", j.rule);
        assert!(j.figures.contains(&py::parallelism("processes")));
        // Running at once but no faster than serial is no evidence.
        ev.put(py::speedup("", "processes", false), ratio(1.3, 1.1, 1.5));
        assert_eq!(gil(&ev).word, Word::NoClearDifference);
    }

    #[test]
    fn p5_inside_the_noise_is_no_clear_difference() {
        let ev = py((1.1, 1.0, 1.3), (1.45, 1.3, 1.6), 0.0);
        assert_eq!(gil(&ev).word, Word::NoClearDifference);
    }

    #[test]
    fn p5_on_a_busy_machine_depends_on_the_load() {
        let ev = py((1.0, 0.98, 1.05), (1.1, 1.0, 1.2), 1.5);
        assert!(matches!(gil(&ev).word, Word::Depends { .. }));
    }
}
