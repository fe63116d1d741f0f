//! CPython's own rules on passing data: between threads and processes
//! (P11, A3) — the rally compared like with like, and the cost of the
//! pickling the claim names — and over the network with
//! `multiprocessing.connection` (P7).

use super::super::{Judgement, Word, MARGIN};
use super::{absent, clearly, list};
use crate::evidence::{show, Evidence, Figure};
use crate::python::evidence::key;
use crate::python::{
    Build, Experiment, Mechanism, PickleObject, PyUnit, RallyPlacement, TransferChannel,
};

/// One comparison: what it is, and its figure.
struct Ratio {
    label: String,
    placement: RallyPlacement,
    figure: Figure,
}

/// The rally's processes ÷ threads, pinned alike (same CPU with same CPU,
/// two CPUs with two CPUs): never a free placement, which mixes both.
fn rally(ev: &Evidence, b: Build) -> (Vec<Ratio>, Vec<String>) {
    let mut out = Vec::new();
    let mut keys = Vec::new();
    for p in [RallyPlacement::SameCpu, RallyPlacement::CrossCpu] {
        for m in Mechanism::ALL.iter().copied() {
            let k = key::of(b, &key::rally_ratio(p, m));
            if let Some(f) = ev.figure(&k) {
                out.push(Ratio {
                    label: format!("{m} {p} {}", show(f)),
                    placement: p,
                    figure: f.clone(),
                });
                keys.push(k);
            }
        }
    }
    (out, keys)
}

/// Sending a 1 MiB object to a process (pickled) ÷ to a thread (a
/// reference moves), per channel.
fn transfers(ev: &Evidence, b: Build) -> (Vec<(String, Figure)>, Vec<String>) {
    let reference = key::of(b, &key::transfer(TransferChannel::Queue));
    let Some(r) = ev.figure(&reference) else {
        return (vec![], vec![]);
    };
    let mut out = Vec::new();
    let mut keys = vec![reference.clone()];
    for c in [TransferChannel::MpPipe, TransferChannel::MpQueue] {
        let k = key::of(b, &key::transfer(c));
        if let Some(f) = ev.figure(&k) {
            let ratio = f.over(r, format!("{c} ÷ queue.Queue"));
            out.push((
                format!(
                    "{c} {} = {} of queue.Queue's {}",
                    show(f),
                    show(&ratio),
                    show(r)
                ),
                ratio,
            ));
            keys.push(k);
        }
    }
    (out, keys)
}

/// What pickling costs: the rally's ball and the 1 MiB object, with the
/// share of the round trip or transfer it explains.
fn pickling(ev: &Evidence, b: Build) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut keys = Vec::new();
    let ball = key::of(b, &key::pickling(PickleObject::Int));
    let mp_rally = key::of(
        b,
        &key::rally_median(
            RallyPlacement::SameCpu,
            Mechanism::MpPipe,
            PyUnit::Processes,
        ),
    );
    if let Some(p) = ev.figure(&ball) {
        keys.push(ball.clone());
        let share = ev
            .figure(&mp_rally)
            .filter(|r| r.value > 0.0)
            .map(|r| {
                format!(
                    ", {:.0}% of a multiprocessing.Pipe round trip between processes on one CPU ({}; two pickles and two unpickles per round trip)",
                    200.0 * p.value / r.value,
                    show(r)
                )
            })
            .unwrap_or_default();
        parts.push(format!(
            "pickling and unpickling the rally's ball (an int) takes {}{share}",
            show(p)
        ));
    }
    let big = key::of(b, &key::pickling(PickleObject::Structured1Mib));
    let pipe = key::of(b, &key::transfer(TransferChannel::MpPipe));
    if let Some(p) = ev.figure(&big) {
        keys.push(big.clone());
        let share = ev
            .figure(&pipe)
            .filter(|t| t.value > 0.0)
            .map(|t| {
                format!(
                    ", {:.0}% of sending it over multiprocessing.Pipe",
                    100.0 * p.value / t.value
                )
            })
            .unwrap_or_default();
        parts.push(format!(
            "pickling and unpickling a 1 MiB structured object takes {}{share}",
            show(p)
        ));
    }
    if parts.is_empty() {
        ("pickling was not measured".into(), keys)
    } else {
        (parts.join("; "), keys)
    }
}

