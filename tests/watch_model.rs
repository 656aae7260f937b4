//! A model-based test of followed files (after Vector's file-source tests):
//! random sequences of append / rename-rotate / copy-truncate / delete /
//! restart (graceful or crash) against a real directory, driven from a genlogs
//! CRI stream, with the follower synced at random points. Every exit event
//! written must come out exactly once among the counted (non-repeat) records:
//! zero lost, zero duplicated.

mod common;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exitscan::kb::{KnowledgeBase, Lang};
use exitscan::metrics::{Metrics, MetricsConfig};
use exitscan::scan::ScanConfig;
use exitscan::sink::{OutputKind, RecordWriter};
use exitscan::watch::files::{roots, Timing};
use exitscan::watch::{FollowSetup, Follower};

/// Deterministic xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// genlogs' output cut into units: consecutive lines with the same CRI
/// timestamp (a describe excerpt is five such lines) stay together.
fn units(log: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut last_ts: &[u8] = b"";
    for line in log.split_inclusive(|&b| b == b'\n') {
        let ts = line.split(|&b| b == b' ').next().unwrap_or_default();
        if ts == last_ts && !out.is_empty() {
            if let Some(u) = out.last_mut() {
                u.extend_from_slice(line);
            }
        } else {
            out.push(line.to_vec());
        }
        last_ts = ts;
    }
    out
}

/// The exit events in written data: (CRI timestamp, exit code), with genlogs'
/// truth regex (exactly one match per event, none in decoys).
fn events(data: &[u8], re: &regex::bytes::Regex) -> Vec<(String, i64)> {
    let mut v = Vec::new();
    for line in data.split(|&b| b == b'\n') {
        if let Some(m) = re.find(line) {
            let digits: String = String::from_utf8_lossy(m.as_bytes()).chars().filter(char::is_ascii_digit).collect();
            let ts = String::from_utf8_lossy(line.split(|&b| b == b' ').next().unwrap_or_default()).into_owned();
            v.push((ts, digits.parse().unwrap_or(-1)));
        }
    }
    v
}

type Seen = Arc<std::sync::Mutex<Vec<(String, i64)>>>;

fn follower(dir: &Path, state: &Path, kb: &Arc<KnowledgeBase>, seen: &Seen) -> Follower<Vec<u8>> {
    let setup = FollowSetup {
        roots: roots(&[format!("{}/*", dir.display())]).expect("roots"),
        scan: ScanConfig::default(),
        state_dir: Some(state.to_path_buf()),
        from_start: true,
        dedupe_size: 100_000,
        timing: Timing { drain_grace: std::time::Duration::ZERO, block_idle: std::time::Duration::ZERO },
    };
    let metrics = Arc::new(Metrics::new(kb, &MetricsConfig::default()));
    let mut f = Follower::new(setup, kb.clone(), Lang::En, RecordWriter::new(OutputKind::Json, Vec::new()), metrics)
        .expect("follower");
    // Every counted record, by its log line's time and code (each sync flushes,
    // so what is seen here is what reached the output).
    let seen = seen.clone();
    f.pipe.on_record = Some(Box::new(move |r| {
        if !r.repeat {
            if let Ok(mut s) = seen.lock() {
                s.push((r.log_time.as_deref().unwrap_or_default().to_string(), r.raw_exit_code.unwrap_or(-1)));
            }
        }
    }));
    f
}

fn counted(out: &[u8]) -> usize {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["repeat"] == false)
        .count()
}

fn append(path: &Path, data: &[u8]) {
    let mut f = OpenOptions::new().create(true).append(true).open(path).expect("open for append");
    f.write_all(data).expect("append");
}

