//! `pingpong memory` (claim P9): memory added per idle unit, for 1, 10, 100
//! and 1,000 threads and processes (fork and spawn).
//!
//! Figures come from `/proc/PID/smaps_rollup` (RSS, PSS, and USS = private
//! clean + private dirty) and `/proc/PID/status` (VmSize). Threads are
//! measured as the growth of pingpong itself once they all wait; processes as
//! the sum over the children (each counted whole: RSS counts pages it shares
//! with the parent, PSS splits them, USS counts only its own). Kernel memory
//! (a 16 KiB kernel stack per thread or process, page tables, task structs)
//! is in none of these and is not counted.

use super::{Children, CommonArgs, Deadline, Row, Session};
use crate::error::usage;
use crate::evidence::{Evidence, Figure, Unit, Witness};
use crate::kinds::UnitKind;
use anyhow::{bail, Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};

/// The hidden subcommand an idle re-executed child runs.
pub const IDLE: &str = "__idle";

#[derive(Debug, Args)]
pub struct MemoryArgs {
    /// How many idle units at once, comma-separated [default: 1,10,100,1000; --quick 1,10].
    #[arg(long, value_name = "COUNTS")]
    pub units: Option<String>,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub units: Vec<usize>,
    /// Stack reserved per thread.
    pub thread_stack_bytes: usize,
    pub source: String,
    pub timeout_s: f64,
}

/// Memory of one process, KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mem {
    pub rss_kib: u64,
    pub pss_kib: u64,
    /// Private_Clean + Private_Dirty.
    pub uss_kib: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryResult {
    /// Threads, processes made by fork, or processes made by spawn (re-exec).
    pub unit: UnitKind,
    pub units: usize,
    /// How the figures were counted.
    pub counted: String,
    /// Per unit, KiB (f64: a total divided by the count). None where unreadable.
    pub rss_kib_per_unit: Option<f64>,
    pub pss_kib_per_unit: Option<f64>,
    pub uss_kib_per_unit: Option<f64>,
    pub vsz_kib_per_unit: Option<f64>,
    /// Totals, KiB, over the units (threads: growth of pingpong).
    pub rss_kib_total: Option<i64>,
    pub pss_kib_total: Option<i64>,
    pub uss_kib_total: Option<i64>,
    pub vsz_kib_total: Option<i64>,
    /// Children whose figures were read (processes), or 0.
    pub children_counted: usize,
    /// Stack reserved per unit's main thread, as named by the OS/std.
    pub stack: String,
}

impl Row for MemoryResult {
    fn headers() -> Vec<&'static str> {
        vec![
            "unit",
            "count",
            "RSS/unit",
            "PSS/unit",
            "USS/unit",
            "virtual/unit",
            "stack",
            "counted",
        ]
    }
    fn cells(&self) -> Vec<String> {
        let k = |v: Option<f64>| v.map(kib).unwrap_or_else(|| "n/a".into());
        vec![
            self.unit.to_string(),
            self.units.to_string(),
            k(self.rss_kib_per_unit),
            k(self.pss_kib_per_unit),
            k(self.uss_kib_per_unit),
            k(self.vsz_kib_per_unit),
            self.stack.clone(),
            self.counted.clone(),
        ]
    }
}

/// What `pingpong memory --json` writes.
pub type MemoryDocument = super::ExperimentDocument<Settings, MemoryResult>;

/// The names of the figures this experiment shows (read by the rules too).
pub mod key {
    use crate::kinds::UnitKind;

    /// PSS added per idle unit, at the largest count measured.
    pub fn pss_per_unit(unit: UnitKind) -> String {
        format!("memory.{}.per-unit", unit.name())
    }
}

impl Witness for MemoryDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        // The largest count measured: fixed costs of the parent matter least there.
        for unit in [UnitKind::Thread, UnitKind::Fork, UnitKind::Spawn] {
            let best = self
                .results
                .iter()
                .filter(|r| r.unit == unit)
                .filter_map(|r| Some((r.units, r.pss_kib_per_unit?)))
                .max_by_key(|&(n, _)| n);
            if let Some((n, pss)) = best {
                ev.put(
                    key::pss_per_unit(unit),
                    Figure::exact(
                        pss,
                        Unit::KiB,
                        format!("PSS added per idle unit of {unit}, {n} at once"),
                        cmd,
                    ),
                );
            }
        }
    }
}

