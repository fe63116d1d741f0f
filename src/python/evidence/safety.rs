//! What CPython shows when things go wrong, and what guards against it,
//! column by column: faults, stopping a unit, pools, locks, connections,
//! zombies.

use super::{key, Column};
use crate::evidence::{Evidence, Unit};
use crate::python::rows::*;

impl Column<'_> {
    pub(super) fn faults(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Faults(f) = &r.row else { continue };
            let signal = f
                .program_signal
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default();
            let (relative, shows, unit) = match &f.unit {
                FaultUnit::Thread { .. } => (
                    key::thread_fault_ends_program(f.fault),
                    f.outcome == FaultOutcome::ProgramEnded,
                    "a thread",
                ),
                FaultUnit::Process { .. } => (
                    key::process_fault_contained(f.fault),
                    f.outcome == FaultOutcome::OnlyChildEnded,
                    "a child process",
                ),
            };
            if !f.fault_fired || f.outcome == FaultOutcome::NoFault {
                self.miss(
                    ev,
                    &relative,
                    format!("the {} in {unit} did not fire", f.fault),
                );
                continue;
            }
            let extra = match &f.unit {
                FaultUnit::Thread {
                    thread_exception: Some(e),
                } => format!(" (threading.excepthook got {e})"),
                FaultUnit::Process {
                    child_signal: Some(s),
                    ..
                } => format!(" (the child ended by {s})"),
                _ => String::new(),
            };
            self.show(
                ev,
                &relative,
                shows,
                format!("{} in {unit}: {}{signal}{extra}", f.fault, f.outcome),
            );
        }
    }

    pub(super) fn stop(&self, ev: &mut Evidence) {
        let mut no_api = None;
        let mut processes = Vec::new();
        for r in &self.rows {
            match &r.row {
                PyRow::Stop(StopRow::Thread(t)) => {
                    no_api = Some(t.kill_api.clone());
                    self.stop_thread(ev, r, t);
                }
                PyRow::Stop(StopRow::Process(p)) => processes.push((r, p)),
                _ => {}
            }
        }
        if let Some(api) = no_api {
            self.show(
                ev,
                key::NO_KILL_API,
                api.is_empty(),
                if api.is_empty() {
                    "threading.Thread has no kill, terminate, stop or cancel".into()
                } else {
                    format!("threading.Thread has {}", api.join(", "))
                },
            );
        }
        if !processes.is_empty() {
            let stopped = processes
                .iter()
                .all(|(_, p)| p.outcome == ProcessStopOutcome::Stopped);
            let shown = processes
                .iter()
                .map(|(r, p)| {
                    format!(
                        "{}() on a sleeping multiprocessing child: {}{}{}",
                        p.method,
                        p.outcome,
                        p.signal
                            .as_deref()
                            .map(|s| format!(" by {s}"))
                            .unwrap_or_default(),
                        r.value
                            .map(|v| format!(" in {}", crate::format::ns(v)))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            self.show(ev, key::PROCESS_KILLED, stopped, shown);
        }
    }

    /// `PyThreadState_SetAsyncExc` on one thread: whether it was
    /// interrupted, and how soon.
    fn stop_thread(&self, ev: &mut Evidence, r: &PyResult, t: &ThreadStopRow) {
        if r.verified != Some(true) {
            self.miss(
                ev,
                &key::uninterrupted(t.target),
                format!(
                    "the thread ({}) had not started its work when SetAsyncExc was called",
                    t.target
                ),
            );
            return;
        }
        let doing = match t.target {
            StopTarget::PythonLoop => "running a pure-Python loop",
            StopTarget::TimeSleep => "blocked in time.sleep",
            StopTarget::OsRead => "blocked in os.read on an empty pipe",
        };
        let escaped = if t.escaped_handler {
            " (the exception escaped the thread's own handler, python/cpython#139622)"
        } else {
            ""
        };
        self.show(
            ev,
            &key::uninterrupted(t.target),
            t.outcome != ThreadStopOutcome::Interrupted,
            format!(
                "PyThreadState_SetAsyncExc on a thread {doing}: {} within {:.0} ms{escaped}",
                t.outcome, t.window_ms
            ),
        );
        if let (ThreadStopOutcome::Interrupted, Some(ns)) = (t.outcome, r.value) {
            self.put(
                ev,
                &key::interrupt_ns(t.target),
                self.exact(
                    ns,
                    Unit::Ns,
                    format!("from SetAsyncExc to the exception in a thread {doing}"),
                ),
            );
        }
    }

    pub(super) fn pool(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Pool(p) = &r.row else { continue };
            if !p.fault_delivered || p.outcome == PoolOutcome::NoFault {
                self.miss(
                    ev,
                    &key::pool(p.pool),
                    format!(
                        "{}: the worker was not killed (its state afterwards: {}), so the pool showed nothing",
                        p.pool, p.victim_state
                    ),
                );
                continue;
            }
            let wrong = if r.verified == Some(false) {
                "; some result that arrived was WRONG"
            } else {
                ""
            };
            self.show(
                ev,
                &key::pool(p.pool),
                p.outcome == PoolOutcome::AllCompleted && r.verified != Some(false),
                format!(
                    "{} with a worker SIGKILLed mid-job (its state then: {}): {} of {} jobs completed, {} failed{}, {} neither by the {} s deadline: {}{wrong}",
                    p.pool,
                    p.victim_state,
                    p.completed,
                    p.jobs,
                    p.failed,
                    p.error_type
                        .as_deref()
                        .map(|e| format!(" with {e}"))
                        .unwrap_or_default(),
                    p.lost,
                    p.deadline_s,
                    p.outcome
                ),
            );
        }
    }

    pub(super) fn locks(&self, ev: &mut Evidence) {
        let costs: Vec<&CostRow> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Locks(LocksRow::Cost(c)) if r.verified != Some(false) => Some(c),
                _ => None,
            })
            .collect();
        self.lock_counters(ev);
        for c in &costs {
            self.lock_cost(ev, c, &costs);
        }
    }

    /// The shared counter under each thread API and lock: exact, or how
    /// many updates were lost.
    fn lock_counters(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Locks(LocksRow::Counter(c)) = &r.row else {
                continue;
            };
            let lock = match c.lock {
                LockObject::None => "no lock".to_string(),
                l => l.to_string(),
            };
            self.show(
                ev,
                &key::counter_exact(c.api, c.lock),
                c.exact,
                format!(
                    "{} threads started with {} adding 1 to a shared counter {} times each, guarded by {lock}: {} updates lost over {} attempts (lost in {})",
                    c.threads, c.api, c.increments, c.lost, c.attempts, c.lost_attempts
                ),
            );
            self.put(
                ev,
                &key::counter_lost(c.api, c.lock),
                self.exact(
                    c.lost as f64,
                    Unit::Count,
                    format!("updates lost, {} with {lock}", c.api),
                ),
            );
        }
    }

    /// What one lock costs per increment, its size, and its time over no
    /// lock's with as many threads.
    fn lock_cost(&self, ev: &mut Evidence, c: &CostRow, costs: &[&CostRow]) {
        let lock = match c.lock {
            LockVariant::None => "no lock",
            LockVariant::ThreadingLock => "threading.Lock",
            LockVariant::ThreadAllocateLock => "_thread.allocate_lock",
        };
        if let Some(f) = self.reps(
            &c.reps.reps,
            Unit::Ns,
            format!(
                "wall time per counter increment, {lock}, {} threads",
                c.threads
            ),
        ) {
            self.put(ev, &key::lock_cost(c.lock, c.threads), f);
        }
        if let Some(b) = c.lock_bytes {
            self.put(
                ev,
                &key::lock_bytes(c.lock),
                self.exact(
                    b as f64,
                    Unit::Bytes,
                    format!("sys.getsizeof of one {lock}"),
                ),
            );
        }
        if c.lock == LockVariant::None {
            return;
        }
        let Some(none) = costs
            .iter()
            .find(|n| n.lock == LockVariant::None && n.threads == c.threads)
        else {
            return;
        };
        let ratios: Vec<f64> = c
            .reps
            .reps
            .iter()
            .zip(&none.reps.reps)
            .filter(|(_, n)| **n > 0.0)
            .map(|(l, n)| l / n)
            .collect();
        if let Some(f) = self.reps(
            &ratios,
            Unit::Ratio,
            format!(
                "time per increment with {lock} ÷ with none, {} threads, per interleaved repetition",
                c.threads
            ),
        ) {
            self.put(ev, &key::lock_cost_ratio(c.lock, c.threads), f);
        }
    }

    pub(super) fn connection(&self, ev: &mut Evidence) {
        let mut rallies = Vec::new();
        for r in &self.rows {
            match &r.row {
                PyRow::Connection(ConnectionRow::Rally(c)) => {
                    rallies.push((r, c));
                    if let Some(f) = self.reps(
                        &c.reps.reps,
                        Unit::Ns,
                        format!(
                            "round trip between {} over multiprocessing.connection ({}, authkey), {} B balls",
                            c.unit, c.transport, c.ball_bytes
                        ),
                    ) {
                        self.put(ev, &key::connection(c.unit), f);
                    }
                }
                PyRow::Connection(ConnectionRow::Auth(a)) => self.show(
                    ev,
                    key::CONNECTION_AUTH,
                    a.outcome == AuthOutcome::Rejected,
                    format!(
                        "a client with the wrong authkey was {}{}",
                        a.outcome,
                        a.error_type
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    ),
                ),
                _ => {}
            }
        }
        if !rallies.is_empty() {
            let ok = rallies
                .iter()
                .all(|(r, c)| r.verified == Some(true) && c.bad_balls == 0 && c.authkey);
            let shown = rallies
                .iter()
                .map(|(_, c)| {
                    format!(
                        "{}: {} round trips × {} over {} ({}), {} bad balls",
                        c.unit,
                        c.round_trips,
                        c.reps.repetitions,
                        c.transport,
                        c.address,
                        c.bad_balls
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            self.show(
                ev,
                key::CONNECTION_VERIFIED,
                ok,
                format!("multiprocessing.connection Listener/Client with an authkey, each ball checked at both ends: {shown}"),
            );
        }
    }

    pub(super) fn zombie(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Zombie(z) = &r.row else { continue };
            let Some(case) = r.zombie_case() else {
                continue;
            };
            if r.verified != Some(true) {
                self.miss(
                    ev,
                    &key::zombie(case),
                    format!("the {case} unit did not finish normally"),
                );
                continue;
            }
            self.show(
                ev,
                &key::zombie(case),
                z.zombie,
                format!(
                    "{case} finished and not joined: state {}{}, after joining: {} ({})",
                    z.state_unjoined,
                    z.zombie_ns
                        .map(|ns| format!(" for {}", crate::format::ns(ns)))
                        .unwrap_or_default(),
                    z.state_joined,
                    z.outcome
                ),
            );
        }
    }
}
