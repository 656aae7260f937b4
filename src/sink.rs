//! Writers for records: `json` (one object per line, DESIGN.md §2), `text` (a
//! readable line per record and a summary by class) and `passthrough` (the
//! input unchanged, each record's JSON on its own line after the line that
//! completed it). All write to any `io::Write`, so tests capture a `Vec<u8>`.

use std::collections::HashMap;
use std::io::{self, Write};

use crate::code::ExitClass;
use crate::record::Record;

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Text,
    Json,
    Passthrough,
    /// Nothing on stdout (metrics-only runs).
    None,
}

impl OutputKind {
    pub fn parse(s: &str) -> Option<OutputKind> {
        match s {
            "text" => Some(OutputKind::Text),
            "json" => Some(OutputKind::Json),
            "passthrough" => Some(OutputKind::Passthrough),
            "none" => Some(OutputKind::None),
            _ => None,
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most text needs no escaping: find the first byte that does eight at a time.
    let clean = clean_prefix(bytes);
    if clean == bytes.len() {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate().skip(clean) {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f | 0x7f => {
                out.extend_from_slice(&bytes[start..i]);
                let _ = write!(out, "\\u{:04x}", b);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// How many leading bytes of `bytes` a JSON string holds as they are (no
/// `"`, `\\`, control byte or DEL), looked at a word of eight bytes at a time
/// (the last word zero-padded: a padding byte reads as a control byte past the end).
fn clean_prefix(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte that is zero in `x` (exact, no false positives).
    fn zero_bytes(x: u64) -> u64 {
        !(((x & !HIGH) + !HIGH) | x | !HIGH)
    }
    let mut i = 0;
    while i < bytes.len() {
        let x = crate::parse::util::word_at(bytes, i);
        // A byte below 0x20 has its top three bits clear.
        let low = zero_bytes(x & (0xe0 * ONES));
        let bad = low
            | zero_bytes(x ^ (b'"' as u64 * ONES))
            | zero_bytes(x ^ (b'\\' as u64 * ONES))
            | zero_bytes(x ^ (0x7f * ONES));
        if bad != 0 {
            return (i + (bad.trailing_zeros() / 8) as usize).min(bytes.len());
        }
        i += 8;
    }
    bytes.len()
}

fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A string of the program's own that needs no escaping (a state, a signal name).
fn lit_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            debug_assert_eq!(clean_prefix(s.as_bytes()), s.len());
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_int<T: itoa::Integer>(out: &mut Vec<u8>, v: Option<T>) {
    match v {
        Some(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

/// Serializes records, caching the fixed text of each cause.
#[derive(Default)]
pub struct JsonEncoder {
    causes: HashMap<(usize, crate::record::Str), Vec<u8>, rustc_hash::FxBuildHasher>,
    /// The last source and its record prefix: `{"source":"...","line":`.
    source: Option<(std::sync::Arc<str>, Vec<u8>)>,
}

impl JsonEncoder {
    /// Appends one record as a JSON object and a newline.
    pub fn encode(&mut self, out: &mut Vec<u8>, r: &Record) {
        match &self.source {
            Some((src, head)) if std::sync::Arc::ptr_eq(src, &r.source) => out.extend_from_slice(head),
            _ => {
                let mut head = b"{\"source\":".to_vec();
                json_str(&mut head, &r.source);
                head.extend_from_slice(b",\"line\":");
                out.extend_from_slice(&head);
                self.source = Some((r.source.clone(), head));
            }
        }
        opt_int(out, Some(r.line));
        out.extend_from_slice(b",\"format\":\"");
        out.extend_from_slice(r.format.as_str().as_bytes());
        out.extend_from_slice(b"\",\"namespace\":");
        opt_str(out, r.namespace.as_deref());
        out.extend_from_slice(b",\"pod\":");
        opt_str(out, r.pod.as_deref());
        out.extend_from_slice(b",\"container\":");
        opt_str(out, r.container.as_deref());
        out.extend_from_slice(b",\"container_id\":");
        opt_str(out, r.container_id.as_deref());
        out.extend_from_slice(b",\"init\":");
        out.extend_from_slice(match r.init {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"null",
        });
        out.extend_from_slice(b",\"state\":");
        lit_str(out, r.state.map(|s| s.as_str()));
        out.extend_from_slice(b",\"exit_code\":");
        opt_int(out, r.exit_code());
        out.extend_from_slice(b",\"raw_exit_code\":");
        opt_int(out, r.raw_exit_code);
        let sig = r.signal();
        out.extend_from_slice(b",\"signal\":");
        opt_int(out, sig.map(|s| s.0));
        out.extend_from_slice(b",\"signal_name\":");
        lit_str(out, sig.map(|s| s.name()));
        out.extend_from_slice(b",\"class\":\"");
        out.extend_from_slice(r.class().as_str().as_bytes());
        out.extend_from_slice(b"\",\"reason\":");
        opt_str(out, r.reason.as_deref());
        out.extend_from_slice(b",\"message\":");
        opt_str(out, r.message.as_deref());
        out.extend_from_slice(b",\"restart_count\":");
        opt_int(out, r.restart_count);
        out.extend_from_slice(b",\"started_at\":");
        opt_str(out, r.started_at.as_deref());
        out.extend_from_slice(b",\"finished_at\":");
        opt_str(out, r.finished_at.as_deref());
        out.extend_from_slice(if r.repeat { b",\"repeat\":true" } else { b",\"repeat\":false" });
        out.extend_from_slice(b",\"cause\":");
        match &r.cause {
            None => out.extend_from_slice(b"null"),
            Some(c) => {
                let key = (std::sync::Arc::as_ptr(&c.text) as usize, c.id.clone());
                let fixed = self.causes.entry(key).or_insert_with(|| {
                    let mut f = Vec::new();
                    f.extend_from_slice(b"{\"id\":");
                    json_str(&mut f, &c.id);
                    f.extend_from_slice(b",\"summary\":");
                    json_str(&mut f, &c.text.summary);
                    f.extend_from_slice(b",\"detail\":");
                    json_str(&mut f, &c.text.detail);
                    f.extend_from_slice(b",\"checks\":[");
                    for (i, ch) in c.text.checks.iter().enumerate() {
                        if i > 0 {
                            f.push(b',');
                        }
                        json_str(&mut f, ch);
                    }
                    f.extend_from_slice(b"],\"evidence\":[");
                    f
                });
                out.extend_from_slice(fixed);
                for (i, e) in c.evidence.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, e);
                }
                out.extend_from_slice(b"]}");
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Counts by class for the text summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub records: u64,
    pub repeats: u64,
    pub by_class: [u64; 7],
}

impl Tally {
    pub fn add(&mut self, r: &Record) {
        self.records += 1;
        if r.repeat {
            self.repeats += 1;
        }
        let i = ExitClass::ALL.iter().position(|c| *c == r.class()).unwrap_or(6);
        self.by_class[i] += 1;
    }

    /// `3 terminations (1 repeat): signal 2, application 1`
    pub fn summary(&self) -> String {
        let mut parts: Vec<(u64, &str)> =
            ExitClass::ALL.iter().zip(self.by_class).filter(|(_, n)| *n > 0).map(|(c, n)| (n, c.as_str())).collect();
        parts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        let noun = if self.records == 1 { "termination" } else { "terminations" };
        let mut s = format!("{} {noun}", self.records);
        if self.repeats > 0 {
            s.push_str(&format!(" ({} repeat{})", self.repeats, if self.repeats == 1 { "" } else { "s" }));
        }
        if !parts.is_empty() {
            s.push_str(": ");
            s.push_str(&parts.iter().map(|(n, c)| format!("{c} {n}")).collect::<Vec<_>>().join(", "));
        }
        s
    }
}

/// One readable line for a record.
pub fn text_line(r: &Record) -> String {
    let mut s = format!("{}:{}", r.source, r.line);
    let who: Vec<&str> =
        [r.namespace.as_deref(), r.pod.as_deref(), r.container.as_deref()].into_iter().flatten().collect();
    if !who.is_empty() {
        s.push_str("  ");
        s.push_str(&who.join("/"));
    }
    if r.init == Some(true) {
        s.push_str(" (init)");
    }
    if let Some(st) = r.state {
        s.push_str("  ");
        s.push_str(st.as_str());
    }
    match (r.exit_code(), r.signal()) {
        (Some(c), Some(sig)) => s.push_str(&format!("  exit {c} ({})", sig.name())),
        (Some(c), None) => s.push_str(&format!("  exit {c}")),
        (None, Some(sig)) => s.push_str(&format!("  {}", sig.name())),
        (None, None) => {}
    }
    if r.raw_exit_code.is_some() && r.raw_exit_code != r.exit_code() {
        s.push_str(&format!(" (printed {})", r.raw_exit_code.unwrap_or_default()));
    }
    s.push_str(&format!(" [{}]", r.class().as_str()));
    if let Some(reason) = &r.reason {
        s.push_str("  ");
        s.push_str(reason);
    }
    if let Some(n) = r.restart_count {
        s.push_str(&format!("  restarts {n}"));
    }
    if let Some(c) = &r.cause {
        s.push_str("  — ");
        s.push_str(&c.text.summary);
    }
    if r.repeat {
        s.push_str("  (repeat)");
    }
    s
}

/// Writes records in one of the output kinds.
pub struct RecordWriter<W: Write> {
    kind: OutputKind,
    out: W,
    buf: Vec<u8>,
    json: JsonEncoder,
    pub tally: Tally,
}

/// Buffered output is written once it reaches this.
const FLUSH_AT: usize = 256 << 10;

impl<W: Write> RecordWriter<W> {
    pub fn new(kind: OutputKind, out: W) -> RecordWriter<W> {
        RecordWriter {
            kind,
            out,
            // (Flushed at 256 KiB: room for the record that crosses it,
            // so that the buffer does not double to 512 KiB.)
            buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
            json: JsonEncoder::default(),
            tally: Tally::default(),
        }
    }

    pub fn kind(&self) -> OutputKind {
        self.kind
    }

    pub fn record(&mut self, r: &Record) -> io::Result<()> {
        self.tally.add(r);
        match self.kind {
            OutputKind::Json | OutputKind::Passthrough => self.json.encode(&mut self.buf, r),
            OutputKind::Text => {
                self.buf.extend_from_slice(text_line(r).as_bytes());
                self.buf.push(b'\n');
            }
            OutputKind::None => {}
        }
        Ok(())
    }

    /// True when the buffer should be written out (the caller decides when).
    pub fn needs_flush(&self) -> bool {
        self.buf.len() >= FLUSH_AT
    }

    /// What reached the sink so far (not what is still buffered).
    pub fn inner(&self) -> &W {
        &self.out
    }

    /// Input bytes for passthrough (buffered like records).
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.kind == OutputKind::Passthrough {
            self.buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }

    /// The text summary line (text output only).
    pub fn finish(&mut self) -> io::Result<()> {
        if self.kind == OutputKind::Text {
            let s = self.tally.summary();
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.push(b'\n');
        }
        self.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut v = Vec::new();
        json_str(&mut v, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(v.clone()).unwrap(), r#""a\"b\\c\nd\u0001é""#);
        let parsed: String = serde_json::from_slice(&v).unwrap();
        assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
    }

    /// The word-at-a-time scan stops at the same byte as a byte-by-byte one,
    /// wherever in a word the byte to escape sits.
    #[test]
    fn clean_prefix_finds_every_byte_to_escape() {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut v = vec![b'a'; 20];
                v[at] = b;
                let want = v.iter().position(|&c| matches!(c, b'"' | b'\\' | 0..=0x1f | 0x7f)).unwrap_or(v.len());
                assert_eq!(clean_prefix(&v), want, "byte {b:#x} at {at}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn json_str_round_trips(s in "\\PC*|[\\x00-\\x7f]*") {
            let mut v = Vec::new();
            json_str(&mut v, &s);
            let parsed: String = serde_json::from_slice(&v).unwrap();
            proptest::prop_assert_eq!(parsed, s);
        }
    }

    #[test]
    fn summary() {
        let mut t = Tally::default();
        assert_eq!(t.summary(), "0 terminations");
        let mut r = Record::new(crate::record::Format::Describe);
        r.raw_exit_code = Some(137);
        t.add(&r);
        r.repeat = true;
        t.add(&r);
        r.raw_exit_code = Some(1);
        r.repeat = false;
        t.add(&r);
        assert_eq!(t.summary(), "3 terminations (1 repeat): signal 2, application 1");
    }
}
