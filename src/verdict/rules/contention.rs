//! The rule read from threads adding to one total: synchronisation costs
//! extra memory and CPU (T10).
//!
//! Each synchronised way of adding (atomic, mutex, rwlock, channel) is set
//! against per-worker sums merged at the end: its CPU time per addition over
//! the range of interleaved repetitions (more, less, or inside the noise),
//! and the bytes it adds beyond the `u64` it guards or carries (exact, or
//! not measured). A mechanism that costs more of both bears the claim out;
//! one that costs more of neither refutes it; mechanisms that differ make it
//! depend on the mechanism.

use super::{missing, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence, Figure};
use crate::experiment::contention::{key, Method};

/// What one mechanism costs against per-worker sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cost {
    /// More CPU, and more memory (or memory not measured).
    Both,
    /// Clearly less CPU and no extra memory.
    Neither,
    /// CPU inside the noise and no extra memory shown.
    Unclear,
    /// More of one, not of the other.
    Partly,
}

pub fn contention(ev: &Evidence) -> Judgement {
    let base = key::cpu_per_add(Method::PerWorker);
    let Some(b) = ev.figure(&base) else {
        return missing(ev, &["contention"], "needs the `contention` experiment");
    };
    let mut keys = vec![base.clone()];
    let mut costs = Vec::new();
    let mut lines = Vec::new();
    let mut partly = Vec::new();
    for m in Method::SYNCHRONISED {
        let k = key::cpu_per_add(m);
        let Some(f) = ev.figure(&k) else { continue };
        keys.push(k);
        let bk = key::extra_bytes(m);
        let bytes = ev.figure(&bk).map(|f| f.value);
        if bytes.is_some() {
            keys.push(bk);
        }
        let (cost, line, part) = mechanism(m, f, b, bytes);
        partly.extend(part);
        lines.push(line);
        costs.push((m, cost));
    }
    if costs.is_empty() {
        return missing(
            ev,
            &["contention"],
            "needs the `contention` experiment (no synchronised figures)",
        );
    }
    Judgement {
        word: word(&costs, partly),
        rule: format!(
            "holds when every synchronised way of adding to a shared total costs more CPU per addition than per-worker sums \
             merged at the end ({}), over the whole range of interleaved repetitions, and more memory than the u64 it guards \
             or carries; a CPU difference inside that range is no clear difference. {}",
            show(b),
            lines.join("; ")
        ),
        figures: keys,
        commands: vec![b.command.clone()],
    }
}

/// One mechanism `m` (CPU time per addition `f`, extra `bytes`) against
/// per-worker sums (`b`): what it costs, its line of the rule, and (when it
/// costs only one of the two) what it costs in words.
fn mechanism(
    m: Method,
    f: &Figure,
    b: &Figure,
    bytes: Option<f64>,
) -> (Cost, String, Option<String>) {
    let r = f.over(b, "");
    let cpu = match against(&r, 1.0 + MARGIN) {
        Compared::Above => Compared::Above,
        _ if against(&r, 1.0 - MARGIN) == Compared::Below => Compared::Below,
        _ => Compared::Inside,
    };
    let more_memory = bytes.map(|v| v > 0.0);
    let cost = match (cpu, more_memory) {
        (Compared::Above, Some(true) | None) => Cost::Both,
        (Compared::Below, Some(false)) => Cost::Neither,
        (Compared::Inside, Some(false) | None) => Cost::Unclear,
        (Compared::Below, None) => Cost::Neither,
        _ => Cost::Partly,
    };
    let cpu_words = match cpu {
        Compared::Above => "more CPU",
        Compared::Below => "less CPU",
        Compared::Inside => "no clear difference in CPU",
    };
    let memory_words = match bytes {
        Some(v) if v > 0.0 => format!("{v:.0} B more memory"),
        Some(_) => "no extra memory".into(),
        None => "memory not measured".into(),
    };
    let partly = (cost == Cost::Partly).then(|| format!("{m}: {cpu_words}, {memory_words}"));
    let line = format!(
        "{m} {} per addition ({} of unsynchronised): {cpu_words}, {memory_words}",
        show(f),
        show(&r)
    );
    (cost, line, partly)
}

