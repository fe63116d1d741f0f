//! What a process costs against a thread before any work: to start and
//! end it (fork + wait), and to keep it idle in memory (PSS).

use super::{brief, compare, measured, unmeasured, why, Sentence, Topic};
use crate::evidence::{Compared, Evidence};
use crate::experiment::{memory, spawn_cost};
use crate::kinds::UnitKind;

/// What starting and ending a process costs against a thread.
pub(super) fn start(ev: &Evidence, ru: bool) -> Sentence {
    use spawn_cost::{key, Method};
    let (fk, tk) = (
        key::total(Method::Fork, false),
        key::total(Method::StdThread, false),
    );
    let (Some(fork), Some(thread)) = (ev.figure(&fk), ev.figure(&tk)) else {
        let why = why(ev, "spawn", ru);
        return unmeasured(
            Topic::Start,
            if ru {
                format!("Цена запуска процесса против потока не измерена: {why}.")
            } else {
                format!("What a process costs to start against a thread was not measured: {why}.")
            },
        );
    };
    let r = fork.over(thread, "");
    let (f, t, r) = (brief(fork), brief(thread), brief(&r));
    let text = match (compare(fork, thread), ru) {
        (Compared::Above, false) => format!(
            "A process took {f} to start and end (fork + wait), a thread {t}: {r} as long."
        ),
        (Compared::Below, false) => format!(
            "A process took {f} to start and end (fork + wait), less than a thread's {t}: {r} as long."
        ),
        (Compared::Inside, false) => format!(
            "A process took {f} to start and end (fork + wait), a thread {t}: about the same ({r}, inside the noise)."
        ),
        (Compared::Above, true) => format!(
            "Создать и завершить процесс (fork + wait) — {f}, поток — {t}: в {r} дольше."
        ),
        (Compared::Below, true) => format!(
            "Создать и завершить процесс (fork + wait) — {f}, быстрее потока ({t}): {r}."
        ),
        (Compared::Inside, true) => format!(
            "Создать и завершить процесс (fork + wait) — {f}, поток — {t}: примерно одинаково ({r}, в пределах шума)."
        ),
    };
    measured(Topic::Start, text, vec![fk, tk])
}

/// What an idle process keeps in memory against a thread.
pub(super) fn keep(ev: &Evidence, ru: bool) -> Sentence {
    use memory::key;
    let tk = key::pss_per_unit(UnitKind::Thread);
    let fk = key::pss_per_unit(UnitKind::Fork);
    let sk = key::pss_per_unit(UnitKind::Spawn);
    let (thread, fork, spawned) = (ev.figure(&tk), ev.figure(&fk), ev.figure(&sk));
    let (Some(thread), Some(process)) = (thread, fork.or(spawned)) else {
        let why = why(ev, "memory", ru);
        return unmeasured(
            Topic::Memory,
            if ru {
                format!("Память простаивающего процесса против потока не измерена: {why}.")
            } else {
                format!("What an idle process keeps in memory against a thread was not measured: {why}.")
            },
        );
    };
    let mut keys = vec![tk];
    let mut processes = Vec::new();
    if let Some(f) = fork {
        keys.push(fk);
        processes.push(if ru {
            format!("{} (fork)", brief(f))
        } else {
            format!("{} forked", brief(f))
        });
    }
    if let Some(s) = spawned {
        keys.push(sk);
        processes.push(if ru {
            format!("{} (exec заново)", brief(s))
        } else {
            format!("{} re-executed", brief(s))
        });
    }
    let (p, t) = (processes.join(", "), brief(thread));
    let text = match (compare(process, thread), ru) {
        (Compared::Above, false) => format!(
            "An idle process added more memory than a thread: {p}, against {t} (PSS)."
        ),
        (Compared::Below, false) => format!(
            "An idle process added less memory than a thread: {p}, against {t} (PSS)."
        ),
        (Compared::Inside, false) => format!(
            "An idle process and an idle thread added about the same memory: {p}, against {t} (PSS)."
        ),
        (Compared::Above, true) => format!(
            "Простаивающий процесс добавил больше памяти, чем поток: {p} против {t} (PSS)."
        ),
        (Compared::Below, true) => format!(
            "Простаивающий процесс добавил меньше памяти, чем поток: {p} против {t} (PSS)."
        ),
        (Compared::Inside, true) => format!(
            "Простаивающие процесс и поток добавили примерно одинаково памяти: {p} против {t} (PSS)."
        ),
    };
    measured(Topic::Memory, text, keys)
}

#[cfg(test)]
mod tests {
    use super::super::of;
    use super::super::testing::{ev, fig, sentence};
    use super::*;
    use crate::evidence::{Figure, Unit};
    use spawn_cost::Method;

    fn spawn(fork: f64, thread: f64) -> Vec<(String, Figure)> {
        vec![
            (
                spawn_cost::key::total(Method::Fork, false),
                fig(fork, fork * 0.95, fork * 1.05, Unit::Ns),
            ),
            (
                spawn_cost::key::total(Method::StdThread, false),
                fig(thread, thread * 0.95, thread * 1.05, Unit::Ns),
            ),
        ]
    }

    #[test]
    fn the_start_sentence_cites_its_figures_and_turns_with_them() {
        let dear = of(&ev(&spawn(80_000.0, 20_000.0)), &[], None, false);
        let cheap = of(&ev(&spawn(10_000.0, 20_000.0)), &[], None, false);
        let (a, b) = (
            sentence(&dear, Topic::Start),
            sentence(&cheap, Topic::Start),
        );
        assert!(a.measured && b.measured);
        assert_ne!(a.text, b.text);
        assert!(a.text.contains("80.0 µs (76.0–84.0)"), "{}", a.text);
        assert!(a.text.contains("4.00×"), "the ratio is cited: {}", a.text);
        assert!(b.text.contains("less"), "{}", b.text);
        assert_eq!(a.figures.len(), 2);
        // Inside the noise: said so.
        let alike = of(&ev(&spawn(20_100.0, 20_000.0)), &[], None, false);
        assert!(sentence(&alike, Topic::Start)
            .text
            .contains("about the same"));
    }
}
