//! A pool that survives (claim P8): N workers process M jobs whose answers
//! can be checked (find a nonce whose hash with the job starts with k zero
//! bits: about 2^k hashes to find, one to check, so checking costs the
//! supervisor nothing). Mid-run one worker suffers a fatal fault.
//!
//! * Processes: the worker aborts; the supervisor sees end-of-file on its
//!   pipe, reaps it, requeues the job it held, starts a replacement, and
//!   delivers every answer exactly once (checked: none lost, none
//!   duplicated, none wrong), reporting the time to recover and the
//!   throughput before and during the recovery.
//! * Threads, abort: the fault kills the whole program, pool and all (shown
//!   in the sacrificial child).
//! * Threads, panic: the panic ends only that thread; the supervisor sees
//!   it finished with an error, requeues its job and starts a replacement.

use super::{command, mark, mono_ns, report, run_case, wait_until, Observed, Row};
use anyhow::{Context, Result};
use nix::unistd::Pid;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Write};
use std::os::fd::AsFd;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub fn run(quick: bool) -> Vec<Row> {
    let (n, m, work) = if quick {
        ("3", "60", "14")
    } else {
        ("4", "600", "20")
    };
    let d = super::deadline(quick);
    let mut rows = run_case(
        "pool",
        "abort mid-run",
        "processes",
        &["processes", n, m, work],
        d,
    );
    let mut t = run_case(
        "pool",
        "abort mid-run",
        "threads",
        &["threads-abort", n, m, work],
        d,
    );
    for r in &mut t {
        if r.survived == Some(false) {
            let done = r.figures.get("done_before_death").copied().unwrap_or(0.0);
            r.outcome = format!(
                "the pool died with the whole program ({}); {done} of {m} answers delivered, the rest lost",
                r.status
            );
        }
    }
    rows.extend(t);
    rows.extend(run_case(
        "pool",
        "panic mid-run",
        "threads",
        &["threads-panic", n, m, work],
        d,
    ));
    rows
}

