//! `pingpong mpi [RUN OPTIONS]`: starts the two ranks of `pingpong run
//! --between ranks` with `mpirun -np 2`, so users need not write the
//! mpirun line themselves, and bounds and cleans up after the job.
//!
//! What it adds to a bare `mpirun`: the run options are checked before
//! anything starts (a mistake is one line and exit code 2, not two ranks'
//! errors); with Open MPI on one machine, its session directory and
//! shared-memory segments go into a private directory that is removed
//! afterwards, so nothing is left in /dev/shm or /tmp even when a rank is
//! killed; the job has a deadline; Ctrl-C is passed on to mpirun, and
//! mpirun is killed if it does not end in time (the ranks die with it, see
//! `rank::die_with_parent`).

use crate::cli::{MpiArgs, RunArgs};
use crate::error::{usage, Interrupted};
use crate::subprocess::deathsig::{self, BeforeExec};
use crate::subprocess::reap::{self, Cut, Waited};
use crate::subprocess::{reexec, tempdir, Deadline};
use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Time for mpirun to start both ranks and for them to end, beyond the matches.
const START: Duration = Duration::from_secs(60);
/// How long mpirun gets to end the job after SIGINT or SIGTERM.
const GRACE: Duration = Duration::from_secs(10);

/// The run options of `pingpong mpi`, parsed as `pingpong run` parses them.
#[derive(Parser)]
#[command(name = "pingpong mpi", no_binary_name = true)]
struct RankRun {
    #[command(flatten)]
    run: RunArgs,
}

/// The launcher's own options, which must come before the run options.
const OWN: [&str; 3] = ["--mpirun", "--hosts", "--mpirun-arg"];

/// Parses the run options; returns them with `--between ranks`, and whether
/// `--between` was given (then it is passed on as it is).
fn parse_run(words: &[String]) -> Result<(RunArgs, bool)> {
    let m = RankRun::command()
        .try_get_matches_from(words)
        .map_err(|e| {
            if let Some(own) = words
                .iter()
                .find(|w| OWN.iter().any(|o| w.split('=').next() == Some(*o)))
            {
                return usage(format!(
                    "{own} is an option of pingpong mpi itself: put it before the run options"
                ));
            }
            let text = e.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid run options")
                .trim_start_matches("error: ")
                .to_string();
            usage(format!("{first} (see pingpong run --help)"))
        })?;
    let given = m.value_source("between") == Some(ValueSource::CommandLine);
    let mut run = RankRun::from_arg_matches(&m)
        .map_err(|e| usage(e.to_string()))?
        .run;
    if given && run.between.trim() != "ranks" {
        return Err(usage(
            "pingpong mpi plays between two MPI ranks: leave out --between (or give --between ranks)",
        ));
    }
    run.between = "ranks".into();
    Ok((run, given))
}

/// Which MPI the launcher belongs to, from `mpirun --version`.
fn is_open_mpi(mpirun: &std::path::Path) -> bool {
    Command::new(mpirun)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("Open MPI"))
        .unwrap_or(false)
}

