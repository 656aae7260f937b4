//! The binary's contract: exit statuses, errors that name the file, stdin,
//! output kinds, explain, completions, languages.

mod common;

use common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn exit_status_found_none_error() {
    let found = run(&["examples/oomkilled.txt"]);
    assert_eq!(found.status.code(), Some(0), "{}", stderr(&found));
    let none = run_stdin(&[], b"nothing here\njust logs\n");
    assert_eq!(none.status.code(), Some(1));
    assert!(stdout(&none).contains("0 terminations"));
    // A missing file is named; the other file is still scanned; status 2.
    let err = run(&["--output", "json", "no/such/file.log", "examples/oomkilled.txt"]);
    assert_eq!(err.status.code(), Some(2));
    assert!(stderr(&err).contains("no/such/file.log: No such file or directory"), "{}", stderr(&err));
    assert_eq!(records(&err).len(), 1);
    assert!(!stderr(&err).contains("panicked"));
    // A directory is named as one.
    let dir = run(&["tests"]);
    assert_eq!(dir.status.code(), Some(2));
    assert!(stderr(&dir).contains("tests: is a directory"), "{}", stderr(&dir));
}

#[test]
fn stdin_dash_and_json_record() {
    let input = std::fs::read("examples/oomkilled.txt").expect("example");
    let out = run_stdin(&["--output", "json", "-"], &input);
    assert_eq!(out.status.code(), Some(0));
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["source"], "-");
    assert_eq!(r["exit_code"], 137);
    assert_eq!(r["signal_name"], "SIGKILL");
    assert_eq!(r["class"], "signal");
    assert_eq!(r["reason"], "OOMKilled");
    assert_eq!(r["state"], "last_terminated");
    assert_eq!(r["cause"]["id"], "oom-limit");
    assert!(r["cause"]["evidence"].as_array().is_some_and(|e| e.iter().any(|x| x == "reason OOMKilled")));
}

#[test]
fn passthrough_copies_input_and_adds_records() {
    let input = std::fs::read("tests/golden/edge-mixed.txt").expect("fixture");
    let out = run_stdin(&["--output", "passthrough"], &input);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let (json, plain): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with("{\"source\""));
    assert_eq!(plain.join("\n"), String::from_utf8_lossy(&input).trim_end_matches('\n'));
    assert_eq!(json.len(), 8);
    // Each record follows the line that completed it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("{\"source\"") {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let n = v["line"].as_u64().expect("line") as usize;
            let original = String::from_utf8_lossy(&input).lines().nth(n - 1).unwrap_or_default().to_string();
            let before: Vec<&&str> = lines[..i].iter().filter(|x| !x.starts_with("{\"source\"")).collect();
            assert_eq!(before.last().map(|s| s.to_string()), Some(original), "record {l}");
        }
    }
}

#[test]
fn text_output_has_summary() {
    let out = run(&["tests/golden/edge-windows-signal-describe.txt"]);
    let t = stdout(&out);
    assert!(t.contains("exit 3221225477 (printed -1073741819) [windows]"), "{t}");
    assert!(t.contains("exit 139 (SIGSEGV) [signal]"), "{t}");
    assert!(t.trim_end().ends_with("4 terminations: windows 2, signal 1, success 1"), "{t}");
}

