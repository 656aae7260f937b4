//! Controllers and job frameworks reporting a container's exit:
//!
//! ```text
//! logfmt      time="..." level=info msg="container terminated" namespace=prod pod=api-1 container=api exitCode=137 reason=OOMKilled restartCount=3
//! Argo        msg="Pod failed: StartError (exit code 128): failed to create containerd task: ..."
//! Spark       The executor with id 1 exited with exit code 137.
//! Spark       container name: fluentd / ... / exit code: 0 / termination reason: Completed
//! Tekton      "step-build" exited with code 125 (image: "..."); for logs run: kubectl -n ci logs ...
//! Tekton      init container failed, "prepare" exited with code 255
//! GitLab      ERROR: Job failed (system failure): Error in container build: exit code: 137, reason: 'OOMKilled'
//! GitLab      container build terminated with reason "OOMKilled" (exit code 137)
//! Jenkins     jenkins/agent-x Container jnlp was terminated (Exit Code: 1, Reason: Error)
//! Jenkins     Container is terminated agent-x [jnlp]: ContainerStateTerminated(containerID=..., exitCode=1, ..., reason=Error, ...)
//! Airflow     Pod failed because of OOMKilled (container: base, exit code: 137)
//! Spark op.   driver container failed with ExitCode: 137, Reason: OOMKilled   (SparkApplication status, events)
//! Fly.io      2023-11-15T03:55:24.063 app[683d92dce34dd8] lhr [info] INFO Main child exited normally with code: 1
//! Heroku      2019-04-04T16:59:31.241084+00:00 heroku[web.1]: Process exited with status 137
//! Render      2025-07-20T19:05:20.162131387Z ==> Exited with status 1
//! Nomad       2024-01-28T09:05:11Z  Terminated  Exit Code: 137, Exit Message: "OOM Killed"   (alloc status)
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
/// (pkg/pod/status.go prints `%q exited with code %d (image: %q); ...`).
/// With its `(image: ` it is read wherever it is (an event row, after a
/// timestamp); without it, only at the start of the message or after a `:`
/// (`Message:` of describe output, aligned or not), a `,` or `step `
/// (`build step`, older releases). The quoted name must be a container
/// name: `Command "test" exited with code 1` of other tools has another word
/// before it.
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
    let rest = &m[at + PHRASE.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'-').count();
    if !matches!(rest.get(digits), None | Some(b' ' | b';' | b'.' | b'\\' | b'"')) {
        return None;
    }
    let before = util::trim_end(&m[..open]);
    let image = rest[digits..].starts_with(b" (image: ");
    if !(image || before.is_empty() || before.ends_with(b":") || before.ends_with(b",") || before.ends_with(b" step")) {
        return None;
    }
    let mut r = record(whole_int(&rest[..digits])?);
    r.container = util::nonempty(name);
    Some(r)
}

/// The text between the first `open` in `m` and the `close` after it.
fn between<'a>(m: &'a [u8], open: &[u8], close: &[u8]) -> Option<&'a [u8]> {
    let s = util::find(m, open)? + open.len();
    let e = util::find(&m[s..], close)?;
    Some(&m[s..s + e])
}

/// A record of container `name` (a container name, no blanks) with `code`.
fn named(name: &[u8], code: i64, reason: Option<&[u8]>) -> Option<Record> {
    if name.is_empty() || name.len() > 253 || name.iter().any(|&b| util::is_blank(b) || b == b'"') {
        return None;
    }
    let mut r = record(code);
    r.container = util::nonempty(name);
    r.reason = reason.map(util::trim).filter(|v| !v.is_empty() && *v != b"None").and_then(util::nonempty);
    Some(r)
}

/// GitLab Runner's Kubernetes executor (executors/kubernetes):
/// `Error in container NAME: exit code: N, reason: 'R'` and its pod watcher's
/// `container NAME terminated with reason "R" (exit code N)`.
pub fn gitlab_container(msg: &[u8]) -> Option<Record> {
    if let Some(at) = util::find(msg, b"Error in container ") {
        let m = &msg[at + b"Error in container ".len()..];
        let colon = util::find(m, b": exit code: ")?;
        let rest = &m[colon + b": exit code: ".len()..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'-').count();
        let reason = between(rest, b", reason: '", b"'");
        return named(&m[..colon], whole_int(&rest[..digits])?, reason);
    }
    let at = util::find(msg, b"container ")?;
    let m = &msg[at + b"container ".len()..];
    let t = util::find(m, b" terminated with reason \"")?;
    let rest = &m[t + b" terminated with reason \"".len()..];
    let q = memchr::memchr(b'"', rest)?;
    let code = rest[q + 1..].strip_prefix(b" (exit code ").and_then(lead_int)?;
    named(&m[..t], code, Some(&rest[..q]))
}

