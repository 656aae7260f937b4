#![no_main]
//! The describe block parser fed line by line (as the scanner does, restarting
//! on EndBefore / NextPod), plus split_line, is_collapsed / expand_collapsed,
//! is_describe_like and is_pod_start on every line; and `feed_pod` on the
//! input after a `Name:` line, held to what feeding its lines one by one gives.

use exitscan::parse::describe::{self, Describe, Step};
use exitscan::sink::JsonEncoder;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut enc = JsonEncoder::default();
    let mut d = Describe::new();
    let mut recs = Vec::new();
    for (n, line) in common::lines(data).enumerate() {
        let line_no = n as u64 + 1;
        let s = describe::split_line(line);
        assert!(s.body.len() <= line.len());
        if let Some(k) = s.key {
            assert!(!k.is_empty());
        }
        let _ = describe::is_describe_like(line);
        let _ = describe::is_pod_start(line);
        if describe::is_collapsed(line) {
            let mut c = Describe::new();
            for l in describe::expand_collapsed(line) {
                c.feed(&l, line_no);
            }
            recs.extend(c.finish());
        }
        match d.feed(line, line_no) {
            Step::Continue => {}
            Step::EndBefore | Step::NextPod => {
                recs.extend(d.finish());
                d = Describe::new();
                // A fresh parser takes any line as its first.
                d.feed(line, line_no);
            }
        }
    }
    recs.extend(d.finish());
    whole_pod_like_lines(data);
    // expand_collapsed on the whole input (newlines and all).
    let _ = describe::expand_collapsed(data);
    for r in &recs {
        assert!(r.raw_exit_code.is_some(), "describe records carry an exit code");
        common::check_json(&mut enc, r);
    }
});

/// `feed_pod` reads `data` as the lines after a pod's `Name:` line: when it
/// takes them, feeding them one by one ends the pod at the same `Name:`
/// line with the same records and problems.
fn whole_pod_like_lines(data: &[u8]) {
    let mut fast = Describe::starting_with(b"Name:  web-1", 1);
    let Some((at, end, n)) = fast.feed_pod(data, 2) else { return };
    assert!(at < end && data[end] == b'\n' && data[at..].starts_with(b"Name:"));
    assert_eq!(data[..at].iter().filter(|&&b| b == b'\n').count() as u64, n);
    let mut slow = Describe::starting_with(b"Name:  web-1", 1);
    let mut fed = 0u64;
    for line in data[..end].split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let step = slow.feed(line, fed + 2);
        if fed < n {
            assert_eq!(step, Step::Continue, "line {}", fed + 2);
        } else {
            assert_eq!(step, Step::NextPod);
        }
        fed += 1;
    }
    assert_eq!(fed, n + 1);
    assert_eq!(fast.finish(), slow.finish());
    assert_eq!(fast.problems, slow.problems);
}
