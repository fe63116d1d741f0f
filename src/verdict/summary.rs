//! The bottom line of a verdict: how many claims got each word, and a
//! short paragraph answering "threads or processes on this machine?" built
//! from this run's figures — what a process costs to start and to keep
//! against a thread, what a round trip between processes costs against
//! threads on each family of channels, whether threads ran at once, what a
//! crash does, and CPython's GIL.
//!
//! Nothing here is canned: each sentence is put together from the figures
//! it cites (value and interval, by key) and from words computed from them
//! against the same noise margin the rules use; a sentence whose figures
//! are missing says what was not measured and why. So a different machine
//! gives different sentences. Every output (terminal, Markdown, HTML)
//! renders the same typed [`Summary`].

use super::rules::{Judgement, Word, MARGIN};
use super::{Verdict, VerdictDocument};
use crate::document::Document;
use crate::evidence::{against, Compared, Evidence, Figure};
use crate::experiment::{memory, scale, spawn_cost};
use crate::faults::{Observed, Row};
use crate::kinds::{CpuSet, UnitKind};
use crate::python::evidence::key as py;
use crate::python::{Build, Kernel, PyUnit, ScalePlacement};
use crate::results::{key, Asked, PlacementClass};

/// How many claims got each word, in one column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub judged: usize,
    pub holds: usize,
    pub fails: usize,
    pub depends: usize,
    pub no_difference: usize,
    pub not_measurable: usize,
}

impl Counts {
    pub fn of<'a>(words: impl Iterator<Item = &'a Word>) -> Counts {
        let mut c = Counts::default();
        for w in words {
            c.judged += 1;
            match w {
                Word::Holds => c.holds += 1,
                Word::Fails => c.fails += 1,
                Word::Depends { .. } => c.depends += 1,
                Word::NoClearDifference => c.no_difference += 1,
                Word::NotMeasurable { .. } => c.not_measurable += 1,
            }
        }
        c
    }

    /// "34 claims: 12 hold, 5 fail, …".
    pub fn line(&self, ru: bool) -> String {
        if ru {
            format!(
                "утверждений: {}; верно {}, неверно {}, зависит {}, нет явной разницы {}, здесь не измерить {}",
                self.judged, self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        } else {
            format!(
                "{} claims: {} hold, {} fail, {} depend, {} show no clear difference, {} not measurable here",
                self.judged, self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        }
    }

    /// "12 hold · 5 fail · …" without the total, for a column.
    pub fn short(&self, ru: bool) -> String {
        if ru {
            format!(
                "верно {} · неверно {} · зависит {} · нет разницы {} · н/и {}",
                self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        } else {
            format!(
                "{} hold · {} fail · {} depend · {} no diff · {} n/m",
                self.holds, self.fails, self.depends, self.no_difference, self.not_measurable
            )
        }
    }
}

/// What a sentence of the bottom line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    Start,
    Memory,
    RoundTrip(Family),
    Parallel,
    Crash,
    Gil,
}

/// One sentence of the bottom line, with the keys of the figures it cites.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    pub topic: Topic,
    pub text: String,
    /// Keys of the figures cited (in the verdict's evidence).
    pub figures: Vec<String>,
    /// False when the sentence says what was not measured.
    pub measured: bool,
}

/// The bottom line of a verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The Rust column's words.
    pub counts: Counts,
    /// The CPython columns' words (claims they judge only).
    pub cpython: Counts,
    pub cpython_ft: Counts,
    pub sentences: Vec<Sentence>,
}

impl Summary {
    /// The question the paragraph answers.
    pub fn question(ru: bool) -> &'static str {
        if ru {
            "Потоки или процессы на этой машине?"
        } else {
            "Threads or processes on this machine?"
        }
    }

    /// The counts of every column, one line each (CPython only when judged).
    pub fn count_lines(&self, ru: bool) -> Vec<String> {
        let of = |n: usize| {
            if ru {
                format!("утверждений: {n}")
            } else {
                format!("{n} claims")
            }
        };
        let mut out = vec![format!(
            "Rust: {} ({})",
            self.counts.short(ru),
            of(self.counts.judged)
        )];
        for (build, c) in [
            (Build::Default, &self.cpython),
            (Build::FreeThreaded, &self.cpython_ft),
        ] {
            if c.judged > c.not_measurable {
                out.push(format!(
                    "{}: {} ({})",
                    build_title(build, ru),
                    c.short(ru),
                    of(c.judged)
                ));
            }
        }
        out
    }

    /// The paragraph: every sentence, in order.
    pub fn paragraph(&self) -> String {
        self.sentences
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub fn build_title(b: Build, ru: bool) -> &'static str {
    match (b, ru) {
        (Build::Default, false) => "CPython",
        (Build::Default, true) => "CPython (с GIL)",
        (Build::FreeThreaded, false) => "CPython, free-threaded",
        (Build::FreeThreaded, true) => "CPython без GIL",
    }
}

