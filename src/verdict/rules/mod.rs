//! One rule per claim: evidence in, a verdict word out, with the rule
//! spelled out and the figures it used. Nothing here is decided in advance:
//! every word is computed from the figures just measured, and a difference
//! inside the noise never becomes "holds".

mod experiments;
mod faults;

use super::evidence::{against, show, Compared, Evidence};
use serde::{Deserialize, Serialize};

/// A difference must exceed this (as a ratio, 1 ± MARGIN) in every
/// interleaved repetition to count.
pub const MARGIN: f64 = 0.02;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "word", rename_all = "snake_case")]
pub enum Word {
    Holds,
    Fails,
    Depends { on: String },
    NoClearDifference,
    NotMeasurable { why: String },
}

impl Word {
    pub fn label(&self, ru: bool) -> String {
        match (self, ru) {
            (Word::Holds, false) => "holds".into(),
            (Word::Holds, true) => "верно".into(),
            (Word::Fails, false) => "fails".into(),
            (Word::Fails, true) => "неверно".into(),
            (Word::Depends { on }, false) => format!("depends on {on}"),
            (Word::Depends { on }, true) => format!("зависит: {on}"),
            (Word::NoClearDifference, false) => "no clear difference".into(),
            (Word::NoClearDifference, true) => "нет явной разницы".into(),
            (Word::NotMeasurable { .. }, false) => "not measurable here".into(),
            (Word::NotMeasurable { .. }, true) => "здесь не измерить".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub word: Word,
    /// The rule and what it found, in one or two sentences.
    pub rule: String,
    /// Keys of the figures the verdict rests on.
    pub figures: Vec<String>,
    /// Commands that reproduce the experiments alone.
    pub commands: Vec<String>,
}

pub(crate) fn missing(ev: &Evidence, experiment: &str, fallback: &str) -> Judgement {
    let why = ev
        .missing
        .get(experiment)
        .map(|m| m.why.clone())
        .unwrap_or_else(|| fallback.to_string());
    Judgement {
        word: Word::NotMeasurable { why: why.clone() },
        rule: why,
        figures: vec![],
        commands: vec![],
    }
}

fn demo(ev: &Evidence, key: &str, claim: &str) -> Judgement {
    match ev.demos.get(key) {
        Some(d) => Judgement {
            word: if d.shows_claim {
                Word::Holds
            } else {
                Word::Fails
            },
            rule: format!("definitional, shown live: {}", d.shown),
            figures: vec![],
            commands: vec!["pingpong verdict".into()],
        },
        None => missing(
            ev,
            key,
            &format!("the demonstration for {claim} was not run"),
        ),
    }
}

/// "processes are slower than threads" over the kernel channels measured,
/// in each placement: every interleaved ratio above 1 + MARGIN → slower.
fn processes_slower(ev: &Evidence, placements: &[&str], what: &str) -> Judgement {
    let mut keys = Vec::new();
    let mut above = Vec::new();
    let mut other = Vec::new();
    let mut commands = Vec::new();
    for (key, f) in ev.figures.iter() {
        let Some(rest) = key.strip_prefix("rally.") else {
            continue;
        };
        let Some((placement, tail)) = rest.split_once('.') else {
            continue;
        };
        if !placements.contains(&placement) || !tail.ends_with(".ratio") {
            continue;
        }
        let channel = tail.trim_end_matches(".ratio");
        keys.push(key.clone());
        if !commands.contains(&f.command) {
            commands.push(f.command.clone());
        }
        let label = format!("{channel} ({placement}) {}", show(f));
        match against(f, 1.0 + MARGIN) {
            Compared::Above => above.push(label),
            _ => other.push((label, against(f, 1.0 - MARGIN) == Compared::Below)),
        }
    }
    if keys.is_empty() {
        return missing(
            ev,
            "rally",
            "the rally between threads and processes was not measured",
        );
    }
    let rule = format!(
        "{what}: holds when processes take over {:.0}% longer per round trip than threads in every interleaved repetition, \
         on every kernel channel and placement measured (processes ÷ threads)",
        MARGIN * 100.0
    );
    let word = if other.is_empty() {
        Word::Holds
    } else if above.is_empty() && other.iter().all(|(_, below)| *below) {
        Word::Fails
    } else if above.is_empty() {
        Word::NoClearDifference
    } else {
        let same = above.iter().all(|l| l.contains("same-cpu"));
        Word::Depends {
            on: if same && placements.len() > 1 {
                "placement: slower with both players on one CPU, not across CPUs".into()
            } else {
                "the channel".into()
            },
        }
    };
    let found = format!(
        "{rule}. Slower: {}. Not clearly slower: {}.",
        if above.is_empty() {
            "none".into()
        } else {
            above.join(", ")
        },
        if other.is_empty() {
            "none".into()
        } else {
            other
                .iter()
                .map(|(l, _)| l.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    Judgement {
        word,
        rule: found,
        figures: keys,
        commands,
    }
}

/// A4: switching between threads is cheaper than between processes: a
/// blocking rally with both players on one CPU, threads vs processes.
fn switching(ev: &Evidence) -> Judgement {
    let key = "rally.same-cpu.pipe.ratio";
    let Some(f) = ev.figure(key) else {
        return missing(ev, "rally", "the rally on one CPU was not measured");
    };
    let word = match against(f, 1.0 + MARGIN) {
        Compared::Above => Word::Holds,
        _ if against(f, 1.0 - MARGIN) == Compared::Below => Word::Fails,
        _ => Word::NoClearDifference,
    };
    Judgement {
        word,
        rule: format!(
            "holds when a pipe round trip with both players on one CPU (two switches per round trip) takes over {:.0}% \
             longer between processes than between threads in every repetition; measured processes ÷ threads = {}",
            MARGIN * 100.0,
            show(f)
        ),
        figures: vec![key.into()],
        commands: vec![f.command.clone()],
    }
}

/// P7: network IPC between hosts.
fn network(ev: &Evidence) -> Judgement {
    if let (Some(tcp), Some(udp)) = (ev.figure("hosts.tcp.median"), ev.figure("hosts.udp.median")) {
        let why = format!(
            "TCP and UDP carried verified balls between processes on two hosts (pingpong serve and run --between hosts): \
             {} per round trip over TCP, {} over UDP; the hosts were network endpoints of their own \
             (loopback in the verdict, network namespaces on a veth pair in tests/net_hosts.rs), not separate machines",
            show(tcp),
            show(udp)
        );
        let mut commands = vec![tcp.command.clone()];
        if udp.command != tcp.command {
            commands.push(udp.command.clone());
        }
        return Judgement {
            word: Word::Holds,
            rule: why,
            figures: vec!["hosts.tcp.median".into(), "hosts.udp.median".into()],
            commands,
        };
    }
    let loopback = ev.figure("rally.free.tcp.processes.median");
    let why = match loopback {
        Some(f) => format!(
            "needs a second host (the pingpong serve / --peer rally did not run); over loopback TCP, processes on this machine \
             exchanged verified balls in {} per round trip",
            show(f)
        ),
        None => "needs a second host (the pingpong serve / --peer rally did not run)".into(),
    };
    Judgement {
        word: Word::NotMeasurable { why: why.clone() },
        rule: why,
        figures: loopback
            .map(|_| vec!["rally.free.tcp.processes.median".into()])
            .unwrap_or_default(),
        commands: loopback
            .map(|f| vec![f.command.clone()])
            .unwrap_or_default(),
    }
}

/// The verdict on claim `id` from `ev`.
pub fn judge(id: &str, ev: &Evidence) -> Judgement {
    match id {
        "T1" => demo(ev, "threads_share_a_pid", "T1"),
        "P2" => demo(ev, "threads_share_a_pid", "P2"),
        "P1" => demo(ev, "the_os_makes_a_process", "P1"),
        "T2" | "T5" | "A8" => demo(ev, "threads_share_globals", id),
        "P11" => processes_slower(ev, &["same-cpu", "free"], "kernel channels only (pipe, Unix socket, TCP); the shared-memory channels (`pingpong run --via spin,shm-ring`) do not enter this rule yet"),
        "A3" => processes_slower(ev, &["same-cpu", "free"], "threads and processes exchanging data over the same kernel channels"),
        "A4" => switching(ev),
        "P7" => network(ev),
        "T3" | "T7" | "P3" | "T8" | "A5" => experiments::scale(ev, id),
        "T4" => experiments::responsive(ev),
        "T6" | "A1" => experiments::overlap(ev),
        "T10" => experiments::contention(ev),
        "P9" => experiments::memory(ev),
        "P12" | "A2" | "A6" | "A9" => experiments::spawn_cost(ev, id),
        "T11" | "P6" | "T12" | "T13" | "T9" | "P4" | "P10" | "P8" | "A7" => faults::judge(ev, id),
        "P5" => experiments::gil(ev),
        other => missing(ev, other, &format!("no rule for claim {other}")),
    }
}

/// The claims judged in both worlds: Rust's column and CPython's.
pub const BOTH: &[&str] = &["T3", "T7", "P3", "P12", "A2", "P9", "P11", "A3"];

/// The verdict on claim `id` from CPython's figures (`python.*`), by the
/// same rule as Rust's; None for claims CPython is not measured on.
pub fn judge_cpython(id: &str, ev: &Evidence) -> Option<Judgement> {
    if !BOTH.contains(&id) {
        return None;
    }
    let view = crate::verdict::python::as_rust(ev);
    let mut j = judge(id, &view);
    j.rule = j.rule.replace("Rust threads", "CPython threads");
    j.figures = j
        .figures
        .into_iter()
        .map(|k| match k.as_str() {
            "spawn.std-thread" => "python.spawn.thread".into(),
            _ => format!("python.{k}"),
        })
        .collect();
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::evidence::{Demo, Figure};

    fn py(
        speedup_threads: (f64, f64, f64),
        speedup_processes: (f64, f64, f64),
        load: f64,
    ) -> Evidence {
        let mut ev = Evidence::default();
        let (a, b, c) = speedup_threads;
        ev.put("python.scale.threads.speedup", ratio(a, b, c));
        let (a, b, c) = speedup_processes;
        ev.put("python.scale.processes.speedup", ratio(a, b, c));
        ev.put("python.scale.cpus", ratio(2.0, 2.0, 2.0));
        ev.put("load.python", ratio(load, load, load));
        ev
    }

    #[test]
    fn p5_holds_when_processes_scale_and_threads_do_not() {
        let ev = py((1.02, 0.98, 1.05), (1.9, 1.8, 1.95), 0.0);
        assert_eq!(judge("P5", &ev).word, Word::Holds);
    }

    #[test]
    fn p5_fails_when_threads_scale_too_as_without_a_gil() {
        let ev = py((1.9, 1.8, 1.95), (1.9, 1.8, 1.95), 0.0);
        assert_eq!(judge("P5", &ev).word, Word::Fails);
    }

    #[test]
    fn p5_inside_the_noise_is_no_clear_difference() {
        let ev = py((1.1, 1.0, 1.3), (1.45, 1.3, 1.6), 0.0);
        assert_eq!(judge("P5", &ev).word, Word::NoClearDifference);
    }

    #[test]
    fn p5_on_a_busy_machine_depends_on_the_load() {
        let ev = py((1.0, 0.98, 1.05), (1.1, 1.0, 1.2), 1.5);
        assert!(matches!(judge("P5", &ev).word, Word::Depends { .. }));
    }

    #[test]
    fn without_cpython_the_cpython_column_is_not_measurable() {
        let mut ev = Evidence::default();
        ev.missing.insert(
            "python".into(),
            crate::verdict::evidence::Missing {
                why: "no python3 found on PATH".into(),
            },
        );
        for id in BOTH {
            match judge_cpython(id, &ev).map(|j| j.word) {
                Some(Word::NotMeasurable { why }) => {
                    assert!(why.contains("python3"), "{id}: {why}")
                }
                w => panic!("{id}: {w:?}"),
            }
        }
        assert!(judge_cpython("T1", &ev).is_none());
        assert!(matches!(judge("P5", &ev).word, Word::NotMeasurable { .. }));
        // The verdict document still has every claim.
        assert!(!crate::verdict::judge_all(&ev).is_empty());
    }

    #[test]
    fn the_cpython_column_judges_cpython_figures_by_the_rust_rule() {
        let mut ev = py((1.02, 0.98, 1.05), (1.9, 1.8, 1.95), 0.0);
        ev.put("python.scale.threads.parallelism", ratio(1.0, 1.0, 1.0));
        // CPython threads do not scale: "threads cannot run at once" holds there.
        assert_eq!(judge_cpython("T3", &ev).unwrap().word, Word::Holds);
        assert_eq!(judge_cpython("P3", &ev).unwrap().word, Word::Holds);
        assert_eq!(judge_cpython("T7", &ev).unwrap().word, Word::Fails);
    }

    fn ratio(v: f64, lo: f64, hi: f64) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit: "×".into(),
            what: "ratio".into(),
            command: "pingpong run".into(),
        }
    }

    fn rally(same: [(f64, f64, f64); 2], free: [(f64, f64, f64); 2]) -> Evidence {
        let mut ev = Evidence::default();
        for (placement, set) in [("same-cpu", same), ("free", free)] {
            for (channel, (v, lo, hi)) in ["pipe", "unix"].into_iter().zip(set) {
                ev.put(
                    format!("rally.{placement}.{channel}.ratio"),
                    ratio(v, lo, hi),
                );
            }
        }
        ev
    }

    #[test]
    fn p11_holds_when_processes_are_slower_everywhere() {
        let ev = rally(
            [(1.13, 1.12, 1.14), (1.10, 1.08, 1.12)],
            [(1.2, 1.1, 1.3), (1.05, 1.03, 1.07)],
        );
        assert_eq!(judge("P11", &ev).word, Word::Holds);
    }

    #[test]
    fn p11_fails_when_processes_are_faster_everywhere() {
        let ev = rally(
            [(0.9, 0.85, 0.95), (0.9, 0.88, 0.92)],
            [(0.8, 0.7, 0.9), (0.9, 0.85, 0.95)],
        );
        assert_eq!(judge("P11", &ev).word, Word::Fails);
    }

    #[test]
    fn p11_inside_the_noise_is_no_clear_difference() {
        let ev = rally(
            [(1.0, 0.97, 1.03), (1.01, 0.99, 1.02)],
            [(0.99, 0.95, 1.04), (1.0, 0.98, 1.01)],
        );
        assert_eq!(judge("P11", &ev).word, Word::NoClearDifference);
    }

    #[test]
    fn p11_depends_on_placement_when_only_one_cpu_shows_it() {
        let ev = rally(
            [(1.13, 1.12, 1.14), (1.10, 1.08, 1.12)],
            [(1.0, 0.97, 1.03), (0.99, 0.98, 1.01)],
        );
        match judge("P11", &ev).word {
            Word::Depends { on } => assert!(on.contains("placement"), "{on}"),
            w => panic!("expected depends, got {w:?}"),
        }
    }

    #[test]
    fn a4_holds_fails_or_stays_unclear_on_the_one_cpu_pipe_ratio() {
        let mut ev = Evidence::default();
        ev.put("rally.same-cpu.pipe.ratio", ratio(1.13, 1.12, 1.14));
        assert_eq!(judge("A4", &ev).word, Word::Holds);
        ev.put("rally.same-cpu.pipe.ratio", ratio(0.9, 0.88, 0.93));
        assert_eq!(judge("A4", &ev).word, Word::Fails);
        ev.put("rally.same-cpu.pipe.ratio", ratio(1.0, 0.99, 1.03));
        assert_eq!(judge("A4", &ev).word, Word::NoClearDifference);
    }

    #[test]
    fn a_definitional_claim_follows_its_demonstration() {
        let mut ev = Evidence::default();
        ev.demos.insert(
            "threads_share_a_pid".into(),
            Demo {
                shows_claim: true,
                shown: "x".into(),
            },
        );
        assert_eq!(judge("T1", &ev).word, Word::Holds);
        ev.demos.insert(
            "threads_share_a_pid".into(),
            Demo {
                shows_claim: false,
                shown: "x".into(),
            },
        );
        assert_eq!(judge("T1", &ev).word, Word::Fails);
    }

    #[test]
    fn without_evidence_a_claim_is_not_measurable_and_says_why() {
        let j = judge("P12", &Evidence::default());
        match j.word {
            Word::NotMeasurable { why } => assert!(why.contains("spawn"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn every_claim_has_a_rule() {
        for c in crate::verdict::claims::all() {
            let j = judge(&c.id, &Evidence::default());
            assert!(!j.rule.contains("no rule for claim"), "{}", c.id);
        }
    }

    #[test]
    fn p7_holds_once_the_hosts_rally_ran_and_waits_for_it_otherwise() {
        let mut ev = Evidence::default();
        assert!(matches!(judge("P7", &ev).word, Word::NotMeasurable { .. }));
        ev.put("hosts.tcp.median", ratio(30_000.0, 29_000.0, 31_000.0));
        ev.put("hosts.udp.median", ratio(25_000.0, 24_000.0, 26_000.0));
        let j = judge("P7", &ev);
        assert_eq!(j.word, Word::Holds);
        assert!(
            j.rule.contains("TCP") && j.rule.contains("UDP"),
            "{}",
            j.rule
        );
    }
}
