//! Where results go: a reader that stops early (`pingpong run | head -1`)
//! is not an error, and the CSV and Markdown files are written in full.

mod common;

use common::{bin, Sandbox, HANG_GUARD};
use std::process::{Command, Stdio};
use std::time::Instant;

const QUICK: &[&str] = &[
    "run",
    "--between",
    "threads,processes",
    "--via",
    "pipe,unix",
    "--size",
    "64",
    "--rounds",
    "200",
    "--reps",
    "1",
];

fn assert_quiet_about_the_pipe(stderr: &str) {
    let lower = stderr.to_lowercase();
    assert!(!lower.contains("broken pipe"), "stderr: {stderr}");
    assert!(!lower.contains("error"), "stderr: {stderr}");
    assert!(!lower.contains("panicked"), "stderr: {stderr}");
}

#[test]
fn a_run_whose_reader_has_gone_before_the_table_ends_quietly_with_success() {
    let sb = Sandbox::new();
    let stderr_path = sb.file("stderr.txt");
    let mut child = Command::new(bin())
        .args(QUICK)
        .env("TMPDIR", sb.tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("starting pingpong");
    // The reader goes away before pingpong writes a byte.
    drop(child.stdout.take());
    let until = Instant::now() + HANG_GUARD;
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting") {
            break s;
        }
        if Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pingpong hung writing to a closed pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert_eq!(status.code(), Some(0), "{status}; stderr: {stderr}");
    assert_quiet_about_the_pipe(&stderr);
    sb.assert_tmpdir_empty();
}

#[test]
fn a_run_piped_into_head_exits_0_without_a_broken_pipe_message() {
    let sb = Sandbox::new();
    let code = sb.file("code");
    let script = format!(
        "{{ \"$0\" {} 2>\"$1\"; echo $? >\"$2\"; }} | head -1",
        QUICK.join(" ")
    );
    let out = Command::new("sh")
        .args(["-c", &script, bin()])
        .arg(sb.file("stderr.txt"))
        .arg(&code)
        .env("TMPDIR", sb.tmp.path())
        .output()
        .expect("running sh");
    assert!(out.status.success(), "sh: {out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "head printed more than its line"
    );
    let code = std::fs::read_to_string(&code).expect("exit code written");
    let stderr = std::fs::read_to_string(sb.file("stderr.txt")).unwrap_or_default();
    assert_eq!(code.trim(), "0", "stderr: {stderr}");
    assert_quiet_about_the_pipe(&stderr);
    sb.assert_tmpdir_empty();
}

#[test]
fn csv_and_markdown_files_hold_every_measurement() {
    let sb = Sandbox::new();
    let csv = sb.file("results.csv");
    let md = sb.file("results.md");
    let mut args: Vec<&str> = QUICK.to_vec();
    let (csv_arg, md_arg) = (csv.to_str().unwrap(), md.to_str().unwrap());
    args.extend(["--csv", csv_arg, "--markdown", md_arg]);
    let (done, doc) = sb.run_json(&args);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let measured = doc["measurements"].as_array().unwrap().len();
    assert_eq!(measured, 4, "2 units × 2 channels");

    let mut reader = csv::Reader::from_path(&csv).expect("CSV written");
    let header = reader.headers().expect("CSV header").clone();
    for column in ["unit", "channel", "size_bytes", "repetition", "median_ns"] {
        assert!(
            header.iter().any(|h| h == column),
            "no {column} column: {header:?}"
        );
    }
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("CSV rows parse");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let of = |kind: &str| -> Vec<&csv::StringRecord> {
        rows.iter().filter(|r| &r[col("row")] == kind).collect()
    };
    assert_eq!(
        of("repetition").len(),
        measured,
        "one CSV row per measurement"
    );
    assert_eq!(of("combined").len(), 4, "one combined row per combination");
    assert_eq!(rows.len(), measured + 4, "{rows:?}");
    let mut combos: Vec<(String, String)> = of("combined")
        .iter()
        .map(|r| (r[col("unit")].to_string(), r[col("channel")].to_string()))
        .collect();
    combos.sort();
    assert_eq!(
        combos,
        [
            ("processes", "pipe"),
            ("processes", "unix"),
            ("threads", "pipe"),
            ("threads", "unix"),
        ]
        .map(|(u, c)| (u.to_string(), c.to_string()))
    );
    for r in &rows {
        assert_eq!(r.len(), header.len(), "ragged row: {r:?}");
        let median: f64 = r[col("median_ns")].parse().expect("median is a number");
        assert!(median > 0.0, "{r:?}");
    }

    let markdown = std::fs::read_to_string(&md).expect("Markdown written");
    assert!(markdown.starts_with('#'), "{markdown}");
    for (unit, channel) in combos {
        assert!(
            markdown
                .lines()
                .any(|l| l.starts_with(&format!("| {unit} | {channel} |"))),
            "no Markdown row for {unit} × {channel}:\n{markdown}"
        );
    }
}
