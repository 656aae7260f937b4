//! containerd task-exit events, in the three shapes containerd prints them:
//!
//! ```text
//! TaskExit event container_id:"<id>" id:"<id>" pid:12930 exit_status:137 exited_at:{seconds:1699250901 nanos:264293162}
//! &TaskExit{ContainerID:<id>,ID:<id>,Pid:21976,ExitStatus:255,ExitedAt:2019-05-16 22:04:19.073921379 +0000 UTC,}
//! /tasks/exit {"container_id":"oom","id":"oom","pid":22663,"exit_status":137,"exited_at":"2026-11-25T..."}
//! ```
//!
//! and as dockerd's libcontainerd logs the event it receives (logfmt fields,
//! `topic=/tasks/exit`, see `dockerd_event`). containerd 0.2 (docker 1.11 to
//! 17.x) kept an `events.log` of JSON lines instead (`events_log`):
//!
//! ```text
//! {"id":"<container id>","type":"exit","timestamp":"2017-03-24T23:43:31.2785475Z","pid":"init","status":137}
//! ```
//!
//! Protobuf omits zero values, so an exit with status 0 prints no
//! `exit_status` at all: such a line gives no record (the code is never
//! guessed). An event whose `id` differs from its `container_id` is an exec
//! process, not the container; `TaskDelete` repeats an exit already reported.
//! `TaskOOM` / `/tasks/oom` lines are evidence for the next exit of that container.

use crate::parse::util::{self, lead_int, unquote, when};
use crate::parse::Evidence;
use crate::record::{Format, Record, State, Str};

/// A containerd 0.2 `events.log` line. Only the container's own process
/// (`"pid":"init"`) is the container's exit; other pids are exec processes.
pub fn events_log(v: &serde_json::Value) -> Option<Record> {
    if v.get("type")?.as_str()? != "exit" || v.get("pid")?.as_str()? != "init" {
        return None;
    }
    let code = v.get("status")?.as_i64()?;
    let mut r = Record::new(Format::Containerd);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r.container = v.get("id").and_then(|i| i.as_str()).filter(|i| !i.is_empty()).map(Str::from);
    r.container_id.clone_from(&r.container);
    r.log_time = v.get("timestamp").and_then(|t| t.as_str()).map(Str::from);
    Some(r)
}

/// The value after `key` (`key:value`, `key:"value"`, `"key":value`), up to a
/// delimiter; escaped quotes from a surrounding `msg="..."` are removed.
fn field<'a>(msg: &'a [u8], keys: &[&[u8]]) -> Option<&'a [u8]> {
    for key in keys {
        let mut from = 0;
        while let Some(at) = util::find(&msg[from..], key) {
            let start = from + at;
            from = start + key.len();
            let before = if start == 0 { b' ' } else { msg[start - 1] };
            if before.is_ascii_alphanumeric() || before == b'_' {
                continue;
            }
            let mut rest = &msg[start + key.len()..];
            for q in [&b"\\\""[..], b"\""] {
                rest = rest.strip_prefix(q).unwrap_or(rest);
            }
            let Some(rest) = rest.strip_prefix(b":") else { continue };
            let rest = util::trim_start(rest);
            let n = if let Some(q) = rest.strip_prefix(b"\\\"") {
                return util::find(q, b"\\\"").map(|e| &q[..e]);
            } else if let Some(q) = rest.strip_prefix(b"\"") {
                return memchr::memchr(b'"', q).map(|e| &q[..e]);
            } else {
                rest.iter().take_while(|&&b| !matches!(b, b' ' | b',' | b'}' | b'"' | b'\\')).count()
            };
            return Some(&rest[..n]);
        }
    }
    None
}

pub fn parse(msg: &[u8]) -> Option<Record> {
    if util::contains(msg, b"TaskDelete") || util::contains(msg, b"/tasks/delete") {
        return None;
    }
    let Some(status) = field(msg, &[b"exit_status", b"ExitStatus"]) else {
        return dockerd_event(msg);
    };
    let code = lead_int(status)?;
    let cid = field(msg, &[b"container_id", b"ContainerID"]).map(unquote).and_then(util::nonempty);
    let id = field(msg, &[b"id", b"ID"]).map(unquote).and_then(util::nonempty);
    if let (Some(c), Some(i)) = (&cid, &id) {
        if c != i {
            return None; // an exec process inside the container
        }
    }
    let mut r = Record::new(Format::Containerd);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r.container = cid.clone().or(id);
    r.container_id = cid;
    r.pid = field(msg, &[b"pid", b"Pid"]).and_then(lead_int).and_then(|p| u64::try_from(p).ok());
    r.finished_at = exited_at(msg);
    Some(r)
}

