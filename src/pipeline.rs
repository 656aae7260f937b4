//! The sequential half of the pipeline: what the scanner found, in order →
//! evidence context → cause → dedupe → writer and counters.

use std::io::{self, Write};
use std::sync::Arc;

use crate::dedupe::Dedupe;
use crate::enrich::{self, Context};
use crate::kb::{KnowledgeBase, Lang};
use crate::metrics::Metrics;
use crate::parse::Item;
use crate::record::{Record, Str};
use crate::scan::{Dropped, Problem, ScanOutput};
use crate::sink::RecordWriter;

/// Problems printed per source before they are only counted.
const MAX_REPORTED: u64 = 20;

/// A callback that sees every final record.
pub type RecordHook = Box<dyn FnMut(&Record) + Send>;

/// A callback that receives the fingerprints of counted records *before* the
/// output holding them is written (watch mode's write-ahead journal).
pub type FingerprintHook = Box<dyn FnMut(u64) + Send>;

/// What the current source says about the records it yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceContext {
    /// Filled into records that do not name them (kubelet log path layout).
    pub namespace: Option<Str>,
    pub pod: Option<Str>,
    pub container: Option<Str>,
    pub container_id: Option<Str>,
    /// Identity of a followed file (device, inode, truncation generation): a
    /// record with no fingerprint of its own is identified by it and its line.
    pub origin: Option<u64>,
    /// Count restarts the source's pod status shows beyond the terminations seen (`--poll`).
    pub track_restarts: bool,
}

/// `exitscan_missed_terminations_total`: each termination in pod status has a
/// restart index (`lastState`: restartCount, `state`: restartCount + 1); an
/// index that jumps past the highest one seen means terminations in between
/// were never observed.
#[derive(Debug, Default)]
pub struct RestartTracker {
    highest: std::collections::HashMap<ContainerKey, u64>,
}

/// (namespace, pod, container)
type ContainerKey = (Option<Str>, Option<Str>, Option<Str>);

/// Containers remembered for restart tracking (oldest forgotten first).
const RESTART_TRACK_MAX: usize = 100_000;

impl RestartTracker {
    /// Returns how many terminations `r` shows were missed.
    pub fn observe(&mut self, r: &Record) -> u64 {
        let (Some(rc), Some(state)) = (r.restart_count, r.state) else { return 0 };
        let idx = match state {
            crate::record::State::LastTerminated => rc,
            crate::record::State::Terminated => rc + 1,
        };
        let key = (r.namespace.clone(), r.pod.clone(), r.container.clone());
        if self.highest.len() >= RESTART_TRACK_MAX && !self.highest.contains_key(&key) {
            self.highest.clear();
        }
        match self.highest.get_mut(&key) {
            None => {
                self.highest.insert(key, idx);
                0
            }
            Some(h) if idx > *h => {
                let missed = idx - *h - 1;
                *h = idx;
                missed
            }
            Some(_) => 0,
        }
    }
}

pub struct Pipeline<W: Write> {
    kb: Arc<KnowledgeBase>,
    lang: Lang,
    ctx: Context,
    explainer: enrich::Explainer,
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
    pub journal: Option<FingerprintHook>,
    /// Fingerprints of counted records still in the writer's buffer.
    pending_fps: Vec<u64>,
    context: SourceContext,
    restarts: RestartTracker,
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
            explainer: enrich::Explainer::default(),
            dedupe,
            writer,
            metrics,
            source: Arc::from(""),
            problems: 0,
            dropped_reported: false,
            write_error: None,
            on_record: None,
            journal: None,
            pending_fps: Vec::new(),
            context: SourceContext::default(),
            restarts: RestartTracker::default(),
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

    /// What the next records' source says about them.
    pub fn set_context(&mut self, c: SourceContext) {
        self.context = c;
    }

    pub fn stopped(&self) -> bool {
        self.write_error.is_some()
    }

    pub fn set_kb(&mut self, kb: Arc<KnowledgeBase>) {
        self.kb = kb;
        self.explainer.clear();
    }

    /// Final pass: the cause, the repeat mark, counters, output.
    pub fn record(&mut self, mut r: Record) {
        self.record_in_place(&mut r);
    }

    /// [`Pipeline::record`] on a record the caller keeps (to free it on the
    /// thread that allocated it).
    pub fn record_in_place(&mut self, r: &mut Record) {
        let c = &self.context;
        if r.namespace.is_none() && c.namespace.is_some() {
            r.namespace = c.namespace.clone();
        }
        if r.pod.is_none() && c.pod.is_some() {
            r.pod = c.pod.clone();
        }
        if r.container.is_none() && c.container.is_some() {
            r.container = c.container.clone();
        }
        if r.container_id.is_none() && c.container_id.is_some() {
            r.container_id = c.container_id.clone();
        }
        self.ctx.apply(r);
        r.cause = self.explainer.explain(&self.kb, self.lang, r);
        let fp = crate::dedupe::fingerprint(r)
            .or_else(|| self.context.origin.map(|o| crate::dedupe::origin_fingerprint(o, r)));
        r.repeat = fp.is_some_and(|f| self.dedupe.check(f));
        if let (false, Some(f), true) = (r.repeat, fp, self.journal.is_some()) {
            self.pending_fps.push(f);
        }
        if self.context.track_restarts {
            let missed = self.restarts.observe(r);
            if let (true, Some(m)) = (missed > 0, &self.metrics) {
                m.missed(missed);
            }
        }
        if let Some(m) = &self.metrics {
            m.observe(r);
        }
        if let Some(f) = self.on_record.as_mut() {
            f(r);
        }
        if self.write_error.is_none() {
            if let Err(e) = self.writer.record(r) {
                self.write_error = Some(e);
            }
            if self.writer.needs_flush() {
                self.flush_output();
            }
        }
    }

    /// Writes buffered output; fingerprints of the records in it reach the
    /// journal first, so a record that was output is never counted again
    /// after a crash and restart.
    pub fn flush_output(&mut self) {
        if let Some(j) = self.journal.as_mut() {
            for fp in self.pending_fps.drain(..) {
                j(fp);
            }
        }
        self.pending_fps.clear();
        if self.write_error.is_none() {
            if let Err(e) = self.writer.flush() {
                self.write_error = Some(e);
            }
        }
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.set_source(Arc::from(""));
        self.flush_output();
        if let Some(e) = self.write_error.take() {
            return Err(e);
        }
        self.writer.finish()
    }

    /// The writer's sink (tests read what was written).
    pub fn into_writer(self) -> W {
        self.writer.into_inner()
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
            if self.writer.needs_flush() {
                self.flush_output();
            }
        }
    }

    fn wants_raw(&self) -> bool {
        self.writer.kind() == crate::sink::OutputKind::Passthrough
    }
}
