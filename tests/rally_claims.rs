//! The rally claims judged from real documents through `verdict --from`:
//! P7 fails when there is no path between the endpoints and holds, saying
//! they were one machine, over loopback; P11, A3 and A4 read the pinned
//! rallies and `pingpong reach`.

mod common;

use assert_cmd::Command;
use pingpong::document::Document;
use serde_json::Value;
use std::path::Path;

fn pingpong() -> Command {
    Command::cargo_bin("pingpong").expect("binary built")
}

/// Runs `pingpong ARGS --json FILE` (whatever its exit code) and reads the document.
fn measured(dir: &Path, name: &str, args: &[&str]) -> Document {
    let json = dir.join(format!("{name}.json"));
    pingpong()
        .args(args)
        .arg("--json")
        .arg(&json)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    Document::from_value(v).unwrap()
}

/// `verdict --from` a verdict holding these steps: each claim's judgement.
fn judged(steps: Vec<(&str, Document)>) -> Vec<Value> {
    let doc = common::verdict_holding(steps.into_iter().map(|(name, d)| (name, 0, d)).collect());
    common::verdict_from(&doc).1["verdicts"]
        .as_array()
        .unwrap()
        .clone()
}

fn claim<'a>(verdicts: &'a [Value], id: &str) -> &'a Value {
    &verdicts.iter().find(|v| v["id"] == id).unwrap()["judgement"]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const HOSTS: [&str; 10] = [
    "run",
    "--between",
    "hosts",
    "--via",
    "tcp,udp",
    "--duration",
    "30ms",
    "--reps",
    "1",
    "--peer",
];

#[test]
fn p7_fails_when_no_path_reaches_the_other_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let peer = format!("127.0.0.1:{}", free_port());
    let mut args = HOSTS.to_vec();
    args.push(&peer);
    let doc = measured(dir.path(), "hosts", &args);
    let v = judged(vec![("hosts", doc)]);
    let p7 = claim(&v, "P7");
    assert_eq!(p7["word"]["word"], "fails", "{p7}");
    assert!(p7["rule"].as_str().unwrap().contains("no path"), "{p7}");
}

#[test]
fn p7_holds_over_loopback_and_says_the_endpoints_were_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let peer = format!("127.0.0.1:{port}");
    /// The server, killed and reaped however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let server = Server(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("pingpong"))
            .args(["serve", "--listen", &peer])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Until it listens.
    let t0 = std::time::Instant::now();
    while std::net::TcpStream::connect(&peer).is_err() && t0.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut args = HOSTS.to_vec();
    args.push(&peer);
    let doc = measured(dir.path(), "hosts", &args);
    drop(server);
    let v = judged(vec![("hosts", doc)]);
    let p7 = claim(&v, "P7");
    assert_eq!(p7["word"]["word"], "holds", "{p7}");
    let rule = p7["rule"].as_str().unwrap();
    assert!(rule.contains("one machine, not two hosts"), "{rule}");
    assert!(
        p7["figures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k == "hosts.machines"),
        "{p7}"
    );
}

#[test]
fn pinned_rallies_and_reach_give_p11_a3_and_a4_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let cpus = pingpong::measure::placement::allowed_cpus();
    let rally = |placement: Vec<String>| {
        let mut a: Vec<String> = [
            "run",
            "--between",
            "threads,processes",
            "--via",
            "pipe,futex,spin",
            "--duration",
            "20ms",
            "--warmup",
            "50",
            "--reps",
            "2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(placement);
        a
    };
    let same = rally(vec!["--same-cpu".into(), cpus[0].to_string()]);
    let same: Vec<&str> = same.iter().map(String::as_str).collect();
    let mut steps = vec![
        ("rally.same-cpu", measured(dir.path(), "same", &same)),
        (
            "reach",
            measured(dir.path(), "reach", &["reach", "--quick"]),
        ),
    ];
    if let [a, b, ..] = cpus[..] {
        let two = rally(vec!["--cpus".into(), format!("{a},{b}")]);
        let two: Vec<&str> = two.iter().map(String::as_str).collect();
        steps.push(("rally.two-cpus", measured(dir.path(), "two", &two)));
    }
    let v = judged(steps);
    for id in ["P11", "A3", "A4"] {
        let j = claim(&v, id);
        assert_ne!(j["word"]["word"], "not_measurable", "{id}: {j}");
        for k in j["figures"].as_array().unwrap() {
            let k = k.as_str().unwrap();
            assert!(
                k.starts_with("rally.pinned.") || k.starts_with("reach."),
                "{id} rests on {k}: only pinned rallies and reach may count"
            );
        }
    }
}
