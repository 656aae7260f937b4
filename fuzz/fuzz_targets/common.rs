//! Checks shared by the fuzz targets: every record a parser returns must
//! encode to a JSON object that parses and carries every field of DESIGN.md §2.
#![allow(dead_code)]

use exitscan::record::Record;
use exitscan::sink::JsonEncoder;

#[path = "../../tests/common/fields.rs"]
mod fields;
pub use fields::FIELDS;

/// Encodes `r` and checks the JSON contract.
pub fn check_json(enc: &mut JsonEncoder, r: &Record) {
    let mut out = Vec::new();
    enc.encode(&mut out, r);
    assert_eq!(out.last(), Some(&b'\n'), "one record per line");
    assert_eq!(memchr_count(&out, b'\n'), 1, "no raw newline inside a record");
    let v: serde_json::Value = match serde_json::from_slice(&out) {
        Ok(v) => v,
        Err(e) => panic!("record JSON does not parse: {e}: {}", String::from_utf8_lossy(&out)),
    };
    let o = v.as_object().expect("record is an object");
    for f in FIELDS {
        assert!(o.contains_key(f), "missing field {f}: {}", String::from_utf8_lossy(&out));
    }
    // exit_code normalized into 0..=255 unless NTSTATUS (class windows).
    if let Some(c) = o["exit_code"].as_i64() {
        assert!((0..=255).contains(&c) || o["class"] == "windows", "exit_code {c} out of range");
    }
    if let Some(c) = o.get("cause").and_then(|c| c.as_object()) {
        for f in ["id", "summary", "detail", "checks", "evidence"] {
            assert!(c.contains_key(f), "cause without {f}");
        }
    }
}

fn memchr_count(h: &[u8], b: u8) -> usize {
    h.iter().filter(|&&x| x == b).count()
}

/// Lines of `data` the way the scanner hands them to parsers (no `\n`).
pub fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
}
