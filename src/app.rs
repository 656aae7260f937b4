//! Turns the parsed command line into a run: one-shot scans, `explain`,
//! completions. Returns the exit status (0 found, 1 none, 2 error).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use crate::cli::{Cli, Command, CommonArgs, LangArg, OutputArg, ScanArgs};
use crate::dedupe::Dedupe;
use crate::kb::{KnowledgeBase, Lang};
use crate::metrics::{ExtraLabel, Metrics, MetricsConfig};
use crate::parse::Item;
use crate::pipeline::Pipeline;
use crate::scan::{
    Dropped, HintKind, Hints, InputFormat, Problem, ScanConfig, ScanOutput, ScanStats, Scanner, CHUNK_HEADROOM,
    HINT_SHARE_MAX, HINT_SHARE_START,
};
use crate::sink::{OutputKind, RecordWriter};

/// An error that ends the run with status 2 and one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Kb(#[from] crate::kb::KbError),
    #[error("{0}")]
    Io(String),
}

pub fn lang(l: LangArg) -> Lang {
    match l {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
    }
}

pub fn output_kind(o: OutputArg) -> OutputKind {
    match o {
        OutputArg::Text => OutputKind::Text,
        OutputArg::Json => OutputKind::Json,
        OutputArg::Passthrough => OutputKind::Passthrough,
        OutputArg::None => OutputKind::None,
    }
}

pub fn load_kb(config: Option<&Path>) -> Result<KnowledgeBase, AppError> {
    Ok(match config {
        Some(p) => KnowledgeBase::with_user_file(p)?,
        None => KnowledgeBase::builtin()?,
    })
}

/// Parses `15s`, `500ms`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let v: f64 = num.parse().ok()?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        "h" => v * 3600.0,
        _ => return None,
    };
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    Some(std::time::Duration::from_secs_f64(secs))
}

/// Validated settings of a scan.
pub struct ScanSettings {
    pub scan: ScanConfig,
    pub kb: Arc<KnowledgeBase>,
    pub lang: Lang,
    pub output: OutputKind,
    pub metrics: MetricsConfig,
    pub dedupe_size: usize,
}

pub fn settings(a: &CommonArgs) -> Result<ScanSettings, AppError> {
    let format = match a.format.as_deref() {
        None => None,
        Some(f) => Some(InputFormat::parse(f).ok_or_else(|| {
            AppError::Usage(format!("--format {f}: unknown format (one of: {})", InputFormat::names().join(", ")))
        })?),
    };
    if a.max_line_bytes < 1024 {
        return Err(AppError::Usage("--max-line-bytes must be at least 1024".into()));
    }
    let mut extra = Vec::new();
    for l in a.metric_labels.iter().filter(|l| !l.trim().is_empty()) {
        extra.push(ExtraLabel::parse(l).ok_or_else(|| {
            AppError::Usage(format!("--metric-labels {l}: unknown label (namespace, pod, container)"))
        })?);
    }
    let kb = load_kb(a.config.as_deref())?;
    Ok(ScanSettings {
        scan: ScanConfig { format, max_line: a.max_line_bytes, ..ScanConfig::default() },
        kb: Arc::new(kb),
        lang: lang(a.lang),
        output: output_kind(a.output),
        metrics: MetricsConfig { extra_labels: extra, max_series: a.max_series.max(1) },
        dedupe_size: a.dedupe_size.max(1),
    })
}

/// Runs the command line; returns the process exit status.
pub fn run(cli: Cli) -> i32 {
    let res = match cli.command {
        Some(Command::Explain { what, output, lang: l, config }) => {
            run_explain(&what, output, lang(l), config.as_deref())
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "exitscan", &mut io::stdout());
            Ok(0)
        }
        Some(Command::Watch(w)) => crate::watch::run(&w),
        None => run_scan(&cli.scan),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("exitscan: {e}");
            2
        }
    }
}

