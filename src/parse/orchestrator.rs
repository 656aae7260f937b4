//! Controllers and job frameworks reporting a container's exit:
//!
//! ```text
//! logfmt      time="..." level=info msg="container terminated" namespace=prod pod=api-1 container=api exitCode=137 reason=OOMKilled restartCount=3
//! Argo        msg="Pod failed: StartError (exit code 128): failed to create containerd task: ..."
//! Spark       The executor with id 1 exited with exit code 137.
//! Spark       container name: fluentd / ... / exit code: 0 / termination reason: Completed
//! Tekton      "step-build" exited with code 125 (image: "..."); for logs run: kubectl -n ci logs ...
//! Tekton      init container failed, "prepare" exited with code 255
//! ```
//!
//! Look-alikes that are *not* container exits give nothing: `command terminated
//! with exit code 137` (kubectl exec and exec probes), prose ("exit code 137
//! means..."), `exit status 2` after a Go panic.

use crate::parse::util::{self, lead_int, logfmt, unquote, whole_int};
use crate::record::{Format, Record, State, Str};

/// Kubernetes termination reasons an orchestrator may print before `(exit code N)`.
const REASONS: [&str; 7] = [
    "OOMKilled",
    "Error",
    "Completed",
    "ContainerCannotRun",
    "StartError",
    "DeadlineExceeded",
    "ContainerStatusUnknown",
];

fn record(code: i64) -> Record {
    let mut r = Record::new(Format::Orchestrator);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r
}

/// logfmt with `exitCode=N` and a `container=` or `pod=` key naming what exited.
pub fn logfmt_exit(msg: &[u8]) -> Option<Record> {
    let code = whole_int(unquote(logfmt(msg, b"exitCode")?))?;
    let container = logfmt(msg, b"container").map(unquote).and_then(util::nonempty);
    let pod = logfmt(msg, b"pod").map(unquote).and_then(util::nonempty);
    if container.is_none() && pod.is_none() {
        return None;
    }
    let mut r = record(code);
    r.container = container;
    r.pod = pod;
    r.namespace = logfmt(msg, b"namespace").map(unquote).and_then(util::nonempty);
    r.reason = logfmt(msg, b"reason").map(unquote).and_then(util::nonempty);
    r.restart_count = logfmt(msg, b"restartCount").and_then(whole_int).and_then(|v| u64::try_from(v).ok());
    r.container_id = logfmt(msg, b"containerID").map(unquote).and_then(util::nonempty);
    r.log_time = logfmt(msg, b"time").map(unquote).and_then(util::nonempty);
    Some(r)
}

/// Spark: `exited with exit code N` (the executor's container exit).
pub fn exited_with_exit_code(msg: &[u8]) -> Option<Record> {
    let at = util::find(msg, b"exited with exit code ")?;
    let code = lead_int(&msg[at + b"exited with exit code ".len()..])?;
    Some(record(code))
}

/// Tekton's TaskRun failure message: `"<step container>" exited with code N`
/// (pkg/pod/status.go prints `%q exited with code %d (image: %q); ...`),
/// at the start of the message or after `, `, `: ` or `step ` (`build step`,
/// older releases). The quoted name must be a container name: `Command
/// "test" exited with code 1` of other tools has another word before it.
pub fn tekton_step(msg: &[u8]) -> Option<Record> {
    const PHRASE: &[u8] = b"\" exited with code ";
    let m = util::trim(msg);
    let at = util::find(m, PHRASE)?;
    let open = memchr::memrchr(b'"', &m[..at])?;
    let name = &m[open + 1..at];
    let dns = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    if name.is_empty() || name.len() > 63 || !name.iter().all(dns) {
        return None;
    }
    let before = &m[..open];
    if !(before.is_empty() || before.ends_with(b", ") || before.ends_with(b": ") || before.ends_with(b"step ")) {
        return None;
    }
    let rest = &m[at + PHRASE.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'-').count();
    if !matches!(rest.get(digits), None | Some(b' ' | b';' | b'.' | b'\\' | b'"')) {
        return None;
    }
    let mut r = record(whole_int(&rest[..digits])?);
    r.container = util::nonempty(name);
    Some(r)
}

