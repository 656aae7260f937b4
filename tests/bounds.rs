//! Bounded resources: hostile input streamed into the real binary's stdin
//! (generated on the fly by a writer thread, never stored), with the child's
//! peak RSS measured by GNU time (`/usr/bin/time -f %M`, Debian package `time`,
//! installed by scripts/install-test-deps.sh).
//!
//! Every case asserts that
//! - the peak RSS stays under [`RSS_BOUND_KIB`] (96 MiB, with the default
//!   `--max-line-bytes` of 16 MiB; the worst case measured, four CRI/docker
//!   partial streams each held at the 16 MiB cap, peaks at about 75 MiB);
//! - the terminations after the bad part are still found;
//! - what was dropped is counted in `exitscan_dropped_total{why}` of the
//!   `--metrics-file` output and reported once on stderr, not once per line.
//!
//! Cases: 256 MiB of ordinary lines (json and passthrough output), a 1 GiB
//! line, four CRI/docker partial streams that never end, a describe `Message:`
//! that never closes, a describe pod that never ends (300 000 containers), a
//! 1 MiB line of nested brackets in a document, a 48 MiB pod list on one line
//! (read in pieces: every record, nothing cut), many distinct containers (with
//! and without per-container labels).
//!
//! The cases run one at a time (a lock), so that their timings do not mix.
//! "10 million distinct containers" runs 400 000 (the dev-profile binary
//! handles about 50 000 logfmt records a second) and checks that memory does
//! not grow with the count: the peak for 400 000 is compared with the peak for
//! 50 000.

mod common;

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Peak RSS every case must stay under.
const RSS_BOUND_KIB: u64 = 96 * 1024;

static SERIAL: Mutex<()> = Mutex::new(());

struct Run {
    status: ExitStatus,
    stdout: Vec<u8>,
    /// Bytes written to stdout (kept in `stdout` only up to 64 MiB).
    stdout_bytes: u64,
    stderr: String,
    peak_kib: u64,
    took: Duration,
    metrics: String,
}

impl Run {
    fn records(&self) -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&self.stdout)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("JSON record"))
            .collect()
    }

    fn metric(&self, name_and_labels: &str) -> f64 {
        self.metrics
            .lines()
            .filter(|l| l.starts_with(name_and_labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    fn report(&self, case: &str) {
        eprintln!(
            "bounds: {case}: peak RSS {} KiB ({:.1} MiB), {:.2} s, exit {:?}",
            self.peak_kib,
            self.peak_kib as f64 / 1024.0,
            self.took.as_secs_f64(),
            self.status.code()
        );
    }

    fn assert_bounded(&self, case: &str) {
        self.report(case);
        assert!(
            self.peak_kib < RSS_BOUND_KIB,
            "{case}: peak RSS {} KiB is over the bound of {} KiB",
            self.peak_kib,
            RSS_BOUND_KIB
        );
    }

    /// The stderr lines that are not the bare progress (there is none with --quiet).
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| !l.trim().is_empty()).collect()
    }
}

/// Runs `exitscan ARGS --quiet --metrics-file M` under GNU time with `feed`
/// writing its stdin from another thread.
fn run_measured<F>(args: &[&str], feed: F) -> Run
where
    F: FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static,
{
    let time = Path::new("/usr/bin/time");
    assert!(time.exists(), "GNU time is needed: scripts/install-test-deps.sh installs it (Debian package `time`)");
    let dir = tempfile::tempdir().expect("tempdir");
    let tfile = dir.path().join("time.txt");
    let mfile = dir.path().join("m.prom");
    let t0 = Instant::now();
    let mut child = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&tfile)
        .arg(common::bin())
        .args(args)
        .arg("--quiet")
        .arg("--metrics-file")
        .arg(&mfile)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn /usr/bin/time exitscan");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut stdin);
        match feed(&mut w).and_then(|_| w.flush()) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => panic!("writing stdin: {e}"),
        }
    });
    let mut out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        // Keep what a test may look at; count the rest (passthrough of hundreds of MiB).
        let mut v = Vec::new();
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(k) => {
                    n += k as u64;
                    if v.len() < (64 << 20) {
                        v.extend_from_slice(&buf[..k]);
                    }
                }
            }
        }
        (v, n)
    });
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    let status = child.wait().expect("wait");
    let took = t0.elapsed();
    writer.join().expect("writer thread");
    let (stdout, stdout_bytes) = reader.join().expect("reader thread");
    let tline = std::fs::read_to_string(&tfile).unwrap_or_default();
    let peak_kib = tline
        .lines()
        .rev()
        .find_map(|l| l.trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no peak RSS from GNU time: {tline:?}; stderr: {err}"));
    // GNU time prints "Command exited with non-zero status N" into its -o file
    // and the child's stderr stays the child's.
    let metrics = std::fs::read_to_string(&mfile).unwrap_or_default();
    Run { status, stdout, stdout_bytes, stderr: err, peak_kib, took, metrics }
}

