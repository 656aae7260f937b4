//! Followed files: discovery, identity, rotation, truncation.
//!
//! A file is known by (device, inode), not by its name. Each sync:
//! - names are (re)resolved from the watched paths, directories and globs; a
//!   name that now points at another inode means the old file was rotated
//!   away (renamed, or deleted and re-created): the old one is drained through
//!   its still-open descriptor, then the new one is read from its start;
//! - a file smaller than the offset reached was truncated (copy-truncate):
//!   reading starts again at 0, in a new generation;
//! - growth is read through the open descriptor and fed to the file's scanner.
//!
//! Namespace, pod and container come from the kubelet's path layout
//! (`/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log`,
//! `/var/log/containers/<pod>_<ns>_<container>-<id>.log`) or docker's
//! (`/var/lib/docker/containers/<id>/<id>-json.log`) when a line does not say.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use globset::{Glob, GlobMatcher};

use crate::pipeline::SourceContext;
use crate::scan::{ScanConfig, ScanOutput, ScanStats, Scanner};

use super::state::FileState;

/// (device, inode)
pub type FileId = (u64, u64);

/// How long to wait before giving up on more data.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A rotated-away or deleted file is drained for this long after its last growth.
    pub drain_grace: Duration,
    /// A block left open at the end of a file is reported after this much quiet.
    pub block_idle: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { drain_grace: Duration::from_secs(3), block_idle: Duration::from_secs(1) }
    }
}
/// Bytes read from a file per call.
const READ_CHUNK: usize = 256 << 10;

/// What to follow, as given on the command line.
#[derive(Debug, Clone)]
enum Root {
    File(PathBuf),
    /// A directory, followed recursively.
    Dir(PathBuf),
    /// A glob: walk from `base`, keep paths the matcher accepts.
    Glob {
        base: PathBuf,
        matcher: GlobMatcher,
    },
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Rotated copies that were compressed hold nothing new.
fn skip_name(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.starts_with('.')
        || [".gz", ".zip", ".bz2", ".xz", ".zst", ".tmp", ".swp"].iter().any(|ext| name.ends_with(ext))
}

/// Parses the watch arguments.
pub fn roots(args: &[String]) -> Result<Vec<RootSpec>, String> {
    let mut out = Vec::new();
    for a in args {
        if is_glob(a) {
            let glob = Glob::new(a).map_err(|e| format!("{a}: not a valid glob ({e})"))?;
            // The longest leading part without glob characters is where walking starts.
            let mut base = PathBuf::new();
            for comp in Path::new(a).components() {
                if is_glob(&comp.as_os_str().to_string_lossy()) {
                    break;
                }
                base.push(comp);
            }
            if base.as_os_str().is_empty() {
                base = PathBuf::from(".");
            }
            out.push(RootSpec(Root::Glob { base, matcher: glob.compile_matcher() }));
        } else {
            let p = PathBuf::from(a);
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => out.push(RootSpec(Root::Dir(p))),
                // A file, or a path that may appear later.
                _ => out.push(RootSpec(Root::File(p))),
            }
        }
    }
    Ok(out)
}

/// One parsed watch argument.
#[derive(Debug, Clone)]
pub struct RootSpec(Root);

impl RootSpec {
    /// Directories to watch with inotify (existing ones).
    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        match &self.0 {
            Root::File(p) => p
                .parent()
                .map(|d| if d.as_os_str().is_empty() { PathBuf::from(".") } else { d.to_path_buf() })
                .into_iter()
                .collect(),
            Root::Dir(d) => vec![d.clone()],
            Root::Glob { base, .. } => vec![base.clone()],
        }
    }

    fn expand(&self, out: &mut Vec<PathBuf>) {
        match &self.0 {
            Root::File(p) => {
                if p.is_file() {
                    out.push(p.clone());
                }
            }
            Root::Dir(d) => walk(d, &|p| !skip_name(p), out),
            Root::Glob { base, matcher } => walk(base, &|p| matcher.is_match(p) && !skip_name(p), out),
        }
    }
}

fn walk(base: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    for e in walkdir::WalkDir::new(base).follow_links(true).max_depth(16).into_iter().flatten() {
        if e.file_type().is_file() && keep(e.path()) {
            out.push(e.path().to_path_buf());
        }
    }
}

