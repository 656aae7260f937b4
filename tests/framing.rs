//! Framing edge cases through the library: partial CRI / docker pieces across
//! buffer boundaries, a 10 MB line, invalid UTF-8, NUL bytes, CRLF, no final
//! newline. Each scan runs with several read sizes: results must not change.

use exitscan::scan::{scan_bytes, Dropped, ScanConfig};

fn codes(data: &[u8], read_size: usize) -> Vec<(u64, Option<i64>, Option<String>)> {
    let cfg = ScanConfig { read_size, ..ScanConfig::default() };
    let c = scan_bytes("t", data, cfg);
    c.records().iter().map(|r| (r.line, r.raw_exit_code, r.container.as_deref().map(String::from))).collect()
}

fn same_for_all_reads(data: &[u8]) -> Vec<(u64, Option<i64>, Option<String>)> {
    let base = codes(data, 1 << 20);
    for rs in [1, 2, 3, 7, 64, 4096, 16 << 10, 65_537] {
        assert_eq!(codes(data, rs), base, "read size {rs}");
    }
    base
}

#[test]
fn cri_partials_join_across_reads() {
    // A PLEG line logged by a container after 16 KiB of padding, split by the
    // runtime (at 16 KiB) in the middle of its literal.
    let pad = "p".repeat(16 * 1024 - 40);
    let msg = format!(r#"{pad} "Generic (PLEG): container finished" podID="p" containerID="abc123" exitCode=137"#);
    let (a, b) = msg.split_at(msg.find("xitCode").expect("literal") + 3);
    let mut data = Vec::new();
    data.extend_from_slice(b"2024-01-28T09:05:11.1Z stdout F before\n");
    data.extend_from_slice(format!("2024-01-28T09:05:11.2Z stderr P {a}\n").as_bytes());
    data.extend_from_slice(b"2024-01-28T09:05:11.3Z stdout F interleaved stdout line\n");
    data.extend_from_slice(format!("2024-01-28T09:05:11.4Z stderr F {b}\n").as_bytes());
    data.extend_from_slice(b"2024-01-28T09:05:11.5Z stdout F web-1 exited with code 3\n");
    let got = same_for_all_reads(&data);
    assert_eq!(got, vec![(2, Some(137), Some("abc123".into())), (5, Some(3), Some("web-1".into()))]);
}

#[test]
fn quote_marks_start_a_message_not_a_piece() {
    // A long PLEG line split by the runtime right after `exitCode=`: the
    // last piece starts with `> `, which is text there, not a quote mark.
    let pad = "p".repeat(16 * 1024 - 40);
    let a = format!(r#"{pad} "Generic (PLEG): container finished" podID="p" containerID="abc123" exitCode="#);
    let mut data = Vec::new();
    data.extend_from_slice(b"> web-2 exited with code 4\n");
    data.extend_from_slice(b"2024-01-28T09:05:11.1Z stdout F > web-1 exited with code 3\n");
    data.extend_from_slice(format!("2024-01-28T09:05:11.2Z stderr P {a}\n").as_bytes());
    data.extend_from_slice(b"2024-01-28T09:05:11.3Z stderr F > 5\n");
    let got = same_for_all_reads(&data);
    assert_eq!(got, vec![(1, Some(4), Some("web-2".into())), (2, Some(3), Some("web-1".into()))]);
}

#[test]
fn long_cri_pieces_are_joined() {
    // 40 KB of noise with the termination at its very end, in 16 KiB pieces.
    let mut msg = "x".repeat(40_000);
    msg.push_str(" Memory cgroup out of memory: Killed process 42 (java)");
    let mut data = Vec::new();
    let bytes = msg.as_bytes();
    let pieces: Vec<&[u8]> = bytes.chunks(16 * 1024).collect();
    for (i, p) in pieces.iter().enumerate() {
        let tag = if i + 1 == pieces.len() { "F" } else { "P" };
        data.extend_from_slice(format!("2024-01-28T09:05:11.{i}Z stdout {tag} ").as_bytes());
        data.extend_from_slice(p);
        data.push(b'\n');
    }
    data.extend_from_slice(b"2024-01-28T09:05:12Z stdout F after\n");
    let cfg = ScanConfig::default();
    let c = scan_bytes("t", &data, cfg);
    let recs = c.records();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].pid, Some(42));
    assert_eq!(recs[0].line, 1);
}

