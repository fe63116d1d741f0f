//! A few hundred generated command lines against the binary: random
//! subcommands, flags and values (at and past their bounds, garbage,
//! non-UTF-8 bytes, paths into missing directories). Whatever the line,
//! pingpong must end with 0, 1 or 2 (130 when the test interrupted a line
//! that was still running, like a server), never panic, say a usage error
//! in one line, and leave nothing behind: no file in its TMPDIR, no process
//! (this test is a subreaper, so an orphan would become its child).
//!
//! Deterministic: the lines come from a fixed seed (set PINGPONG_FUZZ_SEED
//! to explore others; PINGPONG_FUZZ_LINES for more lines). Bounded: every
//! value that would make a valid line long is tiny or refused, each line
//! has a guard, and two lines run at a time.

mod common;

use common::Sandbox;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SEED: u64 = 0x5EED_F022;
const LINES: usize = 300;
/// A line still running after this is interrupted (SIGINT) and must then
/// end with 130 within [`AFTER_INTERRUPT`].
const GUARD: Duration = Duration::from_secs(10);
/// A server line is interrupted sooner: it would serve for ever.
const SERVE_GUARD: Duration = Duration::from_millis(700);
const AFTER_INTERRUPT: Duration = Duration::from_secs(5);

/// SplitMix64: a deterministic generator in six lines, so the test needs
/// no random-number crate and replays exactly from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

// Values: "@missing" is a file in a directory that does not exist,
// "@file" a file in the output directory, "@dir" that directory,
// "@bytes" non-UTF-8 bytes, "@bytes-path" a non-UTF-8 file name.
const COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "x",
    "@bytes",
    "18446744073709551615",
    "18446744073709551616",
    "4294967296",
];
const TIMES: &[&str] = &[
    "0",
    "1ms",
    "x",
    "@bytes",
    "18446744073709551615s",
    "99999999999999999999999s",
    "25h",
    "-1s",
];
const FILES: &[&str] = &["@missing", "@file", "@dir", "@bytes-path", ""];

/// One subcommand: the flags that keep a valid line short, and the flags
/// the generator varies, each with values tried beside the common ones.
struct Sub {
    base: &'static [&'static str],
    flags: &'static [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
}

const EXPORTS: [(&str, &[&str], &[&str]); 3] = [
    ("--json", FILES, &[]),
    ("--csv", FILES, &[]),
    ("--markdown", FILES, &[]),
];

