#![no_main]
//! The streaming document parser with Syntax::Json fed line by line,
//! parse_compact on each line, key_line_syntax / is_doc_like / is_doc_start /
//! is_ps_status_line.

use exitscan::parse::doc::{self, Doc, Step, Syntax};
use exitscan::sink::JsonEncoder;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let mut enc = JsonEncoder::default();
    let mut recs = Vec::new();
    let mut d = Doc::new(Syntax::Json);
    for (n, line) in common::lines(data).enumerate() {
        let line_no = n as u64 + 1;
        let _ = doc::key_line_syntax(line);
        let _ = doc::is_doc_like(line, Syntax::Json);
        let _ = doc::is_doc_start(line, Syntax::Json);
        let _ = doc::is_ps_status_line(line);
        recs.extend(doc::parse_compact(line, line_no));
        let step = d.feed(line, line_no);
        recs.extend(d.take_records());
        if step != Step::Continue {
            recs.extend(d.finish());
            d = Doc::new(Syntax::Json);
            if step == Step::EndBefore {
                d.feed(line, line_no);
                recs.extend(d.take_records());
            }
        }
    }
    recs.extend(d.finish());
    for r in &recs {
        common::check_json(&mut enc, r);
    }
});
