#![no_main]
//! The whole pipeline, bytes in → records out, with small and odd scanner
//! settings taken from the first five input bytes:
//!
//! - `scan_bytes` (reads of `read_size` bytes through `Read`) into `Collect`;
//! - the same bytes through `Scanner::feed` in chunks of another size into the
//!   real `Pipeline` (evidence context, causes from the built-in knowledge
//!   base, dedupe, JSON writer, metrics);
//! - the same bytes as in-place chunks with prefilter hints
//!   (`Scanner::feed_chunk`, the one-shot reader thread's path);
//! - every JSON line must parse and carry every field of DESIGN.md §2;
//! - while every line is shorter than `max_line` (no cut, whose position
//!   depends on the reads by design) and the lookback is the default 64 KiB,
//!   both runs find the same records as one big read. (With a lookback
//!   shorter than the input, what the scanner looks back on depends on the
//!   reads: tests/regressions/prev-lines-beyond-lookback.txt.)

use std::sync::{Arc, OnceLock};

use exitscan::dedupe::Dedupe;
use exitscan::kb::{KnowledgeBase, Lang};
use exitscan::metrics::{Metrics, MetricsConfig};
use exitscan::pipeline::Pipeline;
use exitscan::scan::{scan_bytes, scan_chunks, ScanConfig, Scanner};
use exitscan::sink::{OutputKind, RecordWriter};
use libfuzzer_sys::fuzz_target;

mod common;
#[path = "../../tests/common/scan_input.rs"]
mod scan_input;

fn kb() -> Arc<KnowledgeBase> {
    static KB: OnceLock<Arc<KnowledgeBase>> = OnceLock::new();
    KB.get_or_init(|| Arc::new(KnowledgeBase::builtin().expect("builtin kb"))).clone()
}

fn metrics() -> Arc<Metrics> {
    static M: OnceLock<Arc<Metrics>> = OnceLock::new();
    M.get_or_init(|| Arc::new(Metrics::new(&kb(), &MetricsConfig::default()))).clone()
}

fuzz_target!(|input: &[u8]| {
    let Some((cfg, chunk, data)) = scan_input::decode(input) else {
        return;
    };
    let read_size = cfg.read_size;

    let collected = scan_bytes("fuzz", data, cfg.clone());

    let writer = RecordWriter::new(OutputKind::Json, Vec::new());
    let mut pipe = Pipeline::new(kb(), Lang::En, Dedupe::new(64), writer, Some(metrics()));
    let mut s = Scanner::new("fuzz", cfg.clone());
    for c in data.chunks(chunk) {
        s.feed(c, &mut pipe);
    }
    s.finish(&mut pipe);
    pipe.finish().expect("write to a Vec");
    let out = pipe.writer.into_inner();

    let mut fed = Vec::new();
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => panic!("output line is not JSON ({e}): {}", String::from_utf8_lossy(line)),
        };
        let o = v.as_object().expect("object");
        for f in common::FIELDS {
            assert!(o.contains_key(f), "missing {f}: {}", String::from_utf8_lossy(line));
        }
        fed.push((o["line"].as_u64(), o["raw_exit_code"].as_i64(), o["container"].as_str().map(str::to_string)));
    }
    if data.len() % 16 == 0 {
        let _ = metrics().render();
    }

    let longest = data.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap_or(0);
    if longest < cfg.max_line.min(8 << 10) && cfg.lookback == ScanConfig::default().lookback {
        let read: Vec<_> = collected
            .records()
            .iter()
            .map(|r| (Some(r.line), r.raw_exit_code, r.container.as_deref().map(String::from)))
            .collect();
        assert_eq!(read, fed, "records depend on how the input was split (read {read_size}, feed {chunk})");
        // And on the read size at all: compare with one big read.
        let big = scan_bytes("fuzz", data, ScanConfig { read_size: 1 << 20, ..cfg });
        let bigv: Vec<_> = big
            .records()
            .iter()
            .map(|r| (Some(r.line), r.raw_exit_code, r.container.as_deref().map(String::from)))
            .collect();
        assert_eq!(read, bigv, "records depend on the read size ({read_size} vs 1 MiB)");
        // And through chunks handed over in place with the reader thread's
        // prefilter hints (the one-shot path).
        let c = scan_chunks("fuzz", data, cfg.clone(), chunk, 1 + chunk % 8);
        let hinted: Vec<_> = c
            .records()
            .iter()
            .map(|r| (Some(r.line), r.raw_exit_code, r.container.as_deref().map(String::from)))
            .collect();
        assert_eq!(read, hinted, "records differ through hinted chunks of {chunk}");
    }
});
