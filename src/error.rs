//! Errors that end a command, and the exit codes they map to.
//!
//! Usage errors (a bad flag value, an invalid combination) exit with code 2
//! and one line naming the fix; everything else exits with code 1 and the
//! chain of context that led to it. Nothing here panics.

use std::fmt;

/// A mistake in what the user asked for: exit code 2, one line.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Builds an `anyhow::Error` that `main` turns into exit code 2.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg.into()))
}

/// The run was stopped by Ctrl-C (SIGINT) or SIGTERM: exit code 130.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted; every player was stopped and reaped")
    }
}

impl std::error::Error for Interrupted {}

/// An error another process has already reported (the other MPI rank's
/// usage error, say): exit with this code and print nothing.
#[derive(Debug)]
pub struct Quiet(pub i32);

impl fmt::Display for Quiet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit {} (reported elsewhere)", self.0)
    }
}

impl std::error::Error for Quiet {}

/// A failed match after which the run cannot go on: the two players are out
/// of step (MPI ranks mid-rally), so no further match may be started.
#[derive(Debug)]
pub struct EndsRun(pub String);

impl fmt::Display for EndsRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EndsRun {}

/// Whether a failed match ends the whole run (see [`EndsRun`]).
pub fn ends_run(err: &anyhow::Error) -> bool {
    exit_code(err) != 1 || err.chain().any(|e| e.is::<EndsRun>())
}

/// Exit code for an error chain: 2 for usage errors, 130 for interruption,
/// a [`Quiet`] error's own code, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if let Some(q) = err.chain().find_map(|e| e.downcast_ref::<Quiet>()) {
        q.0
    } else if err.chain().any(|e| e.is::<UsageError>()) {
        2
    } else if err.chain().any(|e| e.is::<Interrupted>()) {
        130
    } else {
        1
    }
}
