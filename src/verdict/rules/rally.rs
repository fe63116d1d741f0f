//! Rules read from the rallies and from `pingpong reach`: passing
//! information between threads and between processes (P11), reaching each
//! other's data (A3), switching between them (A4), and the network between
//! hosts (P7).
//!
//! Only pinned rallies count, and only ratios of like placements
//! ([`crate::results::PlacementClass`]): on a virtual machine a round trip
//! across two vCPUs can cost 30× one on a single vCPU, and free placement
//! lands on either run by run. A free rally is information, never evidence.

use super::{missing, word_of_ratio, Judgement, Word, MARGIN};
use crate::evidence::{against, show, Compared, Evidence, Figure};
use crate::experiment::reach::{key as reach, Way};
use crate::results::{key, Asked, PlacementClass};
use crate::verdict::plan::{HOSTS_STEP, REACH_STEP, SAME_CPU_STEP, TWO_CPUS_STEP};

/// The pinned placements the rules read, in the order they are told.
const PINNED: [PlacementClass; 2] = [PlacementClass::SameCpu, PlacementClass::TwoCpus];

/// Whether the ball lies in memory both players map: the direct test of
/// "because processes cannot share one memory space" (every other channel
/// carries the ball through the kernel).
fn shared(channel: &str) -> bool {
    crate::channel::is_shared_memory(channel)
}

fn on(class: PlacementClass) -> &'static str {
    match class {
        PlacementClass::SameCpu => "on one CPU",
        PlacementClass::TwoCpus => "across two CPUs",
        PlacementClass::Moved => "while moving",
    }
}

/// A pinned, placement-matched processes ÷ threads ratio.
struct Ratio<'a> {
    key: String,
    class: PlacementClass,
    channel: &'a str,
    figure: &'a Figure,
}

impl Ratio<'_> {
    fn slower(&self) -> bool {
        against(self.figure, 1.0 + MARGIN) == Compared::Above
    }
    fn faster(&self) -> bool {
        against(self.figure, 1.0 - MARGIN) == Compared::Below
    }
    fn label(&self) -> String {
        format!("{} {} {}", self.channel, on(self.class), show(self.figure))
    }
}

/// Every pinned, placement-matched ratio in the evidence.
fn pinned_ratios(ev: &Evidence) -> Vec<Ratio<'_>> {
    let mut out: Vec<Ratio> = ev
        .figures
        .iter()
        .filter_map(|(k, f)| {
            let (asked, class, channel) = key::parse_ratio(k)?;
            (asked == Asked::Pinned && PINNED.contains(&class)).then(|| Ratio {
                key: k.clone(),
                class,
                channel,
                figure: f,
            })
        })
        .collect();
    // One CPU, then two; within each, kernel channels before shared memory.
    out.sort_by_key(|r| (r.class, shared(r.channel)));
    out
}

