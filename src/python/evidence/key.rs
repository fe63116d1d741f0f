//! The names of the figures and demonstrations `pingpong python` shows
//! (read by the rules too): column-relative names, made a column's own by
//! [`of`], reusing the Rust figure's name wherever a Rust rule judges the
//! same thing.

use crate::experiment::{memory, scale};
use crate::kinds::{CpuSet, UnitKind};
use crate::python::rows::{
    Build, Experiment, Fault, Kernel, LockObject, LockVariant, Mechanism, PickleObject, PoolKind,
    PyUnit, RallyPlacement, ScalePlacement, SpawnMethod, StartMethod, StopTarget, ThreadApi,
    TransferChannel, ZombieCase,
};

/// The verdict's step that runs `pingpong python`.
pub const STEP: &str = "python";

/// The prefix of a column's keys.
pub fn prefix(b: Build) -> &'static str {
    match b {
        Build::Default => "python",
        Build::FreeThreaded => "python-ft",
    }
}

/// A column's key for a column-relative name (a Rust figure's key, or
/// one of the CPython-only names below).
pub fn of(b: Build, relative: &str) -> String {
    format!("{}.{relative}", prefix(b))
}

/// The default CPython's key for a Rust figure's key.
pub fn python(rust_key: &str) -> String {
    of(Build::Default, rust_key)
}

/// Missing-evidence key: why a whole column is empty.
pub fn column(b: Build) -> &'static str {
    b.name()
}

/// Missing-evidence key: why one experiment showed a column nothing.
pub fn experiment(b: Build, e: Experiment) -> String {
    of(b, e.name())
}

// Relative names (pass them through `of`).

/// 1 when the GIL was enabled in some run of the column, else 0.
pub const GIL_REL: &str = "gil";
/// CPUs the run may use: the Rust name.
pub const CPUS_REL: &str = scale::key::CPUS;
/// CPUs other processes used during the scaling run itself.
pub const SCALE_LOAD: &str = "scale.load";
/// Wall ns per iteration of the 1-thread pure-Python loop.
pub const NS_PER_ITERATION: &str = "scale.python-loop.ns-per-iteration";

fn unit_kind(u: PyUnit) -> UnitKind {
    match u {
        PyUnit::Threads => UnitKind::Thread,
        PyUnit::Processes => UnitKind::Fork,
    }
}

/// Speedup of the most workers that fit the CPUs over one.
pub fn scale_speedup(kernel: Kernel, u: PyUnit, p: ScalePlacement) -> String {
    let cpus = match p {
        ScalePlacement::Free => CpuSet::AllCpus,
        ScalePlacement::OneCpu => CpuSet::OneCpu,
    };
    let rust = scale::key::speedup(unit_kind(u), cpus);
    match kernel {
        Kernel::PythonLoop => rust,
        Kernel::Sha256 => rust.replacen("scale", "scale.hash", 1),
    }
}

/// CPU time ÷ wall time of those workers, free on every CPU.
pub fn scale_parallelism(kernel: Kernel, u: PyUnit) -> String {
    let rust = scale::key::parallelism(unit_kind(u));
    match kernel {
        Kernel::PythonLoop => rust,
        Kernel::Sha256 => rust.replacen("scale", "scale.hash", 1),
    }
}

/// Create + join of one unit that does nothing.
pub fn spawn(m: SpawnMethod) -> String {
    format!("spawn.{m}")
}

/// PSS added per idle unit: the Rust names for threads, fork and spawn.
pub fn memory(m: StartMethod) -> String {
    match m {
        StartMethod::Thread => memory::key::pss_per_unit(UnitKind::Thread),
        StartMethod::Fork => memory::key::pss_per_unit(UnitKind::Fork),
        StartMethod::Spawn => memory::key::pss_per_unit(UnitKind::Spawn),
        StartMethod::Forkserver => "memory.processes-forkserver.per-unit".into(),
    }
}

/// The rally's placement as the Rust figures name it.
pub fn rally_placement(p: RallyPlacement) -> &'static str {
    match p {
        RallyPlacement::SameCpu => "same-cpu",
        RallyPlacement::CrossCpu => "two-cpus",
        RallyPlacement::Free => "free",
    }
}

/// The rally's mechanism as a channel name (`os.pipe` is Rust's `pipe`).
pub fn rally_channel(m: Mechanism) -> &'static str {
    match m {
        Mechanism::OsPipe => "pipe",
        Mechanism::MpPipe => "mp-pipe",
        Mechanism::Queue => "queue",
    }
}

/// How the players were asked to sit and where they ran, as the Rust
/// rally names them; None for free placement, where CPython's players were
/// not pinned.
fn rally_place(
    p: RallyPlacement,
) -> Option<(crate::results::Asked, crate::results::PlacementClass)> {
    use crate::results::{Asked, PlacementClass};
    match p {
        RallyPlacement::SameCpu => Some((Asked::Pinned, PlacementClass::SameCpu)),
        RallyPlacement::CrossCpu => Some((Asked::Pinned, PlacementClass::TwoCpus)),
        RallyPlacement::Free => None,
    }
}

/// Processes ÷ threads round trip, from interleaved repetitions, both
/// players pinned alike (free placement: information only).
pub fn rally_ratio(p: RallyPlacement, m: Mechanism) -> String {
    use crate::results::key;
    match rally_place(p) {
        Some((asked, ran)) => key::ratio(asked, ran, rally_channel(m)),
        None => key::unplaced_ratio(rally_channel(m)),
    }
}

