//! Docker and podman, in the shapes an SRE pastes or a node logs:
//!
//! ```text
//! docker ps -a      7dc50529899f  busybox  "sh"  18 seconds ago  Exited (137) 3 seconds ago    loving_jang
//! compose v1 ps     some-service1   /usr/sbin/entrypoint.sh ...   Exit 137
//! compose v2        web-1 exited with code 137
//! docker events     2026-...Z container die 6d73... (exitCode=3, image=busybox, name=exit3)
//! podman events     ... container died 319d... (image=..., name=x, containerExitCode=3)
//! events (JSON)     {"status":"die","id":"...","Actor":{"Attributes":{"exitCode":"137","name":"oom"}},...}
//! libcontainerd     event-info={<id> init <pid> <exit code> <time> ...} container=<id> event=exit
//! swarm task        x2kqz0n4rj8k  \_ web.1  nginx:1.25  node-1  Shutdown  Failed 2 minutes ago  "task: non-zero exit (137)"
//! dockerd (swarm)   level=error msg="fatal task error" error="task: non-zero exit (137)" module=node/agent/taskmanager ...
//! ```
//!
//! `docker inspect` documents are read by [`crate::parse::doc`]. A `remove`
//! event repeats the last exit code and is not an exit; `oom` events are
//! evidence for the next exit of that container.

use crate::parse::util::{self, lead_int, logfmt, table_fields, whole_int};
use crate::parse::Evidence;
use crate::record::{Format, Record, State, Str};

fn record(code: i64, container: Option<Str>) -> Record {
    let mut r = Record::new(Format::Docker);
    r.raw_exit_code = Some(code);
    r.state = Some(State::Terminated);
    r.container = container;
    name_pod(&mut r);
    r
}

/// The pod and namespace in the name the kubelet gives a container through
/// dockershim or cri-dockerd (`naming.go`: `k8s_<container>_<pod>_<namespace>_<pod
/// uid>_<attempt>`; the pod's sandbox is container `POD`). Kubernetes names
/// hold no `_`, so the split is exact.
pub fn dockershim_pod(name: &str) -> Option<(Str, Str)> {
    let mut parts = name.strip_prefix("k8s_")?.split('_');
    let (_container, pod, ns, uid, attempt) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let whole = parts.next().is_none() && [pod, ns, uid].iter().all(|p| !p.is_empty());
    (whole && !attempt.is_empty() && attempt.bytes().all(|b| b.is_ascii_digit())).then(|| (pod.into(), ns.into()))
}

/// Fills in `r`'s pod and namespace from a dockershim container name.
pub fn name_pod(r: &mut Record) {
    if let Some((pod, ns)) = r.container.as_deref().and_then(dockershim_pod) {
        r.pod = Some(pod);
        r.namespace = Some(ns);
    }
}

/// A `docker ps` / `podman ps` row with `Exited (N) ...`; the container is the
/// NAMES column, the last one. `docker compose ps` (v2) prints the NAME
/// first instead, and its early versions `exited (N)`: a row that does not
/// start with a container id names its container in the first column.
pub fn ps_row(msg: &[u8]) -> Option<Record> {
    let fields = table_fields(msg);
    let status = fields.iter().position(|f| f.starts_with(b"Exited (") || f.starts_with(b"exited ("))?;
    let code = exited_code(fields[status])?;
    // The CONTAINER ID column (12 hex digits, or 64 with --no-trunc).
    let id = fields.first().filter(|id| id.len() >= 12 && id.iter().all(u8::is_ascii_hexdigit));
    let name = match id {
        Some(_) => fields.last().filter(|_| status + 1 < fields.len()),
        None => fields.first().filter(|_| status > 0),
    };
    let mut r = record(code, name.and_then(|n| util::nonempty(n)));
    r.container_id = id.and_then(|id| util::nonempty(id));
    Some(r)
}

/// The code of a ps STATUS `Exited (137) 2 minutes ago` (compose v2's early
/// `exited (137)` too).
pub fn exited_code(status: &[u8]) -> Option<i64> {
    let inner = status.strip_prefix(b"Exited (").or_else(|| status.strip_prefix(b"exited ("))?;
    whole_int(&inner[..memchr::memchr(b')', inner)?])
}

