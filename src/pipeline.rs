//! The sequential half of the pipeline: what the scanner found, in order →
//! evidence context → cause → dedupe → writer and counters.

use std::io::{self, Write};
use std::sync::Arc;

use crate::dedupe::Dedupe;
use crate::enrich::{self, Context};
use crate::kb::{KnowledgeBase, Lang};
use crate::metrics::Metrics;
use crate::parse::Item;
use crate::record::Record;
use crate::scan::{Dropped, Problem, ScanOutput};
use crate::sink::RecordWriter;

/// Problems printed per source before they are only counted.
const MAX_REPORTED: u64 = 20;

/// A callback that sees every final record.
pub type RecordHook = Box<dyn FnMut(&Record) + Send>;

pub struct Pipeline<W: Write> {
    kb: Arc<KnowledgeBase>,
    lang: Lang,
    ctx: Context,
    pub dedupe: Dedupe,
    pub writer: RecordWriter<W>,
    metrics: Option<Arc<Metrics>>,
    source: Arc<str>,
    problems: u64,
    dropped_reported: bool,
    /// Writing failed (e.g. the reader of a pipe went away): stop scanning.
    pub write_error: Option<io::Error>,
    /// Called with each record after it is final (watch mode uses it).
    pub on_record: Option<RecordHook>,
}

impl<W: Write> Pipeline<W> {
    pub fn new(
        kb: Arc<KnowledgeBase>,
        lang: Lang,
        dedupe: Dedupe,
        writer: RecordWriter<W>,
        metrics: Option<Arc<Metrics>>,
    ) -> Pipeline<W> {
        Pipeline {
            kb,
            lang,
            ctx: Context::default(),
            dedupe,
            writer,
            metrics,
            source: Arc::from(""),
            problems: 0,
            dropped_reported: false,
            write_error: None,
            on_record: None,
        }
    }

    /// Starts a new source (problems are reported per source).
    pub fn set_source(&mut self, source: Arc<str>) {
        if self.problems > MAX_REPORTED {
            eprintln!("exitscan: {}: {} more problems not shown", self.source, self.problems - MAX_REPORTED);
        }
        self.source = source;
        self.problems = 0;
    }

    pub fn stopped(&self) -> bool {
        self.write_error.is_some()
    }

    pub fn set_kb(&mut self, kb: Arc<KnowledgeBase>) {
        self.kb = kb;
    }

    /// Final pass: the cause, the repeat mark, counters, output.
    pub fn record(&mut self, mut r: Record) {
        self.ctx.apply(&mut r);
        r.cause = enrich::explain(&self.kb, self.lang, &r);
        self.dedupe.observe(&mut r);
        if let Some(m) = &self.metrics {
            m.observe(&r);
        }
        if let Some(f) = self.on_record.as_mut() {
            f(&r);
        }
        if self.write_error.is_none() {
            if let Err(e) = self.writer.record(&r) {
                self.write_error = Some(e);
            }
        }
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.set_source(Arc::from(""));
        self.writer.finish()
    }
}

impl<W: Write> ScanOutput for Pipeline<W> {
    fn item(&mut self, item: Item) {
        match item {
            Item::Evidence(e) => self.ctx.add(e),
            Item::Record(r) => self.record(*r),
        }
    }

    fn problem(&mut self, p: Problem) {
        self.problems += 1;
        if let Some(m) = &self.metrics {
            m.parse_error(p.format);
        }
        if self.problems <= MAX_REPORTED {
            eprintln!("exitscan: {}:{}: {}: {}", self.source, p.line, p.format, p.what);
        }
    }

    fn dropped(&mut self, why: Dropped, bytes: u64) {
        if let Some(m) = &self.metrics {
            m.dropped(why);
        }
        if !self.dropped_reported {
            self.dropped_reported = true;
            let what = match why {
                Dropped::OversizedLine => "a line longer than --max-line-bytes was cut",
                Dropped::StalePartial => "partial log pieces were never completed or grew too long",
            };
            eprintln!("exitscan: {}: {what} ({bytes} bytes dropped; further drops are only counted)", self.source);
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        if self.write_error.is_none() {
            if let Err(e) = self.writer.raw(bytes) {
                self.write_error = Some(e);
            }
        }
    }

    fn wants_raw(&self) -> bool {
        self.writer.kind() == crate::sink::OutputKind::Passthrough
    }
}
