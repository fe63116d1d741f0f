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
    pub verdicts: Vec<Verdict>,
    /// The figures and demonstrations the verdicts rest on, derived from
    /// `demos` and `steps` (kept for readers; `--from` derives them again).
    pub evidence: Evidence,
    /// What the verdict showed live itself (the definitional claims).
    pub demos: BTreeMap<String, Demo>,
    pub steps: Vec<Step>,
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

    /// Derives the evidence from the documents and judges every claim.
    pub fn judge(&mut self) {
        self.evidence = evidence(&self.demos, &self.steps);
        self.verdicts = judge_all(&self.evidence);
    }
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

/// Judges every claim from the evidence.
pub fn judge_all(ev: &Evidence) -> Vec<Verdict> {
    claims::all()
        .iter()
        .map(|c| Verdict {
            id: c.id.clone(),
            claim_en: c.en.clone(),
            claim_ru: c.ru.clone(),
            judgement: rules::judge(&c.id, ev),
            cpython: rules::judge_cpython(crate::python::Build::Default, &c.id, ev),
            cpython_ft: rules::judge_cpython(crate::python::Build::FreeThreaded, &c.id, ev),
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