/// A swarm task's error (swarmkit's container adapter, `exitError`:
/// `task: non-zero exit (N)`, or `task: non-zero exit (N): cause`) as
/// `docker service ps` / `docker stack ps` print it in a row (the task's
/// NAME, `web.1`, names it; a history row's name is marked `\_ `), as
/// `--format json` prints it (`"Name":"web.1"`), or as dockerd logs it
/// (`msg="fatal task error" error="task: ..."`). A task object's `"Err"`
/// (`docker inspect` of a task) is left to the document reader, which has
/// its `ContainerStatus`. The task's ID (`ID` column, `"ID"`, `task.id=`)
/// is the record's pod, as an ECS task's or a Nomad allocation's is: the
/// unit scheduled, and what tells one failed task from the next when
/// `docker service ps` is polled.
pub fn swarm_task(msg: &[u8]) -> Option<Record> {
    const ERR: &[u8] = b"task: non-zero exit (";
    let at = util::find(msg, ERR)?;
    let before = util::trim_end(&msg[..at]);
    if before.ends_with(b"\"Err\":") || before.ends_with(b"\"Err\": \"") || before.ends_with(b"\"Err\":\"") {
        return None;
    }
    let rest = &msg[at + ERR.len()..];
    let close = memchr::memchr(b')', rest)?;
    let code = whole_int(&rest[..close])?;
    let mut r = record(code, None);
    // `): cause"`, up to the quote that ends the error (or the line).
    if let Some(cause) = rest[close + 1..].strip_prefix(b": ") {
        let end = memchr::memchr(b'"', cause).map_or(cause.len(), |q| q - usize::from(q > 0 && cause[q - 1] == b'\\'));
        let cause = util::trim(&cause[..end]);
        // (`docker service ps` cuts the error at 30 characters, with `…`:
        // what is left of the cause says nothing.)
        if !cause.ends_with("…".as_bytes()) {
            r.message = util::nonempty(cause);
        }
    }
    let line = util::trim(msg);
    if line.starts_with(b"{") {
        let v: serde_json::Value = serde_json::from_slice(line).ok()?;
        r.container = v
            .get("Name")
            .and_then(|n| n.as_str())
            .map(|n| n.trim_start_matches("\\_ ").trim())
            .filter(|n| !n.is_empty())
            .map(Str::from);
        r.pod = v.get("ID").and_then(|n| n.as_str()).filter(|n| is_task_id(n.as_bytes())).map(Str::from);
    } else if util::contains(msg, b"msg=\"fatal task error\"") {
        r.pod = util::logfmt(msg, b"task.id").filter(|id| is_task_id(id)).and_then(util::nonempty);
    } else {
        // A row: ID, NAME, IMAGE, NODE, DESIRED STATE, CURRENT STATE, ERROR.
        let fields = table_fields(msg);
        let err = fields.iter().position(|f| util::contains(f, ERR))?;
        if err < 6 || !is_task_id(fields[0]) {
            return None;
        }
        let name = fields[1].strip_prefix(b"\\_ ").unwrap_or(fields[1]);
        r.container = util::nonempty(name);
        r.pod = util::nonempty(fields[0]);
    }
    Some(r)
}

