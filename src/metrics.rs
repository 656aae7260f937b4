//! Every metric exitscan exports, declared in one place on its own registry
//! (DESIGN.md §3).
//!
//! Labels stay bounded whatever the input: `class` has 7 values, `code` at
//! most 256 numbers plus a named set of NTSTATUS values, `signal` the signal
//! names, `reason` the knowledge base's reasons or `other`. Free text never
//! becomes a label. The opt-in `namespace`, `pod`, `container` labels are
//! capped by `--max-series`; past the cap new label values are folded into
//! `other` and counted in `exitscan_series_folded_total`.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::frame::Framing;
use crate::kb::KnowledgeBase;
use crate::record::Record;
use crate::scan::{Dropped, ScanStats};

/// Extra labels an operator may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExtraLabel {
    Namespace,
    Pod,
    Container,
}

impl ExtraLabel {
    pub fn parse(s: &str) -> Option<ExtraLabel> {
        match s.trim() {
            "namespace" => Some(ExtraLabel::Namespace),
            "pod" => Some(ExtraLabel::Pod),
            "container" => Some(ExtraLabel::Container),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ExtraLabel::Namespace => "namespace",
            ExtraLabel::Pod => "pod",
            ExtraLabel::Container => "container",
        }
    }
}

/// Metric settings.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub extra_labels: Vec<ExtraLabel>,
    pub max_series: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { extra_labels: Vec::new(), max_series: 10_000 }
    }
}

pub struct Metrics {
    registry: Registry,
    exits: IntCounterVec,
    lines: IntCounterVec,
    bytes: IntCounter,
    parse_errors: IntCounterVec,
    dropped: IntCounterVec,
    repeats: IntCounter,
    missed: IntCounter,
    folded: IntCounter,
    source_errors: IntCounterVec,
    extra: Vec<ExtraLabel>,
    max_series: usize,
    series: Mutex<HashSet<Vec<String>>>,
    reasons: BTreeSet<String>,
    ntstatus: std::collections::BTreeMap<i64, String>,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    if let Err(e) = r.register(Box::new(c.clone())) {
        unreachable!("register {name}: {e}");
    }
    c
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    if let Err(e) = r.register(Box::new(c.clone())) {
        unreachable!("register {name}: {e}");
    }
    c
}

impl Metrics {
    pub fn new(kb: &KnowledgeBase, cfg: &MetricsConfig) -> Metrics {
        let registry = Registry::new();
        let mut extra = cfg.extra_labels.clone();
        extra.sort();
        extra.dedup();
        let mut labels = vec!["class", "code", "signal", "reason"];
        labels.extend(extra.iter().map(|e| e.name()));
        let exits = counter_vec(
            &registry,
            "exitscan_container_exits_total",
            "Container terminations found, by exit-code class, normalized code, signal and reason; repeats of the same termination are not counted.",
            &labels,
        );
        let lines = counter_vec(
            &registry,
            "exitscan_lines_total",
            "Input lines read, by framing (text, cri, docker-json, journal).",
            &["format"],
        );
        let bytes = counter(&registry, "exitscan_bytes_total", "Input bytes read.");
        let parse_errors = counter_vec(
            &registry,
            "exitscan_parse_errors_total",
            "Input that looked like a termination but could not be read, by format.",
            &["format"],
        );
        let dropped =
            counter_vec(&registry, "exitscan_dropped_total", "Input dropped to keep memory bounded, by why.", &["why"]);
        let repeats = counter(
            &registry,
            "exitscan_repeats_total",
            "Terminations seen again (the same fingerprint) and not counted twice.",
        );
        let missed = counter(
            &registry,
            "exitscan_missed_terminations_total",
            "Restarts that pod status reports but no termination was seen for (watch --poll).",
        );
        let folded = counter(
            &registry,
            "exitscan_series_folded_total",
            "Terminations counted under namespace/pod/container=\"other\" because --max-series was reached.",
        );
        let source_errors = counter_vec(
            &registry,
            "exitscan_source_errors_total",
            "Sources that could not be read (watch: unreadable or vanished files, commands that failed), by kind.",
            &["kind"],
        );
        let build = IntGaugeVec::new(Opts::new("exitscan_build_info", "exitscan build information."), &["version"])
            .unwrap_or_else(|e| unreachable!("build_info: {e}"));
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        if let Err(e) = registry.register(Box::new(build)) {
            unreachable!("register build_info: {e}");
        }
        for f in Framing::ALL {
            lines.with_label_values(&[f.as_str()]);
        }
        for d in Dropped::ALL {
            dropped.with_label_values(&[d.as_str()]);
        }
        Metrics {
            registry,
            exits,
            lines,
            bytes,
            parse_errors,
            dropped,
            repeats,
            missed,
            folded,
            source_errors,
            extra,
            max_series: cfg.max_series,
            series: Mutex::new(HashSet::new()),
            reasons: kb.reasons.keys().cloned().collect(),
            ntstatus: kb.ntstatus.iter().map(|(v, e)| (*v, e.name.clone())).collect(),
        }
    }