fn run_explain(what: &str, output: OutputArg, lang: Lang, config: Option<&Path>) -> Result<i32, AppError> {
    let kb = load_kb(config)?;
    let Some(x) = crate::explain::explain(&kb, lang, what) else {
        return Err(AppError::Usage(format!(
            "explain {what}: not an exit code, signal, NTSTATUS or reason the knowledge base knows"
        )));
    };
    let text = match output {
        OutputArg::Json => crate::explain::to_json(&x),
        _ => crate::explain::to_text(&x, lang),
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(0),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(AppError::Io(format!("stdout: {e}"))),
    }
}

/// Opens a source; `-` is standard input. Gzip is decompressed. A stream
/// that starts with a UTF-16 byte order mark (Windows PowerShell's `>` writes
/// UTF-16LE) is read as UTF-8, and a UTF-8 one is dropped (`Name:` starts its
/// line again); anything else passes through as it is, byte for byte.
pub fn open(path: &Path) -> Result<Source, String> {
    let failed = |e: io::Error| format!("{}: {}", path.display(), io_reason(&e));
    if path.as_os_str() == "-" {
        let stdin = io::stdin();
        widen_pipe(&stdin);
        return Ok(Source { reader: sniffed(stdin).map_err(failed)?, file_len: None });
    }
    let meta = std::fs::metadata(path).map_err(failed)?;
    if meta.is_dir() {
        return Err(format!("{}: is a directory (give files, or use `exitscan watch DIR`)", path.display()));
    }
    use std::os::unix::fs::FileTypeExt;
    if meta.file_type().is_socket() {
        return Err(format!("{}: is a socket, not something to read", path.display()));
    }
    let f = File::open(path).map_err(failed)?;
    if meta.file_type().is_fifo() {
        widen_pipe(&f);
        return Ok(Source { reader: sniffed(f).map_err(failed)?, file_len: None });
    }
    // (A file's first bytes are read where they are, leaving its offset.)
    let mut head = [0u8; 3];
    let n = {
        use std::os::unix::fs::FileExt;
        f.read_at(&mut head, 0).unwrap_or(0)
    };
    let file_len = meta.is_file().then_some(meta.len());
    Ok(Source { reader: decoded(f, Encoding::of(&head[..n])), file_len })
}

/// An opened source.
pub struct Source {
    pub reader: Box<dyn Read + Send>,
    /// The length of a regular file when it was opened.
    pub file_len: Option<u64>,
}

/// [`decoded`] of a stream that cannot be read twice (stdin, a FIFO): the
/// bytes [`sniff`] read to tell it apart go first.
fn sniffed<R: Read + Send + 'static>(mut r: R) -> io::Result<Box<dyn Read + Send>> {
    let head = sniff(&mut r)?;
    let kind = Encoding::of(&head);
    Ok(decoded(io::Cursor::new(head).chain(r), kind))
}

/// What a stream's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// gzip (RFC 1952: `1f 8b`).
    Gzip,
    /// A byte order mark: UTF-8 (`ef bb bf`), UTF-16LE (`ff fe`) or BE (`fe ff`).
    Bom,
    /// Anything else: bytes as they are.
    Plain,
}

impl Encoding {
    fn of(head: &[u8]) -> Encoding {
        match head {
            [0x1f, 0x8b, ..] => Encoding::Gzip,
            [0xef, 0xbb, 0xbf, ..] | [0xff, 0xfe, ..] | [0xfe, 0xff, ..] => Encoding::Bom,
            _ => Encoding::Plain,
        }
    }
}

/// The first bytes of a stream, as many as [`Encoding::of`] needs: reading
/// stops as soon as they can start no signature, so a line typed at a
/// terminal is not held back waiting for a third byte.
fn sniff(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(3);
    let undecided = |h: &[u8]| match h {
        [] => true,
        [b] => matches!(b, 0x1f | 0xef | 0xff | 0xfe),
        [0xef, 0xbb] => true,
        _ => false,
    };
    while undecided(&head) {
        let mut b = [0u8; 1];
        if read_retrying(r, &mut b)? == 0 {
            break;
        }
        head.push(b[0]);
    }
    Ok(head)
}

