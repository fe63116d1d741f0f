//! One exporter over every document pingpong writes: `--json`, `--csv` and
//! `--markdown`, declared once ([`Exports`], flattened into every
//! subcommand that measures) and rewritten whole after every measurement,
//! so an interrupted run keeps what it measured (as hyperfine does).
//!
//! A document says how it looks as CSV and as Markdown ([`Export`]); JSON is
//! its serde form. Where the bytes go — atomically over a regular file, or
//! straight into a device or a FIFO — is [`write_atomically`]'s
//! business, not the document's.

mod target;

pub use target::{check_target, flush_streams, write_atomically};

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

/// Where results are written besides the terminal.
#[derive(Clone, Debug, Default, Args)]
pub struct Exports {
    /// Write results as JSON (rewritten after every measurement).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write one CSV row per result (rewritten after every measurement).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Write a Markdown summary (rewritten after every measurement).
    #[arg(long, value_name = "FILE")]
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
    /// [`check_target`] for each export asked for: a usage error before
    /// anything is measured.
    pub fn check(&self) -> Result<()> {
        for (path, flag) in [
            (&self.json, "--json"),
            (&self.csv, "--csv"),
            (&self.markdown, "--markdown"),
        ] {
            if let Some(p) = path {
                check_target(p, flag)?;
            }
        }
        Ok(())
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
