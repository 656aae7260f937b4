//! Why a container died: context rules first, then the knowledge base's
//! tables (DESIGN.md §4).
//!
//! - 137 proves SIGKILL, not OOM. "OOM" needs evidence: reason `OOMKilled`,
//!   docker `OOMKilled: true`, an `oom` event, or a kernel OOM kill of the same
//!   process or container seen earlier in the stream ([`Context`]). Otherwise
//!   the cause lists what sends SIGKILL, and `Liveness probe failed` events in
//!   the same describe output point to the probe.
//! - `OOMKilled` with exit 0 or 143 is inconsistent and says so.
//! - 128 + `StartError`: the runtime could not start the process; 255 from
//!   containerd may be "exit status unknown"; 137 + `ContainerStatusUnknown`: the
//!   kubelet lost the container; messages with `exec format error`, `no such
//!   file or directory`, `permission denied`, `executable file not found`
//!   sharpen 1 / 126 / 127 / 128.
//! - 143 is a requested, graceful stop.
//! - A systemd unit whose main process systemd signalled itself says why in
//!   the lines before (the scanner marks the record): its watchdog fired, its
//!   start timed out, or its stop timed out and SIGKILL followed. A
//!   kubelet's 137 after the kubelet stopped that container with a grace
//!   period is the grace period running out (unless OOM or a probe explain it).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::code::{ExitClass, Signal};
use crate::kb::{KnowledgeBase, Lang, Text};
use crate::parse::Evidence;
use crate::record::{Format, Hints, Record, Str};
use compact_str::format_compact;

/// The explanation attached to a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub id: Str,
    pub text: Arc<Text>,
    /// What the cause rests on, in words.
    pub evidence: Vec<Str>,
}

/// Every context cause the rules can pick (each must be in `config/causes.toml`).
pub const CAUSE_IDS: &[&str] = &[
    "oom-limit",
    "oom-kernel",
    "oom-inconsistent",
    "sigkill",
    "liveness-probe",
    "status-unknown",
    "evicted",
    "start-error",
    "exit-status-unknown",
    "exec-format",
    "not-found",
    "permission-denied",
    "graceful-stop",
    "watchdog",
    "start-timeout",
    "stop-timeout",
    "grace-period",
    "deadline-exceeded",
    "app-error",
    "signal-other",
    "out-of-range",
    "windows-unknown",
    "reason-only",
    "completed",
];

/// Recent evidence, to explain an exit that follows it.
#[derive(Debug, Default)]
pub struct Context {
    recent: VecDeque<Evidence>,
}

/// How many pieces of evidence are remembered.
const CONTEXT_SIZE: usize = 256;

fn same_container(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (a, b) = (crate::parse::util::without_scheme(a), crate::parse::util::without_scheme(b));
    // Short ids (12 hex) match the full id they start.
    a.len() >= 12 && b.len() >= 12 && (a.starts_with(b) || b.starts_with(a))
}

impl Context {
    pub fn add(&mut self, e: Evidence) {
        if self.recent.len() == CONTEXT_SIZE {
            self.recent.pop_front();
        }
        self.recent.push_back(e);
    }

    /// Marks `r` when earlier evidence concerns it; kernel OOM records are
    /// themselves evidence for what follows.
    pub fn apply(&mut self, r: &mut Record) {
        if r.format == Format::Kernel {
            self.add(Evidence::Oom { container: r.container_id.clone(), pid: r.pid });
            return;
        }
        let signal = r.signal();
        if matches!(signal, Some(Signal::KILL | Signal::TERM)) && !r.hints.liveness_failed {
            r.hints.liveness_failed = self.recent.iter().any(|e| probe_killed(e, r));
        }
        if signal != Some(Signal::KILL) || r.hints.oom_event || r.hints.kernel_oom {
            return;
        }
        let names: Vec<&str> = [r.container.as_deref(), r.container_id.as_deref()].into_iter().flatten().collect();
        let hit = self.recent.iter().rev().find(|e| match e {
            Evidence::Oom { container, pid } => {
                pid.is_some() && *pid == r.pid
                    || container.as_deref().is_some_and(|c| names.iter().any(|n| same_container(c, n)))
            }
            Evidence::ProbeKill { .. } => false,
        });
        if let Some(Evidence::Oom { pid, .. }) = hit {
            if pid.is_some() {
                r.hints.kernel_oom = true;
            } else {
                r.hints.oom_event = true;
            }
        }
    }
}

