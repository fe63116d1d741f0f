//! `pingpong python` with the machine's CPython: the document (typed, and
//! the same JSON once read back), the verified answers, the GIL flag, each
//! program's documented fields, clear errors for a bad --python,
//! --python-ft or --ft-experiments, no Python process left behind, and,
//! with a free-threaded CPython (bench/python-freethreaded.sh builds one),
//! threads of a pure-Python loop using more than one CPU and a
//! free-threaded --python labelled free-threaded in every row.

mod common;

use common::have_python3;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The two tests that measure run one at a time: the scaling test must not
/// share the CPUs with the other's run.
static MEASURING: Mutex<()> = Mutex::new(());

fn pingpong() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pingpong"))
}

fn python_processes_under(dir: &Path) -> usize {
    // Any process whose command line names our private program directory.
    let needle = dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(&needle))
        .count()
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A free-threaded CPython on PATH (as `pingpong python` looks for one), or
/// a note saying the test is skipped; CI (which builds one) must have it.
fn free_threaded() -> Option<PathBuf> {
    let found = ["python3.14t", "python3.13t"]
        .iter()
        .find_map(|n| on_path(n));
    if found.is_none() {
        eprintln!(
            "no python3.14t or python3.13t on PATH: skipping the free-threaded test \
             (bench/python-freethreaded.sh builds one)"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have a free-threaded CPython (.ci/run builds it)"
        );
    }
    found
}

/// Runs `pingpong python ARGS --json F` with TMPDIR in `dir`; the document.
fn run_python(dir: &Path, args: &[&str]) -> Value {
    let json = dir.join("py.json");
    let out = pingpong()
        .arg("python")
        .args(args)
        .arg("--json")
        .arg(&json)
        .env("TMPDIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap()
}

/// The docstrings of the program that wrote `experiment`'s rows and of the
/// helpers every program shares.
fn documentation(experiment: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
    ["main.py", "pp_common.py", &format!("pp_{experiment}.py")]
        .iter()
        .map(|f| {
            let src = std::fs::read_to_string(dir.join(f)).unwrap();
            let start = src.find("\"\"\"").expect("a docstring") + 3;
            let end = start + src[start..].find("\"\"\"").unwrap();
            src[start..end].to_string()
        })
        .collect()
}

/// The fields each kind of row must carry, as its program documents them.
fn required(r: &Value) -> Vec<&'static str> {
    let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
    let reps = ["low", "high", "reps", "repetitions"];
    let mut f: Vec<&str> = match s("experiment").as_str() {
        "rally" => vec![
            "unit",
            "mechanism",
            "channel",
            "placement",
            "cpus_asked",
            "ping_cpus",
            "pong_cpus",
            "migrated",
            "placement_kept",
            "shared_cpu_reps",
            "round_trips",
        ],
        "spawn" => vec!["method", "description", "per_rep", "unit"],
        "scale" => vec![
            "kernel",
            "unit",
            "placement",
            "workers",
            "work",
            "cpu_ns",
            "parallelism",
            "speedup",
            "speedup_low",
            "speedup_high",
            "ns_per_item",
            "load_other_cpus",
            "load_wall_s",
            "rep_wall_ns",
            "rep_cpu_ns",
        ],
        "pickling" if s("kind") == "serialise" => vec![
            "object",
            "pickled_bytes",
            "dumps_ns",
            "loads_ns",
            "dumps_reps",
            "loads_reps",
            "ns_per_byte",
        ],
        "pickling" => vec!["kind", "object", "pickled_bytes", "channel", "unit"],
        "memory" => vec!["unit", "start_method", "units"],
        "faults" => vec![
            "fault",
            "unit",
            "outcome",
            "program_survived",
            "fault_fired",
            "program_exit_code",
            "program_signal",
        ],
        "stop" if s("unit") == "thread" => vec![
            "target",
            "method",
            "kill_api",
            "api_result",
            "window_ms",
            "outcome",
            "escaped_handler",
            "ended",
        ],
        "stop" => vec!["target", "method", "outcome", "exit_code", "signal"],
        "pool" => vec![
            "pool",
            "start_method",
            "jobs",
            "completed",
            "failed",
            "lost",
            "error_type",
            "fault_delivered",
            "victim_state",
            "deadline_s",
            "outcome",
            "waited_ns",
        ],
        "locks" if s("kind") == "counter" => vec![
            "api",
            "lock",
            "threads",
            "increments",
            "attempts",
            "expected",
            "totals",
            "lost_per_attempt",
            "lost",
            "lost_attempts",
            "exact",
            "switch_interval_s",
        ],
        "locks" => vec![
            "kind",
            "lock",
            "threads",
            "ops",
            "overhead_ns",
            "lock_bytes",
        ],
        "connection" if s("kind") == "rally" => vec![
            "unit",
            "transport",
            "address",
            "authkey",
            "ball_bytes",
            "round_trips",
            "bad_balls",
        ],
        "connection" => vec!["kind", "outcome", "error_type", "client_error"],
        "zombie" => vec![
            "unit",
            "state_unjoined",
            "zombie",
            "zombie_ns",
            "state_joined",
            "reaped",
            "outcome",
        ],
        other => panic!("a row of an unknown experiment {other}: {r}"),
    };
    // Figures with an interval: the repetitions they come from.
    let with_reps = matches!(
        (s("experiment").as_str(), s("kind").as_str()),
        ("rally" | "spawn" | "scale" | "pickling", _) | ("locks", "cost") | ("connection", "rally")
    );
    if with_reps {
        f.extend(reps);
    }
    if matches!(s("experiment").as_str(), "stop" | "pool" | "zombie") {
        f.push("verified");
    }
    f
}

