//! kubelet journal lines. The one line that carries an exit code is the PLEG
//! relist's (`pkg/kubelet/pleg/generic.go`):
//!
//! ```text
//! generic.go:334] "Generic (PLEG): container finished" podID="<uid>" containerID="<id>" exitCode=137
//! generic.go:412] "Generic (PLEG): container finished" pod="<ns>/<pod>" podUID="<uid>" containerName="<name>" containerID="<id>" exitCode=137
//! ```
//!
//! `ContainerDied` PLEG events, probe failures and `Killing container` lines
//! carry no code and give no record. The kill message the kubelet gives a
//! container whose liveness or startup probe failed (`Container NAME failed
//! liveness probe, will be restarted`, in its `Message for Container of pod`
//! line and in the `Killing` event) is evidence for the exit that follows
//! ([`probe_kill`]).
//!
//! Older kubelets' status manager (and e2e test frameworks) print a pod's
//! status as a Go value (`%+v`), one record per terminated state in it:
//!
//! ```text
//! Status for pod "x" updated successfully: (5, {Phase:Failed ContainerStatuses:[{Name:deployment State:{Waiting:nil Running:nil
//!   Terminated:&ContainerStateTerminated{ExitCode:0,Signal:0,Reason:Completed,Message:,StartedAt:2019-05-11 21:33:30 +0000 UTC,...
//! ```

use crate::code::Signal;
use crate::parse::util::{self, logfmt, unquote, when};
use crate::parse::Evidence;
use crate::record::{Format, Record, State, Str};

/// `"Generic (PLEG): container finished" ... exitCode=N`
pub fn parse(msg: &[u8]) -> Option<Record> {
    if !util::contains(msg, b"container finished") {
        return None;
    }
    let code = util::whole_int(logfmt(msg, b"exitCode")?)?;
    let mut r = Record::new(Format::Kubelet);
    r.log_time = klog_time(msg);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    let id = logfmt(msg, b"containerID").map(unquote).and_then(util::nonempty);
    // kubernetes/kubernetes#139654 adds `containerName="..."` to the line;
    // older kubelets only give the container's id.
    let name = logfmt(msg, b"containerName").map(unquote).and_then(util::nonempty);
    r.container = name.or_else(|| id.clone());
    r.container_id = id;
    // Newer kubelets also print `pod="ns/name"`.
    if let Some(pod) = logfmt(msg, b"pod").map(unquote) {
        if let Some(slash) = memchr::memchr(b'/', pod) {
            r.namespace = util::nonempty(&pod[..slash]);
            r.pod = util::nonempty(&pod[slash + 1..]);
        }
    }
    Some(r)
}

/// The grace period of the kubelet's stop of container `id` (its id without
/// the runtime's `containerd://`), when `msg` is that line (`killContainer`
/// in kuberuntime_container.go, logged at `-v=2`):
///
/// ```text
/// kuberuntime_container.go:809] "Killing container with a grace period" pod="ns/web" podUID="<uid>" containerName="web" containerID="containerd://<id>" gracePeriod=30
/// ```
///
/// (`... with a grace period override` is a forced delete's.) The kubelet
/// sent SIGTERM and runs the preStop hook; a 137 of that container after it
/// is SIGKILL when the grace period ran out.
pub fn grace_kill(msg: &[u8], id: &str) -> Option<i64> {
    util::find(msg, b"\"Killing container with a grace period")?;
    let named = logfmt(msg, b"containerID").map(unquote)?;
    let named = std::str::from_utf8(named).ok()?;
    if util::without_scheme(named) != util::without_scheme(id) {
        return None;
    }
    util::whole_int(logfmt(msg, b"gracePeriod")?)
}

/// The kubelet's `Container NAME failed liveness probe, will be restarted`
/// (or `startup`; `computePodActions` in kuberuntime_manager.go): in its
/// journal line, `"Message for Container of pod" containerName="app"
/// containerStatusID={"Type":"containerd","ID":"<id>"} pod="ns/name"
/// containerMessage="..."`; in a `kubectl get events` row, after the
/// object `pod/NAME`. Names the container, and its id or pod when the line
/// gives them.
pub fn probe_kill(msg: &[u8]) -> Option<Evidence> {
    let at = util::find(msg, b" failed liveness probe, will be restarted")
        .or_else(|| util::find(msg, b" failed startup probe, will be restarted"))?;
    let open = memchr::memmem::rfind(&msg[..at], b"Container ")?;
    let name = &msg[open + b"Container ".len()..at];
    if !util::is_dns_name(name) {
        return None;
    }
    let container_id =
        util::find(msg, b"containerStatusID=").and_then(|p| status_id(&msg[p..])).and_then(util::nonempty);
    let pod = logfmt(msg, b"pod").map(unquote).and_then(util::nonempty).or_else(|| {
        // `kubectl get events`: `... Killing  pod/web-1  Container app failed ...`.
        let p = util::find(&msg[..open], b"pod/")?;
        let rest = &msg[p + 4..open];
        let end = rest.iter().position(|&b| util::is_blank(b)).unwrap_or(rest.len());
        util::nonempty(&rest[..end])
    });
    Some(Evidence::ProbeKill { container_id, pod, container: util::nonempty(name) })
}

