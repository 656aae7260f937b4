//! The scanner: bytes in, [`Item`]s out, in input order.
//!
//! It reads big buffers and, while no multi-line parser is active, does not
//! look at lines one by one: it searches the buffer for the prefilter's
//! literals ([`crate::parse::LITERALS`]) and visits only the lines that hold
//! one, plus lines longer than [`LONG_LINE`] (the 16 KiB pieces CRI and
//! docker split long messages into, which must be joined before searching).
//! A visited line is unwrapped ([`crate::frame`]), joined with its partial
//! pieces, and dispatched to the parsers its literals select.
//!
//! Multi-line formats switch the scanner to *line mode*: the parser finds
//! where its block starts by looking back from the line that triggered it
//! (at most [`ScanConfig::lookback`] bytes, never before the end of the
//! previous block) and is then fed every line until it says the block ended.
//!
//! Memory is flat: the buffer holds one read plus the lookback window, and
//! grows only up to [`ScanConfig::max_line`] for a single long line. Longer
//! lines are cut there (the cut is counted, once, in `dropped`).

use std::io::{self, Read};
use std::sync::Arc;

use crate::frame::{self, Framing, Stream};
use crate::parse::describe::{self, Describe};
use crate::parse::doc::{self, Doc};
use crate::parse::getpods::{self, Table};
use crate::parse::{
    self, containerd, crio, docker, kernel, kubelet, orchestrator, supervisord, systemd, Evidence, Hits, Item,
};
use crate::record::{Format, Record, Str};

/// Room [`Scanner::feed_chunk`] needs in front of the data of each chunk.
pub const CHUNK_HEADROOM: usize = 256 << 10;

/// A partial message past this many bytes gets the room for a whole line
/// (`ScanConfig::max_line`) at once.
const PARTIAL_STEP: usize = 1 << 20;

/// Lines at least this long are visited even without a literal: they may be
/// pieces of a split message whose literal straddles two pieces.
pub const LONG_LINE: usize = 16 * 1024;

/// Input formats `--format` can force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Every line is CRI-framed; others are parse errors.
    Cri,
    /// Every line is a docker json-file line; others are parse errors.
    DockerJson,
    /// Only this parser runs.
    Only(Format),
}

impl InputFormat {
    pub fn parse(s: &str) -> Option<InputFormat> {
        match s {
            "cri" => Some(InputFormat::Cri),
            "docker-json" => Some(InputFormat::DockerJson),
            other => Format::parse(other).map(InputFormat::Only),
        }
    }

    pub fn names() -> Vec<&'static str> {
        let mut v = vec!["cri", "docker-json"];
        v.extend(Format::ALL.iter().map(|f| f.as_str()));
        v
    }
}

/// Scanner limits.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub format: Option<InputFormat>,
    /// The longest line kept whole; longer lines are cut (and counted).
    pub max_line: usize,
    /// How far back a block parser may look for where its block starts.
    pub lookback: usize,
    /// Bytes asked of each `read`. (768 KiB: four buffers of them in flight
    /// are most of the peak RSS; 1 MiB reads were 5 % faster on CRI logs but
    /// took describe streams to 16 MiB, and 512 KiB reads made the kubelet
    /// stream 8 % slower.)
    pub read_size: usize,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig { format: None, max_line: 16 << 20, lookback: 64 << 10, read_size: 768 << 10 }
    }
}

/// Why input was dropped (`exitscan_dropped_total{why}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dropped {
    /// The part of a line past `max_line`.
    OversizedLine,
    /// Partial CRI / docker pieces that grew past `max_line` or were never completed.
    StalePartial,
}

impl Dropped {
    pub const ALL: [Dropped; 2] = [Dropped::OversizedLine, Dropped::StalePartial];

    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::OversizedLine => "oversized_line",
            Dropped::StalePartial => "stale_partial",
        }
    }
}

/// A problem with the input that cost a record (reported with file and line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub format: &'static str,
    pub what: String,
}

/// Where the scanner's results go.
pub trait ScanOutput {
    fn item(&mut self, item: Item);
    /// A problem that cost a record.
    fn problem(&mut self, _p: Problem) {}
    /// Something was dropped (`bytes` of it).
    fn dropped(&mut self, _why: Dropped, _bytes: u64) {}
    /// Input bytes, unchanged and in order, interleaved with `item` calls so
    /// that each item follows the line that completed it (passthrough output).
    fn raw(&mut self, _bytes: &[u8]) {}
    fn wants_raw(&self) -> bool {
        false
    }
}

/// Lines and bytes seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub bytes: u64,
    /// Lines by framing, indexed like [`Framing::ALL`].
    pub lines: [u64; 5],
}

fn framing_index(f: Framing) -> usize {
    match f {
        Framing::Plain => 0,
        Framing::Cri => 1,
        Framing::DockerJson => 2,
        Framing::Journal => 3,
        Framing::Timestamped => 4,
    }
}

enum Mode {
    Skip,
    Describe(Box<Describe>),
    Doc(Box<Doc>),
    Table(Table),
    /// Spark's `exit code: N`, waiting for `termination reason:` on the next line.
    /// (And whether its `container state: terminated` was seen above it:
    /// without it, only a `termination reason:` line next makes it Spark's.)
    Spark(Box<Record>, bool),
}

/// Partial pieces of one stream waiting for their final piece.
#[derive(Default)]
struct Partial {
    bytes: Vec<u8>,
    first_line: u64,
    /// Stream offset of the first piece.
    first_offset: u64,
    time: Option<Vec<u8>>,
    /// Lines seen since the last piece (a partial nobody completes goes stale).
    idle: u32,
    overflow: bool,
}

/// After this many lines without a piece of its stream, a partial is scanned
/// as it is and dropped.
const STALE_AFTER: u32 = 4096;

/// Lines above a systemd `Main process exited` line searched for what
/// systemd said of the unit before it signalled the main process (its OOM
/// notice, watchdog, start or stop timeout): other units' and the kernel's
/// lines come between, and one `Killing process N (...) with signal` line
/// for each process of the unit, and a core dump's stack trace.
const UNIT_NOTICE_LOOKBACK: usize = 48;

/// Lines above a Nomad `Terminated` event row searched for its task's name:
/// `nomad alloc status` prints the task's resources, its event summary and
/// up to ten events (`-verbose`: more) between.
const NOMAD_TASK_LOOKBACK: usize = 48;
/// Lines above Spark's `exit code: N` searched for its container's and pod's
/// pairs (the pod's eleven, then each container's five to seven).
const SPARK_STATUS_LOOKBACK: usize = 64;
/// Rows of an `argo get` node table searched up for its header.
const ARGO_TABLE_LOOKBACK: usize = 256;
/// Lines above it that may hold the container's own pairs.
const SPARK_OWN_LOOKBACK: usize = 12;

/// A long line being cut at `max_line`: bytes up to its newline are skipped.
struct Cut {
    dropped: u64,
}

/// Compact JSON on one line is read in pieces past this many bytes, so a
/// document of any size costs no more than this (a line read whole this long
/// is read the same way, [`doc::parse_compact`]).
const LONG_DOC_AFTER: usize = 1 << 20;

/// A line of compact JSON longer than [`LONG_DOC_AFTER`] (`kubectl get --raw
/// /api/v1/pods`, an API response saved as it came): read in pieces that end
/// outside strings ([`doc::json_split`]) by one streaming [`Doc`], neither
/// held whole nor cut at `max_line`.
struct LongDoc {
    doc: Doc,
    line_no: u64,
    /// Records held until the line ends (passthrough writes them after it).
    held: Vec<Record>,
}

pub struct Scanner {
    cfg: ScanConfig,
    source: Arc<str>,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Next byte to process; always a line start.
    pos: usize,
    filled: usize,
    /// Lookback never goes before this (a line start).
    floor: usize,
    /// `line_no` is the 1-based number of the line starting at `line_pos`.
    line_pos: usize,
    line_no: u64,
    /// Lines counted into `stats` up to this position.
    counted_pos: usize,
    mode: Mode,
    partials: [Option<Box<Partial>>; 4],
    long_probe: usize,
    raw_done: u64,
    cut: Option<Cut>,
    long_doc: Option<Box<LongDoc>>,
    last_framing: Framing,
    pub stats: ScanStats,
    eof: bool,
    scratch: Vec<u8>,
    time_scratch: Vec<u8>,
    /// `buf[pos..nl_searched]` holds no newline.
    nl_searched: usize,
    /// Where the active block started: (stream offset, line number).
    block_origin: Option<(u64, u64)>,
    /// The first byte of `buf` that holds stream bytes (a line start).
    data_start: usize,
    /// The log line time of the line that started the active block.
    block_time: Option<Str>,
    /// Prefilter answers for part of the buffer, found ahead on another thread.
    hints: Option<Hints>,
    /// Bytes of the last chunk passed over by the prefilter and looked at line by line.
    skipped_bytes: usize,
    line_bytes: usize,
    /// Bytes of the last chunk in describe pods read whole or passed over.
    pod_bytes: usize,
    /// Pods taken from the reader thread's hints (for tests).
    hinted_pods: u64,
    /// `buf[pos..esc_at]` holds no ESC byte (see [`Scanner::esc_limit`]).
    esc_at: usize,
    /// The pod and namespace of the last Spark pod state listing that named
    /// them, for its later containers (a record ends where the next
    /// container's lines start, out of their sight).
    spark_pod: (Option<Str>, Option<Str>),
}

/// The prefilter's answers for the lines in `buf[from..to)` (both line
/// starts), found on the reader thread while the scanner works on the chunk
/// before: the position of the first literal part in each line that holds
/// one, in order. The search is a pure function of the bytes and literals
/// never span lines, so the scanner gets the answer [`parse::find`] would
/// have given from any line start in the range.
///
/// Or, for `kubectl describe pods` output, the pods in the tail of the chunk
/// read ahead whole ([`Describe::feed_pod`]): a pure function of the pod's
/// bytes too, so the scanner takes each as if it had read the pod itself.
#[derive(Debug, Default)]
pub struct Hints {
    from: usize,
    to: usize,
    hits: Vec<usize>,
    /// Hits before this index are behind the scanner.
    next: usize,
    pods: Vec<WholePod>,
    /// Pods before this index are behind the scanner.
    pod_next: usize,
}

/// What the reader thread does ahead on the tail of each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintKind {
    /// Nothing: the scanner reads most lines itself.
    None = 0,
    /// The prefilter search (the scanner mostly skips by prefilter).
    Prefilter = 1,
    /// Whole describe pods (the scanner mostly reads pods whole).
    Pods = 2,
}

impl HintKind {
    pub fn from_u8(v: u8) -> HintKind {
        match v {
            1 => HintKind::Prefilter,
            2 => HintKind::Pods,
            _ => HintKind::None,
        }
    }
}

/// A describe pod the reader thread read whole.
#[derive(Debug)]
struct WholePod {
    /// Its `Name:` line `[ls, le)`, as buffer indices.
    ls: usize,
    /// The pod after that line and the lines after it, numbered from 1 for
    /// the line after `Name:`.
    pod: Option<Box<Describe>>,
    /// The next pod's `Name:` line `[next_ls, next_le)`, and the number of
    /// lines before it.
    next_ls: usize,
    next_le: usize,
    lines: u64,
}

/// How many eighths of each chunk the reader thread searches at most; it
/// starts at [`HINT_SHARE_START`] and moves by one eighth towards whichever
/// thread waits for the other (see `app::produce`).
pub const HINT_SHARE_MAX: usize = 6;
pub const HINT_SHARE_START: usize = 3;

impl Hints {
    /// Does `kind` of work over the last `eighths`/8 of `chunk[start..start + n]`
    /// (the bytes of one read, at their place in the buffer the scanner will use).
    pub fn for_chunk(chunk: &[u8], start: usize, n: usize, eighths: usize, kind: HintKind) -> Option<Hints> {
        match kind {
            HintKind::None => None,
            HintKind::Prefilter => Hints::search(chunk, start, n, eighths),
            HintKind::Pods => Hints::read_pods(chunk, start, n, eighths),
        }
    }

    fn search(chunk: &[u8], start: usize, n: usize, eighths: usize) -> Option<Hints> {
        let data = chunk.get(start..start.checked_add(n)?)?;
        if eighths == 0 {
            return None;
        }
        let mid = n - n / 8 * eighths.min(8);
        let from = mid + memchr::memchr(b'\n', data.get(mid..)?)? + 1;
        let to = memchr::memrchr(b'\n', data)? + 1;
        if from >= to {
            return None;
        }
        let mut hits = Vec::new();
        let mut p = from;
        while let Some(m) = parse::find(&data[p..to]) {
            let at = p + m;
            hits.push(start + at);
            p = memchr::memchr(b'\n', &data[at..to]).map_or(to, |nl| at + nl + 1);
        }
        Some(Hints { from: start + from, to: start + to, hits, next: 0, ..Hints::default() })
    }

