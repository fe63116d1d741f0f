//! One way's writer and reader, alive for the whole run: threads or forked
//! processes, the pipes between them and the coordinator, each round played
//! on the coordinator's word, and how they end or are stopped.

use super::store::{fill, store_for, sum_words, Store};
use super::{Children, Deadline, Way};
use anyhow::{anyhow, bail, Result};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Writes all of `buf`, retrying on EINTR unless told to stop.
fn write_all(fd: &OwnedFd, mut buf: &[u8], stop: &AtomicBool) -> Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => bail!("the other side is gone"),
            Ok(n) => buf = &buf[n..],
            Err(rustix::io::Errno::INTR) if !stop.load(Ordering::Relaxed) => {}
            Err(e) => bail!("write: {e}"),
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `false` at end of file before the first byte.
fn read_exact(fd: &OwnedFd, buf: &mut [u8], stop: &AtomicBool) -> Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match rustix::io::read(fd, &mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => bail!("the other side is gone mid-structure"),
            Ok(n) => got += n,
            Err(rustix::io::Errno::INTR) if !stop.load(Ordering::Relaxed) => {}
            Err(rustix::io::Errno::INTR) => bail!("stopped"),
            Err(e) => bail!("read: {e}"),
        }
    }
    Ok(true)
}

/// The four ends a writer holds: the coordinator's word (the round to play)
/// and its report back, the note (or structure) to the reader and the
/// reader's answer.
struct WriterEnds {
    control: OwnedFd,
    report: OwnedFd,
    note: OwnedFd,
    answer: OwnedFd,
}

/// The writer's side: for each round the coordinator names, fills the
/// structure, notes it (or sends it), waits for the answer, and reports
/// the time taken and whether the answer was right. Ends when the
/// coordinator closes its word.
fn writer(store: &Store, size: usize, ends: &WriterEnds, stop: &AtomicBool) -> Result<()> {
    let mut own = match store {
        Store::Pipe => vec![0u8; size],
        _ => Vec::new(),
    };
    let mut word = [0u8; 8];
    while read_exact(&ends.control, &mut word, stop)? {
        let round = u64::from_le_bytes(word);
        let expected = match store {
            Store::Heap(d) => {
                let mut g = d
                    .write()
                    .map_err(|_| anyhow!("the reader thread panicked"))?;
                fill(&mut g, round)
            }
            Store::Shared(s) => s.write(round),
            Store::Pipe => fill(&mut own, round),
        };
        let t0 = Instant::now();
        match store {
            Store::Pipe => write_all(&ends.note, &own, stop)?,
            _ => write_all(&ends.note, &round.to_le_bytes(), stop)?,
        }
        let mut a = [0u8; 8];
        if !read_exact(&ends.answer, &mut a, stop)? {
            bail!("the reader is gone");
        }
        let took = t0.elapsed().as_nanos() as u64;
        let ok = u64::from(u64::from_le_bytes(a) == expected);
        let mut report = [0u8; 16];
        report[..8].copy_from_slice(&took.to_le_bytes());
        report[8..].copy_from_slice(&ok.to_le_bytes());
        write_all(&ends.report, &report, stop)?;
    }
    Ok(())
}

/// The reader's side: until the writer is done, reads and answers the sum.
fn reader(
    store: &Store,
    size: usize,
    note: &OwnedFd,
    answer: &OwnedFd,
    stop: &AtomicBool,
) -> Result<()> {
    let mut own = match store {
        Store::Pipe => vec![0u8; size],
        _ => Vec::new(),
    };
    loop {
        let sum = match store {
            Store::Pipe => {
                if !read_exact(note, &mut own, stop)? {
                    return Ok(());
                }
                sum_words(&own)
            }
            Store::Heap(d) => {
                let mut b = [0u8; 8];
                if !read_exact(note, &mut b, stop)? {
                    return Ok(());
                }
                let g = d
                    .read()
                    .map_err(|_| anyhow!("the writer thread panicked"))?;
                sum_words(&g)
            }
            Store::Shared(s) => {
                let mut b = [0u8; 8];
                if !read_exact(note, &mut b, stop)? {
                    return Ok(());
                }
                s.read(u64::from_le_bytes(b))?
            }
        };
        write_all(answer, &sum.to_le_bytes(), stop)?;
    }
}

/// Pipes, in pairs (read end, write end), for one way's players.
struct Pipes {
    control: (OwnedFd, OwnedFd),
    report: (OwnedFd, OwnedFd),
    note: (OwnedFd, OwnedFd),
    answer: (OwnedFd, OwnedFd),
}