/// One round of splitmix64 over a job and a candidate nonce.
fn hash(j: u64, nonce: u64) -> u64 {
    let mut z = (j.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ nonce).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The job: the first nonce whose hash with `j` starts with `bits` zero
/// bits (about 2^bits hashes of work). Costly to find, one hash to check.
pub fn answer(j: u64, bits: u64) -> u64 {
    (0..).find(|&n| check(j, bits, n)).unwrap_or(0)
}

/// Whether `nonce` answers job `j`.
pub fn check(j: u64, bits: u64, nonce: u64) -> bool {
    bits == 0 || hash(j, nonce) >> (64 - bits.min(63)) == 0
}

/// Answers received, checked and delivered once.
struct Tally {
    m: u64,
    work: u64,
    delivered: Vec<bool>,
    count: u64,
    duplicates: u64,
    wrong: u64,
    times: Vec<u64>,
    start: u64,
}

impl Tally {
    fn new(m: u64, work: u64) -> Tally {
        Tally {
            m,
            work,
            delivered: vec![false; m as usize],
            count: 0,
            duplicates: 0,
            wrong: 0,
            times: Vec::new(),
            start: mono_ns(),
        }
    }

    /// Checks and delivers one answer; false if it was not delivered.
    fn take(&mut self, j: u64, a: u64) -> bool {
        if j >= self.m || !check(j, self.work, a) {
            self.wrong += 1;
            return false;
        }
        if self.delivered[j as usize] {
            self.duplicates += 1;
            return false;
        }
        self.delivered[j as usize] = true;
        self.count += 1;
        self.times.push(mono_ns());
        super::say(&format!("PROGRESS {}", self.count));
        true
    }

    fn done(&self) -> bool {
        self.count == self.m
    }

    fn row(
        &self,
        unit_fault: &str,
        death: Option<(String, u64)>,
        mark: u64,
        recovered: Option<u64>,
        stderr: String,
    ) -> Row {
        let end = mono_ns();
        let f = self.figures(end, mark, recovered);
        let once = self.done() && self.duplicates == 0 && self.wrong == 0;
        let dip = throughput(&f);
        let fault_happened = death.is_some();
        let (status, noticed) = death.unwrap_or_else(|| ("no fault".into(), 0));
        Row {
            observed: Observed::Pool {
                jobs: self.m,
                delivered: self.count,
                exactly_once: once,
                fault_happened,
            },
            outcome: format!(
                "{} of {} answers delivered{}; recovered in {}",
                self.count,
                self.m,
                if once { " exactly once" } else { " (NOT exactly once)" },
                recovered
                    .map(|r| crate::format::ns(r.saturating_sub(mark) as f64))
                    .unwrap_or_else(|| "–".into())
            ),
            status,
            survived: Some(self.done()),
            notice_ns: (noticed > 0 && mark > 0).then(|| noticed.saturating_sub(mark) as f64),
            detail: format!(
                "{unit_fault}; recovery = from the fault to the replacement's first answer; {dip}. {stderr}"
            )
            .trim_end()
            .to_string(),
            figures: f,
            ..Row::default()
        }
    }

    /// The counts, and the throughput overall, before the fault and during
    /// the recovery (answers per second).
    fn figures(&self, end: u64, mark: u64, recovered: Option<u64>) -> BTreeMap<String, f64> {
        let mut f = BTreeMap::new();
        let rate = |n: usize, from: u64, to: u64| {
            if to > from {
                n as f64 * 1e9 / (to - from) as f64
            } else {
                f64::NAN
            }
        };
        f.insert("jobs".into(), self.m as f64);
        f.insert("delivered".into(), self.count as f64);
        f.insert("lost".into(), (self.m - self.count) as f64);
        f.insert("duplicates_suppressed".into(), self.duplicates as f64);
        f.insert("wrong".into(), self.wrong as f64);
        f.insert(
            "rate_overall_per_s".into(),
            rate(self.times.len(), self.start, end),
        );
        if mark > 0 {
            let before = self.times.iter().filter(|&&t| t < mark).count();
            f.insert(
                "rate_before_fault_per_s".into(),
                rate(before, self.start, mark),
            );
            if let Some(r) = recovered {
                let during = self.times.iter().filter(|&&t| t >= mark && t <= r).count();
                f.insert("recovery_ns".into(), r.saturating_sub(mark) as f64);
                f.insert("rate_during_recovery_per_s".into(), rate(during, mark, r));
            }
        }
        f
    }
}

/// "throughput 1200/s before the fault, 300/s during recovery, 1100/s overall".
fn throughput(f: &BTreeMap<String, f64>) -> String {
    let per_s = |k: &str| {
        f.get(k)
            .filter(|v| v.is_finite())
            .map(|v| format!("{v:.0}/s"))
            .unwrap_or_else(|| "–".into())
    };
    format!(
        "throughput {} before the fault, {} during recovery, {} overall",
        per_s("rate_before_fault_per_s"),
        per_s("rate_during_recovery_per_s"),
        per_s("rate_overall_per_s")
    )
}

fn args(rest: &[String]) -> (usize, u64, u64) {
    let n = |i: usize, d: u64| rest.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    (n(0, 3) as usize, n(1, 60), n(2, 14))
}

pub fn child(arg: &str, rest: &[String]) -> Result<i32> {
    match arg {
        "processes" => processes(rest),
        "threads-abort" => threads(rest, false),
        "threads-panic" => threads(rest, true),
        "worker" => worker(rest),
        _ => Ok(2),
    }
}

/// A pool worker process: jobs on stdin, answers on stdout; aborts on its
/// `fault_on`-th job if that is not 0.
fn worker(rest: &[String]) -> Result<i32> {
    let fault_on: u64 = rest.first().and_then(|v| v.parse().ok()).unwrap_or(0);
    let work: u64 = rest.get(1).and_then(|v| v.parse().ok()).unwrap_or(14);
    let mut taken = 0u64;
    for line in std::io::stdin().lock().lines() {
        let Ok(j) = line?.trim().parse::<u64>() else {
            continue;
        };
        taken += 1;
        if taken == fault_on {
            mark();
            std::process::abort();
        }
        super::say(&format!("{j} {}", answer(j, work)));
    }
    Ok(0)
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    buf: Vec<u8>,
    held: Option<u64>,
    replacement: bool,
    alive: bool,
}

fn start(fault_on: u64, work: u64, replacement: bool) -> Result<Worker> {
    let mut cmd = command(&[
        "pool".into(),
        "worker".into(),
        fault_on.to_string(),
        work.to_string(),
    ])?;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = cmd.spawn().context("starting a pool worker")?;
    Ok(Worker {
        stdin: child.stdin.take(),
        stdout: child.stdout.take().context("worker stdout")?,
        child,
        buf: Vec::new(),
        held: None,
        replacement,
        alive: true,
    })
}

fn processes(rest: &[String]) -> Result<i32> {
    let (n, m, work) = args(rest);
    let fault_on = (m / (3 * n as u64)).max(1);
    // Worker 0 aborts on its `fault_on`-th job. Should the others take
    // every job first (worker 0 started late or was descheduled on a busy
    // machine), the fault never happened: the pool runs again, at most
    // three times, and a row without a fault says so ("no fault").
    let mut attempt = 1;
    loop {
        let (tally, death, mark_ns, recovered) = pool_of_processes(n, m, work, fault_on)?;
        if death.is_some() || attempt == 3 {
            report(&tally.row(
                &format!("{n} worker processes, one aborts on its job #{fault_on}"),
                death,
                mark_ns,
                recovered,
                String::new(),
            ));
            return Ok(0);
        }
        attempt += 1;
    }
}

/// What one run of the process pool gave: the tally, the worker's death
/// (status and when it was noticed) if it happened, and the recovery marks.
type PoolRun = (Tally, Option<(String, u64)>, u64, Option<u64>);

/// One run of the process pool.
fn pool_of_processes(n: usize, m: u64, work: u64, fault_on: u64) -> Result<PoolRun> {
    let mut tally = Tally::new(m, work);
    let mut queue: VecDeque<u64> = (0..m).collect();
    let mut workers = Vec::new();
    for i in 0..n {
        workers.push(start(if i == 0 { fault_on } else { 0 }, work, false)?);
    }
    let (mut mark_ns, mut recovered, mut death) = (0u64, None, None);
    let deadline = Instant::now() + Duration::from_secs(50);
    while !tally.done() && Instant::now() < deadline {
        hand_out(&mut workers, &mut queue);
        for i in ready(&workers) {
            let mut chunk = [0u8; 4096];
            let got = rustix::io::read(workers[i].stdout.as_fd(), &mut chunk).unwrap_or(0);
            if got == 0 {
                death = Some(replace(&mut workers, i, &mut queue, work)?);
                continue;
            }
            let w = &mut workers[i];
            w.buf.extend_from_slice(&chunk[..got]);
            take_answers(w, &mut tally, &mut mark_ns, &mut recovered);
        }
    }
    for w in workers.iter_mut().filter(|w| w.alive) {
        w.stdin = None;
        let _ = wait_until(Pid::from_raw(w.child.id() as i32), Duration::from_secs(5));
    }
    Ok((tally, death, mark_ns, recovered))
}

fn hand_out(workers: &mut [Worker], queue: &mut VecDeque<u64>) {
    for w in workers.iter_mut().filter(|w| w.alive && w.held.is_none()) {
        let Some(j) = queue.pop_front() else { break };
        w.held = Some(j);
        if let Some(s) = w.stdin.as_mut() {
            let _ = writeln!(s, "{j}");
        }
    }
}

/// The living workers with something to read (or an end of file), waiting
/// at most 100 ms.
fn ready(workers: &[Worker]) -> Vec<usize> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let idx: Vec<usize> = (0..workers.len()).filter(|&i| workers[i].alive).collect();
    let mut fds: Vec<PollFd> = idx
        .iter()
        .map(|&i| PollFd::new(workers[i].stdout.as_fd(), PollFlags::POLLIN))
        .collect();
    match poll(&mut fds, PollTimeout::from(100u16)) {
        Ok(_) => idx
            .iter()
            .zip(&fds)
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| *i)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// End of file: worker `i` died. Reap, requeue, replace; its death as the
/// status seen and when it was noticed.
fn replace(
    workers: &mut Vec<Worker>,
    i: usize,
    queue: &mut VecDeque<u64>,
    work: u64,
) -> Result<(String, u64)> {
    let noticed = mono_ns();
    let w = &mut workers[i];
    w.alive = false;
    w.stdin = None;
    let pid = Pid::from_raw(w.child.id() as i32);
    let (ws, _) = wait_until(pid, Duration::from_secs(5))?;
    if let Some(j) = w.held.take() {
        queue.push_front(j);
    }
    let death = (super::describe(&ws).0, noticed);
    workers.push(start(0, work, true)?);
    Ok(death)
}

/// Takes every whole line a worker sent: its MARK, or an answer to check
/// and deliver (the first from a replacement marks the recovery).
fn take_answers(w: &mut Worker, tally: &mut Tally, mark_ns: &mut u64, recovered: &mut Option<u64>) {
    while let Some(nl) = w.buf.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = w.buf.drain(..=nl).collect();
        let line = String::from_utf8_lossy(&line);
        let mut it = line.split_whitespace();
        match (it.next(), it.next()) {
            (Some("MARK"), Some(t)) => *mark_ns = t.parse().unwrap_or(0),
            (Some(j), Some(a)) => {
                if let (Ok(j), Ok(a)) = (j.parse(), a.parse()) {
                    if w.held == Some(j) {
                        w.held = None;
                    }
                    if tally.take(j, a) && w.replacement && recovered.is_none() {
                        *recovered = Some(mono_ns());
                    }
                }
            }
            _ => {}
        }
    }
}

