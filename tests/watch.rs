//! `exitscan watch` as a process: SIGKILL / SIGTERM and restart with the same
//! `--state-dir` across a rotation, `--poll` of the real kubectl against a fake
//! API server, and the latency from an appended line to `/metrics`.

mod common;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn signal(&self, sig: &str) {
        let ok =
            Command::new("kill").args([sig, &self.0.id().to_string()]).status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "kill {sig}");
    }

    /// Waits for the process to exit; returns its status code.
    fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let t = Instant::now();
        loop {
            if let Ok(Some(s)) = self.0.try_wait() {
                return s.code();
            }
            assert!(t.elapsed() < within, "still running after {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn watch(args: &[&str], stdout: &Path) -> Proc {
    let out = std::fs::File::create(stdout).expect("stdout file");
    Proc(
        Command::new(bin())
            .arg("watch")
            .args(args)
            .env("KUBECONFIG", "/dev/null")
            .stdout(out)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn exitscan watch"),
    )
}

fn records_in(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn by_code(recs: &[serde_json::Value]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in recs.iter().filter(|r| r["repeat"] == false) {
        *m.entry(r["raw_exit_code"].to_string()).or_insert(0) += 1;
    }
    m
}

/// genlogs' CRI output in units that keep a describe excerpt together.
fn units(log: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut last: Vec<u8> = Vec::new();
    for line in log.split_inclusive(|&b| b == b'\n') {
        let ts = line.split(|&b| b == b' ').next().unwrap_or_default().to_vec();
        match out.last_mut() {
            Some(u) if ts == last => u.extend_from_slice(line),
            _ => out.push(line.to_vec()),
        }
        last = ts;
    }
    out
}

fn append(path: &Path, units: &[Vec<u8>]) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).expect("open");
    for u in units {
        f.write_all(u).expect("append");
    }
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(t.elapsed() < within, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn truth_by_code(data: &[u8]) -> BTreeMap<String, u64> {
    let re = regex::bytes::Regex::new(
        r"Exit Code: +([0-9]+)|exitCode=([0-9]+)|exited with code ([0-9]+)|Exited \(([0-9]+)\)",
    )
    .expect("regex");
    let mut m = BTreeMap::new();
    for c in re.captures_iter(data) {
        let code = (1..=4).find_map(|i| c.get(i)).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
        *m.entry(code.unwrap_or_default()).or_insert(0) += 1;
    }
    m
}

#[test]
fn sigkill_rotation_restart_then_sigterm_restart() {
    let work = tempfile::tempdir().expect("tempdir");
    let (log, _) = genlogs(work.path(), "cri", "2M", 51, &["--event-rate", "0.02"]);
    let all = units(&std::fs::read(&log).expect("log"));
    let dir = work.path().join("logs");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let state = work.path().join("state");
    let live = dir.join("app.log");
    let glob = format!("{}/*", dir.display());
    // Checkpoints are rare here: run 1 dies long before its next one, so run 2
    // re-reads what run 1 already reported.
    let args = [
        "--output",
        "json",
        "--state-dir",
        state.to_str().expect("path"),
        "--checkpoint-interval",
        "10s",
        "--poll-interval",
        "50ms",
        &glob,
    ];
    let (a, rest) = all.split_at(all.len() * 2 / 5);
    let (b, c) = rest.split_at(rest.len() / 2);

    // Run 1: killed mid-stream.
    let out1 = work.path().join("run1.jsonl");
    let mut p1 = watch(&args, &out1);
    std::thread::sleep(Duration::from_millis(300));
    for chunk in a.chunks(a.len() / 20 + 1) {
        append(&live, chunk);
        std::thread::sleep(Duration::from_millis(15));
    }
    std::thread::sleep(Duration::from_millis(150));
    p1.signal("-KILL");
    p1.wait_exit(Duration::from_secs(5));

    // Rotation while nobody watches; the rest goes to a new file.
    std::fs::rename(&live, dir.join("app.log.1")).expect("rotate");
    append(&live, b);

    // Run 2: resumes both files from the checkpoint.
    let written: Vec<u8> = a.iter().chain(b.iter()).flatten().copied().collect();
    let want = truth_by_code(&written);
    let total: u64 = want.values().sum();
    let out2 = work.path().join("run2.jsonl");
    let mut p2 = watch(&args, &out2);
    wait_for("run 2 to catch up", Duration::from_secs(30), || {
        let n: u64 =
            by_code(&records_in(&out1)).values().sum::<u64>() + by_code(&records_in(&out2)).values().sum::<u64>();
        n >= total
    });
    std::thread::sleep(Duration::from_millis(400));
    p2.signal("-TERM");
    assert_eq!(p2.wait_exit(Duration::from_secs(3)), Some(0), "SIGTERM exits 0 within a second or two");
    let (r1, r2) = (records_in(&out1), records_in(&out2));
    let mut got = by_code(&r1);
    for (k, v) in by_code(&r2) {
        *got.entry(k).or_insert(0) += v;
    }
    assert_eq!(got, want, "counted records of both runs = what was written");
    // Whatever run 2 read again (after run 1's last checkpoint) is marked repeat.
    let repeats = r2.iter().filter(|r| r["repeat"] == true).count();
    eprintln!("run 1: {} records; run 2: {} records, {repeats} re-read and marked repeat", r1.len(), r2.len());
    assert!(!r1.is_empty(), "run 1 reported before it was killed");
    assert_eq!(repeats, r1.len(), "everything run 1 reported was read again by run 2, and only marked repeat");

    // Run 3 after a clean SIGTERM: reads only what is new, re-reads nothing.
    append(&live, c);
    let want_c = truth_by_code(&c.iter().flatten().copied().collect::<Vec<u8>>());
    let out3 = work.path().join("run3.jsonl");
    let mut p3 = watch(&args, &out3);
    wait_for("run 3 to catch up", Duration::from_secs(30), || {
        by_code(&records_in(&out3)).values().sum::<u64>() >= want_c.values().sum()
    });
    std::thread::sleep(Duration::from_millis(300));
    p3.signal("-TERM");
    assert_eq!(p3.wait_exit(Duration::from_secs(3)), Some(0));
    let r3 = records_in(&out3);
    assert_eq!(by_code(&r3), want_c);
    assert_eq!(r3.iter().filter(|r| r["repeat"] == true).count(), 0, "after SIGTERM nothing is re-read");
}

/// Puts the Pod `shop/web-1` where `tests/e2e/kube/fake_apiserver.py` serves
/// it from, atomically (the server may be reading it during a poll).
fn put_pod(data: &Path, restarts: u64, finished: &str, code: i64) {
    let pod = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-1", "namespace": "shop"},
        "status": {"containerStatuses": [{
            "containerID": "containerd://current", "name": "app", "restartCount": restarts,
            "lastState": {"terminated": {"exitCode": code, "reason": "Error", "finishedAt": finished,
                                         "containerID": format!("containerd://run{restarts}")}},
            "state": {"running": {"startedAt": finished}}
        }]}
    });
    let dir = data.join("pods/shop");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join(".web-1.tmp"), pod.to_string()).expect("pod");
    std::fs::rename(dir.join(".web-1.tmp"), dir.join("web-1.json")).expect("rename");
}

