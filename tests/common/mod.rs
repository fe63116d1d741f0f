//! What the integration tests share: a sandbox per run (its own TMPDIR, so
//! leftovers can be seen), a way to start pingpong and wait for it with a
//! deadline (a hang fails the test instead of stalling it), and a look at
//! the process table through /proc.
//!
//! Every test file compiles this module, and none uses all of it.
#![allow(dead_code)]

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Long enough for anything these tests run on a loaded 2-CPU machine,
/// short enough that a hang fails the test instead of stalling the suite.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// The pingpong binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pingpong")
}

/// pingpong through assert_cmd, with a hang guard.
pub fn pingpong() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(bin());
    c.timeout(HANG_GUARD);
    c
}

/// Runs `pingpong run ARGS -r 1 --json F` (two minutes at most) and returns
/// the document it wrote and its exit code; no document is a test failure
/// that shows pingpong's stderr.
pub fn run_json(args: &[&str]) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let out = assert_cmd::Command::new(bin())
        .timeout(Duration::from_secs(120))
        .arg("run")
        .args(args)
        .args(["-r", "1", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let text = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "no JSON written for {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let doc: Value = serde_json::from_slice(&text).unwrap();
    // The typed contract: JSON → typed → JSON gives the same document.
    let typed = pingpong::document::Document::from_value(doc.clone()).expect("a typed document");
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        doc,
        "JSON → typed → JSON changed it"
    );
    (doc, out.status.code().unwrap_or(-1))
}

/// One pingpong run's world: `tmp` is its TMPDIR (it must be empty once
/// pingpong has exited), `out` holds the files it writes and its output.
pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    pub out: tempfile::TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::Builder::new()
                .prefix("pingpong-test-tmpdir-")
                .tempdir()
                .expect("making a TMPDIR for pingpong"),
            out: tempfile::Builder::new()
                .prefix("pingpong-test-out-")
                .tempdir()
                .expect("making an output directory"),
        }
    }

    /// A path for an output file.
    pub fn file(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    /// pingpong through assert_cmd, in this sandbox.
    pub fn pingpong(&self) -> assert_cmd::Command {
        let mut c = pingpong();
        c.env("TMPDIR", self.tmp.path());
        c
    }

    /// Starts pingpong in this sandbox; stdout and stderr go to files.
    pub fn start(&self, args: &[&str]) -> Started {
        let stdout = self.file("stdout.txt");
        let stderr = self.file("stderr.txt");
        let child = Command::new(bin())
            .args(args)
            .env("TMPDIR", self.tmp.path())
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("starting pingpong");
        Started {
            child,
            stdout,
            stderr,
        }
    }

    /// Runs pingpong to the end and reads its JSON results (written to `out`).
    pub fn run_json(&self, args: &[&str]) -> (Finished, Value) {
        let json = self.file("results.json");
        let mut all: Vec<&str> = args.to_vec();
        let json_arg = json.to_str().expect("utf-8 path");
        all.extend(["--json", json_arg]);
        let done = self.start(&all).wait(HANG_GUARD);
        let doc = read_json(&json).unwrap_or_else(|e| panic!("{e}\n{}", done.describe()));
        (done, doc)
    }

    /// Everything pingpong left in its TMPDIR (temporary directories, FIFOs…).
    pub fn leftover_files(&self) -> Vec<String> {
        let mut found = Vec::new();
        walk(self.tmp.path(), &mut found);
        found
    }

    /// Fails the test if pingpong left anything in its TMPDIR.
    pub fn assert_tmpdir_empty(&self) {
        let left = self.leftover_files();
        assert!(
            left.is_empty(),
            "pingpong left these in its TMPDIR: {left:?}"
        );
    }
}

fn walk(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let kind = match e.file_type() {
            Ok(t) if t.is_dir() => "directory",
            Ok(t) => {
                use std::os::unix::fs::FileTypeExt;
                if t.is_fifo() {
                    "FIFO"
                } else {
                    "file"
                }
            }
            Err(_) => "entry",
        };
        found.push(format!("{kind} {}", e.path().display()));
        if kind == "directory" {
            walk(&e.path(), found);
        }
    }
}

