//! `exitscan watch`: runs unattended — follows files, directories and globs,
//! streams long-running commands, polls snapshot commands — and feeds
//! everything through the same pipeline, metrics and dedupe.
//!
//! The edges are async on tokio: inotify events (the `notify` crate, with a
//! timer as the polling fallback), `--exec` / `--poll` commands, signals and
//! the HTTP server all post [`Event`]s to one channel. One ingest thread owns
//! the scanners, the pipeline and the checkpoint and handles them in order, so
//! the core stays synchronous and deterministic.
//!
//! Lifecycle: SIGTERM/SIGINT stop reading, flush the output, write the
//! checkpoint and the metrics file and exit 0; SIGHUP reloads `--config`.

pub mod command;
pub mod files;
pub mod state;

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::app::{parse_duration, settings, AppError};
use crate::cli::WatchArgs;
use crate::dedupe::Dedupe;
use crate::metrics::Metrics;
use crate::pipeline::{Pipeline, SourceContext};
use crate::scan::{ScanConfig, ScanStats, Scanner};
use crate::sink::RecordWriter;

use files::FileSet;
use state::{Checkpoint, StateDir};

/// What the async edges tell the ingest thread.
#[derive(Debug)]
pub enum Event {
    /// Something changed under a watched directory (true: names changed).
    Wake(bool),
    /// Time to look at every file, re-expand globs, checkpoint.
    Tick,
    ExecStart(usize),
    ExecData(usize, Vec<u8>),
    ExecEnd(usize, String),
    PollData(usize, u64, Vec<u8>),
    PollEnd(usize, u64, Option<String>),
    Reload,
    Shutdown,
}

fn duration(flag: &str, s: &str) -> Result<Duration, AppError> {
    parse_duration(s).ok_or_else(|| AppError::Usage(format!("{flag} {s}: not a duration (e.g. 5s, 500ms, 1m)")))
}

/// Scanner settings for followed sources: small reads, so a thousand files stay cheap.
fn follow_config(base: &ScanConfig) -> ScanConfig {
    ScanConfig { read_size: 64 << 10, ..base.clone() }
}

struct Streams {
    scanners: HashMap<(usize, u64), Scanner>,
    stats: ScanStats,
}

impl Streams {
    fn feed<W: Write>(&mut self, key: (usize, u64), name: &str, cfg: &ScanConfig, data: &[u8], pipe: &mut Pipeline<W>) {
        let s = self.scanners.entry(key).or_insert_with(|| Scanner::new(name.to_string(), cfg.clone()));
        let before = s.stats;
        s.feed(data, pipe);
        add_stats(&mut self.stats, &s.stats, &before);
    }

    fn finish<W: Write>(&mut self, key: (usize, u64), pipe: &mut Pipeline<W>) {
        if let Some(mut s) = self.scanners.remove(&key) {
            let before = s.stats;
            s.finish(pipe);
            add_stats(&mut self.stats, &s.stats, &before);
        }
    }
}

fn add_stats(total: &mut ScanStats, now: &ScanStats, before: &ScanStats) {
    total.bytes += now.bytes - before.bytes;
    for i in 0..total.lines.len() {
        total.lines[i] += now.lines[i] - before.lines[i];
    }
}

/// The synchronous core of watch mode: followed files, command streams, the
/// pipeline and the checkpoint. [`run`] drives it from events; tests drive it
/// directly, without timers or sleeps.
pub struct Follower<W: Write> {
    pub files: FileSet,
    pub pipe: Pipeline<W>,
    pub metrics: Arc<Metrics>,
    state: Option<StateDir>,
    streams: Streams,
    cfg: ScanConfig,
    reported: ScanStats,
    dirty: bool,
}

/// How a [`Follower`] is set up.
pub struct FollowSetup {
    pub roots: Vec<files::RootSpec>,
    pub scan: ScanConfig,
    pub state_dir: Option<std::path::PathBuf>,
    pub from_start: bool,
    pub dedupe_size: usize,
    pub timing: files::Timing,
}

