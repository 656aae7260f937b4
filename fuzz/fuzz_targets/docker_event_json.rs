#![no_main]
//! docker::event_json on any JSON value the input parses to (docker / podman
//! events), and the scanner's fallback parse_compact on the same line.

use exitscan::parse::{doc, docker};
use exitscan::sink::JsonEncoder;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut enc = JsonEncoder::default();
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(Some(r)) = docker::event_json(&v) {
            assert!(r.raw_exit_code.is_some());
            common::check_json(&mut enc, &r);
        }
    }
    for r in doc::parse_compact(data, 1) {
        common::check_json(&mut enc, &r);
    }
});