/// A worker thread: its handle (taken when joined), the job it holds, and
/// whether it is a replacement.
type Slot = (
    Option<std::thread::JoinHandle<()>>,
    Arc<Mutex<Option<u64>>>,
    bool,
);

/// What every worker thread shares: the queue, where answers go, the work
/// per job, and whether the fault is a panic (or an abort).
struct ThreadPool {
    queue: Arc<Mutex<VecDeque<u64>>>,
    tx: mpsc::Sender<(usize, u64, u64)>,
    work: u64,
    panic: bool,
}

impl ThreadPool {
    /// Starts worker thread `id`, which faults on its `fault_on`-th job if
    /// that is not 0.
    fn spawn(&self, id: usize, fault_on: u64, replacement: bool) -> Result<Slot> {
        let (queue, tx) = (self.queue.clone(), self.tx.clone());
        let (work, panic) = (self.work, self.panic);
        let held = Arc::new(Mutex::new(None));
        let h2 = held.clone();
        let handle = std::thread::Builder::new()
            .name(format!("pool-{id}"))
            .spawn(move || {
                let mut taken = 0u64;
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                    let Some(j) = next else { break };
                    *h2.lock().unwrap_or_else(|p| p.into_inner()) = Some(j);
                    taken += 1;
                    if taken == fault_on {
                        mark();
                        if panic {
                            panic!("pool worker {id} panics on job {j}");
                        }
                        std::process::abort();
                    }
                    let a = answer(j, work);
                    *h2.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    let _ = tx.send((id, j, a));
                }
            })?;
        Ok((Some(handle), held, replacement))
    }

    /// Joins every worker that finished; one that panicked has its job
    /// requeued and a replacement started, and is the death seen.
    fn replace_finished(
        &self,
        workers: &mut Vec<Slot>,
        death: &mut Option<(String, u64)>,
    ) -> Result<()> {
        for i in 0..workers.len() {
            if !workers[i].0.as_ref().is_some_and(|h| h.is_finished()) {
                continue;
            }
            let h = workers[i].0.take().context("handle")?;
            if h.join().is_err() {
                let noticed = mono_ns();
                if let Some(j) = workers[i]
                    .1
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                {
                    self.queue
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_front(j);
                }
                *death = Some(("panic (joined)".to_string(), noticed));
                let id = workers.len();
                workers.push(self.spawn(id, 0, true)?);
            }
        }
        Ok(())
    }
}