/// Namespace, pod, container (and id) from well-known log path layouts.
pub fn path_context(p: &Path) -> SourceContext {
    let parts: Vec<String> = p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let mut c = SourceContext::default();
    if let Some(i) = parts.iter().position(|s| s == "pods") {
        // /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log
        if let (Some(dir), Some(container)) = (parts.get(i + 1), parts.get(i + 2)) {
            let f: Vec<&str> = dir.split('_').collect();
            if f.len() == 3 && parts.len() == i + 4 {
                c.namespace = Some(f[0].into());
                c.pod = Some(f[1].into());
                c.container = Some(container.as_str().into());
                return c;
            }
        }
    }
    if parts.iter().any(|s| s == "containers") {
        let name = parts.last().cloned().unwrap_or_default();
        // /var/log/containers/<pod>_<ns>_<container>-<64 hex>.log
        if let Some(stem) = name.strip_suffix(".log") {
            let f: Vec<&str> = stem.split('_').collect();
            if f.len() == 3 {
                if let Some((container, id)) = f[2].rsplit_once('-') {
                    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                        c.pod = Some(f[0].into());
                        c.namespace = Some(f[1].into());
                        c.container = Some(container.into());
                        c.container_id = Some(id.into());
                        return c;
                    }
                }
            }
            // /var/lib/docker/containers/<id>/<id>-json.log
            if let Some(id) = stem.strip_suffix("-json") {
                if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    c.container_id = Some(id.into());
                }
            }
        }
    }
    c
}

struct Tracked {
    path: PathBuf,
    file: File,
    id: FileId,
    generation: u64,
    /// Bytes fed to the scanner.
    offset: u64,
    scanner: Scanner,
    ctx: SourceContext,
    /// The name points elsewhere now (or the file was deleted): drain, then drop.
    draining: Option<Instant>,
    last_growth: Instant,
    /// Length and hash of the file's first bytes: a file rewritten from the
    /// start (truncated, then grown past our offset) no longer matches.
    head: Option<(usize, u64)>,
}

/// Bytes of a file's start that identify its content.
const HEAD: usize = 256;

fn head_of(file: &File, size: u64) -> Option<(usize, u64)> {
    let len = HEAD.min(size as usize);
    if len == 0 {
        return None;
    }
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, 0).ok()?;
    Some((len, crate::dedupe::stable_hash(&buf)))
}