fn no_panic(r: &Run) {
    assert!(!r.stderr.contains("panicked"), "panic: {}", r.stderr);
    assert_ne!(r.status.code(), Some(101), "panic exit status: {}", r.stderr);
}

/// A kubelet PLEG line: one termination.
fn pleg(i: usize, code: u32) -> String {
    format!(
        "Jan 28 09:05:11 node-3 kubelet[2231]: I0128 09:05:11.123456    2231 generic.go:334] \"Generic (PLEG): container finished\" podID=\"p\" containerID=\"c{i}\" exitCode={code}\n"
    )
}

/// 256 MiB of ordinary log lines, none holding a termination literal, then one
/// termination: the scanner must not keep what it skipped.
fn ordinary_lines(w: &mut dyn Write) -> io::Result<()> {
    let mut chunk = Vec::with_capacity(1 << 20);
    let mut i = 0u64;
    for _ in 0..256 {
        chunk.clear();
        while chunk.len() < (1 << 20) - 100 {
            writeln!(
                chunk,
                "2024-01-28T09:05:11.{i:09}Z INFO request {i} served in 3ms path=/api/v1/items status=200"
            )?;
            i += 1;
        }
        w.write_all(&chunk)?;
    }
    w.write_all(b"web-3 exited with code 3\n")
}

#[test]
fn ordinary_lines_keep_memory_flat() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_measured(&["--output", "json"], ordinary_lines);
    no_panic(&r);
    r.assert_bounded("256 MiB of lines without a termination");
    let recs = r.records();
    assert_eq!(recs.len(), 1, "the termination at the end");
    assert_eq!(recs[0]["container"], "web-3");
    assert!(r.stderr_lines().is_empty(), "nothing dropped, nothing to say: {:?}", r.stderr_lines());
}

#[test]
fn passthrough_of_ordinary_lines_keeps_memory_flat() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_measured(&["--output", "passthrough"], ordinary_lines);
    no_panic(&r);
    r.assert_bounded("passthrough of 256 MiB of lines");
    assert!(r.stdout_bytes > 255 << 20, "the input is passed through ({} bytes)", r.stdout_bytes);
    assert_eq!(r.metric("exitscan_container_exits_total{"), 1.0);
}

#[test]
fn a_one_gib_line_is_cut_counted_and_reported_once() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let r = run_measured(&["--output", "json"], |w| {
        w.write_all(&pleg(0, 1).into_bytes())?;
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..1024 {
            w.write_all(&chunk)?;
        }
        w.write_all(b"\nweb-1 exited with code 3\n")?;
        w.write_all(pleg(1, 137).as_bytes())
    });
    no_panic(&r);
    r.assert_bounded("1 GiB line");
    let recs = r.records();
    let got: Vec<(u64, i64)> =
        recs.iter().map(|v| (v["line"].as_u64().unwrap_or(0), v["raw_exit_code"].as_i64().unwrap_or(-1))).collect();
    assert_eq!(got, vec![(1, 1), (3, 3), (4, 137)], "records before and after the huge line");
    assert!(r.metric("exitscan_dropped_total{why=\"oversized_line\"}") >= 1.0, "{}", r.metrics);
    let lines = r.stderr_lines();
    assert_eq!(lines.len(), 1, "one stderr line for the cut: {lines:?}");
    assert!(lines[0].contains("longer than --max-line-bytes was cut"), "{lines:?}");
    assert_eq!(r.status.code(), Some(0));
}