fn subcommands() -> Vec<(&'static str, Sub)> {
    let run_flags: &'static [(&str, &[&str], &[&str])] = &[
        (
            "--between",
            &[],
            &[
                "threads",
                "processes",
                "tasks",
                "fibers",
                "",
                "@bytes",
                "hosts",
                "ranks",
            ],
        ),
        (
            "--via",
            &[],
            &[
                "pipe", "unix", "udp", "spin", "tcp", "bogus", "mpi", "@bytes",
            ],
        ),
        (
            "--size",
            &[],
            &[
                "3", "4", "8", "65536", "65537", "1GiB", "2GiB", "16EiB", "x", "4,8", "@bytes",
            ],
        ),
        ("--rounds", COUNTS, &["1000000001"]),
        ("--warmup", COUNTS, &["1000000001"]),
        ("--reps", COUNTS, &["1001"]),
        ("--window", COUNTS, &["65536", "65537"]),
        ("--pattern", &[], &["rally", "stream", "x"]),
        ("--batch", COUNTS, &["65537"]),
        ("--duration", TIMES, &["1ms", "24h"]),
        ("--timeout", TIMES, &["2s", "24h"]),
        ("--loss-timeout", TIMES, &["1m", "61s"]),
        (
            "--cpus",
            &[],
            &["0,1", "0", "0,999", "matrix", "x,y", "@bytes"],
        ),
        ("--same-cpu", &[], &["0", "999", "18446744073709551616"]),
        ("--verify", &[], &["all", "sample", "seq", "x"]),
        ("--payload", &[], &["raw", "struct", "x"]),
        (
            "--inject",
            &[],
            &["corrupt:5", "drop:0", "dup:x", "reorder:3", "x", "dup:1"],
        ),
        (
            "--peer",
            &[],
            &["127.0.0.1:1", "x", "[::1]:99999", "@bytes"],
        ),
        ("--token", &[], &["s", "", "@bytes"]),
        EXPORTS[0],
        EXPORTS[1],
        EXPORTS[2],
    ];
    let common: [(&str, &[&str], &[&str]); 4] = [
        ("--timeout", TIMES, &["3s", "24h"]),
        EXPORTS[0],
        EXPORTS[1],
        EXPORTS[2],
    ];
    let with_common = |own: &[(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )]| {
        let mut v = own.to_vec();
        v.extend(common);
        &*Box::leak(v.into_boxed_slice())
    };
    vec![
        (
            "run",
            Sub {
                base: &[
                    "--between",
                    "threads",
                    "--via",
                    "pipe",
                    "--rounds",
                    "20",
                    "--warmup",
                    "2",
                    "-r",
                    "1",
                    "--timeout",
                    "3s",
                    "--loss-timeout",
                    "20ms",
                ],
                flags: run_flags,
            },
        ),
        (
            "demo",
            Sub {
                base: &["--hits", "1", "--pace", "1ms", "--timeout", "3s"],
                flags: &[
                    (
                        "--between",
                        &[],
                        &["threads", "processes", "x", "threads,processes"],
                    ),
                    ("--via", &[], &["pipe", "udp", "x"]),
                    ("--hits", COUNTS, &["10001"]),
                    ("--pace", TIMES, &["61s"]),
                    ("--timeout", TIMES, &["2s", "24h"]),
                ],
            },
        ),
        (
            "switch",
            Sub {
                base: &["--quick", "--rounds", "50", "--timeout", "3s"],
                flags: with_common(&[
                    ("--rounds", COUNTS, &["1000000001"]),
                    ("--reps", COUNTS, &["1001"]),
                    ("--working-set", &[], &["0", "4KiB", "2GiB", "16EiB", "x"]),
                    ("--cpu", COUNTS, &["999"]),
                ]),
            },
        ),
        (
            "contention",
            Sub {
                base: &[
                    "--quick",
                    "--workers",
                    "2",
                    "--adds",
                    "100",
                    "--timeout",
                    "3s",
                ],
                flags: with_common(&[
                    ("--workers", COUNTS, &["1024", "1025"]),
                    ("--adds", COUNTS, &["1000000001"]),
                ]),
            },
        ),
        (
            "overlap",
            Sub {
                base: &[
                    "--quick",
                    "--units",
                    "2",
                    "--round",
                    "1ms",
                    "--reps",
                    "1",
                    "--timeout",
                    "3s",
                ],
                flags: with_common(&[
                    ("--units", COUNTS, &["1001"]),
                    ("--round", TIMES, &["11s"]),
                    ("--rounds", COUNTS, &["10001"]),
                ]),
            },
        ),
        (
            "responsive",
            Sub {
                base: &[
                    "--quick",
                    "--every",
                    "5ms",
                    "--duration",
                    "20ms",
                    "--chunks",
                    "1ms",
                    "--reps",
                    "1",
                    "--workers",
                    "1",
                    "--timeout",
                    "3s",
                ],
                flags: with_common(&[
                    ("--every", TIMES, &["61s"]),
                    ("--duration", TIMES, &["2h"]),
                    ("--chunks", TIMES, &["2s"]),
                    ("--workers", COUNTS, &["257"]),
                ]),
            },
        ),
        (
            "memory",
            Sub {
                base: &["--units", "1", "--timeout", "3s"],
                flags: with_common(&[("--units", COUNTS, &["10001", "1,x", ""])]),
            },
        ),
        (
            "spawn",
            Sub {
                base: &[
                    "--quick",
                    "--heap",
                    "0",
                    "--iterations",
                    "0.01",
                    "--timeout",
                    "3s",
                ],
                flags: with_common(&[
                    ("--heap", &[], &["0", "16EiB", "x", "@bytes"]),
                    ("--iterations", &[], &["0", "1001", "NaN", "inf", "-1", "x"]),
                ]),
            },
        ),
        (
            "scale",
            Sub {
                base: &[
                    "--quick",
                    "--workers",
                    "1,2",
                    "--work",
                    "1000",
                    "--reps",
                    "1",
                    "--timeout",
                    "3s",
                ],
                flags: with_common(&[
                    ("--workers", COUNTS, &["1025", "1,,2", ""]),
                    ("--work", COUNTS, &["4294967297"]),
                    ("--reps", COUNTS, &["1001"]),
                ]),
            },
        ),
        (
            "faults",
            Sub {
                base: &["--quick", "race"],
                flags: &[EXPORTS[0], EXPORTS[1], EXPORTS[2], ("--quick", &[], &[])],
            },
        ),
        (
            // Never a valid interpreter: a CPython run is long.
            "python",
            Sub {
                base: &["--quick", "--python", "/nonexistent/python3"],
                flags: with_common(&[("--python", &[], &["/nonexistent", "@bytes-path"])]),
            },
        ),
        (
            // Never a measurement: judged again from a file, or refused.
            "verdict",
            Sub {
                base: &["--from", "@missing"],
                flags: &[
                    ("--from", FILES, &[]),
                    ("--lang", &[], &["en", "ru", "x", "@bytes"]),
                    ("--json", FILES, &[]),
                    ("--markdown", FILES, &[]),
                    ("--html", FILES, &[]),
                ],
            },
        ),
        (
            "serve",
            Sub {
                base: &["--listen", "127.0.0.1:0"],
                flags: &[
                    (
                        "--listen",
                        &[],
                        &["127.0.0.1:0", "0.0.0.0:0", "x", "127.0.0.1:99999"],
                    ),
                    ("--token", &[], &["s", "", "@bytes"]),
                    ("--max-sessions", COUNTS, &["4096", "4097"]),
                    ("--session-limit", TIMES, &["4s", "24h"]),
                ],
            },
        ),
        (
            "mpi",
            Sub {
                base: &["--mpirun", "/nonexistent/mpirun"],
                flags: &[
                    ("--hosts", &[], &["", "a,b", "@bytes"]),
                    ("--timeout", TIMES, &[]),
                    ("--size", &[], &["16EiB", "8"]),
                ],
            },
        ),
    ]
}

