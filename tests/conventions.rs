//! The conventions users bring from hyperfine and perf: clap's suggestions
//! reach them, `-` is standard output, `--export-*` are aliases, files and
//! terminal name things alike and count repetitions from 1, placement is
//! columns in the CSV with a combined row per combination, the run table
//! fits the terminal, `run --quick` is accepted, and skipped combinations
//! are listed once.

mod common;

use common::Sandbox;

/// A short local rally: two units over a pipe, two repetitions.
const SHORT: &[&str] = &[
    "run",
    "--between",
    "threads,processes",
    "--via",
    "pipe",
    "--rounds",
    "300",
    "--warmup",
    "20",
    "--reps",
    "2",
];

fn with<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&'a str> = SHORT.to_vec();
    v.extend_from_slice(more);
    v
}

#[test]
fn a_mistyped_subcommand_is_one_line_with_clap_s_suggestion() {
    let out = common::pingpong().arg("verdcit").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'verdcit'") && err.contains("'verdict'"),
        "{err}"
    );
}

#[test]
fn hyperfine_s_runs_is_answered_with_a_tip_naming_reps() {
    let out = common::pingpong()
        .args(["run", "--runs", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("'--runs'") && err.contains("--reps"), "{err}");
    // A near miss still gets clap's own suggestion.
    let out = common::pingpong()
        .args(["run", "--same-cpus"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tip:") && err.contains("'--same-cpu'"),
        "{err}"
    );
}

#[test]
fn json_dash_writes_the_document_alone_on_stdout_and_the_table_on_stderr() {
    let sb = Sandbox::new();
    let out = sb.pingpong().args(with(&["--json", "-"])).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON alone ({e}): {out:?}"));
    assert_eq!(doc["measurements"].as_array().map(Vec::len), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("median ["),
        "the table is not on stderr: {err}"
    );
    assert!(!sb.out.path().join("-").exists() && !std::path::Path::new("-").exists());
    sb.assert_tmpdir_empty();
}

#[test]
fn csv_dash_writes_csv_on_stdout_and_two_dashes_are_a_usage_error() {
    let sb = Sandbox::new();
    let out = sb.pingpong().args(with(&["--csv", "-"])).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("row,unit,channel,"), "{text}");
    let out = sb
        .pingpong()
        .args(with(&["--json", "-", "--markdown", "-"]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--json") && err.contains("--markdown"),
        "{err}"
    );
}

#[test]
fn hyperfine_s_export_flags_are_aliases() {
    let sb = Sandbox::new();
    let (json, csv, md) = (sb.file("r.json"), sb.file("r.csv"), sb.file("r.md"));
    let out = sb
        .pingpong()
        .args(with(&[
            "--export-json",
            json.to_str().unwrap(),
            "--export-csv",
            csv.to_str().unwrap(),
            "--export-markdown",
            md.to_str().unwrap(),
        ]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for f in [&json, &csv, &md] {
        assert!(f.exists(), "{} not written", f.display());
    }
}

#[test]
fn the_csv_counts_repetitions_from_1_puts_placement_in_columns_and_adds_a_combined_row() {
    let sb = Sandbox::new();
    let csv_path = sb.file("r.csv");
    let (done, doc) = sb.run_json(&with(&["--csv", csv_path.to_str().unwrap()]));
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column: {header:?}"))
    };
    assert!(!header.iter().any(|h| h == "placement"), "{header:?}");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let reps: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[col("row")] == "repetition")
        .collect();
    let mut numbers: Vec<&str> = reps.iter().map(|r| &r[col("repetition")]).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers, ["1", "2"], "repetitions count from 1");
    for r in &reps {
        for c in [
            "ping_cpu_first",
            "ping_cpu_last",
            "pong_cpu_first",
            "pong_cpu_last",
        ] {
            r[col(c)]
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{c}: {r:?}"));
        }
        assert!(
            ["same-cpu", "two-cpus", "moved"].contains(&&r[col("ran")]),
            "{r:?}"
        );
    }
    // The placement columns are the JSON's figures.
    let m = &doc["measurements"][0];
    let first = reps[0];
    assert_eq!(
        first[col("ping_cpu_first")],
        m["ping"]["cpu_first"].to_string()
    );
    assert_eq!(&first[col("ran")], m["ran"].as_str().unwrap());
    let combined: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| &r[col("row")] == "combined")
        .collect();
    assert_eq!(combined.len(), 2, "one combined row per combination");
    for c in combined {
        assert_eq!(&c[col("repetition")], "");
        assert_eq!(&c[col("repetitions")], "2");
        let median: f64 = c[col("median_ns")].parse().unwrap();
        let (lo, hi): (f64, f64) = (
            c[col("rep_median_min_ns")].parse().unwrap(),
            c[col("rep_median_max_ns")].parse().unwrap(),
        );
        assert!(lo <= hi && median > 0.0, "{c:?}");
    }
}