/// The bottom line of `doc`, in its language.
pub fn summarize(doc: &VerdictDocument) -> Summary {
    let faults = match doc.document("faults") {
        Some(Document::Faults(f)) => Some(f.rows.as_slice()),
        _ => None,
    };
    of(&doc.evidence, &doc.verdicts, faults, doc.lang == "ru")
}

/// The bottom line from evidence, the verdicts and the fault rows.
pub fn of(ev: &Evidence, verdicts: &[Verdict], faults: Option<&[Row]>, ru: bool) -> Summary {
    let mut sentences = vec![start(ev, ru), keep(ev, ru)];
    sentences.extend(round_trips(ev, ru));
    sentences.push(parallel(ev, verdicts, ru));
    sentences.push(crash(ev, faults, ru));
    sentences.extend(gil(ev, verdicts, ru));
    Summary {
        counts: Counts::of(verdicts.iter().map(|v| &v.judgement.word)),
        cpython: Counts::of(
            verdicts
                .iter()
                .filter_map(|v| v.cpython.as_ref().map(|j| &j.word)),
        ),
        cpython_ft: Counts::of(
            verdicts
                .iter()
                .filter_map(|v| v.cpython_ft.as_ref().map(|j| &j.word)),
        ),
        sentences,
    }
}

/// A figure with its interval in one unit, briefly: "71.1 µs (68.8–73.3)",
/// "5.10× (4.60–5.53)"; a figure without an interval is its value alone.
pub fn brief(f: &Figure) -> String {
    use crate::evidence::{Spread, Unit};
    let (scale, unit, digits) = match f.unit {
        Unit::Ns => {
            let v = f.value.abs();
            if v >= 1e9 {
                (1e9, " s", 2)
            } else if v >= 1e6 {
                (1e6, " ms", 2)
            } else if v >= 1e3 {
                (1e3, " µs", 1)
            } else {
                (1.0, " ns", 0)
            }
        }
        Unit::Ratio => (1.0, "×", 2),
        Unit::KiB if f.value.abs() >= 10240.0 => (1024.0, " MiB", 1),
        Unit::KiB => (1.0, " KiB", 1),
        Unit::Bytes => (1.0, " B", 0),
        Unit::Cpus => (1.0, " CPUs", 2),
        Unit::Count => (1.0, "", 0),
    };
    let n = |v: f64| format!("{:.*}", digits, v / scale);
    if f.spread == Spread::Exact || n(f.low) == n(f.high) {
        format!("{}{unit}", n(f.value))
    } else {
        format!("{}{unit} ({}–{})", n(f.value), n(f.low), n(f.high))
    }
}

fn measured(topic: Topic, text: String, figures: Vec<String>) -> Sentence {
    Sentence {
        topic,
        text,
        figures,
        measured: true,
    }
}

fn unmeasured(topic: Topic, text: String) -> Sentence {
    Sentence {
        topic,
        text,
        figures: vec![],
        measured: false,
    }
}

/// Why step `step` gave nothing, or a plain "not run".
fn why(ev: &Evidence, step: &str, ru: bool) -> String {
    match ev.missing.get(step) {
        Some(m) => m.why.clone(),
        None if ru => format!("шаг `{step}` не выполнялся"),
        None => format!("the `{step}` step did not run"),
    }
}

/// Where `a`'s interval lies against `b`'s, by differences with the
/// rules' margin (so a thread's figure near zero needs no division).
fn compare(a: &Figure, b: &Figure) -> Compared {
    if a.low - b.high > MARGIN * b.high.abs() {
        Compared::Above
    } else if b.low - a.high > MARGIN * b.low.abs() {
        Compared::Below
    } else {
        Compared::Inside
    }
}

