//! One exporter over every document pingpong writes: `--json`, `--csv` and
//! `--markdown`, declared once ([`Exports`], flattened into every
//! subcommand that measures) and rewritten whole after every measurement,
//! so an interrupted run keeps what it measured (as hyperfine does).
//!
//! A document says how it looks as CSV and as Markdown ([`Export`]); JSON is
//! its serde form. Where the bytes go — atomically over a regular file, or
//! straight into a device, a FIFO or standard output (`-`) — is
//! [`write_atomically`]'s business, not the document's.
//!
//! `-` is standard output, as for hyperfine's exports: that document is
//! written there once, when the command ends, and whatever pingpong prints
//! on standard output (its table) goes to standard error instead
//! ([`claim_stdout`]), so `pingpong run --json - | jq` reads JSON alone.

mod target;

pub use target::{check_target, claim_stdout, flush_streams, write_atomically, STDOUT};

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// Where results are written besides the terminal.
#[derive(Clone, Debug, Default, Args)]
pub struct Exports {
    /// Write results as JSON, rewritten after every measurement; `-`:
    /// standard output, once at the end (the table then goes to standard
    /// error).
    #[arg(long, visible_alias = "export-json", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write one CSV row per measurement and one combined row per
    /// combination, rewritten after every measurement; `-`: standard output.
    #[arg(long, visible_alias = "export-csv", value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Write a Markdown summary, rewritten after every measurement; `-`:
    /// standard output.
    #[arg(long, visible_alias = "export-markdown", value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

/// A document pingpong can export: its JSON is its serde form.
pub trait Export: Serialize {
    /// The CSV file: a header line, then one row per result.
    fn csv(&self) -> Result<Vec<u8>>;
    /// The Markdown summary.
    fn markdown(&self) -> String;
}

/// A document as pretty-printed JSON, newline-terminated.
pub fn json_bytes<D: Serialize + ?Sized>(doc: &D) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// CSV bytes from a header and rows.
pub fn csv_bytes<R, I>(header: &[&str], rows: R) -> Result<Vec<u8>>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

impl Exports {
    /// [`check_target`] for each export asked for, and at most one of them
    /// on standard output: a usage error before anything is measured.
    pub fn check(&self) -> Result<()> {
        let asked = self.asked();
        let on_stdout: Vec<&str> = asked
            .iter()
            .filter(|(p, _)| p.as_os_str() == STDOUT)
            .map(|(_, f)| *f)
            .collect();
        if on_stdout.len() > 1 {
            let who = match on_stdout.as_slice() {
                [a, b] => format!("{a} and {b} both ask"),
                many => format!("{} all ask", many.join(", ")),
            };
            return Err(crate::error::usage(format!(
                "{who} for standard output (-): give all but one of them a file name"
            )));
        }
        for (path, flag) in asked {
            check_target(path, flag)?;
        }
        Ok(())
    }

    /// The exports asked for, with their flags.
    fn asked(&self) -> Vec<(&PathBuf, &'static str)> {
        [
            (&self.json, "--json"),
            (&self.csv, "--csv"),
            (&self.markdown, "--markdown"),
        ]
        .into_iter()
        .filter_map(|(p, f)| p.as_ref().map(|p| (p, f)))
        .collect()
    }

    /// Whether an export goes to standard output (`-`).
    pub fn to_stdout(&self) -> bool {
        self.asked().iter().any(|(p, _)| p.as_os_str() == STDOUT)
    }

    /// Rewrites every file asked for from `doc`.
    pub fn write<D: Export>(&self, doc: &D) -> Result<()> {
        if let Some(p) = &self.json {
            write_atomically(p, &json_bytes(doc)?)?;
        }
        if let Some(p) = &self.csv {
            write_atomically(p, &doc.csv()?)?;
        }
        if let Some(p) = &self.markdown {
            write_atomically(p, doc.markdown().as_bytes())?;
        }
        Ok(())
    }
}