/// `r.read(buf)`, again when a signal interrupted it.
fn read_retrying(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// `r` as text: decompressed when it is gzip (kubelet compresses rotated
/// container logs, `0.log.20240128-090511.gz`; `zcat -f` tells them apart
/// the same way, by their first bytes, whatever the name), decoded by its
/// byte order mark ([`by_bom`]) when it has one, else as it is. A gzip stream
/// cut short or corrupt ends the source with the decoder's error, after the
/// records before it.
fn decoded<R: Read + Send + 'static>(r: R, kind: Encoding) -> Box<dyn Read + Send> {
    match kind {
        Encoding::Gzip => Box::new(by_bom(flate2::read::MultiGzDecoder::new(r))),
        Encoding::Bom => Box::new(by_bom(r)),
        Encoding::Plain => Box::new(r),
    }
}

/// Makes a pipe we read from hold a whole read (1 MiB, or what the system
/// allows an unprivileged process: `/proc/sys/fs/pipe-max-size`), so that
/// `cat big.log | exitscan` hands the scanner chunks of up to 768 KiB as a
/// file does, not the 64 KiB a default pipe holds: a chunk's hand-overs
/// between threads cost the same whatever its size (with 64 KiB ones, 1 GiB
/// of container log took three times the CPU). Nothing waits for a pipe to
/// fill: a read still returns what is there. Not a pipe, or not allowed:
/// left as it is.
///
/// Standard output too, when it is a pipe (`exitscan ... | jq`): the writer
/// hands over 256 KiB at a time, which a default pipe takes in four
/// blocking pieces (1 GiB of describe into `| cat`: 9,900 voluntary context
/// switches, 3,900 with the pipe widened).
fn widen_pipe(fd: &impl std::os::fd::AsRawFd) {
    #[cfg(target_os = "linux")]
    for size in [1 << 20, 1 << 19, 1 << 18] {
        // SAFETY: `fcntl(F_SETPIPE_SZ)` on a descriptor we hold open only
        // resizes the kernel's buffer; on anything else it fails, harmlessly.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, size) } >= 0 {
            return;
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

/// `r` decoded by its byte order mark, if it has one (see [`open`]).
///
/// UTF-16 is transcoded 256 KiB at a time (the crate's default, 8 KiB, made
/// each read a chunk of its own: 50 MB of UTF-16 describe output took 31,000
/// hand-overs between threads). Plain text never comes here
/// ([`Encoding::of`]), so a run over many small files allocates no such
/// buffer per file.
fn by_bom<R: Read>(r: R) -> encoding_rs_io::DecodeReaderBytes<R, Vec<u8>> {
    const TRANSCODE: usize = 256 << 10;
    let mut b = encoding_rs_io::DecodeReaderBytesBuilder::new();
    b.bom_sniffing(true).utf8_passthru(true).strip_bom(true);
    match b.build_with_buffer(r, vec![0; TRANSCODE]) {
        Ok(d) => d,
        // (Only a buffer under 4 bytes is refused.)
        Err(_) => unreachable!("a 256 KiB transcoding buffer is refused"),
    }
}

/// The OS error without Rust's "(os error N)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn run_scan(args: &ScanArgs) -> Result<i32, AppError> {
    let a = &args.common;
    let st = settings(a)?;
    if let Some(addr) = &a.listen {
        // Fail before reading anything if the address is unusable.
        crate::server::check_addr(addr).map_err(AppError::Usage)?;
    }
    let interval = parse_duration(&a.metrics_interval).ok_or_else(|| {
        AppError::Usage(format!("--metrics-interval {}: not a duration (e.g. 15s, 500ms, 1m)", a.metrics_interval))
    })?;
    let want_metrics = a.listen.is_some() || a.metrics_file.is_some();
    let metrics = want_metrics.then(|| Arc::new(Metrics::new(&st.kb, &st.metrics)));
    let server = match &a.listen {
        Some(addr) => {
            let m = metrics.clone().ok_or_else(|| AppError::Io("metrics".into()))?;
            let s = crate::server::Server::start(addr, m).map_err(AppError::Usage)?;
            eprintln!("exitscan: serving /metrics and /healthz on http://{}", s.addr);
            Some(s)
        }
        None => None,
    };

    let stdout = io::stdout();
    widen_pipe(&stdout);
    let writer = RecordWriter::new(st.output, stdout.lock());
    let mut pipe = Pipeline::new(st.kb.clone(), st.lang, Dedupe::new(st.dedupe_size), writer, metrics.clone());
    let files: Vec<PathBuf> = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    let mut had_error = false;
    let progress = crate::progress::Progress::new(
        !a.quiet,
        files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum(),
    );
    // Two stages on two threads: reading and scanning here, explaining,
    // deduplicating and writing on this thread.
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Vec<Msg>>(2);
    // Spent batches go back to be freed where they were allocated: freeing
    // another thread's allocations contends for its malloc arena.
    let (spent_tx, spent_rx) = mpsc::channel::<Vec<Msg>>();
    let wants_raw = st.output == OutputKind::Passthrough;
    std::thread::scope(|scope| {
        let (files, cfg, stop) = (&files, &st.scan, &stop);
        scope.spawn(move || produce(files, cfg, Batcher::new(tx, spent_rx, wants_raw), stop));
        let mut prev = ScanStats::default();
        loop {
            let mut batch = match rx.try_recv() {
                Ok(b) => b,
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {
                    // Caught up with the input (a slow pipe): show what we have.
                    pipe.flush_output();
                    match rx.recv() {
                        Ok(b) => b,
                        Err(_) => break,
                    }
                }
            };
            let mut spent = Vec::with_capacity(batch.len());
            for msg in batch.drain(..) {
                match msg {
                    Msg::Source(name) => pipe.set_source(name),
                    Msg::Item(Item::Record(mut r)) => {
                        pipe.record_in_place(&mut r);
                        // (The cause was allocated here: free it here.)
                        r.cause = None;
                        spent.push(Msg::Item(Item::Record(r)));
                    }
                    Msg::Item(item) => pipe.item(item),
                    Msg::Raw(bytes) => {
                        pipe.raw(&bytes);
                        spent.push(Msg::Raw(bytes));
                    }
                    Msg::Problem(p) => pipe.problem(p),
                    Msg::Dropped(why, n) => pipe.dropped(why, n),
                    Msg::Stats(now) => {
                        progress.update(now.bytes.saturating_sub(prev.bytes), pipe.writer.tally.records);
                        if let Some(m) = &metrics {
                            m.add_scan(&now, &prev);
                        }
                        prev = now;
                    }
                    Msg::Error(e) => {
                        eprintln!("exitscan: {e}");
                        had_error = true;
                    }
                }
            }
            // (Once the scanner is done, nobody frees them: drop them here.)
            let _ = spent_tx.send(spent);
            if pipe.stopped() || crate::server::shutdown_requested() {
                stop.store(true, Ordering::Relaxed);
            }
        }
    });
    progress.done();
    let found_count = pipe.writer.tally.records;
    let found = found_count > 0;
    match pipe.write_error.take() {
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Some(e) => {
            eprintln!("exitscan: stdout: {}", io_reason(&e));
            had_error = true;
        }
        None => {
            if let Err(e) = pipe.finish() {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("exitscan: stdout: {}", io_reason(&e));
                    had_error = true;
                }
            }
        }
    }
    drop(pipe);
    if let (Some(m), Some(path)) = (&metrics, &a.metrics_file) {
        if let Err(e) = m.write_textfile(path) {
            eprintln!("exitscan: {}: {}", path.display(), io_reason(&e));
            had_error = true;
        }
    }
    if let Some(server) = server {
        if !crate::server::shutdown_requested() {
            eprintln!("exitscan: scan done ({} terminations); serving until SIGTERM or SIGINT", found_count);
        }
        server.serve_until_signal(metrics.as_ref(), a.metrics_file.as_deref(), interval);
    }
    Ok(if had_error {
        2
    } else if found {
        0
    } else {
        1
    })
}