#[test]
fn poll_counts_snapshots_once_and_restart_jumps_as_missed() {
    if Command::new("kubectl").arg("version").arg("--client").output().is_err() {
        panic!("kubectl is needed (preinstalled on the build machines)");
    }
    let work = tempfile::tempdir().expect("tempdir");
    let data = work.path().join("api");
    put_pod(&data, 3, "2024-01-28T09:05:11Z", 1);
    let portfile = work.path().join("port");
    let _api = Proc(
        Command::new("python3")
            .arg(repo().join("tests/e2e/kube/fake_apiserver.py"))
            .arg(&data)
            .arg(&portfile)
            .stderr(Stdio::null())
            .spawn()
            .expect("fake API server"),
    );
    wait_for("the fake API server's port", Duration::from_secs(10), || portfile.exists());
    let port = std::fs::read_to_string(&portfile).expect("port");
    let cmd = format!(
        "kubectl --server http://127.0.0.1:{} --cache-dir {} get pods -A -o json",
        port.trim(),
        work.path().join("kcache").display()
    );
    let metrics = work.path().join("m.prom");
    let out = work.path().join("out.jsonl");
    let mut p = watch(
        &[
            "--output",
            "json",
            "--poll",
            &cmd,
            "--every",
            "400ms",
            "--metrics-file",
            metrics.to_str().expect("path"),
            "--metrics-interval",
            "100ms",
        ],
        &out,
    );
    wait_for("three snapshots", Duration::from_secs(30), || records_in(&out).len() >= 3);
    // Three restarts later, only the last termination is visible: two were missed.
    put_pod(&data, 6, "2024-01-28T09:15:11Z", 2);
    wait_for("the new snapshot", Duration::from_secs(30), || records_in(&out).iter().any(|r| r["raw_exit_code"] == 2));
    wait_for("more snapshots", Duration::from_secs(30), || {
        records_in(&out).iter().filter(|r| r["raw_exit_code"] == 2).count() >= 2
    });
    p.signal("-TERM");
    assert_eq!(p.wait_exit(Duration::from_secs(3)), Some(0));
    let recs = records_in(&out);
    let counted: Vec<_> = recs.iter().filter(|r| r["repeat"] == false).collect();
    assert_eq!(counted.len(), 2, "each termination counted once: {recs:#?}");
    assert!(recs.iter().filter(|r| r["repeat"] == true).count() >= 2);
    let mut text = String::new();
    std::fs::File::open(&metrics).expect("metrics file").read_to_string(&mut text).expect("read");
    let value = |name: &str| -> f64 {
        text.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    };
    assert_eq!(value("exitscan_container_exits_total"), 2.0, "{text}");
    assert_eq!(value("exitscan_missed_terminations_total"), 2.0, "{text}");
    assert!(value("exitscan_repeats_total") >= 2.0);
}