/// Words over a set of ratios: all above → holds, all below → fails,
/// none above → no clear difference, else depends on `on` (computed).
fn word_of(ratios: &[(String, Figure, RallyPlacement)], by_placement: bool) -> Word {
    let above: Vec<&(String, Figure, RallyPlacement)> = ratios
        .iter()
        .filter(|r| clearly(&r.1) == Some(true))
        .collect();
    if above.len() == ratios.len() {
        return Word::Holds;
    }
    if above.is_empty() {
        return if ratios.iter().all(|r| clearly(&r.1) == Some(false)) {
            Word::Fails
        } else {
            Word::NoClearDifference
        };
    }
    // Mixed: by placement when one placement is slower throughout and the
    // other is not, else by the channel.
    if by_placement {
        for p in [RallyPlacement::SameCpu, RallyPlacement::CrossCpu] {
            let here: Vec<_> = ratios.iter().filter(|r| r.2 == p).collect();
            let there: Vec<_> = ratios.iter().filter(|r| r.2 != p).collect();
            if !here.is_empty()
                && !there.is_empty()
                && here.iter().all(|r| clearly(&r.1) == Some(true))
                && there.iter().all(|r| clearly(&r.1) != Some(true))
            {
                return Word::Depends {
                    on: format!(
                        "placement: processes were slower with the players pinned {p}, not otherwise"
                    ),
                };
            }
        }
    }
    let slower: Vec<String> = above.iter().map(|r| r.0.clone()).collect();
    Word::Depends {
        on: format!(
            "the channel: processes were clearly slower over {} only",
            list(&slower)
        ),
    }
}

