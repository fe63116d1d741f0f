//! pingpong's private temporary directories, and what is left of them after
//! a pingpong that could not clean up (killed with SIGKILL, or by the OOM
//! killer).
//!
//! Every temporary directory pingpong makes (a match's FIFOs and
//! `ipc-channel.name`, the Python programs and their interpreter's own
//! temporary files, the verdict's step documents, Open MPI's session files)
//! is made here, and its name says who owns it:
//! `pingpong-python-<pid>-<start time>-<random>`. The start time is field 22
//! of `/proc/<pid>/stat`, so a pid recycled for another process is not
//! mistaken for the owner. Naming the owner in the name makes the mark
//! atomic: there is no moment in which the directory exists unmarked. A file
//! `.owner` inside adds the owner's pid namespace (pids mean something only
//! inside one: a run in a container sharing this temporary directory is not
//! judged by our pids).
//!
//! Names stay short: the Python directory is the interpreter's `TMPDIR`,
//! and `multiprocessing` binds Unix sockets at
//! `$TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX`, which must fit in 107 bytes;
//! with a 5-digit pid and an 8-digit start time that leaves 37 bytes for
//! the system's `$TMPDIR`.
//!
//! A directory is removed on drop, as usual. What a killed pingpong left is
//! removed at the next start ([`remove_stale`]): a marked directory whose
//! owner is gone, and only that: never one of a live run (its owner lives),
//! never one this user does not own, never one of another pid namespace,
//! never anything that is not a directory.

use super::owner::{pid_namespace, Owner};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What every name starts with.
const PINGPONG: &str = "pingpong";
/// The file inside that names the owner's pid namespace.
const MARK: &str = ".owner";
/// Where Open MPI's files go (see `mpi::launch`); also searched for leftovers.
pub const SHM: &str = "/dev/shm";

/// A new private directory in the system's temporary directory ($TMPDIR),
/// named `<prefix><owner>-<random>` and removed on drop. `prefix` starts
/// with "pingpong-".
pub fn private(prefix: &str) -> Result<tempfile::TempDir> {
    private_in(&std::env::temp_dir(), prefix)
}

/// Like [`private`], in `parent`.
pub fn private_in(parent: &Path, prefix: &str) -> Result<tempfile::TempDir> {
    debug_assert!(prefix.starts_with("pingpong-"), "{prefix}");
    let me = Owner::me().context("reading this process's start time in /proc/self/stat")?;
    let dir = tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-{}-", me.pid, me.start_time))
        .tempdir_in(parent)
        .with_context(|| {
            format!(
                "making a private temporary directory in {}",
                parent.display()
            )
        })?;
    let ns = pid_namespace().map(|n| n.to_string()).unwrap_or_default();
    let mark = dir.path().join(MARK);
    std::fs::write(
        &mark,
        format!(
            "pid {}\nstart_time {}\npid_namespace {ns}\n",
            me.pid, me.start_time
        ),
    )
    .with_context(|| format!("writing {}", mark.display()))?;
    Ok(dir)
}

/// The owner a directory's name gives: `pingpong[-what]-<pid>-<start>-<random>`.
fn owner_in_name(name: &str) -> Option<Owner> {
    let mut parts = name.rsplitn(4, '-');
    let random = parts.next()?;
    let start_time = parts.next()?.parse().ok()?;
    let pid = parts.next()?.parse().ok()?;
    let head = parts.next()?;
    let ours = head == PINGPONG || head.starts_with("pingpong-");
    (ours && !random.is_empty() && random.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(Owner { pid, start_time })
}

/// Whether `path` (named `name`) is a directory a dead pingpong left.
fn is_stale(path: &Path, name: &str, ns: Option<u64>) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(owner) = owner_in_name(name) else {
        return false;
    };
    // Not a link, not a file, and this user's.
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_dir() || meta.uid() != rustix::process::geteuid().as_raw() {
        return false;
    }
    if owner.is_alive() {
        return false;
    }
    // Another pid namespace's run: our pids say nothing of its owner. (No
    // mark: the owner died between making the directory and marking it.)
    match std::fs::read_to_string(path.join(MARK)) {
        Ok(text) => {
            let theirs = text
                .lines()
                .find_map(|l| l.strip_prefix("pid_namespace "))
                .and_then(|n| n.trim().parse::<u64>().ok());
            theirs == ns
        }
        Err(_) => true,
    }
}

/// Removes what dead pingpongs left in `dir`; returns what was removed.
pub fn remove_stale_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let ns = pid_namespace();
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(PINGPONG) {
            continue;
        }
        let path = e.path();
        if is_stale(&path, name, ns) && std::fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// At start: removes the directories dead pingpongs left in the system's
/// temporary directory and in /dev/shm. Best effort: what cannot be read
/// or removed stays, silently (it may be another user's).
pub fn remove_stale() {
    remove_stale_in(&std::env::temp_dir());
    remove_stale_in(Path::new(SHM));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_back_from_the_name_and_nothing_else_is_taken_for_one() {
        let o = |n| owner_in_name(n);
        assert_eq!(
            o("pingpong-python-4242-987654-Ab3xYz"),
            Some(Owner {
                pid: 4242,
                start_time: 987654
            })
        );
        assert!(o("pingpong-4242-987654-Ab3xYz").is_some());
        assert_eq!(o("pingpong-Ab3xYz"), None, "an unmarked directory");
        assert_eq!(o("pingpong-test-tmpdir-Ab3xYz"), None);
        assert_eq!(o("pingpongs-1-2-Ab3xYz"), None);
        assert_eq!(o("other-1-2-Ab3xYz"), None);
    }

    #[test]
    fn a_private_directory_names_its_owner_and_is_removed_only_once_the_owner_is_gone() {
        let parent = tempfile::tempdir().unwrap();
        let mine = private_in(parent.path(), "pingpong-test-").unwrap();
        let name = mine
            .path()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(owner_in_name(&name), Owner::me());
        assert!(remove_stale_in(parent.path()).is_empty());
        assert!(mine.path().is_dir());
        // The same directory, as if its owner's pid had been recycled.
        let me = Owner::me().unwrap();
        let dead = parent.path().join(format!(
            "pingpong-test-{}-{}-Ab3xYz",
            me.pid,
            me.start_time + 1
        ));
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("fifo-ish"), b"").unwrap();
        assert_eq!(remove_stale_in(parent.path()), vec![dead.clone()]);
        assert!(!dead.exists());
        assert!(mine.path().is_dir());
    }
}
