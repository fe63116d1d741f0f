//! `ipc-channel` (servo's crate) between threads, spawned and forked
//! processes, rally and stream, raw and struct payloads, verified; it leaves
//! nothing in TMPDIR (its one-shot server's socket included) and no process
//! behind. No timing is asserted.

mod common;

use common::Sandbox;

#[test]
fn ipc_channel_plays_between_threads_and_both_process_kinds_verified_leaving_nothing() {
    let sb = Sandbox::new();
    for pattern in ["rally", "stream"] {
        for payload in ["raw", "struct"] {
            let (done, doc) = sb.run_json(&[
                "run",
                "--between",
                "threads,processes,processes-fork",
                "--via",
                "ipc-channel",
                "--size",
                "8,4KiB",
                "--pattern",
                pattern,
                "--window",
                "8",
                "-n",
                "200",
                "--warmup",
                "5",
                "-r",
                "1",
                "--payload",
                payload,
            ]);
            assert_eq!(done.code(), Some(0), "{}", done.describe());
            let ms = doc["measurements"].as_array().expect("measurements");
            assert_eq!(ms.len(), 3 * 2, "{pattern} {payload}: {doc:#}");
            for m in ms {
                assert_eq!(m["verification"]["ok"], true, "{m:#}");
                assert!(m["verification"]["balls_checked"].as_u64().unwrap() > 0);
            }
        }
    }
    sb.assert_tmpdir_empty();
}

#[test]
fn tasks_cannot_use_ipc_channel() {
    let out = common::pingpong()
        .args(["run", "-b", "tasks", "--via", "ipc-channel"])
        .output()
        .expect("running pingpong");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
