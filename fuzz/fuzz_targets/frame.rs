#![no_main]
//! exitscan::frame::frame on one arbitrary line.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The scanner never passes a newline to frame(); the function must still not panic on one.
    let f = exitscan::frame::frame(data);
    // The message never grows past the line, except JSON escapes decoded... which only shrink.
    assert!(f.msg.len() <= data.len(), "message longer than its line");
    if let Some(t) = f.time {
        assert!(!t.is_empty());
    }
    for line in data.split(|&b| b == b'\n') {
        let f = exitscan::frame::frame(line);
        assert!(f.msg.len() <= line.len());
        // `is_plain` is frame's own answer, for lines the scanner asks it of
        // (no `\r` at the end: it is cut first; no ESC: colors are found apart).
        if !line.ends_with(b"\r") && !line.contains(&0x1b) {
            let plain = f.framing == exitscan::frame::Framing::Plain && f.msg[..] == line[..];
            assert_eq!(exitscan::frame::is_plain(line), plain, "{:?}", String::from_utf8_lossy(line));
        }
    }
});