/// The lowercase enums each program documents, where a row names one.
fn allowed(experiment: &str, field: &str) -> Option<&'static [&'static str]> {
    Some(match (experiment, field) {
        ("rally", "placement") => &["same-cpu", "cross-cpu", "free"],
        ("rally", "mechanism") => &["os-pipe", "mp-pipe", "queue"],
        ("scale", "placement") => &["free", "one-cpu"],
        ("scale", "kernel") => &["python-loop", "sha256"],
        ("faults", "outcome") => &[
            "program-went-on",
            "only-child-ended",
            "program-ended",
            "no-fault",
        ],
        ("stop", "outcome") => &[
            "interrupted",
            "raised-after-block-returned",
            "not-interrupted",
            "api-refused",
            "stopped",
            "not-stopped",
        ],
        ("pool", "outcome") => &[
            "hung-job-lost",
            "broken-pool-reported",
            "all-completed",
            "no-fault",
        ],
        ("connection", "outcome") => &["rejected", "accepted"],
        ("zombie", "outcome") => &["zombie-until-joined", "no-zombie", "zombie-after-join"],
        (_, "unit") => &["threads", "processes", "thread", "process"],
        _ => return None,
    })
}

fn find<'a>(results: &'a [Value], label: &str, case: &str) -> Option<&'a Value> {
    results
        .iter()
        .find(|r| r["interpreter"] == label && r["case"] == case)
}

