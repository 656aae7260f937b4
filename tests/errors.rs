//! Errors a person can act on, beyond tests/cli.rs (missing file, directory,
//! bad --config, bad --listen, port in use): inputs that exist but cannot be
//! read, a knowledge-base file that cannot be read, a metrics file that cannot
//! be written, a full stdout.
//!
//! Each gives exactly one stderr line that names the file and the cause, exit
//! status 2, no panic and no backtrace (the binary runs with RUST_BACKTRACE=1,
//! so a panic would show one), and the other inputs are still scanned.
//!
//! The tests run as root, for whom permissions do not stop reads. Real
//! unreadable cases are used instead: `/proc/self/mem` (open succeeds, the
//! first read fails with EIO), a Unix socket (open fails with ENXIO), and the
//! binary run as user nobody with `setpriv --reuid=65534 --regid=65534
//! --clear-groups` (util-linux) on files it may not read or write; those are
//! skipped, with a note, where setpriv is missing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn example() -> PathBuf {
    common::repo().join("examples/oomkilled.txt")
}

fn run(args: &[&str]) -> Output {
    Command::new(common::bin())
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run exitscan")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status 2, one stderr line holding every needle, no panic, no backtrace.
#[track_caller]
fn one_clear_line(o: &Output, needles: &[&str]) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit status: {e}");
    let lines: Vec<&str> = e.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one stderr line: {e:?}");
    for n in needles {
        assert!(lines[0].contains(n), "{n:?} missing from {:?}", lines[0]);
    }
    assert!(lines[0].starts_with("exitscan: "), "{:?}", lines[0]);
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!e.contains(bad), "{bad}: {e}");
    }
    lines[0].to_string()
}

/// The record of examples/oomkilled.txt is on stdout: the good input was still scanned.
#[track_caller]
fn still_scanned(o: &Output) {
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("exit 137 (SIGKILL)"), "the other file was not scanned: {out}");
}

#[test]
fn a_file_whose_read_fails() {
    // Opening /proc/self/mem works; reading at offset 0 fails with EIO.
    let ex = example();
    let o = run(&["--quiet", "/proc/self/mem", ex.to_str().expect("path")]);
    one_clear_line(&o, &["/proc/self/mem: Input/output error"]);
    still_scanned(&o);
}

#[test]
fn a_socket_cannot_be_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("exitscan.sock");
    let _l = std::os::unix::net::UnixListener::bind(&sock).expect("bind a unix socket");
    let ex = example();
    let o = run(&["--quiet", sock.to_str().expect("path"), ex.to_str().expect("path")]);
    one_clear_line(&o, &[sock.to_str().expect("path")]);
    still_scanned(&o);
}

#[test]
fn a_socket_is_named_as_one() {
    // ENXIO ("No such device or address") for a path that exists does not say
    // what is wrong; a person needs to hear that it is a socket.
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("exitscan.sock");
    let _l = std::os::unix::net::UnixListener::bind(&sock).expect("bind a unix socket");
    let o = run(&["--quiet", sock.to_str().expect("path")]);
    one_clear_line(&o, &[sock.to_str().expect("path"), "socket"]);
}

#[test]
fn a_file_name_too_long() {
    let long = format!("/{}", "a".repeat(300));
    let ex = example();
    let o = run(&["--quiet", &long, ex.to_str().expect("path")]);
    one_clear_line(&o, &["File name too long"]);
    still_scanned(&o);
}

#[test]
fn config_that_cannot_be_read() {
    let ex = example();
    let ex = ex.to_str().expect("path");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    // A directory, and a file whose read fails.
    one_clear_line(&run(&["--quiet", "--config", d, ex]), &[d, "Is a directory"]);
    one_clear_line(&run(&["--quiet", "--config", "/proc/self/mem", ex]), &["/proc/self/mem", "Input/output error"]);
    // Not valid UTF-8.
    let bin = dir.path().join("bin.toml");
    std::fs::write(&bin, b"[[code]]\ncode = 1\n\xff\xfe\n").expect("write");
    one_clear_line(&run(&["--quiet", "--config", bin.to_str().expect("path"), ex]), &["bin.toml"]);
}