fn kib(v: f64) -> String {
    if v.abs() >= 10240.0 {
        format!("{:.1} MiB", v / 1024.0)
    } else {
        format!("{v:.1} KiB")
    }
}

/// Sums the smaps_rollup fields we report.
pub fn parse_rollup(text: &str) -> Option<Mem> {
    let mut m = Mem::default();
    let mut seen = 0;
    for line in text.lines() {
        let mut it = line.split_whitespace();
        let (Some(key), Some(val)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(v) = val.parse::<u64>() else { continue };
        match key {
            "Rss:" => {
                m.rss_kib = v;
                seen |= 1;
            }
            "Pss:" => {
                m.pss_kib = v;
                seen |= 2;
            }
            "Private_Clean:" | "Private_Dirty:" => {
                m.uss_kib += v;
                seen |= 4;
            }
            _ => {}
        }
    }
    (seen == 7).then_some(m)
}

/// Adds up several processes' figures.
pub fn sum(mems: &[Mem]) -> Mem {
    mems.iter().fold(Mem::default(), |a, m| Mem {
        rss_kib: a.rss_kib + m.rss_kib,
        pss_kib: a.pss_kib + m.pss_kib,
        uss_kib: a.uss_kib + m.uss_kib,
    })
}

fn rollup(pid: &str) -> Result<Mem> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_rollup(&text).with_context(|| format!("{path} lacks Rss, Pss or Private_* lines"))
}

