//! The Python programs, embedded at build time so the binary needs nothing
//! beside it but an interpreter. They are written to a private temporary
//! directory for each run (the multiprocessing `spawn` and `forkserver`
//! start methods re-import them by path) and removed with it.

use anyhow::{Context, Result};
use std::path::Path;

/// (file name, source) of every program under `python/` in the repository.
pub const FILES: &[(&str, &str)] = &[
    ("main.py", include_str!("../../python/main.py")),
    ("pp_common.py", include_str!("../../python/pp_common.py")),
    ("pp_rally.py", include_str!("../../python/pp_rally.py")),
    ("pp_spawn.py", include_str!("../../python/pp_spawn.py")),
    ("pp_scale.py", include_str!("../../python/pp_scale.py")),
    (
        "pp_pickling.py",
        include_str!("../../python/pp_pickling.py"),
    ),
    ("pp_memory.py", include_str!("../../python/pp_memory.py")),
    ("pp_faults.py", include_str!("../../python/pp_faults.py")),
];

/// The experiments `main.py` knows, in the order they run.
pub const EXPERIMENTS: &[&str] = &["rally", "spawn", "scale", "pickling", "memory", "faults"];

/// A private directory holding the programs; removed when dropped.
pub fn write_all() -> Result<tempfile::TempDir> {
    let dir = crate::subprocess::tempdir::private("pingpong-python-")
        .context("creating a temporary directory for the Python programs")?;
    for (name, text) in FILES {
        write(dir.path(), name, text)?;
    }
    Ok(dir)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_experiment_has_its_program() {
        for e in super::EXPERIMENTS {
            let name = format!("pp_{e}.py");
            assert!(super::FILES.iter().any(|(n, _)| *n == name), "{name}");
        }
    }
}