/// The median round trip of one unit.
pub fn rally_median(p: RallyPlacement, m: Mechanism, u: PyUnit) -> String {
    use crate::results::key;
    match rally_place(p) {
        Some((asked, ran)) => key::median(asked, ran, rally_channel(m), u.name()),
        None => key::unplaced_median(rally_channel(m), u.name()),
    }
}

/// `pickle.dumps` + `pickle.loads` of an object.
pub fn pickling(o: PickleObject) -> String {
    format!("pickling.{o}")
}

/// Bytes an object pickles to.
pub fn pickled_bytes(o: PickleObject) -> String {
    format!("pickling.{o}.bytes")
}

/// Sending a 1 MiB structured object one way over a channel.
pub fn transfer(c: TransferChannel) -> String {
    format!("pickling.transfer.{c}")
}

/// Demo: the fault in a thread ended the whole program.
pub fn thread_fault_ends_program(f: Fault) -> String {
    format!("faults.thread.{f}.ends-program")
}

/// Demo: the fault in a child process ended only the child.
pub fn process_fault_contained(f: Fault) -> String {
    format!("faults.process.{f}.contained")
}

/// Demo: `threading.Thread` has no kill, terminate, stop or cancel.
pub const NO_KILL_API: &str = "stop.thread.no-kill-api";

/// Demo: an exception set with `PyThreadState_SetAsyncExc` did NOT
/// interrupt a thread doing `t` within the watch window.
pub fn uninterrupted(t: StopTarget) -> String {
    format!("stop.thread.{t}.uninterrupted")
}

/// The time from `SetAsyncExc` to the exception raised in the thread.
pub fn interrupt_ns(t: StopTarget) -> String {
    format!("stop.thread.{t}.ns")
}

/// Demo: a child process was stopped by a signal (Rust's name, P6).
pub const PROCESS_KILLED: &str = crate::faults::findings::key::PROCESS_KILLED;

/// Demo: the pool delivered every job although a worker was SIGKILLed.
pub fn pool(p: PoolKind) -> String {
    let name = match p {
        PoolKind::MpPool => "mp-pool",
        PoolKind::Executor => "executor",
    };
    format!("pool.{name}.every-job-done")
}

fn counter_variant(api: ThreadApi, lock: LockObject) -> String {
    let api = match api {
        ThreadApi::Threading => "threading",
        ThreadApi::Thread => "thread",
    };
    let lock = match lock {
        LockObject::Threading => "lock",
        LockObject::Thread => "allocate-lock",
        LockObject::None => "none",
    };
    format!("{api}-{lock}")
}

/// Demo: the counter came out exact in every attempt.
pub fn counter_exact(api: ThreadApi, lock: LockObject) -> String {
    format!("locks.counter.{}.exact", counter_variant(api, lock))
}

/// Updates lost over every attempt.
pub fn counter_lost(api: ThreadApi, lock: LockObject) -> String {
    format!("locks.counter.{}.lost", counter_variant(api, lock))
}

/// ns per increment with `lock` (or none) and `threads` threads.
pub fn lock_cost(v: LockVariant, threads: u32) -> String {
    format!("locks.cost.{v}.{threads}")
}

/// That cost ÷ the cost with no lock, same threads, from interleaved repetitions.
pub fn lock_cost_ratio(v: LockVariant, threads: u32) -> String {
    format!("locks.cost.{v}.{threads}.ratio")
}

/// Bytes of one lock object.
pub fn lock_bytes(v: LockVariant) -> String {
    format!("locks.{v}.bytes")
}

/// Round trip over `multiprocessing.connection` (TCP loopback, authkey).
pub fn connection(u: PyUnit) -> String {
    format!("connection.{u}.round-trip")
}

/// Demo: every ball over the connection arrived intact, both units.
pub const CONNECTION_VERIFIED: &str = "connection.balls-verified";
/// Demo: a client with the wrong authkey was refused.
pub const CONNECTION_AUTH: &str = "connection.wrong-authkey-rejected";

/// Demo: the unit, finished and not joined, lingered as a zombie.
pub fn zombie(c: ZombieCase) -> String {
    format!("zombie.{c}.lingered")
}

// Absolute keys.

/// Whether the default CPython ran with the GIL (1) or not (0).
pub const GIL: &str = "python.gil";
/// CPUs the default CPython's scaling could use (read by Rust's P5 rule).
pub const CPUS: &str = "python.scale.cpus";
/// The free-threaded build's 1-thread pure-Python loop ÷ the default
/// build's (its single-thread cost).
pub const SINGLE_THREAD_SLOWDOWN: &str = "python-ft.scale.single-thread-slowdown";

/// The default CPython's CPU time ÷ wall time over the pure-Python loop
/// ("threads" or "processes", all CPUs): read by Rust's P5.
pub fn parallelism(u: &str) -> String {
    let u = if u == "threads" {
        PyUnit::Threads
    } else {
        PyUnit::Processes
    };
    python(&scale_parallelism(Kernel::PythonLoop, u))
}

/// The default CPython's scaling figure, by the names the programs use
/// ("" for the pure-Python loop, ".hash" for sha256): read by Rust's P5.
pub fn speedup(kernel: &str, u: &str, pinned: bool) -> String {
    let kernel = if kernel.is_empty() {
        Kernel::PythonLoop
    } else {
        Kernel::Sha256
    };
    let u = if u == "threads" {
        PyUnit::Threads
    } else {
        PyUnit::Processes
    };
    let p = if pinned {
        ScalePlacement::OneCpu
    } else {
        ScalePlacement::Free
    };
    python(&scale_speedup(kernel, u, p))
}