fn threads(rest: &[String], panic: bool) -> Result<i32> {
    let (n, m, work) = args(rest);
    let fault_on = (m / (3 * n as u64)).max(1);
    let mut tally = Tally::new(m, work);
    let queue = Arc::new(Mutex::new((0..m).collect::<VecDeque<u64>>()));
    let (tx, rx) = mpsc::channel::<(usize, u64, u64)>();
    let pool = ThreadPool {
        queue: queue.clone(),
        tx,
        work,
        panic,
    };
    let mut workers: Vec<Slot> = Vec::new();
    for i in 0..n {
        workers.push(pool.spawn(i, if i == 0 { fault_on } else { 0 }, false)?);
    }
    let (mut recovered, mut death) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(50);
    while !tally.done() && Instant::now() < deadline {
        if let Ok((id, j, a)) = rx.recv_timeout(Duration::from_millis(2)) {
            if tally.take(j, a) && workers[id].2 && recovered.is_none() {
                recovered = Some(mono_ns());
            }
        }
        pool.replace_finished(&mut workers, &mut death)?;
    }
    queue.lock().unwrap_or_else(|p| p.into_inner()).clear();
    for w in &mut workers {
        if let Some(h) = w.0.take() {
            let _ = h.join();
        }
    }
    let stderr = if panic {
        "the panic message went to stderr; the other threads and the program lived on".to_string()
    } else {
        String::new()
    };
    report(&tally.row(
        &format!(
            "{n} worker threads, one {} on its job #{fault_on}",
            if panic { "panics" } else { "aborts" }
        ),
        death,
        super::last_mark(),
        recovered,
        stderr,
    ));
    Ok(0)
}
