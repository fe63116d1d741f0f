//! Finding and probing CPython interpreters: the one asked for with
//! `--python`, else `python3` on PATH, and any free-threaded build
//! (`python3.13t` or newer) on PATH, which is run as a column of its own
//! because it changes what the GIL allows. An interpreter's label is its
//! build's ([`Build`]): a free-threaded build given as `--python` is
//! labelled free-threaded too, never plain "cpython".

use super::child;
use super::rows::Build;
use crate::error::usage;
use anyhow::{anyhow, Result};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An interpreter that answered the probe.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interpreter {
    /// "cpython" (the default build, with the GIL) or "cpython-ft" (a
    /// free-threaded build), by what the interpreter says of its build.
    pub label: Build,
    pub path: PathBuf,
    pub version: String,
    pub implementation: String,
    /// `sys._is_gil_enabled()` where it exists; true before 3.13.
    pub gil_enabled: bool,
    pub free_threaded_build: bool,
}

fn executable(p: &Path) -> bool {
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The first `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| executable(p))
}

/// Runs the probe in `dir` and reads what the interpreter says of itself.
pub fn probe(path: &Path, dir: &Path) -> Result<Interpreter> {
    let out = child::run(path, dir, &["probe".into()], Duration::from_secs(30))?;
    let v = child::json(&out, &format!("probing {}", path.display()))?;
    let i = v.get("interpreter").ok_or_else(|| {
        anyhow!(
            "{} answered the probe without an interpreter",
            path.display()
        )
    })?;
    let text = |k: &str| i.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let version = text("version");
    let minor: Option<(u32, u32)> = {
        let mut it = version.split('.').map(|x| {
            x.trim_end_matches(|c: char| !c.is_ascii_digit())
                .parse::<u32>()
                .ok()
        });
        match (it.next().flatten(), it.next().flatten()) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    };
    if minor.is_none_or(|m| m < (3, 9)) {
        return Err(anyhow!(
            "{} is Python {version}; pingpong's programs need CPython 3.9 or newer",
            path.display()
        ));
    }
    let free_threaded_build = i
        .get("free_threaded_build")
        .and_then(|x| x.as_bool())
        .unwrap_or(false);
    Ok(Interpreter {
        label: if free_threaded_build {
            Build::FreeThreaded
        } else {
            Build::Default
        },
        path: path.to_path_buf(),
        version,
        implementation: text("implementation"),
        gil_enabled: i
            .get("gil_enabled")
            .and_then(|x| x.as_bool())
            .unwrap_or(true),
        free_threaded_build,
    })
}

/// Checks a path given on the command line (`flag` names it in the message).
fn given(flag: &str, p: &Path, dir: &Path) -> Result<Interpreter> {
    if !p.exists() {
        return Err(usage(format!(
            "{flag} {}: no such file; give the path of a CPython 3 interpreter, e.g. /usr/bin/python3",
            p.display()
        )));
    }
    if !executable(p) {
        return Err(usage(format!(
            "{flag} {}: not an executable file; give the path of a CPython 3 interpreter",
            p.display()
        )));
    }
    probe(p, dir).map_err(|e| {
        usage(format!(
            "{flag} {}: not a working CPython 3 ({e:#})",
            p.display()
        ))
    })
}

/// The interpreter to run: `--python PATH` (a bad path is the user's
/// mistake: exit 2) or `python3` on PATH.
pub fn main_interpreter(asked: Option<&Path>, dir: &Path) -> Result<Interpreter> {
    match asked {
        Some(p) => given("--python", p, dir),
        None => {
            let p = on_path("python3").ok_or_else(|| {
                anyhow!("no python3 found on PATH: install CPython 3 or give --python PATH")
            })?;
            probe(&p, dir)
        }
    }
}

/// The free-threaded column: `--python-ft PATH` (which must be a
/// free-threaded build: exit 2 otherwise), else the newest `python3.NNt`
/// on PATH that answers (3.14t before 3.13t). None when the main
/// interpreter is itself free-threaded: it is that column already (a
/// `--python-ft` is still checked, so a bad path is still exit 2).
pub fn free_threaded(
    asked: Option<&Path>,
    dir: &Path,
    main: &Interpreter,
) -> Result<Option<Interpreter>> {
    if let Some(p) = asked {
        let i = given("--python-ft", p, dir)?;
        if !i.free_threaded_build {
            return Err(usage(format!(
                "--python-ft {}: CPython {} is not a free-threaded build; give a python3.13t or newer (bench/python-freethreaded.sh builds one)",
                p.display(),
                i.version
            )));
        }
        return Ok((!main.free_threaded_build).then_some(i));
    }
    if main.free_threaded_build {
        return Ok(None); // already the main column
    }
    Ok((13..=20)
        .rev()
        .filter_map(|m| on_path(&format!("python3.{m}t")))
        .find_map(|p| probe(&p, dir).ok().filter(|i| i.free_threaded_build)))
}