/// The id in `containerStatusID={"Type":"containerd","ID":"<id>"}` (or the
/// Go form `{Type:containerd ID:<id>}`).
fn status_id(s: &[u8]) -> Option<&[u8]> {
    let s = &s[..memchr::memchr(b'}', s)?];
    let (p, quoted) = match util::find(s, b"\"ID\":\"") {
        Some(p) => (p + b"\"ID\":\"".len(), true),
        None => (util::find(s, b" ID:")? + b" ID:".len(), false),
    };
    let v = &s[p..];
    let end = v.iter().position(|&b| if quoted { b == b'"' } else { util::is_blank(b) }).unwrap_or(v.len());
    Some(&v[..end])
}

/// Each `Terminated:&ContainerStateTerminated{...}` of a pod status printed
/// as a Go value. Its fields come in the order of the API type (`ExitCode`,
/// `Signal`, `Reason`, `Message`, `StartedAt`, `FinishedAt`, `ContainerID`),
/// so a message holding commas is cut at the next field's name. The
/// container is the `{Name:` of the status around it; `LastTerminationState`
/// makes it the last state, `InitContainerStatuses` an init container.
pub fn status_dump(msg: &[u8]) -> Vec<Record> {
    const OPEN: &[u8] = b"Terminated:&ContainerStateTerminated{";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = util::find(&msg[from..], OPEN) {
        let at = from + at;
        from = at + OPEN.len();
        let body = &msg[from..];
        let body = &body[..util::find(body, b",}").unwrap_or(body.len())];
        // The value of `key`, up to the next field's name.
        let field = |key: &[u8], next: &[u8]| -> Option<&[u8]> {
            let s = util::find(body, key)? + key.len();
            let rest = &body[s..];
            Some(&rest[..util::find(rest, next).unwrap_or(rest.len())])
        };
        let Some(code) = field(b"ExitCode:", b",").and_then(util::whole_int) else { continue };
        let before = &msg[..at];
        let mut r = Record::new(Format::Kubelet);
        r.raw_exit_code = Some(code);
        r.stated_signal = field(b",Signal:", b",").and_then(util::whole_int).filter(|&s| s != 0).and_then(Signal::new);
        r.reason = field(b",Reason:", b",Message:").and_then(util::nonempty);
        r.message = field(b",Message:", b",StartedAt:").and_then(util::nonempty);
        let time = |v: Option<&[u8]>| v.and_then(|t| std::str::from_utf8(t).ok()).and_then(when::go);
        r.started_at = time(field(b",StartedAt:", b",FinishedAt:"));
        r.finished_at = time(field(b",FinishedAt:", b",ContainerID:"));
        r.container_id = field(b",ContainerID:", b",").and_then(util::nonempty);
        let state = util::rfind(before, b"State:{");
        let last = state.is_some_and(|s| before[..s].ends_with(b"LastTermination"));
        r.state = Some(if last { State::LastTerminated } else { State::Terminated });
        if let Some(n) = util::rfind(before, b"{Name:") {
            let name = &before[n + b"{Name:".len()..];
            r.container = util::nonempty(&name[..name.iter().position(|&b| b == b' ').unwrap_or(name.len())]);
        }
        r.init = util::rfind(before, b"ContainerStatuses:[").map(|s| before[..s].ends_with(b"Init"));
        r.log_time = klog_time(msg);
        // kubelet's `format.Pod`: `"name_namespace(uid)"`.
        if let Some(p) = util::find(before, b"Status for pod \"") {
            let pod = &before[p + b"Status for pod \"".len()..];
            let pod = &pod[..pod.iter().position(|&b| b == b'(' || b == b'"').unwrap_or(pod.len())];
            if let Some(u) = memchr::memchr(b'_', pod) {
                r.pod = util::nonempty(&pod[..u]);
                r.namespace = util::nonempty(&pod[u + 1..]);
            }
        }
        out.push(r);
    }
    out
}