/// What starting and ending a process costs against a thread.
fn start(ev: &Evidence, ru: bool) -> Sentence {
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
fn keep(ev: &Evidence, ru: bool) -> Sentence {
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

/// A rally's placement, pinned: both players on one CPU, or on two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pinned {
    OneCpu,
    TwoCpus,
}

impl Pinned {
    pub const BOTH: [Pinned; 2] = [Pinned::OneCpu, Pinned::TwoCpus];

    pub fn describe(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Pinned::OneCpu, false) => "both on one CPU",
            (Pinned::TwoCpus, false) => "on two CPUs",
            (Pinned::OneCpu, true) => "оба на одном CPU",
            (Pinned::TwoCpus, true) => "на двух CPU",
        }
    }

    pub fn label(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Pinned::OneCpu, false) => "one CPU",
            (Pinned::TwoCpus, false) => "two CPUs",
            (Pinned::OneCpu, true) => "один CPU",
            (Pinned::TwoCpus, true) => "два CPU",
        }
    }

    /// The verdict step that measures this placement.
    pub fn step(self) -> &'static str {
        match self {
            Pinned::OneCpu => super::plan::SAME_CPU_STEP,
            Pinned::TwoCpus => super::plan::TWO_CPUS_STEP,
        }
    }

    /// Where the players ran, as the rally records it.
    fn class(self) -> PlacementClass {
        match self {
            Pinned::OneCpu => PlacementClass::SameCpu,
            Pinned::TwoCpus => PlacementClass::TwoCpus,
        }
    }

    // The only two places that know how the rally figures name their
    // placement: when the keys change, these follow.

    /// The pinned placement of a processes ÷ threads ratio key, and its
    /// channel; None for other keys (free placement included: where the
    /// players ran is not known there, so it is never summarised).
    pub fn of_ratio_key(k: &str) -> Option<(Pinned, &str)> {
        let (asked, ran, channel) = key::parse_ratio(k)?;
        let pinned = match (asked, ran) {
            (Asked::Pinned, PlacementClass::SameCpu) => Pinned::OneCpu,
            (Asked::Pinned, PlacementClass::TwoCpus) => Pinned::TwoCpus,
            _ => return None,
        };
        Some((pinned, channel))
    }

    /// The key of `unit`'s median round trip over `channel` in this placement.
    pub fn median_key(self, channel: &str, unit: UnitKind) -> String {
        key::median(Asked::Pinned, self.class(), channel, unit.name())
    }
}

/// Families of channels: through the kernel, through memory both players
/// map, or within one process (threads only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Kernel,
    SharedMemory,
    InProcess,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Kernel, Family::SharedMemory, Family::InProcess];

    /// The family of a channel by its name.
    pub fn of(channel: &str) -> Family {
        if crate::channel::is_shared_memory(channel) {
            return Family::SharedMemory;
        }
        match crate::channel::by_name(channel) {
            Some(c)
                if c.supports(UnitKind::Spawn).is_err() && c.supports(UnitKind::Thread).is_ok() =>
            {
                Family::InProcess
            }
            _ => Family::Kernel,
        }
    }

    pub fn name(self, ru: bool) -> &'static str {
        match (self, ru) {
            (Family::Kernel, false) => "kernel channels",
            (Family::SharedMemory, false) => "shared memory",
            (Family::InProcess, false) => "in-process channels",
            (Family::Kernel, true) => "каналы ядра",
            (Family::SharedMemory, true) => "общая память",
            (Family::InProcess, true) => "каналы внутри процесса",
        }
    }
}

/// A pinned, placement-matched processes ÷ threads round trip.
#[derive(Clone, Debug, PartialEq)]
pub struct RallyRatio {
    pub pinned: Pinned,
    pub family: Family,
    pub channel: String,
    pub figure: Figure,
    /// The keys the ratio rests on: the ratio's own, or (in-process) both medians.
    pub keys: Vec<String>,
}