impl Pipes {
    fn new() -> Result<Pipes> {
        Ok(Pipes {
            control: crate::experiment::pipe()?,
            report: crate::experiment::pipe()?,
            note: crate::experiment::pipe()?,
            answer: crate::experiment::pipe()?,
        })
    }
}

/// How the players of a way live.
enum Life {
    Threads {
        handles: Vec<std::thread::JoinHandle<()>>,
        stop: Arc<AtomicBool>,
        failure: std::sync::mpsc::Receiver<anyhow::Error>,
    },
    Processes {
        kids: Children,
        /// The shared structure stays mapped here until the end.
        _store: Store,
    },
}

/// One way's writer and reader, alive for the whole run, and the
/// coordinator's ends of their word and report.
pub(super) struct Players {
    way: Way,
    control: Option<OwnedFd>,
    report: OwnedFd,
    life: Life,
}

impl Players {
    pub(super) fn threads(way: Way, size: usize, (wcpu, rcpu): (usize, usize)) -> Result<Players> {
        let store = store_for(way, size)?;
        let p = Pipes::new()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, failure) = std::sync::mpsc::channel::<anyhow::Error>();
        let ends = WriterEnds {
            control: p.control.0,
            report: p.report.1,
            note: p.note.1,
            answer: p.answer.0,
        };
        let (note, answer) = (p.note.0, p.answer.1);
        let (st1, st2, store2, tx2) = (stop.clone(), stop.clone(), store.clone(), tx.clone());
        let hw = std::thread::spawn(move || {
            let r = crate::measure::placement::pin_to(wcpu)
                .and_then(|_| writer(&store, size, &ends, &st1));
            if let Err(e) = r {
                let _ = tx.send(e.context("the writer thread"));
            }
        });
        let hr = std::thread::spawn(move || {
            let r = crate::measure::placement::pin_to(rcpu)
                .and_then(|_| reader(&store2, size, &note, &answer, &st2));
            if let Err(e) = r {
                let _ = tx2.send(e.context("the reader thread"));
            }
        });
        Ok(Players {
            way,
            control: Some(p.control.1),
            report: p.report.0,
            life: Life::Threads {
                handles: vec![hw, hr],
                stop,
                failure,
            },
        })
    }

    /// Forks the writer and the reader of `way`. `kept`: the coordinator's
    /// ends of the ways started before, which the new players close (with
    /// every other descriptor not their own) so that end of file still
    /// tells a death; this way's are added.
    pub(super) fn processes(
        way: Way,
        size: usize,
        (wcpu, rcpu): (usize, usize),
        kept: &mut Vec<i32>,
    ) -> Result<Players> {
        let store = store_for(way, size)?;
        let p = Pipes::new()?;
        let raw = |f: &OwnedFd| f.as_raw_fd();
        let writer_fds = [
            raw(&p.control.0),
            raw(&p.report.1),
            raw(&p.note.1),
            raw(&p.answer.0),
        ];
        let reader_fds = [raw(&p.note.0), raw(&p.answer.1)];
        let mut all: Vec<i32> = kept.clone();
        for pair in [&p.control, &p.report, &p.note, &p.answer] {
            all.extend([raw(&pair.0), raw(&pair.1)]);
        }
        let never = AtomicBool::new(false);
        let mut kids = Children::default();
        let close_all_but = |mine: &[i32]| {
            for fd in all.iter().filter(|fd| !mine.contains(fd)) {
                // SAFETY: closes a descriptor this child does not use (a
                // copy inherited by fork), so end of file tells a death.
                unsafe {
                    nix::libc::close(*fd);
                }
            }
        };
        let ends = WriterEnds {
            control: p.control.0,
            report: p.report.1,
            note: p.note.1,
            answer: p.answer.0,
        };
        kids.0.push(crate::experiment::fork_child(|| {
            close_all_but(&writer_fds);
            crate::measure::placement::pin_to(wcpu)
                .and_then(|_| writer(&store, size, &ends, &never))
                .is_ok()
        })?);
        let (note, answer) = (p.note.0, p.answer.1);
        kids.0.push(crate::experiment::fork_child(|| {
            close_all_but(&reader_fds);
            crate::measure::placement::pin_to(rcpu)
                .and_then(|_| reader(&store, size, &note, &answer, &never))
                .is_ok()
        })?);
        drop((ends, note, answer));
        let (control, report) = (p.control.1, p.report.0);
        kept.extend([raw(&control), raw(&report)]);
        Ok(Players {
            way,
            control: Some(control),
            report,
            life: Life::Processes {
                kids,
                _store: store,
            },
        })
    }

    /// Plays round `round`: its time, ns, and whether the answer was right.
    pub(super) fn round(&mut self, round: u64, d: &Deadline) -> Result<(u64, bool)> {
        let what = format!("the {} players", self.way);
        let control = self
            .control
            .as_ref()
            .ok_or_else(|| anyhow!("{what} were stopped"))?;
        write_all(control, &round.to_le_bytes(), &AtomicBool::new(false))
            .map_err(|e| self.why(e))?;
        let mut b = [0u8; 16];
        crate::experiment::read_within(self.report.as_fd(), &mut b, d, &what)
            .map_err(|e| self.why(e))?;
        let ns = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        let ok = u64::from_le_bytes(b[8..].try_into().unwrap_or([0; 8])) == 1;
        Ok((ns, ok))
    }

    /// The players' own error, if one of them said why it stopped.
    fn why(&self, e: anyhow::Error) -> anyhow::Error {
        match &self.life {
            Life::Threads { failure, .. } => failure.try_recv().unwrap_or(e),
            Life::Processes { .. } => crate::experiment::or_killed(e),
        }
    }

    /// Ends the players: each writer sees the end of its word, its reader
    /// the end of the notes; processes are reaped within the deadline.
    pub(super) fn finish(mut self, d: &Deadline) -> Result<()> {
        drop(self.control.take());
        match &mut self.life {
            Life::Threads {
                handles, failure, ..
            } => {
                for h in handles.drain(..) {
                    let _ = h.join();
                }
                match failure.try_recv() {
                    Ok(e) => Err(e),
                    Err(_) => Ok(()),
                }
            }
            Life::Processes { kids, .. } => {
                let statuses = kids.reap_all(d, &format!("the {} players", self.way))?;
                if statuses
                    .iter()
                    .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)))
                {
                    Ok(())
                } else {
                    bail!("a {} player did not exit cleanly: {statuses:?}", self.way)
                }
            }
        }
    }

    /// Stops the players at once (a failure): processes are killed and
    /// reaped, threads told to stop and interrupted, then joined.
    pub(super) fn stop(self) {
        drop(self);
    }
}

