//! Crash isolation (claim T12): a panic, `abort`, an invalid memory access,
//! a stack overflow and `exit` from a worker, each in a thread and in a
//! child process. Did the rest of the program survive, what ended the unit,
//! and how long until it was noticed?
//!
//! The "program" is a sacrificial child of pingpong. For the thread case its
//! worker is a thread; for the process case its worker is a further child
//! (our binary re-executed once more).

use super::{mark, mono_ns, report, run_case, sacrifice, Observed, Row};
use anyhow::Result;
use std::hint::black_box;

/// Every kind of fault, as named on the table.
pub const KINDS: [&str; 5] = ["panic", "abort", "null-write", "stack-overflow", "exit"];

pub fn run(quick: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for kind in KINDS {
        for unit in ["thread", "process"] {
            let arg = format!("{kind}:{unit}");
            let mut got = run_case("crash", kind, unit, &[&arg], super::deadline(quick));
            for r in &mut got {
                if r.survived == Some(false) && unit == "thread" {
                    r.outcome = match kind {
                        "exit" => {
                            format!("exit() in a thread ended the whole program ({})", r.status)
                        }
                        _ => format!("the whole program died with its thread ({})", r.status),
                    };
                }
            }
            rows.extend(got);
        }
    }
    rows
}

/// Commits the fault. Never returns, except for a panic caught by the caller.
fn commit(kind: &str) {
    match kind {
        "panic" => panic!("deliberate panic in a worker"),
        "abort" => std::process::abort(),
        "null-write" => {
            // An address in the null page, never mapped (vm.mmap_min_addr);
            // hidden from the optimiser so the write really happens.
            let p = black_box(16usize) as *mut u64;
            // SAFETY: it is not safe, on purpose: this invalid write is the
            // fault under study. It runs only in a sacrificial child of
            // pingpong (made for this and nothing else), whose death by
            // SIGSEGV the parent expects and reports.
            unsafe { std::ptr::write_volatile(p, 0xdead) };
        }
        "stack-overflow" => {
            black_box(recurse(black_box(u64::MAX)));
        }
        "exit" => std::process::exit(3),
        _ => {}
    }
}

/// Unbounded recursion on purpose (the bound, u64::MAX, is never reached):
/// the stack's guard page ends it. Each frame keeps 1 KiB alive.
fn recurse(n: u64) -> u64 {
    let frame = black_box([n as u8; 1024]);
    if n == 0 {
        return 0;
    }
    recurse(n - 1).wrapping_add(frame[0] as u64)
}

pub fn child(arg: &str) -> Result<i32> {
    let (kind, unit) = arg.split_once(':').unwrap_or((arg, "thread"));
    match unit {
        "thread" => {
            let kind = kind.to_string();
            let h = std::thread::Builder::new()
                .name("worker".into())
                .spawn(move || {
                    mark();
                    commit(&kind);
                })?;
            let joined = h.join();
            let now = mono_ns();
            let caught = joined.is_err();
            report(&Row {
                outcome: if caught {
                    "panic joined as Err; the program lives".into()
                } else {
                    "no fault happened".into()
                },
                status: if caught { "panic (joined)" } else { "joined" }.into(),
                observed: if caught {
                    Observed::Contained
                } else {
                    Observed::NoFault
                },
                survived: Some(true),
                notice_ns: Some(now.saturating_sub(super::last_mark()) as f64),
                detail: "std::thread::JoinHandle::join returns Err(payload) for a panicked thread"
                    .into(),
                ..Row::default()
            });
            Ok(0)
        }
        "process" => {
            let args = vec!["crash".to_string(), format!("{kind}:worker")];
            let ended = sacrifice(&args, std::time::Duration::from_secs(15))?;
            let what = match (ended.signal, ended.code) {
                (Some(s), _) => format!(
                    "the worker process died ({}); the program lives",
                    s.as_str()
                ),
                (None, Some(c)) => format!("the worker process exited ({c}); the program lives"),
                _ => "the worker process ended; the program lives".into(),
            };
            // The worker ended by its fault (a signal or an exit), and this
            // program is still here to report it.
            let contained = ended.signal.is_some() || ended.code.is_some_and(|c| c != 0);
            report(&Row {
                outcome: what,
                status: ended.status.clone(),
                observed: if contained {
                    Observed::Contained
                } else {
                    Observed::NoFault
                },
                survived: Some(true),
                notice_ns: ended.notice_ns(),
                detail: ended.stderr_note(),
                ..Row::default()
            });
            Ok(0)
        }
        _ => {
            mark();
            commit(kind);
            Ok(0)
        }
    }
}
