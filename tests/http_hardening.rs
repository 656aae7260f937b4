//! The HTTP side under abuse (src/server.rs: hyper http1, header read timeout
//! 5 s, 512 connection permits, 16 KiB max buffer), against the real binary:
//! `exitscan --listen 127.0.0.1:0 --output none FILE`, started through
//! `sh -c 'ulimit -n 8192; exec ...'`, in an empty working directory with an
//! empty TMPDIR, stopped with SIGTERM by PID.
//!
//! While each abuse goes on, a normal client probes `GET /metrics` every
//! 250 ms; every probe must be answered (200, a body) within [`PROBE_LIMIT`].
//! The server's peak RSS (VmHWM from /proc/PID/status) must stay under
//! [`RSS_LIMIT_KIB`], it must not write a file anywhere we can see (its cwd and
//! TMPDIR stay empty), and it must stop on SIGTERM.
//!
//! Abuse cases:
//! - slowloris: 600 connections send a request line and then one header byte
//!   every 200 ms, reconnecting when the server drops them (for 8 s);
//! - a flood of 3000 connections that connect and send nothing (for 8 s);
//! - oversized heads: 64 KiB of headers, one 1 MiB header line, 10 000 tiny
//!   headers — each must be refused (431 or a closed connection) within 1 s;
//! - odd requests (other methods, paths with `..`, query strings, HTTP/1.0,
//!   garbage) — 404/405/400, and no file appears.
//!
//! All connections go to 127.0.0.1 only; every loop is bounded in time.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A normal scrape must be answered within this while the abuse goes on.
const PROBE_LIMIT: Duration = Duration::from_millis(1000);
/// The server's peak RSS.
const RSS_LIMIT_KIB: u64 = 96 * 1024;

static SERIAL: Mutex<()> = Mutex::new(());

/// Raises this test process's soft open-file limit to its hard limit (at most
/// 65536): the clients need thousands of sockets.
fn raise_fd_limit() {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let hard = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(4096)
        .min(65536);
    let pid = std::process::id().to_string();
    let _ = Command::new("prlimit").args(["--pid", &pid, &format!("--nofile={hard}:")]).stderr(Stdio::null()).status();
}

struct Server {
    child: Child,
    addr: SocketAddr,
    cwd: tempfile::TempDir,
    tmp: tempfile::TempDir,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        raise_fd_limit();
        let cwd = tempfile::tempdir().expect("tempdir");
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = common::repo().join("examples/oomkilled.txt");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 8192; exec \"$0\" \"$@\"")
            .arg(common::bin())
            .args(["--listen", "127.0.0.1:0", "--output", "none"])
            .arg(&input)
            .current_dir(cwd.path())
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn exitscan");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(
            first.starts_with("exitscan: serving /metrics and /healthz on http://"),
            "unexpected first stderr line: {first}"
        );
        let addr: SocketAddr =
            first.trim().rsplit("http://").next().unwrap_or_default().parse().expect("address on the first line");
        let second = lines.next().and_then(Result::ok).unwrap_or_default();
        assert!(second.contains("scan done"), "unexpected second stderr line: {second}");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let s2 = stderr.clone();
        std::thread::spawn(move || {
            for l in lines.map_while(Result::ok) {
                s2.lock().unwrap_or_else(|e| e.into_inner()).push(l);
            }
        });
        Server { child, addr, cwd, tmp, stderr }
    }

    fn status_kib(&self, key: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    fn peak_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// Nothing written in its cwd or TMPDIR; no stderr line per request.
    fn assert_wrote_nothing(&self) {
        for d in [self.cwd.path(), self.tmp.path()] {
            let names: Vec<_> =
                std::fs::read_dir(d).expect("dir").filter_map(Result::ok).map(|e| e.file_name()).collect();
            assert!(names.is_empty(), "the server wrote {names:?} into {}", d.display());
        }
        let err = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        assert!(err.len() < 5, "the server logged per request: {} stderr lines, first {:?}", err.len(), err.first());
    }

    /// SIGTERM by PID; it must exit 0 within 5 s.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().map(|s| s.success()).unwrap_or(false);
        assert!(ok, "kill -TERM {pid}");
        let t = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                assert_eq!(s.code(), Some(0), "exit status after SIGTERM");
                break;
            }
            if t.elapsed() > Duration::from_secs(5) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("still running 5 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.assert_wrote_nothing();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `GET path` on a new connection: (status, body length, time to the whole response).
fn get(addr: SocketAddr, path: &str, timeout: Duration) -> (u16, usize, Duration) {
    let t = Instant::now();
    let Ok(mut s) = TcpStream::connect_timeout(&addr, timeout) else { return (0, 0, t.elapsed()) };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    if write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").is_err() {
        return (0, 0, t.elapsed());
    }
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp);
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.len()).unwrap_or(0);
    (code, body, t.elapsed())
}

