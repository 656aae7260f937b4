#![no_main]
//! `kubectl get pods` tables: getpods::header on the first line that is one,
//! getpods::row on every later line.

use exitscan::parse::getpods;
use exitscan::sink::JsonEncoder;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut enc = JsonEncoder::default();
    let mut table = None;
    for line in common::lines(data) {
        let h = getpods::header(line);
        match (&table, h) {
            (None, Some(t)) => table = Some(t),
            (Some(t), _) => {
                if let Some(Some(r)) = getpods::row(t, line) {
                    assert!(r.raw_exit_code.is_some() || r.reason.is_some() || r.stated_signal.is_some());
                    common::check_json(&mut enc, &r);
                }
            }
            _ => {}
        }
    }
});