/// What the scanning thread hands to the writing thread, in order.
enum Msg {
    Source(Arc<str>),
    Item(Item),
    Raw(Vec<u8>),
    Problem(Problem),
    Dropped(Dropped, u64),
    /// Bytes and lines read so far, over all sources.
    Stats(ScanStats),
    Error(String),
}

/// Messages per batch: enough to make the hand-off cheap, few enough that
/// records in flight stay a few hundred kilobytes. (256 gave the same speed
/// on describe streams, a record every 3 KB, with peak RSS up to 16.2 MiB.)
const BATCH: usize = 128;

/// Collects scanner output into batches for the writing thread.
struct Batcher {
    tx: mpsc::SyncSender<Vec<Msg>>,
    /// Batches the writing thread is done with, to be freed here.
    spent: mpsc::Receiver<Vec<Msg>>,
    batch: Vec<Msg>,
    raw_bytes: usize,
    wants_raw: bool,
}

impl Batcher {
    fn new(tx: mpsc::SyncSender<Vec<Msg>>, spent: mpsc::Receiver<Vec<Msg>>, wants_raw: bool) -> Batcher {
        Batcher { tx, spent, batch: Vec::with_capacity(BATCH), raw_bytes: 0, wants_raw }
    }

    fn push(&mut self, m: Msg) {
        self.batch.push(m);
        if self.batch.len() >= BATCH || self.raw_bytes >= (1 << 20) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            // Free what came back; an emptied batch is the next one.
            let mut fresh = None;
            while let Ok(mut b) = self.spent.try_recv() {
                b.clear();
                fresh = Some(b);
            }
            let fresh = fresh.unwrap_or_else(|| Vec::with_capacity(BATCH));
            let b = std::mem::replace(&mut self.batch, fresh);
            self.raw_bytes = 0;
            // The receiver only goes away when it stopped listening.
            let _ = self.tx.send(b);
        }
    }
}