#[test]
fn docker_json_pieces_are_joined() {
    let mut data = Vec::new();
    let msg = format!("{} web-1 exited with code 1", "y".repeat(20_000));
    let (a, b) = msg.split_at(16 * 1024);
    data.extend_from_slice(format!(r#"{{"log":"{a}","stream":"stdout","time":"2024-01-28T09:05:11Z"}}"#).as_bytes());
    data.push(b'\n');
    data.extend_from_slice(format!(r#"{{"log":"{b}\n","stream":"stdout","time":"2024-01-28T09:05:11Z"}}"#).as_bytes());
    data.push(b'\n');
    // The joined message is not a compose line (it starts with noise): nothing.
    assert!(same_for_all_reads(&data).is_empty());
    // A kernel line split across pieces is found.
    let msg = format!("{} Killed process 7 (x)", "z".repeat(16 * 1024 - 5));
    let (a, b) = msg.split_at(16 * 1024);
    let mut data = Vec::new();
    data.extend_from_slice(format!(r#"{{"log":"{a}","stream":"stderr","time":"2024-01-28T09:05:11Z"}}"#).as_bytes());
    data.push(b'\n');
    data.extend_from_slice(format!(r#"{{"log":"{b}\n","stream":"stderr","time":"2024-01-28T09:05:11Z"}}"#).as_bytes());
    data.push(b'\n');
    assert_eq!(same_for_all_reads(&data).len(), 1);
}

#[test]
fn ten_megabyte_line_and_garbage_cost_nothing_around_them() {
    let mut data = Vec::new();
    data.extend_from_slice(
        b"Jan 28 09:05:11 n kubelet[1]: \"Generic (PLEG): container finished\" containerID=\"a1\" exitCode=1\n",
    );
    data.extend_from_slice(&vec![b'q'; 10 << 20]);
    data.extend_from_slice(b" tail of the big line exitCode=5\n");
    data.extend_from_slice(b"\xff\xfe\x00\x00 invalid utf-8 \xc3\x28 and NULs \x00\n");
    data.extend_from_slice(b"web-2 exited with code 2\r\n");
    data.extend_from_slice(b"\x00\x00\x00\n");
    data.extend_from_slice(
        b"Containers:\n  app:\n    State:  Terminated\n      Reason: Error\n      Exit Code:  9\xff\n",
    );
    data.extend_from_slice(b"Jan 28 09:05:12 n kernel: Killed process 9 (bad\xffname)");
    let got = codes(&data, 1 << 20);
    assert_eq!(
        got,
        vec![(1, Some(1), Some("a1".into())), (4, Some(2), Some("web-2".into())), (11, None, None)],
        "the describe block with a broken Exit Code yields nothing, the rest is found"
    );
    for rs in [4096, 65_537] {
        assert_eq!(codes(&data, rs), got, "read size {rs}");
    }
}

#[test]
fn lines_past_the_cap_are_cut_and_counted() {
    let mut data = Vec::new();
    data.extend_from_slice(&vec![b'w'; 3 << 20]);
    data.push(b'\n');
    data.extend_from_slice(b"web-3 exited with code 3\n");
    let cfg = ScanConfig { max_line: 1 << 20, read_size: 64 << 10, ..ScanConfig::default() };
    let c = scan_bytes("t", &data, cfg);
    assert_eq!(c.records().len(), 1);
    assert_eq!(c.records()[0].line, 2);
    assert_eq!(c.dropped.len(), 1);
    assert_eq!(c.dropped[0].0, Dropped::OversizedLine);
    assert_eq!(c.dropped[0].1, (2 << 20) as u64);
}

/// Chunks handed over in place (`Scanner::feed_chunk`, the one-shot reader
/// thread's path) give the same records as reads, whatever the chunk sizes.
#[test]
fn chunks_handed_over_in_place_equal_reads() {
    use exitscan::scan::scan_chunks;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut all = Vec::new();
    for name in [
        "024-describe.txt",
        "lab-describe-exitscan-lab-pod.txt",
        "edge-mixed.txt",
        "edge-pod-list.yaml",
        "030-containerd.txt",
    ] {
        all.extend(std::fs::read(dir.join(name)).expect("fixture"));
        all.push(b'\n');
    }
    let want: Vec<_> = scan_bytes("t", &all, ScanConfig::default())
        .records()
        .iter()
        .map(|r| (r.line, r.raw_exit_code, r.container.clone()))
        .collect();
    assert!(want.len() > 10);
    // With and without the reader thread's prefilter hints.
    for hinted in [false, true] {
        for size in [1usize, 7, 100, 4096, 70_000] {
            let eighths = if hinted { 1 + size % 8 } else { 0 };
            let c = scan_chunks("t", &all, ScanConfig::default(), size, eighths);
            let got: Vec<_> = c.records().iter().map(|r| (r.line, r.raw_exit_code, r.container.clone())).collect();
            assert_eq!(got, want, "chunk size {size}, hints {hinted}");
        }
    }
}
