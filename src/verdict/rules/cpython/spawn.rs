//! CPython's own rule on the cost of starting and ending a unit (P12, A2,
//! A6): `threading.Thread` against every way CPython starts a process —
//! `os.fork`, and `multiprocessing` with the fork, forkserver and spawn
//! start methods, which differ by far more than Rust's fork and thread.

use super::super::{Judgement, Word, MARGIN};
use super::{absent, clearly, list};
use crate::evidence::{show, Evidence, Figure};
use crate::python::evidence::key;
use crate::python::{Build, Experiment, SpawnMethod};

pub fn spawn_cost(ev: &Evidence, b: Build, id: &str) -> Judgement {
    // A6 is about copying a process: the forking methods only.
    let methods: &[SpawnMethod] = match id {
        "A6" => &[SpawnMethod::Fork, SpawnMethod::MpFork],
        _ => &[
            SpawnMethod::Fork,
            SpawnMethod::MpFork,
            SpawnMethod::MpForkserver,
            SpawnMethod::MpSpawn,
        ],
    };
    let tk = key::of(b, &key::spawn(SpawnMethod::Thread));
    let Some(thread) = ev.figure(&tk) else {
        return absent(
            ev,
            b,
            Experiment::Spawn,
            &[],
            "needs `pingpong python spawn`",
        );
    };
    let mut keys = vec![tk.clone()];
    let (mut more, mut less, mut unclear) = (Vec::new(), Vec::new(), Vec::new());
    for &m in methods {
        let k = key::of(b, &key::spawn(m));
        let Some(f) = ev.figure(&k) else { continue };
        keys.push(k);
        let r = f.over(thread, "");
        let line = (
            m.to_string(),
            format!("{m} {} = {} of a thread's", show(f), show(&r)),
        );
        match clearly(&r) {
            Some(true) => more.push(line),
            Some(false) => less.push(line),
            None => unclear.push(line),
        }
    }
    if keys.len() == 1 {
        return absent(
            ev,
            b,
            Experiment::Spawn,
            &[],
            "needs `pingpong python spawn` (no process was started)",
        );
    }
    let word = spawn_word(&more, &less, &unclear);
    Judgement {
        word,
        rule: spawn_rule(id, thread, more, less, unclear),
        figures: keys,
        commands: vec!["pingpong python spawn".into()],
    }
}

/// Each start method's (name, line).
type Lines = Vec<(String, String)>;

/// The word from the start methods that took clearly longer than a thread
/// (`more`), clearly less, or neither.
fn spawn_word(more: &Lines, less: &Lines, unclear: &Lines) -> Word {
    if less.is_empty() && unclear.is_empty() {
        Word::Holds
    } else if more.is_empty() && unclear.is_empty() {
        Word::Fails
    } else if more.is_empty() {
        Word::NoClearDifference
    } else {
        let names =
            |v: &[&(String, String)]| list(&v.iter().map(|l| l.0.clone()).collect::<Vec<_>>());
        Word::Depends {
            on: format!(
                "the start method: {} cost more, {} did not",
                names(&more.iter().collect::<Vec<_>>()),
                names(&less.iter().chain(unclear).collect::<Vec<_>>())
            ),
        }
    }
}

/// The rule in words: what `id` compares, and every start method against
/// a thread.
fn spawn_rule(id: &str, thread: &Figure, more: Lines, less: Lines, unclear: Lines) -> String {
    let what = match id {
        "A6" => "starting and joining a threading.Thread against copying the process (os.fork, multiprocessing's fork)",
        "A2" => "a thread needs no address space built and freed; a process does, however multiprocessing starts it",
        _ => "starting and joining a threading.Thread against starting and joining a process by each of CPython's ways",
    };
    let mut rule = format!(
        "{what}: holds when every one takes over {:.0}% longer than a thread ({}) with both intervals taken into account; {}",
        MARGIN * 100.0,
        show(thread),
        more.into_iter()
            .chain(less)
            .chain(unclear)
            .map(|l| l.1)
            .collect::<Vec<_>>()
            .join("; ")
    );
    if id == "A6" {
        rule.push_str(
            " (the platform: see the machine description; the costs vary by kernel and hardware)",
        );
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::fig;
    use super::super::testing::column;
    use super::*;
    use crate::evidence::Figure;

    fn w(id: &str, methods: &[(SpawnMethod, f64)]) -> Word {
        let b = Build::Default;
        let mut figs: Vec<(String, Figure)> = vec![(
            key::spawn(SpawnMethod::Thread),
            fig(100_000.0, 95_000.0, 105_000.0),
        )];
        for &(m, v) in methods {
            figs.push((key::spawn(m), fig(v, v * 0.97, v * 1.03)));
        }
        spawn_cost(&column(b, &figs, &[]), b, id).word
    }

    #[test]
    fn p12_a2_a6_reach_each_of_their_words() {
        use SpawnMethod::*;
        let all = |v: f64| [(Fork, v), (MpFork, v), (MpForkserver, v), (MpSpawn, v)];
        assert_eq!(w("P12", &all(1e6)), Word::Holds);
        assert_eq!(w("A2", &all(1e4)), Word::Fails);
        assert_eq!(w("P12", &all(1e5)), Word::NoClearDifference);
        match w("P12", &[(Fork, 1e5), (MpSpawn, 5e7)]) {
            Word::Depends { on } => assert!(on.contains("mp-spawn"), "{on}"),
            x => panic!("{x:?}"),
        }
        // A6 reads only the methods that copy the process.
        assert_eq!(
            w("A6", &[(Fork, 1e6), (MpFork, 2e6), (MpSpawn, 1e4)]),
            Word::Holds
        );
        assert!(matches!(w("P12", &[]), Word::NotMeasurable { .. }));
        assert!(matches!(
            spawn_cost(&Evidence::default(), Build::Default, "P12").word,
            Word::NotMeasurable { .. }
        ));
    }
}