/// A swarm task's ID as `docker service ps` prints it: 12 characters, or 25
/// with `--no-trunc` (lower-case letters and digits).
fn is_task_id(f: &[u8]) -> bool {
    matches!(f.len(), 12 | 25) && f.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A docker-compose v1 `ps` row: `name   command   Exit N   ports`.
pub fn compose_v1_row(msg: &[u8]) -> Option<Record> {
    let fields = table_fields(msg);
    let status = fields.iter().position(|f| f.starts_with(b"Exit ") && whole_int(&f[5..]).is_some())?;
    if status == 0 {
        return None;
    }
    let code = whole_int(&fields[status][5..])?;
    Some(record(code, util::nonempty(fields[0])))
}

/// docker compose v2: `web-1 exited with code 137` (the whole message).
pub fn compose_v2(msg: &[u8]) -> Option<Record> {
    let m = util::trim(msg);
    let at = util::find(m, b" exited with code ")?;
    let name = &m[..at];
    // (Compose names hold no quotes: `"step-a" exited with code 1` is Tekton's.)
    if name.is_empty() || name.iter().any(|&b| b == b' ' || b == b'\t' || b == b'"') {
        return None;
    }
    let code = whole_int(&m[at + b" exited with code ".len()..])?;
    Some(record(code, util::nonempty(name)))
}

/// `container die <id> (exitCode=137, image=..., name=oom)` and podman's `died`.
pub fn event_text(msg: &[u8]) -> Option<Record> {
    let at = util::find(msg, b"container die ").or_else(|| util::find(msg, b"container died "))?;
    let rest = &msg[at..];
    let rest = &rest[memchr::memchr(b' ', &rest[b"container ".len()..])? + b"container ".len() + 1..];
    let id_len = rest.iter().take_while(|&&b| b != b' ').count();
    let attrs = &rest[id_len..];
    let code = logfmt(attrs, b"exitCode").or_else(|| logfmt(attrs, b"containerExitCode")).and_then(whole_int)?;
    let mut r = record(code, logfmt(attrs, b"name").and_then(util::nonempty));
    r.container_id = util::nonempty(&rest[..id_len]);
    if r.container.is_none() {
        r.container = r.container_id.clone();
    }
    // The event's own time: docker keeps a container's id across restarts,
    // so only the time tells one die event of a crash loop from the next.
    r.log_time = util::nonempty(util::trim(&msg[..at]));
    Some(r)
}

/// `container oom <id> (image=..., name=oom)` (text) — evidence.
pub fn oom_event_text(msg: &[u8]) -> Option<Evidence> {
    let at = util::find(msg, b"container oom ")?;
    let rest = &msg[at + b"container oom ".len()..];
    let id_len = rest.iter().take_while(|&&b| b != b' ').count();
    let name = logfmt(&rest[id_len..], b"name").and_then(util::nonempty);
    Some(Evidence::Oom { container: name.or_else(|| util::nonempty(&rest[..id_len])), pid: None })
}

/// A docker / podman event as JSON: docker's (and podman's docker-compatible
/// API's) `{"Action":"die","Actor":{"ID":…,"Attributes":{"exitCode":"137",…}}}`,
/// and `podman events --format json`'s own `{"ID":…,"Name":…,"Status":"died",
/// "Type":"container","ContainerExitCode":137}`.
pub fn event_json(v: &serde_json::Value) -> Result<Option<Record>, Option<Evidence>> {
    let podman = v.get("Type").and_then(|t| t.as_str()) == Some("container") && v.get("Actor").is_none();
    // A field of podman's own event object.
    let own = |k: &str| if podman { v.get(k) } else { None };
    let action =
        v.get("Action").or_else(|| v.get("status")).or_else(|| own("Status")).and_then(|a| a.as_str()).unwrap_or("");
    let attrs = v.pointer("/Actor/Attributes").or_else(|| own("Attributes"));
    let attr = |k: &str| attrs.and_then(|a| a.get(k)).and_then(|x| x.as_str());
    let id =
        v.pointer("/Actor/ID").or_else(|| v.get("id")).or_else(|| own("ID")).and_then(|x| x.as_str()).map(Str::from);
    let name = attr("name").or_else(|| own("Name").and_then(|n| n.as_str()));
    let name = name.map(Str::from);
    match action {
        "die" | "died" => {
            let code = attr("exitCode")
                .or_else(|| attr("containerExitCode"))
                .and_then(|c| c.trim().parse::<i64>().ok())
                .or_else(|| own("ContainerExitCode").and_then(|c| c.as_i64()));
            let Some(code) = code else { return Ok(None) };
            let mut r = record(code, name.or_else(|| id.clone()));
            r.container_id = id;
            r.log_time = v
                .get("timeNano")
                .or_else(|| v.get("time"))
                .or_else(|| v.get("Time"))
                .map(|t| t.as_str().map_or_else(|| t.to_string().into(), Str::from));
            Ok(Some(r))
        }
        "oom" => Err(Some(Evidence::Oom { container: name.or(id), pid: None })),
        _ => Ok(None),
    }
}

/// Windows libcontainerd: `event-info={<id> init <pid> <code> ...} ... event=exit`.
/// The tuple may sit on the line before `event=exit` (wrapped event log output),
/// so the caller passes the text of both lines.
pub fn libcontainerd(text: &[u8]) -> Option<Record> {
    if !util::contains(text, b"event=exit") {
        return None;
    }
    let at = util::find(text, b"event-info={")?;
    let mut toks = text[at + b"event-info={".len()..].split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
    let id = toks.next()?;
    let _process = toks.next()?;
    let _pid = whole_int(toks.next()?)?;
    let code = lead_int(toks.next()?)?;
    Some(record(code, util::nonempty(id)).with_id())
}

trait WithId {
    fn with_id(self) -> Self;
}

impl WithId for Record {
    fn with_id(mut self) -> Self {
        self.container_id = self.container.clone();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brief(r: Option<Record>) -> Option<(i64, Option<Str>)> {
        r.map(|r| (r.raw_exit_code.unwrap_or(i64::MIN), r.container))
    }

    #[test]
    fn ps_rows() {
        let t = [
            ("7dc50529899f        busybox:latest      \"sh\"                18 seconds ago      Exited (-127) 3 seconds ago                       loving_jang         ", Some((-127, Some("loving_jang".into())))),
            ("6df8255dbf3a        scrapbook/x   \"/bin/sh -c ./launch…\"   7 seconds ago       Exited (1) 5 seconds ago                       restart-default", Some((1, Some("restart-default".into())))),
            ("a6bd1f7138e6   registry.local/web:1.0.6   \"/entrypoint.sh serve\"   2 hours ago   Exited (137) 3 minutes ago   web-1", Some((137, Some("web-1".into())))),
            ("INFO[0003] -job containers() = OK (0)", None),
            // docker compose ps (v2): NAME first; early versions print `exited (N)`.
            ("wwwsite-laravel.test-1   \"start-container\"        laravel.test        exited (137)", Some((137, Some("wwwsite-laravel.test-1".into())))),
            ("app-web-1   nginx:1.25   \"/docker-entrypoint.…\"   web   2 minutes ago   Exited (0) 1 minute ago", Some((0, Some("app-web-1".into())))),
        ];
        for (l, want) in t {
            assert_eq!(brief(ps_row(l.as_bytes())), want, "{l}");
        }
    }

    #[test]
    fn swarm_tasks() {
        let t = [
            ("x2kqz0n4rj8k   web.1       nginx:1.25   node-1    Shutdown        Failed 2 minutes ago     \"task: non-zero exit (137)\"   ", Some((137, Some("web.1".into())))),
            ("ab12cd34ef56    \\_ web.1   nginx:1.25   node-1    Shutdown        Failed 9 minutes ago     \"task: non-zero exit (1): co…\"", Some((1, Some("web.1".into())))),
            ("x2kqz0n4rj8kq5d1vj3mpa9lo   api.3   api:2.0@sha256:0f   node-2   Shutdown   Failed 1 hour ago   \"task: non-zero exit (2)\"   *:8080->8080/tcp", Some((2, Some("api.3".into())))),
            (r#"{"CurrentState":"Failed 2 minutes ago","DesiredState":"Shutdown","Error":"\"task: non-zero exit (139)\"","ID":"x2kqz0n4rj8k","Image":"nginx:1.25","Name":"web.2","Node":"node-1","Ports":""}"#, Some((139, Some("web.2".into())))),
            (r#"time="2024-01-28T09:05:11.5Z" level=error msg="fatal task error" error="task: non-zero exit (137)" module=node/agent/taskmanager node.id=n4rj8kq5d1vj3mpa9lox2kqz0 service.id=kq5d1vj3mpa9lox2kqz0n4rj8 task.id=x2kqz0n4rj8kq5d1vj3mpa9lo"#, Some((137, None))),
            // docker inspect of a task: the document reader's.
            (r#"            "Err": "task: non-zero exit (137)","#, None),
            ("task: non-zero exit (abc)", None),
            ("see the task: non-zero exit (1) note in the runbook", None),
        ];
        for (l, want) in &t {
            assert_eq!(&brief(swarm_task(l.as_bytes())), want, "{l}");
        }
        let r = swarm_task(br#"x2kqz0n4rj8k   web.1   nginx:1.25   node-1   Shutdown   Failed 2 minutes ago   "task: non-zero exit (1): container exited unexpectedly""#);
        assert_eq!(r.and_then(|r| r.message).as_deref(), Some("container exited unexpectedly"));
        // The task's ID is the pod: each failed task is told apart by it.
        let pods: Vec<_> = t.iter().take(5).map(|(l, _)| swarm_task(l.as_bytes()).and_then(|r| r.pod)).collect();
        assert_eq!(
            pods,
            ["x2kqz0n4rj8k", "ab12cd34ef56", "x2kqz0n4rj8kq5d1vj3mpa9lo", "x2kqz0n4rj8k", "x2kqz0n4rj8kq5d1vj3mpa9lo"]
                .map(|p| Some(Str::from(p)))
        );
    }

    #[test]
    fn compose() {
        assert_eq!(
            brief(compose_v1_row(b"some-service1                      /usr/sbin/entrypoint.sh /t ...   Exit 137")),
            Some((137, Some("some-service1".into())))
        );
        assert_eq!(brief(compose_v1_row(b"web   npm start   Exit 0      ")), Some((0, Some("web".into()))));
        assert_eq!(brief(compose_v1_row(b"Exit 1")), None);
        assert_eq!(brief(compose_v2(b"billing-1 exited with code 1")), Some((1, Some("billing-1".into()))));
        assert_eq!(brief(compose_v2(b"the process exited with code 1")), None);
        assert_eq!(brief(compose_v2(b"web-1 exited with code x")), None);
    }

    #[test]
    fn dockershim_names() {
        let r = ps_row(b"3f2a9c1b7e4d   nginx@sha256:abc   \"nginx\"   2 hours ago   Exited (137) 3 minutes ago   k8s_web_web-7d9f8-x2x_shop_5f1c2d3e-aaaa-bbbb-cccc-0123456789ab_3").unwrap();
        assert_eq!(
            (r.container.as_deref(), r.pod.as_deref(), r.namespace.as_deref()),
            (
                Some("k8s_web_web-7d9f8-x2x_shop_5f1c2d3e-aaaa-bbbb-cccc-0123456789ab_3"),
                Some("web-7d9f8-x2x"),
                Some("shop")
            )
        );
        for no in [
            "k8s_web_pod_ns_uid",
            "k8s_web_pod_ns_uid_x",
            "k8s_web_pod_ns_uid_1_2",
            "k8s_web__ns_uid_1",
            "web_pod_ns_uid_1",
        ] {
            assert_eq!(dockershim_pod(no), None, "{no}");
        }
        assert_eq!(dockershim_pod("k8s_POD_web-1_default_u1_0"), Some(("web-1".into(), "default".into())));
    }

    #[test]
    fn events() {
        let r = event_text(b"2026-11-25T06:34:14.139905713Z container die 6d73078 (exitCode=3, image=exitscan/busybox:lab, name=exit3)").unwrap();
        assert_eq!(
            (r.raw_exit_code, r.container.as_deref(), r.container_id.as_deref()),
            (Some(3), Some("exit3"), Some("6d73078"))
        );
        let r = event_text(b"2023-07-13 10:08:56 +0200 CEST container died 319da37bf7e6 (image=debian, name=admiring_bhabha, containerExitCode=3)").unwrap();
        assert_eq!(r.raw_exit_code, Some(3));
        assert!(event_text(b"container create 6d73 (image=x, name=y)").is_none());
        let v: serde_json::Value = serde_json::from_str(r#"{"status":"died","id":"319d","Type":"container","Action":"died","Actor":{"ID":"319d","Attributes":{"containerExitCode":"3","name":"admiring_bhabha"}}}"#).unwrap();
        let r = event_json(&v).unwrap().unwrap();
        assert_eq!((r.raw_exit_code, r.container.as_deref()), (Some(3), Some("admiring_bhabha")));
        let v: serde_json::Value = serde_json::from_str(
            r#"{"status":"remove","Action":"remove","Actor":{"ID":"319d","Attributes":{"containerExitCode":"0"}}}"#,
        )
        .unwrap();
        assert!(event_json(&v).unwrap().is_none());
        // podman events --format json: its own Event struct.
        let v: serde_json::Value = serde_json::from_str(r#"{"ID":"0b14c2a1","Image":"alpine","Name":"foo","Status":"died","Time":"2024-01-28T09:05:12.1Z","Type":"container","Attributes":{"image":"alpine","name":"foo"},"ContainerExitCode":2}"#).unwrap();
        let r = event_json(&v).unwrap().unwrap();
        assert_eq!(
            (r.raw_exit_code, r.container.as_deref(), r.container_id.as_deref(), r.log_time.as_deref()),
            (Some(2), Some("foo"), Some("0b14c2a1"), Some("2024-01-28T09:05:12.1Z"))
        );
        for no in [
            // A died event without its code (podman before 4.0): never guessed.
            r#"{"ID":"0b14","Name":"foo","Status":"died","Type":"container"}"#,
            r#"{"ID":"0b14","Name":"foo","Status":"remove","Type":"container","ContainerExitCode":0}"#,
            // Not podman's event: a ps row's Status.
            r#"{"ID":"0b14","Names":"foo","Status":"died","ExitCode":1}"#,
        ] {
            let v: serde_json::Value = serde_json::from_str(no).unwrap();
            assert!(event_json(&v).unwrap().is_none(), "{no}");
        }
        assert_eq!(
            oom_event_text(b"2026-11-25T06:34:15.561306175Z container oom 779dc275 (image=x, name=oom)"),
            Some(Evidence::Oom { container: Some("oom".into()), pid: None })
        );
    }

    #[test]
    fn windows_events() {
        let t = b"sending event [module=libcontainerd namespace=moby event-info={0ab8 init 840 3221226505 2020-02-03 00:22:10.765832 +0000 GMT\n m=+702105.098532501 false <nil>} container=0ab8 event=exit]";
        assert_eq!(brief(libcontainerd(t)), Some((3221226505, Some("0ab8".into()))));
        let start = b"[container=242e event=start event-info={242e init 14088 0 0001-01-01 00:00:00 +0000 UTC false <nil>} module=libcontainerd]";
        assert!(libcontainerd(start).is_none());
    }
}