    /// Reads whole the pods whose `Name:` line starts in the last
    /// `eighths`/8 of the data and that end (at the next `Name:` line)
    /// before its end and before any ESC byte, as the scanner would
    /// ([`Describe::read_whole`]; line numbers from 0 for the `Name:` line).
    fn read_pods(chunk: &[u8], start: usize, n: usize, eighths: usize) -> Option<Hints> {
        static NAME: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let name = NAME.get_or_init(|| memchr::memmem::Finder::new(b"\nName:"));
        let data = chunk.get(start..start.checked_add(n)?)?;
        if eighths == 0 {
            return None;
        }
        let mid = n - n / 8 * eighths.min(8);
        let mut ls = mid + name.find(data.get(mid..)?)? + 1;
        let esc = memchr::memchr(0x1b, &data[ls..]).map_or(n, |e| ls + e);
        let mut pods = Vec::new();
        // How far from the start of `data` no `Exit Code` starts (see `inert_until`).
        let mut clear = 0usize;
        while let Some(le) = memchr::memchr(b'\n', &data[ls..esc]).map(|e| ls + e) {
            let line = &data[ls..le];
            let mut known = clear.saturating_sub(le + 1);
            let whole = Describe::read_whole_or_inert(
                line.strip_suffix(b"\r").unwrap_or(line),
                0,
                &data[le + 1..esc],
                &mut known,
            );
            clear = le + 1 + known;
            match whole {
                Some((pod, (at, end, lines))) => {
                    let next_ls = le + 1 + at;
                    pods.push(WholePod {
                        ls: start + ls,
                        pod: Some(pod),
                        next_ls: start + next_ls,
                        next_le: start + le + 1 + end,
                        lines,
                    });
                    ls = next_ls;
                }
                None => match name.find(&data[le..esc]) {
                    Some(p) => ls = le + p + 1,
                    None => break,
                },
            }
        }
        // (An empty range of prefilter hits: the scanner searches itself.)
        (!pods.is_empty()).then(|| Hints { from: start, to: start, pods, ..Hints::default() })
    }
}

fn partial_slot(f: Framing, s: Option<Stream>) -> usize {
    let base = if f == Framing::Cri { 0 } else { 2 };
    base + usize::from(s == Some(Stream::Stderr))
}

impl Scanner {
    pub fn new(source: impl Into<Arc<str>>, cfg: ScanConfig) -> Scanner {
        Scanner {
            cfg,
            source: source.into(),
            // Grown on first read: a thousand idle followed files cost nothing.
            buf: Vec::new(),
            base: 0,
            pos: 0,
            filled: 0,
            floor: 0,
            line_pos: 0,
            line_no: 1,
            counted_pos: 0,
            mode: Mode::Skip,
            partials: Default::default(),
            long_probe: 0,
            raw_done: 0,
            cut: None,
            long_doc: None,
            last_framing: Framing::Plain,
            stats: ScanStats::default(),
            eof: false,
            scratch: Vec::new(),
            time_scratch: Vec::new(),
            nl_searched: 0,
            block_origin: None,
            block_time: None,
            data_start: 0,
            hints: None,
            skipped_bytes: 0,
            line_bytes: 0,
            pod_bytes: 0,
            hinted_pods: 0,
            esc_at: 0,
            spark_pod: (None, None),
        }
    }

    pub fn source(&self) -> &Arc<str> {
        &self.source
    }

    /// Starts numbering at `line_no` for a stream whose first byte is at
    /// `offset` (resuming a followed file from a checkpoint).
    pub fn resume_at(&mut self, offset: u64, line_no: u64) {
        self.base = offset;
        self.raw_done = offset;
        self.line_no = line_no.max(1);
    }

    /// Where reading must resume after a restart so that nothing is lost:
    /// the earliest of the next unprocessed line, the start of an open block
    /// and the first piece of a partial message. Returns (offset, line number).
    pub fn resume_offset(&self) -> (u64, u64) {
        let mut best = (self.base.wrapping_add(self.pos as u64), self.line_no_at_pos());
        if !matches!(self.mode, Mode::Skip) {
            if let Some(o) = self.block_origin {
                best = best.min(o);
            }
        }
        for p in self.partials.iter().flatten() {
            best = best.min((p.first_offset, p.first_line));
        }
        best
    }

    fn line_no_at_pos(&self) -> u64 {
        if self.pos >= self.line_pos {
            self.line_no + bytecount::count(&self.buf[self.line_pos..self.pos], b'\n') as u64
        } else {
            self.line_no - bytecount::count(&self.buf[self.pos..self.line_pos], b'\n') as u64
        }
    }

    /// Ends an open block and scans unfinished partial messages now, as if the
    /// stream had paused for good (a followed file that stopped growing).
    /// Reading can go on afterwards.
    pub fn flush_pending(&mut self, out: &mut dyn ScanOutput) {
        let at = self.pos;
        self.end_mode(at, out);
        for slot in 0..self.partials.len() {
            if let Some(p) = self.partials[slot].take() {
                let time = p.time.clone();
                self.dispatch(frame::without_quotes(&p.bytes), p.first_line, time.as_deref(), at, at, out);
            }
        }
        self.floor = self.pos;
    }

    /// True when a block or partial message waits for more lines.
    pub fn has_pending(&self) -> bool {
        !matches!(self.mode, Mode::Skip) || self.partials.iter().any(Option::is_some)
    }

    /// True when the line holding `p` starts before `p` (lookback stopped
    /// mid-line): neither the buffer's nor the stream's first byte, and no newline before.
    fn cut_at(&self, p: usize) -> bool {
        p > self.data_start && self.buf[p - 1] != b'\n'
    }

    /// True when no block or partial message is open and all bytes are processed.
    pub fn is_idle(&self) -> bool {
        matches!(self.mode, Mode::Skip) && self.partials.iter().all(Option::is_none) && self.pos == self.filled
    }

    /// Gives back buffer memory beyond what lookback needs (idle followed files).
    pub fn trim_memory(&mut self) {
        self.make_room_force();
        if self.buf.capacity() > self.filled.max(1) * 2 {
            self.buf.truncate(self.filled);
            self.buf.shrink_to_fit();
        }
    }

    /// Reads `r` to its end, scanning as it goes.
    pub fn scan_reader<R: Read + ?Sized>(&mut self, r: &mut R, out: &mut dyn ScanOutput) -> io::Result<()> {
        loop {
            let n = self.read_some(r)?;
            if n == 0 {
                break;
            }
            self.process(out);
        }
        self.finish(out);
        Ok(())
    }