#[test]
fn config_io_errors_read_like_the_others() {
    // Every other I/O error drops Rust's "(os error N)" suffix (app::io_reason).
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("path");
    let ex = example();
    let line = one_clear_line(&run(&["--quiet", "--config", d, ex.to_str().expect("path")]), &[d]);
    assert!(!line.contains("(os error"), "{line}");
}

#[test]
fn metrics_file_that_cannot_be_written() {
    let ex = example();
    let ex = ex.to_str().expect("path");
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no/such/dir/m.prom");
    let o = run(&["--quiet", "--metrics-file", missing.to_str().expect("path"), ex]);
    one_clear_line(&o, &["m.prom", "No such file or directory"]);
    still_scanned(&o);
    let under_file = format!("{ex}/m.prom");
    let o = run(&["--quiet", "--metrics-file", &under_file, ex]);
    one_clear_line(&o, &[&under_file, "Not a directory"]);
    still_scanned(&o);
    // Nothing was left behind in the directory that does exist.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn stdout_that_is_full() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let ex = example();
    let o = Command::new(common::bin())
        .args(["--quiet", "--output", "json", ex.to_str().expect("path")])
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("run exitscan");
    one_clear_line(&o, &["stdout: No space left on device"]);
}

// ---- as user nobody -----------------------------------------------------------

/// A copy of the binary in a directory nobody may enter, and that directory.
struct AsNobody {
    dir: tempfile::TempDir,
    bin: PathBuf,
}

impl AsNobody {
    fn new() -> Option<AsNobody> {
        let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].into_iter().find(|p| Path::new(p).exists())?;
        let _ = setpriv;
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let bin = dir.path().join("exitscan");
        std::fs::copy(common::bin(), &bin).expect("copy the binary");
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let ok = dir.path().join("ok.txt");
        std::fs::copy(example(), &ok).expect("copy example");
        std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let a = AsNobody { dir, bin };
        // Probe: can we switch users here (root, or CAP_SETUID)?
        let probe = a.cmd(&["--version"]).output().ok()?;
        if !probe.status.success() {
            eprintln!("skipped: setpriv cannot switch to nobody here: {}", stderr(&probe));
            return None;
        }
        Some(a)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&self.bin)
            .args(args)
            .current_dir(self.dir.path())
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("setpriv exitscan")
    }
}

#[test]
fn files_nobody_may_read() {
    let Some(n) = AsNobody::new() else {
        eprintln!("skipped: setpriv is not available");
        return;
    };
    // A root-owned file with mode 0600.
    let secret = n.path("secret.log");
    std::fs::write(&secret, "web-1 exited with code 3\n").expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = n.run(&["--quiet", "secret.log", "ok.txt"]);
    one_clear_line(&o, &["secret.log: Permission denied"]);
    still_scanned(&o);
    // A readable file in a directory nobody may enter.
    let private = n.path("private");
    std::fs::create_dir(&private).expect("mkdir");
    std::fs::write(private.join("x.log"), "web-1 exited with code 3\n").expect("write");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let o = n.run(&["--quiet", "private/x.log", "ok.txt"]);
    one_clear_line(&o, &["private/x.log: Permission denied"]);
    still_scanned(&o);
    // The only input unreadable: nothing found, still status 2 (an error), not 1.
    let o = n.run(&["--quiet", "--output", "json", "secret.log"]);
    one_clear_line(&o, &["secret.log: Permission denied"]);
}

#[test]
fn config_and_metrics_file_nobody_may_use() {
    let Some(n) = AsNobody::new() else {
        eprintln!("skipped: setpriv is not available");
        return;
    };
    let cfg = n.path("kb.toml");
    std::fs::write(&cfg, "").expect("write");
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    one_clear_line(&n.run(&["--quiet", "--config", "kb.toml", "ok.txt"]), &["kb.toml", "Permission denied"]);
    // The metrics file goes to a directory nobody may write (the 0755 root-owned one).
    let o = n.run(&["--quiet", "--metrics-file", "m.prom", "ok.txt"]);
    one_clear_line(&o, &["m.prom: cannot create a temporary file in", "Permission denied"]);
    still_scanned(&o);
    assert!(!n.path("m.prom").exists());
}
