//! Rules for the claims decided by the experiments beyond the rally:
//! spawn, memory, scale, contention, overlap and responsiveness. Each reads
//! figures by name from the evidence (see `verdict::sources` for where they
//! come from) and compares intervals, never bare values.

use super::{missing, Judgement, Word, MARGIN};
use crate::verdict::evidence::{against, show, Compared, Evidence, Figure};

/// `a ÷ b` with a conservative interval: [a.low / b.high, a.high / b.low].
pub fn ratio(a: &Figure, b: &Figure, what: &str) -> Figure {
    let safe = |x: f64| if x > 0.0 { x } else { f64::MIN_POSITIVE };
    Figure {
        value: a.value / safe(b.value),
        low: a.low / safe(b.high),
        high: a.high / safe(b.low),
        unit: "×".into(),
        what: what.into(),
        command: a.command.clone(),
    }
}

/// A judgement on "A costs more than B" from two named figures.
fn costs_more(ev: &Evidence, experiment: &str, a: &str, b: &str, claim: &str) -> Judgement {
    let (Some(fa), Some(fb)) = (ev.figure(a), ev.figure(b)) else {
        return missing(
            ev,
            experiment,
            &format!("needs the `{experiment}` experiment ({a} and {b} were not measured)"),
        );
    };
    let r = ratio(fa, fb, "");
    let word = match against(&r, 1.0 + MARGIN) {
        Compared::Above => Word::Holds,
        _ if against(&r, 1.0 - MARGIN) == Compared::Below => Word::Fails,
        _ => Word::NoClearDifference,
    };
    Judgement {
        word,
        rule: format!(
            "{claim}: holds when {a} exceeds {b} by over {:.0}% with both 95% intervals taken into account; \
             measured {a} = {}, {b} = {}, ratio {}",
            MARGIN * 100.0,
            show(fa),
            show(fb),
            show(&r)
        ),
        figures: vec![a.into(), b.into()],
        commands: vec![fa.command.clone()],
    }
}

pub fn spawn_cost(ev: &Evidence, id: &str) -> Judgement {
    match id {
        "P12" => costs_more(ev, "spawn", "spawn.fork", "spawn.std-thread", "creating and reaping a process (fork + _exit + waitpid) against creating and joining a thread"),
        "A2" => costs_more(ev, "spawn", "spawn.fork", "spawn.std-thread", "a process needs an address space built and freed, a thread does not"),
        "A6" => {
            let mut j = costs_more(ev, "spawn", "spawn.fork-large-heap", "spawn.std-thread", "forking a process with a large resident heap (its page tables are copied) against starting a thread");
            j.rule.push_str(" (the platform: see the machine description; the costs vary by kernel and hardware)");
            j
        }
        _ => {
            // A9: the low-level and the high-level thread API both work, both have locks.
            let (Some(raw), Some(std)) = (ev.figure("spawn.pthread"), ev.figure("spawn.std-thread")) else {
                return missing(ev, "spawn", "needs the `spawn` experiment (raw pthread and std::thread)");
            };
            Judgement {
                word: Word::Holds,
                rule: format!(
                    "Rust's analogue: the low-level API (pthread_create, like CPython's _thread) and the high-level one \
                     (std::thread, like threading) both started and joined threads here — {} and {} per thread; \
                     both have locks (pthread_mutex, std::sync::Mutex)",
                    show(raw),
                    show(std)
                ),
                figures: vec!["spawn.pthread".into(), "spawn.std-thread".into()],
                commands: vec![std.command.clone()],
            }
        }
    }
}