/// Cloud snapshots polled again and again (`aws ecs describe-tasks`, `aws
/// batch describe-jobs`, `az container show`, `nomad alloc status -json`,
/// Airflow's pod dump, `docker service ps`): every record carries a finish
/// time, a container id or a swarm task's ID, so each termination is counted
/// once however often it is printed.
#[test]
fn polled_cloud_snapshots_count_each_termination_once() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("out.jsonl");
    let metrics = work.path().join("m.prom");
    let inputs = [
        "ecs-describe-tasks.txt",
        "aws-batch-describe-jobs.txt",
        "azure-container-show.txt",
        "nomad-alloc-status-json.txt",
        "airflow-pod-repr.txt",
        "docker-swarm.txt",
    ];
    let mut args: Vec<String> =
        ["--output", "json", "--every", "300ms", "--metrics-interval", "100ms"].map(String::from).to_vec();
    args.extend(["--metrics-file".to_string(), metrics.display().to_string()]);
    let mut once = 0;
    for f in inputs {
        let path = repo().join("tests/golden").join(f);
        once += std::fs::read_to_string(path.with_extension("txt.expected")).expect("expected").lines().count();
        args.extend(["--poll".to_string(), format!("cat {}", path.display())]);
    }
    assert!(once >= 10, "{once}");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut p = watch(&args, &out);
    wait_for("three snapshots of each", Duration::from_secs(30), || records_in(&out).len() >= 3 * once);
    p.signal("-TERM");
    assert_eq!(p.wait_exit(Duration::from_secs(3)), Some(0));
    let recs = records_in(&out);
    let counted = recs.iter().filter(|r| r["repeat"] == false).count();
    assert_eq!(counted, once, "each termination counted once: {recs:#?}");
    let mut text = String::new();
    std::fs::File::open(&metrics).expect("metrics file").read_to_string(&mut text).expect("read");
    let total: f64 = text
        .lines()
        .filter(|l| l.starts_with("exitscan_container_exits_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(total, once as f64, "{text}");
}

#[test]
fn appended_line_reaches_metrics_fast() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("pods/shop_web-1_uid/app");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("0.log");
    std::fs::write(&file, b"").expect("create");
    let mut child = Command::new(bin())
        .args(["watch", "--output", "none", "--listen", "127.0.0.1:0", "--poll-interval", "5s"])
        .arg(format!("{}/pods/**/*.log", work.path().display()))
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stderr.take().expect("stderr")).read_line(&mut line).expect("stderr");
    let p = Proc(child);
    let addr = line.trim().rsplit("http://").next().unwrap_or_default().to_string();
    let count = || -> f64 {
        let Ok(mut s) = std::net::TcpStream::connect(&addr) else { return -1.0 };
        let _ = write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body);
        body.lines()
            .filter(|l| l.starts_with("exitscan_container_exits_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    wait_for("the server", Duration::from_secs(10), || count() >= 0.0);
    std::thread::sleep(Duration::from_millis(200));
    let mut lat = Vec::new();
    for i in 0..10 {
        let before = count();
        let t = Instant::now();
        append(&file, &[format!("2024-01-28T09:05:{i:02}.1Z stdout F web-{i} exited with code 1\n").into_bytes()]);
        wait_for("the counter", Duration::from_secs(5), || count() > before);
        lat.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    lat.sort();
    eprintln!("append -> /metrics latency: median {:?}, max {:?}", lat[lat.len() / 2], lat[lat.len() - 1]);
    // inotify, not the 5 s polling timer, must have carried every line.
    assert!(lat[lat.len() - 1] < Duration::from_secs(2), "{lat:?}");
    assert!(lat[lat.len() / 2] < Duration::from_millis(250), "{lat:?}");
    p.signal("-TERM");
}

#[test]
fn sighup_reloads_the_knowledge_base() {
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("logs");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("app.log");
    std::fs::write(&file, b"").expect("create");
    let config = work.path().join("kb.toml");
    let entry = |summary: &str| {
        format!("[[code]]\ncode = 3\n[code.en]\nsummary = \"{summary}\"\ndetail = \"d\"\nchecks = [\"c\"]\n[code.zh]\nsummary = \"{summary}\"\ndetail = \"d\"\nchecks = [\"c\"]\n")
    };
    std::fs::write(&config, entry("first meaning")).expect("config");
    let out = work.path().join("out.jsonl");
    let glob = format!("{}/*", dir.display());
    let p = watch(
        &["--output", "json", "--config", config.to_str().expect("path"), "--poll-interval", "100ms", &glob],
        &out,
    );
    std::thread::sleep(Duration::from_millis(300));
    append(&file, &[b"2024-01-28T09:05:11.1Z stdout F web-1 exited with code 3\n".to_vec()]);
    wait_for("the first record", Duration::from_secs(10), || records_in(&out).len() == 1);
    std::fs::write(&config, entry("second meaning")).expect("config");
    p.signal("-HUP");
    std::thread::sleep(Duration::from_millis(300));
    append(&file, &[b"2024-01-28T09:05:12.1Z stdout F web-2 exited with code 3\n".to_vec()]);
    wait_for("the second record", Duration::from_secs(10), || records_in(&out).len() == 2);
    let recs = records_in(&out);
    assert_eq!(recs[0]["cause"]["summary"], "first meaning");
    assert_eq!(recs[1]["cause"]["summary"], "second meaning");
    p.signal("-TERM");
}
