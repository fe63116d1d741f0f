//! What the report plots, read from the verdict's documents and evidence:
//! the at-a-glance ratio of processes to threads per channel and pinned
//! placement, the distribution of round trips (threads against processes,
//! pinned), the cost of starting a unit, memory per idle unit and CPU-bound
//! speedup (a small table when there are too few worker counts for lines).
//!
//! Free placement is left out of every chart: where the players ran is not
//! recorded there, and one CPU against two can differ 30× on a virtual
//! machine, which would read as a difference between threads and processes.
//! Every label is in the verdict's language; a plot that cannot be drawn
//! says why instead.
//!
//! This file holds what a plot is and what the plots share; each plot is in
//! its own file (`glance.rs`, `cdf.rs`, `spawn.rs`, `memory.rs`,
//! `speedup.rs`).

mod cdf;
mod glance;
mod memory;
mod spawn;
mod speedup;

pub use cdf::cdf;
pub use glance::glance;
pub use memory::memory;
pub use spawn::spawn;
pub use speedup::speedup;

use crate::document::Document;
use crate::evidence::Evidence;
use crate::kinds::{CpuSet, UnitKind};
use crate::results::RunDocument;
use crate::verdict::VerdictDocument;

/// What stands where a plot goes.
#[derive(Clone, Debug)]
pub enum Body {
    Svg(String),
    /// Too few points for a chart: a small table.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Why there is nothing to show.
    Missing(String),
}

/// A plot with its title and caption.
#[derive(Clone, Debug)]
pub struct Plot {
    /// Its element id in the page.
    pub id: &'static str,
    pub title: String,
    pub body: Body,
    pub caption: String,
}

fn t(ru: bool, en: &str, ru_text: &str) -> String {
    if ru {
        ru_text.to_string()
    } else {
        en.to_string()
    }
}

fn drawn(svg: Result<String, String>) -> Body {
    match svg {
        Ok(s) => Body::Svg(s),
        Err(e) => Body::Missing(e),
    }
}

/// Why a step gave nothing, from the evidence (or "not run").
fn why(ev: &Evidence, step: &str, ru: bool) -> String {
    match ev.missing.get(step) {
        Some(m) => m.why.clone(),
        None => t(
            ru,
            &format!("the `{step}` step did not run in this verdict"),
            &format!("шаг `{step}` в этом вердикте не выполнялся"),
        ),
    }
}

fn run<'a>(doc: &'a VerdictDocument, step: &str) -> Option<&'a RunDocument> {
    match doc.document(step) {
        Some(Document::Run(r)) => Some(r.as_ref()),
        _ => None,
    }
}

fn unit_name(u: UnitKind, ru: bool) -> &'static str {
    match (u, ru) {
        (UnitKind::Thread, false) => "threads",
        (UnitKind::Thread, true) => "потоки",
        (UnitKind::Fork, false) => "processes (fork)",
        (UnitKind::Fork, true) => "процессы (fork)",
        (UnitKind::Spawn, false) => "processes (re-exec)",
        (UnitKind::Spawn, true) => "процессы (exec заново)",
        (u, _) => u.name(),
    }
}

fn placement_name(p: CpuSet, ru: bool) -> &'static str {
    match (p, ru) {
        (CpuSet::AllCpus, false) => "all CPUs",
        (CpuSet::AllCpus, true) => "все CPU",
        (CpuSet::OneCpu, false) => "one CPU",
        (CpuSet::OneCpu, true) => "один CPU",
    }
}

/// Every plot, the at-a-glance chart first.
pub fn all(doc: &VerdictDocument) -> Vec<Plot> {
    vec![glance(doc), cdf(doc), spawn(doc), memory(doc), speedup(doc)]
}