/// Finds the launcher on PATH (or as given).
fn find(name: &str) -> Result<PathBuf> {
    let not_found = || {
        usage(format!(
            "{name} not found: install an MPI (Debian: apt install openmpi-bin libopenmpi-dev) or give --mpirun PATH"
        ))
    };
    if name.contains('/') {
        let p = PathBuf::from(name);
        return if p.is_file() { Ok(p) } else { Err(not_found()) };
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .ok_or_else(not_found)
}

/// The mpirun command line, ranks included (for tests and the error message).
fn command_line(
    a: &MpiArgs,
    mpirun: &std::path::Path,
    open_mpi: bool,
    exe: &std::path::Path,
    between_given: bool,
) -> Vec<String> {
    let mut v = vec![mpirun.display().to_string(), "-np".into(), "2".into()];
    if open_mpi {
        // The ranks say what went wrong; mpirun's boxed advice only repeats it.
        v.push("--quiet".into());
    }
    if let Some(h) = &a.hosts {
        v.extend(["--host".into(), h.clone()]);
    } else if open_mpi {
        // One machine: do not refuse to start when it has fewer than two cores.
        v.push("--oversubscribe".into());
    }
    if open_mpi && !a.mpirun_args.iter().any(|x| x.starts_with("--bind-to")) {
        // Placement is pingpong's (--cpus, --same-cpu), as in every other run.
        v.extend(["--bind-to".into(), "none".into()]);
    }
    v.extend(a.mpirun_args.iter().cloned());
    v.push(exe.display().to_string());
    v.push("run".into());
    if !between_given {
        v.extend(["--between".into(), "ranks".into()]);
    }
    v.extend(a.run.iter().cloned());
    v
}

/// Runs `pingpong mpi`; returns mpirun's exit code.
pub fn run(a: &MpiArgs) -> Result<i32> {
    if !super::BUILT {
        return Err(super::not_built());
    }
    let (run, between_given) = parse_run(&a.run)?;
    let plan = super::plan(&run)?;
    if a.hosts.as_deref().is_some_and(|h| h.trim().is_empty()) {
        return Err(usage(
            "--hosts is empty: give two hosts, e.g. --hosts node1,node2",
        ));
    }
    let mpirun = find(&a.mpirun)?;
    let open_mpi = is_open_mpi(&mpirun);
    let exe = reexec::exe()?;
    let line = command_line(a, &mpirun, open_mpi, &exe, between_given);
    let mut cmd = Command::new(&line[0]);
    cmd.args(&line[1..]).stdin(Stdio::null());
    // Open MPI's own files, on one machine, go where they can always be removed.
    let private = if a.hosts.is_none() && open_mpi {
        let dir = private_dir()?;
        for var in [
            "OMPI_MCA_orte_tmpdir_base",
            "PRTE_MCA_prte_tmpdir_base",
            "OMPI_MCA_btl_vader_backing_directory",
            "OMPI_MCA_btl_sm_backing_directory",
        ] {
            cmd.env(var, dir.path());
        }
        Some(dir)
    } else {
        None
    };
    if open_mpi && rustix::process::geteuid().is_root() {
        // Open MPI refuses root unless told twice; pingpong's ranks do nothing
        // a root process should not (and a user who runs pingpong as root chose so).
        for var in ["OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] {
            if std::env::var_os(var).is_none() {
                cmd.env(var, "1");
            }
        }
    }
    // Its own process group: Ctrl-C reaches pingpong, which passes it on
    // once, rather than mpirun and both ranks at once.
    cmd.process_group(0);
    // Should pingpong die, mpirun is told as by Ctrl-C's SIGTERM, and ends
    // the job (the ranks die with it, see `rank::die_with_parent`).
    deathsig::arm(&mut cmd, BeforeExec::dying_with(Signal::SIGTERM));
    let matches = plan.cells.len() as u32 * plan.reps;
    let bound = START + plan.timeout * matches;
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {}", line[0]))?;
    let pid = Pid::from_raw(child.id() as i32);
    let status = wait(pid, bound)?;
    drop(private);
    match status {
        Ended::Status(WaitStatus::Exited(_, code)) => Ok(code),
        Ended::Status(other) => anyhow::bail!("{} ended with {other:?}", line[0]),
        Ended::Interrupted => Err(anyhow::Error::new(Interrupted)),
        Ended::TimedOut => anyhow::bail!(
            "the MPI job did not end within {} (--timeout for each of its {matches} matches, plus {}): \
             mpirun and both ranks were stopped",
            humantime::format_duration(bound),
            humantime::format_duration(START)
        ),
    }
}

/// A private directory for Open MPI's files, in /dev/shm where there is one
/// (its shared-memory segments belong in memory), removed on drop.
fn private_dir() -> Result<tempfile::TempDir> {
    let shm = std::path::Path::new(tempdir::SHM);
    match tempdir::private_in(shm, "pingpong-mpi-") {
        Ok(d) => Ok(d),
        Err(_) => tempdir::private("pingpong-mpi-")
            .context("making a private directory for Open MPI's files"),
    }
}

enum Ended {
    Status(WaitStatus),
    Interrupted,
    TimedOut,
}

/// Waits for mpirun until `bound`; passes Ctrl-C on once; kills it when it
/// does not end within the grace after that or after the deadline. Always reaps it.
fn wait(pid: Pid, bound: Duration) -> Result<Ended> {
    let (signal, why) = match reap::wait(pid, &Deadline::after(bound), true)? {
        Waited::Ended(status) => return Ok(Ended::Status(status)),
        Waited::Cut(Cut::Interrupted) => (Signal::SIGINT, Ended::Interrupted),
        Waited::Cut(Cut::Deadline) => (Signal::SIGTERM, Ended::TimedOut),
    };
    let _ = kill(pid, signal);
    // Within the grace, mpirun ends the job; past it, it is killed.
    reap::wait_or_kill(pid, &Deadline::after(GRACE), false).context("waiting for mpirun to end")?;
    Ok(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn mpi_args(line: &str) -> MpiArgs {
        #[derive(Parser)]
        struct Cmd {
            #[command(flatten)]
            mpi: MpiArgs,
        }
        Cmd::try_parse_from(std::iter::once("mpi").chain(line.split_whitespace()))
            .unwrap()
            .mpi
    }

    #[test]
    fn run_options_are_those_of_pingpong_run_with_ranks_between() {
        let (run, given) = parse_run(&words("--size 8 --rounds 100")).unwrap();
        assert_eq!(run.between, "ranks");
        assert_eq!(run.via(), "mpi");
        assert!(!given);
        assert!(parse_run(&words("--between ranks")).unwrap().1);
        let e = parse_run(&words("--between threads")).err().unwrap();
        assert_eq!(crate::error::exit_code(&e), 2);
        let e = parse_run(&words("--size 8 --hosts a,b")).err().unwrap();
        assert!(e.to_string().contains("before the run options"), "{e}");
        let e = parse_run(&words("--sise 8")).err().unwrap();
        assert!(e.to_string().contains("--sise"), "{e}");
        assert!(!e.to_string().starts_with("error:"), "main adds that: {e}");
    }

    #[test]
    fn mpirun_gets_two_ranks_of_pingpong_itself_placed_by_pingpong() {
        let a = mpi_args("--size 8 --json out.json");
        let exe = std::path::Path::new("/bin/pingpong");
        let line = command_line(&a, std::path::Path::new("mpirun"), true, exe, false);
        assert_eq!(
            line.join(" "),
            "mpirun -np 2 --quiet --oversubscribe --bind-to none /bin/pingpong run --between ranks --size 8 --json out.json"
        );
        let a = mpi_args("--hosts n1,n2 --mpirun-arg=--bind-to --mpirun-arg=core --between ranks");
        let line = command_line(&a, std::path::Path::new("mpirun"), true, exe, true);
        assert_eq!(
            line.join(" "),
            "mpirun -np 2 --quiet --host n1,n2 --bind-to core /bin/pingpong run --between ranks"
        );
    }

    #[test]
    fn a_missing_mpirun_is_a_usage_error_naming_the_package() {
        let e = find("/nonexistent/mpirun").err().unwrap();
        assert_eq!(crate::error::exit_code(&e), 2);
        assert!(e.to_string().contains("openmpi-bin"));
    }
}