/// Jenkins' Kubernetes plugin: `Container NAME was terminated (Exit Code: N,
/// Reason: R)`, and the fabric8 client's `[NAME]: ContainerStateTerminated(
/// containerID=..., exitCode=N, ..., reason=R, ...)`.
pub fn jenkins_container(msg: &[u8]) -> Option<Record> {
    if let Some(at) = util::find(msg, b" was terminated (Exit Code: ") {
        let start = util::rfind(&msg[..at], b"Container ")? + b"Container ".len();
        let rest = &msg[at + b" was terminated (Exit Code: ".len()..];
        let reason = between(rest, b", Reason: ", b")");
        return named(&msg[start..at], lead_int(rest)?, reason);
    }
    let at = util::find(msg, b"ContainerStateTerminated(")?;
    let body = &msg[at + b"ContainerStateTerminated(".len()..];
    let body = &body[..memchr::memchr(b')', body).unwrap_or(body.len())];
    let field = |k: &[u8]| -> Option<&[u8]> {
        body.split(|&b| b == b',').map(util::trim).find_map(|f| f.strip_prefix(k)?.strip_prefix(b"="))
    };
    let code = field(b"exitCode").and_then(whole_int)?;
    let before = util::trim_end(&msg[..at]);
    let name =
        before.strip_suffix(b"]:").and_then(|b| memchr::memrchr(b'[', b).map(|o| &b[o + 1..])).unwrap_or_default();
    let mut r = named(name, code, field(b"reason").filter(|r| *r != b"null")).unwrap_or_else(|| record(code));
    r.container_id = field(b"containerID").filter(|v| *v != b"null").and_then(util::nonempty);
    r.finished_at = field(b"finishedAt").and_then(|t| std::str::from_utf8(t).ok()).and_then(util::when::rfc3339);
    Some(r)
}

/// A `Terminated` row of Nomad's `nomad alloc status` Recent Events table
/// (`command/alloc_status.go`: `Time|Type|Description` laid out with two
/// blanks between columns; the description is `Exit Code: N`, then
/// `, Signal: N` when there was one and `, Exit Message: "..."` when there is
/// one). The time is when the task ended. Nomad's docker driver says `OOM
/// Killed` for a container docker reports OOMKilled. The task is named on
/// the `Task "NAME" is "STATE"` line above the table.
pub fn nomad_terminated(msg: &[u8]) -> Option<Record> {
    const TYPE: &[u8] = b"Terminated  ";
    let at = util::find(msg, TYPE)?;
    let time = util::trim(&msg[..at]);
    let finished = match time {
        // (The time may have been taken off as the line's own timestamp.)
        b"" => None,
        t => Some(util::when::rfc3339(std::str::from_utf8(t).ok()?)?),
    };
    let desc = util::trim_start(&msg[at + TYPE.len()..]).strip_prefix(b"Exit Code: ")?;
    let digits = desc.iter().take_while(|b| b.is_ascii_digit() || **b == b'-').count();
    let code = whole_int(&desc[..digits])?;
    let mut rest = util::trim_end(&desc[digits..]);
    let mut r = record(code);
    r.hints.ended_at_line_time = finished.is_none();
    r.finished_at = finished;
    if let Some(sig) = rest.strip_prefix(b", Signal: ") {
        let n = sig.iter().take_while(|b| b.is_ascii_digit()).count();
        r.stated_signal = whole_int(&sig[..n]).and_then(crate::code::Signal::new);
        rest = &sig[n..];
    }
    if let Some(m) = rest.strip_prefix(b", Exit Message: \"").and_then(|m| m.strip_suffix(b"\"")) {
        // (Go's `%q` escapes are YAML's double-quoted ones.)
        let m = crate::parse::doc::unescape_double(&String::from_utf8_lossy(m));
        if m == "OOM Killed" {
            r.mark_oom_killed();
        }
        r.message = Some(Str::from(m.trim())).filter(|m| !m.is_empty());
    } else if !rest.is_empty() {
        return None;
    }
    Some(r)
}

