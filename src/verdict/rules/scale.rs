//! Rules read from CPU-bound scaling: whether threads (T3, T7, T8, A5) and
//! processes (P3) run at once, and whether processes get around CPython's
//! GIL (P5).

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence};
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

/// Other processes' load (CPUs) during the scaling experiment, if measured.
fn scale_load(ev: &Evidence) -> f64 {
    ev.figure(&crate::verdict::load_key("scale"))
        .map(|f| f.value)
        .unwrap_or(0.0)
}

pub fn scale(ev: &Evidence, id: &str) -> Judgement {
    let k = match id {
        "P3" => key::speedup(UnitKind::Fork, CpuSet::AllCpus),
        "T8" | "A5" => key::speedup(UnitKind::Thread, CpuSet::OneCpu),
        _ => key::speedup(UnitKind::Thread, CpuSet::AllCpus),
    };
    let Some(f) = ev.figure(&k) else {
        return missing(ev, &["scale"], "needs the `scale` experiment");
    };
    if cpus(ev) < 2 && id != "A5" {
        // One CPU: no two units can run at once here, whatever they are.
        // That is a property of this machine, not of threads or processes.
        return Judgement {
            word: Word::Depends {
                on: "the number of CPUs: pingpong may use one here, so units can only take turns".into(),
            },
            rule: format!(
                "with one CPU no two units run at once, so the claim cannot be told apart from the machine; measured speedup {}",
                show(f)
            ),
            figures: vec![k, key::CPUS.into()],
            commands: vec![f.command.clone()],
        };
    }
    let load = scale_load(ev);
    let busy = load > BUSY;
    let busy_word = || {
        Word::Depends {
        on: format!("the machine's load: other processes used {load:.2} CPUs meanwhile, so the units could not all get a CPU; rerun on a quieter machine"),
    }
    };
    // How many units ran at once: CPU time ÷ wall time.
    let par_key = key::parallelism(if id == "P3" {
        UnitKind::Fork
    } else {
        UnitKind::Thread
    });
    let par = ev.figure(&par_key);
    let at_once = par.is_some_and(|p| p.low > SERIAL);
    let one_at_a_time = par.is_none_or(|p| p.high < 1.0 + 5.0 * MARGIN);
    let free = ev.figure(&key::speedup(UnitKind::Thread, CpuSet::AllCpus));
    let parallel = against(f, PARALLEL) == Compared::Above;
    let serial = f.high < SERIAL;
    let par_text = par
        .map(|p| format!("; CPU time ÷ wall time {}", show(p)))
        .unwrap_or_default();
    let (word, rule) = match id {
        "T3" => (
            if at_once || parallel { Word::Fails } else if busy { busy_word() } else if serial && one_at_a_time { Word::Holds } else { Word::NoClearDifference },
            format!(
                "fails when CPU-bound threads are seen running at once (CPU time over {SERIAL}× wall time, or a speedup over {PARALLEL}× with {} CPUs); \
                 holds only when they neither speed up nor use more than one CPU on an otherwise idle machine; measured speedup {}{par_text}; others' load {load:.2} CPUs",
                cpus(ev),
                show(f)
            ),
        ),
        "T7" | "P3" => (
            if parallel || (id == "P3" && at_once) { Word::Holds } else if busy { busy_word() } else if serial { Word::Fails } else { Word::Depends { on: "the number of free cores".into() } },
            format!(
                "holds when the same CPU-bound work split over the cores runs over {PARALLEL}× faster than on one unit{}; measured speedup {}{par_text}; others' load {load:.2} CPUs",
                if id == "P3" { " (or the processes are seen running at once)" } else { "" },
                show(f)
            ),
        ),
        "T8" => {
            let free_parallel = free.is_some_and(|fr| against(fr, PARALLEL) == Compared::Above);
            (
                if serial && free_parallel { Word::Holds } else if parallel { Word::Fails } else if busy { busy_word() } else { Word::NoClearDifference },
                format!(
                    "holds when threads pinned to one CPU gain under {SERIAL}× while unpinned threads gain over {PARALLEL}×; measured pinned {}, unpinned {}; others' load {load:.2} CPUs",
                    show(f),
                    free.map(show).unwrap_or_else(|| "not measured".into())
                ),
            )
        }
        _ => {
            // A5: on one core the threads still run, taking turns.
            let verified = ev.demo(key::PINNED_VERIFIED);
            let ok = verified.is_some_and(|d| d.shows_claim);
            (
                if ok && serial { Word::Holds } else if !ok { Word::Fails } else { Word::NoClearDifference },
                format!(
                    "holds when threads pinned to one CPU all finish with the right answer and no speedup (they take turns); {}; pinned speedup {}",
                    verified.map(|d| d.shown.clone()).unwrap_or_else(|| "result not checked".into()),
                    show(f)
                ),
            )
        }
    };
    let mut figures = vec![k];
    if par.is_some() && matches!(id, "T3" | "T7" | "P3") {
        figures.push(par_key);
    }
    Judgement {
        word,
        rule,
        figures,
        commands: vec![f.command.clone()],
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
    let procs_parallel = against(p, PARALLEL) == Compared::Above;
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
            "holds when CPython processes run a pure-Python CPU loop over {PARALLEL}× faster on {n:.0} CPUs than one process \
             while CPython threads stay under {SERIAL}× (the GIL lets one run at a time); measured processes {}, threads {}; \
             others' load {load:.2} CPUs",
            show(p),
            show(t)
        ),
        figures: vec![pk, tk],
        commands: vec![p.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, ratio, with};
    use super::*;
    use crate::evidence::Figure;

    fn two() -> (String, Figure) {
        (key::CPUS.into(), fig(2.0, 2.0, 2.0))
    }
    fn threads(v: f64, lo: f64, hi: f64) -> (String, Figure) {
        (
            key::speedup(UnitKind::Thread, CpuSet::AllCpus),
            ratio(v, lo, hi),
        )
    }

    #[test]
    fn t3_fails_for_parallel_threads_and_holds_for_serial_ones() {
        let ev = with(&[two(), threads(1.9, 1.8, 1.95)]);
        assert_eq!(scale(&ev, "T3").word, Word::Fails);
        assert_eq!(scale(&ev, "T7").word, Word::Holds);
        let ev = with(&[two(), threads(1.0, 0.95, 1.05)]);
        assert_eq!(scale(&ev, "T3").word, Word::Holds);
        assert_eq!(scale(&ev, "T7").word, Word::Fails);
        let ev = with(&[two(), threads(1.4, 1.2, 1.6)]);
        assert_eq!(scale(&ev, "T3").word, Word::NoClearDifference);
        assert!(matches!(scale(&ev, "T7").word, Word::Depends { .. }));
    }

    #[test]
    fn a_busy_machine_makes_scaling_depend_on_load_not_hold() {
        let ev = with(&[
            two(),
            threads(1.0, 0.99, 1.01),
            (key::parallelism(UnitKind::Thread), fig(1.0, 1.0, 1.0)),
            (crate::verdict::load_key("scale"), fig(0.9, 0.9, 0.9)),
        ]);
        assert!(matches!(scale(&ev, "T3").word, Word::Depends { .. }));
        assert!(matches!(scale(&ev, "T7").word, Word::Depends { .. }));
    }

    #[test]
    fn threads_seen_using_two_cpus_refute_t3_even_without_a_speedup() {
        let ev = with(&[
            two(),
            threads(1.1, 1.0, 1.2),
            (key::parallelism(UnitKind::Thread), fig(1.9, 1.9, 1.9)),
        ]);
        assert_eq!(scale(&ev, "T3").word, Word::Fails);
    }

    #[test]
    fn scaling_needs_two_cpus() {
        let ev = with(&[
            (key::CPUS.into(), fig(1.0, 1.0, 1.0)),
            threads(1.0, 1.0, 1.0),
        ]);
        // One CPU: the claim depends on the number of CPUs (as the rule says).
        assert!(matches!(scale(&ev, "T3").word, Word::Depends { .. }));
    }

    #[test]
    fn t8_and_a5_read_the_pinned_run() {
        let pinned = |v, lo, hi| {
            (
                key::speedup(UnitKind::Thread, CpuSet::OneCpu),
                ratio(v, lo, hi),
            )
        };
        let mut ev = with(&[two(), threads(1.9, 1.8, 1.95), pinned(1.0, 0.97, 1.02)]);
        assert_eq!(scale(&ev, "T8").word, Word::Holds);
        ev.show(key::PINNED_VERIFIED, true, "ok");
        assert_eq!(scale(&ev, "A5").word, Word::Holds);
        ev.show(key::PINNED_VERIFIED, false, "wrong sum");
        assert_eq!(scale(&ev, "A5").word, Word::Fails);
        let (k, f) = pinned(1.9, 1.8, 1.95);
        ev.put(k, f);
        assert_eq!(scale(&ev, "T8").word, Word::Fails);
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
