//! What `pingpong python` shows, for each interpreter column separately:
//! the default CPython's figures under `python.*` keys and a free-threaded
//! build's under `python-ft.*`, each named like the Rust figure where a Rust
//! rule judges the same thing (`python.scale.threads.speedup` beside
//! `scale.threads.speedup`), so the same rule judges every world; facts only
//! CPython has (pickling, `SetAsyncExc`, `multiprocessing.Pool`…) get keys of
//! their own in [`key`].
//!
//! Keys are built from a column-relative name with [`key::of`]; the rules
//! read them through the same functions. Whatever a column could not show
//! is recorded as missing evidence with the reason, keyed by
//! [`key::experiment`] (one experiment) or [`key::column`] (the whole column).

use super::rows::*;
use super::{Interpreter, PythonDocument};
use crate::evidence::{Evidence, Figure, Unit, Witness};

/// The names of the figures and demonstrations (read by the rules too).
pub mod key;

/// "CPython 3.13.5 free-threaded", as the figures describe an interpreter.
pub fn describe(i: &Interpreter, gil_seen: bool) -> String {
    match (i.free_threaded_build, gil_seen) {
        (false, _) => format!("CPython {} (GIL)", i.version),
        (true, false) => format!("CPython {} free-threaded (no GIL)", i.version),
        (true, true) => format!("CPython {} free-threaded, GIL enabled", i.version),
    }
}

/// One interpreter's column of a document.
struct Column<'a> {
    build: Build,
    rows: Vec<&'a PyResult>,
    cmd: &'a str,
    /// How the figures name the interpreter.
    who: String,
    cpus: usize,
}

