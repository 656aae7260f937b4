//! The values that flow through the pipeline: one [`Record`] per termination
//! found, with the [`Format`] that found it and the [`State`] it reports.

use std::sync::Arc;

/// A record's text: up to 24 bytes are held inline (pod names, reasons,
/// times), so most fields cost no allocation.
pub use compact_str::CompactString as Str;

use crate::code::{ExitClass, Normalized, RawCode, Signal};
use crate::enrich::Cause;

/// Which parser found a record (the JSON `format` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Describe,
    Kubelet,
    Containerd,
    Crio,
    Docker,
    Systemd,
    Supervisord,
    PodJson,
    GetPods,
    Kernel,
    /// A controller or job framework reporting a container's exit
    /// (Argo, Spark, event exporters' `msg="container terminated"` lines).
    Orchestrator,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Describe,
        Format::Kubelet,
        Format::Containerd,
        Format::Crio,
        Format::Docker,
        Format::Systemd,
        Format::Supervisord,
        Format::PodJson,
        Format::GetPods,
        Format::Kernel,
        Format::Orchestrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Describe => "describe",
            Format::Kubelet => "kubelet",
            Format::Containerd => "containerd",
            Format::Crio => "crio",
            Format::Docker => "docker",
            Format::Systemd => "systemd",
            Format::Supervisord => "supervisord",
            Format::PodJson => "pod-json",
            Format::GetPods => "getpods",
            Format::Kernel => "kernel",
            Format::Orchestrator => "orchestrator",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// `terminated` (the current state) or `last_terminated` (the previous run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Terminated,
    LastTerminated,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Terminated => "terminated",
            State::LastTerminated => "last_terminated",
        }
    }
}

/// Facts a parser saw around a termination that the enrichment rules weigh
/// (DESIGN.md §4: "OOM only with evidence").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Hints {
    /// docker `"OOMKilled": true`, a docker/containerd `oom` event, a TaskOOM.
    pub oom_event: bool,
    /// `Liveness probe failed` events in the same describe output.
    pub liveness_failed: bool,
    /// The pod was evicted (pod-level `Reason: Evicted`).
    pub evicted: bool,
    /// The pod ran past its Job's deadline (pod-level `Reason: DeadlineExceeded`).
    pub deadline_exceeded: bool,
    /// A kernel OOM-kill line named this record's process or container.
    pub kernel_oom: bool,
    /// systemd's watchdog fired for this unit just before (`Watchdog timeout`).
    pub watchdog: bool,
    /// The unit's start timed out just before (`start operation timed out`).
    pub start_timeout: bool,
    /// The unit's stop timed out just before (`State 'stop-sigterm' timed out. Killing.`).
    pub stop_timeout: bool,
    /// The kubelet stopped this container with a grace period before it
    /// ended (`"Killing container with a grace period"`).
    pub grace_kill: bool,
    /// The time the line starts with is when the container ended (a Nomad
    /// event row), should the scanner take it off as the line's timestamp.
    pub ended_at_line_time: bool,
}

/// One container (or process) termination found in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub source: Arc<str>,
    /// 1-based line number of the line holding the exit code (or the status).
    pub line: u64,
    pub format: Format,
    pub namespace: Option<Str>,
    pub pod: Option<Str>,
    pub container: Option<Str>,
    pub container_id: Option<Str>,
    /// `Some(true)` for init containers, `Some(false)` for app and ephemeral ones.
    pub init: Option<bool>,
    pub state: Option<State>,
    /// The code as printed; `None` for reason-only and signal-only records.
    pub raw_exit_code: Option<i64>,
    /// A signal the input states (describe `Signal:`, systemd `status=9/KILL`).
    pub stated_signal: Option<Signal>,
    pub reason: Option<Str>,
    pub message: Option<Str>,
    pub restart_count: Option<u64>,
    /// RFC 3339, UTC.
    pub started_at: Option<Str>,
    pub finished_at: Option<Str>,
    /// The timestamp of the log line itself (CRI, docker-json, journald), used
    /// only for fingerprints.
    pub log_time: Option<Str>,
    /// A process id the line names (kernel OOM kills, conmon), for linking evidence.
    pub pid: Option<u64>,
    pub hints: Hints,
    pub repeat: bool,
    pub cause: Option<Cause>,
}

impl Record {
    /// The platform reported this exit as an OOM kill (docker's `OOMKilled`,
    /// ECS's `OutOfMemoryError`, Nomad's `OOM Killed`): reason `OOMKilled`,
    /// and evidence of it.
    pub fn mark_oom_killed(&mut self) {
        self.reason = Some(Str::from("OOMKilled"));
        self.hints.oom_event = true;
    }

    /// An empty record of `format`; parsers fill in what they read.
    pub fn new(format: Format) -> Record {
        // One empty source shared by all new records (scanners set theirs).
        static NO_SOURCE: std::sync::OnceLock<Arc<str>> = std::sync::OnceLock::new();
        Record {
            source: NO_SOURCE.get_or_init(|| Arc::from("")).clone(),
            line: 0,
            format,
            namespace: None,
            pod: None,
            container: None,
            container_id: None,
            init: None,
            state: None,
            raw_exit_code: None,
            stated_signal: None,
            reason: None,
            message: None,
            restart_count: None,
            started_at: None,
            finished_at: None,
            log_time: None,
            pid: None,
            hints: Hints::default(),
            repeat: false,
            cause: None,
        }
    }

    pub fn normalized(&self) -> Option<Normalized> {
        self.raw_exit_code.map(|c| RawCode(c).normalize())
    }

    /// `exit_code` of the JSON record.
    pub fn exit_code(&self) -> Option<i64> {
        self.normalized().map(|n| n.code)
    }

    /// The stated signal, else the one a `129..=254` code stands for.
    pub fn signal(&self) -> Option<Signal> {
        self.stated_signal.or_else(|| {
            let n = self.normalized()?;
            if n.windows {
                None
            } else {
                Signal::from_exit_code(n.code)
            }
        })
    }

    pub fn class(&self) -> ExitClass {
        ExitClass::of(self.normalized(), self.stated_signal)
    }
}
