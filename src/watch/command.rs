//! Command sources, on tokio:
//!
//! - `--exec CMD`: a long-running command (`journalctl -f ...`) whose stdout is
//!   a stream; when it exits it is restarted after a backoff that doubles from
//!   1 s up to 60 s (and resets once a run lasted a minute).
//! - `--poll CMD --every D`: a snapshot command (`kubectl get pods -A -o json`)
//!   run every D (killed if it takes longer than D); each run is a stream of its
//!   own that ends when the command does.
//!
//! Output bytes go to the ingest thread as [`Event`]s; stderr of the commands
//! is passed through, prefixed, to exitscan's stderr.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc::Sender;

use super::Event;

const CHUNK: usize = 64 << 10;

fn spawn(cmd: &str) -> std::io::Result<tokio::process::Child> {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
}

fn forward_stderr(child: &mut tokio::process::Child, label: String) {
    if let Some(err) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = BufReader::new(err).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                eprintln!("exitscan: {label}: {l}");
            }
        });
    }
}

/// Runs `cmd` forever, streaming its stdout as `Event::ExecData(id, ..)`.
pub async fn exec_loop(id: usize, cmd: String, tx: Sender<Event>) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        let result = match spawn(&cmd) {
            Ok(mut child) => {
                forward_stderr(&mut child, format!("--exec {cmd}"));
                let _ = tx.send(Event::ExecStart(id)).await;
                if let Some(mut out) = child.stdout.take() {
                    let mut buf = vec![0u8; CHUNK];
                    loop {
                        match out.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if tx.send(Event::ExecData(id, buf[..n].to_vec())).await.is_err() {
                                    return; // shutting down
                                }
                            }
                        }
                    }
                }
                match child.wait().await {
                    Ok(s) => format!("exited ({s})"),
                    Err(e) => format!("failed: {e}"),
                }
            }
            Err(e) => format!("could not start: {e}"),
        };
        if tx.send(Event::ExecEnd(id, result)).await.is_err() {
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            backoff = Duration::from_secs(1);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

/// Runs `cmd` every `every`, each run's stdout streamed as `Event::PollData(id, run, ..)`.
pub async fn poll_loop(id: usize, cmd: String, every: Duration, tx: Sender<Event>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut run: u64 = 0;
    loop {
        ticker.tick().await;
        run += 1;
        let outcome = match spawn(&cmd) {
            Ok(mut child) => {
                forward_stderr(&mut child, format!("--poll {cmd}"));
                let mut out = child.stdout.take();
                let read_all = async {
                    let mut buf = vec![0u8; CHUNK];
                    if let Some(o) = out.as_mut() {
                        loop {
                            match o.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if tx.send(Event::PollData(id, run, buf[..n].to_vec())).await.is_err() {
                                        return false;
                                    }
                                }
                            }
                        }
                    }
                    true
                };
                match tokio::time::timeout(every, read_all).await {
                    Ok(false) => return,
                    Ok(true) => match child.wait().await {
                        Ok(s) if s.success() => None,
                        Ok(s) => Some(format!("exited ({s})")),
                        Err(e) => Some(format!("failed: {e}")),
                    },
                    Err(_) => {
                        let _ = child.kill().await;
                        Some(format!("took longer than {every:?}; killed"))
                    }
                }
            }
            Err(e) => Some(format!("could not start: {e}")),
        };
        if tx.send(Event::PollEnd(id, run, outcome)).await.is_err() {
            return;
        }
    }
}