impl<W: Write> Follower<W> {
    pub fn new(
        setup: FollowSetup,
        kb: Arc<crate::kb::KnowledgeBase>,
        lang: crate::kb::Lang,
        writer: RecordWriter<W>,
        metrics: Arc<Metrics>,
    ) -> Result<Follower<W>, String> {
        let mut dedupe = Dedupe::new(setup.dedupe_size);
        let (state, resume, first_start) = match &setup.state_dir {
            Some(dir) => {
                let (sd, cp, journaled) = StateDir::open(dir)?;
                let first = cp.is_none();
                let cp = cp.unwrap_or_default();
                dedupe.restore(&cp.fingerprints);
                dedupe.restore(&journaled);
                (Some(sd), cp.files, first)
            }
            None => (None, Vec::new(), true),
        };
        let mut pipe = Pipeline::new(kb, lang, dedupe, writer, Some(metrics.clone()));
        if let Some(sd) = &state {
            let mut j = sd.journal_writer().map_err(|e| format!("journal: {e}"))?;
            pipe.journal = Some(Box::new(move |fp| state::journal_append(&mut j, fp)));
        }
        let cfg = follow_config(&setup.scan);
        let mut files = FileSet::new(setup.roots, cfg.clone(), resume, first_start && !setup.from_start);
        files.timing = setup.timing;
        Ok(Follower {
            files,
            pipe,
            metrics,
            state,
            streams: Streams { scanners: HashMap::new(), stats: ScanStats::default() },
            cfg,
            reported: ScanStats::default(),
            dirty: true,
        })
    }

    /// Re-expands the watched names (new files, rotation) when asked, then
    /// reads what every file gained. Returns the bytes read.
    pub fn sync(&mut self, rediscover: bool) -> u64 {
        if rediscover {
            self.files.discover();
        }
        let n = sync_files(&mut self.files, &mut self.pipe, &self.metrics);
        if n > 0 {
            self.dirty = true;
        }
        self.account();
        self.pipe.flush_output();
        n
    }