impl Column<'_> {
    fn put(&self, ev: &mut Evidence, relative: &str, f: Figure) {
        ev.put(key::of(self.build, relative), f);
    }
    fn show(&self, ev: &mut Evidence, relative: &str, shows: bool, shown: String) {
        ev.show(
            key::of(self.build, relative),
            shows,
            format!("{}: {shown}", self.who),
        );
    }
    fn miss(&self, ev: &mut Evidence, relative: &str, why: String) {
        ev.miss(
            key::of(self.build, relative),
            format!("{}: {why}", self.who),
        );
    }
    fn what(&self, s: String) -> String {
        format!("{}: {s}", self.who)
    }
    fn reps(&self, values: &[f64], unit: Unit, what: String) -> Option<Figure> {
        Figure::of_repetitions(values, unit, self.what(what), self.cmd)
    }
    fn exact(&self, v: f64, unit: Unit, what: String) -> Figure {
        Figure::exact(v, unit, self.what(what), self.cmd)
    }

    fn testify(&self, ev: &mut Evidence) {
        let gil = self.rows.iter().any(|r| r.gil_enabled);
        self.put(
            ev,
            key::GIL_REL,
            self.exact(
                if gil { 1.0 } else { 0.0 },
                Unit::Count,
                "the GIL enabled (1) or not (0)".into(),
            ),
        );
        self.scale(ev);
        self.spawn(ev);
        self.memory(ev);
        self.rally(ev);
        self.pickling(ev);
        self.faults(ev);
        self.stop(ev);
        self.pool(ev);
        self.locks(ev);
        self.connection(ev);
        self.zombie(ev);
    }

    fn scale(&self, ev: &mut Evidence) {
        let rows: Vec<&ScaleRow> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Scale(s) if !s.rep_wall_ns.is_empty() => Some(s),
                _ => None,
            })
            .collect();
        if rows.is_empty() {
            return;
        }
        self.put(
            ev,
            key::CPUS_REL,
            self.exact(self.cpus as f64, Unit::Cpus, "CPUs the run may use".into()),
        );
        if let Some(load) = rows
            .iter()
            .filter_map(|r| r.load_other_cpus)
            .reduce(f64::max)
        {
            let wall = rows.iter().map(|r| r.load_wall_s).fold(0.0, f64::max);
            self.put(
                ev,
                key::SCALE_LOAD,
                self.exact(
                    load,
                    Unit::Cpus,
                    format!("CPUs other processes used during the scaling run ({wall:.1} s)"),
                ),
            );
        }
        let fit = self.cpus.max(2) as u32;
        for kernel in Kernel::ALL.iter().copied() {
            for unit in PyUnit::ALL.iter().copied() {
                for placement in ScalePlacement::ALL.iter().copied() {
                    let of = |r: &&&ScaleRow| {
                        r.kernel == kernel && r.unit == unit && r.placement == placement
                    };
                    let Some(one) = rows.iter().filter(of).find(|r| r.workers == 1) else {
                        continue;
                    };
                    let Some(many) = rows
                        .iter()
                        .filter(of)
                        .filter(|r| r.workers > 1 && r.workers <= fit)
                        .max_by_key(|r| r.workers)
                    else {
                        continue;
                    };
                    let n = many.workers;
                    self.put(
                        ev,
                        &key::scale_speedup(kernel, unit, placement),
                        Figure::speedup(
                            &one.rep_wall_ns,
                            &many.rep_wall_ns,
                            self.what(format!(
                                "{kernel}, speedup of {n} {unit} over 1, {placement} (range over repetitions)"
                            )),
                            self.cmd,
                        ),
                    );
                    if placement == ScalePlacement::Free {
                        let par: Vec<f64> = many
                            .rep_cpu_ns
                            .iter()
                            .zip(&many.rep_wall_ns)
                            .filter(|(_, w)| **w > 0.0)
                            .map(|(c, w)| c / w)
                            .collect();
                        if let Some(f) = self.reps(
                            &par,
                            Unit::Cpus,
                            format!("{kernel}, CPU time ÷ wall time of {n} {unit}: how many ran at once"),
                        ) {
                            self.put(ev, &key::scale_parallelism(kernel, unit), f);
                        }
                    }
                }
            }
        }
        if let Some(ns) = rows
            .iter()
            .find(|r| {
                r.kernel == Kernel::PythonLoop
                    && r.unit == PyUnit::Threads
                    && r.placement == ScalePlacement::Free
                    && r.workers == 1
            })
            .and_then(|r| r.ns_per_item)
        {
            self.put(
                ev,
                key::NS_PER_ITERATION,
                self.exact(
                    ns,
                    Unit::Ns,
                    "wall time per iteration of the pure-Python loop on 1 thread".into(),
                ),
            );
        }
        let pinned: Vec<(&PyResult, &ScaleRow)> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Scale(s) if s.placement == ScalePlacement::OneCpu => Some((*r, s)),
                _ => None,
            })
            .collect();
        if !pinned.is_empty() {
            let ok = pinned
                .iter()
                .filter(|(r, _)| r.verified == Some(true))
                .count();
            self.show(
                ev,
                crate::experiment::scale::key::PINNED_VERIFIED,
                ok == pinned.len(),
                format!(
                    "{ok} of {} runs with every thread or process pinned to one CPU finished with the right answer",
                    pinned.len()
                ),
            );
        }
    }

    fn spawn(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let PyRow::Spawn(s) = &r.row else { continue };
            if r.verified == Some(false) {
                self.miss(
                    ev,
                    &key::spawn(s.method),
                    format!("{}: a unit did not end cleanly", s.description),
                );
                continue;
            }
            if let Some(f) = self.reps(
                &s.reps.reps,
                Unit::Ns,
                format!("{} (median of {} per repetition)", s.description, s.per_rep),
            ) {
                self.put(ev, &key::spawn(s.method), f);
            }
        }
    }

    fn memory(&self, ev: &mut Evidence) {
        for r in &self.rows {
            let (PyRow::Memory(m), Some(v)) = (&r.row, r.value) else {
                continue;
            };
            let how = match m.start_method {
                StartMethod::Thread => "thread".to_string(),
                sm => format!("process ({sm})"),
            };
            self.put(
                ev,
                &key::memory(m.start_method),
                self.exact(
                    v,
                    Unit::KiB,
                    format!("PSS added per idle {how}, {} at once", m.units),
                ),
            );
        }
    }

    fn rally(&self, ev: &mut Evidence) {
        let rows: Vec<(&PyResult, &RallyRow)> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Rally(x) if r.verified != Some(false) => Some((*r, x)),
                _ => None,
            })
            .collect();
        let mut moved = Vec::new();
        for (_, r) in &rows {
            if let Some(f) = self.reps(
                &r.reps.reps,
                Unit::Ns,
                format!(
                    "round trip between {} over {} ({}), {}",
                    r.unit,
                    r.mechanism,
                    r.channel,
                    match r.placement {
                        RallyPlacement::Free => format!(
                            "not pinned (on one CPU in {} of {} repetitions)",
                            r.shared_cpu_reps, r.reps.repetitions
                        ),
                        p => format!("pinned {p}"),
                    }
                ),
            ) {
                self.put(ev, &key::rally_median(r.placement, r.mechanism, r.unit), f);
            }
        }
        // Like with like: processes ÷ threads only where both were pinned
        // alike and stayed where they were pinned; repetitions alternate
        // T P T P, so each repetition gives a ratio of its own.
        for placement in [RallyPlacement::SameCpu, RallyPlacement::CrossCpu] {
            for m in Mechanism::ALL.iter().copied() {
                let find = |u: PyUnit| {
                    rows.iter()
                        .map(|(_, r)| *r)
                        .find(|r| r.placement == placement && r.mechanism == m && r.unit == u)
                };
                let (Some(t), Some(p)) = (find(PyUnit::Threads), find(PyUnit::Processes)) else {
                    continue;
                };
                if t.placement_kept != Some(true) || p.placement_kept != Some(true) {
                    moved.push(format!("{m} {placement}"));
                    continue;
                }
                let ratios: Vec<f64> = p
                    .reps
                    .reps
                    .iter()
                    .zip(&t.reps.reps)
                    .filter(|(_, t)| **t > 0.0)
                    .map(|(p, t)| p / t)
                    .collect();
                let natural = if m == Mechanism::Queue {
                    " (each unit's natural queue)"
                } else {
                    ""
                };
                if let Some(f) = self.reps(
                    &ratios,
                    Unit::Ratio,
                    format!(
                        "round trip, processes ({}) ÷ threads ({}){natural}, both pinned {placement}, per interleaved repetition",
                        p.channel, t.channel
                    ),
                ) {
                    self.put(ev, &key::rally_ratio(placement, m), f);
                }
            }
        }
        if !moved.is_empty() {
            self.miss(
                ev,
                "rally.moved",
                format!(
                    "a pinned player ran elsewhere than pinned ({}): not compared",
                    moved.join(", ")
                ),
            );
        }
    }

    fn pickling(&self, ev: &mut Evidence) {
        for r in &self.rows {
            match &r.row {
                PyRow::Pickling(PicklingRow::Serialise(s)) if r.verified != Some(false) => {
                    if let Some(f) = self.reps(
                        &s.reps.reps,
                        Unit::Ns,
                        format!(
                            "pickle.dumps + pickle.loads of {} ({} B pickled)",
                            s.object, s.pickled_bytes
                        ),
                    ) {
                        self.put(ev, &key::pickling(s.object), f);
                    }
                    self.put(
                        ev,
                        &key::pickled_bytes(s.object),
                        self.exact(
                            s.pickled_bytes as f64,
                            Unit::Bytes,
                            format!("{} pickled", s.object),
                        ),
                    );
                }
                PyRow::Pickling(PicklingRow::Transfer(t)) if r.verified != Some(false) => {
                    let how = match t.channel {
                        TransferChannel::Queue => "queue.Queue to a thread (a reference moves)",
                        TransferChannel::MpPipe => "multiprocessing.Pipe to a process (pickled)",
                        TransferChannel::MpQueue => "multiprocessing.Queue to a process (pickled)",
                    };
                    if let Some(f) = self.reps(
                        &t.reps.reps,
                        Unit::Ns,
                        format!(
                            "sending {} ({} B pickled) over {how}, with its acknowledgement",
                            t.object, t.pickled_bytes
                        ),
                    ) {
                        self.put(ev, &key::transfer(t.channel), f);
                    }
                }
                _ => {}
            }
        }
    }

    fn faults(&self, ev: &mut Evidence) {
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

    fn stop(&self, ev: &mut Evidence) {
        let mut no_api = None;
        let mut processes = Vec::new();
        for r in &self.rows {
            match &r.row {
                PyRow::Stop(StopRow::Thread(t)) => {
                    no_api = Some(t.kill_api.clone());
                    if r.verified != Some(true) {
                        self.miss(
                            ev,
                            &key::uninterrupted(t.target),
                            format!("the thread ({}) had not started its work when SetAsyncExc was called", t.target),
                        );
                        continue;
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

    fn pool(&self, ev: &mut Evidence) {
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

    fn locks(&self, ev: &mut Evidence) {
        let costs: Vec<&CostRow> = self
            .rows
            .iter()
            .filter_map(|r| match &r.row {
                PyRow::Locks(LocksRow::Cost(c)) if r.verified != Some(false) => Some(c),
                _ => None,
            })
            .collect();
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
        for c in &costs {
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
                continue;
            }
            let Some(none) = costs
                .iter()
                .find(|n| n.lock == LockVariant::None && n.threads == c.threads)
            else {
                continue;
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
    }

    fn connection(&self, ev: &mut Evidence) {
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

    fn zombie(&self, ev: &mut Evidence) {
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

impl PythonDocument {
    /// The interpreter of a column, if one ran.
    pub fn interpreter(&self, b: Build) -> Option<&Interpreter> {
        self.settings.interpreters.iter().find(|i| i.label == b)
    }
}

/// Why a column has no interpreter.
fn absent(doc: &PythonDocument, b: Build) -> String {
    match b {
        Build::Default => match doc.interpreter(Build::FreeThreaded) {
            Some(i) if doc.settings.interpreters.len() == 1 => format!(
                "the CPython given ({}, {}) is a free-threaded build: its answers are in the free-threaded column; give --python a CPython with the GIL for this one",
                i.path.display(),
                i.version
            ),
            _ => "no default CPython was run".into(),
        },
        Build::FreeThreaded => format!(
            "{}: give --python-ft PATH or put python3.14t or python3.13t on PATH (bench/python-freethreaded.sh builds one)",
            doc.settings.free_threaded
        ),
    }
}

impl Witness for PythonDocument {
    fn testify(&self, ev: &mut Evidence, cmd: &str) {
        for b in Build::ALL.iter().copied() {
            let Some(i) = self.interpreter(b) else {
                ev.miss(key::column(b), absent(self, b));
                continue;
            };
            let rows: Vec<&PyResult> = self.results.iter().filter(|r| r.interpreter == b).collect();
            let col = Column {
                build: b,
                who: describe(i, rows.iter().any(|r| r.gil_enabled) || i.gil_enabled),
                rows,
                cmd,
                cpus: self.settings.allowed_cpus,
            };
            col.testify(ev);
            // Why an experiment showed this column nothing. The first
            // interpreter ran what was asked; a second, free-threaded one
            // perhaps fewer (`--ft-experiments`).
            let first = self.settings.interpreters.first().map(|f| f.label) == Some(b);
            let ran = if first {
                &self.settings.experiments
            } else {
                &self.settings.ft_experiments
            };
            let names =
                |v: &[Experiment]| v.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ");
            for e in Experiment::ALL.iter().copied() {
                let why = if !ran.contains(&e) {
                    Some(if first {
                        format!(
                            "`pingpong python {e}` was not run (this run asked for {})",
                            names(ran)
                        )
                    } else {
                        format!(
                            "`pingpong python {e}` was not run for the free-threaded build (--ft-experiments {} kept this run short)",
                            names(ran)
                        )
                    })
                } else if let Some(f) = self
                    .settings
                    .failures
                    .iter()
                    .find(|f| f.interpreter == b && f.experiment == e)
                {
                    Some(f.why.clone())
                } else if !col.rows.iter().any(|r| r.row.experiment() == e) {
                    Some(format!("`pingpong python {e}` gave no rows"))
                } else {
                    None
                };
                if let Some(why) = why {
                    col.miss(ev, e.name(), why);
                }
            }
        }
        let (Some(gil), Some(ft)) = (
            super::ns_per_iteration(&self.results, Build::Default),
            super::ns_per_iteration(&self.results, Build::FreeThreaded),
        ) else {
            return;
        };
        if gil > 0.0 {
            ev.put(
                key::SINGLE_THREAD_SLOWDOWN,
                Figure::exact(
                    ft / gil,
                    Unit::Ratio,
                    format!(
                        "the free-threaded build's single-thread cost: its 1-thread pure-Python loop takes {ft:.1} ns per iteration against {gil:.1} ns in the default build"
                    ),
                    cmd,
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::ExperimentDocument;
    use crate::python::{Failure, Settings};
    use crate::results::Header;
    use serde_json::{json, Value};

    fn interpreter(b: Build) -> Interpreter {
        Interpreter {
            label: b,
            path: format!("/x/{b}").into(),
            version: "3.13.5".into(),
            implementation: "cpython".into(),
            gil_enabled: b == Build::Default,
            free_threaded_build: b == Build::FreeThreaded,
        }
    }

    fn doc(builds: &[Build], rows: Vec<Value>, experiments: &[Experiment]) -> PythonDocument {
        ExperimentDocument {
            header: Header::new("python"),
            settings: Settings {
                interpreters: builds.iter().map(|&b| interpreter(b)).collect(),
                free_threaded: "no free-threaded CPython found".into(),
                experiments: experiments.to_vec(),
                ft_experiments: experiments.to_vec(),
                cpus: 2,
                allowed_cpus: 2,
                quick: true,
                quick_for: vec![],
                timeout_s: 60.0,
                failures: vec![],
            },
            results: rows
                .into_iter()
                .map(|r| serde_json::from_value(r).unwrap())
                .collect(),
            unavailable: vec![],
            errors: vec![],
            notes: vec![],
            title: "",
        }
    }

    fn common(b: Build, experiment: &str, case: &str, value: f64, unit: &str) -> Value {
        json!({"interpreter": b.name(), "experiment": experiment, "case": case, "value": value,
            "value_unit": unit, "verified": true, "gil_enabled": b == Build::Default,
            "free_threaded_build": b == Build::FreeThreaded})
    }

    fn merge(mut a: Value, b: Value) -> Value {
        for (k, v) in b.as_object().unwrap() {
            a[k] = v.clone();
        }
        a
    }

    fn reps(r: &[f64]) -> Value {
        let lo = r.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = r.iter().cloned().fold(0.0, f64::max);
        json!({"low": lo, "high": hi, "reps": r, "repetitions": r.len()})
    }

    /// A python-loop scaling row: `workers` units taking `wall` ns each rep.
    fn scale(b: Build, unit: &str, placement: &str, workers: u32, wall: f64, cpu: f64) -> Value {
        let w = [wall * 0.99, wall, wall * 1.01];
        merge(
            merge(
                common(
                    b,
                    "scale",
                    &format!("python-loop {unit} {workers} {placement}"),
                    wall,
                    "ns",
                ),
                reps(&w),
            ),
            json!({"kernel": "python-loop", "unit": unit, "placement": placement, "workers": workers,
                "work": 1000, "cpu_ns": cpu, "parallelism": cpu / wall, "speedup": null,
                "speedup_low": null, "speedup_high": null,
                "ns_per_item": if workers == 1 { Some(wall / 1000.0) } else { None },
                "load_other_cpus": 0.125, "load_wall_s": 2.0, "rep_wall_ns": w,
                "rep_cpu_ns": [cpu, cpu, cpu]}),
        )
    }

    fn rally(b: Build, unit: &str, placement: &str, kept: Option<bool>, r: &[f64]) -> Value {
        merge(
            merge(
                common(
                    b,
                    "rally",
                    &format!("{unit} os-pipe {placement}"),
                    r[1],
                    "ns",
                ),
                reps(r),
            ),
            json!({"unit": unit, "mechanism": "os-pipe", "channel": "os.pipe", "placement": placement,
                "cpus_asked": null, "ping_cpus": [[0, 0]], "pong_cpus": [[1, 1]], "migrated": false,
                "placement_kept": kept, "shared_cpu_reps": 0, "round_trips": 100}),
        )
    }

    fn evidence(d: &PythonDocument) -> Evidence {
        let mut ev = Evidence::default();
        d.testify(&mut ev, "pingpong python");
        ev
    }

    #[test]
    fn each_interpreter_testifies_under_its_own_keys() {
        let mut rows = Vec::new();
        // With the GIL two threads take as long as one; without it, half.
        for (b, two) in [(Build::Default, 1e9), (Build::FreeThreaded, 0.5e9)] {
            let one = if b == Build::Default { 1e9 } else { 1.4e9 };
            rows.push(scale(b, "threads", "free", 1, one, one));
            rows.push(scale(
                b,
                "threads",
                "free",
                2,
                if b == Build::Default { one } else { two * 1.4 },
                one,
            ));
        }
        let d = doc(
            &[Build::Default, Build::FreeThreaded],
            rows,
            &[Experiment::Scale],
        );
        let ev = evidence(&d);
        let k = |b| {
            key::of(
                b,
                &key::scale_speedup(Kernel::PythonLoop, PyUnit::Threads, ScalePlacement::Free),
            )
        };
        let gil = ev.figure(&k(Build::Default)).unwrap().value;
        let ft = ev.figure(&k(Build::FreeThreaded)).unwrap().value;
        assert!((gil - 1.0).abs() < 1e-9, "{gil}");
        assert!((ft - 2.0).abs() < 1e-9, "{ft}");
        // The default column's names are those Rust's P5 rule reads.
        assert_eq!(k(Build::Default), key::speedup("", "threads", false));
        // The load is the scaling run's own.
        assert_eq!(
            ev.figure(&key::of(Build::Default, key::SCALE_LOAD))
                .unwrap()
                .value,
            0.125
        );
        // The free-threaded build's single-thread cost, from both columns.
        let s = ev.figure(key::SINGLE_THREAD_SLOWDOWN).unwrap().value;
        assert!((s - 1.4).abs() < 1e-9, "{s}");
        // What was not asked is missing, with the reason.
        let why = &ev.missing[&key::experiment(Build::FreeThreaded, Experiment::Stop)].why;
        assert!(why.contains("not run"), "{why}");
    }

    #[test]
    fn the_rally_compares_only_players_pinned_alike_and_kept_there() {
        let b = Build::Default;
        let rows = vec![
            rally(b, "threads", "same-cpu", Some(true), &[100.0, 100.0, 100.0]),
            rally(
                b,
                "processes",
                "same-cpu",
                Some(true),
                &[120.0, 130.0, 110.0],
            ),
            rally(
                b,
                "threads",
                "cross-cpu",
                Some(true),
                &[100.0, 100.0, 100.0],
            ),
            rally(
                b,
                "processes",
                "cross-cpu",
                Some(false),
                &[50.0, 50.0, 50.0],
            ),
            rally(b, "threads", "free", None, &[1000.0, 1000.0, 1000.0]),
            rally(b, "processes", "free", None, &[50.0, 50.0, 50.0]),
        ];
        let ev = evidence(&doc(&[b], rows, &[Experiment::Rally]));
        let same = ev
            .figure(&key::of(
                b,
                &key::rally_ratio(RallyPlacement::SameCpu, Mechanism::OsPipe),
            ))
            .unwrap();
        assert_eq!((same.value, same.low, same.high), (1.2, 1.1, 1.3));
        // The cross-cpu processes left their CPU: not compared, and said so.
        assert!(ev
            .figure(&key::of(
                b,
                &key::rally_ratio(RallyPlacement::CrossCpu, Mechanism::OsPipe)
            ))
            .is_none());
        assert!(ev.missing[&key::of(b, "rally.moved")]
            .why
            .contains("cross-cpu"));
        // The free placement mixes both: its medians are shown, never a ratio.
        assert!(ev
            .figures
            .keys()
            .all(|k| !(k.contains(".free.") && k.ends_with(".ratio"))));
        assert!(ev
            .figure(&key::of(
                b,
                &key::rally_median(RallyPlacement::Free, Mechanism::OsPipe, PyUnit::Threads)
            ))
            .is_some());
    }

    #[test]
    fn a_free_threaded_python_is_labelled_so_and_the_default_column_says_why_it_is_empty() {
        let b = Build::FreeThreaded;
        let rows = vec![
            scale(b, "threads", "free", 1, 1e9, 1e9),
            scale(b, "threads", "free", 2, 0.5e9, 1e9),
        ];
        let ev = evidence(&doc(&[b], rows, &[Experiment::Scale]));
        assert!(
            ev.figures.keys().all(|k| k.starts_with("python-ft.")),
            "{:?}",
            ev.figures.keys()
        );
        let why = &ev.missing[key::column(Build::Default)].why;
        assert!(why.contains("free-threaded build"), "{why}");
    }

    #[test]
    fn a_failed_experiment_says_why_in_its_column() {
        let b = Build::Default;
        let mut d = doc(&[b], vec![], &[Experiment::Pool]);
        d.settings.failures.push(Failure {
            interpreter: b,
            experiment: Experiment::Pool,
            why: "pool did not finish within 60s".into(),
        });
        let ev = evidence(&d);
        assert!(ev.missing[&key::experiment(b, Experiment::Pool)]
            .why
            .contains("60s"));
    }
}