#[test]
fn python_quick_writes_a_verified_documented_document_and_leaves_nothing() {
    if !have_python3() {
        return;
    }
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let doc = run_python(dir.path(), &["--quick"]);
    assert_eq!(doc["experiment"], "python");
    // The typed contract: JSON → typed → JSON gives the same document.
    let typed = pingpong::document::Document::from_value(doc.clone()).expect("a typed document");
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        doc,
        "JSON → typed → JSON changed it"
    );
    let interpreters = doc["settings"]["interpreters"].as_array().unwrap();
    for i in interpreters {
        assert!(i["version"].as_str().unwrap().starts_with("3."), "{i}");
        assert!(i["gil_enabled"].is_boolean());
        assert!(i["free_threaded_build"].is_boolean());
    }
    let results = doc["results"].as_array().unwrap();
    let experiments = [
        "rally",
        "spawn",
        "scale",
        "pickling",
        "memory",
        "faults",
        "stop",
        "pool",
        "locks",
        "connection",
        "zombie",
    ];
    for i in interpreters {
        let label = i["label"].as_str().unwrap();
        for e in experiments {
            assert!(
                results
                    .iter()
                    .any(|r| r["interpreter"] == label && r["experiment"] == e),
                "no {e} results from {label}"
            );
        }
    }
    for r in results {
        let e = r["experiment"].as_str().unwrap();
        // The common fields, typed.
        assert!(r["case"].is_string(), "{r}");
        assert!(r["value"].is_number() || r["value"].is_null(), "{r}");
        assert!(r["value_unit"].is_string(), "{r}");
        assert!(r["gil_enabled"].is_boolean(), "{r}");
        assert!(r["free_threaded_build"].is_boolean(), "{r}");
        assert_ne!(r["verified"], false, "wrong answer: {r}");
        // Each kind of row carries the fields its program documents…
        for f in required(r) {
            assert!(r.get(f).is_some(), "{e} row without {f}: {r}");
        }
        // …and every field it carries is documented there.
        let docs = documentation(e);
        for k in r.as_object().unwrap().keys() {
            if k != "interpreter" {
                assert!(docs.contains(k.as_str()), "{e}: field {k} is undocumented");
            }
        }
        for (k, v) in r.as_object().unwrap() {
            if let (Some(set), Some(v)) = (allowed(e, k), v.as_str()) {
                assert!(set.contains(&v), "{e}: {k} = {v} is not one of {set:?}");
            }
        }
        if e == "rally" && r["placement"] != "free" {
            // A pinned player ran where it was pinned.
            assert_eq!(r["placement_kept"], true, "{r}");
        }
    }
    for i in interpreters {
        let label = i["label"].as_str().unwrap();
        let row = |case: &str| {
            find(results, label, case).unwrap_or_else(|| panic!("{label}: no {case} row"))
        };
        // T12: a segfault in a thread ends the program, in a child only the child.
        assert_eq!(row("segfault thread")["program_survived"], false);
        assert_eq!(row("segfault process")["program_survived"], true);
        // P8: the worker really was killed, for both pools.
        for pool in ["mp-pool", "ppe"] {
            assert_eq!(row(pool)["fault_delivered"], true, "{label} {pool}");
        }
        // T11: no kill API on threading.Thread; a child can be killed.
        assert_eq!(row("thread python-loop")["kill_api"], serde_json::json!([]));
        assert_eq!(row("process kill")["signal"], "SIGKILL");
        // A9: both modules' locks give the exact total.
        for case in ["counter threading-lock", "counter thread-allocate-lock"] {
            assert_eq!(row(case)["exact"], true, "{label} {case}");
        }
        // A7: an unjoined finished child is a zombie until joined.
        assert_eq!(row("mp-process")["outcome"], "zombie-until-joined");
    }
    assert!(doc["errors"].as_array().unwrap().is_empty(), "{doc}");
    // The private program directory is gone and nothing runs from it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("pingpong-python-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(python_processes_under(dir.path()), 0);
}

/// The largest CPU time ÷ wall time of any repetition of a row.
fn best_parallelism(r: &Value) -> f64 {
    let nums = |k: &str| -> Vec<f64> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    nums("rep_cpu_ns")
        .iter()
        .zip(nums("rep_wall_ns"))
        .map(|(c, w)| c / w)
        .fold(0.0, f64::max)
}

