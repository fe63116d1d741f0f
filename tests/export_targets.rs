//! Where `--json`, `--csv`, `--markdown` (and the verdict's `--html`) may
//! point: a regular file is rewritten atomically; a FIFO or a character
//! device is written into and stays what it was; a symlink is followed and
//! stays a symlink; a directory, or a file in a directory that does not
//! exist, is refused in one line with exit code 2 before anything is
//! measured, by every subcommand that exports.

mod common;

use common::{Sandbox, HANG_GUARD};
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// A quick run with two measurements, so the exports are rewritten.
const TWO_MEASUREMENTS: &[&str] = &[
    "run",
    "--between",
    "threads",
    "--via",
    "pipe,unix",
    "--rounds",
    "50",
    "--warmup",
    "5",
    "--reps",
    "1",
];

fn args_with<'a>(base: &[&'a str], flag: &'a str, path: &'a Path) -> Vec<&'a str> {
    let mut v = base.to_vec();
    v.extend([flag, path.to_str().expect("utf-8 path")]);
    v
}

#[test]
fn an_export_into_a_fifo_is_written_into_it_once_and_the_fifo_stays_a_fifo() {
    let sb = Sandbox::new();
    let fifo = sb.file("results.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let r = std::fs::File::open(&fifo)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map(|_| text);
            let _ = tx.send(r);
        });
    }
    let done = sb
        .start(&args_with(TWO_MEASUREMENTS, "--json", &fifo))
        .wait(HANG_GUARD);
    // A reader still waiting means pingpong never wrote into the FIFO (the
    // thread is left behind: it blocks in open on a FIFO nobody opens).
    let text = rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("nothing was written into the FIFO: {}", done.describe()))
        .expect("reading the FIFO");
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let meta = std::fs::symlink_metadata(&fifo).expect("the FIFO is still there");
    assert!(
        meta.file_type().is_fifo(),
        "the FIFO was replaced: {meta:?}"
    );
    let doc: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the FIFO carried one JSON document ({e}):\n{text}"));
    assert_eq!(doc["measurements"].as_array().map(Vec::len), Some(2));
    sb.assert_tmpdir_empty();
}

#[test]
fn a_fifo_nobody_reads_is_given_up_after_a_while_with_one_line() {
    let sb = Sandbox::new();
    let fifo = sb.file("unread.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let mut args = args_with(TWO_MEASUREMENTS, "--json", &fifo);
    args[4] = "pipe";
    let done = sb.start(&args).wait(HANG_GUARD);
    assert_eq!(done.code(), Some(1), "{}", done.describe());
    assert!(done.stderr.contains("FIFO"), "{}", done.describe());
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// Makes a character device node like /dev/null (1,3) or /dev/full (1,7),
/// or says why it cannot (only root may, and only where devices are allowed).
fn make_char_device(path: &Path, minor: u64) -> Result<(), String> {
    use nix::sys::stat::{makedev, mknod, Mode, SFlag};
    if !rustix::process::geteuid().is_root() {
        return Err("not root".into());
    }
    mknod(
        path,
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o666),
        makedev(1, minor),
    )
    .map_err(|e| format!("mknod: {e}"))?;
    // A filesystem mounted nodev holds the node but refuses to open it.
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map(|_| ())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            format!("the node cannot be opened here: {e}")
        })
}

#[test]
fn an_export_onto_a_device_node_writes_into_it_and_leaves_the_node() {
    let sb = Sandbox::new();
    let null = sb.file("null");
    let full = sb.file("full");
    if let Err(why) = make_char_device(&null, 3).and_then(|_| make_char_device(&full, 7)) {
        eprintln!("skipped: cannot make a device node ({why})");
        return;
    }
    let done = sb
        .start(&args_with(TWO_MEASUREMENTS, "--json", &null))
        .wait(HANG_GUARD);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    assert!(std::fs::metadata(&null)
        .unwrap()
        .file_type()
        .is_char_device());

    // A device that refuses the bytes is an error, and stays a device.
    let done = sb
        .start(&args_with(TWO_MEASUREMENTS, "--csv", &full))
        .wait(HANG_GUARD);
    assert_eq!(done.code(), Some(1), "{}", done.describe());
    assert_eq!(done.stderr.lines().count(), 1, "{}", done.describe());
    assert!(done.stderr.contains("No space left"), "{}", done.describe());
    assert!(std::fs::metadata(&full)
        .unwrap()
        .file_type()
        .is_char_device());
    sb.assert_tmpdir_empty();
}

