//! The rows of `pingpong python`, typed: one struct per kind of row the
//! Python programs print (each program's header docstring is the schema),
//! chosen by the row's `experiment` (and `kind` or `unit` where one program
//! prints rows of several shapes). Units, placements, mechanisms and
//! outcomes are enums; fields the programs document as "X or null" are
//! required keys that may be null, so a row missing one fails naming it.
//!
//! The verdict and the report read only these types. [`check_lossless`]
//! makes sure nothing a program printed is dropped on the way: a field no
//! type knows is an error naming it, so a program and its type cannot drift
//! apart unnoticed.

use serde::{Deserialize, Deserializer, Serialize};

/// A fieldless enum whose JSON spelling and `name()` are written once.
macro_rules! names {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name the programs print.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

names! {
    /// Which kind of CPython a row describes, by its build: the default
    /// build (with the GIL) or a free-threaded one (PEP 703). A free-threaded
    /// build is labelled so even when it is the one given as `--python`.
    pub enum Build {
        Default = "cpython",
        FreeThreaded = "cpython-ft",
    }
}

impl Build {
    /// The column's heading in the verdict.
    pub fn title(self) -> &'static str {
        match self {
            Build::Default => "CPython",
            Build::FreeThreaded => "CPython, free-threaded",
        }
    }
}

names! {
    /// The experiments `python/main.py` knows, in the order they run.
    pub enum Experiment {
        Rally = "rally",
        Spawn = "spawn",
        Scale = "scale",
        Pickling = "pickling",
        Memory = "memory",
        Faults = "faults",
        Stop = "stop",
        Pool = "pool",
        Locks = "locks",
        Connection = "connection",
        Zombie = "zombie",
    }
}

names! {
    /// The unit of a row's `value`.
    pub enum ValueUnit {
        Ns = "ns",
        Kib = "kib",
        Bytes = "bytes",
        Jobs = "jobs",
        Updates = "updates",
        Cpus = "cpus",
        Count = "count",
        Survived = "survived",
        Rejected = "rejected",
        Zombie = "zombie",
    }
}

names! {
    pub enum PyUnit {
        Threads = "threads",
        Processes = "processes",
    }
}

names! {
    /// Where the rally's players were pinned.
    pub enum RallyPlacement {
        SameCpu = "same-cpu",
        CrossCpu = "cross-cpu",
        /// Not pinned: information only (it mixes the two above).
        Free = "free",
    }
}

names! {
    pub enum Mechanism {
        OsPipe = "os-pipe",
        MpPipe = "mp-pipe",
        /// Each unit's natural queue (queue.Queue, multiprocessing.Queue).
        Queue = "queue",
    }
}

names! {
    pub enum SpawnMethod {
        Thread = "thread",
        Fork = "fork",
        MpFork = "mp-fork",
        MpForkserver = "mp-forkserver",
        MpSpawn = "mp-spawn",
        Subprocess = "subprocess",
    }
}

names! {
    pub enum Kernel {
        PythonLoop = "python-loop",
        Sha256 = "sha256",
    }
}

names! {
    pub enum ScalePlacement {
        Free = "free",
        OneCpu = "one-cpu",
    }
}

names! {
    pub enum PickleObject {
        Int = "int",
        SmallDict = "small-dict",
        Bytes1Kib = "bytes-1kib",
        Bytes64Kib = "bytes-64kib",
        Bytes1Mib = "bytes-1mib",
        Structured1Mib = "structured-1mib",
    }
}

names! {
    pub enum TransferChannel {
        MpPipe = "mp-pipe",
        MpQueue = "mp-queue",
        /// queue.Queue to a thread: a reference moves.
        Queue = "queue",
    }
}

names! {
    pub enum StartMethod {
        Thread = "thread",
        Fork = "fork",
        Forkserver = "forkserver",
        Spawn = "spawn",
    }
}

names! {
    pub enum Fault {
        Exception = "exception",
        Abort = "abort",
        Segfault = "segfault",
        OsExit = "os-exit",
    }
}