fn vsz_kib(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmSize:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The idle child's life: say "ready" on stdout, wait for end-of-file on stdin.
pub fn idle_main() -> i32 {
    if std::io::stdout()
        .write_all(b"r")
        .and_then(|_| std::io::stdout().flush())
        .is_err()
    {
        return 1;
    }
    let mut buf = [0u8; 16];
    loop {
        match std::io::stdin().read(&mut buf) {
            Ok(0) => return 0,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return 1,
        }
    }
}

const THREAD_STACK: usize = 2 << 20;

pub fn run(args: &MemoryArgs) -> Result<i32> {
    let c = &args.common;
    let timeout = c.timeout()?;
    c.exports.check()?;
    let units = match &args.units {
        Some(u) => crate::parse::parse_counts(u, "--units", 1)?,
        None if c.quick => vec![1, 10],
        None => vec![1, 10, 100, 1000],
    };
    if let Some(&n) = units.iter().find(|&&n| n > 10_000) {
        return Err(usage(format!("invalid --units '{n}': at most 10000")));
    }
    let settings = Settings {
        units: units.clone(),
        thread_stack_bytes: THREAD_STACK,
        source: "/proc/PID/smaps_rollup and /proc/PID/status".into(),
        timeout_s: timeout.as_secs_f64(),
    };
    let mut s = Session::new(
        "memory",
        "memory added per idle unit",
        c,
        settings,
        (units.len() * 3) as u64,
    )?;
    let self_readable = rollup("self").is_ok();
    if !self_readable {
        s.unavailable(
            "/proc/self/smaps_rollup is unreadable here (kernel before 4.14, or /proc restricted): \
             RSS, PSS and USS are not reported",
        );
    }
    for &n in &units {
        for kind in [UnitKind::Fork, UnitKind::Spawn, UnitKind::Thread] {
            s.start(&format!("{n} idle {kind}"))?;
            let d = Deadline::after(timeout);
            let r = match kind {
                UnitKind::Thread => threads(n, &d),
                UnitKind::Fork => processes(n, &d, true),
                _ => processes(n, &d, false),
            };
            match r {
                Ok((r, unreadable)) => {
                    if unreadable > 0 {
                        s.unavailable(format!(
                            "{unreadable} child(ren)'s smaps_rollup could not be read: PSS/USS for those units not reported"
                        ));
                    }
                    s.push(r)?
                }
                Err(e) => s.failed(&format!("{n} idle {kind}"), e)?,
            }
        }
    }
    s.note(
        "threads: growth of pingpong once they all wait; processes: sum over the children \
         (RSS counts pages shared with the parent in every child, PSS splits them, USS counts a child's own only)",
    );
    s.note("kernel memory (kernel stacks, page tables, task structs) is in none of these figures");
    s.finish()
}

fn per(total: Option<i64>, n: usize) -> Option<f64> {
    total.map(|t| t as f64 / n as f64)
}

fn threads(n: usize, d: &Deadline) -> Result<(MemoryResult, usize)> {
    let before = rollup("self").ok();
    let vsz_before = vsz_kib("self");
    // Gate: (ready count, released)
    let gate = Arc::new((Mutex::new((0usize, false)), Condvar::new()));
    let mut handles = Vec::with_capacity(n);
    let mut spawn_err = None;
    for _ in 0..n {
        let g = gate.clone();
        let dl = *d;
        match std::thread::Builder::new()
            .stack_size(THREAD_STACK)
            .spawn(move || {
                let (m, cv) = &*g;
                let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
                st.0 += 1;
                cv.notify_all();
                while !st.1 && !dl.passed() {
                    st = cv
                        .wait_timeout(st, dl.remaining())
                        .map(|(g, _)| g)
                        .unwrap_or_else(|e| e.into_inner().0);
                }
            }) {
            Ok(h) => handles.push(h),
            Err(e) => {
                spawn_err = Some(e);
                break;
            }
        }
    }
    let wait_ready = || -> Result<()> {
        let (m, cv) = &*gate;
        let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
        while st.0 < handles.len() {
            if d.passed() {
                bail!("{} threads did not all start within {}", n, d.describe());
            }
            st = cv
                .wait_timeout(st, d.remaining())
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        Ok(())
    };
    let ready = wait_ready();
    let after = rollup("self").ok();
    let vsz_after = vsz_kib("self");
    {
        let (m, cv) = &*gate;
        m.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        cv.notify_all();
    }
    for h in handles {
        let _ = h.join();
    }
    if let Some(e) = spawn_err {
        bail!("could not start thread: {e}");
    }
    ready?;
    let delta = |f: fn(&Mem) -> u64| match (before, after) {
        (Some(b), Some(a)) => Some(f(&a) as i64 - f(&b) as i64),
        _ => None,
    };
    let rss = delta(|m| m.rss_kib);
    let pss = delta(|m| m.pss_kib);
    let uss = delta(|m| m.uss_kib);
    let vsz = match (vsz_before, vsz_after) {
        (Some(b), Some(a)) => Some(a as i64 - b as i64),
        _ => None,
    };
    Ok((
        MemoryResult {
            unit: UnitKind::Thread,
            units: n,
            counted: "growth of pingpong".into(),
            rss_kib_per_unit: per(rss, n),
            pss_kib_per_unit: per(pss, n),
            uss_kib_per_unit: per(uss, n),
            vsz_kib_per_unit: per(vsz, n),
            rss_kib_total: rss,
            pss_kib_total: pss,
            uss_kib_total: uss,
            vsz_kib_total: vsz,
            children_counted: 0,
            stack: format!("{} reserved", crate::format::format_size(THREAD_STACK)),
        },
        0,
    ))
}

fn processes(n: usize, d: &Deadline, fork: bool) -> Result<(MemoryResult, usize)> {
    let (hold_r, hold_w) = super::pipe()?;
    let (ready_r, ready_w) = super::pipe()?;
    let mut kids = Children::default();
    for _ in 0..n {
        if fork {
            let (hr, hw, rw) = (hold_r.as_raw_fd(), hold_w.as_raw_fd(), ready_w.as_raw_fd());
            let pid = super::fork_child(move || {
                // SAFETY: plain system calls on descriptors this child inherited.
                unsafe {
                    nix::libc::close(hw);
                    if nix::libc::write(rw, b"r".as_ptr().cast(), 1) != 1 {
                        return false;
                    }
                    let mut b = [0u8; 16];
                    loop {
                        let r = nix::libc::read(hr, b.as_mut_ptr().cast(), b.len());
                        if r == 0 {
                            return true;
                        }
                        if r < 0
                            && std::io::Error::last_os_error().kind()
                                != std::io::ErrorKind::Interrupted
                        {
                            return false;
                        }
                    }
                }
            })?;
            kids.0.push(pid);
        } else {
            let stdin: OwnedFd = hold_r.try_clone()?;
            let stdout: OwnedFd = ready_w.try_clone()?;
            let mut cmd = crate::subprocess::reexec::ourselves(IDLE)?;
            cmd.stdin(stdin)
                .stdout(stdout)
                .stderr(std::process::Stdio::null());
            let child = cmd
                .spawn()
                .context("re-executing pingpong as an idle child")?;
            kids.0.push(nix::unistd::Pid::from_raw(child.id() as i32));
        }
    }
    drop(ready_w);
    let mut buf = vec![0u8; n];
    super::read_within(ready_r.as_fd(), &mut buf, d, "the idle children's start")
        .map_err(super::or_killed)?;
    let mut mems = Vec::with_capacity(n);
    let mut unreadable = 0;
    let mut vsz_total = 0i64;
    let mut vsz_ok = true;
    for pid in &kids.0 {
        let p = pid.to_string();
        match rollup(&p) {
            Ok(m) => mems.push(m),
            Err(_) => unreadable += 1,
        }
        match vsz_kib(&p) {
            Some(v) => vsz_total += v as i64,
            None => vsz_ok = false,
        }
    }
    drop(hold_w);
    drop(hold_r);
    let statuses = kids.reap_all(d, "an idle child")?;
    let clean = statuses
        .iter()
        .all(|s| matches!(s, nix::sys::wait::WaitStatus::Exited(_, 0)));
    if !clean {
        bail!("an idle child did not exit cleanly: {statuses:?}");
    }
    let counted = mems.len();
    let total = sum(&mems);
    let some = |v: u64| (counted == n).then_some(v as i64);
    let (rss, pss, uss) = (
        some(total.rss_kib),
        some(total.pss_kib),
        some(total.uss_kib),
    );
    let vsz = vsz_ok.then_some(vsz_total);
    Ok((
        MemoryResult {
            unit: if fork {
                UnitKind::Fork
            } else {
                UnitKind::Spawn
            },
            units: n,
            counted: format!("sum over {counted} children"),
            rss_kib_per_unit: per(rss, n),
            pss_kib_per_unit: per(pss, n),
            uss_kib_per_unit: per(uss, n),
            vsz_kib_per_unit: per(vsz, n),
            rss_kib_total: rss,
            pss_kib_total: pss,
            uss_kib_total: uss,
            vsz_kib_total: vsz,
            children_counted: counted,
            stack: "8 MiB max (RLIMIT_STACK), grows on use".into(),
        },
        unreadable,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
55d0c0a0b000-7ffd1c3f2000 ---p 00000000 00:00 0                          [rollup]
Rss:                2048 kB
Pss:                 812 kB
Pss_Dirty:           300 kB
Pss_Anon:            280 kB
Shared_Clean:       1500 kB
Shared_Dirty:         48 kB
Private_Clean:       100 kB
Private_Dirty:       400 kB
Referenced:         2048 kB
Anonymous:           448 kB
Swap:                  0 kB
";

    #[test]
    fn rollup_gives_rss_pss_and_uss() {
        let m = parse_rollup(SAMPLE).unwrap();
        assert_eq!(
            m,
            Mem {
                rss_kib: 2048,
                pss_kib: 812,
                uss_kib: 500
            }
        );
    }

    #[test]
    fn pss_sums_over_children() {
        let m = parse_rollup(SAMPLE).unwrap();
        let t = sum(&[m, m, m]);
        assert_eq!(t.pss_kib, 3 * 812);
        assert_eq!(t.uss_kib, 1500);
        assert_eq!(per(Some(t.pss_kib as i64), 3), Some(812.0));
    }

    #[test]
    fn a_rollup_without_pss_is_refused() {
        assert_eq!(parse_rollup("Rss: 10 kB\n"), None);
    }
}