/// `e` is the kubelet killing `r`'s container for a failed probe: the same
/// container id, or the same container name in the same pod (`ns/name` or
/// `name`).
fn probe_killed(e: &Evidence, r: &Record) -> bool {
    let Evidence::ProbeKill { container_id, pod, container } = e else { return false };
    if let (Some(a), Some(b)) = (container_id.as_deref(), r.container_id.as_deref()) {
        return same_container(a, b);
    }
    let (Some(pod), Some(name), Some(r_pod)) = (pod.as_deref(), container.as_deref(), r.pod.as_deref()) else {
        return false;
    };
    let same_pod = match pod.split_once('/') {
        Some((ns, p)) => p == r_pod && r.namespace.as_deref().is_none_or(|n| n == ns),
        None => pod == r_pod,
    };
    same_pod && r.container.as_deref() == Some(name)
}

/// The pieces one after the other.
fn concat(parts: &[&str]) -> Str {
    let mut s = Str::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

fn is_oom_reason(reason: Option<&str>) -> bool {
    matches!(reason, Some("OOMKilled") | Some("OOM Killed") | Some("OOMKilling"))
}

/// Picks the cause of `r` and records the evidence it rests on.
pub fn explain(kb: &KnowledgeBase, lang: Lang, r: &Record) -> Option<Cause> {
    let mut ev: Vec<Str> = Vec::new();
    let norm = r.normalized();
    let code = norm.map(|n| n.code);
    let signal = r.signal();
    let reason = r.reason.as_deref();
    let message = r.message.as_deref().unwrap_or("").to_ascii_lowercase();

    // (Built by hand: these run for every record, and `format!` costs more.)
    let mut itoa = itoa::Buffer::new();
    if let Some(n) = norm {
        if n.windows {
            ev.push(format_compact!("exit code {:#X}", n.code));
        } else {
            ev.push(concat(&["exit code ", itoa.format(n.code)]));
            if n.wrapped {
                ev.push(format_compact!("printed as {}, wrapped into 0..=255", r.raw_exit_code.unwrap_or(n.code)));
            }
        }
    }
    if let Some(s) = signal {
        let mut nb = itoa::Buffer::new();
        let number = nb.format(s.0);
        if r.stated_signal.is_some() {
            ev.push(concat(&["signal ", s.name(), " (", number, ")"]));
        } else {
            ev.push(concat(&[itoa.format(code.unwrap_or(0)), " = 128 + ", number, " (", s.name(), ")"]));
        }
    }
    if let Some(reason) = reason {
        ev.push(concat(&["reason ", reason]));
    }

    let cause = |id: &str, ev: Vec<Str>| -> Option<Cause> {
        let e = kb.causes.get(id)?;
        Some(Cause { id: Str::from(id), text: e.text(lang).clone(), evidence: ev })
    };
    let table =
        |prefix: &str, key: &dyn std::fmt::Display, e: Option<&crate::kb::Entry>, ev: Vec<Str>| -> Option<Cause> {
            let e = e?;
            Some(Cause { id: format_compact!("{prefix}-{key}"), text: e.text(lang).clone(), evidence: ev })
        };

    // Windows NTSTATUS.
    if let Some(n) = norm.filter(|n| n.windows) {
        return match kb.ntstatus.get(&n.code) {
            Some(nt) => {
                ev.push(nt.name.as_str().into());
                table("ntstatus", &nt.name, Some(&nt.entry), ev)
            }
            None => cause("windows-unknown", ev),
        };
    }

    let oom_stated = is_oom_reason(reason);
    if oom_stated && matches!(code, Some(0) | Some(143)) {
        return cause("oom-inconsistent", ev);
    }
    if r.format == Format::Kernel {
        if let Some(m) = &r.message {
            ev.push(m.clone());
        }
        return cause("oom-kernel", ev);
    }
    if oom_stated || r.hints.oom_event || r.hints.kernel_oom {
        if r.hints.oom_event && !oom_stated {
            ev.push("OOM event for this container".into());
        }
        if r.hints.kernel_oom {
            ev.push("kernel OOM killer killed this process".into());
        }
        return cause("oom-limit", ev);
    }
    // An evicted pod's containers often end as ContainerStatusUnknown with a
    // placeholder 137: the eviction is what ended them.
    if r.hints.evicted {
        ev.push("pod evicted".into());
        return cause("evicted", ev);
    }
    if reason == Some("ContainerStatusUnknown") {
        return cause("status-unknown", ev);
    }
    let sharpen = |ev: &mut Vec<Str>| -> Option<&'static str> {
        let (id, phrase) = if message.contains("exec format error") {
            ("exec-format", "exec format error")
        } else if message.contains("executable file not found") {
            ("not-found", "executable file not found")
        } else if message.contains("no such file or directory") {
            ("not-found", "no such file or directory")
        } else if message.contains("permission denied") {
            ("permission-denied", "permission denied")
        } else {
            return None;
        };
        ev.push(format_compact!("message says \"{phrase}\""));
        Some(id)
    };
    if matches!(reason, Some("StartError") | Some("ContainerCannotRun")) {
        let id = sharpen(&mut ev).unwrap_or("start-error");
        return cause(id, ev);
    }
    if matches!(code, Some(1) | Some(126) | Some(127) | Some(128)) || r.message.is_some() && code != Some(0) {
        if let Some(id) = sharpen(&mut ev) {
            return cause(id, ev);
        }
    }
    if reason == Some("DeadlineExceeded") || r.hints.deadline_exceeded {
        if r.hints.deadline_exceeded {
            ev.push("pod past its deadline (DeadlineExceeded)".into());
        }
        return cause("deadline-exceeded", ev);
    }
    // systemd signalled the unit's main process itself, and said why (the
    // first that holds is the root: a start timeout's SIGTERM ignored ends
    // in a stop timeout too).
    let systemd_said = [
        (r.hints.watchdog, "watchdog", "systemd: watchdog timeout"),
        (r.hints.start_timeout, "start-timeout", "systemd: start operation timed out"),
        (r.hints.stop_timeout, "stop-timeout", "systemd: stop timed out"),
    ];
    if let Some(&(_, id, why)) = systemd_said.iter().find(|s| s.0) {
        ev.push(why.into());
        return cause(id, ev);
    }
    if signal == Some(Signal::KILL) {
        if r.hints.liveness_failed {
            ev.push("Liveness probe failed events".into());
            return cause("liveness-probe", ev);
        }
        if r.hints.grace_kill {
            ev.push("kubelet: stopped with a grace period before".into());
            return cause("grace-period", ev);
        }
        return cause("sigkill", ev);
    }
    if signal == Some(Signal::TERM) {
        if r.hints.liveness_failed {
            ev.push("Liveness probe failed events".into());
            return cause("liveness-probe", ev);
        }
        return cause("graceful-stop", ev);
    }
    if code == Some(255) && r.format == Format::Containerd {
        ev.push("reported by containerd".into());
        return cause("exit-status-unknown", ev);
    }
    if let Some(c) = code {
        if let Some(e) = kb.codes.get(&c) {
            return table("exit", &c, Some(e), ev);
        }
    }
    if let Some(s) = signal {
        return match kb.signals.get(&s.0) {
            Some(e) => table("signal", &e.name, Some(&e.entry), ev),
            None => cause("signal-other", ev),
        };
    }
    if let Some(c) = code {
        if norm.is_some_and(|n| n.wrapped) {
            return cause("out-of-range", ev);
        }
        if r.class() == ExitClass::Signal {
            return cause("signal-other", ev);
        }
        if (1..=124).contains(&c) {
            return cause("app-error", ev);
        }
    }
    if r.class() == ExitClass::Unknown {
        if let Some(reason) = reason {
            if let Some(e) = kb.reasons.get(reason) {
                return table("reason", &reason, Some(e), ev);
            }
        }
        return cause("reason-only", ev);
    }
    None
}