#[test]
fn the_files_and_the_terminal_call_them_unit_and_channel() {
    let sb = Sandbox::new();
    let md = sb.file("r.md");
    let out = sb
        .pingpong()
        .args(with(&["--markdown", md.to_str().unwrap()]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let table = String::from_utf8_lossy(&out.stdout);
    let header = table
        .lines()
        .find(|l| l.starts_with('│'))
        .unwrap_or_default();
    assert!(
        header.contains(" unit ") && header.contains(" channel "),
        "{table}"
    );
    assert!(
        !header.contains("between") && !header.contains(" via "),
        "{table}"
    );
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("| unit | channel |"), "{markdown}");
}

#[test]
fn markdown_has_a_relative_column_and_one_time_unit_per_column() {
    let sb = Sandbox::new();
    let md = sb.file("r.md");
    let out = sb
        .pingpong()
        .args([
            "run",
            "--between",
            "threads",
            "--via",
            "pipe,unix",
            "--rounds",
            "300",
        ])
        .args([
            "--warmup",
            "20",
            "--reps",
            "2",
            "--markdown",
            md.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let markdown = std::fs::read_to_string(&md).unwrap();
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| threads |"))
        .collect();
    assert_eq!(rows.len(), 2, "{markdown}");
    let header = markdown
        .lines()
        .find(|l| l.starts_with("| unit |"))
        .unwrap();
    assert!(
        header.contains("| relative |") && header.contains("median ["),
        "{header}"
    );
    let rel = header
        .split('|')
        .position(|c| c.trim() == "relative")
        .unwrap();
    let relative: Vec<&str> = rows
        .iter()
        .map(|r| r.split('|').nth(rel).unwrap().trim())
        .collect();
    assert!(relative.contains(&"1.00"), "{relative:?}");
    for r in &rows {
        assert!(
            !r.contains("µs") && !r.contains(" ns |"),
            "a unit in a cell: {r}"
        );
    }
}

#[test]
fn the_run_table_fits_80_and_120_columns_and_names_the_columns_it_left_out() {
    for width in [80usize, 120] {
        let sb = Sandbox::new();
        let out = sb
            .pingpong()
            .env("COLUMNS", width.to_string())
            .args(SHORT)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "{width} columns, a line of {}:\n{line}\n{text}",
                line.chars().count()
            );
        }
        let row = text
            .lines()
            .find(|l| l.contains(" processes ") && l.contains(" pipe "))
            .unwrap_or_else(|| panic!("no processes row:\n{text}"));
        assert!(row.contains("64 B"), "{row}");
        if width == 80 {
            assert!(text.contains("left out to fit 80 columns: "), "{text}");
        }
    }
}

#[test]
fn run_quick_is_accepted_and_is_short() {
    let sb = Sandbox::new();
    let (done, doc) = sb.run_json(&["run", "--between", "threads", "--quick"]);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let s = &doc["settings"];
    assert_eq!(s["duration_s"], 0.1, "{s}");
    assert_eq!(s["warmup_rounds"], 200, "{s}");
    // Repetitions stay, so repetitions that disagree can still show.
    assert_eq!(s["repetitions"], 3, "{s}");
    // What is given explicitly wins.
    let (done, doc) = sb.run_json(&[
        "run",
        "--between",
        "threads",
        "--quick",
        "--rounds",
        "100",
        "--reps",
        "1",
    ]);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    assert_eq!(doc["settings"]["rounds"], 100);
}

#[test]
fn via_all_lists_the_skipped_combinations_once() {
    let sb = Sandbox::new();
    let out = sb
        .pingpong()
        .env("COLUMNS", "400")
        .args(["run", "--via", "all", "--size", "64,128", "--rounds", "50"])
        .args(["--warmup", "5", "--reps", "2", "--timeout", "20s"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("skipping"),
        "skips said during the run too: {err}"
    );
    let skipped: Vec<&str> = text.lines().filter(|l| l.starts_with("skipped")).collect();
    assert!(!skipped.is_empty(), "{text}");
    // condvar between processes: one mention, whatever the sizes and repetitions.
    let condvar = skipped.iter().filter(|l| l.contains("condvar")).count();
    assert_eq!(condvar, 1, "{skipped:#?}");
    let all = text.matches("condvar cannot run").count() + text.matches("condvar,").count();
    assert_eq!(all, 1, "{text}");
}