#[test]
fn cri_and_docker_pieces_that_never_end() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Four partial streams (CRI stdout/stderr, docker stdout/stderr), 64 MiB each,
    // none ever completed; then plain lines and terminations.
    let r = run_measured(&["--output", "json"], |w| {
        let x = "x".repeat(16 * 1024);
        let pieces = [
            format!("2024-01-28T09:05:11.1Z stdout P {x}\n"),
            format!("2024-01-28T09:05:11.1Z stderr P {x}\n"),
            format!("{{\"log\":\"{x}\",\"stream\":\"stdout\",\"time\":\"2024-01-28T09:05:11Z\"}}\n"),
            format!("{{\"log\":\"{x}\",\"stream\":\"stderr\",\"time\":\"2024-01-28T09:05:11Z\"}}\n"),
        ];
        for i in 0..16_384 {
            w.write_all(pieces[i % 4].as_bytes())?;
        }
        for i in 0..5000 {
            writeln!(w, "plain line {i}")?;
        }
        w.write_all(b"web-3 exited with code 3\n")?;
        w.write_all(pleg(2, 143).as_bytes())
    });
    no_panic(&r);
    r.assert_bounded("partial pieces never completed");
    let codes: Vec<i64> = r.records().iter().filter_map(|v| v["raw_exit_code"].as_i64()).collect();
    assert_eq!(codes, vec![3, 143], "terminations after the pieces");
    assert!(r.metric("exitscan_dropped_total{why=\"stale_partial\"}") >= 1.0, "{}", r.metrics);
    let lines = r.stderr_lines();
    assert_eq!(lines.len(), 1, "one stderr line for the drops: {lines:?}");
    assert!(lines[0].contains("partial log pieces"), "{lines:?}");
}

#[test]
fn a_describe_message_that_never_closes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A describe excerpt cut off inside a `Message:` (a truncated paste), then
    // 20 000 kubelet lines with terminations and one plain one.
    const N: usize = 20_000;
    let r = run_measured(&["--output", "json"], |w| {
        w.write_all(
            b"Name:         web\nNamespace:    shop\nContainers:\n  app:\n    Container ID:  containerd://abc\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n    State:          Terminated\n      Reason:       Error\n      Message:      panic: boom\n",
        )?;
        for i in 0..N {
            w.write_all(pleg(i, 1).as_bytes())?;
        }
        w.write_all(b"web-3 exited with code 3\n")
    });
    no_panic(&r);
    r.assert_bounded("describe Message never closed");
    let recs = r.records();
    let kubelet = recs.iter().filter(|v| v["format"] == "kubelet").count();
    assert!(
        recs.iter().any(|v| v["container"] == "web-3"),
        "the termination after the unterminated describe block is lost ({} records)",
        recs.len()
    );
    // A bounded number of lines (at most 128) may be taken for the message
    // (kubectl prints multi-line messages verbatim); the rest must be found.
    assert!(kubelet >= N - 128, "only {kubelet} of {N} kubelet terminations after the describe block were found");
}

#[test]
fn a_describe_pod_that_never_ends() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // One pod with 300 000 terminated containers and no end (no Events, no next
    // pod): the parser must not hold every record until the pod ends.
    const N: usize = 300_000;
    let r = run_measured(&["--output", "none"], |w| {
        w.write_all(b"Name:         web\nNamespace:    shop\nContainers:\n")?;
        for i in 0..N {
            write!(w, "  c-{i}:\n    State:          Terminated\n      Reason:       Error\n      Exit Code:    1\n")?;
        }
        w.write_all(b"web-3 exited with code 3\n")
    });
    no_panic(&r);
    assert_eq!(r.metric("exitscan_container_exits_total{"), (N + 1) as f64, "every termination counted");
    r.assert_bounded("describe pod with 300 000 containers");
}

#[test]
fn a_deeply_nested_document_line() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // One 1 MiB line of `[` after a docker ExitCode key: the document parser's
    // depth limit must also bound its memory.
    let r = run_measured(&["--output", "json"], |w| {
        w.write_all(b"{\"ExitCode\":1,\"a\":")?;
        w.write_all(&vec![b'['; 1 << 20])?;
        w.write_all(b"}\n")?;
        w.write_all(b"web-3 exited with code 3\n")
    });
    no_panic(&r);
    r.assert_bounded("1 MiB of nested brackets");
    assert!(r.records().iter().any(|v| v["container"] == "web-3"));
}

