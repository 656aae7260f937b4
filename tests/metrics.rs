//! The exporter: a real Prometheus server scraping the real `/metrics`, counts
//! read back through its HTTP API and compared with genlogs' truth; `promtool`
//! on the exposition; dedupe of repeated snapshots; the series cap.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// A child process stopped by PID when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(addr) else { return (0, String::new()) };
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("read");
    let code = body.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = body.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (code, body)
}

/// Starts `exitscan --listen 127.0.0.1:0 ARGS...` and returns it with the address it serves on.
fn serve(args: &[&str]) -> (Proc, String) {
    let mut child = Command::new(bin())
        .args(["--listen", "127.0.0.1:0", "--output", "none"])
        .args(args)
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn exitscan");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let addr = first.trim().rsplit("http://").next().unwrap_or_default().to_string();
    assert!(addr.starts_with("127.0.0.1:"), "unexpected first line: {first}");
    // Wait for the scan to finish, then keep draining stderr.
    for l in lines.by_ref() {
        if l.map(|l| l.contains("scan done")).unwrap_or(true) {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (Proc(child), addr)
}

fn metric_sum(text: &str, name: &str, filter: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(filter))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[test]
fn promtool_accepts_the_exposition_and_endpoints_behave() {
    let (_p, addr) = serve(&["tests/golden/edge-mixed.txt", "tests/golden/edge-windows-signal-describe.txt"]);
    let (code, body) = http_get(&addr, "/metrics");
    assert_eq!(code, 200);
    assert!(
        body.contains("exitscan_container_exits_total{class=\"windows\",code=\"STATUS_ACCESS_VIOLATION\""),
        "{body}"
    );
    assert!(body.contains("exitscan_build_info{version="));
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (scripts/install-test-deps.sh installs it)");
    promtool.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("write");
    let out = promtool.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(http_get(&addr, "/healthz"), (200, "ok\n".to_string()));
    assert_eq!(http_get(&addr, "/nope").0, 404);
    let mut s = TcpStream::connect(&addr).expect("connect");
    write!(s, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    assert!(resp.starts_with("HTTP/1.1 405"), "{resp}");
}

#[test]
fn sigterm_stops_serving_and_writes_the_textfile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("exitscan.prom");
    let (mut p, addr) = serve(&["--metrics-file", file.to_str().expect("path"), "examples/oomkilled.txt"]);
    assert_eq!(http_get(&addr, "/healthz").0, 200);
    let t = Instant::now();
    let status = Command::new("kill").args(["-TERM", &p.0.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let code = loop {
        if let Some(s) = p.0.try_wait().expect("wait") {
            break s.code();
        }
        assert!(t.elapsed() < Duration::from_secs(5), "still running 5 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&file).expect("textfile written");
    assert_eq!(metric_sum(&text, "exitscan_container_exits_total", "code=\"137\""), 1, "{text}");
    assert!(std::fs::read_dir(dir.path()).expect("dir").count() == 1, "no temp files left behind");
}

#[test]
fn the_same_describe_ten_times_counts_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.prom");
    let one = std::fs::read("tests/golden/lab-describe-exitscan-lab-pod.txt").expect("fixture");
    let mut ten = Vec::new();
    for _ in 0..10 {
        ten.extend_from_slice(&one);
        ten.push(b'\n');
    }
    let out = run_stdin(&["--output", "json", "--metrics-file", file.to_str().expect("path")], &ten);
    let recs = records(&out);
    assert_eq!(recs.len(), 70, "every occurrence is still reported");
    assert_eq!(recs.iter().filter(|r| r["repeat"] == true).count(), 63);
    let text = std::fs::read_to_string(&file).expect("textfile");
    assert_eq!(metric_sum(&text, "exitscan_container_exits_total", ""), 7, "{text}");
    assert_eq!(metric_sum(&text, "exitscan_repeats_total", ""), 63);
}

#[test]
fn series_stay_at_the_cap() {
    let mut input = Vec::new();
    for i in 0..100_000 {
        writeln!(input, "time=\"2024-01-28T09:05:11Z\" msg=\"container terminated\" namespace=ns pod=p-{i} container=c-{i} exitCode=1 reason=Error").expect("write");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("m.prom");
    let out = run_stdin(
        &[
            "--output",
            "none",
            "--metric-labels",
            "container",
            "--max-series",
            "1000",
            "--metrics-file",
            file.to_str().expect("path"),
        ],
        &input,
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).expect("textfile");
    let series = text.lines().filter(|l| l.starts_with("exitscan_container_exits_total{")).count();
    assert_eq!(series, 1001, "1000 real series plus one container=\"other\"");
    assert_eq!(metric_sum(&text, "exitscan_container_exits_total", ""), 100_000);
    assert_eq!(metric_sum(&text, "exitscan_series_folded_total", ""), 99_000);
}

/// A real Prometheus scrapes exitscan every second; its query API must give
/// exactly the genlogs truth per exit code.
#[test]
fn real_prometheus_reads_back_exact_counts() {
    let work = tempfile::tempdir().expect("tempdir");
    let (log, truth) = genlogs(work.path(), "kubelet", "4M", 31, &["--event-rate", "0.01"]);
    let (_exitscan, addr) = serve(&[log.to_str().expect("path")]);
    let prom_port = free_port();
    let config = work.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: exitscan\n    static_configs:\n      - targets: ['{addr}']\n"),
    )
    .expect("config");
    let data = work.path().join("data");
    let _prom = Proc(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (scripts/install-test-deps.sh installs it)"),
    );
    let prom = format!("127.0.0.1:{prom_port}");
    let total = truth["exit_events"]["total"].as_u64().expect("total");
    let query = |q: &str| -> serde_json::Value {
        let path = format!("/api/v1/query?query={}", urlencode(q));
        let (code, body) = http_get(&prom, &path);
        if code != 200 {
            return serde_json::Value::Null;
        }
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
    };
    // The first scrape comes ~6 s after start (service discovery throttling).
    let t = Instant::now();
    loop {
        let v = query("sum(exitscan_container_exits_total)");
        let got = v["data"]["result"][0]["value"][1].as_str().and_then(|s| s.parse::<u64>().ok());
        if got == Some(total) {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "Prometheus never showed {total} exits (last {got:?})");
        std::thread::sleep(Duration::from_millis(500));
    }
    let v = query("sum by (code) (exitscan_container_exits_total)");
    let mut got = std::collections::BTreeMap::new();
    for r in v["data"]["result"].as_array().expect("result") {
        let code = r["metric"]["code"].as_str().expect("code").to_string();
        let n: u64 = r["value"][1].as_str().and_then(|s| s.parse().ok()).expect("value");
        got.insert(code, n);
    }
    let want: std::collections::BTreeMap<String, u64> = truth["exit_events"]["by_code"]
        .as_object()
        .expect("by_code")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(got, want);
    let repeats = query("exitscan_repeats_total");
    assert_eq!(repeats["data"]["result"][0]["value"][1], "0");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