pub fn memory(ev: &Evidence) -> Judgement {
    let t = ev.figure("memory.threads.per-unit");
    let f = ev.figure("memory.processes-fork.per-unit");
    let s = ev.figure("memory.processes.per-unit");
    let Some(t) = t else {
        return missing(ev, "memory", "needs the `memory` experiment");
    };
    let mut more = Vec::new();
    let mut not = Vec::new();
    let mut keys = vec!["memory.threads.per-unit".to_string()];
    for (name, key, fig) in [
        ("forked", "memory.processes-fork.per-unit", f),
        ("spawned", "memory.processes.per-unit", s),
    ] {
        let Some(fig) = fig else { continue };
        keys.push(key.into());
        let r = ratio(fig, t, "");
        let line = format!(
            "{name} processes {} per unit = {} of a thread's",
            show(fig),
            show(&r)
        );
        if against(&r, 1.0 + MARGIN) == Compared::Above {
            more.push(line);
        } else {
            not.push(line);
        }
    }
    if more.is_empty() && not.is_empty() {
        return missing(
            ev,
            "memory",
            "needs the `memory` experiment (no process figures)",
        );
    }
    let word = if not.is_empty() {
        Word::Holds
    } else if more.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: "the start method (fork shares pages copy-on-write, spawn does not)".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when each idle process adds more proportional memory (PSS) than each idle thread ({} per thread); {}",
            show(t),
            more.into_iter().chain(not).collect::<Vec<_>>().join("; ")
        ),
        figures: keys,
        commands: vec![t.command.clone()],
    }
}

/// Speedup thresholds: clearly parallel above, clearly serial below.
const PARALLEL: f64 = 1.5;
const SERIAL: f64 = 1.2;

fn cpus(ev: &Evidence) -> usize {
    ev.figure("scale.cpus")
        .map(|f| f.value as usize)
        .unwrap_or(0)
}

/// Other processes' load (CPUs) during the scaling experiment, if measured.
fn scale_load(ev: &Evidence) -> f64 {
    ev.figure("load.scale").map(|f| f.value).unwrap_or(0.0)
}

/// Above this, the machine was too busy for a CPU-bound verdict.
const BUSY: f64 = crate::verdict::sources::BUSY_CPUS;

