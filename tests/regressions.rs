//! Regression tests for the bugs the fuzzers and the hardening tests found;
//! their inputs live in tests/regressions/ (see its README.md), fuzz
//! artifacts in tests/regressions/fuzz/<target>/ and are replayed with the
//! same checks as the fuzz target (fuzz/fuzz_targets/<target>.rs).

mod common;
#[path = "common/scan_input.rs"]
mod scan_input;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use exitscan::scan::{scan_bytes, ScanConfig, Scanner};

fn dir() -> PathBuf {
    common::repo().join("tests/regressions")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (line, code, container) of each record.
fn brief(data: &[u8], cfg: ScanConfig) -> Vec<(u64, Option<i64>, Option<String>)> {
    scan_bytes("r", data, cfg)
        .records()
        .iter()
        .map(|r| (r.line, r.raw_exit_code, r.container.as_deref().map(String::from)))
        .collect()
}

/// A Go-style time (`2019-05-16 22:04:19 +0000 UTC`) whose 5-byte offset has a
/// multi-byte character at byte 3 made `util::when::go` slice inside it: a panic
/// on one crafted `startedAt` / `FinishedAt` value (pod JSON, docker inspect).
#[test]
fn go_time_offset_inside_a_character() {
    use exitscan::parse::util::when;
    for s in ["2019-05-16 22:04:19 +0\u{20ac}", "x y +0\u{fffd}", "a b AG\u{fffd}", "a b \u{e9}\u{e9}x"] {
        assert_eq!(when::go(s), None, "{s}");
        assert_eq!(when::any(s), None, "{s}");
    }
    // (file, exit status: the pod JSON holds a termination, the inspect fragment none)
    for (f, want) in [("go-time-offset-not-char-boundary.json", 0), ("go-time-offset-invalid-utf8.txt", 1)] {
        let out = Command::new(common::bin())
            .args(["--quiet", "--output", "json"])
            .arg(dir().join(f))
            .env("RUST_BACKTRACE", "0")
            .stderr(Stdio::piped())
            .output()
            .expect("run exitscan");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{f}: {err}");
        assert_eq!(out.status.code(), Some(want), "{f}: {err}");
    }
}

/// The two lines before libcontainerd's `event=exit` line are read back from
/// the scanner's buffer, which holds more or less history depending on the
/// reads: the record was found with some read sizes and not with others.
/// Looking back must stop at the lookback limit whatever the reads.
#[test]
fn lookback_of_previous_lines_does_not_depend_on_reads() {
    let data = read("prev-lines-beyond-lookback.txt");
    let want = brief(&data, ScanConfig::default());
    for rs in [1usize, 7, 64, 100, 4096, 65_536, 70_000] {
        assert_eq!(brief(&data, ScanConfig { read_size: rs, ..ScanConfig::default() }), want, "read size {rs}");
    }
}

/// A describe excerpt cut off inside `Message:` swallowed every later line,
/// whatever it held, as part of the message: here 151 terminations.
#[test]
fn an_unterminated_describe_message_does_not_swallow_the_rest() {
    let data = read("describe-open-message.txt");
    let recs = brief(&data, ScanConfig::default());
    let after: Vec<_> = recs.iter().filter(|r| r.0 > 11).collect();
    assert!(after.iter().any(|r| r.2.as_deref() == Some("web-3")), "the last line's termination is lost: {recs:?}");
    // kubectl prints multi-line messages verbatim, so some lines may be taken
    // for the message (the kubelet keeps at most 4 KiB, or 80 lines of logs
    // with FallbackToLogsOnError): at most 128 here.
    assert!(after.len() >= 151 - 128, "only {} of 151 terminations after the block were found", after.len());
}

/// `[` × 64 Ki on one line after a docker `ExitCode`: the document parser
/// kept a ~750-byte frame per bracket past its depth limit (a 16 MiB line
/// would take ~12 GiB).
#[test]
fn nesting_past_the_depth_limit_costs_no_memory() {
    let time = Path::new("/usr/bin/time");
    assert!(time.exists(), "GNU time is needed: scripts/install-test-deps.sh installs it");
    let tdir = tempfile::tempdir().expect("tempdir");
    let tfile = tdir.path().join("t");
    let out = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(&tfile)
        .arg(common::bin())
        .args(["--quiet", "--output", "json"])
        .arg(dir().join("doc-depth-bomb.json"))
        .output()
        .expect("run exitscan");
    let kib: u64 = std::fs::read_to_string(&tfile)
        .unwrap_or_default()
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .expect("peak RSS");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"container\":\"web-3\""), "the next line is still scanned");
    assert!(kib < 32 * 1024, "64 Ki brackets took {kib} KiB of memory");
}