    /// One `read` into the buffer; returns the bytes read (0 at end of input).
    pub fn read_some<R: Read + ?Sized>(&mut self, r: &mut R) -> io::Result<usize> {
        self.make_room();
        let want = self.cfg.read_size.max(1);
        if self.buf.len() < self.filled + want {
            self.buf.resize(self.filled + want, 0);
        }
        let n = loop {
            match r.read(&mut self.buf[self.filled..self.filled + want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.filled += n;
        self.stats.bytes += n as u64;
        Ok(n)
    }

    /// Appends bytes (for callers that already hold them) and scans complete lines.
    pub fn feed(&mut self, mut data: &[u8], out: &mut dyn ScanOutput) {
        while !data.is_empty() {
            self.make_room();
            let want = self.cfg.read_size.max(1).min(data.len());
            if self.buf.len() < self.filled + want {
                self.buf.resize(self.filled + want, 0);
            }
            self.buf[self.filled..self.filled + want].copy_from_slice(&data[..want]);
            self.filled += want;
            self.stats.bytes += want as u64;
            data = &data[want..];
            self.process(out);
        }
    }

    /// Moves what is still needed to the front of the buffer.
    fn make_room(&mut self) {
        if self.buf.len() >= self.filled + self.cfg.read_size && self.filled > 0 {
            return;
        }
        self.make_room_force();
    }

    fn make_room_force(&mut self) {
        let keep = self.keep_from();
        if keep == 0 {
            return;
        }
        self.buf.copy_within(keep..self.filled, 0);
        self.shift(keep, 0);
        // Give back memory a single huge line made us take.
        let normal = self.cfg.read_size + self.cfg.lookback;
        if self.buf.capacity() > 4 * normal && self.filled < normal {
            self.buf.truncate(self.filled);
            self.buf.shrink_to(normal);
        }
    }

    /// Takes bytes read elsewhere, in place: `chunk[CHUNK_HEADROOM..CHUNK_HEADROOM + n]`.
    /// What the scanner still needs of its current buffer is copied in front of
    /// them and the buffers are swapped, so the bytes are never copied again
    /// (a reader thread fills chunks while this one scans). `spare` gets a
    /// buffer for the next read as soon as there is one: before the chunk is
    /// scanned, so that the reader needs no more than three in all.
    ///
    /// `hints` are [`Hints::for_chunk`] of this chunk, when the reader thread
    /// found them (see [`Scanner::wants_hints`]).
    pub fn feed_chunk(
        &mut self,
        mut chunk: Vec<u8>,
        n: usize,
        hints: Option<Hints>,
        out: &mut dyn ScanOutput,
        spare: impl FnOnce(Vec<u8>),
    ) {
        let n = n.min(chunk.len().saturating_sub(CHUNK_HEADROOM));
        if n == 0 {
            return spare(chunk);
        }
        let keep = self.keep_from();
        let kept = self.filled - keep;
        if kept > CHUNK_HEADROOM || self.cut.is_some() || self.long_doc.is_some() {
            // A long line is pending: append the ordinary way.
            self.feed(&chunk[CHUNK_HEADROOM..CHUNK_HEADROOM + n], out);
            return spare(chunk);
        }
        let start = CHUNK_HEADROOM - kept;
        chunk[start..CHUNK_HEADROOM].copy_from_slice(&self.buf[keep..self.filled]);
        spare(std::mem::replace(&mut self.buf, chunk));
        self.shift(keep, start);
        self.filled = CHUNK_HEADROOM + n;
        self.stats.bytes += n as u64;
        // (Positions from the reader are buffer indices of this chunk.)
        self.hints = hints.filter(|h| CHUNK_HEADROOM <= h.from && h.to <= self.filled);
        self.skipped_bytes = 0;
        self.line_bytes = 0;
        self.pod_bytes = 0;
        self.process(out);
        self.hints = None;
    }

    /// What the reader thread should do ahead on the next chunk: read pods
    /// whole when the last chunk was mostly describe pods taken whole, search
    /// when it was mostly passed over by the prefilter (so that the reader's
    /// share would be used), else nothing.
    pub fn wants_hints(&self) -> HintKind {
        if self.pod_bytes * 2 >= self.skipped_bytes + self.line_bytes && self.pod_bytes > 0 {
            HintKind::Pods
        } else if self.skipped_bytes >= self.line_bytes {
            HintKind::Prefilter
        } else {
            HintKind::None
        }
    }

    /// The first prefilter hit in `buf[self.pos..end]` ([`parse::find`]),
    /// from the hints where they cover the range.
    fn find_hit(&mut self, end: usize) -> Option<usize> {
        let pos = self.pos;
        // (An empty range, as pods read ahead leave, answers nothing: its
        // one position may be inside a line, whose literal would be cut there.)
        let Some(h) = self.hints.as_mut().filter(|h| h.from < h.to) else {
            return parse::find(&self.buf[pos..end]).map(|m| pos + m);
        };
        // Hints answer from line starts only.
        if pos > h.from && pos < h.to && self.buf.get(pos.wrapping_sub(1)) != Some(&b'\n') {
            return parse::find(&self.buf[pos..end]).map(|m| pos + m);
        }
        if pos < h.from {
            let upto = h.from.min(end);
            if let Some(m) = parse::find(&self.buf[pos..upto]) {
                return Some(pos + m);
            }
        }
        if end > h.from && pos < h.to {
            let lo = pos.max(h.from);
            if h.next > 0 && h.hits.get(h.next - 1).is_some_and(|&x| x >= lo) {
                h.next = h.hits.partition_point(|&x| x < lo);
            }
            while h.hits.get(h.next).is_some_and(|&x| x < lo) {
                h.next += 1;
            }
            match h.hits.get(h.next) {
                Some(&x) if x < end => return Some(x),
                Some(_) => return None,
                None => {}
            }
        }
        let from = pos.max(h.to);
        if end > from {
            return parse::find(&self.buf[from..end]).map(|m| from + m);
        }
        None
    }

    /// Moves buffer positions after the bytes from `keep` on moved to `to`.
    fn shift(&mut self, keep: usize, to: usize) {
        self.hints = None;
        let f = |p: usize| if p >= keep { p - keep + to } else { to };
        // `base` is the offset of buf[0]; with `to` > `keep` it may go "below
        // zero" (the front of the buffer then holds no stream bytes), hence wrapping.
        self.base = self.base.wrapping_add(keep as u64).wrapping_sub(to as u64);
        self.pos = f(self.pos);
        self.filled = f(self.filled);
        self.floor = f(self.floor);
        self.line_pos = f(self.line_pos);
        self.counted_pos = f(self.counted_pos);
        self.long_probe = f(self.long_probe);
        self.nl_searched = f(self.nl_searched);
        self.data_start = f(self.data_start);
        self.esc_at = f(self.esc_at);
    }

    /// The first byte the scanner still needs (history for lookback, the
    /// unprocessed tail); counts lines up to `pos` on the way.
    fn keep_from(&mut self) -> usize {
        self.count_lines_to(self.pos);
        // Line numbers move up to `pos` too, or a stretch without a single hit
        // would pin everything since the last visited line.
        self.line_at(self.pos);
        let lo = self.data_start;
        let mut keep = self.pos.saturating_sub(self.cfg.lookback).max(lo);
        if keep > lo {
            // Keep whole lines only. With no line start in the window (one
            // huge line before `pos`), history is worthless: keep nothing.
            keep = match memchr::memrchr(b'\n', &self.buf[lo..keep]) {
                Some(nl) => lo + nl + 1,
                None => self.pos,
            };
        }
        let raw = self.raw_done.wrapping_sub(self.base) as usize;
        keep.min(self.pos).min(self.counted_pos).min(self.line_pos).min(raw)
    }

    /// Scans the complete lines in the buffer.
    pub fn process(&mut self, out: &mut dyn ScanOutput) {
        if let Some(cut) = self.cut.as_mut() {
            // Skipping the rest of a cut line.
            match memchr::memchr(b'\n', &self.buf[self.pos..self.filled]) {
                Some(nl) => {
                    cut.dropped += nl as u64;
                    let d = cut.dropped;
                    self.cut = None;
                    out.dropped(Dropped::OversizedLine, d);
                    self.pass_raw_to(self.pos + nl + 1, out);
                    self.pos += nl + 1;
                    self.line_pos = self.pos;
                    self.line_no += 1;
                    self.counted_pos = self.pos;
                    self.stats.lines[framing_index(self.last_framing)] += 1;
                    self.floor = self.pos;
                }
                None => {
                    cut.dropped += (self.filled - self.pos) as u64;
                    let end = self.filled;
                    self.pass_raw_to(end, out);
                    self.pos = end;
                    self.line_pos = end;
                    self.counted_pos = end;
                    self.floor = end;
                    return;
                }
            }
        }
        if self.long_doc.is_some() && !self.continue_long_doc(out) {
            return;
        }
        // Only bytes after the last search can hold the newline we look for
        // (a long line read in many small pieces stays linear).
        let from = self.nl_searched.max(self.pos);
        let end = match memchr::memrchr(b'\n', &self.buf[from..self.filled]) {
            Some(nl) => from + nl + 1,
            None => {
                self.nl_searched = self.filled;
                self.long_line(out);
                return;
            }
        };
        self.scan_region(end, out);
        // Every processed line can be passed through now (records still to come
        // complete at a later line), so the buffer can be compacted past it.
        let pos = self.pos;
        self.pass_raw_to(pos, out);
        self.long_line(out);
    }

    /// The line at `pos` has no newline yet: compact JSON past
    /// [`LONG_DOC_AFTER`] is read in pieces from here on, any line past
    /// `max_line` is cut.
    fn long_line(&mut self, out: &mut dyn ScanOutput) {
        let len = self.filled - self.pos;
        if len >= LONG_DOC_AFTER.min(self.cfg.max_line) && self.start_long_doc(out) {
            return;
        }
        if len >= self.cfg.max_line {
            self.cut_line(out);
        }
    }

    /// The line at `pos` has no newline within `max_line`: scan what we have
    /// as the line and skip the rest of it.
    fn cut_line(&mut self, out: &mut dyn ScanOutput) {
        let end = self.pos + self.cfg.max_line;
        let dropped = (self.filled - end) as u64;
        // Scan the kept part as a line of its own.
        let ls = self.pos;
        self.visit(ls, end, end, out);
        self.pos = end;
        self.pass_raw_to(self.filled, out);
        self.cut = Some(Cut { dropped });
        self.pos = self.filled;
        self.line_pos = self.pos;
        self.counted_pos = self.pos;
        self.floor = self.pos;
    }

    /// A line with no newline within `max_line` that opens compact JSON
    /// (and no block is open): its pieces go to one streaming document.
    fn start_long_doc(&mut self, out: &mut dyn ScanOutput) -> bool {
        let rest = &self.buf[self.pos..self.filled];
        let rest = crate::parse::util::trim_start(rest);
        // (Not a docker json-file line: its message is text.)
        let opens = matches!(rest.first(), Some(b'{' | b'[')) && !rest.starts_with(b"{\"log\":");
        let allowed =
            self.allowed(Format::PodJson) || self.allowed(Format::Docker) || self.allowed(Format::Orchestrator);
        if !opens
            || !allowed
            || !matches!(self.mode, Mode::Skip)
            || matches!(self.cfg.format, Some(InputFormat::Cri | InputFormat::DockerJson))
        {
            return false;
        }
        self.count_lines_to(self.pos);
        let line_no = self.line_at(self.pos);
        self.last_framing = Framing::Plain;
        self.long_doc = Some(Box::new(LongDoc { doc: Doc::new(doc::Syntax::Json), line_no, held: Vec::new() }));
        self.continue_long_doc(out);
        true
    }

    /// Feeds the long JSON line at `pos` on as far as it can be read;
    /// true when the line ended (the scanner goes on after it).
    fn continue_long_doc(&mut self, out: &mut dyn ScanOutput) -> bool {
        let Some(mut ld) = self.long_doc.take() else { return true };
        let (pos, filled) = (self.pos, self.filled);
        let nl = memchr::memchr(b'\n', &self.buf[pos..filled]).map(|n| pos + n);
        let end = match nl {
            Some(n) => n,
            None if self.eof => filled,
            None => match doc::json_split(&self.buf[pos..filled]) {
                Some(s) => pos + s,
                None if filled - pos >= self.cfg.max_line => {
                    // One string longer than `max_line`: cut the line there.
                    self.finish_long_doc(ld, pos, out);
                    self.cut = Some(Cut { dropped: (filled - pos) as u64 });
                    self.pass_raw_to(filled, out);
                    self.skip_to(filled);
                    return false;
                }
                None => {
                    self.long_doc = Some(ld);
                    self.nl_searched = filled;
                    return false;
                }
            },
        };
        if let doc::Step::EndAfter = ld.doc.feed(&self.buf[pos..end], ld.line_no) {
            // The document closed; whatever follows on the line is read afresh.
            let recs = ld.doc.finish();
            ld.held.extend(recs);
            ld.doc = Doc::new(doc::Syntax::Json);
        }
        let recs = ld.doc.take_records();
        ld.held.extend(recs);
        match nl {
            Some(n) => {
                let next = n + 1;
                self.finish_long_doc(ld, next, out);
                self.skip_to(next);
                self.line_no += 1;
                self.stats.lines[framing_index(Framing::Plain)] += 1;
                true
            }
            None if self.eof => {
                self.finish_long_doc(ld, filled, out);
                self.skip_to(filled);
                true
            }
            None => {
                if !out.wants_raw() {
                    let held = std::mem::take(&mut ld.held);
                    self.emit_records(held, end, out);
                }
                self.pass_raw_to(end, out);
                self.skip_to(end);
                self.nl_searched = filled;
                self.long_doc = Some(ld);
                false
            }
        }
    }

    fn finish_long_doc(&mut self, mut ld: Box<LongDoc>, at: usize, out: &mut dyn ScanOutput) {
        let recs = ld.doc.finish();
        ld.held.extend(recs);
        self.emit_records(ld.held, at, out);
    }

    /// Moves every position to `p` (no line start lies between).
    fn skip_to(&mut self, p: usize) {
        self.pos = p;
        self.line_pos = p;
        self.counted_pos = p;
        self.floor = p;
    }

    /// End of input: scans a last line without newline and closes open blocks.
    pub fn finish(&mut self, out: &mut dyn ScanOutput) {
        if self.eof {
            return;
        }
        self.eof = true;
        if let Some(cut) = self.cut.take() {
            out.dropped(Dropped::OversizedLine, cut.dropped);
        }
        if self.long_doc.is_some() {
            self.continue_long_doc(out);
        }
        if self.pos < self.filled {
            let end = self.filled;
            self.scan_region_eof(end, out);
        }
        self.end_mode(self.filled, out);
        // Partials nobody completed: scan what they hold.
        for slot in 0..self.partials.len() {
            if let Some(p) = self.partials[slot].take() {
                let at = self.filled;
                let time = p.time.clone();
                self.dispatch(frame::without_quotes(&p.bytes), p.first_line, time.as_deref(), self.filled, at, out);
            }
        }
        self.count_lines_to(self.filled);
        self.pass_raw_to(self.filled, out);
    }

    fn scan_region_eof(&mut self, end: usize, out: &mut dyn ScanOutput) {
        // Treat the tail as a line: scan complete lines, then the remainder.
        if let Some(nl) = memchr::memrchr(b'\n', &self.buf[self.pos..end]) {
            let e = self.pos + nl + 1;
            self.scan_region(e, out);
        }
        while self.pos < end {
            let ls = self.pos;
            self.visit(ls, end, end, out);
            if self.pos == ls {
                // A block parser handed the line back; it ends at EOF, scan it plainly.
                self.end_mode(ls, out);
                self.visit(ls, end, end, out);
                self.pos = end;
            }
        }
    }

    fn scan_region(&mut self, end: usize, out: &mut dyn ScanOutput) {
        let mut next_hit: Option<usize> = None;
        while self.pos < end {
            let line_mode = !matches!(self.mode, Mode::Skip) || self.partials.iter().any(Option::is_some);
            if line_mode {
                let at = self.pos;
                if self.describe_fast_path(end, out) {
                    self.line_bytes += self.pos.saturating_sub(at);
                    continue;
                }
                let ls = self.pos;
                let le = memchr::memchr(b'\n', &self.buf[ls..end]).map_or(end, |n| ls + n);
                self.line_bytes += le + 1 - ls;
                self.visit(ls, le, (le + 1).min(end), out);
                if self.pos == ls && matches!(self.mode, Mode::Skip) {
                    // The block ended before this line; look at it afresh.
                    continue;
                }
                if self.pos == ls {
                    // Defensive: a parser that neither consumed nor released the line.
                    self.end_mode(ls, out);
                }
                continue;
            }
            // Skip mode: jump to the next line holding a literal or a long line.
            // A hit found before is still good while we have not passed it (long
            // lines in between would otherwise make us search the same bytes again).
            let hit = match next_hit {
                Some(h) if h >= self.pos => Some(h),
                _ => self.find_hit(end),
            };
            next_hit = hit;
            let hit_line =
                hit.map(|h| memchr::memrchr(b'\n', &self.buf[self.pos..h]).map_or(self.pos, |n| self.pos + n + 1));
            let long = self.find_long_line(hit_line.unwrap_or(end));
            let Some(ls) = (match (hit_line, long) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }) else {
                self.skipped_bytes += end - self.pos;
                self.pos = end;
                break;
            };
            self.skipped_bytes += ls - self.pos;
            self.pos = ls;
            let le = memchr::memchr(b'\n', &self.buf[ls..end]).map_or(end, |n| ls + n);
            self.visit(ls, le, (le + 1).min(end), out);
            if self.pos == ls {
                // Defensive: never loop on one line.
                self.pos = (le + 1).min(end);
            }
        }
    }

    /// Describe text is fed straight from the buffer while its lines are
    /// plain text (no framing to remove, nothing to copy): the whole of a pod,
    /// pod after pod. Returns false when there was nothing to do here.
    fn describe_fast_path(&mut self, end: usize, out: &mut dyn ScanOutput) -> bool {
        if self.partials.iter().any(Option::is_some)
            || self.line_pos != self.pos
            || self.counted_pos != self.pos
            || matches!(self.cfg.format, Some(InputFormat::Cri | InputFormat::DockerJson))
        {
            return false;
        }
        if !matches!(self.mode, Mode::Describe(_)) {
            return false;
        }
        // After a framed line (describe printed into a container log), the
        // next is framed too, mostly: it goes the framed way at once, rather
        // than being framed here to find out and then again there (each
        // line of such a pod was framed twice, 19 % of the instructions).
        // The first plain line after them brings this way back.
        if self.last_framing != Framing::Plain {
            return false;
        }
        // Lines with escape sequences go the framed way, which removes them.
        let esc = self.esc_limit(end);
        let Mode::Describe(d) = &mut self.mode else { return false };
        let mut ls = self.pos;
        let mut lines = 0u64;
        // The line that ended the pod, and how: [ls, le) with `step`.
        let mut stop = None;
        while let Some(n) = memchr::memchr(b'\n', &self.buf[ls..end]) {
            let le = ls + n;
            if le >= esc {
                break;
            }
            let line = &self.buf[ls..le];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // Indented lines carry no framing; others must be plain text too.
            if !matches!(line.first(), Some(b' ' | b'\t') | None) && !frame::is_plain(line) {
                break;
            }
            let step = d.feed(line, self.line_no + lines);
            if step != describe::Step::Continue {
                stop = Some((le, step));
                break;
            }
            lines += 1;
            ls = le + 1;
        }
        if lines == 0 && stop.is_none() {
            return false;
        }
        self.pos = ls;
        self.line_pos = ls;
        self.counted_pos = ls;
        self.line_no += lines;
        self.stats.lines[framing_index(Framing::Plain)] += lines;
        self.last_framing = Framing::Plain;
        self.release_held(out);
        match stop {
            None => {}
            Some((_, describe::Step::EndBefore | describe::Step::Continue)) => {
                // The line is looked at afresh, outside the pod.
                self.end_mode(ls, out);
                self.floor = ls;
            }
            Some((mut le, describe::Step::NextPod)) => {
                // `kubectl describe pods` prints pod after pod: this `Name:`
                // line starts the next one.
                let mut ls = ls;
                // How far into the buffer no `Exit Code` starts (see `inert_until`).
                let mut clear = 0usize;
                loop {
                    // A pod laid out as kubectl prints it is read in one go
                    // (here, or already by the reader thread).
                    let (d, whole) = match self.hinted_pod(ls, esc) {
                        Some((d, whole)) => (d, Some(whole)),
                        None => {
                            let line = &self.buf[ls..le];
                            let line = line.strip_suffix(b"\r").unwrap_or(line);
                            let body = self.buf.get(le + 1..esc).unwrap_or_default();
                            let mut known = clear.saturating_sub(le + 1);
                            let whole = Describe::read_whole_or_inert(line, self.line_no, body, &mut known);
                            clear = le + 1 + known;
                            match whole {
                                Some((d, (at, end, n))) => (d, Some((le + 1 + at, le + 1 + end, n))),
                                None => (Describe::starting_with(line, self.line_no), None),
                            }
                        }
                    };
                    self.next_pod(d, ls, self.line_no, out);
                    let next = le + 1;
                    self.pos = next;
                    self.line_pos = next;
                    self.counted_pos = next;
                    self.line_no += 1;
                    self.stats.lines[framing_index(Framing::Plain)] += 1;
                    // (A pod with nothing to report was only counted.) Go on at the next `Name:`.
                    let Some((nx, nx_end, n)) = whole else { break };
                    self.pod_bytes += nx - ls;
                    self.pos = nx;
                    self.line_pos = nx;
                    self.counted_pos = nx;
                    self.line_no += n;
                    self.stats.lines[framing_index(Framing::Plain)] += n;
                    ls = nx;
                    le = nx_end;
                }
            }
        }
        true
    }

    /// The first ESC byte in `buf[pos..end]`, or `end`. Searched bytes are
    /// remembered, so a pod after pod asking costs one pass over the buffer.
    fn esc_limit(&mut self, end: usize) -> usize {
        if self.esc_at < self.pos {
            self.esc_at = self.pos;
        }
        if self.esc_at < end && self.buf[self.esc_at] != 0x1b {
            let from = self.esc_at;
            self.esc_at = memchr::memchr(0x1b, &self.buf[from..end]).map_or(end, |n| from + n);
        }
        self.esc_at.min(end)
    }

    /// Ends the describe pod before the `Name:` line at `ls` and goes on
    /// with `d`, the pod that line starts.
    fn next_pod(&mut self, d: Box<Describe>, ls: usize, line_no: u64, out: &mut dyn ScanOutput) {
        self.end_mode(ls, out);
        self.floor = ls;
        self.mode = Mode::Describe(d);
        self.block_origin = Some((self.base.wrapping_add(ls as u64), line_no));
    }

    /// The pod whose `Name:` line (line `self.line_no`) starts at `ls`, as
    /// the reader thread read it whole ([`Hints::read_pods`]), with where
    /// the next pod's `Name:` line starts and ends and the lines before it:
    /// what [`Describe::read_whole`] would give here, when it would give it
    /// (the pod ends before `limit`).
    fn hinted_pod(&mut self, ls: usize, limit: usize) -> Option<(Box<Describe>, (usize, usize, u64))> {
        let h = self.hints.as_mut()?;
        while h.pods.get(h.pod_next).is_some_and(|p| p.ls < ls) {
            h.pod_next += 1;
        }
        let p = h.pods.get_mut(h.pod_next).filter(|p| p.ls == ls && p.next_le < limit)?;
        let mut pod = p.pod.take()?;
        h.pod_next += 1;
        // The reader numbered the `Name:` line 0.
        pod.shift_lines(self.line_no);
        self.hinted_pods += 1;
        Some((pod, (p.next_ls, p.next_le, p.lines)))
    }

    /// Emits what a describe pod that grew too large holds back.
    fn release_held(&mut self, out: &mut dyn ScanOutput) {
        let released = match &mut self.mode {
            Mode::Describe(d) => d.release_if_full(),
            _ => return,
        };
        if !released.is_empty() {
            let at = self.pos;
            self.emit_records(released, at, out);
        }
    }

    /// The start of the first line in `[pos, limit)` longer than `LONG_LINE / 2`
    /// that contains a whole aligned window without a newline.
    fn find_long_line(&mut self, limit: usize) -> Option<usize> {
        const WIN: usize = LONG_LINE / 2;
        let mut w = self.long_probe.max(self.pos);
        while w + WIN <= limit {
            match memchr::memchr(b'\n', &self.buf[w..w + WIN]) {
                Some(_) => {
                    w += WIN;
                }
                None => {
                    let ls = memchr::memrchr(b'\n', &self.buf[self.pos..w]).map_or(self.pos, |n| self.pos + n + 1);
                    let le = memchr::memchr(b'\n', &self.buf[w..self.filled]).map_or(self.filled, |n| w + n);
                    self.long_probe = le;
                    return Some(ls);
                }
            }
        }
        self.long_probe = w;
        None
    }

    fn count_lines_to(&mut self, p: usize) {
        if p > self.counted_pos {
            let n = bytecount::count(&self.buf[self.counted_pos..p], b'\n') as u64;
            self.stats.lines[framing_index(self.last_framing)] += n;
            // Line numbers usually stand where the count stands: move them
            // along without a second pass over the same bytes.
            if self.line_pos == self.counted_pos {
                self.line_no += n;
                self.line_pos = p;
            }
            self.counted_pos = p;
        }
    }

    /// The 1-based number of the line starting at `p`.
    fn line_at(&mut self, p: usize) -> u64 {
        if p >= self.line_pos {
            self.line_no += bytecount::count(&self.buf[self.line_pos..p], b'\n') as u64;
            self.line_pos = p;
            self.line_no
        } else {
            self.line_no - bytecount::count(&self.buf[p..self.line_pos], b'\n') as u64
        }
    }

    fn pass_raw_to(&mut self, p: usize, out: &mut dyn ScanOutput) {
        let at = self.base.wrapping_add(p as u64);
        if out.wants_raw() && at > self.raw_done {
            // (Compaction never drops bytes past `raw_done`.)
            let from = (self.raw_done.wrapping_sub(self.base) as usize).min(p);
            out.raw(&self.buf[from..p]);
        }
        self.raw_done = self.raw_done.max(at);
    }

    fn emit(&mut self, mut item: Item, at: usize, out: &mut dyn ScanOutput) {
        self.pass_raw_to(at, out);
        if let Item::Record(r) = &mut item {
            r.source = self.source.clone();
        }
        out.item(item);
    }

    fn emit_records(&mut self, recs: Vec<Record>, at: usize, out: &mut dyn ScanOutput) {
        for mut r in recs {
            // Block records carry the time of the log line that started the
            // block (a describe excerpt in a CRI log), for their fingerprint.
            if r.log_time.is_none() {
                r.log_time = self.block_time.clone();
            }
            self.emit(Item::Record(Box::new(r)), at, out);
        }
    }

    /// Visits the line `[ls, le)`; `next` is where the following line starts.
    fn visit(&mut self, ls: usize, le: usize, next: usize, out: &mut dyn ScanOutput) {
        self.count_lines_to(ls);
        let line_no = self.line_at(ls);
        if next > le && self.line_pos == ls && self.counted_pos == ls {
            // Line mode visits line after line: count this one now, without
            // another pass over its bytes.
            self.line_pos = next;
            self.line_no += 1;
            self.counted_pos = next;
            self.stats.lines[framing_index(self.last_framing)] += 1;
        }
        // The message is copied into reusable buffers so that parsers can run
        // while the scanner's own buffer stays borrowable (no allocation per line).
        let mut msg = std::mem::take(&mut self.scratch);
        let mut time = std::mem::take(&mut self.time_scratch);
        msg.clear();
        time.clear();
        let (framing, stream, partial, has_time) = {
            let raw = &self.buf[ls..le];
            let f = frame::frame(raw);
            msg.extend_from_slice(&f.msg);
            if let Some(t) = f.time {
                time.extend_from_slice(t);
            }
            (f.framing, f.stream, f.partial, f.time.is_some())
        };
        let forced = match self.cfg.format {
            Some(InputFormat::Cri) => Some(Framing::Cri),
            Some(InputFormat::DockerJson) => Some(Framing::DockerJson),
            _ => None,
        };
        if let Some(want) = forced {
            if framing != want && le > ls {
                let format = if want == Framing::Cri { "cri" } else { "docker-json" };
                out.problem(Problem { line: line_no, format, what: "not a line of this format".to_string() });
                self.pos = next;
                self.scratch = msg;
                self.time_scratch = time;
                return;
            }
        }
        self.last_framing = framing;
        let time_ref = if has_time { Some(&time[..]) } else { None };

        // Partial pieces wait for the rest of their message.
        if framing == Framing::Cri || framing == Framing::DockerJson {
            let slot = partial_slot(framing, stream);
            if partial {
                let max = self.cfg.max_line;
                let first_offset = self.base.wrapping_add(ls as u64);
                let p = self.partials[slot].get_or_insert_with(|| {
                    Box::new(Partial {
                        first_line: line_no,
                        first_offset,
                        time: time_ref.map(<[u8]>::to_vec),
                        ..Partial::default()
                    })
                });
                p.idle = 0;
                let need = (p.bytes.len() + msg.len()).min(max);
                if need > p.bytes.capacity() && need > PARTIAL_STEP {
                    // Past 1 MiB, the room for the whole line at once: one
                    // copy, instead of doubling up to `max` (each doubling
                    // holds the old and the new buffer until the allocator
                    // gives the old one back).
                    p.bytes.reserve_exact(max - p.bytes.len());
                }
                if p.bytes.len() + msg.len() <= max {
                    p.bytes.extend_from_slice(&msg);
                } else {
                    p.overflow = true;
                    let room = max.saturating_sub(p.bytes.len()).min(msg.len());
                    p.bytes.extend_from_slice(&msg[..room]);
                    out.dropped(Dropped::StalePartial, (msg.len() - room) as u64);
                }
                self.pos = next;
                self.scratch = msg;
                self.time_scratch = time;
                return;
            }
            if let Some(p) = self.partials[slot].take() {
                let mut joined = p.bytes;
                joined.extend_from_slice(&msg);
                self.age_partials(next, out);
                let joined_msg = frame::without_quotes(&joined);
                self.deliver(joined_msg, p.first_line, p.time.as_deref(), ls, next, framing, out);
                self.scratch = msg;
                self.time_scratch = time;
                return;
            }
            self.age_partials(next, out);
            self.deliver(frame::without_quotes(&msg), line_no, time_ref, ls, next, framing, out);
            self.scratch = msg;
            self.time_scratch = time;
            return;
        }
        self.age_partials(next, out);
        self.deliver(&msg, line_no, time_ref, ls, next, framing, out);
        self.scratch = msg;
        self.time_scratch = time;
    }

    /// Partials of other streams age with every line; stale ones are scanned and dropped.
    fn age_partials(&mut self, at: usize, out: &mut dyn ScanOutput) {
        for slot in 0..self.partials.len() {
            let stale = match self.partials[slot].as_mut() {
                Some(p) => {
                    p.idle += 1;
                    p.idle > STALE_AFTER
                }
                None => false,
            };
            if stale {
                if let Some(p) = self.partials[slot].take() {
                    out.dropped(Dropped::StalePartial, 0);
                    let time = p.time.clone();
                    self.dispatch(frame::without_quotes(&p.bytes), p.first_line, time.as_deref(), at, at, out);
                }
            }
        }
    }

    /// Hands one message to the active block parser, or dispatches it.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        msg: &[u8],
        line_no: u64,
        time: Option<&[u8]>,
        ls: usize,
        next: usize,
        framing: Framing,
        out: &mut dyn ScanOutput,
    ) {
        match &mut self.mode {
            Mode::Skip => {
                self.pos = next;
                self.dispatch_line(msg, line_no, time, ls, next, framing, out);
            }
            Mode::Describe(d) => match d.feed(msg, line_no) {
                describe::Step::Continue => {
                    self.pos = next;
                    self.release_held(out);
                }
                describe::Step::EndBefore => {
                    self.end_mode(ls, out);
                    self.floor = ls;
                    // pos stays at ls: the line is looked at afresh.
                    self.pos = ls;
                }
                describe::Step::NextPod => {
                    // `kubectl describe pods` prints pod after pod: stay in
                    // line mode rather than finding this pod again by lookback.
                    self.next_pod(Describe::starting_with(msg, line_no), ls, line_no, out);
                    self.pos = next;
                }
            },
            Mode::Doc(d) => {
                let step = d.feed(msg, line_no);
                let done = d.take_records();
                self.emit_records(done, next, out);
                match step {
                    doc::Step::Continue => self.pos = next,
                    doc::Step::EndAfter => {
                        self.end_mode(next, out);
                        self.pos = next;
                        self.floor = next;
                    }
                    doc::Step::EndBefore => {
                        self.end_mode(ls, out);
                        self.floor = ls;
                        self.pos = ls;
                    }
                }
            }
            Mode::Table(t) => match getpods::row(t, msg) {
                Some(rec) => {
                    self.pos = next;
                    if let Some(r) = rec {
                        let mut r = r;
                        r.line = line_no;
                        self.emit(Item::Record(Box::new(r)), next, out);
                    }
                }
                None => {
                    self.mode = Mode::Skip;
                    self.floor = ls;
                    self.pos = ls;
                }
            },
            Mode::Spark(..) => {
                let Mode::Spark(mut r, terminated) = std::mem::replace(&mut self.mode, Mode::Skip) else { return };
                if let Some(reason) = orchestrator::status_reason(msg) {
                    r.reason = Some(reason);
                    self.emit(Item::Record(r), next, out);
                    self.pos = next;
                    self.floor = next;
                } else {
                    if terminated {
                        self.emit(Item::Record(r), ls, out);
                    }
                    self.pos = ls;
                    self.floor = ls;
                }
            }
        }
    }

    /// Leaves line mode, emitting what the block parser holds at offset `at`.
    fn end_mode(&mut self, at: usize, out: &mut dyn ScanOutput) {
        match std::mem::replace(&mut self.mode, Mode::Skip) {
            Mode::Skip | Mode::Table(_) => {}
            Mode::Describe(mut d) => {
                let recs = d.finish();
                for p in std::mem::take(&mut d.problems) {
                    out.problem(Problem { line: p.line, format: "describe", what: p.what });
                }
                self.emit_records(recs, at, out);
            }
            Mode::Doc(mut d) => {
                let recs = d.finish();
                self.emit_records(recs, at, out);
            }
            Mode::Spark(r, true) => self.emit(Item::Record(r), at, out),
            Mode::Spark(_, false) => {}
        }
    }

    fn allowed(&self, f: Format) -> bool {
        match self.cfg.format {
            Some(InputFormat::Only(only)) => only == f,
            _ => true,
        }
    }

    /// A message in skip mode (a hit line, a joined message, a long line).
    #[allow(clippy::too_many_arguments)]
    fn dispatch_line(
        &mut self,
        msg: &[u8],
        line_no: u64,
        time: Option<&[u8]>,
        ls: usize,
        next: usize,
        framing: Framing,
        out: &mut dyn ScanOutput,
    ) {
        let h = parse::hits(msg);
        if h.0 == 0 {
            return;
        }
        self.block_time = time.and_then(|t| std::str::from_utf8(t).ok()).map(Str::from);
        // Multi-line formats first: they take over the following lines.
        if h.any(Hits::DESCRIBE) && self.allowed(Format::Describe) {
            if describe::is_collapsed(msg) {
                let mut d = Describe::new();
                for l in describe::expand_collapsed(msg) {
                    d.feed(&l, line_no);
                }
                let recs = d.finish();
                self.emit_records(recs, next, out);
                return;
            }
            if describe::split_line(msg).key == Some(b"Exit Code") {
                // In an object of another kind (a Tekton TaskRun's steps),
                // `Name:` lines name list items too: its own is at column 0.
                let generic = self.in_terminated_map(ls, framing, msg);
                let starts: fn(&[u8]) -> bool =
                    if generic { describe::is_object_start } else { describe::is_pod_start };
                let mut root = self.block_root(ls, framing, describe::is_describe_like, starts, true);
                // kubectl prints a multi-line Message as it is, so its lines
                // after the first start at column 0: walk on above them.
                while let Some(m) = self.message_above(root, framing) {
                    let up = self.block_root(m, framing, describe::is_describe_like, starts, true);
                    if up >= root {
                        break;
                    }
                    root = up;
                }
                let mut d = if generic { Describe::generic_object() } else { Box::<Describe>::default() };
                // (The lines above this one were scanned already.)
                d.context_until = line_no;
                self.start_block(Mode::Describe(d), root, next, framing, out);
                return;
            }
        }
        if h.any(Hits::EXITCODE_DOC) {
            if let Some(syntax) = doc::key_line_syntax(msg) {
                // (Orchestrators' documents too: ECS, Batch, Azure, Nomad.)
                if self.allowed(Format::PodJson) || self.allowed(Format::Docker) || self.allowed(Format::Orchestrator) {
                    let root = self.block_root(
                        ls,
                        framing,
                        |m| doc::is_doc_like(m, syntax),
                        |m| doc::is_doc_start(m, syntax),
                        false,
                    );
                    self.start_block(Mode::Doc(Box::new(Doc::new(syntax))), root, next, framing, out);
                    return;
                }
            }
        }
        if h.any(Hits::EXITED_PAREN) && doc::is_ps_status_line(msg) && self.allowed(Format::Docker) {
            let syntax = doc::Syntax::Json;
            let root =
                self.block_root(ls, framing, |m| doc::is_doc_like(m, syntax), |m| doc::is_doc_start(m, syntax), false);
            self.start_block(Mode::Doc(Box::new(Doc::new(syntax))), root, next, framing, out);
            return;
        }
        if h.any(Hits::RESTARTS) && self.allowed(Format::GetPods) {
            if let Some(t) = getpods::header(msg) {
                self.mode = Mode::Table(t);
                self.block_origin = Some((self.base.wrapping_add(ls as u64), line_no));
                return;
            }
        }
        self.dispatch(msg, line_no, time, ls, next, out);
    }

    /// Single-line parsers, most specific first; the first that reads a
    /// termination wins (a line is one record, except Argo's `(exit code N)`).
    fn dispatch(
        &mut self,
        msg: &[u8],
        line_no: u64,
        time: Option<&[u8]>,
        ls: usize,
        next: usize,
        out: &mut dyn ScanOutput,
    ) {
        let h = parse::hits(msg);
        if h.0 == 0 {
            return;
        }
        let mut recs: Vec<Record> = Vec::new();
        let trimmed = crate::parse::util::trim(msg);
        let json = trimmed.first() == Some(&b'{') && trimmed.last() == Some(&b'}');
        // A JSON list on one line (`docker compose ps --format json`).
        let list = !json
            && trimmed.first() == Some(&b'[')
            && trimmed.last() == Some(&b']')
            && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok();
        if json {
            self.dispatch_json(trimmed, line_no, ls, &mut recs, out, next);
        } else if list {
            recs.extend(doc::parse_compact(trimmed, line_no));
            if recs.is_empty() {
                self.dispatch_text(msg, h, line_no, ls, &mut recs);
            }
        } else if let Some(text) = json_message_field(trimmed) {
            // The message decoded, as from `journalctl -o json`'s lines.
            let h = parse::hits(&text);
            if h.0 != 0 {
                self.dispatch_text(&text, h, line_no, ls, &mut recs);
            }
        } else {
            // A one-line pod cut short (a terminal's or a log shipper's line
            // limit, a paste) still holds the container statuses before the
            // cut. What follows the last comma may be a value cut in two
            // (`"exitCode":13` of 137): it is left out.
            if h.any(Hits::COMPACT_TERMINATED) {
                let whole = memchr::memrchr(b',', trimmed).map_or(trimmed, |c| &trimmed[..c]);
                recs.extend(doc::parse_compact(whole, line_no));
            }
            if recs.is_empty() {
                self.dispatch_text(msg, h, line_no, ls, &mut recs);
            }
        }
        // Evidence is independent of records.
        if h.any(Hits::OOM_EVENT) && !json {
            if let Some(e) = containerd::oom_evidence(msg).or_else(|| docker::oom_event_text(msg)) {
                self.emit(Item::Evidence(e), next, out);
            }
        }
        if h.any(Hits::OOM_KILL) {
            if let Some(e) = kernel::evidence(msg) {
                self.emit(Item::Evidence(e), next, out);
            }
        }
        if h.any(Hits::PROBE_KILL) {
            if let Some(e) = kubelet::probe_kill(msg) {
                self.emit(Item::Evidence(e), next, out);
            }
        }
        let time = time.and_then(|t| std::str::from_utf8(t).ok()).map(str::to_string);
        for mut r in recs {
            if !self.allowed(r.format) {
                continue;
            }
            if r.line == 0 {
                r.line = line_no;
            }
            if r.hints.ended_at_line_time && r.finished_at.is_none() {
                r.finished_at = time.as_deref().and_then(crate::parse::util::when::any);
            }
            // The log line's own timestamp identifies the line; a time the
            // message carries (klog's header, logfmt `time=`) refines a
            // journal timestamp, which has only whole seconds.
            r.log_time = match (time.as_deref(), r.log_time.take()) {
                (Some(t), Some(own)) if is_coarse(t) => Some(compact_str::format_compact!("{t} {own}")),
                (Some(t), _) => Some(t.into()),
                (None, own) => own,
            };
            self.emit(Item::Record(Box::new(r)), next, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch_json(
        &mut self,
        msg: &[u8],
        line_no: u64,
        ls: usize,
        recs: &mut Vec<Record>,
        out: &mut dyn ScanOutput,
        next: usize,
    ) {
        if msg.len() >= LONG_DOC_AFTER.min(self.cfg.max_line) {
            // A document, not a log record: streamed, as when it is read in pieces.
            recs.extend(doc::parse_compact(msg, line_no));
            return;
        }
        let parsed = serde_json::from_slice::<serde_json::Value>(msg);
        // `journalctl -o json`, and log records exported one a line (Cloud
        // Logging, Elasticsearch, fluent-bit, a JSON-logging daemon): the
        // message is text like any other line.
        if let Some((v, message)) = parsed.as_ref().ok().and_then(|v| Some((v, record_message(v)?))) {
            let text = message.as_bytes();
            let h = parse::hits(text);
            let start = recs.len();
            if h.0 != 0 {
                self.dispatch_text(text, h, line_no, ls, recs);
            }
            let time = ["__REALTIME_TIMESTAMP", "timestamp", "@timestamp", "time"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|t| t.as_str()))
                .map(Str::from);
            for r in &mut recs[start..] {
                r.log_time = r.log_time.take().or_else(|| time.clone());
                if r.container.is_none() {
                    r.container =
                        v.get("_SYSTEMD_UNIT").or_else(|| v.get("UNIT")).and_then(|u| u.as_str()).map(Str::from);
                }
            }
            return;
        }
        match parsed {
            Ok(v) if v.get("type").is_some_and(|t| t == "exit") => recs.extend(containerd::events_log(&v)),
            Ok(v) => match docker::event_json(&v) {
                Ok(Some(r)) => recs.push(r),
                Err(Some(e)) => self.emit(Item::Evidence(e), next, out),
                _ => match docker::swarm_task(msg) {
                    Some(r) => recs.push(r),
                    None if v.get("Type").is_none() => recs.extend(doc::parse_compact(msg, line_no)),
                    None => {}
                },
            },
            Err(_) => recs.extend(doc::parse_compact(msg, line_no)),
        }
    }

    fn dispatch_text(&mut self, msg: &[u8], h: Hits, line_no: u64, ls: usize, recs: &mut Vec<Record>) {
        let one = |r: Option<Record>, recs: &mut Vec<Record>| -> bool {
            match r {
                Some(r) => {
                    recs.push(r);
                    true
                }
                None => false,
            }
        };
        if h.any(Hits::CONTAINERD) && one(containerd::parse(msg), recs) {
            return;
        }
        if h.any(Hits::EXITCODE_KV) {
            if let Some(mut r) = kubelet::parse(msg) {
                if let (Some(137), Some(id)) = (r.raw_exit_code, r.container_id.as_deref()) {
                    r.hints.grace_kill = self.grace_kill_above(ls, id);
                }
                recs.push(r);
                return;
            }
        }
        if h.any(Hits::FLY) && one(orchestrator::fly_main_child(msg), recs) {
            return;
        }
        if h.any(Hits::EXITCODE_UPPER) && one(orchestrator::spark_operator_driver(msg), recs) {
            return;
        }
        if h.any(Hits::EXITCODE_UPPER) && crate::parse::util::contains(msg, b"&ContainerStateTerminated{") {
            recs.extend(kubelet::status_dump(msg));
            if !recs.is_empty() {
                return;
            }
        }
        if h.any(Hits::EXITCODE_KV | Hits::EXITCODE_UPPER) && one(docker::event_text(msg), recs) {
            return;
        }
        if h.any(Hits::XITED_WITH | Hits::CRIO_FOUND) && one(crio::parse(msg), recs) {
            return;
        }
        if h.any(Hits::XITED_WITH) {
            // (A Heroku line, `TIME heroku[web.1]: Process exited ...`, reads
            // as a journal line whose ident is the dyno: it is in the line.)
            let heroku = orchestrator::heroku_dyno(msg).or_else(|| {
                msg.starts_with(b"Process exited with status ")
                    .then(|| orchestrator::heroku_dyno(self.raw_line(ls)))
                    .flatten()
            });
            if let Some(mut r) = heroku {
                self.heroku_cause(ls, &mut r);
                recs.push(r);
                return;
            }
        }
        if h.any(Hits::XITED_WITH)
            && (one(orchestrator::render_exit(msg), recs)
                || one(docker::compose_v2(msg), recs)
                || one(orchestrator::exited_with_exit_code(msg), recs)
                || one(orchestrator::tekton_step(msg), recs))
        {
            return;
        }
        if h.any(Hits::SWARM_TASK) && one(docker::swarm_task(msg), recs) {
            return;
        }
        if h.any(Hits::EXITED_PAREN) && one(docker::ps_row(msg), recs) {
            return;
        }
        if h.any(Hits::COMPOSE_EXIT) && one(docker::compose_v1_row(msg), recs) {
            return;
        }
        if h.any(Hits::SUPERVISORD) && one(supervisord::parse(msg), recs) {
            return;
        }
        if h.any(Hits::SYSTEMD) {
            if let Some(mut r) = systemd::parse(msg) {
                if r.container.is_none() {
                    r.container = self.systemctl_unit(ls);
                }
                // (A journal line; `systemctl status` prints its log below.)
                let notices = match (&r.container, r.pid, r.raw_exit_code) {
                    (Some(unit), None, code) if code != Some(0) => self.unit_notices_above(ls, unit),
                    _ => Vec::new(),
                };
                let said = |n: systemd::Notice| notices.contains(&n);
                if r.stated_signal == Some(crate::code::Signal::KILL) {
                    r.hints.oom_event = said(systemd::Notice::Oom) || r.pid.is_some() && self.status_says_oom_kill(ls);
                }
                r.hints.watchdog = said(systemd::Notice::Watchdog);
                r.hints.start_timeout = said(systemd::Notice::StartTimeout);
                r.hints.stop_timeout = said(systemd::Notice::StopTimeout);
                recs.push(r);
                return;
            }
        }
        if h.any(Hits::KILLED_PROCESS) && one(kernel::parse(msg), recs) {
            return;
        }
        if h.any(Hits::REASON_EXIT_CODE | Hits::STATUS_EXIT_CODE) && one(orchestrator::gitlab_container(msg), recs) {
            return;
        }
        if h.any(Hits::DESCRIBE) {
            if let Some(mut r) = orchestrator::nomad_terminated(msg) {
                r.container = self.nomad_task(ls);
                recs.push(r);
                return;
            }
        }
        if h.any(Hits::DESCRIBE | Hits::EXITCODE_KV) && one(orchestrator::jenkins_container(msg), recs) {
            return;
        }
        if h.any(Hits::STATUS_EXIT_CODE) && one(orchestrator::airflow_pod_failed(msg), recs) {
            return;
        }
        if h.any(Hits::REASON_EXIT_CODE) {
            let mut argo = orchestrator::reason_exit_code(msg);
            if let [r] = argo.as_mut_slice() {
                r.pod = self.argo_pod(ls, msg);
            }
            if !argo.is_empty() {
                recs.extend(argo);
                return;
            }
        }
        if h.any(Hits::STATUS_EXIT_CODE) {
            if let Some(code) = orchestrator::status_exit_code(msg) {
                let mut r = Record::new(Format::Orchestrator);
                r.raw_exit_code = Some(code);
                r.state = Some(crate::record::State::Terminated);
                r.line = line_no;
                let terminated = self.spark_status(ls, &mut r);
                if self.allowed(Format::Orchestrator) {
                    self.mode = Mode::Spark(Box::new(r), terminated);
                    self.block_origin = Some((self.base.wrapping_add(ls as u64), line_no));
                }
                return;
            }
        }
        if h.any(Hits::EXITCODE_KV) && !orchestrator::is_exec_exit(msg) && one(orchestrator::logfmt_exit(msg), recs) {
            return;
        }
        if h.any(Hits::EVENT_EXIT) {
            let mut text = Vec::new();
            if !crate::parse::util::contains(msg, b"event-info={") {
                for prev in self.prev_messages(ls, 2).into_iter().rev() {
                    text.extend_from_slice(&prev);
                    text.push(b'\n');
                }
            }
            text.extend_from_slice(msg);
            one(docker::libcontainerd(&text), recs);
        }
    }

    /// What Heroku's dyno manager said of the dyno just before its process
    /// exited (`Error R15 (Memory quota vastly exceeded)`, `Error R10 (Boot
    /// timeout) -> ...`, then `Stopping process with SIGKILL`): the error as
    /// the record's message; R15 is an out-of-memory kill.
    fn heroku_cause(&self, ls: usize, r: &mut Record) {
        for prev in self.prev_lines(ls, 4, true) {
            let Some((dyno, text)) = orchestrator::heroku_line(&prev) else { continue };
            if r.container.as_deref().is_none_or(|c| c.as_bytes() != dyno) {
                continue;
            }
            if text.starts_with(b"Error R") {
                r.message = crate::parse::util::nonempty(text);
                r.hints.oom_event |= text.starts_with(b"Error R15 ");
                return;
            }
        }
    }

    /// Up to `n` messages before the line at `ls` (nearest first), within the floor.
    /// (Bounded by the lookback window, like [`Scanner::block_root`], so that
    /// what is found does not depend on how much history the reads left.)
    fn prev_messages(&self, ls: usize, n: usize) -> Vec<Vec<u8>> {
        self.prev_lines(ls, n, false)
    }

    /// The line starting at `ls` as read, framing and all.
    fn raw_line(&self, ls: usize) -> &[u8] {
        let rest = self.buf.get(ls..self.filled).unwrap_or_default();
        let line = memchr::memchr(b'\n', rest).map_or(rest, |e| &rest[..e]);
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// [`Scanner::prev_messages`], or the lines as read (`raw`).
    fn prev_lines(&self, ls: usize, n: usize, raw: bool) -> Vec<Vec<u8>> {
        self.lines_above(ls)
            .take(n)
            .map(|line| if raw { line.to_vec() } else { frame::frame(line).msg.into_owned() })
            .collect()
    }

    /// Where the history that look-backs above `ls` may read starts.
    fn history_start(&self, ls: usize) -> usize {
        ls.saturating_sub(self.cfg.lookback).max(self.floor)
    }

    /// The whole lines of the history above `ls`, nearest first, as read
    /// (a line the history's start cuts is left out, and what is above it).
    fn lines_above(&self, ls: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let limit = self.history_start(ls);
        let mut end = ls;
        std::iter::from_fn(move || {
            if end <= limit {
                return None;
            }
            let prev_end = end - 1;
            let start = memchr::memrchr(b'\n', &self.buf[limit..prev_end]).map_or(limit, |p| limit + p + 1);
            if start == limit && self.cut_at(limit) {
                end = limit;
                return None;
            }
            end = start;
            Some(&self.buf[start..prev_end])
        })
    }

    /// What systemd said of `unit` in the lines above its main process's
    /// exit at `ls` ([`systemd::unit_notice`]), back to the unit's exit
    /// before (what it said then was about that one). Lines that do not name
    /// the unit, or hold none of the notices' words, are passed over unframed.
    fn unit_notices_above(&self, ls: usize, unit: &str) -> Vec<systemd::Notice> {
        const WORDS: [&[u8]; 5] = [b"timed out", b"atchdog ", b"OOM killer", b"oomd killed", b"rocess exited"];
        let mut found = Vec::new();
        for raw in self.lines_above(ls).take(UNIT_NOTICE_LOOKBACK) {
            // (Every line that matters names the unit.)
            let named = crate::parse::util::contains(raw, unit.as_bytes());
            if !named || !WORDS.iter().any(|w| crate::parse::util::contains(raw, w)) {
                continue;
            }
            let msg = frame::frame(raw).msg;
            if let Some((n, u)) = systemd::unit_notice(&msg) {
                if u == unit.as_bytes() {
                    found.push(n);
                }
            } else if systemd::parse(&msg).is_some_and(|r| r.container.as_deref() == Some(unit)) {
                break;
            }
        }
        found
    }

    /// The kubelet's `"Killing container with a grace period"` for container
    /// `id` in the history above `ls` ([`kubelet::grace_kill`]): only the
    /// lines holding that phrase are looked at (the container's id is on
    /// many of its lines; the kill is one). The grace period is 30 s by
    /// default; the history is [`ScanConfig::lookback`] bytes.
    fn grace_kill_above(&self, ls: usize, id: &str) -> bool {
        static KILL: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let id = crate::parse::util::without_scheme(id);
        if id.len() < 12 {
            return false;
        }
        let limit = self.history_start(ls);
        let kill = KILL.get_or_init(|| memchr::memmem::Finder::new(b"Killing container with a grace period"));
        // (Forward: memchr's reverse search has no SIMD prefilter, and costs
        // ten times as much over the window.)
        let hits: Vec<usize> = kill.find_iter(&self.buf[limit..ls]).map(|p| limit + p).collect();
        hits.iter().rev().any(|&at| {
            let start = memchr::memrchr(b'\n', &self.buf[limit..at]).map_or(limit, |p| limit + p + 1);
            let stop = memchr::memchr(b'\n', &self.buf[at..ls]).map_or(ls, |p| at + p);
            let line = &self.buf[start..stop];
            !(start == limit && self.cut_at(limit))
                && crate::parse::util::contains(line, id.as_bytes())
                && kubelet::grace_kill(&frame::frame(line).msg, id).is_some()
        })
    }

    /// `● name.service - ...` above a `systemctl status` `Main PID:` /
    /// `Process:` line, or systemd-run's `Running as unit: name` above its
    /// summary.
    fn systemctl_unit(&self, ls: usize) -> Option<Str> {
        self.prev_messages(ls, 16)
            .iter()
            .find_map(|m| status_header_unit(m).or_else(|| systemd::run_unit(m).and_then(crate::parse::util::nonempty)))
    }

    /// `Active: failed (Result: oom-kill)` between a `systemctl status`
    /// `Main PID:` / `Process:` line at `ls` and its unit's header line.
    fn status_says_oom_kill(&self, ls: usize) -> bool {
        for m in self.prev_messages(ls, 16) {
            if status_header_unit(&m).is_some() {
                return false;
            }
            let t = crate::parse::util::trim_start(&m);
            if t.starts_with(b"Active: ") && crate::parse::util::contains(t, b"(Result: oom-kill)") {
                return true;
            }
        }
        false
    }

    /// Nomad's `Task "NAME" is "STATE"` above a `Terminated` event row (the
    /// task's resources and events tables lie between).
    fn nomad_task(&self, ls: usize) -> Option<Str> {
        self.prev_messages(ls, NOMAD_TASK_LOOKBACK).iter().find_map(|m| orchestrator::nomad_task(m))
    }

    /// The pod of an `argo get` table row (its PODNAME column), from the
    /// table's header above it (the rows run on without a blank line).
    fn argo_pod(&self, ls: usize, row: &[u8]) -> Option<Str> {
        for m in self.prev_messages(ls, ARGO_TABLE_LOOKBACK) {
            if crate::parse::util::trim(&m).is_empty() {
                return None;
            }
            if let Some(columns) = orchestrator::argo_table_header(&m) {
                return orchestrator::argo_pod_cell(row, columns);
            }
        }
        None
    }

    /// What Spark's pod state listing says above an `exit code: N` line:
    /// the container's name and times from its own pairs (up to the blank
    /// line above them), the pod's name and namespace from the pairs that
    /// open the listing (`pod name:` is its first). False when the
    /// container's own `container state: terminated` is not among them: a
    /// bare `exit code: N` (podman-compose's after each podman command it
    /// runs, a CLI's) is no container's.
    fn spark_status(&mut self, ls: usize, r: &mut Record) -> bool {
        use crate::parse::util::{nonempty, trim, when};
        let time = |v: &[u8]| std::str::from_utf8(v).ok().and_then(when::any);
        // The container's own pairs come first (walking up), to its name or
        // the blank line above them; whatever their indentation.
        let mut own = true;
        let mut listing_above = true;
        let mut terminated = false;
        for (n, m) in self.prev_messages(ls, SPARK_STATUS_LOOKBACK).iter().enumerate() {
            if trim(m).is_empty() {
                own = false;
                continue;
            }
            let pair = orchestrator::status_pair(m);
            if own && n < SPARK_OWN_LOOKBACK {
                match pair {
                    Some((b"container name", v)) => {
                        r.container = nonempty(v);
                        own = false;
                        continue;
                    }
                    Some((b"container started at", v)) => {
                        r.started_at = time(v);
                        continue;
                    }
                    Some((b"container finished at", v)) => {
                        r.finished_at = time(v);
                        continue;
                    }
                    Some((b"container state", v)) => {
                        terminated |= v == b"terminated";
                        continue;
                    }
                    Some((b"namespace" | b"pod name", _)) => {}
                    _ => continue,
                }
            }
            // The pod's pairs, indented as Spark prints them.
            let Some((key, value)) = pair.filter(|_| matches!(m.first(), Some(b' ' | b'\t'))) else {
                listing_above = false;
                break;
            };
            match key {
                b"namespace" => r.namespace = nonempty(value),
                b"pod name" => {
                    r.pod = nonempty(value);
                    self.spark_pod = (r.pod.clone(), r.namespace.clone());
                    return terminated;
                }
                _ => {}
            }
        }
        // The walk ran into the end of the previous record (or the lookback)
        // inside the listing: a later container of the pod named above it.
        if listing_above && r.pod.is_none() {
            (r.pod, r.namespace) = self.spark_pod.clone();
        }
        terminated
    }

    /// The start of a describe `Message:` line at most `MAX_MESSAGE_LINES`
    /// lines above `root` whose text runs on down to `root` (a line above
    /// `root` that is not describe text, or there would be no need to ask).
    fn message_above(&self, root: usize, framing: Framing) -> Option<usize> {
        let limit = root.saturating_sub(self.cfg.lookback).max(self.floor);
        // A message is at most 4096 bytes (the kubelet cuts it there): most
        // roots have no `Message:` that near, and are answered by one search.
        static MESSAGE: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
        let near = root.saturating_sub(16 << 10).max(limit);
        MESSAGE.get_or_init(|| memchr::memmem::Finder::new(b"Message:")).find(&self.buf[near..root])?;
        let mut end = root;
        for _ in 0..describe::MAX_MESSAGE_LINES {
            let (start, f) = self.line_above(end, limit, framing)?;
            let d = describe::split_line(&f.msg);
            if d.indent > 0 && d.key == Some(b"Message") {
                return Some(start);
            }
            if end == root && describe::is_describe_like(&f.msg) {
                return None; // the walk stopped at a blank line or a pod start, not at text
            }
            end = start;
        }
        None
    }

    /// The line that ends just before `end` (its start and frame), when it
    /// lies after `limit` whole, has `framing` and is not a partial piece.
    fn line_above(&self, end: usize, limit: usize, framing: Framing) -> Option<(usize, frame::Frame<'_>)> {
        if end <= limit {
            return None;
        }
        let prev_end = end - 1;
        let start = memchr::memrchr(b'\n', &self.buf[limit..prev_end]).map_or(limit, |p| limit + p + 1);
        if start == limit && self.cut_at(limit) {
            return None; // a line cut by the limit
        }
        let f = frame::frame(&self.buf[start..prev_end]);
        (f.framing == framing && !f.partial).then_some((start, f))
    }

    /// True when the `Exit Code:` line `msg` at `ls` is a field of a
    /// `Terminated:` map (kubectl's generic describer): the nearest line
    /// above it that is less indented is `Terminated:` without a value.
    fn in_terminated_map(&self, ls: usize, framing: Framing, msg: &[u8]) -> bool {
        let indent = describe::split_line(msg).indent;
        let limit = ls.saturating_sub(self.cfg.lookback).max(self.floor);
        let mut end = ls;
        // (The map's other fields sort around `Exit Code`: a few lines.)
        for _ in 0..8 {
            let Some((start, f)) = self.line_above(end, limit, framing) else { return false };
            let d = describe::split_line(&f.msg);
            if !d.body.is_empty() && d.indent < indent {
                return d.key == Some(b"Terminated") && d.value.is_empty();
            }
            end = start;
        }
        false
    }

    /// Where the block holding the line at `ls` starts: walks back over lines
    /// that `belongs` accepts, stopping at one that `starts` (inclusive), a
    /// blank line, a change of framing, the floor or the lookback limit.
    fn block_root(
        &self,
        ls: usize,
        framing: Framing,
        belongs: impl Fn(&[u8]) -> bool,
        starts: impl Fn(&[u8]) -> bool,
        stop_at_blank: bool,
    ) -> usize {
        let limit = ls.saturating_sub(self.cfg.lookback).max(self.floor);
        let mut root = ls;
        let mut end = ls;
        while let Some((start, f)) = self.line_above(end, limit, framing) {
            let m = crate::parse::util::trim_end(&f.msg);
            if m.is_empty() {
                // A blank line inside an indented block (describe prints
                // multi-line Args verbatim) is passed; one before a line at
                // column 0 ends the walk.
                let above_indented = start > limit && {
                    let pe = start - 1;
                    let ps = memchr::memrchr(b'\n', &self.buf[limit..pe]).map_or(limit, |p| limit + p + 1);
                    let fm = frame::frame(&self.buf[ps..pe]);
                    fm.msg.first().is_some_and(|b| *b == b' ' || *b == b'\t')
                };
                if stop_at_blank && !above_indented {
                    break;
                }
                end = start;
                continue;
            }
            if starts(m) {
                root = start;
                break;
            }
            if !belongs(m) {
                break;
            }
            root = start;
            end = start;
        }
        root
    }

    /// Enters line mode with `mode`, feeding it the lines from `root` through
    /// the trigger line at `ls`.
    fn start_block(&mut self, mode: Mode, root: usize, next: usize, framing: Framing, out: &mut dyn ScanOutput) {
        self.mode = mode;
        let mut p = root;
        let mut line_no = self.line_at(root);
        self.block_origin = Some((self.base.wrapping_add(root as u64), line_no));
        let mut msg = Vec::new();
        while p < next {
            let le = memchr::memchr(b'\n', &self.buf[p..next]).map_or(next, |n| p + n);
            let line_next = (le + 1).min(next);
            msg.clear();
            {
                let f = frame::frame(&self.buf[p..le]);
                if f.framing == framing {
                    // (`frame` leaves quote marks on CRI and docker-json lines.)
                    msg.extend_from_slice(frame::without_quotes(&f.msg));
                } else {
                    msg.extend_from_slice(&self.buf[p..le]);
                }
            }
            self.pos = line_next;
            self.deliver(&msg, line_no, None, p, line_next, framing, out);
            if !matches!(self.mode, Mode::Describe(_) | Mode::Doc(_)) {
                // The block ended before the trigger line (a stray line in the
                // lookback): resume from where it ended; the trigger line is
                // found again with the floor moved up. A block that refuses its
                // very first line must not be retried forever.
                if p == root && self.pos <= p {
                    self.pos = next;
                    self.floor = next;
                }
                return;
            }
            p = line_next;
            line_no += 1;
        }
    }
}

/// `name.service`, `name.socket`, ...: a systemd unit name.
/// The message of a log record as one JSON object: journald's `MESSAGE`
/// (`journalctl -o json`), and the `textPayload`, `message`, `log` or `msg`
/// of other exports (a Cloud Logging entry's, or its `jsonPayload`'s).
fn record_message(v: &serde_json::Value) -> Option<&str> {
    fn at(o: &serde_json::Value) -> Option<&str> {
        ["MESSAGE", "textPayload", "message", "log", "msg"].iter().find_map(|k| o.get(*k).and_then(|m| m.as_str()))
    }
    at(v).or_else(|| v.get("jsonPayload").and_then(at))
}

/// The log message of a pretty-printed JSON field line (one field a line)
/// of an exported log record: journald's `"MESSAGE" : "<JSON string>",`
/// (`journalctl -o json-pretty`), and the `"MESSAGE": "..."` (a node's
/// journal), `"textPayload": "..."`, `"message": "..."` and `"log": "..."`
/// fields of Cloud Logging (`gcloud logging read --format json`),
/// Elasticsearch or fluent-bit exports. The message is read decoded (its
/// quotes are escaped in the line).
fn json_message_field(line: &[u8]) -> Option<Vec<u8>> {
    const KEYS: [&[u8]; 5] = [b"\"MESSAGE\"", b"\"textPayload\"", b"\"message\"", b"\"log\"", b"\"msg\""];
    let rest = KEYS.iter().find_map(|k| line.strip_prefix(*k))?;
    let value = crate::parse::util::trim_start(rest).strip_prefix(b":")?;
    let value = crate::parse::util::trim_start(value);
    let value = value.strip_suffix(b",").unwrap_or(value);
    if !value.starts_with(b"\"") {
        return None;
    }
    serde_json::from_slice::<String>(value).ok().map(String::into_bytes)
}

/// The unit a `systemctl status` header line names: `● name.service - ...`.
fn status_header_unit(m: &[u8]) -> Option<Str> {
    let t = crate::parse::util::trim_start(m);
    // systemctl marks the unit line with ● (active), × (failed), ○ (inactive) or *.
    let rest = ["● ", "× ", "○ ", "* "].iter().find_map(|p| t.strip_prefix(p.as_bytes()));
    if let Some(rest) = rest {
        let n = rest.iter().take_while(|&&b| b != b' ').count();
        return crate::parse::util::nonempty(&rest[..n]);
    }
    // The mark is lost in some pastes: `docker.service - Docker ...`.
    let n = t.iter().take_while(|&&b| b != b' ').count();
    let (unit, after) = t.split_at(n);
    if after.starts_with(b" - ") && is_unit_name(unit) {
        return crate::parse::util::nonempty(unit);
    }
    None
}

fn is_unit_name(t: &[u8]) -> bool {
    const KINDS: [&[u8]; 11] = [
        b".service",
        b".socket",
        b".scope",
        b".mount",
        b".automount",
        b".timer",
        b".slice",
        b".target",
        b".path",
        b".swap",
        b".device",
    ];
    KINDS.iter().any(|k| t.len() > k.len() && t.ends_with(k))
        && t.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b':' | b'\\'))
}

/// A syslog timestamp without fractional seconds.
fn is_coarse(t: &str) -> bool {
    !t.contains('.')
}

/// Collects items into a vector (tests, one-shot library use).
#[derive(Default, Debug)]
pub struct Collect {
    pub items: Vec<Item>,
    pub problems: Vec<Problem>,
    pub dropped: Vec<(Dropped, u64)>,
}

impl Collect {
    pub fn records(&self) -> Vec<&Record> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Record(r) => Some(&**r),
                Item::Evidence(_) => None,
            })
            .collect()
    }

    pub fn evidence(&self) -> Vec<&Evidence> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Evidence(e) => Some(e),
                Item::Record(_) => None,
            })
            .collect()
    }
}