#[test]
fn without_the_gil_threads_of_a_pure_python_loop_use_more_than_one_cpu() {
    if !have_python3() {
        return;
    }
    let Some(ft) = free_threaded() else {
        return;
    };
    let allowed = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Cpus_allowed_list"))
                .map(|l| l.to_string())
        })
        .unwrap_or_default();
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("only one CPU here ({allowed}): nothing to show about threads at once");
        return;
    }
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let ft_arg = ft.to_string_lossy().to_string();
    // Other processes can take the CPUs the threads need: a run measures
    // that load itself, and a busy run is tried again (three times at most).
    for attempt in 1..=3 {
        let doc = run_python(dir.path(), &["scale", "--python-ft", &ft_arg]);
        let results = doc["results"].as_array().unwrap();
        let two = |label: &str| {
            find(results, label, "python-loop threads 2 free")
                .unwrap_or_else(|| panic!("{label}: no 2-thread python-loop row: {doc}"))
        };
        let ft_row = two("cpython-ft");
        assert_eq!(ft_row["free_threaded_build"], true, "{ft_row}");
        assert_eq!(ft_row["gil_enabled"], false, "{ft_row}");
        // The GIL build, when that is what python3 is, never runs two
        // threads of Python at once, however quiet the machine.
        let main = two("cpython");
        if main["gil_enabled"] == true {
            let best = best_parallelism(main);
            assert!(best < 1.2, "with the GIL: {best:.2} CPUs: {main}");
        }
        // A repetition that kept more than 1.2 CPUs busy on average can
        // only have run the two threads at once.
        let best = best_parallelism(ft_row);
        if best > 1.2 {
            return;
        }
        let cpus = doc["settings"]["cpus"].as_f64().unwrap();
        let load = ft_row["load_other_cpus"].as_f64().unwrap_or(0.0);
        assert!(
            cpus - load < 1.5,
            "free-threaded: 2 threads of a pure-Python loop used at most {best:.2} CPUs \
             while other processes used {load:.2} of {cpus}: {ft_row}"
        );
        eprintln!(
            "attempt {attempt}: other processes used {load:.2} of {cpus} CPUs; \
             the threads got at most {best:.2}"
        );
    }
    eprintln!("the machine stayed too busy to show two threads at once: not judged");
}

#[test]
fn a_missing_interpreter_is_one_clear_line_and_exit_2() {
    for flag in ["--python", "--python-ft"] {
        let out = pingpong()
            .args(["python", "--quick", flag, "/nonexistent"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("/nonexistent") && err.contains(flag), "{err}");
    }
}

#[test]
fn a_python_ft_with_the_gil_is_one_clear_line_and_exit_2() {
    if !have_python3() {
        return;
    }
    let python3 = on_path("python3").unwrap();
    let out = pingpong()
        .args(["python", "--quick", "--python-ft"])
        .arg(&python3)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let gil_build = Command::new(&python3)
        .args([
            "-c",
            "import sysconfig, sys; sys.exit(1 if sysconfig.get_config_var('Py_GIL_DISABLED') else 0)",
        ])
        .status()
        .unwrap()
        .success();
    if !gil_build {
        eprintln!("python3 is itself free-threaded: nothing to refuse");
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("not a free-threaded build"), "{err}");
}

#[test]
fn a_free_threaded_python_given_as_python_is_labelled_free_threaded_everywhere() {
    if !have_python3() {
        return;
    }
    let Some(ft) = free_threaded() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ft_arg = ft.to_string_lossy().to_string();
    let doc = run_python(dir.path(), &["zombie", "--quick", "--python", &ft_arg]);
    let interpreters = doc["settings"]["interpreters"].as_array().unwrap();
    assert_eq!(interpreters.len(), 1, "{doc}");
    assert_eq!(interpreters[0]["label"], "cpython-ft", "{doc}");
    let results = doc["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        assert_eq!(r["interpreter"], "cpython-ft", "{r}");
        assert_eq!(r["free_threaded_build"], true, "{r}");
    }
    let notes = doc["notes"].to_string();
    assert!(notes.contains("free-threaded"), "{notes}");
}

#[test]
fn an_unknown_ft_experiment_is_one_clear_line_and_exit_2() {
    let out = pingpong()
        .args(["python", "--quick", "--ft-experiments", "scale,bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bogus") && err.contains("scale"), "{err}");
}
