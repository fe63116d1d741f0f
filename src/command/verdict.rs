//! `pingpong verdict`: measures (or reads a saved verdict), judges every
//! claim, writes the exports and the HTML report, prints the table. The
//! measuring and judging are [`crate::verdict`]'s, the page is
//! [`crate::report`]'s; this front end only joins them.

use crate::cli::VerdictArgs;
use crate::error::usage;
use crate::verdict;
use anyhow::{Context, Result};
use std::io::Write;

pub fn run(a: &VerdictArgs) -> Result<()> {
    let lang = match a.lang.as_str() {
        "en" | "ru" => a.lang.clone(),
        other => return Err(usage(format!("unknown --lang '{other}': choose en or ru"))),
    };
    // Every file asked for can be written: refused now, before measuring.
    a.exports.check()?;
    if let Some(p) = &a.html {
        crate::export::check_target(p, "--html")?;
    }
    let doc = match &a.from {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut doc = verdict::read(&text).map_err(|e| {
                usage(format!(
                    "{} cannot be judged again: {e}; give a file written by `pingpong verdict --json`",
                    path.display()
                ))
            })?;
            // Judged again from the saved documents: evidence derived anew,
            // the same rules, no measuring.
            doc.judge();
            doc.lang = lang;
            doc
        }
        None => {
            let mode = if a.quick {
                verdict::Mode::Quick
            } else if a.thorough {
                verdict::Mode::Thorough
            } else {
                verdict::Mode::Default
            };
            verdict::measure(
                mode,
                lang,
                a.python.as_deref(),
                a.python_ft.as_deref(),
                a.repeat,
            )?
        }
    };
    a.exports.write(&doc)?;
    if let Some(p) = &a.html {
        crate::export::write_atomically(p, crate::report::html::render(&doc).as_bytes())?;
    }
    let mut out = std::io::stdout().lock();
    let width = verdict::render::terminal_width();
    out.write_all(verdict::render::table(&doc, width, a.explain).as_bytes())?;
    out.flush()?;
    Ok(())
}