    /// Writes buffered output (after the fingerprints it holds are journaled).
    pub fn flush(&mut self) -> io::Result<()> {
        self.pipe.flush_output();
        match self.pipe.write_error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn account(&mut self) {
        let mut total = self.files.stats;
        add_stats(&mut total, &self.streams.stats, &ScanStats::default());
        self.metrics.add_scan(&total, &self.reported);
        self.reported = total;
    }

    pub fn exec_data(&mut self, id: usize, name: &str, data: &[u8]) {
        self.pipe.set_source(Arc::from(name));
        self.pipe.set_context(SourceContext::default());
        self.streams.feed((id, 0), name, &self.cfg, data, &mut self.pipe);
        self.dirty = true;
        self.account();
    }

    pub fn exec_end(&mut self, id: usize) {
        self.pipe.set_context(SourceContext::default());
        self.streams.finish((id, 0), &mut self.pipe);
    }

    pub fn poll_data(&mut self, id: usize, run: u64, name: &str, data: &[u8]) {
        self.pipe.set_source(Arc::from(name));
        self.pipe.set_context(SourceContext { track_restarts: true, ..SourceContext::default() });
        self.streams.feed((POLL_BASE + id, run), name, &self.cfg, data, &mut self.pipe);
        self.dirty = true;
        self.account();
    }

    pub fn poll_end(&mut self, id: usize, run: u64) {
        self.pipe.set_context(SourceContext { track_restarts: true, ..SourceContext::default() });
        self.streams.finish((POLL_BASE + id, run), &mut self.pipe);
        self.account();
    }

    /// Writes the checkpoint if something changed. Output is flushed first: a
    /// checkpoint never covers records that were not written.
    pub fn checkpoint(&mut self) {
        self.pipe.flush_output();
        if let (true, Some(sd)) = (self.dirty, self.state.as_mut()) {
            save_checkpoint(sd, &self.files, &self.pipe);
            self.dirty = false;
        }
    }

    /// Flushes output, saves the checkpoint; returns the writer's sink.
    pub fn shutdown(mut self) -> io::Result<W> {
        self.pipe.finish()?;
        self.dirty = true;
        self.checkpoint();
        let Follower { pipe, .. } = self;
        Ok(pipe.into_writer())
    }
}

/// With inotify, globs are re-walked every this many ticks (a safety net).
const REDISCOVER_TICKS: u64 = 30;

/// Streams of `--poll` runs are keyed apart from `--exec` streams.
const POLL_BASE: usize = 1 << 32;

pub fn run(w: &WatchArgs) -> Result<i32, AppError> {
    let st = settings(&w.common)?;
    if w.paths.is_empty() && w.exec.is_empty() && w.poll.is_empty() {
        return Err(AppError::Usage("watch: give files, directories or globs, or --exec / --poll commands".into()));
    }
    let every = duration("--every", &w.every)?;
    let checkpoint_every = duration("--checkpoint-interval", &w.checkpoint_interval)?;
    let poll_interval = duration("--poll-interval", &w.poll_interval)?;
    let metrics_every = duration("--metrics-interval", &w.common.metrics_interval)?;
    let roots = files::roots(&w.paths).map_err(AppError::Usage)?;
    if let Some(addr) = &w.common.listen {
        crate::server::check_addr(addr).map_err(AppError::Usage)?;
    }

    let metrics = Arc::new(Metrics::new(&st.kb, &st.metrics));
    let server = match &w.common.listen {
        Some(addr) => {
            let s = crate::server::Server::start(addr, metrics.clone()).map_err(AppError::Usage)?;
            if !w.common.quiet {
                eprintln!("exitscan: serving /metrics and /healthz on http://{}", s.addr);
            }
            Some(s)
        }
        None => None,
    };

    let stdout = io::stdout();
    let writer = RecordWriter::new(st.output, stdout.lock());
    let setup = FollowSetup {
        roots,
        scan: st.scan.clone(),
        state_dir: w.state_dir.clone(),
        from_start: w.from_start,
        dedupe_size: st.dedupe_size,
        timing: files::Timing::default(),
    };
    let mut f = Follower::new(setup, st.kb.clone(), st.lang, writer, metrics.clone()).map_err(AppError::Usage)?;

    // The async edges.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("exitscan-watch")
        .enable_all()
        .build()
        .map_err(|e| AppError::Io(format!("cannot start the runtime: {e}")))?;
    let (tx, mut rx) = mpsc::channel::<Event>(1024);
    {
        let tx = tx.clone();
        runtime.spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
                (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
            else {
                return;
            };
            loop {
                tokio::select! {
                    _ = term.recv() => { let _ = tx.send(Event::Shutdown).await; }
                    _ = int.recv() => { let _ = tx.send(Event::Shutdown).await; }
                    _ = hup.recv() => { let _ = tx.send(Event::Reload).await; }
                }
            }
        });
    }
    {
        let tx = tx.clone();
        runtime.spawn(async move {
            let mut t = tokio::time::interval(poll_interval);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                t.tick().await;
                if tx.send(Event::Tick).await.is_err() {
                    return;
                }
            }
        });
    }
    for (i, cmd) in w.exec.iter().enumerate() {
        runtime.spawn(command::exec_loop(i, cmd.clone(), tx.clone()));
    }
    for (i, cmd) in w.poll.iter().enumerate() {
        runtime.spawn(command::poll_loop(i, cmd.clone(), every, tx.clone()));
    }
    // inotify; without it the Tick timer polls.
    let _watcher = {
        let tx = tx.clone();
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                use notify::event::{EventKind, ModifyKind};
                // New, removed or renamed names need the globs re-expanded;
                // writes only need reading. A full channel already holds a wake-up.
                let names = matches!(
                    ev.kind,
                    EventKind::Create(_) | EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                );
                let _ = tx.try_send(Event::Wake(names));
            }
        });
        match watcher {
            Ok(mut watcher) => {
                for d in f.files.watch_dirs() {
                    if d.exists() {
                        if let Err(e) = watcher.watch(&d, RecursiveMode::Recursive) {
                            eprintln!("exitscan: {}: cannot watch ({e}); polling every {poll_interval:?}", d.display());
                        }
                    }
                }
                Some(watcher)
            }
            Err(e) => {
                eprintln!("exitscan: inotify unavailable ({e}); polling every {poll_interval:?}");
                None
            }
        }
    };
    drop(tx);

    let exec_names = w.exec.clone();
    let poll_names = w.poll.clone();
    let config_path = w.common.config.clone();
    let mut last_checkpoint = Instant::now();
    let mut last_metrics_file = Instant::now();
    f.sync(true);
    // A checkpoint right away: after a crash before the first interval, a
    // restart knows this was not a first start (and reads new files whole).
    f.checkpoint();
    let inotify = _watcher.is_some();
    let mut ticks: u64 = 0;
    let mut running = true;
    while running {
        let Some(first) = rx.blocking_recv() else { break };
        let mut batch = vec![first];
        while let Ok(ev) = rx.try_recv() {
            batch.push(ev);
            if batch.len() >= 256 {
                break;
            }
        }
        let (mut read_files, mut rediscover) = (false, false);
        for ev in batch {
            match ev {
                Event::Wake(names) => {
                    read_files = true;
                    rediscover |= names;
                }
                Event::Tick => {
                    read_files = true;
                    // With inotify, names change only with events; the walk is a
                    // slow safety net. Without it, every tick walks.
                    ticks += 1;
                    rediscover |= !inotify || ticks % REDISCOVER_TICKS == 0;
                }
                Event::ExecStart(id) => f.exec_end(id),
                Event::ExecData(id, data) => {
                    let name = exec_names.get(id).map(String::as_str).unwrap_or("");
                    f.exec_data(id, name, &data);
                }
                Event::ExecEnd(id, why) => {
                    f.exec_end(id);
                    metrics.source_error("exec");
                    eprintln!(
                        "exitscan: --exec {}: {why}; restarting",
                        exec_names.get(id).map(String::as_str).unwrap_or("")
                    );
                }
                Event::PollData(id, run, data) => {
                    let name = poll_names.get(id).map(String::as_str).unwrap_or("");
                    f.poll_data(id, run, name, &data);
                }
                Event::PollEnd(id, run, outcome) => {
                    f.poll_end(id, run);
                    if let Some(why) = outcome {
                        metrics.source_error("poll");
                        eprintln!("exitscan: --poll {}: {why}", poll_names.get(id).map(String::as_str).unwrap_or(""));
                    }
                }
                Event::Reload => match crate::app::load_kb(config_path.as_deref()) {
                    Ok(kb) => {
                        f.pipe.set_kb(Arc::new(kb));
                        eprintln!("exitscan: SIGHUP: knowledge base reloaded");
                    }
                    Err(e) => eprintln!("exitscan: SIGHUP: keeping the old knowledge base: {e}"),
                },
                Event::Shutdown => running = false,
            }
        }
        if !running {
            break;
        }
        if read_files {
            f.sync(rediscover);
        }
        if let Err(e) = f.flush() {
            if e.kind() == io::ErrorKind::BrokenPipe {
                running = false;
            } else {
                eprintln!("exitscan: stdout: {}", crate::app::io_reason(&e));
            }
        }
        if last_checkpoint.elapsed() >= checkpoint_every {
            f.checkpoint();
            last_checkpoint = Instant::now();
        }
        if let Some(p) = &w.common.metrics_file {
            if last_metrics_file.elapsed() >= metrics_every {
                if let Err(e) = metrics.write_textfile(p) {
                    eprintln!("exitscan: {}: {}", p.display(), crate::app::io_reason(&e));
                }
                last_metrics_file = Instant::now();
            }
        }
    }

    // Shutdown: nothing more is read; what was read is flushed and saved.
    if let Err(e) = f.shutdown() {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("exitscan: stdout: {}", crate::app::io_reason(&e));
        }
    }
    if let Some(p) = &w.common.metrics_file {
        if let Err(e) = metrics.write_textfile(p) {
            eprintln!("exitscan: {}: {}", p.display(), crate::app::io_reason(&e));
        }
    }
    runtime.shutdown_timeout(Duration::from_millis(500));
    if let Some(s) = server {
        s.shutdown();
    }
    Ok(0)
}

/// Reads all files; counts read errors. Returns bytes read.
fn sync_files<W: Write>(fs: &mut FileSet, pipe: &mut Pipeline<W>, metrics: &Metrics) -> u64 {
    let n = fs.read_all(pipe, &mut |p: &mut Pipeline<W>, ctx: &SourceContext, name: &str| {
        p.set_source(Arc::from(name));
        p.set_context(ctx.clone());
    });
    for (kind, _) in fs.errors.drain(..) {
        metrics.source_error(kind);
    }
    n
}

fn save_checkpoint<W: Write>(sd: &mut StateDir, fs: &FileSet, pipe: &Pipeline<W>) {
    let c = Checkpoint { version: 1, files: fs.states(), fingerprints: pipe.dedupe.snapshot() };
    if let Err(e) = sd.save(&c) {
        eprintln!("exitscan: checkpoint: {}", crate::app::io_reason(&e));
    }
}