impl ScanOutput for Collect {
    fn item(&mut self, item: Item) {
        self.items.push(item);
    }
    fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }
    fn dropped(&mut self, why: Dropped, bytes: u64) {
        self.dropped.push((why, bytes));
    }
}

/// Scans a byte slice in one go.
pub fn scan_bytes(source: &str, data: &[u8], cfg: ScanConfig) -> Collect {
    let mut s = Scanner::new(source, cfg);
    let mut c = Collect::default();
    let mut r = data;
    // Reading through `Read` exercises the same path as files.
    if s.scan_reader(&mut r, &mut c).is_err() {
        unreachable!("reading from a slice cannot fail");
    }
    c
}

/// Scans `data` handed over as in-place chunks of `size` bytes, the one-shot
/// reader thread's path ([`Scanner::feed_chunk`]), with the reader's hints
/// (of the kind the scanner asks for) over the last `hint_eighths`/8 of each chunk.
pub fn scan_chunks(source: &str, data: &[u8], cfg: ScanConfig, size: usize, hint_eighths: usize) -> Collect {
    scan_chunks_counted(source, data, cfg, size, hint_eighths).0
}

/// [`scan_chunks`], and how many pods came from the hints.
fn scan_chunks_counted(source: &str, data: &[u8], cfg: ScanConfig, size: usize, hint_eighths: usize) -> (Collect, u64) {
    let mut s = Scanner::new(source, cfg);
    let mut c = Collect::default();
    let mut spare = Vec::new();
    let mut kind = HintKind::Prefilter;
    for piece in data.chunks(size.max(1)) {
        let mut b = std::mem::take(&mut spare);
        b.resize(CHUNK_HEADROOM + piece.len(), 0);
        b[CHUNK_HEADROOM..].copy_from_slice(piece);
        let hints = Hints::for_chunk(&b, CHUNK_HEADROOM, piece.len(), hint_eighths, kind);
        s.feed_chunk(b, piece.len(), hints, &mut c, |b| spare = b);
        kind = s.wants_hints();
    }
    s.finish(&mut c);
    (c, s.hinted_pods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LINES: &[&str] = &[
        "plain text",
        "x Exit Code: 1",
        "exitCode=3 and again ExitCode",
        "",
        "web   npm start   Exit 2",
        "container oom",
        "NAME READY STATUS RESTARTS",
        "Exited (1) 2 seconds ago",
        "event=exit and exitCode=1",
    ];

    /// Spark's pod state listing: the container's own pairs (indented or
    /// not), the pod's (indented, above them), the pod remembered for the
    /// listing's later containers but not for a listing of its own.
    #[test]
    fn spark_listings() {
        let text = "INFO LoggingPodStatusWatcherImpl: State changed, new state: \n\t pod name: pi-driver\n\t namespace: jobs\n\t phase: Failed\n\t container status: \n\t\t container name: driver\n\t\t container state: terminated\n\t\t container started at: 2024-05-10T12:00:04Z\n\t\t container finished at: 2024-05-10T12:05:00Z\n\t\t exit code: 137\n\t\t termination reason: OOMKilled\n\n\t\t container name: sidecar\n\t\t container finished at: 2024-05-10T12:05:01Z\n\t\t exit code: 0\n\t\t termination reason: Completed\nINFO LoggingPodStatusWatcherImpl: Container final statuses:\n\ncontainer name: driver\ncontainer state: terminated\nexit code: 137\ntermination reason: OOMKilled\n";
        let c = scan_bytes("t", text.as_bytes(), ScanConfig::default());
        let got: Vec<_> = c
            .records()
            .iter()
            .map(|r| {
                (
                    r.pod.as_deref(),
                    r.namespace.as_deref(),
                    r.container.as_deref(),
                    r.raw_exit_code,
                    r.finished_at.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("pi-driver"), Some("jobs"), Some("driver"), Some(137), Some("2024-05-10T12:05:00Z")),
                (Some("pi-driver"), Some("jobs"), Some("sidecar"), Some(0), Some("2024-05-10T12:05:01Z")),
                (None, None, Some("driver"), Some(137), None),
            ]
        );
        assert_eq!(c.records()[0].started_at.as_deref(), Some("2024-05-10T12:00:04Z"));
    }

    /// `exit code: N` alone is no Spark container's: podman-compose prints it
    /// after each podman command it runs. Spark's own has `container state:
    /// terminated` above it, or (a cut paste) `termination reason:` below.
    #[test]
    fn bare_exit_code_lines() {
        let compose = "['podman', 'volume', 'inspect', 'myproj_data']\nexit code: 0\npodman start -a myproj_web_1\nexit code: 1\n";
        assert!(scan_bytes("t", compose.as_bytes(), ScanConfig::default()).records().is_empty());
        let cut = "exit code: 137\ntermination reason: OOMKilled\n";
        let c = scan_bytes("t", cut.as_bytes(), ScanConfig::default());
        let got: Vec<_> = c.records().iter().map(|r| (r.raw_exit_code, r.reason.as_deref())).collect();
        assert_eq!(got, [(Some(137), Some("OOMKilled"))]);
    }

    #[test]
    fn message_fields_of_exported_log_records() {
        let t: [(&str, Option<&str>); 7] = [
            (r#""MESSAGE" : "a \"b\" exitCode=1","#, Some(r#"a "b" exitCode=1"#)),
            (r#""MESSAGE": "x","#, Some("x")),
            (r#""textPayload": "Container called exit(1).""#, Some("Container called exit(1).")),
            (r#""message":"m""#, Some("m")),
            (r#""messages": "m","#, None),
            (r#""message": 12,"#, None),
            (r#""log": "cut \"#, None),
        ];
        for (line, want) in t {
            assert_eq!(json_message_field(line.as_bytes()).as_deref(), want.map(str::as_bytes), "{line}");
        }
    }

    /// A literal cut by a read while pods are read ahead (their hints leave
    /// no prefilter range): a describe fragment's `Exit Code:` line across
    /// the boundary is found all the same (it was lost with reads of 1287
    /// bytes, 3/8 read ahead).
    #[test]
    fn literal_across_a_read_after_pods_read_ahead() {
        let pod = |n: usize| {
            format!("Name:         web-{n}\nNamespace:    prod\nContainers:\n  web:\n    Container ID:  containerd://{n}\n    State:         Terminated\n      Reason:      Error\n      Exit Code:   {n}\n    Restart Count:  1\nEvents:  <none>\n")
        };
        let mut data: Vec<u8> = (0..30).flat_map(|n| pod(n).into_bytes()).collect();
        data.extend(b"kubectl describe po nginx\nContainers:\n  nginx:\n    State:          Running\n      Started:      Thu, 12 Oct 2023 19:00:49 +0000\n    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137\n\n");
        data.extend((30..40).flat_map(|n| pod(n).into_bytes()));
        let want = scan_bytes("t", &data, ScanConfig::default());
        assert_eq!(want.records().len(), 41);
        for size in 1250..1320 {
            for eighths in [1, 3, 8] {
                let (got, _) = scan_chunks_counted("t", &data, ScanConfig::default(), size, eighths);
                assert_eq!(got.records(), want.records(), "chunks of {size}, {eighths}/8 read ahead");
            }
        }
    }

    /// A line of compact JSON longer than `max_line` (`kubectl get --raw
    /// /api/v1/pods`) is read in pieces, whatever the reads: the records of
    /// the same line read whole, the lines around it too, and nothing cut.
    #[test]
    fn a_long_json_line_is_read_in_pieces() {
        let list = crate::parse::doc::tricky_list(40);
        let data = format!("web-1 exited with code 3\n{list}\nweb-2 exited with code 4\n{list}");
        let want = scan_bytes("t", data.as_bytes(), ScanConfig::default());
        assert_eq!(want.records().len(), 82);
        assert!(list.len() > 4 * 1024, "longer than the max_line below ({})", list.len());
        let small = ScanConfig { max_line: 1024, ..ScanConfig::default() };
        let lines: Vec<u64> = want.records().iter().map(|r| r.line).collect();
        assert_eq!((lines[0], lines[1], lines[40], lines[41], lines[42], lines[81]), (1, 2, 2, 3, 4, 4));
        for size in [1, 7, 100, 1000, 1023, 1024, 1025, 4096, 1 << 20] {
            let got = scan_chunks("t", data.as_bytes(), small.clone(), size, 0);
            assert_eq!(got.records(), want.records(), "chunks of {size}");
            assert!(got.dropped.is_empty(), "nothing cut: {:?}", got.dropped);
            let mut s = Scanner::new("t", small.clone());
            let mut c = Collect::default();
            for piece in data.as_bytes().chunks(size) {
                s.feed(piece, &mut c);
            }
            s.finish(&mut c);
            assert_eq!(c.records(), want.records(), "fed {size} bytes at a time");
        }
    }

    /// Describe text printed into a container log and plain describe text
    /// in one stream, pod after pod in runs of either: the records of the
    /// same text unframed (the framed way and the plain fast path hand over
    /// to each other at any pod).
    #[test]
    fn framed_runs_in_describe_read_like_plain() {
        let pods: Vec<String> = (0..24)
            .map(|n| {
                let message = if n % 5 == 0 { "      Message:     boom\n        more of it\n" } else { "" };
                format!(
                    "Name:         web-{n}\nNamespace:    prod\nContainers:\n  web:\n    Container ID:  containerd://{n}\n    State:         Terminated\n      Reason:      Error\n{message}      Exit Code:   {n}\n    Restart Count:  1\nEvents:  <none>\n"
                )
            })
            .collect();
        let want = scan_bytes("t", pods.concat().as_bytes(), ScanConfig::default());
        assert_eq!(want.records().len(), 24);
        let brief = |c: &Collect| -> Vec<String> {
            c.records()
                .iter()
                .map(|r| {
                    format!(
                        "{:?} {:?} {:?} {:?} {:?} {:?} {}",
                        r.pod, r.container, r.raw_exit_code, r.reason, r.message, r.restart_count, r.line
                    )
                })
                .collect()
        };
        for period in [1usize, 2, 3, 7] {
            for phase in 0..period {
                let mixed: String = pods
                    .iter()
                    .enumerate()
                    .map(|(i, pod)| match (i + phase) / period % 2 {
                        0 => pod.lines().map(|l| format!("2024-01-28T09:05:11.123456789Z stdout F {l}\n")).collect(),
                        _ => pod.clone(),
                    })
                    .collect();
                let got = scan_bytes("t", mixed.as_bytes(), ScanConfig::default());
                assert_eq!(brief(&got), brief(&want), "runs of {period}, phase {phase}");
            }
        }
    }

    /// Pods read whole on the reader thread give what the scanner reads
    /// itself: kubectl's pods among the describe fixtures (pastes, tabs,
    /// messages, colors), at any share and chunk size.
    #[test]
    fn pods_read_ahead_equal_pods_read_here() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt") && p.to_string_lossy().contains("describe"))
            .collect();
        names.sort();
        let mut data = Vec::new();
        for round in 0..40 {
            for (i, p) in names.iter().enumerate() {
                if (round + i) % 3 == 0 {
                    data.extend(std::fs::read(p).expect("fixture"));
                    data.push(b'\n');
                }
                let code = (round * 7 + i) % 256;
                data.extend(
                    format!(
                        "Name:         web-{round}-{i}\nNamespace:    prod\nContainers:\n  web:\n    Container ID:  containerd://{i}\n    State:         Terminated\n      Reason:      Error\n      Exit Code:   {code}\n    Restart Count:  {round}\nEvents:  <none>\n"
                    )
                    .as_bytes(),
                );
            }
        }
        let want = scan_bytes("t", &data, ScanConfig::default());
        assert!(want.records().len() > 1000);
        let mut hinted_somewhere = false;
        for size in [2_000usize, 9_000, 65_536, 1 << 20] {
            for eighths in [1usize, 3, 6, 8] {
                let (got, hinted) = scan_chunks_counted("t", &data, ScanConfig::default(), size, eighths);
                assert_eq!(got.records(), want.records(), "chunks of {size}, {eighths}/8 read ahead");
                assert_eq!(got.problems, want.problems);
                hinted_somewhere |= hinted > 0;
            }
        }
        assert!(hinted_somewhere);
    }

    proptest! {
        /// From any line start and up to any line start, the hints give what
        /// the search over the buffer gives; positions visited in any order.
        #[test]
        fn hints_answer_like_the_search(
            picks in proptest::collection::vec(0..LINES.len(), 0..120),
            tail in "[a-z ]{0,12}",
            backwards in any::<bool>(),
            eighths in 1..=8usize,
        ) {
            let mut data = Vec::new();
            for p in picks {
                data.extend_from_slice(LINES[p].as_bytes());
                data.push(b'\n');
            }
            data.extend_from_slice(tail.as_bytes());
            let mut buf = vec![b'q'; CHUNK_HEADROOM];
            buf.extend_from_slice(&data);
            let Some(hints) = Hints::for_chunk(&buf, CHUNK_HEADROOM, data.len(), eighths, HintKind::Prefilter) else {
                return Ok(());
            };
            let full = CHUNK_HEADROOM + memchr::memrchr(b'\n', &data).map_or(0, |n| n + 1);
            let mut starts: Vec<usize> = std::iter::once(CHUNK_HEADROOM)
                .chain(memchr::memchr_iter(b'\n', &data).map(|n| CHUNK_HEADROOM + n + 1))
                .filter(|&p| p <= full)
                .collect();
            if backwards {
                starts.reverse();
            }
            let (from, to) = (hints.from, hints.to);
            let mut s = Scanner::new("t", ScanConfig::default());
            s.filled = buf.len();
            s.buf = buf;
            s.hints = Some(hints);
            for &pos in &starts {
                let next = starts.iter().copied().filter(|&p| p > pos).min().unwrap_or(full);
                for end in [full, from, to, next] {
                    if end < pos {
                        continue;
                    }
                    s.pos = pos;
                    let want = parse::find(&s.buf[pos..end]).map(|m| pos + m);
                    prop_assert_eq!(s.find_hit(end), want, "pos {} end {}", pos, end);
                }
            }
        }
    }
}