pub fn scale(ev: &Evidence, id: &str) -> Judgement {
    let key = match id {
        "P3" => "scale.processes.speedup",
        "T8" | "A5" => "scale.threads.pinned.speedup",
        _ => "scale.threads.speedup",
    };
    let Some(f) = ev.figure(key) else {
        return missing(ev, "scale", "needs the `scale` experiment");
    };
    if cpus(ev) < 2 && !matches!(id, "A5") {
        return missing(
            ev,
            "scale",
            "needs at least two CPUs to run two units at once; this machine lets pingpong use one",
        );
    }
    let load = scale_load(ev);
    let busy = load > BUSY;
    let busy_word = || {
        Word::Depends {
        on: format!("the machine's load: other processes used {load:.2} CPUs meanwhile, so the units could not all get a CPU; rerun on a quieter machine"),
    }
    };
    // How many units ran at once: CPU time ÷ wall time.
    let par_key = if id == "P3" {
        "scale.processes.parallelism"
    } else {
        "scale.threads.parallelism"
    };
    let par = ev.figure(par_key);
    let at_once = par.is_some_and(|p| p.low > SERIAL);
    let one_at_a_time = par.is_none_or(|p| p.high < 1.0 + 5.0 * MARGIN);
    let free = ev.figure("scale.threads.speedup");
    let parallel = against(f, PARALLEL) == Compared::Above;
    let serial = f.high < SERIAL;
    let par_text = par
        .map(|p| format!("; CPU time ÷ wall time {}", show(p)))
        .unwrap_or_default();
    let (word, rule) = match id {
        "T3" => (
            if at_once || parallel { Word::Fails } else if busy { busy_word() } else if serial && one_at_a_time { Word::Holds } else { Word::NoClearDifference },
            format!(
                "fails when CPU-bound Rust threads are seen running at once (CPU time over {SERIAL}× wall time, or a speedup over {PARALLEL}× with {} CPUs); \
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
            let verified = ev.demos.get("scale.pinned-verified");
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
    let mut figures = vec![key.to_string()];
    if par.is_some() && matches!(id, "T3" | "T7" | "P3") {
        figures.push(par_key.into());
    }
    Judgement {
        word,
        rule,
        figures,
        commands: vec![f.command.clone()],
    }
}

pub fn contention(ev: &Evidence) -> Judgement {
    let base = "contention.per-worker";
    let Some(b) = ev.figure(base) else {
        return missing(ev, "contention", "needs the `contention` experiment");
    };
    let mut keys = vec![base.to_string()];
    let mut costly = Vec::new();
    let mut cheap = Vec::new();
    for k in [
        "contention.atomic",
        "contention.mutex",
        "contention.rwlock",
        "contention.channel",
    ] {
        let Some(f) = ev.figure(k) else { continue };
        keys.push(k.into());
        let r = ratio(f, b, "");
        let line = format!(
            "{} {} ({} of unsynchronised)",
            k.trim_start_matches("contention."),
            show(f),
            show(&r)
        );
        if against(&r, 1.0 + MARGIN) == Compared::Above {
            costly.push(line);
        } else {
            cheap.push(line);
        }
    }
    let word = if cheap.is_empty() && !costly.is_empty() {
        Word::Holds
    } else if costly.is_empty() {
        Word::Fails
    } else {
        Word::Depends {
            on: "the mechanism".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when every synchronised way of adding to a shared total costs more CPU per addition than per-worker sums merged at the end ({}); {}",
            show(b),
            costly.into_iter().chain(cheap).collect::<Vec<_>>().join("; ")
        ),
        figures: keys,
        commands: vec![b.command.clone()],
    }
}

pub fn overlap(ev: &Evidence) -> Judgement {
    let (Some(s), Some(n)) = (
        ev.figure("overlap.threads.speedup"),
        ev.figure("overlap.units"),
    ) else {
        return missing(ev, "overlap", "needs the `overlap` experiment");
    };
    let n = n.value;
    let word = if s.low > 0.8 * n {
        Word::Holds
    } else if s.high < SERIAL {
        Word::Fails
    } else {
        Word::Depends {
            on: "how much of the work is waiting".into(),
        }
    };
    Judgement {
        word,
        rule: format!(
            "holds when {n:.0} threads each waiting on I/O finish together over 0.8×{n:.0} times faster than one after another \
             (the processor works while others wait); measured {}",
            show(s)
        ),
        figures: vec!["overlap.threads.speedup".into(), "overlap.units".into()],
        commands: vec![s.command.clone()],
    }
}

pub fn responsive(ev: &Evidence) -> Judgement {
    let (Some(same), Some(other)) = (
        ev.figure("responsive.same-thread.p99"),
        ev.figure("responsive.other-thread.p99"),
    ) else {
        return missing(ev, "responsive", "needs the `responsive` experiment");
    };
    let r = ratio(same, other, "");
    let word = match against(&r, 2.0) {
        Compared::Above => Word::Holds,
        _ if r.high < SERIAL => Word::Fails,
        _ => Word::NoClearDifference,
    };
    Judgement {
        word,
        rule: format!(
            "holds when the interface answers at least twice as fast (99th percentile) with the heavy work on another thread \
             than on its own thread, fails when under {SERIAL}× as fast; same thread {}, other thread {}, ratio {}",
            show(same),
            show(other),
            show(&r)
        ),
        figures: vec!["responsive.same-thread.p99".into(), "responsive.other-thread.p99".into()],
        commands: vec![same.command.clone()],
    }
}

/// P5: processes get around CPython's GIL. Holds when CPython processes
/// speed pure-Python CPU work up over PARALLEL× on N CPUs while CPython
/// threads stay under SERIAL×, on a machine otherwise idle enough to tell.
pub fn gil(ev: &Evidence) -> Judgement {
    let tk = "python.scale.threads.speedup";
    let pk = "python.scale.processes.speedup";
    let (Some(t), Some(p)) = (ev.figure(tk), ev.figure(pk)) else {
        return missing(
            ev,
            "python",
            "needs CPython (pingpong python): no CPython scaling was measured",
        );
    };
    let n = ev
        .figure("python.scale.cpus")
        .map(|f| f.value)
        .unwrap_or(0.0);
    if n < 2.0 {
        return missing(
            ev,
            "python",
            "needs at least two CPUs to run two CPython units at once",
        );
    }
    let load = ev.figure("load.python").map(|f| f.value).unwrap_or(0.0);
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
        figures: vec![pk.into(), tk.into()],
        commands: vec![p.command.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::evidence::Demo;

    fn fig(v: f64, lo: f64, hi: f64) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit: "ns".into(),
            what: String::new(),
            command: "pingpong x".into(),
        }
    }

    fn with(pairs: &[(&str, Figure)]) -> Evidence {
        let mut ev = Evidence::default();
        for (k, f) in pairs {
            ev.put(*k, f.clone());
        }
        ev
    }

    #[test]
    fn p12_holds_when_fork_costs_more_fails_when_less_unclear_inside_noise() {
        let t = fig(20_000.0, 19_000.0, 21_000.0);
        let ev = with(&[
            ("spawn.std-thread", t.clone()),
            ("spawn.fork", fig(90_000.0, 85_000.0, 95_000.0)),
        ]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::Holds);
        let ev = with(&[
            ("spawn.std-thread", t.clone()),
            ("spawn.fork", fig(10_000.0, 9_000.0, 11_000.0)),
        ]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::Fails);
        let ev = with(&[
            ("spawn.std-thread", t),
            ("spawn.fork", fig(20_500.0, 18_000.0, 23_000.0)),
        ]);
        assert_eq!(spawn_cost(&ev, "P12").word, Word::NoClearDifference);
    }

    #[test]
    fn p9_depends_on_the_start_method_when_only_spawned_processes_cost_more() {
        let ev = with(&[
            ("memory.threads.per-unit", fig(40.0, 38.0, 42.0)),
            ("memory.processes-fork.per-unit", fig(41.0, 30.0, 50.0)),
            ("memory.processes.per-unit", fig(900.0, 880.0, 920.0)),
        ]);
        assert!(matches!(memory(&ev).word, Word::Depends { .. }));
        let ev = with(&[
            ("memory.threads.per-unit", fig(40.0, 38.0, 42.0)),
            ("memory.processes.per-unit", fig(900.0, 880.0, 920.0)),
        ]);
        assert_eq!(memory(&ev).word, Word::Holds);
        let ev = with(&[
            ("memory.threads.per-unit", fig(400.0, 380.0, 420.0)),
            ("memory.processes.per-unit", fig(90.0, 88.0, 92.0)),
        ]);
        assert_eq!(memory(&ev).word, Word::Fails);
    }

    #[test]
    fn t3_fails_for_parallel_threads_and_holds_for_serial_ones() {
        let two = ("scale.cpus", fig(2.0, 2.0, 2.0));
        let ev = with(&[two.clone(), ("scale.threads.speedup", fig(1.9, 1.8, 1.95))]);
        assert_eq!(scale(&ev, "T3").word, Word::Fails);
        assert_eq!(scale(&ev, "T7").word, Word::Holds);
        let ev = with(&[two.clone(), ("scale.threads.speedup", fig(1.0, 0.95, 1.05))]);
        assert_eq!(scale(&ev, "T3").word, Word::Holds);
        assert_eq!(scale(&ev, "T7").word, Word::Fails);
        let ev = with(&[two, ("scale.threads.speedup", fig(1.4, 1.2, 1.6))]);
        assert_eq!(scale(&ev, "T3").word, Word::NoClearDifference);
    }

    #[test]
    fn a_busy_machine_makes_scaling_depend_on_load_not_hold() {
        let ev = with(&[
            ("scale.cpus", fig(2.0, 2.0, 2.0)),
            ("scale.threads.speedup", fig(1.0, 0.99, 1.01)),
            ("scale.threads.parallelism", fig(1.0, 1.0, 1.0)),
            ("load.scale", fig(0.9, 0.9, 0.9)),
        ]);
        assert!(matches!(scale(&ev, "T3").word, Word::Depends { .. }));
        assert!(matches!(scale(&ev, "T7").word, Word::Depends { .. }));
    }

    #[test]
    fn threads_seen_using_two_cpus_refute_t3_even_without_a_speedup() {
        let ev = with(&[
            ("scale.cpus", fig(2.0, 2.0, 2.0)),
            ("scale.threads.speedup", fig(1.1, 1.0, 1.2)),
            ("scale.threads.parallelism", fig(1.9, 1.9, 1.9)),
        ]);
        assert_eq!(scale(&ev, "T3").word, Word::Fails);
    }

    #[test]
    fn scaling_needs_two_cpus() {
        let ev = with(&[
            ("scale.cpus", fig(1.0, 1.0, 1.0)),
            ("scale.threads.speedup", fig(1.0, 1.0, 1.0)),
        ]);
        assert!(matches!(scale(&ev, "T3").word, Word::NotMeasurable { .. }));
    }

    #[test]
    fn t8_and_a5_read_the_pinned_run() {
        let mut ev = with(&[
            ("scale.cpus", fig(2.0, 2.0, 2.0)),
            ("scale.threads.speedup", fig(1.9, 1.8, 1.95)),
            ("scale.threads.pinned.speedup", fig(1.0, 0.97, 1.02)),
        ]);
        assert_eq!(scale(&ev, "T8").word, Word::Holds);
        ev.demos.insert(
            "scale.pinned-verified".into(),
            Demo {
                shows_claim: true,
                shown: "ok".into(),
            },
        );
        assert_eq!(scale(&ev, "A5").word, Word::Holds);
        ev.demos.insert(
            "scale.pinned-verified".into(),
            Demo {
                shows_claim: false,
                shown: "wrong sum".into(),
            },
        );
        assert_eq!(scale(&ev, "A5").word, Word::Fails);
        ev.put("scale.threads.pinned.speedup", fig(1.9, 1.8, 1.95));
        assert_eq!(scale(&ev, "T8").word, Word::Fails);
    }

    #[test]
    fn t10_holds_when_every_lock_costs_more_than_private_sums() {
        let base = ("contention.per-worker", fig(1.0, 0.9, 1.1));
        let ev = with(&[
            base.clone(),
            ("contention.atomic", fig(20.0, 19.0, 21.0)),
            ("contention.mutex", fig(50.0, 45.0, 55.0)),
        ]);
        assert_eq!(contention(&ev).word, Word::Holds);
        let ev = with(&[base.clone(), ("contention.atomic", fig(1.0, 0.9, 1.1))]);
        assert_eq!(contention(&ev).word, Word::Fails);
        let ev = with(&[
            base,
            ("contention.atomic", fig(1.0, 0.9, 1.1)),
            ("contention.mutex", fig(50.0, 45.0, 55.0)),
        ]);
        assert!(matches!(contention(&ev).word, Word::Depends { .. }));
    }

    #[test]
    fn t6_reads_the_overlap_speedup_against_the_number_of_units() {
        let n = ("overlap.units", fig(8.0, 8.0, 8.0));
        let ev = with(&[n.clone(), ("overlap.threads.speedup", fig(7.8, 7.6, 7.9))]);
        assert_eq!(overlap(&ev).word, Word::Holds);
        let ev = with(&[n.clone(), ("overlap.threads.speedup", fig(1.0, 0.9, 1.1))]);
        assert_eq!(overlap(&ev).word, Word::Fails);
        let ev = with(&[n, ("overlap.threads.speedup", fig(4.0, 3.0, 5.0))]);
        assert!(matches!(overlap(&ev).word, Word::Depends { .. }));
    }

    #[test]
    fn t4_holds_when_another_thread_keeps_the_interface_fast() {
        let other = ("responsive.other-thread.p99", fig(1_000.0, 900.0, 1_100.0));
        let ev = with(&[
            other.clone(),
            (
                "responsive.same-thread.p99",
                fig(50_000.0, 45_000.0, 55_000.0),
            ),
        ]);
        assert_eq!(responsive(&ev).word, Word::Holds);
        let ev = with(&[
            other.clone(),
            ("responsive.same-thread.p99", fig(1_000.0, 950.0, 1_050.0)),
        ]);
        assert_eq!(responsive(&ev).word, Word::Fails);
        let ev = with(&[
            other,
            ("responsive.same-thread.p99", fig(1_500.0, 1_000.0, 2_500.0)),
        ]);
        assert_eq!(responsive(&ev).word, Word::NoClearDifference);
    }
}
