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

/// Exit code for an error chain: 2 for usage errors, 130 for interruption, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<UsageError>()) {
        2
    } else if err.chain().any(|e| e.is::<Interrupted>()) {
        130
    } else {
        1
    }
}