/// What [`explain`] reads of a record without a message: its answer is the
/// same for every record that agrees on these.
type ExplainKey = (Format, Option<i64>, Option<u8>, Option<Str>, Hints);

/// Answers kept before the memory starts again.
const EXPLAIN_MEMO_MAX: usize = 4096;

/// [`explain`], remembering its answers for records without a message:
/// their cause and evidence follow from a handful of fields that repeat from
/// record to record (a describe stream has a few dozen combinations in
/// 359,000 records), and picking them costs ten times the lookup.
#[derive(Debug, Default)]
pub struct Explainer {
    memo: std::collections::HashMap<ExplainKey, Option<Cause>, rustc_hash::FxBuildHasher>,
}

impl Explainer {
    pub fn explain(&mut self, kb: &KnowledgeBase, lang: Lang, r: &Record) -> Option<Cause> {
        if r.message.is_some() {
            return explain(kb, lang, r);
        }
        let key = (r.format, r.raw_exit_code, r.stated_signal.map(|s| s.0), r.reason.clone(), r.hints);
        if let Some(c) = self.memo.get(&key) {
            return c.clone();
        }
        let c = explain(kb, lang, r);
        if self.memo.len() >= EXPLAIN_MEMO_MAX {
            self.memo.clear();
        }
        self.memo.insert(key, c.clone());
        c
    }

