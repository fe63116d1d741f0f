//! Where an export's bytes go. A regular file (or a new one) is rewritten
//! atomically, a symlink is followed and its target rewritten, a character
//! device or a FIFO is written into once at the end and never replaced, and
//! a directory, a disk, a socket or a missing directory is refused — before
//! anything is measured ([`check_target`]). `-` is standard output, written
//! into once at the end like a FIFO.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The export path that means standard output.
pub const STDOUT: &str = "-";

/// Standard output as it was when pingpong started, once
/// [`claim_stdout`] has moved everything else printed there to standard
/// error.
static CLAIMED: OnceLock<OwnedFd> = OnceLock::new();

/// Keeps standard output for the export that asked for it (`-`): a copy
/// of it is kept (closed on exec, so no child writes into it), and file
/// descriptor 1 becomes standard error, so the table, and anything a
/// child prints, goes there. Call before anything is printed.
pub fn claim_stdout() -> anyhow::Result<()> {
    use anyhow::Context;
    if CLAIMED.get().is_some() {
        return Ok(());
    }
    let out = std::io::stdout();
    let _ = out.lock().flush();
    let kept = rustix::io::fcntl_dupfd_cloexec(out.as_fd(), 3)
        .context("keeping standard output for the export")?;
    rustix::stdio::dup2_stdout(std::io::stderr().as_fd())
        .context("sending the table to standard error")?;
    let _ = CLAIMED.set(kept);
    Ok(())
}

/// What an export path names, with symlinks followed.
enum Target {
    /// A regular file, or nothing yet: rewritten atomically at this path
    /// (the symlink's target, when the user named a symlink).
    File(PathBuf),
    /// A character device or a FIFO (`/dev/null`, `/dev/stdout` on a
    /// terminal or a pipe, `mkfifo`), or standard output (`-`): written
    /// into once, never replaced.
    Stream,
}

/// How many symlinks are followed before giving up (as the kernel's ELOOP).
const MAX_LINKS: usize = 40;

/// Follows the symlinks of the last component of `path` by hand, so that
/// a dangling symlink leads to the file it names (which does not exist yet).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Classifies an export path; an error is one line naming the problem.
fn target(path: &Path) -> Result<Target, String> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display();
    if path.as_os_str() == STDOUT {
        return Ok(Target::Stream);
    }
    if path.as_os_str().is_empty() {
        return Err("'': an empty file name; give a path such as results.json".into());
    }
    match std::fs::metadata(path) {
        Ok(m) => {
            let t = m.file_type();
            if t.is_file() {
                // The real file behind any symlink (`/dev/stdout` redirected
                // to a file included), so the symlink itself survives.
                std::fs::canonicalize(path)
                    .map(Target::File)
                    .map_err(|e| format!("{shown}: {e}"))
            } else if t.is_char_device() || t.is_fifo() {
                Ok(Target::Stream)
            } else if t.is_dir() {
                Err(format!(
                    "{shown}: it is a directory; give a file name inside it"
                ))
            } else if t.is_block_device() {
                Err(format!(
                    "{shown}: it is a block device (pingpong does not write onto disks); give a file name"
                ))
            } else {
                Err(format!("{shown}: it is a socket; give a file name"))
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let real = follow_links(path).map_err(|e| format!("{shown}: {e}"))?;
            let dir = real
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => Ok(Target::File(real)),
                Ok(_) => Err(format!("{shown}: {} is not a directory", dir.display())),
                Err(_) => Err(format!(
                    "{shown}: directory {} does not exist; create it first or write elsewhere",
                    dir.display()
                )),
            }
        }
        Err(e) => Err(format!("{shown}: {e}")),
    }
}

/// Checks, before anything is measured, that `flag`'s file can be
/// written: its directory exists, and it is not a directory, a disk or a
/// socket. A usage error (exit code 2) otherwise.
pub fn check_target(path: &Path, flag: &str) -> anyhow::Result<()> {
    target(path)
        .map(|_| ())
        .map_err(|why| crate::error::usage(format!("cannot write {flag} {why}").replace('\n', " ")))
}

/// Documents for character devices and FIFOs, written once when the
/// command ends (see [`flush_streams`]): a stream cannot be rewritten, and
/// a FIFO's reader sees end-of-file after the first document.
static STREAMS: Mutex<Vec<(PathBuf, Vec<u8>)>> = Mutex::new(Vec::new());

/// Writes a file whole. A regular file (or a new one) is written to a
/// temporary sibling, then renamed over the target, so a reader (or a
/// crash) never sees half a file; a symlink is followed and its target
/// replaced. A character device or a FIFO is never replaced: the latest
/// document is kept and written into it once, by [`flush_streams`], when
/// the command ends. A directory, a disk or a socket is an error.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    let real = match target(path).map_err(|why| anyhow::anyhow!("cannot write {why}"))? {
        Target::File(real) => real,
        Target::Stream => {
            let mut streams = STREAMS.lock().unwrap_or_else(|e| e.into_inner());
            match streams.iter_mut().find(|(p, _)| p == path) {
                Some((_, b)) => *b = bytes.to_vec(),
                None => streams.push((path.to_path_buf(), bytes.to_vec())),
            }
            return Ok(());
        }
    };
    let dir = real
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "cannot write {}: its directory is not writable",
            path.display()
        )
    })?;
    tmp.write_all(bytes)?;
    // A temporary file is private (0600); a report is for reading, unless
    // the file it replaces was kept private.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&real).map_or(0o644, |m| m.permissions().mode() & 0o7777);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.persist(&real)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// How long a FIFO may go without a reader before its document is given up.
const FIFO_READER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes the documents kept for character devices and FIFOs (see
/// [`write_atomically`]); called once as the command ends, whatever its
/// outcome, so an interrupted run still delivers what it measured. A FIFO
/// with no reader is waited for up to 5 s, then reported.
pub fn flush_streams() -> anyhow::Result<()> {
    use anyhow::Context;
    use std::os::unix::fs::OpenOptionsExt;
    let streams = std::mem::take(&mut *STREAMS.lock().unwrap_or_else(|e| e.into_inner()));
    for (path, bytes) in streams {
        if path.as_os_str() == STDOUT {
            write_stdout(&bytes)?;
            continue;
        }
        let until = std::time::Instant::now() + FIFO_READER_WAIT;
        // Non-blocking, so a FIFO nobody reads cannot hold pingpong forever.
        let file = loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
                .open(&path)
            {
                Err(e)
                    if e.raw_os_error() == Some(nix::libc::ENXIO)
                        && std::time::Instant::now() < until =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) if e.raw_os_error() == Some(nix::libc::ENXIO) => anyhow::bail!(
                    "cannot write {}: nothing read that FIFO for {}s",
                    path.display(),
                    FIFO_READER_WAIT.as_secs()
                ),
                r => break r.with_context(|| format!("cannot write {}", path.display()))?,
            }
        };
        let flags = rustix::fs::fcntl_getfl(&file)? - rustix::fs::OFlags::NONBLOCK;
        rustix::fs::fcntl_setfl(&file, flags)?;
        (&file)
            .write_all(&bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Writes an export's document to standard output: the one kept by
/// [`claim_stdout`], or file descriptor 1 if it was not claimed.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    match CLAIMED.get() {
        Some(fd) => {
            let mut file = std::fs::File::from(fd.try_clone()?);
            file.write_all(bytes)
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
    }
    .context("cannot write to standard output")
}
