//! The process toolkit: every way pingpong makes, bounds and ends another
//! process, written once, so that each rule holds everywhere.
//!
//! * [`fork`] — `fork` without `exec`, only while single-threaded (checked
//!   by counting `/proc/self/task`); the child runs a closure and leaves
//!   with `_exit`.
//! * [`reexec`] — our own binary re-executed with a (hidden) subcommand: the
//!   safe way to get a process from a multi-threaded pingpong.
//! * [`deathsig`] — the parent-death signal and the "parent already gone"
//!   check; the one `pre_exec` hook.
//! * [`reap`] and [`Deadline`] — wait until a deadline (a pidfd in `poll`,
//!   no thread), then SIGKILL and reap; the [`Children`] guard that kills
//!   and reaps on drop.

pub mod deadline;
pub mod deathsig;
pub mod fork;
pub mod reap;
pub mod reexec;

pub use deadline::Deadline;
pub use fork::fork_child;
pub use reap::{kill_and_reap, or_killed, Children};