    /// The bounded `code` label.
    pub fn code_label(&self, r: &Record) -> String {
        match r.normalized() {
            None => String::new(),
            Some(n) if n.windows => self.ntstatus.get(&n.code).cloned().unwrap_or_else(|| "NTSTATUS_OTHER".to_string()),
            Some(n) => n.code.to_string(),
        }
    }

    /// The bounded `reason` label.
    pub fn reason_label(&self, r: &Record) -> String {
        match r.reason.as_deref() {
            None => String::new(),
            Some("OOM Killed") => "OOMKilled".to_string(),
            Some(x) if self.reasons.contains(x) => x.to_string(),
            Some(_) => "other".to_string(),
        }
    }

    /// Counts a final record (repeats only in `exitscan_repeats_total`).
    pub fn observe(&self, r: &Record) {
        if r.repeat {
            self.repeats.inc();
            return;
        }
        let class = r.class();
        let mut values: Vec<String> = vec![
            class.as_str().to_string(),
            self.code_label(r),
            r.signal().map(|s| s.name().to_string()).unwrap_or_default(),
            self.reason_label(r),
        ];
        if !self.extra.is_empty() {
            let mut extra: Vec<String> = self
                .extra
                .iter()
                .map(|e| {
                    match e {
                        ExtraLabel::Namespace => r.namespace.as_deref(),
                        ExtraLabel::Pod => r.pod.as_deref(),
                        ExtraLabel::Container => r.container.as_deref(),
                    }
                    .unwrap_or_default()
                    .to_string()
                })
                .collect();
            let mut key = values.clone();
            key.extend(extra.iter().cloned());
            let fold = match self.series.lock() {
                Ok(mut s) => {
                    if s.contains(&key) {
                        false
                    } else if s.len() < self.max_series {
                        s.insert(key);
                        false
                    } else {
                        true
                    }
                }
                Err(_) => true,
            };
            if fold {
                self.folded.inc();
                extra = vec!["other".to_string(); extra.len()];
            }
            values.extend(extra);
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        self.exits.with_label_values(&refs).inc();
    }

    pub fn parse_error(&self, format: &str) {
        self.parse_errors.with_label_values(&[format]).inc();
    }

    pub fn dropped(&self, why: Dropped) {
        self.dropped.with_label_values(&[why.as_str()]).inc();
    }

    pub fn source_error(&self, kind: &str) {
        self.source_errors.with_label_values(&[kind]).inc();
    }

    pub fn missed(&self, n: u64) {
        self.missed.inc_by(n);
    }

    /// Adds what a scanner read since `prev`.
    pub fn add_scan(&self, now: &ScanStats, prev: &ScanStats) {
        self.bytes.inc_by(now.bytes - prev.bytes);
        for (i, f) in Framing::ALL.iter().enumerate() {
            let d = now.lines[i] - prev.lines[i];
            if d > 0 {
                self.lines.with_label_values(&[f.as_str()]).inc_by(d);
            }
        }
    }

    /// The text exposition format (0.0.4).
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            out.extend_from_slice(format!("# encoding error: {e}\n").as_bytes());
        }
        out
    }

    /// Writes the node_exporter textfile atomically (temp file + rename).
    pub fn write_textfile(&self, path: &std::path::Path) -> std::io::Result<()> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "exitscan.prom".to_string());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let body = self.render();
        let res = (|| {
            use std::io::Write;
            // The file is written beside the target and renamed over it: say so
            // when that is what fails.
            let mut f = std::fs::File::create(&tmp).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {} ({})", dir.display(), crate::app::io_reason(&e)),
                )
            })?;
            f.write_all(&body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Format;

    fn rec(code: i64, container: &str) -> Record {
        let mut r = Record::new(Format::Describe);
        r.raw_exit_code = Some(code);
        r.container = Some(container.into());
        r.reason = Some("Whatever the app said".into());
        r
    }

    #[test]
    fn labels_are_bounded() {
        let kb = KnowledgeBase::builtin().unwrap();
        let m = Metrics::new(&kb, &MetricsConfig { extra_labels: vec![ExtraLabel::Container], max_series: 5 });
        for i in 0..100 {
            m.observe(&rec(137, &format!("c{i}")));
        }
        let text = String::from_utf8(m.render()).unwrap();
        let series = text.lines().filter(|l| l.starts_with("exitscan_container_exits_total{")).count();
        assert_eq!(series, 6, "{text}"); // 5 real + the `other` fold
        assert!(text.contains(r#"container="other""#));
        assert!(text.contains(r#"reason="other""#));
        assert!(text.contains("exitscan_series_folded_total 95"));
        assert!(text.contains(r#"exitscan_build_info{version=""#));
    }

    #[test]
    fn windows_codes_fold_to_names() {
        let kb = KnowledgeBase::builtin().unwrap();
        let m = Metrics::new(&kb, &MetricsConfig::default());
        assert_eq!(m.code_label(&rec(3221225477, "a")), "STATUS_ACCESS_VIOLATION");
        assert_eq!(m.code_label(&rec(3221225999, "a")), "NTSTATUS_OTHER");
        assert_eq!(m.code_label(&rec(-1, "a")), "255");
    }
}