impl ScanOutput for Batcher {
    fn item(&mut self, item: Item) {
        self.push(Msg::Item(item));
    }
    fn problem(&mut self, p: Problem) {
        self.push(Msg::Problem(p));
    }
    fn dropped(&mut self, why: Dropped, bytes: u64) {
        self.push(Msg::Dropped(why, bytes));
    }
    fn raw(&mut self, bytes: &[u8]) {
        self.raw_bytes += bytes.len();
        self.push(Msg::Raw(bytes.to_vec()));
    }
    fn wants_raw(&self) -> bool {
        self.wants_raw
    }
}

/// The scanning thread: reads every source in turn.
fn produce(files: &[PathBuf], cfg: &ScanConfig, mut out: Batcher, stop: &AtomicBool) {
    let mut total = ScanStats::default();
    // The read buffer small files share (see `read_inline`).
    let mut spare: Option<Vec<u8>> = None;
    for path in files {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Source { mut reader, file_len } = match open(path) {
            Ok(s) => s,
            Err(e) => {
                out.push(Msg::Error(e));
                continue;
            }
        };
        let name: Arc<str> =
            if path.as_os_str() == "-" { Arc::from("-") } else { Arc::from(path.display().to_string()) };
        out.push(Msg::Source(name.clone()));
        let mut scanner = Scanner::new(name, cfg.clone());
        let base = total;
        let want = CHUNK_HEADROOM + cfg.read_size.max(1);
        if file_len.is_some_and(|len| len < want as u64) {
            // A file smaller than a read gains nothing from reading ahead:
            // a thread, a fresh buffer and hand-overs each cost more than
            // scanning it (17,576 files of 1.6 KB took 6 CPU-seconds, now 0.6).
            // Read here, into a buffer kept from file to file.
            read_inline(&mut *reader, path, &mut scanner, &mut out, &mut spare, want, stop);
            scanner.finish(&mut out);
            total = add(&base, &scanner.stats);
            out.push(Msg::Stats(total));
            continue;
        }
        // A third thread reads ahead into buffers the scanner takes over in place.
        // It also runs the prefilter over the tail of each chunk while the
        // scanner works (when the scanner mostly skips by prefilter).
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize, Option<Hints>)>>(1);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
        let wants_hints = AtomicU8::new(HintKind::Prefilter as u8);
        // Eighths of each chunk the reader searches: one more when it finds
        // the scanner still busy with the chunk before, one less when the
        // scanner finds nothing to take (the two threads share two cores).
        let share = AtomicUsize::new(HINT_SHARE_START);
        std::thread::scope(|s| {
            let (wants_hints, share) = (&wants_hints, &share);
            s.spawn(move || loop {
                let mut b = empty_rx.try_recv().unwrap_or_default();
                if b.len() < want {
                    // Zeroed fresh from the allocator (pages the OS gives
                    // zeroed are not written): the headroom in front of the
                    // data is mostly never touched, and costs no RSS.
                    b = vec![0; want];
                }
                let r = read_retrying(&mut *reader, &mut b[CHUNK_HEADROOM..want]);
                let last = !matches!(r, Ok(n) if n > 0);
                let msg = r.map(|n| {
                    let kind = HintKind::from_u8(wants_hints.load(Ordering::Relaxed));
                    let hints = Hints::for_chunk(&b, CHUNK_HEADROOM, n, share.load(Ordering::Relaxed), kind);
                    (b, n, hints)
                });
                let sent = match full_tx.try_send(msg) {
                    Ok(()) => true,
                    Err(mpsc::TrySendError::Full(msg)) => {
                        let _ = share.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                            (e < HINT_SHARE_MAX).then_some(e + 1)
                        });
                        full_tx.send(msg).is_ok()
                    }
                    Err(mpsc::TrySendError::Disconnected(_)) => false,
                };
                if !sent || last {
                    return;
                }
            });
            let next = || match full_rx.try_recv() {
                Ok(r) => Some(r),
                Err(mpsc::TryRecvError::Empty) => {
                    let _ = share.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| e.checked_sub(1));
                    full_rx.recv().ok()
                }
                Err(mpsc::TryRecvError::Disconnected) => None,
            };
            while let Some(r) = next() {
                match r {
                    Ok((_, 0, _)) => break,
                    Ok((b, n, hints)) => {
                        scanner.feed_chunk(b, n, hints, &mut out, |spare| {
                            let _ = empty_tx.send(spare);
                        });
                        wants_hints.store(scanner.wants_hints() as u8, Ordering::Relaxed);
                        total = add(&base, &scanner.stats);
                        out.push(Msg::Stats(total));
                        out.flush();
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                    }
                    Err(e) => {
                        out.push(Msg::Error(format!("{}: {}", path.display(), io_reason(&e))));
                        break;
                    }
                }
            }
            // Unblock the reader if we stopped early.
            drop(full_rx);
        });
        scanner.finish(&mut out);
        total = add(&base, &scanner.stats);
        out.push(Msg::Stats(total));
        out.flush();
    }
    out.flush();
}

