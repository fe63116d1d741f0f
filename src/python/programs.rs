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
    ("pp_stop.py", include_str!("../../python/pp_stop.py")),
    ("pp_pool.py", include_str!("../../python/pp_pool.py")),
    ("pp_locks.py", include_str!("../../python/pp_locks.py")),
    (
        "pp_connection.py",
        include_str!("../../python/pp_connection.py"),
    ),
    ("pp_zombie.py", include_str!("../../python/pp_zombie.py")),
];

/// The experiments `main.py` knows, in the order they run.
/// Keep in step with `EXPERIMENTS` in python/main.py.
pub const EXPERIMENTS: &[&str] = &[
    "rally",
    "spawn",
    "scale",
    "pickling",
    "memory",
    "faults",
    "stop",
    "pool",
    "locks",
    "connection",
    "zombie",
];

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

    #[test]
    fn every_program_under_python_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/python");
        for e in std::fs::read_dir(dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            if name.ends_with(".py") {
                assert!(super::FILES.iter().any(|(n, _)| *n == name), "{name}");
            }
        }
    }

    #[test]
    fn the_typed_experiments_are_the_same_in_the_same_order() {
        let typed: Vec<&str> = crate::python::Experiment::ALL
            .iter()
            .map(|e| e.name())
            .collect();
        assert_eq!(typed, super::EXPERIMENTS);
    }

    #[test]
    fn main_py_knows_the_same_experiments() {
        let main = super::FILES
            .iter()
            .find(|(n, _)| *n == "main.py")
            .unwrap()
            .1;
        let start = main.find("EXPERIMENTS = (").unwrap();
        let tuple = &main[start..start + main[start..].find(')').unwrap()];
        let named: Vec<&str> = tuple.split('"').skip(1).step_by(2).collect();
        assert_eq!(named, super::EXPERIMENTS);
    }
}