#[test]
fn explain_codes_signals_reasons() {
    let out = run(&["explain", "137"]);
    assert_eq!(out.status.code(), Some(0));
    let t = stdout(&out);
    assert!(t.starts_with("exit code 137 [signal] — SIGKILL (9), default action Term"), "{t}");
    assert!(t.contains("What to check:"));
    for (q, needle) in [
        ("-1", "exit code 255"),
        ("3221225477", "STATUS_ACCESS_VIOLATION"),
        ("SIGSEGV", "default action Core"),
        ("OOMKilled", "[reason OOMKilled]"),
        // Waiting reasons: what get pods shows, explained as no termination.
        ("CrashLoopBackOff", "Not a termination"),
        ("imagepullbackoff", "[reason ImagePullBackOff]"),
        ("CreateContainerConfigError", "ConfigMap or Secret"),
    ] {
        let t = stdout(&run(&["explain", q]));
        assert!(t.contains(needle), "explain {q}: {t}");
    }
    let j: serde_json::Value =
        serde_json::from_slice(&run(&["explain", "--output", "json", "143"]).stdout).expect("json");
    assert_eq!(j["signal_name"], "SIGTERM");
    assert_eq!(j["class"], "signal");
    let zh = stdout(&run(&["explain", "--lang", "zh", "137"]));
    assert!(zh.contains("检查项"), "{zh}");
    let bad = run(&["explain", "SIGNOPE"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("explain SIGNOPE"));
}

#[test]
fn chinese_causes_in_records() {
    let en = records(&run(&["--output", "json", "examples/oomkilled.txt"]));
    let zh = records(&run(&["--output", "json", "--lang", "zh", "examples/oomkilled.txt"]));
    assert_eq!(en[0]["cause"]["id"], zh[0]["cause"]["id"]);
    let s = zh[0]["cause"]["summary"].as_str().unwrap_or_default();
    assert!(s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{s}");
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout(&out).contains("exitscan"), "{shell}");
    }
}

#[test]
fn usage_errors_are_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[code]]\ncode = 1\n[code.en]\nsummary = \"x\"\ndetial = \"typo\"\n").expect("write");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--format".into(), "nope".into(), "examples/oomkilled.txt".into()], "--format nope: unknown format"),
        (vec!["--config".into(), bad.display().to_string(), "examples/oomkilled.txt".into()], "bad.toml: "),
        (vec!["--listen".into(), "not-an-address".into(), "examples/oomkilled.txt".into()], "--listen not-an-address"),
        (vec!["--metric-labels".into(), "node".into(), "examples/oomkilled.txt".into()], "--metric-labels node"),
    ];
    for (args, needle) in cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&a);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {e}");
        assert!(e.contains(needle), "{a:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{a:?}: {e}");
        assert!(!e.contains("panicked"));
    }
    // The bad config names the line and the key.
    let e = stderr(&run(&["--config", bad.to_str().unwrap_or_default(), "examples/oomkilled.txt"]));
    assert!(e.contains("line 5") && e.contains("detial"), "{e}");
}

#[test]
fn port_in_use_is_reported() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let out = run(&["--listen", &addr, "examples/oomkilled.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("Address already in use"), "{}", stderr(&out));
}

#[test]
fn forced_formats() {
    let input = b"Jan 28 09:05:11 n kubelet[1]: \"Generic (PLEG): container finished\" containerID=\"a1\" exitCode=1\nweb-1 exited with code 3\n2024-01-28T09:05:11Z stdout F web-2 exited with code 4\n";
    let codes = |args: &[&str]| -> Vec<i64> {
        records(&run_stdin(args, input)).iter().filter_map(|r| r["raw_exit_code"].as_i64()).collect()
    };
    assert_eq!(codes(&["--output", "json"]), vec![1, 3, 4]);
    assert_eq!(codes(&["--output", "json", "--format", "kubelet"]), vec![1]);
    assert_eq!(codes(&["--output", "json", "--format", "docker"]), vec![3, 4]);
    let out = run_stdin(&["--output", "json", "--format", "cri"], input);
    assert_eq!(records(&out).len(), 1);
    let e = stderr(&out);
    assert!(e.contains("-:1: cri: not a line of this format") && e.contains("-:2: cri:"), "{e}");
    // Orchestrators' documents (here ECS) are read when their format is forced.
    let ecs = br#"{"tasks": [{"containers": [{
    "containerArn": "arn:aws:ecs:r:1:container/c/t/x",
    "taskArn": "arn:aws:ecs:r:1:task/c/t",
    "name": "web",
    "lastStatus": "STOPPED",
    "exitCode": 137
}]}]}
"#;
    let out = run_stdin(&["--output", "json", "--format", "orchestrator"], ecs);
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{}", stderr(&out));
    assert_eq!((recs[0]["container"].as_str(), recs[0]["format"].as_str()), (Some("web"), Some("orchestrator")));
    assert!(records(&run_stdin(&["--output", "json", "--format", "kubelet"], ecs)).is_empty());
}