/// Files being followed.
pub struct FileSet {
    roots: Vec<RootSpec>,
    cfg: ScanConfig,
    files: HashMap<FileId, Tracked>,
    /// Name → the identity last seen there.
    names: HashMap<PathBuf, FileId>,
    /// Where to resume known files (from a checkpoint).
    resume: HashMap<FileId, FileState>,
    /// Files found at the first discovery start at their end.
    start_at_end: bool,
    reported: HashSet<PathBuf>,
    /// Open/read failures, for the caller to count.
    pub errors: Vec<(&'static str, String)>,
    /// Bytes and lines read from all files so far.
    pub stats: ScanStats,
    pub timing: Timing,
}

fn ctx_with_origin(mut ctx: SourceContext, id: FileId, generation: u64) -> SourceContext {
    ctx.origin = Some(crate::dedupe::stable_hash(&(id, generation)));
    ctx
}

impl FileSet {
    pub fn new(roots: Vec<RootSpec>, cfg: ScanConfig, resume: Vec<FileState>, start_at_end: bool) -> FileSet {
        FileSet {
            roots,
            cfg,
            files: HashMap::new(),
            names: HashMap::new(),
            resume: resume.into_iter().map(|s| ((s.dev, s.ino), s)).collect(),
            start_at_end,
            reported: HashSet::new(),
            errors: Vec::new(),
            stats: ScanStats::default(),
            timing: Timing::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn watch_dirs(&self) -> Vec<PathBuf> {
        self.roots.iter().flat_map(RootSpec::watch_dirs).collect()
    }

    fn report(&mut self, kind: &'static str, path: &Path, msg: String) {
        if self.reported.insert(path.to_path_buf()) {
            eprintln!("exitscan: {msg}");
        }
        self.errors.push((kind, msg));
    }

    /// Resolves names to files: picks up new files, notices rotation.
    pub fn discover(&mut self) {
        let mut paths = Vec::new();
        for r in &self.roots {
            r.expand(&mut paths);
        }
        paths.sort();
        paths.dedup();
        let first = std::mem::replace(&mut self.start_at_end, false);
        let mut seen_names = HashSet::new();
        for p in paths {
            seen_names.insert(p.clone());
            let meta = match std::fs::metadata(&p) {
                Ok(m) => m,
                Err(_) => continue, // vanished between listing and stat
            };
            let id = (meta.dev(), meta.ino());
            if let Some(prev) = self.names.get(&p).copied() {
                if prev == id {
                    continue;
                }
                // The name moved on to a new file: the old one was rotated away.
                if let Some(t) = self.files.get_mut(&prev) {
                    t.draining.get_or_insert_with(Instant::now);
                }
            }
            self.names.insert(p.clone(), id);
            if let Some(t) = self.files.get_mut(&id) {
                // A known file under a new name (rotated by rename): keep following it.
                if t.draining.is_none() {
                    t.path = p.clone();
                }
                continue;
            }
            let file = match File::open(&p) {
                Ok(f) => f,
                Err(e) => {
                    let msg = format!("{}: {}", p.display(), crate::app::io_reason(&e));
                    self.report("open", &p, msg);
                    continue;
                }
            };
            self.reported.remove(&p);
            let (offset, line, generation, head) = match self.resume.remove(&id) {
                Some(s)
                    if s.offset <= meta.len()
                        && s.head.is_none_or(|(len, h)| head_of(&file, len as u64) == Some((len, h))) =>
                {
                    (s.offset, s.line, s.generation, s.head)
                }
                // Shorter than where we stopped, or rewritten: truncated while we were away.
                Some(s) => (0, 1, s.generation + 1, None),
                None if first => (meta.len(), 0, 0, None),
                None => (0, 1, 0, None),
            };
            let mut scanner = Scanner::new(p.display().to_string(), self.cfg.clone());
            // Started at the end of an existing file: line numbers are unknown.
            scanner.resume_at(offset, if line == 0 { 1 } else { line });
            let ctx = ctx_with_origin(path_context(&p), id, generation);
            self.files.insert(
                id,
                Tracked {
                    path: p,
                    file,
                    id,
                    generation,
                    offset,
                    scanner,
                    ctx,
                    draining: None,
                    last_growth: Instant::now(),
                    head,
                },
            );
        }
        // Names that disappeared (deleted, renamed to something not matched).
        let gone: Vec<PathBuf> = self.names.keys().filter(|n| !seen_names.contains(*n)).cloned().collect();
        for n in gone {
            if let Some(id) = self.names.remove(&n) {
                if let Some(t) = self.files.get_mut(&id) {
                    if t.path == n {
                        t.draining.get_or_insert_with(Instant::now);
                    }
                }
            }
        }
    }

    /// Reads what every file gained and feeds it to the pipeline; drops
    /// drained files. `set_source` is called before each file's records.
    pub fn read_all<O: ScanOutput>(
        &mut self,
        out: &mut O,
        set_source: &mut dyn FnMut(&mut O, &SourceContext, &str),
    ) -> u64 {
        let mut total = 0u64;
        let mut done = Vec::new();
        let mut buf = vec![0u8; READ_CHUNK];
        let ids: Vec<FileId> = self.files.keys().copied().collect();
        for id in ids {
            let Some(t) = self.files.get_mut(&id) else { continue };
            let size = match t.file.metadata() {
                Ok(m) => m.len(),
                Err(e) => {
                    let (p, msg) = (t.path.clone(), format!("{}: {}", t.path.display(), crate::app::io_reason(&e)));
                    done.push(id);
                    self.report("read", &p, msg);
                    continue;
                }
            };
            // Truncated (copy-truncate), possibly grown again since: the start
            // of the file is not what it was.
            let rewritten = size < t.offset
                || t.head.is_some_and(|(len, h)| size >= len as u64 && head_of(&t.file, len as u64) != Some((len, h)));
            if rewritten {
                // Start over in a new generation.
                t.generation += 1;
                t.offset = 0;
                t.scanner = Scanner::new(t.path.display().to_string(), self.cfg.clone());
                t.ctx = ctx_with_origin(path_context(&t.path), t.id, t.generation);
                t.head = None;
            }
            if size > t.offset {
                set_source(out, &t.ctx, &t.path.display().to_string());
                while t.offset < size {
                    let want = READ_CHUNK.min((size - t.offset) as usize);
                    match t.file.read_at(&mut buf[..want], t.offset) {
                        Ok(0) => break,
                        Ok(n) => {
                            let before = t.scanner.stats;
                            t.scanner.feed(&buf[..n], out);
                            super::add_stats(&mut self.stats, &t.scanner.stats, &before);
                            t.offset += n as u64;
                            total += n as u64;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            let (p, msg) =
                                (t.path.clone(), format!("{}: {}", t.path.display(), crate::app::io_reason(&e)));
                            done.push(id);
                            self.report("read", &p, msg);
                            break;
                        }
                    }
                }
                if let Some(t) = self.files.get_mut(&id) {
                    t.last_growth = Instant::now();
                    if t.head.is_none_or(|(len, _)| len < HEAD && t.offset > len as u64) {
                        t.head = head_of(&t.file, t.offset);
                    }
                }
            } else if let Some(since) = t.draining {
                let grace = self.timing.drain_grace;
                if since.elapsed() >= grace && t.last_growth.elapsed() >= grace {
                    // Rotated away and quiet: what is pending is all there will be.
                    set_source(out, &t.ctx, &t.path.display().to_string());
                    t.scanner.finish(out);
                    done.push(id);
                }
            } else if t.scanner.has_pending() {
                if t.last_growth.elapsed() >= self.timing.block_idle {
                    // A describe excerpt or partial line at the end of a file
                    // that stopped growing: report it rather than wait forever.
                    set_source(out, &t.ctx, &t.path.display().to_string());
                    t.scanner.flush_pending(out);
                }
            } else if t.scanner.is_idle() {
                t.scanner.trim_memory();
            }
        }
        for id in done {
            self.files.remove(&id);
        }
        total
    }

    /// Where every file stands (for the checkpoint).
    pub fn states(&self) -> Vec<FileState> {
        let mut v: Vec<FileState> = self
            .files
            .values()
            .map(|t| {
                let (offset, line) = t.scanner.resume_offset();
                FileState {
                    path: t.path.display().to_string(),
                    dev: t.id.0,
                    ino: t.id.1,
                    generation: t.generation,
                    offset,
                    line,
                    head: t.head,
                }
            })
            .collect();
        // Files of the checkpoint not seen (yet) this run keep their place.
        v.extend(self.resume.values().cloned());
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_paths() {
        let c = path_context(Path::new("/var/log/pods/shop_web-7f9c_9c1e-uid/app/0.log"));
        assert_eq!(
            (c.namespace.as_deref(), c.pod.as_deref(), c.container.as_deref()),
            (Some("shop"), Some("web-7f9c"), Some("app"))
        );
        let id = "a".repeat(64);
        let c = path_context(Path::new(&format!("/var/log/containers/web-7f9c_shop_app-{id}.log")));
        assert_eq!(
            (c.namespace.as_deref(), c.pod.as_deref(), c.container.as_deref()),
            (Some("shop"), Some("web-7f9c"), Some("app"))
        );
        assert_eq!(c.container_id.as_deref(), Some(id.as_str()));
        let c = path_context(Path::new(&format!("/var/lib/docker/containers/{id}/{id}-json.log")));
        assert_eq!(c.container_id.as_deref(), Some(id.as_str()));
        assert_eq!(path_context(Path::new("/var/log/kern.log")), SourceContext::default());
    }

    #[test]
    fn globs_and_names() {
        assert!(is_glob("/var/log/pods/**/*.log"));
        assert!(!is_glob("/var/log/kern.log"));
        assert!(skip_name(Path::new("/x/0.log.20240128-090511.gz")));
        assert!(!skip_name(Path::new("/x/0.log.20240128-090511")));
        let r = roots(&["/var/log/pods/**/*.log".to_string()]).unwrap();
        assert_eq!(r[0].watch_dirs(), vec![PathBuf::from("/var/log/pods")]);
    }
}