/// The task of a `nomad alloc status` section: `Task "web" is "dead"`.
pub fn nomad_task(msg: &[u8]) -> Option<Str> {
    let rest = util::trim(msg).strip_prefix(b"Task \"")?;
    let q = memchr::memchr(b'"', rest)?;
    let after = rest[q + 1..].strip_prefix(b" is \"")?;
    (after.ends_with(b"\"") && q > 0).then(|| util::text(&rest[..q]))
}

/// Airflow's KubernetesPodOperator: `Pod failed because of R (container:
/// NAME, exit code: N)`.
pub fn airflow_pod_failed(msg: &[u8]) -> Option<Record> {
    let at = util::find(msg, b" (container: ")?;
    let rest = &msg[at + b" (container: ".len()..];
    let comma = util::find(rest, b", exit code: ")?;
    let code = lead_int(&rest[comma + b", exit code: ".len()..])?;
    let before = &msg[..at];
    let reason = util::find(before, b"because of ").map(|b| &before[b + b"because of ".len()..]);
    named(&rest[..comma], code, reason)
}

/// The Kubeflow Spark operator's SparkApplication error message (its
/// controller's `driver container failed with ExitCode: %d, Reason: %s`, set
/// when the driver's container terminated with a non-zero code), as the
/// application's `errorMessage` / `Error Message:` or a
/// `SparkApplicationFailed` event's text. The driver container is not named.
pub fn spark_operator_driver(msg: &[u8]) -> Option<Record> {
    const PHRASE: &[u8] = b"driver container failed with ExitCode: ";
    let at = util::find(msg, PHRASE)?;
    let rest = &msg[at + PHRASE.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'-').count();
    let mut r = record(whole_int(&rest[..digits])?);
    if let Some(reason) = rest[digits..].strip_prefix(b", Reason: ") {
        let n = reason.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        r.reason = util::nonempty(&reason[..n]);
    }
    Some(r)
}