/// Passthrough over many reads (the buffer is compacted many times): every
/// input byte comes out unchanged, with exactly the records `--output json` finds.
#[test]
fn passthrough_of_a_large_stream_is_lossless() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, _) = genlogs(dir.path(), "mixed", "6M", 3, &["--event-rate", "0.01"]);
    let input = std::fs::read(&log).expect("log");
    let out = run(&["--output", "passthrough", log.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut plain = Vec::new();
    let mut recs = 0;
    for line in out.stdout.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"{\"source\"") {
            recs += 1;
        } else {
            plain.extend_from_slice(line);
        }
    }
    assert!(plain == input, "passthrough changed the input ({} vs {} bytes)", plain.len(), input.len());
    assert_eq!(recs, records(&run(&["--output", "json", log.to_str().expect("path")])).len());
    assert!(recs > 20);
}

/// The size exitscan widens a pipe to: 1 MiB, or the most
/// `/proc/sys/fs/pipe-max-size` allows an unprivileged process.
#[cfg(target_os = "linux")]
fn widened_pipe_size() -> i32 {
    let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 20);
    [1 << 20, 1 << 19, 1 << 18].into_iter().find(|&s| s <= max).unwrap_or(1 << 18)
}

/// The size of the pipe `fd` is an end of.
#[cfg(target_os = "linux")]
fn pipe_size(fd: std::os::fd::RawFd) -> i32 {
    // SAFETY: F_GETPIPE_SZ on a descriptor we hold open reads its size.
    unsafe { libc::fcntl(fd, libc::F_GETPIPE_SZ) }
}

/// A pipe on stdin is widened to hold a whole read (Linux allows an
/// unprivileged process 1 MiB by default), so that `cat big.log | exitscan`
/// reads in large chunks; what flows through is unchanged.
#[cfg(target_os = "linux")]
#[test]
fn stdin_pipe_widened() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let want = widened_pipe_size();
    let mut child = spawn_piped(&["--output", "json", "-"]);
    let mut stdin = child.stdin.take().expect("stdin");
    let fd = stdin.as_raw_fd();
    let size = || pipe_size(fd);
    // (64 KiB by default; one page once the user's pipes pass
    // `pipe-user-pages-soft`.)
    assert!(size() < want, "a new pipe is smaller than a read: {}", size());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while size() != want && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(size(), want, "pipe size once exitscan reads it");
    let input = std::fs::read("examples/oomkilled.txt").expect("example");
    stdin.write_all(&input).expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(records(&out).len(), 1);
}

/// A pipe exitscan writes its records into is widened too, before the
/// first record: the size read from our end of the real pipe.
#[cfg(target_os = "linux")]
#[test]
fn stdout_pipe_widened() {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    let want = widened_pipe_size();
    let mut child = spawn_piped(&["--output", "json", "-"]);
    let mut stdout = child.stdout.take().expect("stdout");
    let fd = stdout.as_raw_fd();
    let input = std::fs::read("examples/oomkilled.txt").expect("example");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&input).expect("write");
    drop(stdin);
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).expect("read");
    // (The pipe outlives the child while we hold its read end.)
    assert_eq!(pipe_size(fd), want, "pipe size after exitscan wrote into it");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1, "{}", String::from_utf8_lossy(&out));
}