    /// Forgets every answer (the knowledge base changed).
    pub fn clear(&mut self) {
        self.memo.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::State;

    fn rec(code: Option<i64>, reason: Option<&str>) -> Record {
        let mut r = Record::new(Format::Describe);
        r.raw_exit_code = code;
        r.reason = reason.map(Into::into);
        r.state = Some(State::Terminated);
        r
    }

    proptest::proptest! {
        /// Remembered answers are the answers: records drawn from a few
        /// values of each field the rules read, so that most repeat a shape
        /// seen before.
        #[test]
        fn explainer_answers_like_explain(
            recs in proptest::collection::vec((
                0usize..Format::ALL.len(),
                proptest::option::of(proptest::sample::select(vec![0i64, 1, 2, 126, 127, 128, 137, 139, 143, 255, 256, -1, 3221225477])),
                proptest::option::of(proptest::sample::select(vec![9i64, 15, 6, 11])),
                proptest::option::of(proptest::sample::select(vec!["OOMKilled", "Error", "Completed", "StartError", "ContainerStatusUnknown", "DeadlineExceeded", "Evicted"])),
                proptest::option::of(proptest::sample::select(vec!["exec format error", "permission denied", "bye"])),
                proptest::array::uniform10(proptest::bool::ANY),
            ), 1..60),
        ) {
            let kb = KnowledgeBase::builtin().unwrap();
            let mut memo = Explainer::default();
            for (format, code, signal, reason, message, h) in recs {
                let mut r = Record::new(Format::ALL[format]);
                r.raw_exit_code = code;
                r.stated_signal = signal.and_then(Signal::new);
                r.reason = reason.map(Into::into);
                r.message = message.map(Into::into);
                r.hints = Hints {
                    oom_event: h[0],
                    liveness_failed: h[1],
                    evicted: h[2],
                    deadline_exceeded: h[3],
                    kernel_oom: h[4],
                    ended_at_line_time: h[5],
                    watchdog: h[6],
                    start_timeout: h[7],
                    stop_timeout: h[8],
                    grace_kill: h[9],
                };
                proptest::prop_assert_eq!(memo.explain(&kb, Lang::En, &r), explain(&kb, Lang::En, &r));
            }
        }
    }

    fn id(r: &Record) -> String {
        let kb = KnowledgeBase::builtin().unwrap();
        explain(&kb, Lang::En, r).map(|c| c.id.to_string()).unwrap_or_default()
    }

    #[test]
    fn rules() {
        assert_eq!(id(&rec(Some(137), Some("OOMKilled"))), "oom-limit");
        assert_eq!(id(&rec(Some(137), Some("Error"))), "sigkill");
        assert_eq!(id(&rec(Some(137), None)), "sigkill");
        let mut live = rec(Some(137), Some("Error"));
        live.hints.liveness_failed = true;
        assert_eq!(id(&live), "liveness-probe");
        assert_eq!(id(&rec(Some(0), Some("OOMKilled"))), "oom-inconsistent");
        assert_eq!(id(&rec(Some(143), Some("OOMKilled"))), "oom-inconsistent");
        assert_eq!(id(&rec(Some(143), Some("Error"))), "graceful-stop");
        assert_eq!(id(&rec(Some(128), Some("StartError"))), "start-error");
        assert_eq!(id(&rec(Some(137), Some("ContainerStatusUnknown"))), "status-unknown");
        let mut ev = rec(Some(137), Some("ContainerStatusUnknown"));
        ev.hints.evicted = true;
        assert_eq!(id(&ev), "evicted");
        let mut m = rec(Some(128), Some("StartError"));
        m.message = Some("exec: \"wge\": executable file not found in $PATH: unknown".into());
        assert_eq!(id(&m), "not-found");
        let mut m = rec(Some(1), Some("Error"));
        m.message = Some("exec /app: exec format error".into());
        assert_eq!(id(&m), "exec-format");
        let mut c = rec(Some(255), None);
        c.format = Format::Containerd;
        assert_eq!(id(&c), "exit-status-unknown");
        assert_eq!(id(&rec(Some(255), Some("Error"))), "exit-255");
        assert_eq!(id(&rec(Some(139), Some("Error"))), "exit-139");
        assert_eq!(id(&rec(Some(131), None)), "signal-SIGQUIT");
        assert_eq!(id(&rec(Some(3), Some("Error"))), "app-error");
        assert_eq!(id(&rec(Some(3221225477), None)), "ntstatus-STATUS_ACCESS_VIOLATION");
        assert_eq!(id(&rec(Some(3221225999), None)), "windows-unknown");
        assert_eq!(id(&rec(None, Some("Completed"))), "reason-Completed");
        assert_eq!(id(&rec(None, Some("Weird"))), "reason-only");
        assert_eq!(id(&rec(Some(-2), None)), "out-of-range");
        assert_eq!(id(&rec(Some(200), None)), "signal-other");
        assert_eq!(id(&rec(Some(300), None)), "out-of-range");
        assert_eq!(id(&rec(Some(1), Some("DeadlineExceeded"))), "deadline-exceeded");
    }

    /// What systemd or the kubelet said before an exit, in the order that
    /// names the root cause: OOM evidence first, then systemd's watchdog,
    /// start and stop timeouts; for a kubelet 137, a failed liveness probe
    /// before the grace period that ran out on the way.
    #[test]
    fn said_before_the_exit() {
        let with = |format: Format, code: Option<i64>, signal: Option<i64>, set: &dyn Fn(&mut Hints)| {
            let mut r = Record::new(format);
            r.raw_exit_code = code;
            r.stated_signal = signal.and_then(Signal::new);
            set(&mut r.hints);
            id(&r)
        };
        let unit = |signal, set: &dyn Fn(&mut Hints)| with(Format::Systemd, None, Some(signal), set);
        assert_eq!(unit(9, &|h| h.stop_timeout = true), "stop-timeout");
        assert_eq!(unit(15, &|h| h.start_timeout = true), "start-timeout");
        assert_eq!(unit(6, &|h| h.watchdog = true), "watchdog");
        assert_eq!(unit(9, &|h| (h.watchdog, h.stop_timeout) = (true, true)), "watchdog");
        assert_eq!(unit(9, &|h| (h.start_timeout, h.stop_timeout) = (true, true)), "start-timeout");
        assert_eq!(unit(9, &|h| (h.oom_event, h.stop_timeout) = (true, true)), "oom-limit");
        assert_eq!(with(Format::Systemd, Some(1), None, &|h| h.start_timeout = true), "start-timeout");
        assert_eq!(unit(9, &|_| {}), "sigkill");
        let kubelet = |code, set: &dyn Fn(&mut Hints)| with(Format::Kubelet, Some(code), None, set);
        assert_eq!(kubelet(137, &|h| h.grace_kill = true), "grace-period");
        assert_eq!(kubelet(137, &|h| (h.grace_kill, h.liveness_failed) = (true, true)), "liveness-probe");
        assert_eq!(kubelet(137, &|h| (h.grace_kill, h.kernel_oom) = (true, true)), "oom-limit");
        assert_eq!(kubelet(143, &|h| h.grace_kill = true), "graceful-stop");
    }

    #[test]
    fn kernel_evidence_explains_a_later_137() {
        let mut ctx = Context::default();
        ctx.add(Evidence::Oom { container: None, pid: Some(28438) });
        let mut r = rec(Some(137), None);
        r.format = Format::Containerd;
        r.pid = Some(28438);
        ctx.apply(&mut r);
        assert!(r.hints.kernel_oom);
        assert_eq!(id(&r), "oom-limit");

        let mut other = rec(Some(137), None);
        other.pid = Some(1);
        ctx.apply(&mut other);
        assert_eq!(id(&other), "sigkill");

        ctx.add(Evidence::Oom { container: Some("779dc275c713".into()), pid: None });
        let mut d = rec(Some(137), None);
        d.container_id = Some("docker://779dc275c71364ecea3abc1da36225f0de818ba5f34d9f8c0d44b005d5029242".into());
        ctx.apply(&mut d);
        assert!(d.hints.oom_event);
    }

    #[test]
    fn a_probe_kill_explains_the_next_137_or_143_of_its_container() {
        let mut ctx = Context::default();
        ctx.add(Evidence::ProbeKill {
            container_id: Some("05657a9c673d612aedd955a65136ccca36b82ba987831de7844cdc0238f1d707".into()),
            pod: Some("default/liveness-exec".into()),
            container: Some("liveness".into()),
        });
        ctx.add(Evidence::ProbeKill { container_id: None, pod: Some("web-1".into()), container: Some("app".into()) });
        let with = |code: i64, id: Option<&str>, ns: Option<&str>, pod: Option<&str>, name: Option<&str>| {
            let mut r = rec(Some(code), None);
            r.container_id = id.map(Into::into);
            r.namespace = ns.map(Into::into);
            r.pod = pod.map(Into::into);
            r.container = name.map(Into::into);
            r
        };
        let full = "containerd://05657a9c673d612aedd955a65136ccca36b82ba987831de7844cdc0238f1d707";
        let cases = [
            (with(137, Some(full), None, None, None), "liveness-probe"),
            (with(143, Some("05657a9c673d"), None, None, None), "liveness-probe"),
            // Another container of the same pod, or another id.
            (with(137, Some("c6f825e51b97cba5"), Some("default"), Some("liveness-exec"), Some("liveness")), "sigkill"),
            (with(1, Some(full), None, None, None), "exit-1"),
            (with(137, None, Some("shop"), Some("web-1"), Some("app")), "liveness-probe"),
            (with(137, None, None, Some("web-1"), Some("sidecar")), "sigkill"),
            (with(137, None, Some("default"), Some("liveness-exec"), Some("liveness")), "liveness-probe"),
            (with(137, None, Some("prod"), Some("liveness-exec"), Some("liveness")), "sigkill"),
            (with(137, None, None, None, Some("app")), "sigkill"),
        ];
        for (mut r, want) in cases {
            ctx.apply(&mut r);
            assert_eq!(id(&r), want, "{:?} {:?} {:?}", r.container_id, r.pod, r.container);
        }
        // OOM evidence still wins.
        ctx.add(Evidence::Oom { container: Some("05657a9c673d".into()), pid: None });
        let mut r = with(137, Some(full), None, None, None);
        ctx.apply(&mut r);
        assert_eq!(id(&r), "oom-limit");
    }
}
