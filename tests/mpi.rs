//! MPI ranks (`--features mpi`, with Open MPI installed): `pingpong mpi`
//! starts two ranks of pingpong with mpirun; the rally is verified and
//! measured like any other; a stuck or killed rank and Ctrl-C end the job
//! with a clear error within the deadline; nothing is left behind.
//!
//! Without the feature, only the "built without MPI" answer is tested.

mod common;
#[cfg(feature = "mpi")]
mod netns;

use common::pingpong;

#[cfg(not(feature = "mpi"))]
#[test]
fn without_the_mpi_feature_ranks_are_a_usage_error_naming_the_rebuild() {
    for args in [
        vec!["mpi", "--size", "8"],
        vec!["run", "--between", "ranks"],
    ] {
        let out = pingpong().args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("--features mpi"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[cfg(feature = "mpi")]
mod with_mpi {
    use super::*;
    use common::{Proc, Sandbox};
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use serde_json::Value;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// MPI ranks poll: two jobs at once on two CPUs would only slow each
    /// other down, and leftovers are checked between jobs.
    static ONE_JOB: Mutex<()> = Mutex::new(());

    fn one_job() -> std::sync::MutexGuard<'static, ()> {
        ONE_JOB.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Open MPI's files that a job could leave: its session directory and
    /// shared-memory segments, and pingpong's private directory for them.
    fn mpi_leftovers() -> Vec<String> {
        let mut v = Vec::new();
        for dir in ["/dev/shm", "/tmp"] {
            if let Ok(d) = std::fs::read_dir(dir) {
                for e in d.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.starts_with("pingpong-mpi-")
                        || n.starts_with("vader_segment")
                        || n.starts_with("ompi.")
                    {
                        v.push(format!("{dir}/{n}"));
                    }
                }
            }
        }
        v
    }

    /// The ranks (and mpirun) of this sandbox's job, zombies included.
    fn job_processes(sb: &Sandbox) -> Vec<Proc> {
        let tmpdir = format!("TMPDIR={}", sb.tmp.path().display());
        common::processes()
            .into_iter()
            .filter(|p| p.environ_contains(&tmpdir) || p.state == 'Z' && p.comm == "pingpong")
            .collect()
    }

    fn assert_nothing_left(sb: &Sandbox, before: &[String]) {
        common::wait_for("the job's processes to be gone", || {
            job_processes(sb).is_empty()
        });
        let now: Vec<String> = mpi_leftovers()
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        assert!(now.is_empty(), "the MPI job left {now:?}");
        sb.assert_tmpdir_empty();
    }

    fn medians(doc: &Value) -> Vec<f64> {
        doc["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["latency"]["median"].as_f64().unwrap())
            .collect()
    }

    #[test]
    fn pingpong_mpi_times_a_verified_rally_and_a_stream_between_two_ranks() {
        let _job = one_job();
        let before = mpi_leftovers();
        let sb = Sandbox::new();
        for pattern in ["rally", "stream"] {
            let (done, doc) = sb.run_json(&[
                "mpi",
                "--size",
                "8,64KiB",
                "--rounds",
                "2000",
                "--reps",
                "2",
                "--pattern",
                pattern,
            ]);
            assert_eq!(done.code(), Some(0), "{}", done.describe());
            let ms = doc["measurements"].as_array().unwrap();
            assert_eq!(ms.len(), 4, "2 sizes × 2 repetitions");
            for m in ms {
                assert_eq!(m["combo"]["unit"], "ranks");
                assert_eq!(m["combo"]["channel"], "mpi");
                assert_eq!(m["verification"]["ok"], true, "{m}");
                assert!(m["verification"]["balls_checked"].as_u64().unwrap() >= 2000);
                assert_eq!(m["verification"]["lost"], 0);
                // Two processes, neither of them the launcher.
                let (ping, pong) = (m["ping"]["pid"].as_u64(), m["pong"]["pid"].as_u64());
                assert_ne!(ping, pong);
                assert_ne!(ping, Some(done.pid as u64));
            }
            assert!(medians(&doc).iter().all(|&x| x > 0.0));
            let peer = doc["peer"]["address"].as_str().unwrap();
            assert!(peer.starts_with("MPI rank 1 on "), "{peer}");
            assert!(
                doc["notes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n.as_str().unwrap().contains("MPI")),
                "the notes name the MPI library"
            );
            assert!(done.stdout.contains("ranks"), "{}", done.stdout);
        }
        assert_nothing_left(&sb, &before);
    }

    #[test]
    fn ranks_started_by_the_users_own_mpirun_play_too_and_check_their_count() {
        let _job = one_job();
        let before = mpi_leftovers();
        let sb = Sandbox::new();
        let json = sb.file("own.json");
        let own = |np: &str, json: &std::path::Path| {
            std::process::Command::new("mpirun")
                .args([
                    "-np",
                    np,
                    "--oversubscribe",
                    common::bin(),
                    "run",
                    "--between",
                    "ranks",
                ])
                .args(["--size", "16", "--rounds", "1000", "--reps", "1", "--json"])
                .arg(json)
                .env("TMPDIR", sb.tmp.path())
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
                .env("OMPI_MCA_orte_tmpdir_base", sb.out.path())
                .env("OMPI_MCA_btl_vader_backing_directory", sb.out.path())
                .output()
                .expect("mpirun")
        };
        let out = own("2", &json);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = common::read_json(&json).unwrap();
        assert_eq!(doc["measurements"][0]["verification"]["ok"], true);
        // Three ranks: one clear error, from rank 0 only.
        let out = own("3", &sb.file("three.json"));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches("exactly 2 MPI ranks").count(), 1, "{err}");
        assert_nothing_left(&sb, &before);
    }

    /// Who gets the signal in [`signal_during_rally`].
    enum Target {
        /// The rank with this number.
        Rank(u32),
        /// `pingpong mpi` itself, as Ctrl-C would.
        Launcher,
    }

    /// Starts a job of one match lasting `duration` within `timeout`, sends
    /// `signal` to `target` once the rally is under way, and returns how the
    /// job ended and how long after the signal.
    fn signal_during_rally(
        sb: &Sandbox,
        target: Target,
        signal: Signal,
        duration: &str,
        timeout: &str,
    ) -> (common::Finished, Duration) {
        let job = sb.start(&[
            "mpi",
            "--size",
            "8",
            "--duration",
            duration,
            "--reps",
            "1",
            "--timeout",
            timeout,
        ]);
        let rank = match target {
            Target::Rank(r) => r,
            Target::Launcher => 0,
        };
        let wanted = format!("OMPI_COMM_WORLD_RANK={rank}");
        let mut rank_pid = 0;
        common::wait_for("the ranks to start", || {
            if let Some(p) = job_processes(sb)
                .into_iter()
                .find(|p| p.comm == "pingpong" && p.environ_contains(&wanted))
            {
                rank_pid = p.pid;
            }
            rank_pid != 0
        });
        let pid = match target {
            Target::Rank(_) => rank_pid,
            Target::Launcher => job.pid(),
        };
        // Past MPI's start-up and into the rally.
        std::thread::sleep(Duration::from_millis(2000));
        kill(Pid::from_raw(pid as i32), signal).unwrap();
        let sent = Instant::now();
        let done = job.wait(Duration::from_secs(40));
        (done, sent.elapsed())
    }

    #[test]
    fn a_stuck_rank_ends_the_job_within_the_deadline_naming_what_it_waited_for() {
        let _job = one_job();
        let before = mpi_leftovers();
        let sb = Sandbox::new();
        // Unhindered, the 4 s match would end well within its 8 s deadline.
        let (done, took) = signal_during_rally(&sb, Target::Rank(1), Signal::SIGSTOP, "4s", "8s");
        assert!(
            took < Duration::from_secs(20),
            "the 8 s deadline took {took:?}"
        );
        assert_ne!(done.code(), Some(0), "{}", done.describe());
        assert!(
            done.stderr
                .contains("rank 0 (ping): the rally (it was waiting for ball #")
                && done.stderr.contains("did not finish within 8s"),
            "{}",
            done.describe()
        );
        assert_nothing_left(&sb, &before);
    }

    #[test]
    fn a_killed_rank_ends_the_job_and_nothing_is_left_behind() {
        let _job = one_job();
        let before = mpi_leftovers();
        let sb = Sandbox::new();
        let (done, took) = signal_during_rally(&sb, Target::Rank(1), Signal::SIGKILL, "20s", "50s");
        assert_ne!(done.code(), Some(0), "{}", done.describe());
        assert!(took < Duration::from_secs(15), "{took:?}");
        assert_nothing_left(&sb, &before);
    }

    #[test]
    fn ctrl_c_stops_the_job_with_exit_code_130() {
        let _job = one_job();
        let before = mpi_leftovers();
        let sb = Sandbox::new();
        let (done, took) = signal_during_rally(&sb, Target::Launcher, Signal::SIGINT, "20s", "50s");
        assert_eq!(done.code(), Some(130), "{}", done.describe());
        assert!(took < Duration::from_secs(15), "{took:?}");
        assert_nothing_left(&sb, &before);
    }

    /// Bytes sent through a namespace's veth end.
    fn tx_bytes(ns: &str, dev: &str) -> u64 {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", ns, "cat"])
            .arg(format!("/sys/class/net/{dev}/statistics/tx_bytes"))
            .output()
            .expect("ip netns exec cat");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    #[test]
    fn ranks_on_two_hosts_made_with_network_namespaces_play_over_tcp() {
        if let Err(why) = netns::can_run() {
            println!("skipped: {why}");
            return;
        }
        let _job = one_job();
        let before = mpi_leftovers();
        let hosts = match netns::Hosts::make("m", 97) {
            Ok(h) => h,
            Err(why) => {
                println!("skipped: cannot make network namespaces here: {why}");
                return;
            }
        };
        let sb = Sandbox::new();
        // mpirun starts rank 1's daemon on the other host through its "rsh
        // agent", ssh by default: here a script that enters b's namespace.
        let agent = sb.file("agent.sh");
        std::fs::write(
            &agent,
            format!(
                "#!/bin/sh\nhost=$1; shift\ncase $host in {}) ns={};; {}) ns={};; *) exit 1;; esac\n\
                 exec ip netns exec $ns /bin/sh -c \"$*\"\n",
                hosts.addr_a, hosts.a, hosts.addr_b, hosts.b
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
        let subnet = format!("{}/24", hosts.addr_a);
        let json = sb.file("hosts.json");
        let sent_before = tx_bytes(&hosts.b, &hosts.dev_b);
        let mut run = std::process::Command::new("ip");
        run.args(["netns", "exec", &hosts.a, "mpirun", "-np", "2", "--quiet"])
            // Each host would bind its one rank to its core 0: the same CPU here.
            .args(["--bind-to", "none"])
            .args(["--host", &format!("{},{}", hosts.addr_a, hosts.addr_b)])
            .args(["--mca", "plm_rsh_agent"])
            .arg(&agent)
            // Across hosts MPI must use the network: no shared memory.
            .args(["--mca", "btl", "tcp,self"])
            .args(["--mca", "btl_tcp_if_include", &subnet])
            .args(["--mca", "oob_tcp_if_include", &subnet])
            .args([
                common::bin(),
                "run",
                "--between",
                "ranks",
                "--size",
                "8,64KiB",
            ])
            .args([
                "--rounds",
                "500",
                "--reps",
                "1",
                "--timeout",
                "20s",
                "--json",
            ])
            .arg(&json)
            .env("TMPDIR", sb.tmp.path())
            .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .env("OMPI_MCA_orte_tmpdir_base", sb.out.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(sb.file("stdout.txt")).unwrap())
            .stderr(std::fs::File::create(sb.file("stderr.txt")).unwrap());
        let mut child = run.spawn().expect("ip netns exec mpirun");
        let until = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > until {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mpirun across the two hosts hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stderr = std::fs::read_to_string(sb.file("stderr.txt")).unwrap_or_default();
        assert!(status.success(), "{status}: {stderr}");
        let doc = common::read_json(&json).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        for m in doc["measurements"].as_array().unwrap() {
            assert_eq!(m["combo"]["unit"], "ranks");
            assert_eq!(m["verification"]["ok"], true, "{m}");
            assert!(m["verification"]["balls_checked"].as_u64().unwrap() >= 1000);
        }
        // The balls crossed the veth: host b sent at least pong's 64 KiB returns.
        let sent = tx_bytes(&hosts.b, &hosts.dev_b) - sent_before;
        assert!(sent > 500 * 65_536, "host b sent only {sent} bytes");
        println!(
            "two hosts over TCP: median round trips {:?} ns (8 B, 64 KiB); host b sent {sent} bytes",
            medians(&doc)
        );
        drop(hosts);
        assert_nothing_left(&sb, &before);
    }

    #[test]
    fn mistakes_are_one_line_before_mpirun_starts() {
        for (args, says) in [
            (vec!["mpi", "--via", "pipe"], "--via mpi"),
            (vec!["mpi", "--between", "threads"], "leave out --between"),
            (
                vec!["mpi", "--mpirun", "/nonexistent/mpirun"],
                "openmpi-bin",
            ),
            (
                vec!["mpi", "--size", "8", "--hosts", "a,b"],
                "before the run options",
            ),
            (vec!["run", "--between", "ranks"], "pingpong mpi"),
            (vec!["run", "--via", "mpi"], "--between ranks"),
        ] {
            let out = pingpong().args(&args).assert().code(2);
            let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
            assert!(err.contains(says), "{args:?}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        }
    }
}
