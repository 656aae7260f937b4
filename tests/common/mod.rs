//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_exitscan")
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the checkout (the corpus, genlogs, the lab).
pub fn shared() -> PathBuf {
    let p = repo().join("../shared");
    assert!(p.join("tools/genlogs.py").exists(), "these tests need ../shared beside the checkout (see README)");
    p
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).current_dir(repo()).output().expect("run exitscan")
}

/// exitscan started with `args`, its stdin, stdout and stderr pipes.
pub fn spawn_piped(args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn exitscan")
}

pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait exitscan");
    let _ = writer.join();
    out
}

/// The JSON records on stdout.
pub fn records(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("JSON record"))
        .collect()
}

/// Runs `genlogs.py` into `dir`; returns (log, truth JSON).
pub fn genlogs(dir: &Path, format: &str, size: &str, seed: u32, extra: &[&str]) -> (PathBuf, serde_json::Value) {
    let log = dir.join(format!("{format}-{seed}.log"));
    let truth = dir.join(format!("{format}-{seed}.json"));
    let status = Command::new("python3")
        .arg(shared().join("tools/genlogs.py"))
        .args(["--format", format, "--size", size, "--seed", &seed.to_string()])
        .args(extra)
        .arg("-o")
        .arg(&log)
        .arg("--truth")
        .arg(&truth)
        .status()
        .expect("python3 genlogs.py");
    assert!(status.success(), "genlogs failed");
    let t: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth).expect("truth")).expect("truth JSON");
    (log, t)
}