/// Reads `reader` to its end on the scanning thread, in reads of up to
/// `want - CHUNK_HEADROOM` bytes into `spare` (taken, and given back),
/// feeding `scanner`. Batches are not flushed per file: a run over many
/// small files hands them over when they fill.
fn read_inline(
    reader: &mut dyn Read,
    path: &Path,
    scanner: &mut Scanner,
    out: &mut Batcher,
    spare: &mut Option<Vec<u8>>,
    want: usize,
    stop: &AtomicBool,
) {
    loop {
        let mut b = spare.take().filter(|b| b.len() >= want).unwrap_or_else(|| vec![0; want]);
        let r = read_retrying(reader, &mut b[CHUNK_HEADROOM..want]);
        match r {
            Ok(0) => {
                *spare = Some(b);
                return;
            }
            Ok(n) => scanner.feed_chunk(b, n, None, out, |s| *spare = Some(s)),
            Err(e) => {
                *spare = Some(b);
                out.push(Msg::Error(format!("{}: {}", path.display(), io_reason(&e))));
                return;
            }
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
    }
}

fn add(a: &ScanStats, b: &ScanStats) -> ScanStats {
    let mut s = *a;
    s.bytes += b.bytes;
    for (x, y) in s.lines.iter_mut().zip(b.lines) {
        *x += y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s"), Some(std::time::Duration::from_secs(15)));
        assert_eq!(parse_duration("500ms"), Some(std::time::Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(std::time::Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Some(std::time::Duration::from_secs(3)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("fast"), None);
    }
}
