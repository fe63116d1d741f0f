//! A `pingpong serve` child for tests: started on an ephemeral loopback
//! port (or inside a network namespace), its address read from its first
//! line, and killed and reaped when the guard drops, even if a test fails.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_pingpong");

pub struct Server {
    pub child: Child,
    pub addr: String,
    /// What the server logged, collected by a thread until it exits.
    log: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `prefix… pingpong serve args…` and waits (bounded) for its address.
    pub fn start_with(prefix: &[&str], args: &[&str]) -> Server {
        let mut cmd = match prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = cmd
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pingpong serve");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let (ltx, lrx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut s);
            let _ = ltx.send(s);
        });
        let mut server = Server {
            child,
            addr: String::new(),
            log: lrx,
        };
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("serve printed its address");
        server.addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        server
    }

    pub fn start(args: &[&str]) -> Server {
        let mut a = vec!["--listen", "127.0.0.1:0"];
        a.extend_from_slice(args);
        Server::start_with(&[], &a)
    }

    /// Whether the server process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the server and returns what it logged.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.log
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `pingpong run --between hosts --peer ADDR` with a short length.
pub fn client(prefix: &[&str], addr: &str, extra: &[&str]) -> std::process::Output {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    cmd.args([
        "run",
        "--between",
        "hosts",
        "--peer",
        addr,
        "--rounds",
        "2000",
        "--warmup",
        "100",
        "--reps",
        "1",
        "--timeout",
        "30s",
    ])
    .args(extra)
    .output()
    .expect("run the client")
}
