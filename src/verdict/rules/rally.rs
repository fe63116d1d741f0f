//! Rules read from the rallies: passing information between threads and
//! between processes (P11, A3), switching between them (A4), and the
//! network between hosts (P7).

use super::{missing, word_of_ratio, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence};
use crate::results::key;

/// The steps whose failure explains a missing rally.
const RALLIES: [&str; 2] = ["rally.same-cpu", "rally.free"];

/// "processes are slower than threads" over the kernel channels measured,
/// in each placement: every interleaved ratio above 1 + MARGIN → slower.
pub fn processes_slower(ev: &Evidence, id: &str) -> Judgement {
    let what = if id == "P11" {
        "kernel channels only (pipe, Unix socket, TCP); the shared-memory channels (`pingpong run --via spin,shm-ring`) do not enter this rule yet"
    } else {
        "threads and processes exchanging data over the same kernel channels"
    };
    let placements = ["same-cpu", "free"];
    let mut keys = Vec::new();
    let mut above = Vec::new();
    let mut other = Vec::new();
    let mut commands = Vec::new();
    for (k, f) in ev.figures.iter() {
        let Some((placement, channel)) = key::parse_ratio(k) else {
            continue;
        };
        if !placements.contains(&placement) {
            continue;
        }
        keys.push(k.clone());
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
            &RALLIES,
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
            on: if same {
                "placement: slower with both players on one CPU, not across CPUs".into()
            } else {
                "the channel".into()
            },
        }
    };
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    };
    let found = format!(
        "{rule}. Slower: {}. Not clearly slower: {}.",
        list(above),
        list(other.into_iter().map(|(l, _)| l).collect())
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
pub fn switching(ev: &Evidence) -> Judgement {
    let k = key::ratio("same-cpu", "pipe");
    let Some(f) = ev.figure(&k) else {
        return missing(
            ev,
            &["rally.same-cpu"],
            "the rally on one CPU was not measured",
        );
    };
    Judgement {
        word: word_of_ratio(f),
        rule: format!(
            "holds when a pipe round trip with both players on one CPU (two switches per round trip) takes over {:.0}% \
             longer between processes than between threads in every repetition; measured processes ÷ threads = {}",
            MARGIN * 100.0,
            show(f)
        ),
        figures: vec![k],
        commands: vec![f.command.clone()],
    }
}

/// P7: network IPC between hosts.
pub fn network(ev: &Evidence) -> Judgement {
    let (tk, uk) = (key::hosts("tcp"), key::hosts("udp"));
    if let (Some(tcp), Some(udp)) = (ev.figure(&tk), ev.figure(&uk)) {
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
            figures: vec![tk, uk],
            commands,
        };
    }
    let lk = key::median("free", "tcp", "processes");
    let loopback = ev.figure(&lk);
    let why = match (ev.missing.get("hosts"), loopback) {
        (Some(m), _) => format!("needs a second host: {}", m.why),
        (None, Some(f)) => format!(
            "needs a second host (the pingpong serve / --peer rally did not run); over loopback TCP, processes on this machine \
             exchanged verified balls in {} per round trip",
            show(f)
        ),
        (None, None) => "needs a second host (the pingpong serve / --peer rally did not run)".into(),
    };
    Judgement {
        word: Word::NotMeasurable { why: why.clone() },
        rule: why,
        figures: loopback.map(|_| vec![lk]).unwrap_or_default(),
        commands: loopback
            .map(|f| vec![f.command.clone()])
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::judge;
    use super::super::testing::{fig, ratio, with};
    use super::*;

    fn rally(same: [(f64, f64, f64); 2], free: [(f64, f64, f64); 2]) -> Evidence {
        let mut pairs = Vec::new();
        for (placement, set) in [("same-cpu", same), ("free", free)] {
            for (channel, (v, lo, hi)) in ["pipe", "unix"].into_iter().zip(set) {
                pairs.push((key::ratio(placement, channel), ratio(v, lo, hi)));
            }
        }
        with(&pairs)
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
    fn p11_without_a_rally_is_not_measurable_and_says_why() {
        let mut ev = Evidence::default();
        ev.miss("rally.same-cpu", "the same-cpu rally failed: boom");
        match judge("P11", &ev).word {
            Word::NotMeasurable { why } => assert!(why.contains("boom"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn a4_holds_fails_or_stays_unclear_on_the_one_cpu_pipe_ratio() {
        let k = key::ratio("same-cpu", "pipe");
        let ev = with(&[(k.clone(), ratio(1.13, 1.12, 1.14))]);
        assert_eq!(judge("A4", &ev).word, Word::Holds);
        let ev = with(&[(k.clone(), ratio(0.9, 0.88, 0.93))]);
        assert_eq!(judge("A4", &ev).word, Word::Fails);
        let ev = with(&[(k, ratio(1.0, 0.99, 1.03))]);
        assert_eq!(judge("A4", &ev).word, Word::NoClearDifference);
        assert!(matches!(
            judge("A4", &Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
    }

    #[test]
    fn p7_holds_once_the_hosts_rally_ran_and_waits_for_it_otherwise() {
        assert!(matches!(
            judge("P7", &Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
        let ev = with(&[
            (key::hosts("tcp"), fig(30_000.0, 29_000.0, 31_000.0)),
            (key::hosts("udp"), fig(25_000.0, 24_000.0, 26_000.0)),
        ]);
        let j = judge("P7", &ev);
        assert_eq!(j.word, Word::Holds);
        assert!(
            j.rule.contains("TCP") && j.rule.contains("UDP"),
            "{}",
            j.rule
        );
    }
}