names! {
    pub enum FaultOutcome {
        ProgramWentOn = "program-went-on",
        OnlyChildEnded = "only-child-ended",
        ProgramEnded = "program-ended",
        NoFault = "no-fault",
    }
}

names! {
    pub enum StopTarget {
        PythonLoop = "python-loop",
        TimeSleep = "time-sleep",
        OsRead = "os-read",
    }
}

names! {
    pub enum ThreadStopMethod {
        SetAsyncExc = "set-async-exc",
    }
}

names! {
    pub enum ThreadStopOutcome {
        Interrupted = "interrupted",
        RaisedAfterBlockReturned = "raised-after-block-returned",
        NotInterrupted = "not-interrupted",
        ApiRefused = "api-refused",
    }
}

names! {
    pub enum ProcessStopMethod {
        Terminate = "terminate",
        Kill = "kill",
    }
}

names! {
    pub enum ProcessStopOutcome {
        Stopped = "stopped",
        NotStopped = "not-stopped",
    }
}

names! {
    pub enum PoolKind {
        MpPool = "multiprocessing.Pool",
        Executor = "concurrent.futures.ProcessPoolExecutor",
    }
}

names! {
    pub enum PoolOutcome {
        HungJobLost = "hung-job-lost",
        BrokenPoolReported = "broken-pool-reported",
        AllCompleted = "all-completed",
        NoFault = "no-fault",
    }
}

names! {
    /// The module a counter's threads were started with.
    pub enum ThreadApi {
        Threading = "threading",
        Thread = "_thread",
    }
}

names! {
    /// The lock object guarding a counter.
    pub enum LockObject {
        Threading = "threading.Lock",
        Thread = "_thread.allocate_lock",
        None = "none",
    }
}

names! {
    /// The lock whose cost per operation was timed.
    pub enum LockVariant {
        None = "none",
        ThreadingLock = "threading-lock",
        ThreadAllocateLock = "thread-allocate-lock",
    }
}

names! {
    pub enum Transport {
        TcpLoopback = "tcp-loopback",
    }
}

names! {
    pub enum AuthOutcome {
        Rejected = "rejected",
        Accepted = "accepted",
    }
}

names! {
    pub enum ZombieOutcome {
        ZombieUntilJoined = "zombie-until-joined",
        NoZombie = "no-zombie",
        ZombieAfterJoin = "zombie-after-join",
    }
}

names! {
    /// The zombie experiment's cases (its rows name them only by `case`).
    pub enum ZombieCase {
        MpProcess = "mp-process",
        OsFork = "os-fork",
        Thread = "thread",
    }
}

impl PyResult {
    /// Which zombie case a zombie row is.
    pub fn zombie_case(&self) -> Option<ZombieCase> {
        match self.row {
            PyRow::Zombie(_) => ZombieCase::ALL
                .iter()
                .copied()
                .find(|c| c.name() == self.case),
            _ => None,
        }
    }
}

/// A field the programs document as "X or null": the key must be there.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// One result from a Python program, with the interpreter that gave it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PyResult {
    pub interpreter: Build,
    pub case: String,
    #[serde(deserialize_with = "nullable")]
    pub value: Option<f64>,
    pub value_unit: ValueUnit,
    /// Whether the answer was checked right (null where nothing was checked).
    #[serde(default)]
    pub verified: Option<bool>,
    /// `sys._is_gil_enabled()` when the program ended.
    pub gil_enabled: bool,
    pub free_threaded_build: bool,
    #[serde(flatten)]
    pub row: PyRow,
}

/// What a row says, by experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "kebab-case")]
pub enum PyRow {
    Rally(RallyRow),
    Spawn(SpawnRow),
    Scale(ScaleRow),
    Pickling(PicklingRow),
    Memory(MemoryRow),
    Faults(FaultsRow),
    Stop(StopRow),
    Pool(PoolRow),
    Locks(LocksRow),
    Connection(ConnectionRow),
    Zombie(ZombieRow),
}

