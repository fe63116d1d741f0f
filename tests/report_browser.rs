//! The HTML report, opened in a real headless browser (Debian's chromium,
//! which `.ci/run` installs): it renders with no console errors, every plot
//! is present and non-empty, every SVG is well-formed XML, the bottom line
//! and the at-a-glance chart open the page, and a screenshot
//! is kept under target/ci-artifacts/ for people to look at.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        })
}

fn browser(exe: &Path, profile: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(exe);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .stdin(Stdio::null());
    c
}

/// Every `<svg …>…</svg>` in the page.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            break;
        };
        let end = start + len + "</svg>".len();
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_html_report_has_well_formed_plots_and_renders_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("report.html");
    Command::cargo_bin("pingpong")
        .unwrap()
        .args(["verdict", "--quick", "--html"])
        .arg(&html_path)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let offline = html.replace("http://www.w3.org/2000/svg", "");
    assert!(
        !offline.contains("http://") && !offline.contains("https://"),
        "the report must not load anything from the network"
    );
    let plots = svgs(&html);
    assert!(
        plots.len() >= 3,
        "expected the at-a-glance chart, the CDF and the cost of starting a unit, found {} plots",
        plots.len()
    );
    for svg in &plots {
        let doc = roxmltree::Document::parse(svg)
            .unwrap_or_else(|e| panic!("malformed SVG ({e}): {}", &svg[..svg.len().min(200)]));
        let drawn = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("circle"))
            .count();
        assert!(drawn > 0, "an empty plot: {}", &svg[..svg.len().min(200)]);
    }
    // The page opens with the bottom line and the counts, then the
    // at-a-glance chart: a dot per pinned ratio, 1× marked.
    let summary = html.find("id=\"summary\"").expect("no summary");
    let glance = html.find("id=\"glance\"").expect("no at-a-glance chart");
    let verdicts = html.find("id=\"verdicts\"").expect("no verdicts");
    assert!(
        summary < glance && glance < verdicts,
        "summary, chart, then the verdicts"
    );
    assert!(html.contains("Threads or processes on this machine?"));
    assert!(html.contains("id=\"counts\""), "no counts");
    let chart = &html[glance..];
    let chart = &chart[..chart.find("</figure>").unwrap()];
    let dots = roxmltree::Document::parse(svgs(chart).first().expect("the chart is drawn"))
        .unwrap()
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    assert!(dots > 0, "no dot in the at-a-glance chart");
    assert!(chart.contains("1× = alike"), "1× is not marked");

    let Some(exe) = chromium() else {
        eprintln!(
            "chromium not found: skipping the browser half of this test (.ci/run installs it)"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium: .ci/run installs it"
        );
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", html_path.display());
    let dom = browser(&exe, profile.path())
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let stderr = String::from_utf8_lossy(&dom.stderr);
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(
        console.is_empty(),
        "console messages while rendering: {console:?}"
    );
    let rendered = String::from_utf8_lossy(&dom.stdout);
    assert_eq!(
        svgs(&rendered).len(),
        plots.len(),
        "the browser did not render every plot"
    );
    for id in ["summary", "counts", "glance"] {
        assert!(
            rendered.contains(&format!("id=\"{id}\"")),
            "the browser's page has no {id}"
        );
    }

    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("report.png");
    let _ = std::fs::remove_file(&shot);
    let out = browser(&exe, profile.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,3000")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "the screenshot is empty ({size} bytes)");
    println!("screenshot of the report: {}", shot.display());
}