/// The word: what every mechanism costs alike, or that it depends on the
/// mechanism (naming those that cost only one of the two, else all).
fn word(costs: &[(Method, Cost)], partly: Vec<String>) -> Word {
    if costs.iter().all(|(_, c)| *c == costs[0].1) && costs[0].1 != Cost::Partly {
        match costs[0].1 {
            Cost::Both => Word::Holds,
            Cost::Neither => Word::Fails,
            _ => Word::NoClearDifference,
        }
    } else {
        let differ: Vec<String> = if partly.is_empty() {
            costs
                .iter()
                .map(|(m, c)| {
                    let w = match c {
                        Cost::Both => "costs more CPU and memory",
                        Cost::Neither => "costs neither",
                        Cost::Unclear => "no clear difference",
                        Cost::Partly => "costs one of them",
                    };
                    format!("{m} {w}")
                })
                .collect()
        } else {
            partly
        };
        Word::Depends {
            on: format!("the mechanism ({})", differ.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{fig, with};
    use super::*;
    use crate::evidence::{Figure, Unit};

    fn bytes(v: f64) -> Figure {
        Figure::exact(v, Unit::Bytes, "", "pingpong contention")
    }

    /// A mechanism's CPU per addition (value, low, high) and extra bytes.
    type Case = (Method, (f64, f64, f64), Option<f64>);

    /// Evidence of per-worker sums at 1 ns and each case.
    fn ev(cases: &[Case]) -> Evidence {
        let mut pairs = vec![(key::cpu_per_add(Method::PerWorker), fig(1.0, 0.9, 1.1))];
        for &(m, (v, lo, hi), b) in cases {
            pairs.push((key::cpu_per_add(m), fig(v, lo, hi)));
            if let Some(b) = b {
                pairs.push((key::extra_bytes(m), bytes(b)));
            }
        }
        with(&pairs)
    }

    #[test]
    fn t10_holds_when_every_mechanism_costs_more_cpu_and_memory() {
        let e = ev(&[
            (Method::Mutex, (50.0, 45.0, 55.0), Some(8.0)),
            (Method::Channel, (90.0, 85.0, 99.0), Some(1082.0)),
        ]);
        assert_eq!(contention(&e).word, Word::Holds);
    }

    #[test]
    fn t10_fails_when_synchronising_costs_neither_cpu_nor_memory() {
        let e = ev(&[(Method::Atomic, (0.5, 0.45, 0.55), Some(0.0))]);
        assert_eq!(contention(&e).word, Word::Fails);
    }

    #[test]
    fn t10_a_cpu_difference_inside_the_noise_is_no_clear_difference_not_a_failure() {
        let e = ev(&[(Method::Atomic, (0.95, 0.8, 1.2), Some(0.0))]);
        assert_eq!(contention(&e).word, Word::NoClearDifference);
    }

    #[test]
    fn t10_depends_on_the_mechanism_when_an_atomic_costs_cpu_but_no_memory() {
        let e = ev(&[
            (Method::Atomic, (8.0, 7.5, 8.5), Some(0.0)),
            (Method::Mutex, (50.0, 45.0, 55.0), Some(8.0)),
        ]);
        match contention(&e).word {
            Word::Depends { on } => assert!(on.contains("atomic"), "{on}"),
            w => panic!("{w:?}"),
        }
        // Mechanisms that differ in CPU alone make it depend as well.
        let e = ev(&[
            (Method::Atomic, (1.0, 0.9, 1.1), None),
            (Method::Mutex, (50.0, 45.0, 55.0), None),
        ]);
        assert!(matches!(contention(&e).word, Word::Depends { .. }));
    }

    #[test]
    fn t10_says_when_memory_was_not_measured_and_judges_the_cpu() {
        let e = ev(&[(Method::Mutex, (50.0, 45.0, 55.0), None)]);
        let j = contention(&e);
        assert_eq!(j.word, Word::Holds);
        assert!(j.rule.contains("memory not measured"), "{}", j.rule);
    }

    #[test]
    fn t10_is_not_measurable_without_the_experiment() {
        assert!(matches!(
            contention(&Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
        // Per-worker sums alone compare nothing.
        assert!(matches!(
            contention(&ev(&[])).word,
            Word::NotMeasurable { .. }
        ));
    }
}