pub fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("no JSON at {}: {e}", path.display()))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| format!("bad JSON at {}: {e}", path.display()))?;
    // The typed contract: JSON → typed → JSON gives the same document.
    let typed = pingpong::document::Document::from_value(doc.clone()).expect("a typed document");
    assert_eq!(
        serde_json::to_value(&typed).unwrap(),
        doc,
        "JSON → typed → JSON changed it"
    );
    Ok(doc)
}

/// A pingpong process started by a test.
pub struct Started {
    pub child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// How it ended, and what it said.
pub struct Finished {
    pub pid: u32,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn describe(&self) -> String {
        format!(
            "pingpong (pid {}) ended with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.pid, self.status, self.stdout, self.stderr
        )
    }
}

impl Started {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for pingpong to end; kills it and fails the test if it runs
    /// past `guard` (a hang).
    pub fn wait(self, guard: Duration) -> Finished {
        self.wait_watching(guard, |_| {})
    }

    /// Whether pingpong has ended already (it is not reaped by this).
    pub fn has_ended(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Like [`Started::wait`], calling `watch` with pingpong's pid every
    /// few milliseconds while it runs.
    pub fn wait_watching(mut self, guard: Duration, mut watch: impl FnMut(u32)) -> Finished {
        let until = Instant::now() + guard;
        let status = loop {
            watch(self.child.id());
            match self.child.try_wait().expect("waiting for pingpong") {
                Some(s) => break s,
                None if Instant::now() >= until => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "pingpong (pid {}) hung: still running after {guard:?}\n--- stderr ---\n{}",
                        self.child.id(),
                        std::fs::read_to_string(&self.stderr).unwrap_or_default()
                    );
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        Finished {
            pid: self.child.id(),
            status,
            stdout: std::fs::read_to_string(&self.stdout).unwrap_or_default(),
            stderr: std::fs::read_to_string(&self.stderr).unwrap_or_default(),
        }
    }
}

impl Drop for Started {
    /// A test that fails half-way must not leave pingpong running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Polls `cond` every few milliseconds until it holds; fails the test with
/// `what` if it does not within the hang guard.
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + HANG_GUARD;
    while !cond() {
        assert!(Instant::now() < until, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One process, as /proc shows it.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// R, S, D, Z…
    pub state: char,
    pub comm: String,
    /// NUL-separated arguments joined with spaces (empty for a zombie).
    pub cmdline: String,
}

impl Proc {
    pub fn read(pid: u32) -> Option<Proc> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let comm = stat[open + 1..close].to_string();
        let mut rest = stat[close + 1..].split_whitespace();
        let state = rest.next()?.chars().next()?;
        let ppid = rest.next()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .split('\0')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        Some(Proc {
            pid,
            ppid,
            state,
            comm,
            cmdline,
        })
    }

    /// Whether the process's environment holds `needle` (e.g. `TMPDIR=…`).
    pub fn environ_contains(&self, needle: &str) -> bool {
        std::fs::read(format!("/proc/{}/environ", self.pid))
            .map(|b| b.split(|&c| c == 0).any(|var| var == needle.as_bytes()))
            .unwrap_or(false)
    }
}

/// Every process now.
pub fn processes() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(Proc::read)
        .collect()
}

/// The children of `pid` now (zombies included).
pub fn children_of(pid: u32) -> Vec<Proc> {
    processes().into_iter().filter(|p| p.ppid == pid).collect()
}

/// Threads of `pid` now.
pub fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Processes that belong to a pingpong run of `sandbox` (other than
/// pingpong itself, `pingpong_pid`): children of it, re-executed players
/// naming it as their parent, and anything that inherited the sandbox's
/// TMPDIR (forked players do).
pub fn players_of(pingpong_pid: u32, sandbox: &Sandbox) -> Vec<Proc> {
    let tmpdir = format!("TMPDIR={}", sandbox.tmp.path().display());
    let parent = format!("\"parent\":{pingpong_pid}");
    processes()
        .into_iter()
        .filter(|p| p.pid != pingpong_pid)
        .filter(|p| {
            p.ppid == pingpong_pid
                || (p.cmdline.contains("__player") && p.cmdline.contains(&parent))
                || p.environ_contains(&tmpdir)
        })
        .collect()
}

/// The channels `pingpong list` names, each with the units it is valid
/// between (in the order threads, processes, processes-fork). The list is a
/// matrix: a header line `channel  largest  thr proc fork …`, then one line
/// per channel whose first word is its name, with each unit's mark (`✓`
/// valid, `·N` not) under the unit's head; continuation lines start with
/// spaces.
pub fn listed_combinations() -> Vec<(String, Vec<String>)> {
    const UNITS: [(&str, &str); 3] = [
        ("thr", "threads"),
        ("proc", "processes"),
        ("fork", "processes-fork"),
    ];
    let out = pingpong().arg("list").assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let mut lines = text.lines();
    let header: Vec<char> = lines
        .next()
        .expect("pingpong list prints a matrix")
        .chars()
        .collect();
    assert!(header.starts_with(&['c', 'h']), "{text}");
    // Each unit's mark sits at the column where its head starts.
    let column = |head: &str| {
        let h: Vec<char> = head.chars().collect();
        (0..header.len())
            .find(|&i| header[i..].starts_with(&h) && header.get(i + h.len()) == Some(&' '))
            .unwrap_or_else(|| panic!("pingpong list has no column {head}:\n{text}"))
    };
    let mut rows = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with(' ') {
            continue;
        }
        let cells: Vec<char> = line.chars().collect();
        let valid: Vec<String> = UNITS
            .iter()
            .filter(|(head, _)| cells.get(column(head)) == Some(&'✓'))
            .map(|(_, u)| u.to_string())
            .collect();
        let name = line.split_whitespace().next().unwrap_or_default();
        rows.push((name.to_string(), valid));
    }
    assert!(!rows.is_empty(), "pingpong list names no channel:\n{text}");
    // The matrix is read by column, not by word: a largest ball of "4 MiB"
    // (two words) must not shift the marks.
    assert!(
        rows.iter()
            .any(|(c, units)| c == "unix-dgram" && units.len() == UNITS.len()),
        "{rows:?}"
    );
    rows
}

/// Whether a `python3` is on PATH. Without one (a user's machine may have
/// none) a CPython test is skipped with a note; CI must have it.
pub fn have_python3() -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("python3").is_file()));
    if !found {
        eprintln!("python3 not found on PATH: skipping the CPython test");
        assert!(std::env::var_os("CI").is_none(), "CI must have python3");
    }
    found
}