impl Drop for Players {
    fn drop(&mut self) {
        drop(self.control.take());
        if let Life::Threads { handles, stop, .. } = &mut self.life {
            // Without their word the players end by themselves, unless one
            // is stuck; that one is told to stop and interrupted.
            let until = Instant::now() + std::time::Duration::from_millis(200);
            while handles.iter().any(|h| !h.is_finished()) && Instant::now() < until {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            stop.store(true, Ordering::Relaxed);
            for h in handles.iter().filter(|h| !h.is_finished()) {
                // SAFETY: the thread is alive until joined below; SIGUSR1 has
                // a do-nothing handler (crate::interrupt) installed without
                // SA_RESTART, so a blocked read returns EINTR and sees `stop`.
                unsafe {
                    nix::libc::pthread_kill(h.as_pthread_t(), nix::libc::SIGUSR1);
                }
            }
            for h in handles.drain(..) {
                let _ = h.join();
            }
        }
        // Processes: the Children guard kills and reaps them.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn thread_players_reach_the_structure_with_checked_answers_and_end() {
        let d = Deadline::after(Duration::from_secs(20));
        let cpu = crate::measure::placement::allowed_cpus()[0];
        for way in [Way::ThreadsInPlace, Way::ThreadsPipe] {
            let mut p = Players::threads(way, 64 << 10, (cpu, cpu)).unwrap();
            for round in 1..=5 {
                let (ns, ok) = p.round(round, &d).unwrap();
                assert!(ok && ns > 0, "{way}");
            }
            p.finish(&d).unwrap();
        }
    }

    #[test]
    fn stopping_thread_players_mid_run_ends_them() {
        // As pingpong does at start: a player still running after the grace
        // is interrupted with SIGUSR1, which must not end the test binary.
        crate::interrupt::install_handlers();
        let cpu = crate::measure::placement::allowed_cpus()[0];
        let mut p = Players::threads(Way::ThreadsPipe, 64 << 10, (cpu, cpu)).unwrap();
        p.round(1, &Deadline::after(Duration::from_secs(20)))
            .unwrap();
        p.stop();
    }
}
