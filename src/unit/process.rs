//! What the two process start methods share: waiting for, killing and
//! always reaping a child.

use super::{Ending, Running};
use crate::kinds::Role;
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

pub struct ProcessPlayer {
    pub role: Role,
    pub pid: Pid,
    pub reaped: bool,
}

impl Running for ProcessPlayer {
    fn role(&self) -> Role {
        self.role
    }

    fn pid(&self) -> Option<u32> {
        Some(self.pid.as_raw() as u32)
    }

    fn stop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
        }
    }

    fn try_end(&mut self) -> Option<Ending> {
        if self.reaped {
            return None;
        }
        match waitpid(self.pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, 0)) => {
                self.reaped = true;
                Some(Ending::Clean)
            }
            Ok(WaitStatus::Exited(_, c)) => {
                self.reaped = true;
                Some(Ending::Exited(c))
            }
            Ok(WaitStatus::Signaled(_, s, _)) => {
                self.reaped = true;
                Some(Ending::Signaled(s.as_str().to_string()))
            }
            Ok(_) => None,
            Err(_) => {
                // ECHILD: already reaped elsewhere; nothing is left behind.
                self.reaped = true;
                Some(Ending::Exited(-1))
            }
        }
    }
}

impl Drop for ProcessPlayer {
    /// Never leaves a zombie or an orphan: kill if still running, then reap.
    fn drop(&mut self) {
        if !self.reaped {
            crate::subprocess::kill_and_reap(self.pid);
            self.reaped = true;
        }
    }
}
