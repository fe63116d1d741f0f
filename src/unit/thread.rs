//! `threads`: a player on a `std::thread`.

use super::{Ending, Running};
use crate::kinds::Role;
use crate::player::{play, Kit};
use anyhow::{Context, Result};
use std::os::unix::thread::JoinHandleExt;
use std::thread::JoinHandle;

struct ThreadPlayer {
    role: Role,
    handle: Option<JoinHandle<bool>>,
}

pub fn start(kit: Kit) -> Result<Box<dyn Running>> {
    let role = kit.spec.role;
    let handle = std::thread::Builder::new()
        .name(role.name().into())
        .spawn(move || play(kit))
        .with_context(|| format!("starting the {} thread", role.name()))?;
    Ok(Box::new(ThreadPlayer {
        role,
        handle: Some(handle),
    }))
}

impl Running for ThreadPlayer {
    fn role(&self) -> Role {
        self.role
    }

    fn pid(&self) -> Option<u32> {
        None
    }

    fn stop(&mut self) {
        crate::interrupt::abort_players();
        if let Some(h) = &self.handle {
            if !h.is_finished() {
                // Not joined yet, so the pthread_t is still valid.
                let _ = nix::sys::pthread::pthread_kill(
                    h.as_pthread_t(),
                    nix::sys::signal::Signal::SIGUSR1,
                );
            }
        }
    }

    fn try_end(&mut self) -> Option<Ending> {
        if !self.handle.as_ref()?.is_finished() {
            return None;
        }
        let h = self.handle.take()?;
        Some(match h.join() {
            Ok(_) => Ending::Clean,
            Err(p) => Ending::Panicked(
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into()),
            ),
        })
    }
}

impl Drop for ThreadPlayer {
    fn drop(&mut self) {
        // A thread cannot be killed: ask it to stop, give it a moment, and
        // leave it to end with the process if it will not.
        if self.handle.is_some() {
            for _ in 0..200 {
                if self.try_end().is_some() {
                    return;
                }
                self.stop();
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }
}
