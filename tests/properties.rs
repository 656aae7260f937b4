//! Properties of the scanner and the JSON output, checked with proptest on
//! the inputs in `tests/golden/` and on generated ones:
//!
//! (a) the records found in a stream do not depend on how its bytes are split
//!     into reads (`ScanConfig::read_size`) or fed (`Scanner::feed` in random
//!     chunk sizes);
//! (b) garbage lines (random bytes, NULs, invalid UTF-8, 1 MiB lines) inserted
//!     at block boundaries leave a sample's records unchanged, and shift their
//!     line numbers by the number of garbage lines inserted before them;
//! (c) the JSON encoder's output always parses and always has every field of
//!     DESIGN.md §2, for records of arbitrary input and for arbitrary records.
//!
//! Where garbage may go (b): a garbage line is inserted only *between blocks*,
//! because a line inside a block may legitimately end it (a `describe` pod, a
//! JSON / YAML document, a `kubectl get pods` table):
//! - in files of single-line formats (kubelet, containerd, CRI-O, CRI, docker
//!   ps / events, systemd journal lines, supervisord, kernel), before any line;
//! - in `describe` output, before the first line, after the last one and
//!   before a `Name:` line at column 0 (a new pod);
//! - in documents, tables and mixed samples, before the first line and after
//!   the last one.
//!
//! A garbage line is never empty, holds no newline and no prefilter literal
//! (it would then be a termination line itself), and does not start with a
//! blank, an ASCII letter or digit, or `{ [ " ' - * > \``: such a first byte
//! could make it read as the continuation of a block before it (an indented
//! describe line, a YAML key, a JSON token, a container-name header) — which is
//! what "between blocks" excludes. Anything may follow the first byte.
//!
//! Case counts are kept small: the file runs in a few seconds in the dev profile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use exitscan::dedupe::Dedupe;
use exitscan::kb::{KnowledgeBase, Lang};
use exitscan::pipeline::Pipeline;
use exitscan::record::{Format, Record, State};
use exitscan::scan::{scan_bytes, Collect, ScanConfig, Scanner};
use exitscan::sink::{JsonEncoder, OutputKind, RecordWriter};
use exitscan::Signal;
use proptest::prelude::*;
use proptest::test_runner::Config;

#[path = "common/fields.rs"]
mod fields;
use fields::FIELDS;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// (file name, bytes) of every golden input.
fn samples() -> &'static [(String, Vec<u8>)] {
    static S: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(golden_dir())
            .expect("tests/golden")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "expected"))
            .map(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let data = std::fs::read(&p).expect("read sample");
                (name, data)
            })
            .collect();
        v.sort();
        assert!(v.len() >= 40, "expected the golden samples, found {}", v.len());
        v
    })
}

/// What a record says, for comparing scans (source excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Brief {
    line: u64,
    format: Format,
    code: Option<i64>,
    container: Option<exitscan::record::Str>,
    container_id: Option<exitscan::record::Str>,
    pod: Option<exitscan::record::Str>,
    namespace: Option<exitscan::record::Str>,
    reason: Option<exitscan::record::Str>,
    state: Option<State>,
    signal: Option<u8>,
    restart_count: Option<u64>,
    /// What the scanner saw around the record (systemd's OOM notice above it).
    oom_event: bool,
}

fn brief(r: &Record) -> Brief {
    Brief {
        line: r.line,
        format: r.format,
        code: r.raw_exit_code,
        container: r.container.clone(),
        container_id: r.container_id.clone(),
        pod: r.pod.clone(),
        namespace: r.namespace.clone(),
        reason: r.reason.clone(),
        state: r.state,
        signal: r.signal().map(|s| s.0),
        restart_count: r.restart_count,
        oom_event: r.hints.oom_event,
    }
}

fn briefs(c: &Collect) -> Vec<Brief> {
    c.records().into_iter().map(brief).collect()
}

fn scan_with(data: &[u8], read_size: usize) -> Vec<Brief> {
    briefs(&scan_bytes("p", data, ScanConfig { read_size, ..ScanConfig::default() }))
}

/// `Scanner::feed` with the chunk sizes in `chunks` (cycled).
fn scan_fed(data: &[u8], read_size: usize, chunks: &[usize]) -> Vec<Brief> {
    let mut s = Scanner::new("p", ScanConfig { read_size, ..ScanConfig::default() });
    let mut c = Collect::default();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = chunks[i % chunks.len()].clamp(1, rest.len());
        s.feed(&rest[..n], &mut c);
        rest = &rest[n..];
        i += 1;
    }
    s.finish(&mut c);
    briefs(&c)
}

