//! `pingpong verdict`: runs a curated plan of experiments and gives every
//! claim of the study notes a verdict computed from the figures just
//! measured — with the figures, the rule that turned them into a word, and
//! the command that reproduces each experiment alone.
//!
//! Measuring ([`plan`], [`steps`]) and judging ([`rules`]) are kept apart.
//! Between them sit the typed documents of the experiments: each step keeps
//! its document whole, and the evidence is derived from the documents by
//! their own [`Witness`] impls. So the rules are tested on synthetic
//! figures, and `--from` judges a saved verdict again — documents to
//! evidence to words — without measuring.

pub mod claims;
pub mod demos;
pub mod plan;
pub mod render;
pub mod rules;
pub mod steps;
pub mod summary;

use crate::document::Document;
use crate::evidence::{Demo, Evidence, Figure, Unit, Witness};
use crate::results::Header;
use rules::Judgement;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use plan::{measure, Mode};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub id: String,
    pub claim_en: String,
    pub claim_ru: String,
    pub judgement: Judgement,
    /// The same claim judged from the default CPython's figures (`pingpong
    /// python`, with the GIL), for the claims CPython is measured on; None
    /// for the others.
    #[serde(default)]
    pub cpython: Option<Judgement>,
    /// The same claim judged from a free-threaded CPython's figures (no
    /// GIL), by the same rules.
    #[serde(default)]
    pub cpython_ft: Option<Judgement>,
    /// The figures both judgements rest on, by key, so a verdict shows
    /// them wherever it is rendered (whichever run it came from).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, Figure>,
    /// With `--repeat K`: the words the K runs gave (None for one run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<Stability>,
}

/// How often each word came out over repeated runs of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    pub runs: u32,
    /// Each word seen (its kind: "holds", "fails", "depends", …) and in how
    /// many runs, most frequent first.
    pub seen: Vec<(String, u32)>,
}

impl Stability {
    /// Whether every run gave the same word.
    pub fn stable(&self) -> bool {
        self.seen.len() <= 1
    }
}

impl Verdict {
    /// The CPython column of `build`.
    pub fn python(&self, build: crate::python::Build) -> Option<&Judgement> {
        match build {
            crate::python::Build::Default => self.cpython.as_ref(),
            crate::python::Build::FreeThreaded => self.cpython_ft.as_ref(),
        }
    }
}

/// One step of the plan, as it went.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    /// "rally.same-cpu", "rally.free", "hosts", or an experiment's name.
    pub name: String,
    /// The command that reproduces this step alone.
    pub command: String,
    /// CPUs that other processes used meanwhile (the machine's load).
    pub others_cpus: Option<f64>,
    /// Which run of the plan this step belongs to (`--repeat`), from 0.
    #[serde(default)]
    pub run: u32,
    /// The loads of earlier attempts at this step, measured again because
    /// other processes disturbed them (empty when the first attempt counted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disturbed: Vec<f64>,
    /// Wall time the step took, every attempt included (0 when the
    /// document predates the field).
    #[serde(default)]
    pub seconds: f64,
    pub outcome: Outcome,
}

/// What a step gave.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Its document, whole.
    Measured { document: Box<Document> },
    /// Why it gave nothing.
    Failed { why: String },
}

/// What `verdict --json` writes and `--from` reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerdictDocument {
    #[serde(flatten)]
    pub header: Header,
    /// "quick", "default" or "thorough".
    pub mode: String,
    pub lang: String,
    /// How many times the plan ran (`--repeat`), interleaved step by step.
    #[serde(default = "one")]
    pub runs: u32,
    pub verdicts: Vec<Verdict>,
    /// The figures and demonstrations the verdicts rest on, derived from
    /// `demos` and `steps` (kept for readers; `--from` derives them again).
    pub evidence: Evidence,
    /// What the verdict showed live itself (the definitional claims).
    pub demos: BTreeMap<String, Demo>,
    pub steps: Vec<Step>,
}

fn one() -> u32 {
    1
}

impl VerdictDocument {
    /// The documents the steps measured, in order, with their commands.
    pub fn documents(&self) -> impl Iterator<Item = (&Step, &Document)> {
        self.steps.iter().filter_map(|s| match &s.outcome {
            Outcome::Measured { document } => Some((s, document.as_ref())),
            Outcome::Failed { .. } => None,
        })
    }

    /// The first document a step of this name measured.
    pub fn document(&self, step: &str) -> Option<&Document> {
        self.documents()
            .find(|(s, _)| s.name == step)
            .map(|(_, d)| d)
    }

    /// Derives the evidence from the documents and judges every claim; with
    /// several runs, each claim gets the word most runs gave, and the words
    /// seen.
    pub fn judge(&mut self) {
        let runs = self.runs.max(1);
        let judged: Vec<(Evidence, Vec<Verdict>)> = (0..runs)
            .map(|k| {
                let steps: Vec<Step> = self.steps.iter().filter(|s| s.run == k).cloned().collect();
                let ev = evidence(&self.demos, &steps);
                let verdicts = judge_all(&ev);
                (ev, verdicts)
            })
            .collect();
        let mut first = judged.into_iter();
        let Some((ev0, mut verdicts)) = first.next() else {
            return;
        };
        let others: Vec<Vec<Verdict>> = first.map(|(_, v)| v).collect();
        if runs > 1 {
            for (i, v) in verdicts.iter_mut().enumerate() {
                let all: Vec<&Verdict> = std::iter::once(&*v)
                    .chain(others.iter().filter_map(|o| o.get(i)))
                    .collect();
                let (modal, stability) = stability_of(&all);
                let chosen = all[modal].clone();
                *v = Verdict {
                    stability: Some(stability),
                    ..chosen
                };
            }
        }
        self.evidence = ev0;
        self.verdicts = verdicts;
    }
}