/// Probes GET /metrics every 250 ms until `stop`; returns every latency (or a failure).
fn probe_while(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Result<Duration, String>>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        while !stop.load(Ordering::SeqCst) {
            let (code, body, took) = get(addr, "/metrics", Duration::from_secs(8));
            if code == 200 && body > 0 {
                out.push(Ok(took));
            } else {
                out.push(Err(format!("status {code}, {body} body bytes after {took:?}")));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        out
    })
}

fn summarize(case: &str, probes: &[Result<Duration, String>], server: &Server, extra: &str) -> Duration {
    let ok: Vec<Duration> = probes.iter().filter_map(|p| p.as_ref().ok().copied()).collect();
    let max = ok.iter().max().copied().unwrap_or_default();
    let mut sorted = ok.clone();
    sorted.sort();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    eprintln!(
        "http: {case}: {} probes, {} failed, median {:?}, max {:?}; server RSS {} KiB, peak {} KiB{extra}",
        probes.len(),
        probes.len() - ok.len(),
        median,
        max,
        server.rss_kib(),
        server.peak_kib()
    );
    max
}

#[track_caller]
fn assert_responsive(case: &str, probes: &[Result<Duration, String>]) {
    assert!(!probes.is_empty(), "{case}: no probe ran");
    for (i, p) in probes.iter().enumerate() {
        match p {
            Ok(d) => {
                assert!(*d <= PROBE_LIMIT, "{case}: probe {i} took {d:?} (limit {PROBE_LIMIT:?}); all: {probes:?}")
            }
            Err(e) => panic!("{case}: probe {i} failed: {e}; all: {probes:?}"),
        }
    }
}

#[track_caller]
fn assert_memory(case: &str, server: &Server) {
    let peak = server.peak_kib();
    assert!(peak > 0, "no VmHWM");
    assert!(peak < RSS_LIMIT_KIB, "{case}: server peak RSS {peak} KiB over {RSS_LIMIT_KIB} KiB");
}