/// Fly Machines' init on the main process of the machine's image ending on
/// its own: `Main child exited normally with code: N`, as `fly logs` prints
/// it (`TIME app[MACHINE] REGION [info] INFO Main child ...`); the machine's
/// ID is the pod, the unit Fly schedules. (Helpers it also runs, such as
/// `hallpass exited, pid: N, status: ...`, are no container.)
pub fn fly_main_child(msg: &[u8]) -> Option<Record> {
    const PHRASE: &[u8] = b"Main child exited normally with code: ";
    let at = util::find(msg, PHRASE)?;
    let mut r = record(lead_int(&msg[at + PHRASE.len()..])?);
    let before = &msg[..at];
    // (A prefix without its `]` leaves the exit without a pod.)
    if let Some(open) = util::find(before, b"app[") {
        let id = &before[open + 4..];
        if let Some(close) = memchr::memchr(b']', id) {
            r.pod = util::nonempty(&id[..close]).filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }
    Some(r)
}

/// Heroku's dyno manager on a dyno's process ending: `heroku[web.1]:
/// Process exited with status N` (the dyno, `web.1`, is the container).
pub fn heroku_dyno(msg: &[u8]) -> Option<Record> {
    let (dyno, text) = heroku_line(msg)?;
    let code = lead_int(text.strip_prefix(b"Process exited with status ")?)?;
    let mut r = record(code);
    r.container = util::nonempty(dyno);
    Some(r)
}

/// Render's deploy and service logs on the service's (or its pre-deploy
/// command's) process ending: `==> Exited with status N`.
pub fn render_exit(msg: &[u8]) -> Option<Record> {
    const PHRASE: &[u8] = b"==> Exited with status ";
    let at = util::find(msg, PHRASE)?;
    let rest = &msg[at + PHRASE.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || !rest[digits..].iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    Some(record(whole_int(&rest[..digits])?))
}

/// A line of Heroku's dyno manager: the dyno it names and its text
/// (`heroku[web.1]: Error R15 (Memory quota vastly exceeded)`).
pub fn heroku_line(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = util::find(msg, b"heroku[")?;
    let rest = &msg[at + b"heroku[".len()..];
    let close = memchr::memchr(b']', rest)?;
    let dyno = &rest[..close];
    let text = rest[close + 1..].strip_prefix(b": ")?;
    let ok = !dyno.is_empty() && dyno.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    ok.then_some((dyno, text))
}

/// The header of `argo get`'s node table (`STEP  TEMPLATE  PODNAME
/// DURATION  MESSAGE`, `-o wide` and `-o short` too): where its PODNAME
/// column starts and ends, in characters (Go's tabwriter aligns the columns
/// by characters, and the tree's `├─✖` are several bytes each).
pub fn argo_table_header(line: &[u8]) -> Option<(usize, usize)> {
    let line = std::str::from_utf8(line).ok()?;
    if !line.starts_with("STEP ") || !line.contains("  TEMPLATE  ") {
        return None;
    }
    let pod = line.find("  PODNAME  ")? + 2;
    let duration = line.find("  DURATION")? + 2;
    (pod < duration).then(|| (line[..pod].chars().count(), line[..duration].chars().count()))
}

/// A row's cell in the character columns `[from, to)`, when it is a pod name.
pub fn argo_pod_cell(row: &[u8], (from, to): (usize, usize)) -> Option<Str> {
    let row = std::str::from_utf8(row).ok()?;
    let cell: String = row.chars().skip(from).take(to - from).collect();
    let cell = cell.trim();
    util::is_dns_name(cell.as_bytes()).then(|| cell.into())
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

/// A line of Spark's pod state listing (`KubernetesUtils.formatPodState`):
/// a `key: value` pair with a lowercase key (`pod name`, `namespace`,
/// `container started at`, ...). `None` for any other line.
pub fn status_pair(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let t = util::trim(msg);
    let colon = memchr::memchr(b':', t)?;
    let key = &t[..colon];
    key.iter().all(|b| b.is_ascii_lowercase() || *b == b' ').then(|| (key, util::trim(&t[colon + 1..])))
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

    /// A code and a name (pod or reason), or nothing.
    type Want<'a> = Option<(i64, Option<&'a str>)>;

    #[test]
    fn render_exits() {
        let t: [(&str, Option<i64>); 5] = [
            ("==> Exited with status 1", Some(1)),
            ("2025-07-20T19:05:20.162131387Z ==> Exited with status 127", Some(127)),
            ("14) [2026-04-27T15:43:39.743147449Z] [-] ==> Exited with status 1", Some(1)),
            ("==> Exited with status 1 (see above)", None),
            ("Exited with status 1", None),
        ];
        for (l, want) in t {
            assert_eq!(render_exit(l.as_bytes()).and_then(|r| r.raw_exit_code), want, "{l}");
        }
    }

    #[test]
    fn heroku_dyno_exits() {
        let t: [(&str, Want); 5] = [
            (
                "2019-04-04T16:59:31.241084+00:00 heroku[web.1]: Process exited with status 137",
                Some((137, Some("web.1"))),
            ),
            ("heroku[worker.2]: Process exited with status 1", Some((1, Some("worker.2")))),
            ("2019-04-04T16:59:31.076474+00:00 heroku[web.1]: Stopping process with SIGKILL", None),
            ("2019-04-04T16:59:31.241084+00:00 app[web.1]: Process exited with status 137", None),
            ("heroku[web 1]: Process exited with status 137", None),
        ];
        for (l, want) in t {
            let got = heroku_dyno(l.as_bytes()).map(|r| (r.raw_exit_code.unwrap_or(i64::MIN), r.container));
            assert_eq!(got, want.map(|(c, n)| (c, n.map(Str::from))), "{l}");
        }
    }

    #[test]
    fn fly_main_child_exits() {
        let t: [(&str, Want); 5] = [
            (
                "2023-11-15T03:55:24.063 app[683d92dce34dd8] lhr [info] INFO Main child exited normally with code: 1",
                Some((1, Some("683d92dce34dd8"))),
            ),
            ("INFO Main child exited normally with code: 0", Some((0, None))),
            ("2023-11-15T03:55:24.067 app[683d92dce34dd8] lhr [info] WARN hallpass exited, pid: 306, status: signal: 15 (SIGTERM)", None),
            ("Main child exited normally with code: ", None),
            ("app[683d92dce34dd8 INFO Main child exited normally with code: 2", Some((2, None))),
        ];
        for (l, want) in t {
            let got = fly_main_child(l.as_bytes()).map(|r| (r.raw_exit_code.unwrap_or(i64::MIN), r.pod));
            assert_eq!(got, want.map(|(c, p)| (c, p.map(Str::from))), "{l}");
        }
    }

    #[test]
    fn spark_operator_driver_messages() {
        let t: [(&str, Want); 6] = [
            ("    Error Message:  driver container failed with ExitCode: 101, Reason: Error", Some((101, Some("Error")))),
            ("    errorMessage: 'driver container failed with ExitCode: 1, Reason: Error'", Some((1, Some("Error")))),
            (
                r#"        "errorMessage": "driver container failed with ExitCode: 137, Reason: OOMKilled","#,
                Some((137, Some("OOMKilled"))),
            ),
            (
                "spark   2m   Warning   SparkApplicationFailed   sparkapplication/etl   SparkApplication etl failed: driver container failed with ExitCode: 137, Reason: OOMKilled",
                Some((137, Some("OOMKilled"))),
            ),
            ("driver container failed with ExitCode: 1", Some((1, None))),
            ("    Error Message:  driver container status missing", None),
        ];
        for (l, want) in t {
            let got = spark_operator_driver(l.as_bytes()).map(|r| (r.raw_exit_code.unwrap_or(i64::MIN), r.reason));
            assert_eq!(got, want.map(|(c, r)| (c, r.map(Str::from))), "{l}");
        }
    }

    #[test]
    fn nomad_events() {
        type Want<'a> = (i64, Option<u8>, Option<&'a str>, Option<&'a str>, Option<&'a str>);
        let t: [(&str, Option<Want>); 9] = [
            (
                r#"2024-01-28T09:05:11Z  Terminated  Exit Code: 137, Exit Message: "OOM Killed""#,
                Some((137, None, Some("OOMKilled"), Some("OOM Killed"), Some("2024-01-28T09:05:11Z"))),
            ),
            (
                "2024-01-28T08:01:02Z  Terminated  Exit Code: 1",
                Some((1, None, None, None, Some("2024-01-28T08:01:02Z"))),
            ),
            (
                "2024-01-28T07:00:00+01:00  Terminated  Exit Code: 0, Signal: 15",
                Some((0, Some(15), None, None, Some("2024-01-28T06:00:00Z"))),
            ),
            (
                r#"2024-01-28T09:05:11Z  Terminated      Exit Code: 2, Exit Message: "Docker container exited with non-zero exit code: 2""#,
                Some((
                    2,
                    None,
                    None,
                    Some("Docker container exited with non-zero exit code: 2"),
                    Some("2024-01-28T09:05:11Z"),
                )),
            ),
            // The time taken off as the line's timestamp.
            ("  Terminated  Exit Code: 3", Some((3, None, None, None, None))),
            ("2024-01-28T09:05:11Z  Restarting  Task restarting in 16.2s", None),
            ("the job Terminated  Exit Code: 1", None),
            ("2024-01-28T09:05:11Z  Terminated  Exit Code: 1 and more", None),
            ("2024-01-28T09:05:11Z  Terminated  Exit Code: x", None),
        ];
        for (l, want) in t {
            let got = nomad_terminated(l.as_bytes()).map(|r| {
                (
                    r.raw_exit_code.unwrap_or(i64::MIN),
                    r.stated_signal.map(|s| s.0),
                    r.reason.map(|s| s.to_string()),
                    r.message.map(|s| s.to_string()),
                    r.finished_at.map(|s| s.to_string()),
                )
            });
            let want =
                want.map(|(c, s, r, m, f)| (c, s, r.map(str::to_string), m.map(str::to_string), f.map(str::to_string)));
            assert_eq!(got, want, "{l}");
        }
        assert_eq!(nomad_task(br#"Task "app" is "running""#).as_deref(), Some("app"));
        assert_eq!(nomad_task(br#"Task "" is "dead""#), None);
        assert_eq!(nomad_task(b"Task Resources:"), None);
    }

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
            // Round 6: describe's aligned Message:, an event row, a timestamp.
            (
                r#"      Message:               "step-a" exited with code 1 (image: "ubuntu"); for logs run: kubectl -n default logs p -c step-a"#,
                "step-a",
                1,
            ),
            (
                r#"Warning  Failed  10m   taskrun-controller  "step-pr-source-pullrequest-4cxr4" exited with code 1 (image: "docker.io/x@sha256:d4e1"); for logs run: kubectl -n default logs pullrequest-pod-dqfjf -c step-pr-source-pullrequest-4cxr4"#,
                "step-pr-source-pullrequest-4cxr4",
                1,
            ),
            (r#"2020-01-21T10:00:00Z "step-a" exited with code 1 (image: "ubuntu"); ..."#, "step-a", 1),
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
            r#"the "prepare" exited with code 12"#,
        ] {
            assert!(tekton_step(line.as_bytes()).is_none(), "{line}");
        }
    }

    /// Round 6 (CI systems); the names are the sources' own.
    #[test]
    fn ci_systems() {
        type Parse = fn(&[u8]) -> Option<Record>;
        let cases: [(&str, Parse, &str, i64, Option<&str>); 6] = [
            ("ERROR: Job failed (system failure): Error in container build: exit code: 137, reason: 'OOMKilled'", gitlab_container, "build", 137, Some("OOMKilled")),
            (r#"container build terminated with reason "OOMKilled" (exit code 137)"#, gitlab_container, "build", 137, Some("OOMKilled")),
            ("jenkins/test-jenkins-15-s5m9r-gz6zc-bgvq9 Container jnlp was terminated (Exit Code: 1, Reason: Error)", jenkins_container, "jnlp", 1, Some("Error")),
            ("Container is terminated jenkins-agent-f103c [jnlp]: ContainerStateTerminated(containerID=containerd://7a7bbb3cbbac, exitCode=1, finishedAt=2022-12-09T14:43:03Z, message=null, reason=Error, signal=null, startedAt=2022-12-09T14:43:03Z, additionalProperties={})", jenkins_container, "jnlp", 1, Some("Error")),
            ("Pod failed because of OOMKilled (container: base, exit code: 137)", airflow_pod_failed, "base", 137, Some("OOMKilled")),
            ("ERROR: Job failed: Error in container helper: exit code: 1, reason: 'Error'", gitlab_container, "helper", 1, Some("Error")),
        ];
        for (line, parse, name, code, reason) in cases {
            let r = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(
                (r.container.as_deref(), r.raw_exit_code, r.reason.as_deref()),
                (Some(name), Some(code), reason),
                "{line}"
            );
        }
        for line in [
            "ERROR: Job failed: command terminated with exit code 1",
            "ERROR: Job failed: prepare environment: exit code 255",
            "the container was terminated (Exit Code: see above)",
        ] {
            let b = line.as_bytes();
            assert!(
                gitlab_container(b).or_else(|| jenkins_container(b)).or_else(|| airflow_pod_failed(b)).is_none(),
                "{line}"
            );
        }
    }

    #[test]
    fn argo_table_columns() {
        let header = "STEP              TEMPLATE       PODNAME                            DURATION  MESSAGE";
        let cols = argo_table_header(header.as_bytes());
        assert_eq!(cols, Some((33, 68)));
        let row = " ├─✖ hello2a      print-message  steps-xhkfh-print-message-3457283  6s        Error (exit code 1)";
        assert_eq!(argo_pod_cell(row.as_bytes(), (33, 68)).as_deref(), Some("steps-xhkfh-print-message-3457283"));
        // (By bytes the cell would start inside the pod name.)
        assert_ne!(row.find("steps-xhkfh-print"), Some(33));
        let group = " ✖ steps-xhkfh    hello-hello                                                 child 'x' failed";
        assert_eq!(argo_pod_cell(group.as_bytes(), (33, 68)), None);
        assert_eq!(argo_pod_cell(b"short", (33, 68)), None);
        assert_eq!(argo_table_header(b"STEP TEMPLATE PODNAME"), None);
        assert_eq!(argo_table_header(b"NAME  TEMPLATE  PODNAME  DURATION"), None);
        let wide = "STEP      TEMPLATE  PODNAME  DURATION  ARTIFACTS  MESSAGE  RESOURCESDURATION  NODENAME";
        assert_eq!(argo_table_header(wide.as_bytes()), Some((20, 29)));
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
        assert_eq!(status_pair(b"\t pod name: spark-pi-driver"), Some((&b"pod name"[..], &b"spark-pi-driver"[..])));
        assert_eq!(
            status_pair(b"\t\t container started at: 2023-05-10T12:00:05Z"),
            Some((&b"container started at"[..], &b"2023-05-10T12:00:05Z"[..]))
        );
        assert_eq!(status_pair(b"\t container status: "), Some((&b"container status"[..], &b""[..])));
        assert_eq!(status_pair(b"pod name: x"), Some((&b"pod name"[..], &b"x"[..])));
        assert_eq!(status_pair(b"  Warning  Failed: x"), None);
        assert_eq!(status_pair(b"  no colon here"), None);
        assert_eq!(status_reason(b"     termination reason: Error ").as_deref(), Some("Error"));
        assert!(is_exec_exit(b"command terminated with exit code 137"));
    }
}