/// UTF-16 with a byte order mark (PowerShell's `>` writes UTF-16LE) reads
/// like the same text in UTF-8, across many transcoding buffers and reads.
#[test]
fn utf16_reads_like_utf8() {
    let pod = std::fs::read_to_string("examples/oomkilled.txt").expect("example");
    let text = pod.repeat(2000);
    let want = run_stdin(&["--output", "json", "-"], text.as_bytes());
    assert_eq!(want.status.code(), Some(0), "{}", stderr(&want));
    assert_eq!(records(&want).len(), 2000);
    let le: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let be: Vec<u8> = [0xfe, 0xff].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    assert!(le.len() > 4 << 20);
    for (name, bytes) in [("le", le), ("be", be)] {
        let got = run_stdin(&["--output", "json", "-"], &bytes);
        assert_eq!(got.status.code(), Some(0), "{name}: {}", stderr(&got));
        assert!(got.stdout == want.stdout, "{name}: output differs from UTF-8's");
    }
}

/// Many small files (read on the scanning thread, one buffer for all) and a
/// large one between them (read ahead on a thread of its own): every record
/// of every file, each named by its file, in the order the files were given.
#[test]
fn many_small_files_and_a_large_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pod = std::fs::read_to_string("examples/oomkilled.txt").expect("example");
    let mut names = Vec::new();
    for i in 0..300 {
        let path = dir.path().join(format!("pod-{i:03}.txt"));
        let text = if i == 150 {
            // Larger than a read (768 KiB): 600 pods.
            pod.repeat(600)
        } else {
            format!("{pod}2024-01-28T09:00:0{}Z stdout F web-{i} exited with code {}\n", i % 10, i % 7)
        };
        std::fs::write(&path, text).expect("write");
        names.push(path.display().to_string());
    }
    let args: Vec<&str> = ["--output", "json"].into_iter().chain(names.iter().map(String::as_str)).collect();
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = records(&out);
    assert_eq!(recs.len(), 299 * 2 + 600);
    let mut want = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let n = if i == 150 { 600 } else { 2 };
        want.extend(std::iter::repeat_n(name.as_str(), n));
    }
    let got: Vec<&str> = recs.iter().map(|r| r["source"].as_str().unwrap_or_default()).collect();
    assert_eq!(got, want);
    // Each small file's own line, after its pod: its code.
    let codes: Vec<i64> =
        recs.iter().filter(|r| r["format"] != "describe").filter_map(|r| r["raw_exit_code"].as_i64()).collect();
    let want: Vec<i64> = (0..300).filter(|&i| i != 150).map(|i| i % 7).collect();
    assert_eq!(codes, want);
}

/// Gzip (kubelet's compressed rotations) is read decompressed, from a file
/// whatever its name and from stdin; one cut short gives the records before
/// the cut and an error naming the file.
#[test]
fn gzip_read_decompressed() {
    use std::io::Write;
    let pod = std::fs::read_to_string("examples/oomkilled.txt").expect("example");
    let text = pod.repeat(400);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let strip = |o: &std::process::Output| -> Vec<serde_json::Value> {
        records(o)
            .into_iter()
            .map(|mut r| {
                r["source"] = serde_json::Value::Null;
                r
            })
            .collect()
    };
    let want = strip(&run_stdin(&["--output", "json", "-"], text.as_bytes()));
    assert_eq!(want.len(), 400);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("0.log.20240128-090511");
    std::fs::write(&file, &gz).expect("write");
    let from_file = run(&["--output", "json", file.to_str().expect("utf-8 path")]);
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    assert_eq!(strip(&from_file), want);
    assert_eq!(strip(&run_stdin(&["--output", "json", "-"], &gz)), want);

    let cut = dir.path().join("cut.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).expect("write");
    let out = run(&["--output", "json", cut.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cut.gz: "), "{}", stderr(&out));
    let got = strip(&out);
    assert!(got.len() > 100 && got.len() < 400, "{} records", got.len());
    assert_eq!(got[..], want[..got.len()]);
}
