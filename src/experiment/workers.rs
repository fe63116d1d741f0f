//! What a parent shares with the workers it forks: anonymous memory mapped
//! `MAP_SHARED` ([`SharedMap`]), a close-on-exec [`pipe`], a read bounded by
//! the deadline ([`read_within`]), and the CPU time its reaped children
//! used ([`children_cpu_ns`]).

use super::Deadline;
use anyhow::{bail, Result};

/// Anonymous memory mapped `MAP_SHARED`: the same pages in parent and forked
/// children (unlike a private mapping, which `fork` copies on write).
pub struct SharedMap {
    ptr: *mut u8,
    len: usize,
}

impl SharedMap {
    pub fn new(len: usize) -> Result<SharedMap> {
        // SAFETY: a fresh anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            nix::libc::mmap(
                std::ptr::null_mut(),
                len,
                nix::libc::PROT_READ | nix::libc::PROT_WRITE,
                nix::libc::MAP_SHARED | nix::libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == nix::libc::MAP_FAILED {
            bail!(
                "mmap of {len} shared bytes: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(SharedMap {
            ptr: ptr.cast(),
            len,
        })
    }

    /// The `i`-th 64-byte slot as an atomic (one per cache line, so slots do
    /// not share a line).
    pub fn atomic_u64(&self, i: usize) -> &std::sync::atomic::AtomicU64 {
        assert!((i + 1) * 64 <= self.len, "slot {i} outside the mapping");
        // SAFETY: in bounds (asserted), 64-byte aligned (page-aligned base),
        // zero-initialised by mmap, and only ever accessed atomically.
        unsafe { &*(self.ptr.add(i * 64) as *const std::sync::atomic::AtomicU64) }
    }

    /// The `i`-th 64-byte slot as a 32-bit atomic (for futexes).
    pub fn atomic_u32(&self, i: usize) -> &std::sync::atomic::AtomicU32 {
        assert!((i + 1) * 64 <= self.len, "slot {i} outside the mapping");
        // SAFETY: as for `atomic_u64`.
        unsafe { &*(self.ptr.add(i * 64) as *const std::sync::atomic::AtomicU32) }
    }
}

// SAFETY: the mapping is only reached through atomics.
unsafe impl Send for SharedMap {}
// SAFETY: as above.
unsafe impl Sync for SharedMap {}

impl Drop for SharedMap {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no reference outlives self.
        unsafe {
            nix::libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// A pipe whose ends are close-on-exec.
pub fn pipe() -> Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    Ok(rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?)
}

/// Reads exactly `buf.len()` bytes from `fd` before the deadline.
pub fn read_within(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
    deadline: &Deadline,
    what: &str,
) -> Result<()> {
    let mut got = 0;
    while got < buf.len() {
        deadline.check(what)?;
        let ms = deadline.remaining().as_millis().min(i32::MAX as u128) as i32;
        let mut pfd = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(
            &mut pfd,
            nix::poll::PollTimeout::try_from(ms.max(1)).unwrap_or(nix::poll::PollTimeout::MAX),
        ) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => bail!("{what}: poll: {e}"),
        }
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) => bail!("{what}: the other end closed early (it died or failed)"),
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) | Err(rustix::io::Errno::AGAIN) => {}
            Err(e) => bail!("{what}: read: {e}"),
        }
    }
    Ok(())
}

/// CPU time of this process's reaped children so far (user + system), ns.
pub fn children_cpu_ns() -> u64 {
    use nix::sys::time::TimeValLike;
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|u| (u.user_time().num_nanoseconds() + u.system_time().num_nanoseconds()) as u64)
        .unwrap_or(0)
}