#[test]
fn an_export_through_a_symlink_replaces_its_target_and_keeps_the_link() {
    let sb = Sandbox::new();
    let real = sb.file("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = sb.file("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    // A dangling symlink leads to the file it names.
    let dangling = sb.file("dangling.csv");
    std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
    let mut args = args_with(TWO_MEASUREMENTS, "--json", &link);
    args.extend(["--csv", dangling.to_str().unwrap()]);
    let done = sb.start(&args).wait(HANG_GUARD);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    for (l, target) in [(&link, "real.json"), (&dangling, "made.csv")] {
        let meta = std::fs::symlink_metadata(l).unwrap();
        assert!(meta.file_type().is_symlink(), "{l:?} was replaced");
        assert_eq!(std::fs::read_link(l).unwrap(), Path::new(target));
    }
    let doc = common::read_json(&real).expect("the link's target holds the document");
    assert_eq!(doc["measurements"].as_array().map(Vec::len), Some(2));
    let csv = std::fs::read_to_string(sb.file("made.csv")).expect("the dangling link's file");
    assert_eq!(
        csv.lines().count(),
        5,
        "a header, two measurements and their two combinations:\n{csv}"
    );
}

#[test]
fn a_regular_export_keeps_the_permissions_of_the_file_it_replaces() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let private = sb.file("private.json");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut args = args_with(TWO_MEASUREMENTS, "--json", &private);
    args[4] = "pipe";
    let done = sb.start(&args).wait(HANG_GUARD);
    assert_eq!(done.code(), Some(0), "{}", done.describe());
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(common::read_json(&private).is_ok());
}

/// Runs pingpong expecting a usage error before any measurement: exit 2,
/// one line naming `words`, nothing on stdout, quickly.
fn refused_before_measuring(args: &[&str], words: &[&str]) {
    let sb = Sandbox::new();
    let started = Instant::now();
    let done = sb.start(args).wait(HANG_GUARD);
    let took = started.elapsed();
    assert_eq!(done.code(), Some(2), "{args:?}: {}", done.describe());
    assert_eq!(
        done.stderr.lines().count(),
        1,
        "{args:?}: {}",
        done.describe()
    );
    for w in words {
        assert!(done.stderr.contains(w), "{args:?}: {}", done.describe());
    }
    assert!(done.stdout.is_empty(), "{args:?}: {}", done.describe());
    // Refused before anything ran: far quicker than the quickest measurement.
    assert!(
        took < Duration::from_secs(10),
        "{args:?} took {took:?}: {}",
        done.describe()
    );
    sb.assert_tmpdir_empty();
}

#[test]
fn an_export_into_a_missing_directory_is_a_usage_error_before_measuring_for_every_subcommand() {
    let sb = Sandbox::new();
    let missing = sb.file("no-such-dir/out");
    let missing = missing.to_str().unwrap();
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["run", "--duration", "15s", "-r", "1"],
        vec!["faults", "--quick"],
        vec!["python", "--quick"],
    ];
    for e in [
        "spawn",
        "memory",
        "scale",
        "switch",
        "contention",
        "overlap",
        "responsive",
    ] {
        cases.push(vec![e]);
    }
    for case in &cases {
        for flag in ["--json", "--csv", "--markdown"] {
            let mut args = case.clone();
            args.extend([flag, missing]);
            refused_before_measuring(&args, &[flag, "no-such-dir", "does not exist"]);
        }
    }
    for flag in ["--json", "--markdown", "--html"] {
        refused_before_measuring(
            &["verdict", "--quick", flag, missing],
            &[flag, "does not exist"],
        );
    }
}

#[test]
fn an_export_onto_a_directory_is_a_usage_error_naming_it() {
    let sb = Sandbox::new();
    let dir = sb.out.path().to_str().unwrap().to_string();
    refused_before_measuring(
        &["run", "--duration", "15s", "-r", "1", "--json", &dir],
        &["--json", "is a directory"],
    );
    refused_before_measuring(
        &["verdict", "--quick", "--html", &dir],
        &["--html", "is a directory"],
    );
}