fn commands(figures: &[&Figure]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in figures {
        if !out.contains(&f.command) {
            out.push(f.command.clone());
        }
    }
    out
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// The channels of one placement, named by family where a whole family is
/// in the set ("kernel channels and futex").
fn group(some: &[&Ratio], all: &[&Ratio]) -> String {
    if some.len() == all.len() {
        return "every channel".into();
    }
    let mut parts = Vec::new();
    let mut rest: Vec<&str> = some.iter().map(|r| r.channel).collect();
    for (name, is_shared) in [("kernel channels", false), ("shared memory", true)] {
        let family: Vec<&str> = all
            .iter()
            .filter(|r| shared(r.channel) == is_shared)
            .map(|r| r.channel)
            .collect();
        if family.len() > 1 && family.iter().all(|c| rest.contains(c)) {
            parts.push(name.to_string());
            rest.retain(|c| !family.contains(c));
        }
    }
    parts.extend(rest.into_iter().map(String::from));
    parts.join(" and ")
}

/// "slower over …" or "not over …": the ratios of `set`, placement by placement.
fn placements(set: &[&Ratio], all: &[Ratio]) -> String {
    PINNED
        .iter()
        .filter_map(|&class| {
            let some: Vec<&Ratio> = set.iter().copied().filter(|r| r.class == class).collect();
            if some.is_empty() {
                return None;
            }
            let every: Vec<&Ratio> = all.iter().filter(|r| r.class == class).collect();
            Some(format!("{} {}", group(&some, &every), on(class)))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// P11: "passing information between processes is slower than between
/// threads, because processes cannot share one memory space". Kernel
/// channels and shared memory, each pinned to one CPU and to two.
pub fn processes_slower(ev: &Evidence) -> Judgement {
    let ratios = pinned_ratios(ev);
    if ratios.is_empty() {
        return missing(
            ev,
            &[SAME_CPU_STEP, TWO_CPUS_STEP],
            "the pinned rallies between threads and processes were not measured",
        );
    }
    let slower: Vec<&Ratio> = ratios.iter().filter(|r| r.slower()).collect();
    let not: Vec<&Ratio> = ratios.iter().filter(|r| !r.slower()).collect();
    let word = if not.is_empty() {
        Word::Holds
    } else if slower.is_empty() && ratios.iter().any(|r| r.faster()) {
        Word::Fails
    } else if slower.is_empty() {
        Word::NoClearDifference
    } else {
        let by_family =
            slower.iter().all(|r| !shared(r.channel)) && not.iter().all(|r| shared(r.channel));
        let by_placement = slower.iter().all(|r| r.class == slower[0].class)
            && not.iter().all(|r| r.class != slower[0].class);
        let dimension = match (by_family, by_placement) {
            (true, _) => "the channel family",
            (false, true) => "placement",
            (false, false) => "the channel and placement",
        };
        Word::Depends {
            on: format!(
                "{dimension}: processes slower over {}; not over {}",
                placements(&slower, &ratios),
                placements(&not, &ratios)
            ),
        }
    };
    let measured: Vec<String> = PINNED
        .iter()
        .filter(|c| ratios.iter().any(|r| r.class == **c))
        .map(|c| c.describe().to_string())
        .collect();
    let unmeasured: Vec<String> = [(SAME_CPU_STEP, "one CPU"), (TWO_CPUS_STEP, "two CPUs")]
        .iter()
        .filter_map(|(step, what)| ev.missing.get(*step).map(|m| format!("{what}: {}", m.why)))
        .collect();
    let families = if ratios.iter().any(|r| shared(r.channel)) {
        "kernel channels and shared memory between processes (the direct test of \"because they cannot share \
         memory\")"
    } else {
        "kernel channels only: shared memory between processes (the direct test of \"because they cannot \
         share memory\") was not measured"
    };
    let rule = format!(
        "pinned rallies only, each repetition pair compared only when threads and processes ran alike ({}); \
         {families}: holds when processes take over {:.0}% longer per round trip than threads in every \
         interleaved repetition, on every channel and placement (processes ÷ threads). Slower: {}. \
         Not clearly slower: {}.{}",
        measured.join("; "),
        MARGIN * 100.0,
        list(&slower.iter().map(|r| r.label()).collect::<Vec<_>>()),
        list(&not.iter().map(|r| r.label()).collect::<Vec<_>>()),
        if unmeasured.is_empty() {
            String::new()
        } else {
            format!(" Not measured: {}.", unmeasured.join("; "))
        }
    );
    Judgement {
        word,
        rule,
        figures: ratios.iter().map(|r| r.key.clone()).collect(),
        commands: commands(&ratios.iter().map(|r| r.figure).collect::<Vec<_>>()),
    }
}

/// A3: "processes exchange data only through IPC; threads reach each
/// other's data directly". From `pingpong reach`: a thread reading a
/// structure in place against moving it through a pipe, and against a
/// process reading it in place through shared memory; with the pinned
/// rallies over shared memory beside it.
pub fn reach_directly(ev: &Evidence) -> Judgement {
    let c_key = reach::over_in_place(Way::ThreadsPipe);
    let Some(copy) = ev.figure(&c_key) else {
        return missing(
            ev,
            &[REACH_STEP],
            "the reach experiment (a thread reading data in place against moving it) was not measured",
        );
    };
    let mut figures = vec![c_key.clone()];
    let mut used = vec![copy];
    let wrong_key = reach::wrong(Way::ThreadsInPlace);
    if let Some(w) = ev.figure(&wrong_key).filter(|w| w.value > 0.0) {
        return Judgement {
            word: Word::Fails,
            rule: format!(
                "a thread reading another's structure in place must find what it wrote; it found a wrong sum in {} reaches ({})",
                w.value, w.what
            ),
            figures: vec![wrong_key],
            commands: vec![w.command.clone()],
        };
    }
    let s_key = reach::over_in_place(Way::ProcessesSharedMemory);
    let p_key = reach::over_in_place(Way::ProcessesPipe);
    let sharing = ev.figure(&s_key).filter(|_| {
        ev.figure(&reach::wrong(Way::ProcessesSharedMemory))
            .is_none_or(|w| w.value == 0.0)
    });
    let piping = ev.figure(&p_key);
    for (k, f) in [(&s_key, sharing), (&p_key, piping)] {
        if let Some(f) = f {
            figures.push(k.clone());
            used.push(f);
        }
    }
    // The rallies over shared memory, beside it: passing balls, not structures.
    let rally: Vec<Ratio> = pinned_ratios(ev)
        .into_iter()
        .filter(|r| shared(r.channel))
        .collect();
    figures.extend(rally.iter().map(|r| r.key.clone()));
    used.extend(rally.iter().map(|r| r.figure));
    let rally_text = if rally.is_empty() {
        String::new()
    } else {
        format!(
            " Passing balls through shared memory in the pinned rallies, processes ÷ threads: {}.",
            list(&rally.iter().map(|r| r.label()).collect::<Vec<_>>())
        )
    };
    let word = reach_word(copy, sharing, piping);
    let rule = format!(
        "a thread reads a structure another wrote in place, through a reference; moving it through a pipe costs {} \
         the in-place read (threads reach each other's data directly when that is over {:.0}% more in every \
         repetition). A process reading it in place through shared memory: {}; through a pipe: {}. Processes \
         reach data only through IPC, as the claim says, when even through shared memory they are nearer the \
         pipe's cost than the thread's (halfway on a logarithmic scale).{rally_text}",
        show(copy),
        MARGIN * 100.0,
        sharing.map(|s| format!("{} a thread's time", show(s))).unwrap_or_else(|| "not measured".into()),
        piping.map(|p| format!("{} a thread's time", show(p))).unwrap_or_else(|| "not measured".into()),
    );
    Judgement {
        word,
        rule,
        figures,
        commands: commands(&used),
    }
}

/// A3's word: a thread must read in place faster than through a pipe; then
/// processes reach data only through IPC unless, through shared memory,
/// they are nearer a thread's cost than the pipe's.
fn reach_word(copy: &Figure, sharing: Option<&Figure>, piping: Option<&Figure>) -> Word {
    // Halfway, on a logarithmic scale, between reading in place (1×) and
    // moving the structure through a pipe: nearer 1× is "reading in place".
    let halfway = |f: f64| f.max(1.0).sqrt();
    match against(copy, 1.0 + MARGIN) {
        Compared::Below | Compared::Inside if against(copy, 1.0 - MARGIN) == Compared::Below => {
            Word::Fails
        }
        Compared::Below | Compared::Inside => Word::NoClearDifference,
        Compared::Above => match sharing {
            None => Word::Holds,
            Some(s) if s.high < halfway(copy.low) => Word::Depends {
                on: format!(
                    "the IPC: through shared memory a process reads the data in place as a thread does ({} a thread's time); \
                     through a pipe it is copied ({})",
                    show(s),
                    piping.map(show).unwrap_or_else(|| show(copy))
                ),
            },
            Some(s) if s.low > halfway(copy.high) => Word::Holds,
            Some(_) => Word::NoClearDifference,
        },
    }
}

/// A4: switching between threads is cheaper than between processes: a
/// blocking rally with both players pinned to one CPU (each hit a switch),
/// over a pipe and a futex.
pub fn switching(ev: &Evidence) -> Judgement {
    let found: Vec<(String, &str, &Figure)> = ["pipe", "futex"]
        .into_iter()
        .filter_map(|ch| {
            let k = key::ratio(Asked::Pinned, PlacementClass::SameCpu, ch);
            ev.figure(&k).map(|f| (k, ch, f))
        })
        .collect();
    if found.is_empty() {
        return missing(
            ev,
            &[SAME_CPU_STEP],
            "the rally pinned to one CPU was not measured",
        );
    }
    let words: Vec<Word> = found.iter().map(|(_, _, f)| word_of_ratio(f)).collect();
    let word = if words.iter().all(|w| *w == words[0]) {
        words[0].clone()
    } else {
        let with = |w: Word| {
            found
                .iter()
                .zip(&words)
                .filter(|(_, x)| **x == w)
                .map(|((_, ch, _), _)| *ch)
                .collect::<Vec<_>>()
        };
        let slower = with(Word::Holds);
        Word::Depends {
            on: format!(
                "the channel: processes switch slower over {}; not over {}",
                list(&slower.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                list(
                    &found
                        .iter()
                        .map(|(_, ch, _)| *ch)
                        .filter(|ch| !slower.contains(ch))
                        .map(String::from)
                        .collect::<Vec<_>>()
                )
            ),
        }
    };
    Judgement {
        word,
        rule: format!(
            "both players pinned to one CPU, so every hit is a switch (two per round trip): holds when a round trip \
             takes over {:.0}% longer between processes than between threads in every repetition, over each \
             channel measured; processes ÷ threads: {}. (\"Their communication is simpler\" is not measured.)",
            MARGIN * 100.0,
            found
                .iter()
                .map(|(_, ch, f)| format!("{ch} {}", show(f)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        figures: found.iter().map(|(k, _, _)| k.clone()).collect(),
        commands: commands(&found.iter().map(|(_, _, f)| *f).collect::<Vec<_>>()),
    }
}

/// P7: network mechanisms suit IPC between processes on different
/// machines. Holds only on what was shown: verified balls over TCP and UDP
/// between two network endpoints (a `pingpong serve` and a client), saying
/// whether they were one machine or two. Fails when balls were lost or
/// damaged on TCP (a reliable channel), damaged on UDP, or could not get
/// through at all.
pub fn network(ev: &Evidence) -> Judgement {
    let mut seen = Network::default();
    for (ch, reliable) in [("tcp", true), ("udp", false)] {
        seen.channel(ev, ch, reliable);
    }
    let Network {
        mut shown,
        measured,
        wrong,
        unmeasured,
    } = seen;
    let machines = found(ev, key::HOSTS_MACHINES.to_string());
    let where_ = match &machines {
        Some((_, f)) if f.value <= 1.0 => format!(
            "The two endpoints were one machine, not two hosts ({}): this shows network IPC between processes, \
             not between machines.",
            f.what
        ),
        Some((_, f)) => format!("The endpoints were two machines ({}).", f.what),
        None => "Whether the endpoints were one machine or two is not known (neither loopback nor a boot id to compare)."
            .into(),
    };
    if let Some((k, f)) = &machines {
        shown.push((k.clone(), f));
    }
    let commands = commands(&shown.iter().map(|(_, f)| *f).collect::<Vec<_>>());
    let figures: Vec<String> = shown.into_iter().map(|(k, _)| k).collect();
    if !wrong.is_empty() {
        return Judgement {
            word: Word::Fails,
            rule: format!(
                "holds when TCP and UDP carry verified balls between two network endpoints (pingpong serve and \
                 run --between hosts): {}.{}",
                wrong.join("; "),
                if machines.is_some() {
                    format!(" {where_}")
                } else {
                    String::new()
                }
            ),
            figures,
            commands,
        };
    }
    if !unmeasured.is_empty() {
        let why = match ev.missing.get(HOSTS_STEP) {
            Some(m) => format!("the rally between hosts did not run: {}", m.why),
            None => format!(
                "needs verified balls over TCP and UDP between two network endpoints (pingpong serve and \
                 run --between hosts); not measured over {}",
                unmeasured.join(", ")
            ),
        };
        return Judgement {
            word: Word::NotMeasurable { why: why.clone() },
            rule: why,
            figures,
            commands,
        };
    }
    Judgement {
        word: Word::Holds,
        rule: format!(
            "TCP and UDP carried verified balls between processes at two network endpoints (pingpong serve and \
             run --between hosts; in the verdict, a server of its own on loopback): {}. {where_}",
            measured.join("; ")
        ),
        figures,
        commands,
    }
}

/// A figure of the evidence, with its key.
fn found(ev: &Evidence, k: String) -> Option<(String, &Figure)> {
    ev.figure(&k).map(|f| (k, f))
}

/// What P7 saw over the channels between hosts.
#[derive(Default)]
struct Network<'a> {
    /// The figures the word rests on, in the order met.
    shown: Vec<(String, &'a Figure)>,
    /// What each channel that carried verified balls showed.
    measured: Vec<String>,
    /// What went wrong, channel by channel.
    wrong: Vec<String>,
    /// The channels not measured.
    unmeasured: Vec<String>,
}

impl<'a> Network<'a> {
    /// Reads channel `ch` (`reliable`: TCP, which must neither lose nor
    /// reorder a ball).
    fn channel(&mut self, ev: &'a Evidence, ch: &str, reliable: bool) {
        let count = |k: String| found(ev, k);
        let intact = count(key::hosts_intact(ch));
        let failed = count(key::hosts_failed(ch));
        let Some((ik, intact)) = intact else {
            match failed {
                Some((fk, f)) if f.value > 0.0 => {
                    self.shown.push((fk, f));
                    self.wrong
                        .push(format!("no path over {}: {}", ch.to_uppercase(), f.what));
                }
                _ => self.unmeasured.push(ch.to_uppercase()),
            }
            return;
        };
        self.shown.push((ik, intact));
        let lost = count(key::hosts_lost(ch));
        let reordered = count(key::hosts_reordered(ch));
        let corrupted = count(key::hosts_corrupted(ch));
        for (k, f) in [&lost, &reordered, &corrupted, &failed]
            .into_iter()
            .flatten()
        {
            self.shown.push((k.clone(), f));
        }
        let n = |c: &Option<(String, &Figure)>| c.as_ref().map_or(0.0, |(_, f)| f.value);
        let name = ch.to_uppercase();
        if intact.value == 0.0 {
            self.wrong.push(format!("no ball came back over {name}"));
        } else if n(&corrupted) > 0.0 {
            self.wrong.push(format!(
                "{} ball(s) came back damaged over {name}",
                n(&corrupted)
            ));
        } else if reliable && n(&lost) + n(&reordered) > 0.0 {
            self.wrong.push(format!(
                "{name}, a reliable channel, lost {} and reordered {} ball(s)",
                n(&lost),
                n(&reordered)
            ));
        } else if n(&failed) > 0.0 {
            let (_, f) = failed.as_ref().expect("counted above");
            self.wrong.push(format!("over {name}: {}", f.what));
        } else {
            let median = count(key::hosts(ch));
            if let Some((k, f)) = &median {
                self.shown.push((k.clone(), f));
            }
            self.measured.push(format!(
                "{name}: {} intact balls{}{}",
                intact.value,
                if reliable {
                    String::new()
                } else {
                    format!(", {} lost (UDP may lose; counted)", n(&lost))
                },
                median
                    .map(|(_, f)| format!(", {} per round trip", show(f)))
                    .unwrap_or_default()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::judge;
    use super::super::testing::{fig, ratio, with};
    use super::*;
    use crate::evidence::{Figure, Unit};

    const ONE: PlacementClass = PlacementClass::SameCpu;
    const TWO: PlacementClass = PlacementClass::TwoCpus;

    fn pinned(class: PlacementClass, channel: &str, r: (f64, f64, f64)) -> (String, Figure) {
        (
            key::ratio(Asked::Pinned, class, channel),
            ratio(r.0, r.1, r.2),
        )
    }

    const SLOWER: (f64, f64, f64) = (1.12, 1.08, 1.15);
    const FASTER: (f64, f64, f64) = (0.9, 0.85, 0.95);
    const SAME: (f64, f64, f64) = (1.0, 0.97, 1.03);

    /// Kernel channels and shared memory on one CPU and on two.
    fn rally(kernel: [(f64, f64, f64); 2], shm: [(f64, f64, f64); 2]) -> Evidence {
        let mut pairs = Vec::new();
        for (i, class) in [ONE, TWO].into_iter().enumerate() {
            for ch in ["pipe", "unix", "tcp"] {
                pairs.push(pinned(class, ch, kernel[i]));
            }
            for ch in ["spin", "futex", "shm-ring"] {
                pairs.push(pinned(class, ch, shm[i]));
            }
        }
        with(&pairs)
    }

    fn depends_on(ev: &Evidence, id: &str) -> String {
        match judge(id, ev).word {
            Word::Depends { on } => on,
            w => panic!("{id}: expected depends, got {w:?}"),
        }
    }

    #[test]
    fn p11_holds_when_processes_are_slower_over_every_channel_and_placement() {
        let ev = rally([SLOWER; 2], [SLOWER; 2]);
        assert_eq!(judge("P11", &ev).word, Word::Holds);
    }

    #[test]
    fn p11_fails_when_processes_are_never_slower_and_sometimes_faster() {
        let ev = rally([FASTER, SAME], [SAME, FASTER]);
        assert_eq!(judge("P11", &ev).word, Word::Fails);
    }

    #[test]
    fn p11_inside_the_noise_everywhere_is_no_clear_difference() {
        let ev = rally([SAME; 2], [SAME; 2]);
        assert_eq!(judge("P11", &ev).word, Word::NoClearDifference);
    }

    #[test]
    fn p11_slower_over_kernel_channels_but_not_shared_memory_depends_on_the_family() {
        let on = depends_on(&rally([SLOWER; 2], [SAME; 2]), "P11");
        assert!(on.starts_with("the channel family"), "{on}");
        assert!(
            on.contains("kernel channels on one CPU") && on.contains("shared memory on one CPU"),
            "{on}"
        );
    }

    #[test]
    fn p11_slower_on_one_cpu_only_depends_on_placement() {
        let on = depends_on(&rally([SLOWER, SAME], [SLOWER, SAME]), "P11");
        assert!(on.starts_with("placement"), "{on}");
        assert!(on.contains("every channel on one CPU"), "{on}");
    }

    #[test]
    fn p11_names_channels_when_neither_family_nor_placement_splits_it() {
        let mut ev = rally([SLOWER, SAME], [SAME; 2]);
        let (k, f) = pinned(ONE, "futex", SLOWER);
        ev.put(k, f);
        let on = depends_on(&ev, "P11");
        assert!(on.starts_with("the channel and placement"), "{on}");
        assert!(on.contains("kernel channels and futex on one CPU"), "{on}");
    }

    #[test]
    fn p11_reads_only_pinned_placement_matched_ratios() {
        // Free placement, or a moved player, would say "holds": ignored.
        let mut ev = rally([SAME; 2], [SAME; 2]);
        for (asked, class) in [(Asked::Free, ONE), (Asked::Pinned, PlacementClass::Moved)] {
            ev.put(key::ratio(asked, class, "pipe"), ratio(3.0, 2.5, 3.5));
        }
        let j = judge("P11", &ev);
        assert_eq!(j.word, Word::NoClearDifference);
        assert!(j.figures.iter().all(|k| k.starts_with("rally.pinned.")));
        assert!(!j.figures.iter().any(|k| k.contains(".moved.")));
    }

    #[test]
    fn p11_without_a_pinned_rally_is_not_measurable_and_says_why() {
        let mut ev = Evidence::default();
        ev.miss(SAME_CPU_STEP, "the same-cpu rally failed: boom");
        ev.put(key::ratio(Asked::Free, ONE, "pipe"), ratio(1.5, 1.4, 1.6));
        match judge("P11", &ev).word {
            Word::NotMeasurable { why } => assert!(why.contains("boom"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn p11_on_one_cpu_alone_says_the_other_placement_was_not_measured() {
        let mut ev = with(&[pinned(ONE, "pipe", SLOWER)]);
        ev.miss(TWO_CPUS_STEP, "only one CPU is allowed here");
        let j = judge("P11", &ev);
        assert_eq!(j.word, Word::Holds);
        assert!(j.rule.contains("only one CPU is allowed"), "{}", j.rule);
        assert!(
            j.rule.contains("shared memory between processes")
                && j.rule.contains("was not measured"),
            "{}",
            j.rule
        );
    }

    fn reached(copy: (f64, f64, f64), shm: Option<(f64, f64, f64)>, wrong: f64) -> Evidence {
        let mut pairs = vec![
            (
                reach::over_in_place(Way::ThreadsPipe),
                ratio(copy.0, copy.1, copy.2),
            ),
            (
                reach::over_in_place(Way::ProcessesPipe),
                ratio(copy.0, copy.1, copy.2),
            ),
            (
                reach::wrong(Way::ThreadsInPlace),
                Figure::exact(wrong, Unit::Count, "", "pingpong reach"),
            ),
        ];
        if let Some(s) = shm {
            pairs.push((
                reach::over_in_place(Way::ProcessesSharedMemory),
                ratio(s.0, s.1, s.2),
            ));
        }
        with(&pairs)
    }

    #[test]
    fn a3_depends_on_the_ipc_when_processes_read_shared_memory_as_threads_do() {
        let mut ev = reached((12.0, 10.0, 14.0), Some((1.02, 0.97, 1.1)), 0.0);
        let (k, f) = pinned(ONE, "spin", SAME);
        ev.put(k.clone(), f);
        let on = depends_on(&ev, "A3");
        assert!(on.contains("shared memory"), "{on}");
        let j = judge("A3", &ev);
        assert!(j.figures.contains(&k), "the rally stands beside it");
        assert!(j.rule.contains("spin on one CPU"), "{}", j.rule);
    }

    #[test]
    fn a3_holds_when_even_shared_memory_costs_processes_nearly_a_copy() {
        let ev = reached((12.0, 10.0, 14.0), Some((9.0, 8.0, 10.0)), 0.0);
        assert_eq!(judge("A3", &ev).word, Word::Holds);
        // Shared memory not measured: processes were seen only through a pipe.
        let ev = reached((12.0, 10.0, 14.0), None, 0.0);
        assert_eq!(judge("A3", &ev).word, Word::Holds);
    }

    #[test]
    fn a3_halfway_between_reading_and_copying_is_no_clear_difference() {
        let ev = reached((16.0, 16.0, 16.0), Some((4.0, 3.0, 5.0)), 0.0);
        assert_eq!(judge("A3", &ev).word, Word::NoClearDifference);
        // Moving it costs no more than reading it in place: nothing direct shown.
        let ev = reached(SAME, Some(SAME), 0.0);
        assert_eq!(judge("A3", &ev).word, Word::NoClearDifference);
    }

    #[test]
    fn a3_fails_when_the_thread_reads_wrong_data_or_copying_is_cheaper() {
        let ev = reached((12.0, 10.0, 14.0), Some(SAME), 2.0);
        assert_eq!(judge("A3", &ev).word, Word::Fails);
        let ev = reached(FASTER, Some(SAME), 0.0);
        assert_eq!(judge("A3", &ev).word, Word::Fails);
    }

    #[test]
    fn a3_without_the_reach_experiment_is_not_measurable_even_with_a_rally() {
        let mut ev = rally([SLOWER; 2], [SAME; 2]);
        ev.miss(REACH_STEP, "pingpong reach failed: boom");
        match judge("A3", &ev).word {
            Word::NotMeasurable { why } => assert!(why.contains("boom"), "{why}"),
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn a4_reads_the_one_cpu_rally_over_pipe_and_futex() {
        let ev = |pipe, futex| with(&[pinned(ONE, "pipe", pipe), pinned(ONE, "futex", futex)]);
        assert_eq!(judge("A4", &ev(SLOWER, SLOWER)).word, Word::Holds);
        assert_eq!(judge("A4", &ev(FASTER, FASTER)).word, Word::Fails);
        assert_eq!(judge("A4", &ev(SAME, SAME)).word, Word::NoClearDifference);
        let on = depends_on(&ev(SLOWER, SAME), "A4");
        assert!(on.contains("slower over pipe; not over futex"), "{on}");
        // Across two CPUs there is no switch to measure: not read.
        let two = with(&[pinned(TWO, "pipe", SLOWER)]);
        assert!(matches!(judge("A4", &two).word, Word::NotMeasurable { .. }));
    }

    /// A hosts rally's figures: intact, lost, reordered, corrupted, failed per channel.
    fn hosts(tcp: [f64; 5], udp: [f64; 5], machines: Option<f64>) -> Evidence {
        let mut pairs = Vec::new();
        for (ch, v) in [("tcp", tcp), ("udp", udp)] {
            pairs.push((key::hosts(ch), fig(30_000.0, 29_000.0, 31_000.0)));
            for (k, x) in [
                key::hosts_intact(ch),
                key::hosts_lost(ch),
                key::hosts_reordered(ch),
                key::hosts_corrupted(ch),
                key::hosts_failed(ch),
            ]
            .into_iter()
            .zip(v)
            {
                pairs.push((
                    k,
                    Figure::exact(x, Unit::Count, format!("{ch} count"), "pingpong run"),
                ));
            }
        }
        if let Some(m) = machines {
            pairs.push((
                key::HOSTS_MACHINES.to_string(),
                Figure::exact(m, Unit::Count, "127.0.0.1:7878 is a loopback address", "x"),
            ));
        }
        with(&pairs)
    }

    const GOOD: [f64; 5] = [2000.0, 0.0, 0.0, 0.0, 0.0];

    #[test]
    fn p7_holds_with_verified_balls_and_says_when_the_endpoints_were_one_machine() {
        let j = judge("P7", &hosts(GOOD, [1800.0, 3.0, 0.0, 0.0, 0.0], Some(1.0)));
        assert_eq!(j.word, Word::Holds);
        assert!(j.rule.contains("one machine, not two hosts"), "{}", j.rule);
        assert!(
            j.rule.contains("TCP") && j.rule.contains("UDP"),
            "{}",
            j.rule
        );
        let j = judge("P7", &hosts(GOOD, GOOD, Some(2.0)));
        assert_eq!(j.word, Word::Holds);
        assert!(j.rule.contains("two machines"), "{}", j.rule);
        let j = judge("P7", &hosts(GOOD, GOOD, None));
        assert!(j.rule.contains("not known"), "{}", j.rule);
    }

    #[test]
    fn p7_fails_when_a_reliable_channel_loses_or_any_channel_damages_balls() {
        for (tcp, udp) in [
            ([2000.0, 1.0, 0.0, 0.0, 0.0], GOOD),
            ([2000.0, 0.0, 2.0, 0.0, 0.0], GOOD),
            (GOOD, [1800.0, 0.0, 0.0, 1.0, 0.0]),
            (GOOD, [0.0, 40.0, 0.0, 0.0, 0.0]),
        ] {
            let j = judge("P7", &hosts(tcp, udp, Some(1.0)));
            assert_eq!(j.word, Word::Fails, "{tcp:?} {udp:?}: {}", j.rule);
        }
    }

    #[test]
    fn p7_fails_when_there_is_no_path() {
        let ev = with(&[
            (
                key::hosts_failed("tcp"),
                Figure::exact(2.0, Unit::Count, "connecting: refused", "x"),
            ),
            (
                key::hosts_failed("udp"),
                Figure::exact(2.0, Unit::Count, "connecting: refused", "x"),
            ),
        ]);
        let j = judge("P7", &ev);
        assert_eq!(j.word, Word::Fails);
        assert!(j.rule.contains("no path over TCP"), "{}", j.rule);
    }

    #[test]
    fn p7_without_the_hosts_rally_is_not_measurable() {
        assert!(matches!(
            judge("P7", &Evidence::default()).word,
            Word::NotMeasurable { .. }
        ));
        let mut ev = Evidence::default();
        ev.miss(HOSTS_STEP, "binding the verdict's loopback server: denied");
        match judge("P7", &ev).word {
            Word::NotMeasurable { why } => assert!(why.contains("denied"), "{why}"),
            w => panic!("{w:?}"),
        }
        // TCP shown, UDP never tried: not enough.
        let mut only_tcp = hosts(GOOD, GOOD, Some(1.0));
        only_tcp.figures.retain(|k, _| !k.starts_with("hosts.udp"));
        assert!(matches!(
            judge("P7", &only_tcp).word,
            Word::NotMeasurable { .. }
        ));
    }
}
