//! What every experiment shares: its flags ([`CommonArgs`]), its document
//! ([`ExperimentDocument`], exported by [`crate::export`]), one result as a
//! row of the table, CSV and Markdown ([`Row`]), and the [`Session`] that
//! records results, rewrites the exports after each and prints the table.

use crate::error::{usage, Interrupted};
use crate::output::progress::Progress;
use crate::results::Header;
use anyhow::Result;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// Flags every experiment takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The quickest meaningful run (under ~2 s): for tests and a first look.
    #[arg(long)]
    pub quick: bool,

    /// Deadline for each measurement [default: 60s].
    #[arg(long, value_name = "TIME")]
    pub timeout: Option<String>,

    #[command(flatten)]
    pub exports: crate::export::Exports,
}

impl CommonArgs {
    /// The deadline for one measurement.
    pub fn timeout(&self) -> Result<Duration> {
        match &self.timeout {
            None => Ok(Duration::from_secs(60)),
            Some(t) => {
                let d = crate::bounds::parse_time(t, "--timeout", crate::bounds::LONGEST_RUN)?;
                if d.is_zero() {
                    return Err(usage(
                        "invalid --timeout '0': give a positive time, e.g. 30s",
                    ));
                }
                Ok(d)
            }
        }
    }
}

/// One result of an experiment, as a row of the table, the CSV and the Markdown.
pub trait Row {
    fn headers() -> Vec<&'static str>;
    fn cells(&self) -> Vec<String>;
}

/// Every experiment's JSON document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentDocument<S, T> {
    #[serde(flatten)]
    pub header: Header,
    /// What was asked, resolved (sizes, counts, deadline).
    pub settings: S,
    /// One entry per measurement, in the order taken.
    pub results: Vec<T>,
    /// Measurements that could not be taken here, and why (never faked).
    pub unavailable: Vec<String>,
    /// Measurements that failed, and why.
    pub errors: Vec<String>,
    /// Warnings a reader should see beside the figures.
    pub notes: Vec<String>,
    /// What the experiment measures, in a few words (the Markdown heading).
    #[serde(skip)]
    pub title: &'static str,
}

impl<S: Serialize, T: Serialize + Row> crate::export::Export for ExperimentDocument<S, T> {
    fn csv(&self) -> Result<Vec<u8>> {
        crate::export::csv_bytes(&T::headers(), self.results.iter().map(Row::cells))
    }

    fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# pingpong {}: {}\n", self.header.experiment, self.title);
        let _ = writeln!(s, "Machine: {}\n", self.header.machine.one_line());
        let h = T::headers();
        let _ = writeln!(s, "| {} |", h.join(" | "));
        let _ = writeln!(s, "|{}", "---|".repeat(h.len()));
        for r in &self.results {
            let _ = writeln!(s, "| {} |", r.cells().join(" | "));
        }
        for (label, list) in [
            ("Not measurable here", &self.unavailable),
            ("Errors", &self.errors),
            ("Notes", &self.notes),
        ] {
            if !list.is_empty() {
                let _ = writeln!(s, "\n{label}:\n");
                for n in list {
                    let _ = writeln!(s, "- {n}");
                }
            }
        }
        s
    }
}

/// A running experiment: records results, exports after each, prints at the end.
pub struct Session<'a, S, T> {
    pub doc: ExperimentDocument<S, T>,
    common: &'a CommonArgs,
    progress: Progress,
}

impl<'a, S: Serialize, T: Serialize + Row> Session<'a, S, T> {
    pub fn new(
        experiment: &'static str,
        title: &'static str,
        common: &'a CommonArgs,
        settings: S,
        steps: u64,
    ) -> Result<Self> {
        let s = Session {
            doc: ExperimentDocument {
                header: Header::new(experiment),
                settings,
                results: Vec::new(),
                unavailable: Vec::new(),
                errors: Vec::new(),
                notes: Vec::new(),
                title,
            },
            common,
            progress: Progress::new(steps),
        };
        s.export()?;
        Ok(s)
    }

    /// Before a measurement: what is about to be measured.
    pub fn start(&self, what: &str) -> Result<()> {
        if crate::interrupt::interrupted() {
            return Err(anyhow::Error::new(Interrupted));
        }
        self.progress.start(what);
        Ok(())
    }

    /// After a measurement: record it and rewrite the exports.
    pub fn push(&mut self, r: T) -> Result<()> {
        self.doc.results.push(r);
        self.export()?;
        self.progress.done();
        Ok(())
    }

    /// After a measurement that updates result `i` (or adds it): record and export.
    pub fn set(&mut self, i: usize, r: T) -> Result<()> {
        if i < self.doc.results.len() {
            self.doc.results[i] = r;
        } else {
            self.doc.results.push(r);
        }
        self.export()?;
        self.progress.done();
        Ok(())
    }

    /// A step that produced no row (skipped or failed).
    pub fn skip_step(&self) {
        self.progress.done();
    }

    /// A measurement that failed: recorded, shown, and the run goes on
    /// (unless it was interrupted, or the error is the user's).
    pub fn failed(&mut self, what: &str, e: anyhow::Error) -> Result<()> {
        if crate::error::exit_code(&e) != 1 {
            self.export()?;
            self.progress.finish();
            return Err(e);
        }
        let line = format!("{what}: {e:#}");
        self.progress.println(&format!("error: {line}"));
        self.doc.errors.push(line);
        self.export()?;
        self.progress.done();
        Ok(())
    }

    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.doc.notes.contains(&n) {
            self.doc.notes.push(n);
        }
    }

    pub fn unavailable(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.doc.unavailable.contains(&n) {
            self.doc.unavailable.push(n);
        }
    }

    fn export(&self) -> Result<()> {
        self.common.exports.write(&self.doc)
    }

    /// Prints the table; the exit code is 1 if any measurement failed.
    pub fn finish(self) -> Result<i32> {
        self.export()?;
        self.progress.finish();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "pingpong {}: {}",
            self.doc.header.experiment, self.doc.title
        );
        let _ = writeln!(out, "machine:  {}", self.doc.header.machine.one_line());
        let mut t = crate::output::new_table();
        t.set_header(T::headers());
        for r in &self.doc.results {
            t.add_row(r.cells());
        }
        let _ = writeln!(out, "{t}");
        for n in &self.doc.unavailable {
            let _ = writeln!(out, "not measurable here: {n}");
        }
        for n in &self.doc.notes {
            let _ = writeln!(out, "note: {n}");
        }
        for n in &self.doc.errors {
            let _ = writeln!(out, "error: {n}");
        }
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(out.as_bytes())?;
        stdout.flush()?;
        Ok(if self.doc.errors.is_empty() { 0 } else { 1 })
    }
}