fn value(v: &str, sb: &Sandbox) -> OsString {
    match v {
        "@missing" => sb.file("no-such-dir/out").into_os_string(),
        "@file" => sb.file("out.txt").into_os_string(),
        "@dir" => sb.out.path().as_os_str().to_owned(),
        "@bytes" => OsString::from_vec(b"\xff\xfe8".to_vec()),
        "@bytes-path" => {
            let mut p = sb.out.path().as_os_str().to_owned().into_vec();
            p.extend_from_slice(b"/\xff.out");
            OsString::from_vec(p)
        }
        v => v.into(),
    }
}

/// One generated line: a subcommand's short valid base, with one to three
/// flags given other values (replacing the base's when it has the flag),
/// now and then a stray word.
fn generate(rng: &mut Rng, subs: &[(&'static str, Sub)], sb: &Sandbox) -> Vec<OsString> {
    let (name, sub) = rng.pick(subs);
    let mut args: Vec<(String, Option<String>)> = Vec::new();
    let mut base = sub.base.iter().peekable();
    while let Some(a) = base.next() {
        let val = match base.peek() {
            Some(v) if a.starts_with("--") && !v.starts_with("--") && *a != "--quick" => {
                base.next().map(|v| v.to_string())
            }
            _ => None,
        };
        args.push((a.to_string(), val));
    }
    for _ in 0..1 + rng.below(3) {
        let (flag, common, own) = rng.pick(sub.flags);
        // The flag's own values (its bounds, valid ones) half the time.
        let values: &[&str] = if own.is_empty() || (!common.is_empty() && rng.below(2) == 0) {
            common
        } else {
            own
        };
        let val = (!values.is_empty()).then(|| rng.pick(values).to_string());
        match args.iter_mut().find(|(f, _)| f == flag) {
            Some(slot) if slot.1.is_some() && val.is_some() => slot.1 = val,
            _ => args.push((flag.to_string(), val)),
        }
    }
    let mut line: Vec<OsString> = vec![(*name).into()];
    for (f, v) in args {
        line.push(value(&f, sb));
        if let Some(v) = v {
            line.push(value(&v, sb));
        }
    }
    match rng.below(16) {
        0 => line.push(value("@bytes", sb)),
        1 => line.push("--frobnicate".into()),
        2 => line.insert(0, value("@bytes", sb)),
        _ => {}
    }
    line
}

/// This process's children now: pid and state.
fn children() -> Vec<(u32, char)> {
    common::children_of(std::process::id())
        .into_iter()
        .map(|p| (p.pid, p.state))
        .collect()
}

/// Pingpongs running now, started by this test.
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Runs one line; returns its exit code, or what went wrong.
fn check(line: &[OsString], sb: &Sandbox) -> Result<i32, String> {
    let show = line
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let serve = line.first().is_some_and(|a| a == "serve");
    let stderr_path = sb.file("stderr.txt");
    let mut child = Command::new(common::bin())
        .args(line)
        .env("TMPDIR", sb.tmp.path())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("{show}: cannot start: {e}"))?;
    RUNNING.lock().unwrap().push(child.id());
    let started = Instant::now();
    let guard = if serve { SERVE_GUARD } else { GUARD };
    let mut interrupted = false;
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        let waited = started.elapsed();
        if !interrupted && waited >= guard {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            interrupted = true;
        }
        if waited >= guard + AFTER_INTERRUPT {
            let _ = child.kill();
            let _ = child.wait();
            RUNNING.lock().unwrap().retain(|&p| p != child.id());
            return Err(format!(
                "{show}: still running {AFTER_INTERRUPT:?} after SIGINT (killed)"
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    RUNNING.lock().unwrap().retain(|&p| p != child.id());
    let stderr =
        String::from_utf8_lossy(&std::fs::read(&stderr_path).unwrap_or_default()).into_owned();
    let code = status.code();
    let fail = |why: &str| Err(format!("{show}: {why} ({status})\n{stderr}"));
    let allowed: &[i32] = if interrupted {
        &[0, 1, 2, 130]
    } else {
        &[0, 1, 2]
    };
    if !code.is_some_and(|c| allowed.contains(&c)) {
        return fail("exit code outside 0, 1, 2");
    }
    if interrupted && serve && code != Some(130) {
        return fail("an interrupted server must exit 130");
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        return fail("panicked");
    }
    if code == Some(2) && stderr.lines().count() != 1 {
        return fail("a usage error must be one line");
    }
    let left = sb.leftover_files();
    if !left.is_empty() {
        return fail(&format!("left in its TMPDIR: {left:?}"));
    }
    Ok(code.unwrap_or(-1))
}

#[test]
fn generated_command_lines_end_with_0_1_or_2_without_panic_or_leftovers() {
    // SAFETY: a plain prctl on this process: orphans become our children.
    unsafe {
        nix::libc::prctl(nix::libc::PR_SET_CHILD_SUBREAPER, 1);
    }
    let seed = std::env::var("PINGPONG_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let count = std::env::var("PINGPONG_FUZZ_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(LINES);
    let subs = subcommands();
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    let codes = Mutex::new(std::collections::BTreeMap::<i32, usize>::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                if i >= count {
                    return;
                }
                // Line i depends on the seed and i only, not on scheduling.
                let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0xA076_1D64_78BD_642F));
                let sb = Sandbox::new();
                let line = generate(&mut rng, &subs, &sb);
                match check(&line, &sb) {
                    Ok(code) => *codes.lock().unwrap().entry(code).or_default() += 1,
                    Err(why) => failures.lock().unwrap().push(format!("line {i}: {why}")),
                }
            });
        }
    });
    // Every pingpong has been reaped; anything else is an orphan or a zombie.
    let until = Instant::now() + Duration::from_secs(2);
    let mut left = children();
    while !left.is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
        left = children();
    }
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "{count} lines from seed {seed:#x} in {:.1?}; exit codes (code: lines): {:?}",
        started.elapsed(),
        codes.into_inner().unwrap()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} lines failed (seed {seed:#x}):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(left.is_empty(), "processes left behind: {left:?}");
    assert!(RUNNING.lock().unwrap().is_empty());
}