fn baseline(data: &[u8]) -> Vec<Brief> {
    scan_with(data, 1 << 20)
}

fn read_sizes() -> impl Strategy<Value = usize> {
    prop_oneof![1usize..=16, 17usize..=300, Just(4096), Just(16 << 10), Just(65_537)]
}

// ---- (a) splitting ---------------------------------------------------------

proptest! {
    #![proptest_config(Config { cases: 96, failure_persistence: None, ..Config::default() })]

    /// One golden sample, any read size, any feed chunking.
    #[test]
    fn records_do_not_depend_on_reads(
        idx in 0usize..1000,
        read_size in read_sizes(),
        chunks in prop::collection::vec(1usize..=257, 1..8),
    ) {
        let (name, data) = &samples()[idx % samples().len()];
        let want = baseline(data);
        prop_assert_eq!(&scan_with(data, read_size), &want, "{} read_size {}", name, read_size);
        prop_assert_eq!(&scan_fed(data, 1 << 20, &chunks), &want, "{} fed {:?}", name, chunks);
        prop_assert_eq!(&scan_fed(data, read_size, &chunks), &want, "{} read_size {} fed {:?}", name, read_size, chunks);
    }
}

proptest! {
    #![proptest_config(Config { cases: 48, failure_persistence: None, ..Config::default() })]

    /// Several samples and noise lines concatenated into one mixed stream.
    #[test]
    fn mixed_streams_do_not_depend_on_reads(
        picks in prop::collection::vec((0usize..1000, prop::collection::vec(any::<u8>(), 0..40)), 2..5),
        read_size in read_sizes(),
        chunks in prop::collection::vec(1usize..=4099, 1..6),
    ) {
        let mut data = Vec::new();
        for (idx, noise) in &picks {
            data.extend_from_slice(&samples()[idx % samples().len()].1);
            if !data.ends_with(b"\n") {
                data.push(b'\n');
            }
            data.extend(noise.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
            data.push(b'\n');
        }
        let want = baseline(&data);
        prop_assert_eq!(&scan_with(&data, read_size), &want, "read_size {}", read_size);
        prop_assert_eq!(&scan_fed(&data, read_size, &chunks), &want, "read_size {} fed {:?}", read_size, chunks);
    }
}

// ---- (b) garbage between blocks ----------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Every line stands alone: garbage may go before any line.
    Lines,
    /// kubectl describe output: garbage before a column-0 `Name:`, and at both ends.
    Describe,
    /// One block (a document, a table, a mixed sample): garbage at both ends only.
    Whole,
}

fn kind(name: &str) -> Kind {
    const LINES: [&str; 18] = [
        "containerd",
        "kubelet",
        "kernel-oom",
        "dockerps",
        "-events.txt",
        "dockerevents",
        "supervisord",
        "crio",
        "-cri.txt",
        "lab-ctr-events",
        "lab-docker-events-die-oom-kill",
        "lab-docker-events-human",
        "lab-docker-ps-a",
        "lab-journal-nspawn",
        "lab-runc-oom-dmesg",
        "lab-containerd-cri-lifecycle",
        "042-systemd",
        "243-systemd",
    ];
    if LINES.iter().any(|k| name.contains(k)) {
        Kind::Lines
    } else if name.contains("describe") {
        Kind::Describe
    } else {
        Kind::Whole
    }
}

/// Indices of lines before which garbage may go (`n` = after the last line).
fn boundaries(name: &str, lines: &[&[u8]]) -> Vec<usize> {
    let n = lines.len();
    match kind(name) {
        Kind::Lines => (0..=n).collect(),
        Kind::Describe => {
            let mut b: Vec<usize> = (0..n).filter(|&i| i == 0 || lines[i].starts_with(b"Name:")).collect();
            b.push(n);
            b
        }
        Kind::Whole => vec![0, n],
    }
}

fn garbage() -> impl Strategy<Value = Vec<u8>> {
    // First bytes that cannot continue a block (see the module doc).
    let first =
        prop::sample::select(vec![0u8, 1, 7, 0x1b, b'#', b'!', b'%', b'<', b'=', b'~', b'|', 0x80, 0xc3, 0xfe, 0xff]);
    let body = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..200),
        1 => prop::collection::vec(Just(0u8), 1..64),
        1 => Just(b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\xff\xfe\xfd".to_vec()),
        1 => (0u8..26).prop_map(|c| vec![b'a' + c; 1 << 20]),
    ];
    (first, body).prop_map(|(f, b)| {
        let mut g = vec![f];
        g.extend(b.into_iter().map(|x| if x == b'\n' { 0 } else { x }));
        g
    })
}