impl PyRow {
    pub fn experiment(&self) -> Experiment {
        match self {
            PyRow::Rally(_) => Experiment::Rally,
            PyRow::Spawn(_) => Experiment::Spawn,
            PyRow::Scale(_) => Experiment::Scale,
            PyRow::Pickling(_) => Experiment::Pickling,
            PyRow::Memory(_) => Experiment::Memory,
            PyRow::Faults(_) => Experiment::Faults,
            PyRow::Stop(_) => Experiment::Stop,
            PyRow::Pool(_) => Experiment::Pool,
            PyRow::Locks(_) => Experiment::Locks,
            PyRow::Connection(_) => Experiment::Connection,
            PyRow::Zombie(_) => Experiment::Zombie,
        }
    }
}

/// A figure from interleaved repetitions: every repetition's median and
/// their range (the row's `value` is their median).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reps {
    pub low: f64,
    pub high: f64,
    pub reps: Vec<f64>,
    pub repetitions: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RallyRow {
    pub unit: PyUnit,
    pub mechanism: Mechanism,
    /// The Python object used ("os.pipe", "multiprocessing.Queue"…).
    pub channel: String,
    pub placement: RallyPlacement,
    #[serde(deserialize_with = "nullable")]
    pub cpus_asked: Option<[i64; 2]>,
    /// Per repetition, the CPU each player started and ended on.
    pub ping_cpus: Vec<[i64; 2]>,
    pub pong_cpus: Vec<[i64; 2]>,
    pub migrated: bool,
    #[serde(deserialize_with = "nullable")]
    pub placement_kept: Option<bool>,
    pub shared_cpu_reps: u32,
    pub round_trips: u64,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpawnRow {
    pub method: SpawnMethod,
    pub description: String,
    pub per_rep: u32,
    pub unit: PyUnit,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleRow {
    pub kernel: Kernel,
    pub unit: PyUnit,
    pub placement: ScalePlacement,
    pub workers: u32,
    pub work: u64,
    pub cpu_ns: f64,
    pub parallelism: f64,
    #[serde(deserialize_with = "nullable")]
    pub speedup: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    pub speedup_low: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    pub speedup_high: Option<f64>,
    /// Wall ns per loop iteration or MiB, 1 worker only.
    #[serde(deserialize_with = "nullable")]
    pub ns_per_item: Option<f64>,
    /// CPUs other processes used during this scaling run.
    #[serde(deserialize_with = "nullable")]
    pub load_other_cpus: Option<f64>,
    pub load_wall_s: f64,
    pub rep_wall_ns: Vec<f64>,
    pub rep_cpu_ns: Vec<f64>,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PicklingRow {
    Serialise(SerialiseRow),
    Transfer(TransferRow),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SerialiseRow {
    pub object: PickleObject,
    pub pickled_bytes: u64,
    pub dumps_ns: f64,
    pub loads_ns: f64,
    pub dumps_reps: Vec<f64>,
    pub loads_reps: Vec<f64>,
    pub ns_per_byte: f64,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferRow {
    pub object: PickleObject,
    pub pickled_bytes: u64,
    pub channel: TransferChannel,
    pub unit: PyUnit,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    pub unit: PyUnit,
    pub start_method: StartMethod,
    pub units: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultsRow {
    pub fault: Fault,
    pub outcome: FaultOutcome,
    pub program_survived: bool,
    pub fault_fired: bool,
    #[serde(deserialize_with = "nullable")]
    pub program_exit_code: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub program_signal: Option<String>,
    #[serde(flatten)]
    pub unit: FaultUnit,
}

/// The unit that committed the fault, with what only it records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "kebab-case")]
pub enum FaultUnit {
    Thread {
        /// The exception type threading.excepthook received.
        #[serde(deserialize_with = "nullable")]
        thread_exception: Option<String>,
    },
    Process {
        #[serde(deserialize_with = "nullable")]
        child_exit_code: Option<i64>,
        #[serde(deserialize_with = "nullable")]
        child_signal: Option<String>,
    },
}

/// An attempt to stop a unit from outside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "unit", rename_all = "kebab-case")]
pub enum StopRow {
    Thread(ThreadStopRow),
    Process(ProcessStopRow),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadStopRow {
    pub target: StopTarget,
    pub method: ThreadStopMethod,
    /// Which of kill, terminate, stop, cancel threading.Thread has.
    pub kill_api: Vec<String>,
    /// PyThreadState_SetAsyncExc's return: threads marked.
    pub api_result: i64,
    pub window_ms: f64,
    pub outcome: ThreadStopOutcome,
    pub escaped_handler: bool,
    pub ended: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessStopRow {
    pub target: StopTarget,
    pub method: ProcessStopMethod,
    pub outcome: ProcessStopOutcome,
    #[serde(deserialize_with = "nullable")]
    pub exit_code: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub signal: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolRow {
    pub pool: PoolKind,
    pub start_method: StartMethod,
    pub jobs: u32,
    pub completed: u32,
    pub failed: u32,
    pub lost: u32,
    #[serde(deserialize_with = "nullable")]
    pub error_type: Option<String>,
    /// SIGKILL reached the victim's worker and it was dead afterwards.
    pub fault_delivered: bool,
    /// Its /proc state after the kill ("Z", or "gone").
    pub victim_state: String,
    pub deadline_s: f64,
    pub outcome: PoolOutcome,
    pub waited_ns: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LocksRow {
    Counter(CounterRow),
    Cost(CostRow),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CounterRow {
    pub api: ThreadApi,
    pub lock: LockObject,
    pub threads: u32,
    pub increments: u64,
    pub attempts: u32,
    pub expected: i64,
    pub totals: Vec<i64>,
    pub lost_per_attempt: Vec<i64>,
    pub lost: i64,
    pub lost_attempts: u32,
    pub exact: bool,
    pub switch_interval_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    pub lock: LockVariant,
    pub threads: u32,
    pub ops: u64,
    #[serde(deserialize_with = "nullable")]
    pub overhead_ns: Option<f64>,
    #[serde(deserialize_with = "nullable")]
    pub lock_bytes: Option<u64>,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ConnectionRow {
    Rally(ConnectionRally),
    Auth(ConnectionAuth),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRally {
    pub unit: PyUnit,
    pub transport: Transport,
    pub address: String,
    pub authkey: bool,
    pub ball_bytes: u64,
    pub round_trips: u64,
    pub bad_balls: u64,
    #[serde(flatten)]
    pub reps: Reps,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionAuth {
    pub outcome: AuthOutcome,
    #[serde(deserialize_with = "nullable")]
    pub error_type: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub client_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZombieRow {
    pub unit: PyUnit,
    /// The /proc state before any join ("Z" = zombie; "gone").
    pub state_unjoined: String,
    pub zombie: bool,
    #[serde(deserialize_with = "nullable")]
    pub zombie_ns: Option<f64>,
    pub state_joined: String,
    pub reaped: bool,
    pub outcome: ZombieOutcome,
}

/// Checks that the typed row says everything the program printed: every
/// non-null field of `raw` is in `typed`, with the same value (numbers
/// compared as numbers, since an integer may come back as a float).
/// `Err` names the first field that was dropped or changed.
pub fn check_lossless(raw: &serde_json::Value, typed: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
            }
            (Value::Object(x), Value::Object(y)) => x
                .iter()
                .all(|(k, v)| v.is_null() || y.get(k).is_some_and(|w| same(v, w))),
            _ => a == b,
        }
    }
    let (Some(raw), Some(typed)) = (raw.as_object(), typed.as_object()) else {
        return Err("a row is not a JSON object".into());
    };
    for (k, v) in raw {
        if v.is_null() {
            continue;
        }
        match typed.get(k) {
            None => return Err(format!("field `{k}` is unknown to pingpong")),
            Some(t) if !same(v, t) => return Err(format!("field `{k}` changed from {v} to {t}")),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scale_row() -> serde_json::Value {
        json!({"interpreter": "cpython", "experiment": "scale", "case": "python-loop threads 1 free",
            "value": 14913783.0, "value_unit": "ns", "verified": true, "unit": "threads",
            "placement": "free", "kernel": "python-loop", "workers": 1,
            "rep_wall_ns": [15106348.0, 14721218.0], "cpu_ns": 14721560.0, "speedup": 1.0,
            "free_threaded_build": false, "gil_enabled": true, "high": 15106348, "load_other_cpus": 0.0,
            "load_wall_s": 0.4, "low": 14721218, "ns_per_item": 37.28, "parallelism": 0.98,
            "rep_cpu_ns": [14720594, 14722526], "repetitions": 2, "reps": [15106348, 14721218],
            "speedup_high": 1.02, "speedup_low": 0.97, "work": 400000})
    }

    #[test]
    fn a_row_reads_typed_and_writes_back_what_it_read() {
        let raw = scale_row();
        let r: PyResult = serde_json::from_value(raw.clone()).unwrap();
        let PyRow::Scale(s) = &r.row else {
            panic!("{r:?}")
        };
        assert_eq!(
            (s.kernel, s.unit, s.workers),
            (Kernel::PythonLoop, PyUnit::Threads, 1)
        );
        let back = serde_json::to_value(&r).unwrap();
        check_lossless(&raw, &back).unwrap();
        // And typed → JSON → typed is the same row.
        assert_eq!(serde_json::from_value::<PyResult>(back).unwrap(), r);
    }

    #[test]
    fn a_row_without_a_required_field_fails_naming_it() {
        for field in [
            "rep_cpu_ns",
            "load_other_cpus",
            "ns_per_item",
            "gil_enabled",
        ] {
            let mut raw = scale_row();
            raw.as_object_mut().unwrap().remove(field);
            let e = serde_json::from_value::<PyResult>(raw)
                .unwrap_err()
                .to_string();
            assert!(e.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn an_unknown_field_or_word_is_refused() {
        let mut raw = scale_row();
        raw["placement"] = json!("everywhere");
        let e = serde_json::from_value::<PyResult>(raw)
            .unwrap_err()
            .to_string();
        assert!(e.contains("everywhere"), "{e}");
        let mut raw = scale_row();
        raw["new_field"] = json!(3);
        let typed =
            serde_json::to_value(serde_json::from_value::<PyResult>(raw.clone()).unwrap()).unwrap();
        let e = check_lossless(&raw, &typed).unwrap_err();
        assert!(e.contains("new_field"), "{e}");
    }

    #[test]
    fn nested_kinds_and_units_read_back() {
        let raw = json!({"interpreter": "cpython-ft", "experiment": "faults", "case": "segfault thread",
            "value": 0.0, "value_unit": "survived", "verified": null, "unit": "thread",
            "fault": "segfault", "fault_fired": true, "outcome": "program-ended",
            "program_exit_code": null, "program_signal": "SIGSEGV", "program_survived": false,
            "thread_exception": null, "gil_enabled": false, "free_threaded_build": true});
        let r: PyResult = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(r.interpreter, Build::FreeThreaded);
        let PyRow::Faults(f) = &r.row else { panic!() };
        assert!(matches!(f.unit, FaultUnit::Thread { .. }));
        check_lossless(&raw, &serde_json::to_value(&r).unwrap()).unwrap();
        let raw = json!({"interpreter": "cpython", "experiment": "locks", "case": "cost none 1",
            "value": 19.5, "value_unit": "ns", "verified": true, "high": 20.2, "kind": "cost",
            "lock": "none", "lock_bytes": null, "low": 18.8, "ops": 20000, "overhead_ns": 0.0,
            "repetitions": 2, "reps": [20.2, 18.8], "threads": 1,
            "gil_enabled": true, "free_threaded_build": false});
        let r: PyResult = serde_json::from_value(raw.clone()).unwrap();
        assert!(matches!(r.row, PyRow::Locks(LocksRow::Cost(_))));
        check_lossless(&raw, &serde_json::to_value(&r).unwrap()).unwrap();
    }
}
