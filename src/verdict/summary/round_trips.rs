//! A round trip between processes against threads, pinned to CPUs: one
//! sentence per family of channels (through the kernel, through shared
//! memory, within one process). The HTML's plots read the same ratios
//! through [`rally_ratios`], [`Pinned`] and [`Family`].

use super::super::rules::MARGIN;
use super::{brief, measured, unmeasured, why, Sentence, Topic};
use crate::evidence::{against, Compared, Evidence, Figure};
use crate::kinds::UnitKind;
use crate::results::{key, Asked, PlacementClass};

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
            Pinned::OneCpu => super::super::plan::SAME_CPU_STEP,
            Pinned::TwoCpus => super::super::plan::TWO_CPUS_STEP,
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
pub(super) fn round_trips(ev: &Evidence, ru: bool) -> Vec<Sentence> {
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

#[cfg(test)]
mod tests {
    use super::super::of;
    use super::super::testing::{ev, fig, sentence};
    use super::*;
    use crate::evidence::Unit;

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
}