/// No prefilter literal anywhere in `g` (it would be a termination line itself).
fn inert(g: &[u8]) -> bool {
    exitscan::parse::hits(g).0 == 0
}

/// (code, container, reason, state, signal, format, line)
type Seen =
    (Option<i64>, Option<exitscan::record::Str>, Option<exitscan::record::Str>, Option<State>, Option<u8>, Format, u64);

fn seen(b: &Brief) -> Seen {
    (b.code, b.container.clone(), b.reason.clone(), b.state, b.signal, b.format, b.line)
}

proptest! {
    #![proptest_config(Config { cases: 64, failure_persistence: None, ..Config::default() })]

    #[test]
    fn garbage_between_blocks_changes_nothing(
        idx in 0usize..1000,
        inserts in prop::collection::vec((0usize..1000, garbage()), 1..6),
    ) {
        let (name, data) = &samples()[idx % samples().len()];
        let text: &[u8] = data.strip_suffix(b"\n").unwrap_or(data);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let bounds = boundaries(name, &lines);
        // garbage lines to insert before line index i
        let mut before: Vec<Vec<Vec<u8>>> = vec![Vec::new(); lines.len() + 1];
        for (at, g) in &inserts {
            if inert(g) {
                before[bounds[at % bounds.len()]].push(g.clone());
            }
        }
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            for g in &before[i] {
                out.extend_from_slice(g);
                out.push(b'\n');
            }
            out.extend_from_slice(l);
            out.push(b'\n');
        }
        for g in &before[lines.len()] {
            out.extend_from_slice(g);
            out.push(b'\n');
        }
        // Line numbers shift by the garbage lines inserted before them.
        let shift = |line: u64| -> u64 {
            let idx = (line as usize).saturating_sub(1).min(lines.len());
            line + before[..=idx].iter().map(|v| v.len() as u64).sum::<u64>()
        };
        let want: Vec<Seen> = baseline(data)
            .iter()
            .map(|b| { let mut s = seen(b); s.6 = shift(s.6); s })
            .collect();
        let got: Vec<Seen> = baseline(&out).iter().map(seen).collect();
        prop_assert_eq!(got, want, "{}: garbage before lines {:?}",
            name, before.iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(i, v)| (i + 1, v.len())).collect::<Vec<_>>());
    }
}

// ---- (c) JSON output ---------------------------------------------------------

fn kb() -> Arc<KnowledgeBase> {
    static KB: std::sync::OnceLock<Arc<KnowledgeBase>> = std::sync::OnceLock::new();
    KB.get_or_init(|| Arc::new(KnowledgeBase::builtin().expect("built-in knowledge base"))).clone()
}

/// Checks one line of JSON output; returns the parsed object.
fn check_json_line(line: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(line)))?;
    let serde_json::Value::Object(o) = v else { return Err("not an object".into()) };
    for f in FIELDS {
        if !o.contains_key(f) {
            return Err(format!("missing field {f}: {}", String::from_utf8_lossy(line)));
        }
    }
    if o.len() != FIELDS.len() {
        return Err(format!("unexpected fields: {:?}", o.keys().collect::<Vec<_>>()));
    }
    let is_str_or_null = |k: &str| o[k].is_string() || o[k].is_null();
    for k in [
        "namespace",
        "pod",
        "container",
        "container_id",
        "state",
        "signal_name",
        "reason",
        "message",
        "started_at",
        "finished_at",
    ] {
        if !is_str_or_null(k) {
            return Err(format!("{k} is neither string nor null"));
        }
    }
    if !o["class"].is_string() || !o["format"].is_string() || !o["repeat"].is_boolean() || !o["line"].is_u64() {
        return Err("class/format/repeat/line of the wrong type".into());
    }
    if let Some(c) = o["exit_code"].as_i64() {
        if !(0..=255).contains(&c) && o["class"] != "windows" {
            return Err(format!("exit_code {c} outside 0..=255 for class {}", o["class"]));
        }
    }
    if let Some(c) = o["cause"].as_object() {
        for f in ["id", "summary", "detail", "checks", "evidence"] {
            if !c.contains_key(f) {
                return Err(format!("cause without {f}"));
            }
        }
    } else if !o["cause"].is_null() {
        return Err("cause is neither object nor null".into());
    }
    Ok(o)
}

/// Runs `data` through the real pipeline (context, causes, dedupe) into JSON.
fn pipeline_json(data: &[u8], read_size: usize) -> Vec<u8> {
    let writer = RecordWriter::new(OutputKind::Json, Vec::new());
    let mut pipe = Pipeline::new(kb(), Lang::En, Dedupe::new(1000), writer, None);
    let mut s = Scanner::new("prop \"src\"\n\u{1}", ScanConfig { read_size, ..ScanConfig::default() });
    s.feed(data, &mut pipe);
    s.finish(&mut pipe);
    pipe.finish().expect("write to Vec");
    pipe.writer.into_inner()
}