/// P11 (passing information between processes is slower, because CPython
/// pickles) and A3 (processes exchange data only through IPC; threads reach
/// each other's data directly).
pub fn exchange(ev: &Evidence, b: Build, id: &str) -> Judgement {
    let (ratios, mut keys) = rally(ev, b);
    let (sent, transfer_keys) = transfers(ev, b);
    let (pickled, pickle_keys) = pickling(ev, b);
    let rally_text = if ratios.is_empty() {
        "not measured".to_string()
    } else {
        ratios
            .iter()
            .map(|r| r.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sent_text = if sent.is_empty() {
        "not measured".to_string()
    } else {
        sent.iter()
            .map(|s| s.0.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (word, rule) = if id == "P11" {
        if ratios.is_empty() {
            return absent(
                ev,
                b,
                Experiment::Rally,
                &[key::of(b, "rally.moved")],
                "needs `pingpong python rally` with pinned players",
            );
        }
        p11(&ratios, &sent, &rally_text, &pickled, &sent_text)
    } else {
        if sent.is_empty() {
            return absent(
                ev,
                b,
                Experiment::Pickling,
                &[],
                "needs `pingpong python pickling`",
            );
        }
        a3(&sent, &rally_text, &pickled, &sent_text)
    };
    keys.extend(transfer_keys);
    keys.extend(pickle_keys);
    let commands = ["pingpong python rally", "pingpong python pickling"]
        .map(String::from)
        .to_vec();
    Judgement {
        word,
        rule,
        figures: keys,
        commands,
    }
}

/// P11's word and rule: the rally pinned alike, processes ÷ threads; and
/// the pickling the claim gives as the reason.
fn p11(
    ratios: &[Ratio],
    sent: &[(String, Figure)],
    rally_text: &str,
    pickled: &str,
    sent_text: &str,
) -> (Word, String) {
    let list: Vec<_> = ratios
        .iter()
        .map(|r| (r.label.clone(), r.figure.clone(), r.placement))
        .collect();
    let mut word = word_of(&list, true);
    // The claim's reason is pickling: when it was measured and a pickled
    // transfer cost no more than passing a reference, the reason fails.
    if word == Word::Holds && !sent.is_empty() && sent.iter().all(|s| clearly(&s.1) != Some(true)) {
        word = Word::Depends {
            on: "the object: the rally was slower between processes, but sending a large object pickled cost no more than passing a reference".into(),
        };
    }
    (
        word,
        format!(
            "holds when processes take over {:.0}% longer per round trip than threads in every interleaved repetition, on every mechanism, \
             with both players pinned alike (same CPU with same CPU, two CPUs with two CPUs; never the unpinned run, which mixes both); \
             the 'queue' pair is each unit's natural queue (queue.Queue against multiprocessing.Queue). Processes ÷ threads: {rally_text}. \
             The cost of pickling: {pickled}; a 1 MiB object sent to a process and to a thread: {sent_text}",
            MARGIN * 100.0
        ),
    )
}

/// A3's word and rule: a 1 MiB object handed to a process (pickled) against
/// to a thread (a reference).
fn a3(
    sent: &[(String, Figure)],
    rally_text: &str,
    pickled: &str,
    sent_text: &str,
) -> (Word, String) {
    let list: Vec<_> = sent
        .iter()
        .map(|(l, f)| (l.clone(), f.clone(), RallyPlacement::Free))
        .collect();
    (
        word_of(&list, false),
        format!(
            "holds when handing a 1 MiB object to a process (pickled and copied through IPC: multiprocessing.Pipe, multiprocessing.Queue) \
             takes over {:.0}% longer than to a thread through queue.Queue, which moves only a reference: {sent_text}. \
             {pickled}. The rally, processes ÷ threads pinned alike: {rally_text}",
            MARGIN * 100.0
        ),
    )
}

/// P7: multiprocessing offers IPC over a network —
/// `multiprocessing.connection` over TCP with an authkey, balls verified.
pub fn network(ev: &Evidence, b: Build) -> Judgement {
    let verified = ev.demo(&key::of(b, key::CONNECTION_VERIFIED));
    let auth = ev.demo(&key::of(b, key::CONNECTION_AUTH));
    let Some(verified) = verified else {
        return absent(
            ev,
            b,
            Experiment::Connection,
            &[key::of(b, key::CONNECTION_VERIFIED)],
            "needs `pingpong python connection`",
        );
    };
    let word = if !verified.shows_claim {
        Word::Fails
    } else if auth.is_some_and(|a| !a.shows_claim) {
        Word::Depends {
            on: "authentication: the connection carried the balls, but a client with the wrong authkey was accepted".into(),
        }
    } else {
        Word::Holds
    };
    let figures: Vec<String> = PyUnit::ALL
        .iter()
        .map(|&u| key::of(b, &key::connection(u)))
        .filter(|k| ev.figure(k).is_some())
        .collect();
    let times = figures
        .iter()
        .filter_map(|k| ev.figure(k))
        .map(show)
        .collect::<Vec<_>>()
        .join(" and ");
    Judgement {
        word,
        rule: format!(
            "holds when processes exchange balls checked at both ends through multiprocessing.connection's Listener and Client over TCP \
             with an authkey, and a client with the wrong key is refused. Shown over TCP loopback on this machine (the same sockets and \
             handshake as between machines, not two machines): {}; {}{}",
            verified.shown,
            auth.map(|a| a.shown.clone()).unwrap_or_else(|| "the wrong-key check did not run".into()),
            if times.is_empty() { String::new() } else { format!("; round trips {times}") }
        ),
        figures,
        commands: vec!["pingpong python connection".into()],
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{fig, ratio};
    use super::super::testing::column;
    use super::*;

    fn rallies(b: Build, same: (f64, f64, f64), cross: (f64, f64, f64)) -> Vec<(String, Figure)> {
        let mut v = Vec::new();
        for (p, r) in [
            (RallyPlacement::SameCpu, same),
            (RallyPlacement::CrossCpu, cross),
        ] {
            for m in [Mechanism::OsPipe, Mechanism::MpPipe] {
                v.push((key::rally_ratio(p, m), ratio(r.0, r.1, r.2)));
            }
        }
        let _ = b;
        v
    }

    fn sent(pipe: (f64, f64, f64)) -> Vec<(String, Figure)> {
        vec![
            (
                key::transfer(TransferChannel::Queue),
                fig(30_000.0, 29_000.0, 31_000.0),
            ),
            (
                key::transfer(TransferChannel::MpPipe),
                fig(pipe.0, pipe.1, pipe.2),
            ),
            (
                key::pickling(PickleObject::Structured1Mib),
                fig(9e6, 8.9e6, 9.1e6),
            ),
            (key::pickling(PickleObject::Int), fig(400.0, 390.0, 410.0)),
        ]
    }

    fn word(b: Build, id: &str, figures: Vec<(String, Figure)>) -> Word {
        exchange(&column(b, &figures, &[]), b, id).word
    }

    #[test]
    fn p11_reaches_each_of_its_words() {
        let b = Build::Default;
        let slow = (1.3, 1.2, 1.4);
        let fast = (0.7, 0.6, 0.8);
        let same = (1.0, 0.97, 1.03);
        let with = |mut r: Vec<(String, Figure)>| {
            r.extend(sent((1.8e7, 1.7e7, 1.9e7)));
            r
        };
        assert_eq!(word(b, "P11", with(rallies(b, slow, slow))), Word::Holds);
        assert_eq!(word(b, "P11", with(rallies(b, fast, fast))), Word::Fails);
        assert_eq!(
            word(b, "P11", with(rallies(b, same, same))),
            Word::NoClearDifference
        );
        match word(b, "P11", with(rallies(b, slow, same))) {
            Word::Depends { on } => assert!(on.contains("placement"), "{on}"),
            w => panic!("{w:?}"),
        }
        // Slower, but pickling a large object cost nothing measurable: the
        // claim's reason is not borne out.
        let mut r = rallies(b, slow, slow);
        r.extend(sent((30_000.0, 29_000.0, 31_000.0)));
        assert!(matches!(word(b, "P11", r), Word::Depends { .. }));
        assert!(matches!(word(b, "P11", vec![]), Word::NotMeasurable { .. }));
    }

    #[test]
    fn p11_reads_the_cost_of_pickling() {
        let b = Build::FreeThreaded;
        let mut r = rallies(b, (1.3, 1.2, 1.4), (1.3, 1.2, 1.4));
        r.extend(sent((1.8e7, 1.7e7, 1.9e7)));
        let j = exchange(&column(b, &r, &[]), b, "P11");
        assert!(j.rule.contains("pickling"), "{}", j.rule);
        assert!(
            j.figures
                .contains(&key::of(b, &key::pickling(PickleObject::Int))),
            "{:?}",
            j.figures
        );
        assert!(j.figures.iter().all(|k| k.starts_with("python-ft.")));
    }

    #[test]
    fn a3_reaches_each_of_its_words() {
        let b = Build::Default;
        assert_eq!(word(b, "A3", sent((1.8e7, 1.7e7, 1.9e7))), Word::Holds);
        assert_eq!(
            word(b, "A3", sent((10_000.0, 9_000.0, 11_000.0))),
            Word::Fails
        );
        assert_eq!(
            word(b, "A3", sent((30_000.0, 29_000.0, 31_000.0))),
            Word::NoClearDifference
        );
        let mut s = sent((1.8e7, 1.7e7, 1.9e7));
        s.push((
            key::transfer(TransferChannel::MpQueue),
            fig(30_000.0, 29_000.0, 31_000.0),
        ));
        assert!(matches!(word(b, "A3", s), Word::Depends { .. }));
        assert!(matches!(word(b, "A3", vec![]), Word::NotMeasurable { .. }));
    }

    #[test]
    fn p7_reaches_each_of_its_words() {
        let b = Build::Default;
        let w = |verified: bool, auth: Option<bool>| {
            let mut demos = vec![(key::CONNECTION_VERIFIED.to_string(), verified)];
            demos.extend(auth.map(|a| (key::CONNECTION_AUTH.to_string(), a)));
            network(&column(b, &[], &demos), b).word
        };
        assert_eq!(w(true, Some(true)), Word::Holds);
        assert_eq!(w(false, Some(true)), Word::Fails);
        assert!(matches!(w(true, Some(false)), Word::Depends { .. }));
        assert!(matches!(
            network(&Evidence::default(), b).word,
            Word::NotMeasurable { .. }
        ));
        let j = network(
            &column(b, &[], &[(key::CONNECTION_VERIFIED.into(), true)]),
            b,
        );
        assert!(j.rule.contains("loopback"), "{}", j.rule);
    }
}