/// dockerd's libcontainerd logs the task-exit event it receives as logfmt
/// fields (every field, zero values too):
///
/// ```text
/// level=info msg=event ExitStatus=0 ExitedAt="2022-06-09 00:20:23.452637293 +0000 UTC" Pid=4138572 ProcessID=2e37… containerID=2e37… module=libcontainerd namespace=moby topic=/tasks/exit
/// ```
///
/// `ProcessID` is the exec's id for an exec process and the container's id
/// for its main process.
fn dockerd_event(msg: &[u8]) -> Option<Record> {
    // (A pasted line may come wrapped in `code`: the last value keeps the backquote.)
    let logfmt = |key: &[u8]| util::logfmt(msg, key).map(|v| v.strip_suffix(b"`").unwrap_or(v));
    if logfmt(b"topic")? != b"/tasks/exit" {
        return None;
    }
    let code = util::whole_int(logfmt(b"ExitStatus")?)?;
    let cid = logfmt(b"containerID").and_then(util::nonempty);
    let id = logfmt(b"ProcessID").and_then(util::nonempty);
    if let (Some(c), Some(i)) = (&cid, &id) {
        if c != i {
            return None;
        }
    }
    let mut r = Record::new(Format::Docker);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r.container = cid.clone().or(id);
    r.container_id = cid;
    r.pid = logfmt(b"Pid").and_then(util::whole_int).and_then(|p| u64::try_from(p).ok());
    r.finished_at = logfmt(b"ExitedAt").and_then(|v| when::go(&String::from_utf8_lossy(v)));
    Some(r)
}

fn exited_at(msg: &[u8]) -> Option<Str> {
    // {seconds:S nanos:N}
    if let Some(at) = util::find(msg, b"exited_at:{") {
        let rest = &msg[at..];
        let secs = field(rest, &[b"seconds"]).and_then(lead_int)?;
        let nanos = field(rest, &[b"nanos"]).and_then(lead_int).unwrap_or(0);
        return when::unix(secs, nanos);
    }
    if let Some(at) = util::find(msg, b"ExitedAt:") {
        let rest = &msg[at + b"ExitedAt:".len()..];
        let end = util::find(rest, b" UTC").map_or(rest.len(), |e| e + 4);
        return when::go(&String::from_utf8_lossy(&rest[..end]));
    }
    let v = field(msg, &[b"exited_at"])?;
    when::rfc3339(&String::from_utf8_lossy(v))
}