/// A golden sample with some bytes replaced: records whose names, reasons and
/// messages hold control bytes, quotes, backslashes and invalid UTF-8.
fn mutated_sample() -> impl Strategy<Value = Vec<u8>> {
    let bytes = prop::sample::select(vec![
        0u8, b'"', b'\\', 0x7f, 0x1f, b'\r', b'\t', 0xff, 0xc3, 0xe2, 0x80, b'{', b'}', b'\'', 0x08, 0x0c,
    ]);
    (0usize..1000, prop::collection::vec((any::<prop::sample::Index>(), bytes), 0..24)).prop_map(|(idx, muts)| {
        let mut d = samples()[idx % samples().len()].1.clone();
        for (at, b) in muts {
            if !d.is_empty() {
                let i = at.index(d.len());
                if d[i] != b'\n' {
                    d[i] = b;
                }
            }
        }
        d
    })
}

proptest! {
    #![proptest_config(Config { cases: 64, failure_persistence: None, ..Config::default() })]

    /// Records of (damaged) real input encode to JSON with every field.
    #[test]
    fn json_output_of_any_input_parses(data in mutated_sample(), read_size in read_sizes()) {
        let out = pipeline_json(&data, read_size);
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if let Err(e) = check_json_line(line) {
                prop_assert!(false, "{}", e);
            }
        }
    }

    /// Arbitrary bytes too.
    #[test]
    fn json_output_of_random_bytes_parses(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        let out = pipeline_json(&data, 7);
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if let Err(e) = check_json_line(line) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::collection::vec(any::<char>(), 0..24).prop_map(|v| v.into_iter().collect::<String>()))
}

fn arb_record() -> impl Strategy<Value = Record> {
    let names = (text(), text(), text(), text(), text(), text());
    let nums = (
        prop::option::of(prop_oneof![any::<i64>(), -300i64..600, Just(3_221_225_477i64), Just(-1_073_741_819i64)]),
        prop::option::of(1i64..=64),
        prop::option::of(any::<u64>()),
        any::<u64>(),
        prop::option::of(any::<bool>()),
        any::<bool>(),
    );
    let formats = (
        prop::sample::select(Format::ALL.to_vec()),
        prop::option::of(prop_oneof![Just(State::Terminated), Just(State::LastTerminated)]),
    );
    (names, nums, formats, text(), text()).prop_map(|(n, v, (format, state), started, finished)| {
        let mut r = Record::new(format);
        r.source = Arc::from(n.0.clone().unwrap_or_default().as_str());
        let s = |v: Option<String>| v.map(exitscan::record::Str::from);
        (r.namespace, r.pod, r.container, r.container_id, r.reason, r.message) =
            (s(n.0), s(n.1), s(n.2), s(n.3), s(n.4), s(n.5));
        r.raw_exit_code = v.0;
        r.stated_signal = v.1.and_then(Signal::new);
        r.restart_count = v.2;
        r.line = v.3;
        r.init = v.4;
        r.repeat = v.5;
        r.state = state;
        r.started_at = s(started);
        r.finished_at = s(finished);
        r.hints.oom_event = v.5;
        r
    })
}

proptest! {
    #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

    /// Any record, with the cause the knowledge base gives it, in both languages.
    #[test]
    fn json_encoder_handles_any_record(mut r in arb_record(), zh in any::<bool>()) {
        let lang = if zh { Lang::Zh } else { Lang::En };
        r.cause = exitscan::enrich::explain(&kb(), lang, &r);
        let mut enc = JsonEncoder::default();
        let mut out = Vec::new();
        enc.encode(&mut out, &r);
        // Twice: the second time the cause's fixed text comes from the cache.
        enc.encode(&mut out, &r);
        prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 2, "one line per record");
        let lines: Vec<&[u8]> = out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        prop_assert_eq!(lines[0], lines[1]);
        let o = match check_json_line(lines[0]) {
            Ok(o) => o,
            Err(e) => return Err(TestCaseError::fail(e)),
        };
        // Strings survive the round trip unchanged.
        prop_assert_eq!(o["container"].as_str(), r.container.as_deref());
        prop_assert_eq!(o["message"].as_str(), r.message.as_deref());
        prop_assert_eq!(o["source"].as_str(), Some(&*r.source));
        prop_assert_eq!(o["raw_exit_code"].as_i64(), r.raw_exit_code);
        prop_assert_eq!(o["line"].as_u64(), Some(r.line));
    }
}
