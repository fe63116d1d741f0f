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
//! * [`guard`] — for a program whose own children pingpong does not control
//!   (CPython and its `multiprocessing` workers): a subreaper between it and
//!   pingpong that ends everything below it when pingpong dies.
//! * [`tempdir`] — private temporary directories marked with their
//!   [`owner`] (pid and start time), and the removal of those a killed
//!   pingpong left.
//! * [`procfs`] — what `/proc` says of a process and of those below it.
//!
//! # When pingpong itself dies
//!
//! SIGKILL gives pingpong no chance to clean up, so the children must see
//! to it themselves. Every direct child has a parent-death signal:
//! SIGKILL for our own helpers (players, experiment and sacrificial
//! children, verdict steps: their own children have one too, so a whole
//! tree of pingpongs falls at once), SIGTERM for a [`guard`] and for
//! `mpirun`, which then end what is below them. A forked or re-executed
//! child also checks, after setting the signal, that its parent has not
//! already gone. What the kill leaves on disk, the next pingpong removes
//! at its start ([`tempdir::remove_stale`]).

pub mod deadline;
pub mod deathsig;
pub mod fork;
pub mod guard;
pub mod owner;
pub mod procfs;
pub mod reap;
pub mod reexec;
pub mod tempdir;

pub use deadline::Deadline;
pub use fork::fork_child;
pub use reap::{kill_and_reap, or_killed, Children};