/// Every pinned processes ÷ threads ratio the evidence holds, by
/// placement, family and channel. In-process channels carry only threads:
/// there, processes over their fastest channel measured in the same
/// placement ÷ threads over the in-process channel (what choosing processes
/// costs a program whose threads would use that channel).
pub fn rally_ratios(ev: &Evidence) -> Vec<RallyRatio> {
    let mut out: Vec<RallyRatio> = ev
        .figures
        .iter()
        .filter_map(|(k, f)| {
            let (pinned, channel) = Pinned::of_ratio_key(k)?;
            Some(RallyRatio {
                pinned,
                family: Family::of(channel),
                channel: channel.to_string(),
                figure: f.clone(),
                keys: vec![k.clone()],
            })
        })
        .collect();
    for pinned in Pinned::BOTH {
        let fastest = crate::channel::names()
            .into_iter()
            .filter_map(|c| {
                let k = pinned.median_key(c, UnitKind::Spawn);
                ev.figure(&k).map(|f| (k, c, f))
            })
            .min_by(|a, b| a.2.value.total_cmp(&b.2.value));
        let Some((pk, pc, process)) = fastest else {
            continue;
        };
        for c in crate::channel::names() {
            if Family::of(c) != Family::InProcess {
                continue;
            }
            let tk = pinned.median_key(c, UnitKind::Thread);
            if let Some(thread) = ev.figure(&tk) {
                out.push(RallyRatio {
                    pinned,
                    family: Family::InProcess,
                    channel: c.to_string(),
                    figure: process.over(
                        thread,
                        format!(
                            "processes over {pc} ÷ threads over {c}, {}",
                            pinned.describe(false)
                        ),
                    ),
                    keys: vec![pk.clone(), tk],
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.family, a.pinned, a.figure.value)
            .partial_cmp(&(b.family, b.pinned, b.figure.value))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    out
}

/// Whether a set of ratios says processes are slower, faster, alike, or mixed.
fn direction(ratios: &[&RallyRatio], ru: bool) -> &'static str {
    let said: Vec<Compared> = ratios
        .iter()
        .map(|r| match against(&r.figure, 1.0 + MARGIN) {
            Compared::Above => Compared::Above,
            _ if against(&r.figure, 1.0 - MARGIN) == Compared::Below => Compared::Below,
            _ => Compared::Inside,
        })
        .collect();
    let all = |c: Compared| said.iter().all(|s| *s == c);
    match (
        ru,
        all(Compared::Above),
        all(Compared::Below),
        all(Compared::Inside),
    ) {
        (false, true, _, _) => "processes slower",
        (false, _, true, _) => "processes faster",
        (false, _, _, true) => "no clear difference",
        (false, _, _, _) => "mixed",
        (true, true, _, _) => "процессы медленнее",
        (true, _, true, _) => "процессы быстрее",
        (true, _, _, true) => "нет явной разницы",
        (true, _, _, _) => "по-разному",
    }
}

/// The round trip between processes against threads, one sentence per
/// family measured, and one naming the families not measured.
fn round_trips(ev: &Evidence, ru: bool) -> Vec<Sentence> {
    let all = rally_ratios(ev);
    if all.is_empty() {
        let why = why(ev, Pinned::OneCpu.step(), ru);
        return vec![unmeasured(
            Topic::RoundTrip(Family::Kernel),
            if ru {
                format!("Круговой обмен между процессами против потоков (с закреплением на CPU) не измерен: {why}.")
            } else {
                format!("A round trip between processes against threads, pinned to CPUs, was not measured: {why}.")
            },
        )];
    }
    let mut out = Vec::new();
    let mut absent = Vec::new();
    for family in Family::ALL {
        let of: Vec<&RallyRatio> = all.iter().filter(|r| r.family == family).collect();
        if of.is_empty() {
            absent.push(family.name(ru));
            continue;
        }
        out.push(family_sentence(family, &of, ru));
    }
    if !absent.is_empty() {
        out.push(unmeasured(
            Topic::RoundTrip(Family::InProcess),
            if ru {
                format!(
                    "Не измерено в этом прогоне (закреплённые на CPU): {}.",
                    absent.join(", ")
                )
            } else {
                format!("Not measured in this run (pinned): {}.", absent.join(", "))
            },
        ));
    }
    out
}

/// One family's round trip, processes ÷ threads: the range over its
/// channels and which way it goes, for each pinned placement measured.
fn family_sentence(family: Family, of: &[&RallyRatio], ru: bool) -> Sentence {
    let mut parts = Vec::new();
    for pinned in Pinned::BOTH {
        let here: Vec<&RallyRatio> = of.iter().copied().filter(|r| r.pinned == pinned).collect();
        if here.is_empty() {
            continue;
        }
        let cite = |r: &RallyRatio| format!("{} {}", r.channel, brief(&r.figure));
        let (lo, hi) = (here[0], here[here.len() - 1]);
        let range = if here.len() == 1 {
            cite(lo)
        } else if ru {
            format!("от {} до {}", cite(lo), cite(hi))
        } else {
            format!("{} to {}", cite(lo), cite(hi))
        };
        parts.push(format!(
            "{}: {range}, {}",
            pinned.label(ru),
            direction(&here, ru)
        ));
    }
    let missing: Vec<&str> = Pinned::BOTH
        .iter()
        .filter(|p| !of.iter().any(|r| r.pinned == **p))
        .map(|p| p.label(ru))
        .collect();
    let mut text = if ru {
        format!(
            "Круговой обмен, процессы ÷ потоки, {} — {}",
            family.name(ru),
            parts.join("; ")
        )
    } else {
        format!(
            "Round trip, processes ÷ threads over {} — {}",
            family.name(ru),
            parts.join("; ")
        )
    };
    if !missing.is_empty() {
        text.push_str(&if ru {
            format!("; {}: не измерено", missing.join(", "))
        } else {
            format!("; {}: not measured", missing.join(", "))
        });
    }
    text.push('.');
    let keys = of.iter().flat_map(|r| r.keys.clone()).collect();
    measured(Topic::RoundTrip(family), text, keys)
}

/// The claim `id`'s Rust word, short, for a sentence's conclusion.
fn word_of(verdicts: &[Verdict], id: &str, column: Option<Build>) -> Option<Word> {
    let v = verdicts.iter().find(|v| v.id == id)?;
    let j: &Judgement = match column {
        None => &v.judgement,
        Some(b) => v.python(b)?,
    };
    Some(j.word.clone())
}

/// Whether threads ran at once: the CPU-bound speedups, concluded by T3's word.
fn parallel(ev: &Evidence, verdicts: &[Verdict], ru: bool) -> Sentence {
    let tk = scale::key::speedup(UnitKind::Thread, CpuSet::AllCpus);
    let pk = scale::key::speedup(UnitKind::Fork, CpuSet::AllCpus);
    let Some(threads) = ev.figure(&tk) else {
        let why = why(ev, "scale", ru);
        return unmeasured(
            Topic::Parallel,
            if ru {
                format!("Исполнялись ли потоки одновременно, не измерено: {why}.")
            } else {
                format!("Whether threads ran at once was not measured: {why}.")
            },
        );
    };
    let cpus = ev.figure(scale::key::CPUS).map(|f| f.value as usize);
    let mut keys = vec![tk];
    let processes = ev.figure(&pk).map(|p| {
        keys.push(pk.clone());
        brief(p)
    });
    let load = ev
        .figure(&super::load_key("scale"))
        .filter(|l| l.value > super::rules::BUSY)
        .map(|l| format!("{:.2}", l.value));
    let conclusion = match (word_of(verdicts, "T3", None), ru) {
        (Some(Word::Depends { .. }), false) if load.is_some() => format!(
            "the machine was too busy to tell whether they ran at once: others used {} CPUs (T3 depends)",
            load.clone().unwrap_or_default()
        ),
        (Some(Word::Depends { .. }), true) if load.is_some() => format!(
            "машина была слишком занята, чтобы судить, шли ли они одновременно: другие заняли {} CPU (T3 зависит)",
            load.clone().unwrap_or_default()
        ),
        (Some(Word::Fails), false) => "threads ran at once (T3 fails)".to_string(),
        (Some(Word::Holds), false) => "threads took turns (T3 holds)".to_string(),
        (Some(Word::NoClearDifference), false) => {
            "whether they ran at once is inside the noise (T3: no clear difference)".to_string()
        }
        (Some(Word::Depends { on }), false) => format!("whether they ran at once depends on {on} (T3)"),
        (_, false) => "T3 was not judged".to_string(),
        (Some(Word::Fails), true) => "потоки исполнялись одновременно (T3 неверно)".to_string(),
        (Some(Word::Holds), true) => "потоки исполнялись по очереди (T3 верно)".to_string(),
        (Some(Word::NoClearDifference), true) => {
            "одновременно ли, не видно за шумом (T3: нет явной разницы)".to_string()
        }
        (Some(Word::Depends { on }), true) => format!("одновременно ли — зависит: {on} (T3)"),
        (_, true) => "T3 не оценено".to_string(),
    };
    let cpus = cpus.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let t = brief(threads);
    let text = match (processes, ru) {
        (Some(p), false) => format!(
            "CPU-bound work over {cpus} CPUs: threads ran {t} as fast as one thread, processes {p}; {conclusion}."
        ),
        (None, false) => format!(
            "CPU-bound work over {cpus} CPUs: threads ran {t} as fast as one thread; {conclusion}."
        ),
        (Some(p), true) => format!(
            "Счёт на {cpus} CPU: потоки шли в {t} быстрее одного потока, процессы — в {p}; {conclusion}."
        ),
        (None, true) => format!(
            "Счёт на {cpus} CPU: потоки шли в {t} быстрее одного потока; {conclusion}."
        ),
    };
    measured(Topic::Parallel, text, keys)
}

/// What a crash does: the fault experiment's rows, counted.
fn crash(ev: &Evidence, rows: Option<&[Row]>, ru: bool) -> Sentence {
    let crashes: Vec<&Row> = rows
        .unwrap_or(&[])
        .iter()
        .filter(|r| r.experiment == "crash")
        .collect();
    let of =
        |unit: &str| -> Vec<&Row> { crashes.iter().copied().filter(|r| r.unit == unit).collect() };
    let (threads, processes) = (of("thread"), of("process"));
    if threads.is_empty() || processes.is_empty() {
        let why = why(ev, "faults", ru);
        return unmeasured(
            Topic::Crash,
            if ru {
                format!("Что делает сбой в потоке и в процессе, не измерено: {why}.")
            } else {
                format!("What a crash in a thread and in a process does was not measured: {why}.")
            },
        );
    }
    let ended = |rows: &[&Row]| -> Vec<String> {
        rows.iter()
            .filter(|r| matches!(r.observed, Observed::ProgramEnded { .. }))
            .map(|r| r.case.clone())
            .collect()
    };
    let contained = |rows: &[&Row]| {
        rows.iter()
            .filter(|r| r.observed == Observed::Contained)
            .count()
    };
    let (te, pe) = (ended(&threads), ended(&processes));
    let pc = contained(&processes);
    let list = |v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!(" ({})", v.join(", "))
        }
    };
    let text = if ru {
        format!(
            "Сбой в потоке завершил всю программу в {} из {} случаев{}; в дочернем процессе — в {} из {}{} (завершался только сам процесс: {pc}).",
            te.len(),
            threads.len(),
            list(&te),
            pe.len(),
            processes.len(),
            list(&pe)
        )
    } else {
        format!(
            "A fault in a thread ended the whole program in {} of {} cases{}; in a child process, in {} of {}{} (only the process ended: {pc}).",
            te.len(),
            threads.len(),
            list(&te),
            pe.len(),
            processes.len(),
            list(&pe)
        )
    };
    measured(Topic::Crash, text, vec![])
}

/// CPython's GIL: its threads and processes on pure-Python work, and the
/// free-threaded build's threads. Nothing when no CPython was looked for.
fn gil(ev: &Evidence, verdicts: &[Verdict], ru: bool) -> Option<Sentence> {
    let speedup = |b: Build, u: PyUnit| {
        let k = py::of(
            b,
            &py::scale_speedup(Kernel::PythonLoop, u, ScalePlacement::Free),
        );
        ev.figure(&k).map(|f| (k, f))
    };
    let threads = speedup(Build::Default, PyUnit::Threads);
    let processes = speedup(Build::Default, PyUnit::Processes);
    let ft = speedup(Build::FreeThreaded, PyUnit::Threads);
    let Some((tk, t)) = threads else {
        return gil_unmeasured(ev, ru);
    };
    let mut keys = vec![tk];
    let word = |id: &str, b: Build| -> String {
        word_of(verdicts, id, Some(b))
            .map(|w| format!("{id} {}", short_word(&w, ru)))
            .unwrap_or_default()
    };
    let mut text = if ru {
        format!(
            "CPython с GIL, чистый Python: потоки — в {} быстрее одного потока ({})",
            brief(t),
            word("T3", Build::Default)
        )
    } else {
        format!(
            "CPython with the GIL, pure-Python work: threads ran {} as fast as one thread ({})",
            brief(t),
            word("T3", Build::Default)
        )
    };
    if let Some((pk, p)) = processes {
        keys.push(pk);
        text.push_str(&if ru {
            format!(
                ", процессы — в {} ({})",
                brief(p),
                word("P5", Build::Default)
            )
        } else {
            format!(", processes {} ({})", brief(p), word("P5", Build::Default))
        });
    }
    match ft {
        Some((fk, f)) => {
            keys.push(fk);
            text.push_str(&if ru {
                format!(
                    "; без GIL (free-threaded) потоки — в {} ({}).",
                    brief(f),
                    word("T3", Build::FreeThreaded)
                )
            } else {
                format!(
                    "; free-threaded (no GIL), threads {} ({}).",
                    brief(f),
                    word("T3", Build::FreeThreaded)
                )
            });
        }
        None => text.push_str(if ru {
            "; CPython без GIL (free-threaded) не измерен."
        } else {
            "; a free-threaded CPython (no GIL) was not measured."
        }),
    }
    Some(measured(Topic::Gil, text, keys))
}

/// Why CPython was not measured (nothing when it was not looked for).
fn gil_unmeasured(ev: &Evidence, ru: bool) -> Option<Sentence> {
    let why = ev
        .missing
        .get(py::column(Build::Default))
        .or_else(|| ev.missing.get(py::STEP))
        .map(|m| m.why.clone())?;
    Some(unmeasured(
        Topic::Gil,
        if ru {
            format!("CPython не измерен: {why}.")
        } else {
            format!("CPython was not measured: {why}.")
        },
    ))
}

/// The word without what it depends on, as the one-line table shows it.
pub fn short_word(w: &Word, ru: bool) -> &'static str {
    match (w, ru) {
        (Word::Holds, false) => "holds",
        (Word::Fails, false) => "fails",
        (Word::Depends { .. }, false) => "depends",
        (Word::NoClearDifference, false) => "no diff",
        (Word::NotMeasurable { .. }, false) => "n/m",
        (Word::Holds, true) => "верно",
        (Word::Fails, true) => "неверно",
        (Word::Depends { .. }, true) => "зависит",
        (Word::NoClearDifference, true) => "нет разн.",
        (Word::NotMeasurable { .. }, true) => "н/и",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Spread, Unit};
    use spawn_cost::Method;

    fn fig(v: f64, lo: f64, hi: f64, unit: Unit) -> Figure {
        Figure {
            value: v,
            low: lo,
            high: hi,
            unit,
            spread: Spread::Repetitions { n: 3 },
            what: String::new(),
            command: "pingpong x".into(),
        }
    }

    fn ev(pairs: &[(String, Figure)]) -> Evidence {
        let mut ev = Evidence::default();
        for (k, f) in pairs {
            ev.put(k.clone(), f.clone());
        }
        ev
    }

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

    fn sentence(s: &Summary, topic: Topic) -> &Sentence {
        s.sentences
            .iter()
            .find(|x| x.topic == topic)
            .unwrap_or_else(|| panic!("no {topic:?} sentence in {s:?}"))
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

    #[test]
    fn a_missing_figure_says_it_was_not_measured_and_why() {
        let mut e = Evidence::default();
        e.miss("spawn", "the spawn step failed: boom");
        let s = of(&e, &[], None, false);
        let start = sentence(&s, Topic::Start);
        assert!(!start.measured);
        assert!(
            start.text.contains("not measured") && start.text.contains("boom"),
            "{}",
            start.text
        );
        assert!(!sentence(&s, Topic::Crash).measured);
        // No CPython looked for: no GIL sentence at all.
        assert!(s.sentences.iter().all(|x| x.topic != Topic::Gil));
        let ru = of(&e, &[], None, true);
        assert!(sentence(&ru, Topic::Start).text.contains("не измерена"));
    }

    fn pinned(p: &str, channel: &str, v: f64, lo: f64, hi: f64) -> (String, Figure) {
        let k = match p {
            "same-cpu" => key::ratio(Asked::Pinned, PlacementClass::SameCpu, channel),
            "two-cpus" => key::ratio(Asked::Pinned, PlacementClass::TwoCpus, channel),
            _ => key::unplaced_ratio(channel),
        };
        (k, fig(v, lo, hi, Unit::Ratio))
    }

    #[test]
    fn round_trips_are_told_per_family_and_placement_and_free_placement_is_left_out() {
        let e = ev(&[
            pinned("same-cpu", "pipe", 1.07, 1.06, 1.08),
            pinned("same-cpu", "tcp", 1.16, 1.12, 1.20),
            pinned("two-cpus", "pipe", 0.9, 0.85, 0.95),
            pinned("same-cpu", "spin", 1.0, 0.97, 1.03),
            pinned("free", "unix", 30.0, 1.0, 33.0),
        ]);
        let s = of(&e, &[], None, false);
        let kernel = sentence(&s, Topic::RoundTrip(Family::Kernel));
        assert!(
            kernel.text.contains("pipe 1.07×") && kernel.text.contains("tcp 1.16×"),
            "{}",
            kernel.text
        );
        assert!(
            kernel.text.contains("processes slower") && kernel.text.contains("processes faster"),
            "{}",
            kernel.text
        );
        assert!(
            !kernel.text.contains("unix"),
            "free placement is not summarised: {}",
            kernel.text
        );
        let shm = sentence(&s, Topic::RoundTrip(Family::SharedMemory));
        assert!(shm.text.contains("no clear difference"), "{}", shm.text);
        assert!(shm.text.contains("two CPUs: not measured"), "{}", shm.text);
        let absent = sentence(&s, Topic::RoundTrip(Family::InProcess));
        assert!(
            !absent.measured && absent.text.contains("in-process"),
            "{}",
            absent.text
        );
        // Other figures, other sentence.
        let e2 = ev(&[pinned("same-cpu", "pipe", 1.5, 1.4, 1.6)]);
        let k2 = of(&e2, &[], None, false);
        assert_ne!(
            sentence(&k2, Topic::RoundTrip(Family::Kernel)).text,
            kernel.text
        );
    }

    #[test]
    fn in_process_channels_are_set_against_the_fastest_process_channel() {
        let median = |ch: &str, unit: UnitKind, v: f64| {
            (
                Pinned::OneCpu.median_key(ch, unit),
                fig(v, v * 0.99, v * 1.01, Unit::Ns),
            )
        };
        let e = ev(&[
            median("pipe", UnitKind::Spawn, 2000.0),
            median("spin", UnitKind::Spawn, 400.0),
            median("crossbeam", UnitKind::Thread, 200.0),
        ]);
        let r: Vec<RallyRatio> = rally_ratios(&e);
        let inproc: Vec<&RallyRatio> = r.iter().filter(|r| r.family == Family::InProcess).collect();
        assert_eq!(inproc.len(), 1, "{r:?}");
        assert!(
            (inproc[0].figure.value - 2.0).abs() < 1e-9,
            "spin (fastest) ÷ crossbeam"
        );
        assert_eq!(inproc[0].keys.len(), 2);
    }

    #[test]
    fn the_crash_sentence_counts_the_rows() {
        let row = |unit: &str, case: &str, ended: bool| -> Row {
            serde_json::from_value(serde_json::json!({
                "experiment": "crash", "case": case, "unit": unit, "outcome": "", "status": "",
                "survived": !ended, "notice_ns": null, "detail": "", "figures": {},
                "observed": if ended { serde_json::json!({"kind": "program_ended", "signal": "SIGABRT", "code": null, "hung": false}) }
                            else { serde_json::json!({"kind": "contained"}) }
            }))
            .unwrap()
        };
        let rows = vec![
            row("thread", "abort", true),
            row("thread", "panic", false),
            row("process", "abort", false),
            row("process", "panic", false),
        ];
        let s = of(&Evidence::default(), &[], Some(&rows), false);
        let c = sentence(&s, Topic::Crash);
        assert!(c.text.contains("1 of 2 cases (abort)"), "{}", c.text);
        assert!(c.text.contains("0 of 2"), "{}", c.text);
        let all = vec![
            row("thread", "abort", true),
            row("thread", "panic", true),
            row("process", "abort", false),
        ];
        let s2 = of(&Evidence::default(), &[], Some(&all), false);
        assert_ne!(sentence(&s2, Topic::Crash).text, c.text);
    }

    #[test]
    fn the_gil_sentence_sets_threads_beside_processes_and_the_free_threaded_build() {
        let k = |b: Build, u: PyUnit| {
            py::of(
                b,
                &py::scale_speedup(Kernel::PythonLoop, u, ScalePlacement::Free),
            )
        };
        let e = ev(&[
            (
                k(Build::Default, PyUnit::Threads),
                fig(1.0, 0.97, 1.02, Unit::Ratio),
            ),
            (
                k(Build::Default, PyUnit::Processes),
                fig(1.9, 1.8, 2.0, Unit::Ratio),
            ),
            (
                k(Build::FreeThreaded, PyUnit::Threads),
                fig(1.85, 1.7, 1.95, Unit::Ratio),
            ),
        ]);
        let s = of(&e, &[], None, false);
        let g = sentence(&s, Topic::Gil);
        assert!(
            g.text.contains("1.00×") && g.text.contains("1.90×") && g.text.contains("1.85×"),
            "{}",
            g.text
        );
        assert_eq!(g.figures.len(), 3);
        let mut none = Evidence::default();
        none.miss(py::column(Build::Default), "no python3 on PATH");
        let s = of(&none, &[], None, false);
        assert!(sentence(&s, Topic::Gil).text.contains("no python3"));
    }

    #[test]
    fn counts_count_every_word() {
        let c = Counts::of(
            [
                Word::Holds,
                Word::Holds,
                Word::Fails,
                Word::Depends { on: "x".into() },
                Word::NoClearDifference,
                Word::NotMeasurable { why: "y".into() },
            ]
            .iter(),
        );
        assert_eq!(
            (
                c.judged,
                c.holds,
                c.fails,
                c.depends,
                c.no_difference,
                c.not_measurable
            ),
            (6, 2, 1, 1, 1, 1)
        );
        assert!(c.line(false).starts_with("6 claims: 2 hold"));
    }
}
