//! `GET /metrics` and `GET /healthz` over HTTP/1.1 (tokio + hyper), on a
//! runtime thread of its own so scanning never waits on scrapes.
//!
//! Requests are bounded: headers must arrive within [`HEADER_TIMEOUT`] and
//! fit hyper's minimum buffer, at most [`MAX_CONNECTIONS`] are served at once
//! (further ones wait in the kernel's accept queue), a connection is closed
//! after [`CONNECTION_TIMEOUT`]. Any other path is 404, any other method 405.
//! The server never writes anything but responses.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use crate::metrics::Metrics;

pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once. Idle and slow ones cost a few KiB each; past
/// the cap, new ones are closed at once rather than queued behind them.
pub const MAX_CONNECTIONS: usize = 4096;
/// Connections the kernel may queue before exitscan accepts them.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Lets the process hold as many sockets as its hard limit allows (the soft
/// limit is often 1024, fewer than [`MAX_CONNECTIONS`]), as Go servers do.
fn raise_fd_limit() {
    // Failing leaves the soft limit; connections past it are shed as usual.
    let _ = rlimit::increase_nofile_limit(1 << 16);
}

static SHUTDOWN: AtomicBool = AtomicBool::new(false);

/// True once SIGTERM or SIGINT arrived (after [`Server::start`] installed the handlers).
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::SeqCst)
}

/// Resolves `addr` (`host:port`, `:port`, `[::1]:port`) to one socket address.
pub fn check_addr(addr: &str) -> Result<SocketAddr, String> {
    let full = if addr.starts_with(':') { format!("0.0.0.0{addr}") } else { addr.to_string() };
    let mut it = full
        .to_socket_addrs()
        .map_err(|e| format!("--listen {addr}: not a host:port address ({})", crate::app::io_reason(&e)))?;
    it.next().ok_or_else(|| format!("--listen {addr}: resolves to no address"))
}

pub struct Server {
    runtime: tokio::runtime::Runtime,
    pub addr: SocketAddr,
    stop: Arc<tokio::sync::Notify>,
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    metrics: Arc<Metrics>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (status, ctype, body): (StatusCode, &str, Bytes) = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => {
            (StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", Bytes::from(metrics.render()))
        }
        (&Method::GET | &Method::HEAD, "/healthz") => {
            (StatusCode::OK, "text/plain; charset=utf-8", Bytes::from_static(b"ok\n"))
        }
        (_, "/metrics" | "/healthz") => {
            (StatusCode::METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", Bytes::from_static(b"method not allowed\n"))
        }
        _ => (StatusCode::NOT_FOUND, "text/plain; charset=utf-8", Bytes::from_static(b"not found\n")),
    };
    let body = if req.method() == Method::HEAD { Bytes::new() } else { body };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(ctype) {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut().insert(hyper::header::ALLOW, hyper::header::HeaderValue::from_static("GET, HEAD"));
    }
    Ok(resp)
}

impl Server {
    /// Binds `addr` now (so "address in use" is reported before any work) and serves in the background.
    pub fn start(addr: &str, metrics: Arc<Metrics>) -> Result<Server, String> {
        let sock = check_addr(addr)?;
        raise_fd_limit();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("exitscan-http")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        let stop = Arc::new(tokio::sync::Notify::new());
        let listener = {
            let _g = runtime.enter();
            let err = |e: std::io::Error| format!("--listen {addr}: {}", crate::app::io_reason(&e));
            let socket = if sock.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
                .map_err(err)?;
            socket.set_reuseaddr(true).map_err(err)?;
            socket.bind(sock).map_err(err)?;
            // A deep accept queue: with the default 128, a burst of connections
            // overflows it and the kernel drops SYNs, which clients retry after 1 s.
            socket.listen(LISTEN_BACKLOG).map_err(err)?
        };
        let bound = listener.local_addr().map_err(|e| format!("--listen {addr}: {e}"))?;
        // Signals: the first SIGTERM/SIGINT asks everything to stop.
        runtime.spawn(async {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            SHUTDOWN.store(true, Ordering::SeqCst);
        });
        let stop2 = stop.clone();
        runtime.spawn(async move {
            let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = stop2.notified() => return,
                };
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    Err(_) => {
                        // EMFILE and friends: back off instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                // Over the cap: shed the connection now.
                let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
                let _ = stream.set_nodelay(true);
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HEADER_TIMEOUT)
                        .max_buf_size(16 * 1024)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service_fn(move |req| handle(req, metrics.clone())));
                    let _ = tokio::time::timeout(CONNECTION_TIMEOUT, conn).await;
                    drop(permit);
                });
            }
        });
        Ok(Server { runtime, addr: bound, stop })
    }

    /// Serves until SIGTERM/SIGINT, rewriting the metrics file every `interval`;
    /// writes it a last time on the way out.
    pub fn serve_until_signal(self, metrics: Option<&Arc<Metrics>>, metrics_file: Option<&Path>, interval: Duration) {
        let mut last = std::time::Instant::now();
        while !shutdown_requested() {
            std::thread::sleep(Duration::from_millis(50));
            if last.elapsed() >= interval {
                last = std::time::Instant::now();
                if let (Some(m), Some(p)) = (metrics, metrics_file) {
                    if let Err(e) = m.write_textfile(p) {
                        eprintln!("exitscan: {}: {}", p.display(), crate::app::io_reason(&e));
                    }
                }
            }
        }
        if let (Some(m), Some(p)) = (metrics, metrics_file) {
            if let Err(e) = m.write_textfile(p) {
                eprintln!("exitscan: {}: {}", p.display(), crate::app::io_reason(&e));
            }
        }
        self.shutdown();
    }

    pub fn shutdown(self) {
        self.stop.notify_waiters();
        self.runtime.shutdown_timeout(Duration::from_secs(1));
    }
}