#[test]
fn random_rotations_restarts_lose_and_duplicate_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let (log, _) = common::genlogs(work.path(), "cri", "1M", 41, &["--event-rate", "0.05"]);
    let all = units(&std::fs::read(&log).expect("log"));
    let re = regex::bytes::Regex::new(r"Exit Code: +[0-9]+|exitCode=[0-9]+|exited with code [0-9]+|Exited \([0-9]+\)")
        .expect("regex");
    let kb = Arc::new(KnowledgeBase::builtin().expect("kb"));
    let sequences = std::env::var("WATCH_MODEL_SEQUENCES").ok().and_then(|s| s.parse().ok()).unwrap_or(300u64);
    let mut total_events = 0usize;
    for seq in 0..sequences {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (seq + 1).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let d = tempfile::tempdir().expect("tempdir");
        let dir = d.path().join("logs");
        let state = d.path().join("state");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let live = dir.join("app.log");
        let mut written = Vec::new();
        let mut outputs: Vec<u8> = Vec::new();
        let seen: Seen = Arc::default();
        let mut f = follower(&dir, &state, &kb, &seen);
        let mut rotated: Vec<PathBuf> = Vec::new();
        let mut next_unit = (seq as usize * 37) % all.len();
        let mut ops = Vec::new();
        for step in 0..40 {
            let op = rng.below(100);
            match op {
                0..=44 => {
                    let n = 1 + rng.below(30) as usize;
                    for _ in 0..n {
                        let u = &all[next_unit % all.len()];
                        next_unit += 1;
                        append(&live, u);
                        written.extend_from_slice(u);
                    }
                    ops.push(format!("append {n}"));
                }
                45..=64 => {
                    f.sync(true);
                    ops.push("sync".into());
                }
                65..=72 => {
                    if live.exists() {
                        let to = dir.join(format!("app.log.{step}"));
                        std::fs::rename(&live, &to).expect("rename");
                        rotated.push(to);
                        ops.push("rotate".into());
                    }
                }
                73..=78 => {
                    if live.exists() {
                        let to = dir.join(format!("app.log.copy{step}"));
                        std::fs::copy(&live, &to).expect("copy");
                        std::fs::OpenOptions::new()
                            .write(true)
                            .open(&live)
                            .expect("open")
                            .set_len(0)
                            .expect("truncate");
                        rotated.push(to);
                        ops.push("copytruncate".into());
                    }
                }
                79..=83 => {
                    // Delete a rotated file the follower has had a chance to open.
                    if !rotated.is_empty() {
                        f.sync(true);
                        let victim = rotated.remove(rng.below(rotated.len() as u64) as usize);
                        let _ = std::fs::remove_file(&victim);
                        ops.push("sync+delete".into());
                    }
                }
                84..=89 => {
                    f.checkpoint();
                    ops.push("checkpoint".into());
                }
                90..=94 => {
                    let out = f.shutdown().expect("shutdown");
                    outputs.extend_from_slice(&out);
                    f = follower(&dir, &state, &kb, &seen);
                    ops.push("restart".into());
                }
                _ => {
                    // SIGKILL: no final checkpoint; what was written stays written.
                    // Only what reached the sink survives; buffered output dies with the process.
                    outputs.extend_from_slice(f.pipe.writer.inner());
                    drop(f);
                    f = follower(&dir, &state, &kb, &seen);
                    ops.push("crash".into());
                }
            }
        }
        // Let everything settle: a few syncs drain rotated files and flush blocks.
        for _ in 0..4 {
            f.sync(true);
        }
        outputs.extend_from_slice(&f.shutdown().expect("shutdown"));

        let mut want: BTreeMap<(String, i64), usize> = BTreeMap::new();
        let truth = events(&written, &re);
        total_events += truth.len();
        for e in truth {
            *want.entry(e).or_default() += 1;
        }
        let mut got: BTreeMap<(String, i64), usize> = BTreeMap::new();
        for e in seen.lock().map(|s| s.clone()).unwrap_or_default() {
            *got.entry(e).or_default() += 1;
        }
        let lost: Vec<_> = want.iter().filter(|(k, n)| got.get(*k).copied().unwrap_or(0) < **n).collect();
        let extra: Vec<_> = got.iter().filter(|(k, n)| want.get(*k).copied().unwrap_or(0) < **n).collect();
        assert!(
            lost.is_empty() && extra.is_empty(),
            "sequence {seq}: lost {lost:?}, duplicated or unexpected {extra:?}\nops: {ops:?}"
        );
        // The JSON output agrees with what was counted.
        assert_eq!(counted(&outputs), got.values().sum::<usize>(), "sequence {seq}: output vs counted");
    }
    assert!(
        total_events as u64 > 5 * sequences,
        "the sequences wrote too few events to mean anything ({total_events})"
    );
}