/// A `kubectl get pods`-like table whose NAME column comes after STATUS, and a
/// row too short to reach it: `getpods::row` indexed past the row (a panic).
#[test]
fn a_table_row_without_its_name_column() {
    let t = exitscan::parse::getpods::header(b"READY   STATUS   RESTARTS   AGE   NAME").expect("a header");
    let _ = exitscan::parse::getpods::row(&t, b"0/1     Error    0          5m");
    let out = Command::new(common::bin())
        .args(["--quiet", "--output", "json"])
        .arg(dir().join("getpods-name-after-status.txt"))
        .env("RUST_BACKTRACE", "0")
        .stderr(Stdio::piped())
        .output()
        .expect("run exitscan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
}

// ---- fuzz artifacts ----------------------------------------------------------

fn artifacts(target: &str) -> Vec<PathBuf> {
    let d = dir().join("fuzz").join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The checks of fuzz/fuzz_targets/scan.rs, with the read-size comparison done
/// for every lookback.
fn replay_scan(input: &[u8]) {
    let Some((cfg, chunk, data)) = scan_input::decode(input) else {
        return;
    };
    let read_size = cfg.read_size;
    let read = brief(data, cfg.clone());
    let mut s = Scanner::new("r", cfg.clone());
    let mut c = exitscan::scan::Collect::default();
    for piece in data.chunks(chunk) {
        s.feed(piece, &mut c);
    }
    s.finish(&mut c);
    let mut enc = exitscan::sink::JsonEncoder::default();
    for r in c.records() {
        let mut out = Vec::new();
        enc.encode(&mut out, r);
        serde_json::from_slice::<serde_json::Value>(&out).expect("record JSON parses");
    }
    let longest = data.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap_or(0);
    if longest < cfg.max_line.min(8 << 10) {
        let fed: Vec<_> =
            c.records().iter().map(|r| (r.line, r.raw_exit_code, r.container.as_deref().map(String::from))).collect();
        assert_eq!(read, fed, "read {read_size} vs fed {chunk}");
        assert_eq!(read, brief(data, ScanConfig { read_size: 1 << 20, ..cfg }), "read {read_size} vs 1 MiB");
    }
}

#[test]
fn fuzz_artifacts_of_the_scan_target() {
    let files = artifacts("scan");
    assert!(!files.is_empty(), "tests/regressions/fuzz/scan is empty");
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("artifact");
        if let Err(e) = std::panic::catch_unwind(|| replay_scan(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!(
                "{}: {}",
                f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                msg.lines().next().unwrap_or("")
            ));
        }
    }
    assert!(failed.is_empty(), "{} of {} artifacts fail:\n{}", failed.len(), files.len(), failed.join("\n"));
}

/// The getpods fuzz target: a header, then rows.
fn replay_getpods(data: &[u8]) {
    let mut table = None;
    for line in data.split(|&b| b == b'\n') {
        match (&table, exitscan::parse::getpods::header(line)) {
            (None, Some(t)) => table = Some(t),
            (Some(t), _) => {
                let _ = exitscan::parse::getpods::row(t, line);
            }
            _ => {}
        }
    }
}

#[test]
fn fuzz_artifacts_of_the_getpods_target() {
    let files = artifacts("getpods");
    assert!(!files.is_empty(), "tests/regressions/fuzz/getpods is empty");
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data = std::fs::read(f).expect("artifact");
            std::panic::catch_unwind(|| replay_getpods(&data)).is_err()
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{} of {} artifacts fail: {failed:?}", failed.len(), files.len());
}
