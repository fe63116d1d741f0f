//! Who owns something pingpong made: a process named by its pid *and* its
//! start time, so a pid the kernel has since given to another process is
//! not mistaken for the owner.

use super::procfs;

/// One process, for as long as it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks after boot).
    pub start_time: u64,
}

impl Owner {
    /// This process.
    pub fn me() -> Option<Owner> {
        Owner::of(std::process::id())
    }

    /// The process with this pid now, if any.
    pub fn of(pid: u32) -> Option<Owner> {
        let s = procfs::stat(i32::try_from(pid).ok()?)?;
        Some(Owner {
            pid,
            start_time: s.start_time,
        })
    }

    /// Whether this very process still exists (a zombie counts: its parent
    /// has not seen it end yet).
    pub fn is_alive(&self) -> bool {
        Owner::of(self.pid) == Some(*self)
    }
}

/// The pid namespace this process lives in (the inode of
/// `/proc/self/ns/pid`): pids and start times mean something only inside one.
pub fn pid_namespace() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/pid").ok().map(|m| m.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_recycled_pid_is_not_its_owner() {
        let me = Owner::me().unwrap();
        assert!(me.is_alive());
        let other = Owner {
            start_time: me.start_time + 1,
            ..me
        };
        assert!(!other.is_alive());
    }
}