/// `TaskOOM` / `/tasks/oom`: the container hit its memory limit.
pub fn oom_evidence(msg: &[u8]) -> Option<Evidence> {
    if !(util::contains(msg, b"TaskOOM") || util::contains(msg, b"/tasks/oom")) {
        return None;
    }
    let id = field(msg, &[b"container_id", b"ContainerID"]).map(unquote).and_then(util::nonempty)?;
    Some(Evidence::Oom { container: Some(id), pid: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dockerd's libcontainerd event line (containerd/containerd#7111).
    #[test]
    fn dockerd_libcontainerd_event() {
        let line = r#"time="2022-06-09T08:20:23.482480525+08:00" level=info msg=event ExitStatus=0 ExitedAt="2022-06-09 00:20:23.452637293 +0000 UTC" Pid=4138572 ProcessID=2e371a15 containerID=2e371a15 module=libcontainerd namespace=moby topic=/tasks/exit"#;
        let r = parse(line.as_bytes()).expect("record");
        assert_eq!(
            (r.raw_exit_code, r.container.as_deref(), r.pid, r.finished_at.as_deref(), r.format),
            (Some(0), Some("2e371a15"), Some(4138572), Some("2022-06-09T00:20:23.452637293Z"), Format::Docker)
        );
        // An exec process, another topic, no status: nothing.
        for bad in [
            line.replace("ProcessID=2e371a15", "ProcessID=exec-1"),
            line.replace("topic=/tasks/exit", "topic=/tasks/oom"),
            line.replace("ExitStatus=0 ", ""),
            line.replace("ExitStatus=0", "ExitStatus=x"),
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn table() {
        let ok = [
            (
                r#"level=info msg="TaskExit event container_id:\"a828\" id:\"a828\" pid:12930 exit_status:137 exited_at:{seconds:1699250901 nanos:264293162}""#,
                137,
                "a828",
                Some("2023-11-06T06:08:21.264293162Z"),
            ),
            (
                r#"msg="Failed to handle backOff event container_id:\"a828\" id:\"a828\" pid:12930 exit_status:137 exited_at:{seconds:1699250901 nanos:264293162} for a828""#,
                137,
                "a828",
                Some("2023-11-06T06:08:21.264293162Z"),
            ),
            (
                r#"msg="Failed to handle event &TaskExit{ContainerID:5e1c,ID:5e1c,Pid:21976,ExitStatus:255,ExitedAt:2019-05-16 22:04:19.073921379 +0000 UTC,} for 5e1c""#,
                255,
                "5e1c",
                Some("2019-05-16T22:04:19.073921379Z"),
            ),
            (
                r#"2026-11-25 06:37:44.694814568 +0000 UTC default /tasks/exit {"container_id":"exit3","id":"exit3","pid":8864,"exit_status":3,"exited_at":"2026-11-25T06:37:44.694800472Z"}"#,
                3,
                "exit3",
                Some("2026-11-25T06:37:44.694800472Z"),
            ),
            (
                r#"msg="received exit event &TaskExit{ContainerID:c1,ID:c1,Pid:9825,ExitStatus:137,ExitedAt:2026-11-25 06:37:55.954 +0000 UTC,XXX_unrecognized:[],}""#,
                137,
                "c1",
                Some("2026-11-25T06:37:55.954Z"),
            ),
        ];
        for (line, code, c, fin) in ok {
            let r = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(
                (r.raw_exit_code, r.container.as_deref(), r.finished_at.as_deref()),
                (Some(code), Some(c), fin),
                "{line}"
            );
        }
        let no = [
            // exit status 0 is omitted by protobuf: never guess it.
            r#"msg="TaskExit event in podsandbox handler container_id:\"bf59\" id:\"fe1c\" pid:162385 exited_at:{seconds:1747005585 nanos:318933335}""#,
            // an exec process
            r#"msg="TaskExit event container_id:\"c1\" id:\"exec-9\" pid:1 exit_status:1 exited_at:{seconds:1 nanos:0}""#,
            r#"/tasks/delete {"container_id":"exit3","pid":8864,"exit_status":3,"exited_at":"2026-11-25T06:37:44.694800472Z"}"#,
            r#"level=warn msg="hook failed" hook=pre-stop exit_status=1 code=ETIMEDOUT"#,
            r#"OCI runtime exec failed: exec failed: unable to start container process: error executing setns process: exit status 1: unknown"#,
        ];
        for line in no {
            assert!(parse(line.as_bytes()).is_none(), "{line}");
        }
    }

    #[test]
    fn events_log_exits() {
        // containerd 0.2's events.log (docker 1.11 to 17.x), as in
        // docker-archive/classicswarm#2665.
        let line = r#"{"id":"a15dabb476d8712043fe8b5549c9f95139f560b6045b91326898376068ff6c37","type":"exit","timestamp":"2017-03-24T23:43:31.2785475Z","pid":"init","status":137}"#;
        let c = crate::scan::scan_bytes("t", format!("{line}\n").as_bytes(), Default::default());
        let recs = c.records();
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!((r.format, r.raw_exit_code, r.state), (Format::Containerd, Some(137), Some(State::Terminated)));
        assert_eq!(r.container.as_deref(), Some("a15dabb476d8712043fe8b5549c9f95139f560b6045b91326898376068ff6c37"));
        let no = [
            // An exec process of the container.
            r#"{"id":"a15d","type":"exit","timestamp":"2017-03-24T23:43:31Z","pid":"7f3e9c","status":1}"#,
            r#"{"id":"a15d","type":"start-container","timestamp":"2017-03-24T23:43:31Z"}"#,
            r#"{"id":"a15d","type":"exit","pid":"init"}"#,
        ];
        for line in no {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            assert!(events_log(&v).is_none(), "{line}");
        }
    }

    #[test]
    fn oom_events() {
        let e = oom_evidence(br#"level=info msg="TaskOOM event &TaskOOM{ContainerID:abc,XXX_unrecognized:[],}""#);
        assert_eq!(e, Some(Evidence::Oom { container: Some("abc".into()), pid: None }));
        let e = oom_evidence(br#"default /tasks/oom {"container_id":"oom"}"#);
        assert_eq!(e, Some(Evidence::Oom { container: Some("oom".into()), pid: None }));
    }
}