/// Pods written one after another into one line of compact JSON (`kubectl
/// get --raw /api/v1/pods` of a big cluster): every 8th has a termination.
fn compact_pod_list(pods: usize) -> impl FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static {
    move |w| {
        w.write_all(&pleg(0, 1).into_bytes())?;
        w.write_all(
            b"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[",
        )?;
        for i in 0..pods {
            let last = if i % 8 == 0 {
                format!("{{\"terminated\":{{\"exitCode\":137,\"reason\":\"OOMKilled\",\"message\":\"killed, \\\"oom\\\" {{x}}\",\"startedAt\":\"2026-12-01T09:00:00Z\",\"finishedAt\":\"2026-12-01T09:59:00Z\",\"containerID\":\"containerd://{i:064x}\"}}}}")
            } else {
                "{}".to_string()
            };
            let sep = if i + 1 == pods { "" } else { "," };
            write!(
                w,
                "{{\"metadata\":{{\"name\":\"web-{i}\",\"namespace\":\"ns-{}\",\"labels\":{{\"app\":\"web\",\"pod-template-hash\":\"7d9f8c6b5\"}},\"annotations\":{{\"note\":\"a, \\\"quoted\\\", [b]\"}}}},\"spec\":{{\"containers\":[{{\"name\":\"app\",\"image\":\"registry.example.com/team/app:1.2\",\"resources\":{{\"limits\":{{\"memory\":\"512Mi\"}}}}}}],\"nodeName\":\"node-{}\"}},\"status\":{{\"phase\":\"Running\",\"containerStatuses\":[{{\"name\":\"app\",\"ready\":true,\"restartCount\":{},\"state\":{{\"running\":{{\"startedAt\":\"2026-12-01T10:00:00Z\"}}}},\"lastState\":{last},\"containerID\":\"containerd://{i:064x}\"}}]}}}}{sep}",
                i % 40,
                i % 100,
                i % 7
            )?;
        }
        w.write_all(b"]}\n")?;
        w.write_all(pleg(1, 137).as_bytes())
    }
}

#[test]
fn a_compact_pod_list_on_one_line_longer_than_max_line() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // About 48 MiB on one line, three times --max-line-bytes' default.
    const PODS: usize = 48_000;
    let r = run_measured(&["--output", "json"], compact_pod_list(PODS));
    no_panic(&r);
    r.report("48 MiB pod list on one line");
    let recs = r.records();
    let from_list: Vec<&serde_json::Value> = recs.iter().filter(|v| v["format"] == "pod-json").collect();
    assert_eq!(from_list.len(), PODS / 8, "every termination in the line, none cut off");
    let last = from_list.last().expect("records");
    assert_eq!((last["pod"].as_str(), last["namespace"].as_str()), (Some("web-47992"), Some("ns-32")));
    assert_eq!((last["line"].as_u64(), last["restart_count"].as_u64()), (Some(2), Some(47992 % 7)));
    let lines: Vec<u64> = recs.iter().filter(|v| v["format"] == "kubelet").filter_map(|v| v["line"].as_u64()).collect();
    assert_eq!(lines, vec![1, 3], "the lines around it");
    assert!(r.stderr_lines().is_empty(), "nothing cut: {:?}", r.stderr_lines());
    // Read in pieces, it is never held whole (nor up to the 16 MiB cap).
    assert!(r.peak_kib < 24 * 1024, "peak RSS {} KiB", r.peak_kib);
}

fn logfmt_containers(n: usize) -> impl FnOnce(&mut dyn Write) -> io::Result<()> + Send + 'static {
    move |w| {
        for i in 0..n {
            writeln!(
                w,
                "time=\"2024-01-28T09:05:11Z\" msg=\"container terminated\" namespace=ns pod=p-{i} container=c-{i} exitCode=1"
            )?;
        }
        w.write_all(b"web-3 exited with code 3\n")
    }
}

#[test]
fn many_distinct_containers_keep_memory_flat() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const N: usize = 400_000;
    let small = run_measured(&["--output", "none"], logfmt_containers(N / 8));
    small.report("50 000 distinct containers");
    let big = run_measured(&["--output", "none"], logfmt_containers(N));
    no_panic(&big);
    big.assert_bounded("400 000 distinct containers");
    assert_eq!(big.metric("exitscan_container_exits_total{"), (N + 1) as f64, "every termination counted once");
    assert_eq!(big.metric("exitscan_repeats_total"), 0.0, "distinct containers are no repeats");
    // Memory must not grow with the number of containers (the dedupe memory
    // and the label sets are bounded).
    let growth = big.peak_kib.saturating_sub(small.peak_kib);
    assert!(growth < 24 * 1024, "peak RSS grew by {growth} KiB from {} to {} containers", N / 8, N);
    assert_eq!(big.status.code(), Some(0));
}

#[test]
fn many_distinct_containers_with_label_cap() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    const N: usize = 100_000;
    let r = run_measured(
        &["--output", "none", "--metric-labels", "namespace,pod,container", "--max-series", "1000"],
        logfmt_containers(N),
    );
    no_panic(&r);
    r.assert_bounded("100 000 containers as labels, capped at 1000 series");
    let series = r.metrics.lines().filter(|l| l.starts_with("exitscan_container_exits_total{")).count();
    assert!(series <= 1002, "{series} series over the cap");
    assert_eq!(r.metric("exitscan_container_exits_total{"), (N + 1) as f64);
}