/// The word a verdict gave, as a kind ("depends" whatever it depends on).
fn kind(v: &Verdict) -> &'static str {
    use rules::Word;
    match v.judgement.word {
        Word::Holds => "holds",
        Word::Fails => "fails",
        Word::Depends { .. } => "depends",
        Word::NoClearDifference => "no clear difference",
        Word::NotMeasurable { .. } => "not measurable",
    }
}

/// The index of the first run that gave the most frequent word, and the
/// words seen, most frequent first (ties: the earlier run's word first).
fn stability_of(all: &[&Verdict]) -> (usize, Stability) {
    let mut seen: Vec<(String, u32, usize)> = Vec::new();
    for (i, v) in all.iter().enumerate() {
        match seen.iter_mut().find(|(w, _, _)| w == kind(v)) {
            Some(s) => s.1 += 1,
            None => seen.push((kind(v).to_string(), 1, i)),
        }
    }
    seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    let modal = seen.first().map(|s| s.2).unwrap_or(0);
    (
        modal,
        Stability {
            runs: all.len() as u32,
            seen: seen.into_iter().map(|(w, n, _)| (w, n)).collect(),
        },
    )
}

/// The key of the load figure of a step.
pub fn load_key(step: &str) -> String {
    format!("load.{step}")
}

/// The evidence the live demonstrations and the steps' documents show.
pub fn evidence(demos: &BTreeMap<String, Demo>, steps: &[Step]) -> Evidence {
    let mut ev = Evidence::default();
    ev.demos.extend(demos.clone());
    for s in steps {
        if let Some(load) = s.others_cpus {
            ev.put(
                load_key(&s.name),
                Figure::exact(
                    load,
                    Unit::Cpus,
                    format!("CPUs used by other processes during `{}`", s.command),
                    &s.command,
                ),
            );
        }
        match &s.outcome {
            Outcome::Measured { document } => document.testify(&mut ev, &s.command),
            Outcome::Failed { why } => ev.miss(s.name.clone(), why.clone()),
        }
    }
    ev
}

/// Judges every claim from the evidence; each verdict carries the figures
/// it rests on.
pub fn judge_all(ev: &Evidence) -> Vec<Verdict> {
    claims::all()
        .iter()
        .map(|c| {
            let judgement = rules::judge(&c.id, ev);
            let cpython = rules::judge_cpython(crate::python::Build::Default, &c.id, ev);
            let cpython_ft = rules::judge_cpython(crate::python::Build::FreeThreaded, &c.id, ev);
            let values = judgement
                .figures
                .iter()
                .chain(cpython.iter().flat_map(|j| &j.figures))
                .chain(cpython_ft.iter().flat_map(|j| &j.figures))
                .filter_map(|k| ev.figure(k).map(|f| (k.clone(), f.clone())))
                .collect();
            Verdict {
                id: c.id.clone(),
                claim_en: c.en.clone(),
                claim_ru: c.ru.clone(),
                judgement,
                cpython,
                cpython_ft,
                values,
                stability: None,
            }
        })
        .collect()
}

/// Reads a saved verdict (`--from`): `Err` is one line saying why it cannot.
pub fn read(text: &str) -> Result<VerdictDocument, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
    crate::document::check_schema(&v)?;
    if v.get("experiment").and_then(|e| e.as_str()) != Some("verdict") {
        return Err("it is not a verdict (its experiment is not \"verdict\")".into());
    }
    serde_json::from_value(v).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(word: rules::Word) -> Verdict {
        Verdict {
            id: "T3".into(),
            claim_en: String::new(),
            claim_ru: String::new(),
            judgement: Judgement {
                word,
                rule: String::new(),
                figures: vec![],
                commands: vec![],
            },
            cpython: None,
            cpython_ft: None,
            values: BTreeMap::new(),
            stability: None,
        }
    }

    #[test]
    fn the_most_frequent_word_wins_and_every_word_seen_is_counted() {
        use rules::Word::*;
        let runs = [
            verdict(Holds),
            verdict(Depends { on: "load".into() }),
            verdict(Depends { on: "other".into() }),
        ];
        let all: Vec<&Verdict> = runs.iter().collect();
        let (modal, s) = stability_of(&all);
        assert_eq!(modal, 1, "the first run that gave the most frequent word");
        assert_eq!(s.runs, 3);
        assert_eq!(s.seen, vec![("depends".into(), 2), ("holds".into(), 1)]);
        assert!(!s.stable());
        let same = [verdict(Fails), verdict(Fails)];
        let (_, s) = stability_of(&same.iter().collect::<Vec<_>>());
        assert!(s.stable());
        assert_eq!(s.seen, vec![("fails".into(), 2)]);
    }
}
