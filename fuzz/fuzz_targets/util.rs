#![no_main]
//! parse::util: logfmt (key taken from the input), ints, table_fields,
//! is_dns_name, unquote, and every time conversion in util::when.

use exitscan::parse::util::{self, when};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First line: the key; the rest: the line to search.
    let (key, line) = match data.iter().position(|&b| b == b'\n') {
        Some(p) => (&data[..p], &data[p + 1..]),
        None => (&b"exitCode"[..], data),
    };
    if !key.is_empty() {
        if let Some(v) = util::logfmt(line, key) {
            assert!(v.len() <= line.len());
        }
    }
    for k in [&b"exitCode"[..], b"container", b"pod", b"namespace", b"time", b"reason", b"name"] {
        let _ = util::logfmt(line, k);
    }
    let _ = util::int(line);
    let _ = util::whole_int(line);
    let _ = util::lead_int(line);
    let _ = util::table_fields(line);
    let _ = util::is_dns_name(line);
    let _ = util::unquote(line);
    let _ = util::text(line);
    let _ = util::nonempty(line);
    let s = String::from_utf8_lossy(line);
    for t in [when::rfc3339(&s), when::rfc1123(&s), when::go(&s), when::any(&s)] {
        if let Some(t) = t {
            // Output is RFC 3339 UTC and parses back to itself.
            assert!(t.ends_with('Z'), "{t}");
            assert_eq!(when::rfc3339(&t).as_deref(), Some(t.as_str()));
        }
    }
    if line.len() >= 16 {
        let secs = i64::from_le_bytes(line[..8].try_into().unwrap_or_default());
        let nanos = i64::from_le_bytes(line[8..16].try_into().unwrap_or_default());
        let _ = when::unix(secs, nanos);
        let _ = when::unix(secs % 100_000_000_000, nanos % 1_000_000_000);
    }
});