#[test]
fn slowloris_does_not_starve_scrapes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start();
    let addr = server.addr;
    assert_eq!(get(addr, "/healthz", Duration::from_secs(2)).0, 200);
    const CONNS: usize = 600;
    const FOR: Duration = Duration::from_secs(8);
    let stop = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicU64::new(0));
    let (stop2, dropped2) = (stop.clone(), dropped.clone());
    let attacker = std::thread::spawn(move || {
        let open = || -> Option<TcpStream> {
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
            s.set_write_timeout(Some(Duration::from_millis(200))).ok()?;
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ").ok()?;
            Some(s)
        };
        let mut conns: Vec<Option<TcpStream>> = (0..CONNS).map(|_| open()).collect();
        let t = Instant::now();
        while t.elapsed() < FOR && !stop2.load(Ordering::SeqCst) {
            for c in conns.iter_mut() {
                let alive = c.as_mut().is_some_and(|s| s.write_all(b"a").is_ok());
                if !alive {
                    if c.is_some() {
                        dropped2.fetch_add(1, Ordering::SeqCst);
                    }
                    *c = open();
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        conns.iter().filter(|c| c.is_some()).count()
    });
    std::thread::sleep(Duration::from_millis(500));
    let probes = probe_while(addr, stop.clone());
    let still_open = attacker.join().expect("attacker");
    stop.store(true, Ordering::SeqCst);
    let probes = probes.join().expect("prober");
    summarize(
        "slowloris x600",
        &probes,
        &server,
        &format!(
            "; {} slow connections dropped by the server, {still_open} open at the end",
            dropped.load(Ordering::SeqCst)
        ),
    );
    assert_memory("slowloris", &server);
    // The header read timeout (5 s) must have cut the slow connections.
    assert!(dropped.load(Ordering::SeqCst) > 0, "no slow connection was ever dropped in 8 s");
    assert_responsive("slowloris", &probes);
    server.stop();
}

#[test]
fn a_connection_flood_does_not_starve_scrapes() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start();
    let addr = server.addr;
    const CONNS: usize = 3000;
    const FOR: Duration = Duration::from_secs(8);
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let flood = std::thread::spawn(move || {
        // Connect and send nothing; reconnect what the server closes.
        let mut conns: Vec<TcpStream> = Vec::new();
        let t = Instant::now();
        let mut opened = 0u64;
        while t.elapsed() < FOR && !stop2.load(Ordering::SeqCst) {
            conns.retain(|s| {
                // Closed by the server (EOF or reset): drop it; no data yet: alive.
                let _ = s.set_nonblocking(true);
                let mut b = [0u8; 1];
                match (&*s).read(&mut b) {
                    Ok(0) => false,
                    Ok(_) => true,
                    Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                }
            });
            while conns.len() < CONNS && t.elapsed() < FOR {
                match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                    Ok(s) => {
                        conns.push(s);
                        opened += 1;
                    }
                    Err(_) => break,
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (opened, conns.len())
    });
    std::thread::sleep(Duration::from_millis(1000));
    let probes = probe_while(addr, stop.clone());
    let (opened, open_at_end) = flood.join().expect("flood");
    stop.store(true, Ordering::SeqCst);
    let probes = probes.join().expect("prober");
    summarize(
        "idle flood x3000",
        &probes,
        &server,
        &format!("; {opened} connections opened, {open_at_end} open at the end"),
    );
    assert_memory("flood", &server);
    assert_responsive("flood", &probes);
    server.stop();
}

/// Sends `head` on a new connection; returns (status or 0 if closed without one, time).
fn send_head(addr: SocketAddr, head: &[u8]) -> (u16, Duration) {
    let t = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    // The server may close while we still write: that is a refusal too.
    let _ = s.write_all(head);
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp);
    let code = if text.starts_with("HTTP/1.") {
        text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    } else {
        0
    };
    (code, t.elapsed())
}

#[test]
fn oversized_heads_are_refused_quickly() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start();
    let addr = server.addr;
    let mut many_headers = b"GET /metrics HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..10_000 {
        many_headers.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"\r\n");
    let mut big_headers = b"GET /metrics HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..64 {
        big_headers.extend_from_slice(format!("X-Big-{i}: {}\r\n", "b".repeat(1000)).as_bytes());
    }
    big_headers.extend_from_slice(b"\r\n");
    let one_line =
        [b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Huge: ".to_vec(), vec![b'h'; 1 << 20], b"\r\n\r\n".to_vec()].concat();
    let long_uri = [b"GET /metrics?".to_vec(), vec![b'q'; 1 << 20], b" HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()].concat();
    let stop = Arc::new(AtomicBool::new(false));
    let probes = probe_while(addr, stop.clone());
    let t = Instant::now();
    let mut rounds = 0;
    while t.elapsed() < Duration::from_secs(3) {
        for (name, head) in [
            ("10 000 headers", &many_headers),
            ("64 KiB of headers", &big_headers),
            ("a 1 MiB header", &one_line),
            ("a 1 MiB URI", &long_uri),
        ] {
            let (code, took) = send_head(addr, head);
            assert!(matches!(code, 0 | 400 | 414 | 431), "{name}: answered {code}");
            assert!(took < Duration::from_secs(1), "{name}: refused only after {took:?}");
            if rounds == 0 {
                eprintln!("http: {name}: status {code} (0 = closed) after {took:?}");
            }
        }
        rounds += 1;
    }
    stop.store(true, Ordering::SeqCst);
    let probes = probes.join().expect("prober");
    summarize("oversized heads", &probes, &server, &format!("; {rounds} rounds of 4"));
    assert_memory("oversized heads", &server);
    assert_responsive("oversized heads", &probes);
    server.stop();
}

#[test]
fn odd_requests_write_nothing() {
    let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::start();
    let addr = server.addr;
    // Every HTTP/1.1 request asks for the connection to be closed, so that the
    // answer is complete when the server closes it.
    let cases: [(&[u8], &[u16]); 12] = [
        (b"PUT /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello", &[405]),
        (b"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", &[405]),
        (b"DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[405]),
        (b"GET /../../../../tmp/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[404, 400]),
        (b"GET /metrics/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[404, 400]),
        (b"GET /metrics?write=/tmp/x&file=y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[200]),
        (b"GET /metrics HTTP/1.0\r\n\r\n", &[200]),
        (b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[200]),
        (b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[404, 405, 400]),
        (b"GET http://evil/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[200, 404, 400]),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n", &[0, 400]),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &[0, 400, 505]),
    ];
    for (req, want) in cases {
        let (code, took) = send_head(addr, req);
        let shown = String::from_utf8_lossy(&req[..req.len().min(40)]).into_owned();
        eprintln!("http: {shown:?}: status {code} after {took:?}");
        assert!(want.contains(&code), "{shown:?}: status {code}, want one of {want:?}");
        assert!(took < Duration::from_secs(2), "{shown:?}: {took:?}");
    }
    assert_eq!(get(addr, "/metrics", Duration::from_secs(2)).0, 200);
    server.stop();
}