/// Argo and friends: `<Reason> (exit code N)`, one record per occurrence.
pub fn reason_exit_code(msg: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = util::find(&msg[from..], b" (exit code ") {
        let at = from + at;
        from = at + 1;
        let before = &msg[..at];
        let start = before.iter().rposition(|b| !b.is_ascii_alphabetic()).map_or(0, |p| p + 1);
        let word = &before[start..];
        let Some(reason) = REASONS.iter().find(|r| r.as_bytes() == word) else { continue };
        let rest = &msg[at + b" (exit code ".len()..];
        let Some(code) = lead_int(rest) else { continue };
        let mut r = record(code);
        r.reason = Some((*reason).into());
        out.push(r);
    }
    out
}

/// Spark's container status listing: the `exit code: N` line.
pub fn status_exit_code(msg: &[u8]) -> Option<i64> {
    whole_int(util::trim(msg).strip_prefix(b"exit code:")?)
}

/// `container name: X`
pub fn status_container(msg: &[u8]) -> Option<Str> {
    util::nonempty(util::trim(msg).strip_prefix(b"container name:")?)
}

/// `termination reason: X`
pub fn status_reason(msg: &[u8]) -> Option<Str> {
    util::nonempty(util::trim(msg).strip_prefix(b"termination reason:")?)
}

/// `command terminated with exit code N`: an exec, never a container exit.
pub fn is_exec_exit(msg: &[u8]) -> bool {
    util::contains(msg, b"command terminated with exit code")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_lines() {
        let r = logfmt_exit(br#"time="2024-01-28T09:05:40Z" level=info msg="container terminated" namespace=staging pod=notifier-89 container=notifier exitCode=137 reason=Error restartCount=28"#).unwrap();
        assert_eq!(
            (r.raw_exit_code, r.container.as_deref(), r.reason.as_deref(), r.restart_count),
            (Some(137), Some("notifier"), Some("Error"), Some(28))
        );
        assert_eq!((r.namespace.as_deref(), r.pod.as_deref()), (Some("staging"), Some("notifier-89")));
        assert!(logfmt_exit(b"exitCode=137 to be a good indication").is_none());
        assert!(logfmt_exit(br#"{"level":"error","msg":"subprocess finished","exitCode":128}"#).is_none());
    }

    #[test]
    fn tekton_steps() {
        for (line, name, code) in [
            (
                r#"task first-task has failed: "step-build-and-push-image" exited with code 125 (image: "registry.redhat.io/rhel8/buildah@sha256:7678"); for logs run: kubectl -n ci logs run-pod -c step-build-and-push-image"#,
                "step-build-and-push-image",
                125,
            ),
            (r#"init container failed, "prepare" exited with code 255"#, "prepare", 255),
            (
                r#"build step "build-step-git-source-0" exited with code 1 (image: "docker-pullable://git-init@sha256:1")"#,
                "build-step-git-source-0",
                1,
            ),
            (
                r#""step-unit-tests" exited with code 2 (image: "golang@sha256:2"); for logs run: kubectl -n ns logs p -c step-unit-tests"#,
                "step-unit-tests",
                2,
            ),
        ] {
            let r = tekton_step(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(
                (r.container.as_deref(), r.raw_exit_code, r.state),
                (Some(name), Some(code), Some(State::Terminated)),
                "{line}"
            );
        }
        for line in [
            r#"error Command "test" exited with code 1."#,
            r#"[0] "npm run dev" exited with code 1"#,
            r#""Step-X" exited with code 1"#,
            r#"the "prepare" exited with code 12x"#,
        ] {
            assert!(tekton_step(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[test]
    fn argo_and_spark() {
        let l = br#"msg="Pod failed: StartError (exit code 128): failed to create containerd task" new.message="x""#;
        let r = reason_exit_code(l);
        assert_eq!(
            r.iter().map(|r| (r.raw_exit_code, r.reason.clone())).collect::<Vec<_>>(),
            vec![(Some(128), Some("StartError".into()))]
        );
        assert!(reason_exit_code(b"the job failed (exit code 1)").is_empty());
        assert_eq!(
            exited_with_exit_code(b" id 1 exited with exit code 0(success).").and_then(|r| r.raw_exit_code),
            Some(0)
        );
        assert_eq!(
            exited_with_exit_code(b"The executor with id 1 exited with exit code 137.").and_then(|r| r.raw_exit_code),
            Some(137)
        );
        assert_eq!(status_exit_code(b"     exit code: 52"), Some(52));
        assert_eq!(status_container(b"     container name: fluentd").as_deref(), Some("fluentd"));
        assert_eq!(status_reason(b"     termination reason: Error ").as_deref(), Some("Error"));
        assert!(is_exec_exit(b"command terminated with exit code 137"));
    }
}
