//! `processes-fork` (fork): the player runs in a child made by `fork`
//! without `exec`, like CPython's fork start method.
//!
//! Forking is allowed only while pingpong is single-threaded (see
//! [`crate::subprocess::fork`]); otherwise the run is refused with a usage
//! error naming the safe alternative.

use super::process::ProcessPlayer;
use super::Running;
use crate::error::usage;
use crate::player::{play, Kit};
use crate::subprocess::fork::{fork_child, MultiThreaded};
use anyhow::Result;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `foreign`: descriptors the child must close at once (the other player's
/// ends, the supervisor's ends), so that end-of-file still tells death.
pub fn start(kit: Kit, foreign: &[BorrowedFd<'_>]) -> Result<Box<dyn Running>> {
    let role = kit.spec.role;
    let foreign: Vec<i32> = foreign.iter().map(|f| f.as_raw_fd()).collect();
    // The closure owns the kit: in the parent it is dropped unused as
    // `fork_child` returns, closing our copies, so that a dead child shows
    // up as end-of-file on the channel and on the control line.
    let pid = fork_child(move || {
        for &fd in &foreign {
            // SAFETY: in the forked child, closing descriptors that belong
            // to the other player and the supervisor; nothing here owns them.
            unsafe {
                nix::libc::close(fd);
            }
        }
        play(kit)
    })
    .map_err(|e| match e.downcast_ref::<MultiThreaded>() {
        Some(refused) => usage(format!(
            "{refused}; use --between processes (spawn) instead"
        )),
        None => e,
    })?;
    Ok(Box::new(ProcessPlayer {
        role,
        pid,
        reaped: false,
    }))
}