/// The time in a klog header: `I0128 09:05:11.123456    2231 file.go:1] ...`.
fn klog_time(msg: &[u8]) -> Option<Str> {
    let m = util::trim_start(msg);
    let head = m.get(..21)?;
    let ok = matches!(head[0], b'I' | b'W' | b'E' | b'F')
        && head[1..5].iter().all(u8::is_ascii_digit)
        && head[5] == b' '
        && head[14] == b'.';
    ok.then(|| Str::from(String::from_utf8_lossy(&head[1..21])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_kills() {
        let line = r#"I0507 11:59:34.518822    3224 kuberuntime_container.go:745] "Killing container with a grace period" pod="hosted-grafana/api-9csb4" podUID="25cb986c" containerName="hgapi" containerID="containerd://c91436db0092" gracePeriod=30"#;
        assert_eq!(grace_kill(line.as_bytes(), "c91436db0092"), Some(30));
        assert_eq!(grace_kill(line.as_bytes(), "containerd://c91436db0092"), Some(30));
        assert_eq!(grace_kill(line.as_bytes(), "c91436db0093"), None, "another container");
        assert_eq!(grace_kill(line.as_bytes(), "c91436db009"), None, "a shorter id is another one");
        let forced = r#"kuberuntime_container.go:787] "Killing container with a grace period override" pod="p/g" podUID="8b" containerName="c" containerID="containerd://62e0" gracePeriod=1"#;
        assert_eq!(grace_kill(forced.as_bytes(), "62e0"), Some(1));
        // The probe's kill message and the event carry no id and no grace period.
        let event = r#""Message for Container of pod" containerName="app" containerStatusID={"Type":"containerd","ID":"62e0"} pod="p/g" containerMessage="Container app failed liveness probe, will be restarted""#;
        assert_eq!(grace_kill(event.as_bytes(), "62e0"), None);
        assert_eq!(
            grace_kill(br#""Killing container with a grace period" containerID="containerd://62e0""#, "62e0"),
            None
        );
    }

    #[test]
    fn table() {
        let ok = [
            (
                r#"I0128 09:05:11.123456    2231 generic.go:334] "Generic (PLEG): container finished" podID="9c1e" containerID="4f2a" exitCode=137"#,
                137,
                "4f2a",
            ),
            (r#"generic.go:334] "Generic (PLEG): container finished" podID="x" containerID="ab" exitCode=0"#, 0, "ab"),
            (
                r#""Generic (PLEG): container finished" pod="shop/web-1" podID="x" containerID="cd" exitCode=-1"#,
                -1,
                "cd",
            ),
        ];
        for (line, code, id) in ok {
            let r = parse(line.as_bytes()).unwrap_or_else(|| panic!("{line}"));
            assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(code), Some(id)));
        }
        let r = parse(br#"I0128 09:05:11.123456    2231 generic.go:334] "Generic (PLEG): container finished" containerID="cd" exitCode=1"#).unwrap();
        assert_eq!(r.log_time.as_deref(), Some("0128 09:05:11.123456"));
        let r = parse(br#""Generic (PLEG): container finished" pod="shop/web-1" containerID="cd" exitCode=1"#).unwrap();
        assert_eq!((r.namespace.as_deref(), r.pod.as_deref()), (Some("shop"), Some("web-1")));
        // Newer kubelets name the container.
        let r = parse(br#"generic.go:412] "Generic (PLEG): container finished" pod="ns/p" podUID="0137" containerName="my-container" containerID="7992" exitCode=137"#).unwrap();
        assert_eq!((r.container.as_deref(), r.container_id.as_deref()), (Some("my-container"), Some("7992")));
        let no = [
            r#"SyncLoop (PLEG): "x", event: &pleg.PodLifecycleEvent{ID:"2", Type:"ContainerDied", Data:"c5"}"#,
            r#""Probe failed" probeType="Liveness" pod="default/x" probeResult="failure""#,
            r#""Generic (PLEG): container finished" podID="x" containerID="ab" exitCode=abc"#,
            r#"exitCode=137 to be a good indication"#,
        ];
        for line in no {
            assert!(parse(line.as_bytes()).is_none(), "{line}");
        }
    }
    #[test]
    fn status_dumps() {
        // Two statuses: an init container's last state and an app
        // container's current one, with a message holding commas.
        let line = "I0511 21:33:59.240493    1001 status_manager.go:521] Status for pod \"web-1_shop(6a56e3b9)\" updated successfully: (5, {Phase:Failed InitContainerStatuses:[{Name:setup State:{Waiting:nil Running:&ContainerStateRunning{StartedAt:2019-05-11 21:33:20 +0000 UTC,} Terminated:nil} LastTerminationState:{Waiting:nil Running:nil Terminated:&ContainerStateTerminated{ExitCode:137,Signal:9,Reason:OOMKilled,Message:,StartedAt:2019-05-11 21:33:10 +0000 UTC,FinishedAt:2019-05-11 21:33:19 +0000 UTC,ContainerID:cri-o://i1,}} Ready:false RestartCount:1}] ContainerStatuses:[{Name:deployment State:{Waiting:nil Running:nil Terminated:&ContainerStateTerminated{ExitCode:1,Signal:0,Reason:Error,Message:failed: a, b, c,StartedAt:2019-05-11 21:33:30 +0000 UTC,FinishedAt:2019-05-11 21:33:58 +0000 UTC,ContainerID:cri-o://abc,}} LastTerminationState:{Waiting:nil Running:nil Terminated:nil} Ready:false RestartCount:0}]})";
        let recs = status_dump(line.as_bytes());
        let got: Vec<_> = recs
            .iter()
            .map(|r| {
                (
                    r.container.as_deref(),
                    r.raw_exit_code,
                    r.stated_signal.map(|s| s.0),
                    r.reason.as_deref(),
                    r.message.as_deref(),
                    r.state,
                    r.init,
                    r.container_id.as_deref(),
                    r.finished_at.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Some("setup"),
                    Some(137),
                    Some(9),
                    Some("OOMKilled"),
                    None,
                    Some(State::LastTerminated),
                    Some(true),
                    Some("cri-o://i1"),
                    Some("2019-05-11T21:33:19Z")
                ),
                (
                    Some("deployment"),
                    Some(1),
                    None,
                    Some("Error"),
                    Some("failed: a, b, c"),
                    Some(State::Terminated),
                    Some(false),
                    Some("cri-o://abc"),
                    Some("2019-05-11T21:33:58Z")
                ),
            ]
        );
        assert!(recs.iter().all(|r| (r.pod.as_deref(), r.namespace.as_deref()) == (Some("web-1"), Some("shop"))));
        assert!(status_dump(b"State:{Waiting:nil Running:&ContainerStateRunning{StartedAt:2019-05-11 21:33:20 +0000 UTC,} Terminated:nil}").is_empty());
    }

    #[test]
    fn probe_kills() {
        let kill = |id: Option<&str>, pod: Option<&str>, c: &str| {
            Some(Evidence::ProbeKill {
                container_id: id.map(Into::into),
                pod: pod.map(Into::into),
                container: Some(c.into()),
            })
        };
        let t: [(&str, Option<Evidence>); 8] = [
            (
                r#"I0516 18:34:49.885576    4052 kuberuntime_manager.go:1027] "Message for Container of pod" containerName="liveness" containerStatusID={"Type":"containerd","ID":"05657a9c673d"} pod="default/liveness-exec" containerMessage="Container liveness failed liveness probe, will be restarted""#,
                kill(Some("05657a9c673d"), Some("default/liveness-exec"), "liveness"),
            ),
            (
                r#"I0101 kuberuntime_manager.go:692] "Message for Container of pod" containerName="app" containerStatusID={Type:docker ID:9f8e7d} pod="shop/web-1" containerMessage="Container app failed startup probe, will be restarted""#,
                kill(Some("9f8e7d"), Some("shop/web-1"), "app"),
            ),
            (
                "13s         Normal    Killing     pod/liveness-http   Container liveness failed liveness probe, will be restarted",
                kill(None, Some("liveness-http"), "liveness"),
            ),
            (
                "  Normal   Killing    13s (x3 over 52s)  kubelet            Container liveness failed liveness probe, will be restarted",
                kill(None, None, "liveness"),
            ),
            ("Container My_App failed liveness probe, will be restarted", None),
            ("our container failed liveness probe, will be restarted", None),
            ("Container app failed readiness probe, will be restarted", None),
            ("Liveness probe failed: HTTP probe failed with statuscode: 500", None),
        ];
        for (line, want) in t {
            assert_eq!(probe_kill(line.as_bytes()), want, "{line}");
        }
    }
}