/// A verdict document whose steps are these documents, each measured on a
/// quiet machine: `(step name, run of the plan, document)`, as
/// `pingpong verdict --from` reads them.
pub fn verdict_holding(
    steps: Vec<(&str, u32, pingpong::document::Document)>,
) -> pingpong::verdict::VerdictDocument {
    use pingpong::verdict::{Outcome, Step, VerdictDocument};
    VerdictDocument {
        header: pingpong::results::Header::new("verdict"),
        mode: "default".into(),
        lang: "en".into(),
        runs: steps.iter().map(|(_, run, _)| run + 1).max().unwrap_or(1),
        verdicts: vec![],
        evidence: Default::default(),
        demos: Default::default(),
        steps: steps
            .into_iter()
            .map(|(name, run, document)| Step {
                name: name.into(),
                command: format!("pingpong {name}"),
                others_cpus: Some(0.0),
                run,
                disturbed: vec![],
                seconds: 1.0,
                outcome: Outcome::Measured {
                    document: Box::new(document),
                },
            })
            .collect(),
    }
}

/// `pingpong verdict --from` on `doc` (within 30 s): what it printed and
/// the verdict document it wrote with `--json`.
pub fn verdict_from(doc: &impl serde::Serialize) -> (String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let (from, out) = (dir.path().join("in.json"), dir.path().join("out.json"));
    std::fs::write(&from, serde_json::to_vec(doc).unwrap()).unwrap();
    let printed = pingpong()
        .args(["verdict", "--from"])
        .arg(&from)
        .arg("--json")
        .arg(&out)
        .timeout(Duration::from_secs(30))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let judged: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (String::from_utf8_lossy(&printed).into_owned(), judged)
}
