//! Structured documents: `kubectl get pod -o json|yaml` (single pods and
//! `List`s, including the 2014 `info.<name>.state.termination` shape),
//! `crictl inspect` status JSON and `docker inspect` output, pretty-printed or
//! compact, whole or pasted as a fragment.
//!
//! The parser streams: it never holds a document, only a stack of the open
//! objects with the few scalar fields it cares about, so a 100 MB
//! `kubectl get pods -A -o json` costs a few kilobytes. JSON (and docker's
//! Go-struct dump, `State:{ExitCode:137,...}`) is read with a tolerant token
//! scanner that carries its stack from line to line; YAML is read by
//! indentation.
//!
//! What yields a record:
//! - an object under `terminated` / `termination` with an exit code; its state is
//!   `terminated` under `state` and `last_terminated` under `lastState`;
//!   container name, id and restart count come from the enclosing container
//!   status, pod name and namespace from the pod's `metadata`;
//! - a docker `State` object (or a bare one) whose `Status` is `exited`/`dead`
//!   or `Running` is false, with `OOMKilled` as evidence;
//! - a crictl status with `"state": "CONTAINER_EXITED"`;
//! - a `docker ps`, `docker compose ps` or `podman ps` row printed with
//!   `--format json` (or `'{{json .}}'`): `"Status": "Exited (N) ..."`, or
//!   podman's `"State": "exited"` with its `"ExitCode"`; the container is the
//!   first of `Names` (a string, comma-separated, or podman's list) or `Name`;
//! - an Amazon ECS container (`aws ecs describe-tasks`; task state change
//!   events, pretty or one per line as EventBridge delivers them): `"lastStatus": "STOPPED"` with an `exitCode`, named by `name`,
//!   its task and cluster from its `taskArn`, ended at the task's `stoppedAt`;
//!   ECS's `reason` is the message, and `OutOfMemoryError: ...` is OOM;
//! - an Azure Container Instances container (`az container show`): its
//!   `instanceView`'s `currentState` / `previousState` whose `state` is
//!   `Terminated`, with `detailStatus` as the reason;
//! - an AWS Batch job (`aws batch describe-jobs`): each attempt's
//!   `container` with an `exitCode` (ended at the attempt's `stoppedAt`, in
//!   epoch milliseconds), named by the job's `jobName`; the job-level
//!   `container` repeats the last attempt's and only counts for a job
//!   without attempts;
//! - a Nomad task event (`nomad alloc status -json`): an element of a task's
//!   `Events` whose `Type` is `Terminated`, with its `ExitCode`, `Signal`,
//!   `Time` (unix nanoseconds) and `Details` (`oom_killed`, `exit_message`);
//!   the task is the `TaskStates` key above it, the allocation its pod;
//! - a docker swarm task (`docker inspect` of a task): a `ContainerStatus`
//!   with an `ExitCode` and a `ContainerID`, under a task `Status` whose
//!   `State` is `complete`, `failed` or `shutdown` (its `Err`, `task: non-zero
//!   exit (N)`, is the message).

use std::borrow::Cow;

use crate::code::Signal;
use crate::parse::util::{self, when};
use crate::record::{Format, Record, State, Str};

/// Which grammar a document is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON and Go-struct dumps: structure from brackets.
    Json,
    /// YAML: structure from indentation.
    Yaml,
}

const CAP: usize = 4096;

#[derive(Debug, Default, Clone)]
struct Fields {
    name: Option<Str>,
    namespace: Option<Str>,
    container_id: Option<Str>,
    restart_count: Option<u64>,
    exit_code: Option<i64>,
    exit_line: u64,
    reason: Option<Str>,
    message: Option<Str>,
    signal: Option<i64>,
    started: Option<Str>,
    finished: Option<Str>,
    state: Option<Str>,
    id: Option<Str>,
    status: Option<Str>,
    status_line: u64,
    oom: Option<bool>,
    running: Option<bool>,
    /// docker's `State.Error`.
    error: Option<Str>,
    /// A `ps --format json` row's `State` (a string there, an object in
    /// `docker inspect`) and the first of its `Names`.
    ps_state: Option<Str>,
    names: Option<Str>,
    /// The kubelet's labels on a CRI container (`crictl inspect`).
    k8s_pod: Option<Str>,
    k8s_namespace: Option<Str>,
    /// An ECS container: its `containerArn` was seen, its `lastStatus`,
    /// `taskArn` and `runtimeId`; a task's `stoppedAt`.
    ecs_container: bool,
    last_status: Option<Str>,
    task_arn: Option<Str>,
    runtime_id: Option<Str>,
    stopped_at: Option<Str>,
    /// A Tekton step state's `container` and a TaskRun status's `podName`.
    step_container: Option<Str>,
    pod_name: Option<Str>,
    /// An AWS Batch job's `jobName`, and whether one of its attempts made a
    /// record.
    job_name: Option<Str>,
    batch_attempted: bool,
    /// A Nomad task event's `Type` and `Time`.
    kind: Option<Str>,
    event_time: Option<Str>,
    /// `metadata.name` / `metadata.namespace` of this object.
    meta_name: Option<Str>,
    meta_namespace: Option<Str>,
}

impl Fields {
    fn set(&mut self, key: &str, value: &str, line: u64) {
        let s = || Some(cap(value));
        match key {
            "name" => self.name = s(),
            "Name" => self.name = Some(cap(value.trim_start_matches('/'))),
            "namespace" | "Namespace" => self.namespace = s(),
            "containerID" | "ContainerID" | "container_id" => self.container_id = s().filter(|v| !v.is_empty()),
            "restartCount" | "RestartCount" | "Restarts" | "restart_count" => self.restart_count = value.parse().ok(),
            "exitCode" | "ExitCode" | "exit_code" => {
                self.exit_code = value.parse().ok();
                self.exit_line = line;
            }
            "reason" | "detailStatus" => self.reason = s().filter(|v| !v.is_empty()),
            "message" | "exit_message" => self.message = s().filter(|v| !v.is_empty()),
            "signal" | "Signal" => self.signal = value.parse().ok(),
            "Type" => self.kind = s(),
            "Time" => self.event_time = unix_nanos(value),
            "oom_killed" => self.oom = Some(value == "true"),
            "startedAt" | "StartedAt" | "started_at" | "startTime" => {
                self.started = when::any(value).or_else(|| unix_nanos(value))
            }
            "finishedAt" | "FinishedAt" | "finished_at" | "finishTime" => {
                self.finished = when::any(value).or_else(|| unix_nanos(value))
            }
            "state" => self.state = s(),
            "Id" | "id" => self.id = s(),
            "Status" => {
                self.status = s();
                self.status_line = line;
            }
            "OOMKilled" => self.oom = Some(value == "true"),
            "Running" => self.running = Some(value == "true"),
            "Error" | "Err" => self.error = s().filter(|v| !v.is_empty()),
            "State" => self.ps_state = s(),
            "containerArn" => self.ecs_container = true,
            "lastStatus" => self.last_status = s(),
            "taskArn" => self.task_arn = s(),
            "runtimeId" => self.runtime_id = s().filter(|v| !v.is_empty()),
            "stoppedAt" => self.stopped_at = when::any(value).or_else(|| unix_millis(value)),
            "jobName" => self.job_name = s(),
            // Tekton: a step's container, and the TaskRun's pod.
            "container" => self.step_container = s(),
            "podName" => self.pod_name = s(),
            "io.kubernetes.pod.name" => self.k8s_pod = s(),
            "io.kubernetes.pod.namespace" => self.k8s_namespace = s(),
            "io.kubernetes.container.restartCount" => self.restart_count = value.parse().ok(),
            // docker ps: `"Names":"web,web-alias"`.
            "Names" => self.names = value.split(',').next().map(str::trim).filter(|v| !v.is_empty()).map(cap),
            _ => {}
        }
    }
}

/// The exit code of a `ps --format json` row that shows an exited container:
/// its `ExitCode`, or the one in `Status` (`Exited (137) 2 minutes ago`;
/// `docker ps` has no `ExitCode` field). A row names a container.
fn ps_exit_code(f: &Fields) -> Option<i64> {
    if f.names.is_none() && f.name.is_none() && f.id.is_none() {
        return None;
    }
    let in_status = f.status.as_deref().and_then(|s| crate::parse::docker::exited_code(s.as_bytes()));
    match (in_status, f.exit_code) {
        (Some(n), code) => Some(code.unwrap_or(n)),
        // podman: `"State": "exited"` and its code, whatever `Status` says.
        (None, Some(code)) if f.ps_state.as_deref() == Some("exited") => Some(code),
        _ => None,
    }
}

/// `"Status": "Exited (N) ..."` on a line of its own: a pretty-printed `ps
/// --format json` row (`docker ps` has no `ExitCode` to start the document).
pub fn is_ps_status_line(msg: &[u8]) -> bool {
    let body = util::trim(msg);
    let Some(v) = body.strip_prefix(b"\"Status\":") else { return false };
    let v = util::trim_start(v);
    v.starts_with(b"\"Exited (") || v.starts_with(b"\"exited (")
}

/// CRI timestamps as protobuf int64 nanoseconds (`"finished_at": "1795588675954..."`).
/// Epoch milliseconds (AWS Batch's times), from 2001 on.
fn unix_millis(v: &str) -> Option<Str> {
    let n: i64 = v.trim().parse().ok()?;
    if !(1_000_000_000_000..100_000_000_000_000).contains(&n) {
        return None;
    }
    when::unix(n / 1000, n % 1000 * 1_000_000)
}

fn unix_nanos(v: &str) -> Option<Str> {
    let n: i64 = v.trim().parse().ok()?;
    if n < 1_000_000_000_000_000_000 / 1000 {
        return None; // not a nanosecond timestamp
    }
    when::unix(n / 1_000_000_000, n % 1_000_000_000)
}

fn cap(s: &str) -> Str {
    if s.len() <= CAP {
        return s.into();
    }
    let mut end = CAP;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].into()
}

/// A termination found inside a container status, waiting for the status to close.
#[derive(Debug, Clone)]
struct Term {
    state: Option<State>,
    f: Fields,
    format: Format,
}

#[derive(Debug)]
struct Frame {
    key: Option<Str>,
    /// YAML: the document's implicit root mapping (never closed by indentation).
    root: bool,
    /// YAML: indentation of the line that opened the frame.
    indent: usize,
    /// YAML: this frame is a `- ` list element.
    element: bool,
    fields: Fields,
    terms: Vec<Term>,
    /// Docker `State` found under this object.
    docker: Option<Box<Fields>>,
    /// A swarm task's `ContainerStatus` found under this object.
    task_container: Option<Box<Fields>>,
    /// Records of the containers of a pod's `status`, held until it closes:
    /// pod-level `reason` (Evicted, DeadlineExceeded) may come after them.
    held: Vec<Record>,
}

impl Frame {
    fn new(key: Option<Str>, indent: usize, element: bool) -> Frame {
        Frame {
            key,
            root: false,
            indent,
            element,
            fields: Fields::default(),
            terms: Vec::new(),
            docker: None,
            task_container: None,
            held: Vec::new(),
        }
    }
}

/// Where a document parse stands after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Continue,
    /// The document closed with this line.
    EndAfter,
    /// The document ended before this line; the scanner handles the line afresh.
    EndBefore,
}

/// A streaming parser for one document.
#[derive(Debug)]
pub struct Doc {
    syntax: Syntax,
    stack: Vec<Frame>,
    records: Vec<Record>,
    /// JSON: a key read, waiting for its value.
    pending_key: Option<Str>,
    /// The document's first line opened the root object (so a close of the
    /// root ends it); false for fragments.
    rooted: bool,
    opened_any: bool,
    /// YAML: a scalar that continues on the following lines.
    scalar: Option<Scalar>,
    /// YAML: indentation of the first line.
    base_indent: Option<usize>,
    unknown_run: usize,
    /// Opened levels beyond [`MAX_DEPTH`], counted but not held.
    too_deep: usize,
}

const MAX_UNKNOWN_RUN: usize = 16;
const MAX_DEPTH: usize = 256;

impl Doc {
    pub fn new(syntax: Syntax) -> Doc {
        Doc {
            syntax,
            stack: Vec::new(),
            records: Vec::new(),
            pending_key: None,
            rooted: false,
            opened_any: false,
            scalar: None,
            base_indent: None,
            unknown_run: 0,
            too_deep: 0,
        }
    }

    /// Records completed so far (in document order); the caller drains them.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    pub fn feed(&mut self, line: &[u8], line_no: u64) -> Step {
        match self.syntax {
            Syntax::Json => self.feed_json(line, line_no),
            Syntax::Yaml => self.feed_yaml(line, line_no),
        }
    }

    /// Ends the document (end of input or of the block): closes what is open.
    pub fn finish(&mut self) -> Vec<Record> {
        if let Some(sc) = self.scalar.take() {
            self.finish_scalar(sc);
        }
        while !self.stack.is_empty() {
            self.pop();
        }
        std::mem::take(&mut self.records)
    }

    fn push(&mut self, key: Option<Str>, indent: usize, element: bool) {
        if self.stack.len() < MAX_DEPTH {
            self.stack.push(Frame::new(key, indent, element));
        } else {
            // Absurdly deep input: count the depth without holding frames.
            self.too_deep += 1;
        }
        self.opened_any = true;
    }

    fn set_field(&mut self, key: &str, value: &str, line: u64) {
        if let Some(top) = self.stack.last_mut() {
            top.fields.set(key, value, line);
        } else {
            // A fragment with no enclosing object: keep its fields on a root frame.
            self.push(None, 0, false);
            if let Some(top) = self.stack.last_mut() {
                top.fields.set(key, value, line);
            }
        }
    }

    /// Closes the top frame and moves what it found to where it belongs.
    fn pop(&mut self) {
        if self.too_deep > 0 {
            self.too_deep -= 1;
            return;
        }
        let Some(frame) = self.stack.pop() else { return };
        let key = frame.key.as_deref();
        let parent_key = self.stack.last().and_then(|p| p.key.as_deref()).map(str::to_string);

        // podman's list of names names the row.
        if key == Some("Names") && frame.element {
            if let Some(p) = self.stack.last_mut() {
                p.fields.names = p.fields.names.take().or_else(|| frame.fields.names.clone());
            }
        }

        // A ps row as JSON.
        if let Some(code) = ps_exit_code(&frame.fields) {
            let f = &frame.fields;
            let mut r = self.term_record(Format::Docker, f, Some(State::Terminated));
            r.raw_exit_code = Some(code);
            r.line = if f.exit_code.is_some() { f.exit_line } else { f.status_line };
            r.container = f.names.clone().or_else(|| f.name.clone()).or_else(|| f.id.clone());
            r.container_id = f.id.clone();
            crate::parse::docker::name_pod(&mut r);
            self.records.push(r);
        }

        // A CRI container's labels and annotations name its pod.
        if matches!(key, Some("labels") | Some("annotations")) {
            if let Some(p) = self.stack.last_mut() {
                let (f, pf) = (&frame.fields, &mut p.fields);
                pf.k8s_pod = pf.k8s_pod.take().or_else(|| f.k8s_pod.clone());
                pf.k8s_namespace = pf.k8s_namespace.take().or_else(|| f.k8s_namespace.clone());
                pf.restart_count = pf.restart_count.or(f.restart_count);
            }
        }

        // metadata.{name,namespace} describe the parent object.
        if key == Some("metadata") {
            if let Some(p) = self.stack.last_mut() {
                p.fields.meta_name = frame.fields.name.clone();
                p.fields.meta_namespace = frame.fields.namespace.clone();
            }
        }

        // A Kubernetes ContainerStateTerminated.
        if matches!(key, Some("terminated") | Some("termination")) && frame.fields.exit_code.is_some() {
            let state = match parent_key.as_deref() {
                Some("state") => Some(State::Terminated),
                Some("lastState") | Some("lastTerminationState") | Some("last_state") => Some(State::LastTerminated),
                _ => None,
            };
            let term = Term { state, f: frame.fields.clone(), format: Format::PodJson };
            // Attach to the container status two levels up, past its `state`;
            // a state embedded in its object (Tekton's step states) to that object.
            let n = self.stack.len();
            let holder = if state.is_some() { n.checked_sub(2) } else { n.checked_sub(1) };
            if let Some(i) = holder {
                self.stack[i].terms.push(term);
            } else {
                let r = self.term(&term, None, None);
                self.records.push(r);
            }
        }

        // An Azure Container Instances container state, for the container two
        // levels up (past its `instanceView`, whose restart count it takes).
        if matches!(key, Some("currentState") | Some("previousState"))
            && frame.fields.state.as_deref() == Some("Terminated")
            && frame.fields.exit_code.is_some()
        {
            let state = if key == Some("currentState") { State::Terminated } else { State::LastTerminated };
            let term = Term { state: Some(state), f: frame.fields.clone(), format: Format::Orchestrator };
            let n = self.stack.len();
            if n >= 2 && parent_key.as_deref() == Some("instanceView") {
                self.stack[n - 2].terms.push(term);
            } else {
                let r = self.term(&term, None, None);
                self.records.push(r);
            }
        }
        if key == Some("instanceView") {
            if let Some(p) = self.stack.last_mut() {
                p.fields.restart_count = p.fields.restart_count.or(frame.fields.restart_count);
            }
        }

        // A Nomad task event: `Details` tells of OOM and the exit message.
        if key == Some("Details") {
            if let Some(p) = self.stack.last_mut() {
                let (f, pf) = (&frame.fields, &mut p.fields);
                pf.oom = pf.oom.or(f.oom);
                pf.message = pf.message.take().or_else(|| f.message.clone());
            }
        }
        if frame.fields.kind.as_deref() == Some("Terminated")
            && frame.fields.exit_code.is_some()
            && parent_key.as_deref() == Some("Events")
        {
            let r = self.nomad_record(&frame.fields);
            self.records.push(r);
        }

        // An AWS Batch container: an attempt's, or the job's own when no
        // attempt made a record. Held by the attempt (or job) for its `stoppedAt`.
        if key == Some("container") && frame.fields.exit_code.is_some() && frame.fields.task_arn.is_some() {
            let n = self.stack.len();
            let in_attempt = n >= 3 && self.stack[n - 2].key.as_deref() == Some("attempts");
            let job = if in_attempt { n - 3 } else { n.saturating_sub(1) };
            if let Some(j) = self.stack.get(job).filter(|j| in_attempt || !j.fields.batch_attempted) {
                let mut r = self.ecs_record(&frame.fields);
                r.container = j.fields.job_name.clone();
                self.stack[job].fields.batch_attempted |= in_attempt;
                self.stack[n - 1].held.push(r);
            }
        }

        // An ECS container, held by its task for the task's `stoppedAt`.
        if frame.fields.ecs_container
            && frame.fields.last_status.as_deref() == Some("STOPPED")
            && frame.fields.exit_code.is_some()
        {
            let r = self.ecs_record(&frame.fields);
            let n = self.stack.len();
            if parent_key.as_deref() == Some("containers") && n >= 2 {
                self.stack[n - 2].held.push(r);
            } else {
                self.records.push(r);
            }
        }

        // A swarm task's container: its task's `Status` says whether it ended.
        if key == Some("ContainerStatus") && frame.fields.exit_code.is_some() && frame.fields.container_id.is_some() {
            if let Some(p) = self.stack.last_mut() {
                p.task_container = Some(Box::new(frame.fields.clone()));
            }
        }
        if let Some(c) = frame.task_container.as_ref() {
            if key == Some("Status")
                && matches!(frame.fields.ps_state.as_deref(), Some("complete" | "failed" | "shutdown"))
            {
                let mut r = self.term_record(Format::Docker, c, Some(State::Terminated));
                r.container_id = c.container_id.clone();
                r.message = frame.fields.error.clone();
                self.records.push(r);
            }
        }

        // A docker State object.
        let docker_like = frame.fields.exit_code.is_some()
            && (frame.fields.status.is_some() || frame.fields.running.is_some())
            && frame.fields.state.is_none();
        if docker_like && (key == Some("State") || key.is_none() && frame.fields.oom.is_some()) {
            let f = &frame.fields;
            // `created` with a code or an error: the process could not be started.
            let failed_start = f.status.as_deref() == Some("created") && (f.exit_code != Some(0) || f.error.is_some());
            let exited = matches!(f.status.as_deref(), Some("exited") | Some("dead"))
                || failed_start
                || f.status.is_none() && f.running == Some(false);
            if exited {
                if key == Some("State") && !self.stack.is_empty() {
                    if let Some(p) = self.stack.last_mut() {
                        p.docker = Some(Box::new(frame.fields.clone()));
                    }
                } else {
                    self.emit_docker(&frame.fields, None);
                }
            }
        }

        // A crictl container status.
        if frame.fields.state.as_deref() == Some("CONTAINER_EXITED") && frame.fields.exit_code.is_some() {
            let mut r = self.term_record(Format::PodJson, &frame.fields, Some(State::Terminated));
            r.container = frame.fields.meta_name.clone().or_else(|| frame.fields.id.clone());
            r.container_id = frame.fields.id.clone();
            r.pod = r.pod.take().or_else(|| frame.fields.k8s_pod.clone());
            r.namespace = r.namespace.take().or_else(|| frame.fields.k8s_namespace.clone());
            r.restart_count = frame.fields.restart_count;
            self.records.push(r);
        }

        // A pod's status: its containers' records, with what the pod says.
        if !frame.held.is_empty() {
            let reason = frame.fields.reason.as_deref();
            for mut r in frame.held {
                if r.finished_at.is_none() {
                    r.finished_at = frame.fields.stopped_at.clone();
                }
                if r.pod.is_none() && r.format == Format::Orchestrator {
                    r.pod = frame.fields.name.clone();
                }
                if let Some(pod) = &frame.fields.pod_name {
                    r.pod = Some(pod.clone());
                }
                r.hints.evicted |= reason == Some("Evicted");
                r.hints.deadline_exceeded |= reason == Some("DeadlineExceeded");
                self.records.push(r);
            }
            return;
        }

        // A docker inspect object that held a State.
        if let Some(state) = frame.docker.as_ref() {
            self.emit_docker(state, Some(&frame.fields));
        }

        // A container status that held terminations.
        if !frame.terms.is_empty() {
            let mut terms = frame.terms.clone();
            terms.sort_by_key(|t| t.f.exit_line);
            // The 2014 API keyed statuses by container name: `"oom-test": {"state": ...}`.
            let name = frame
                .fields
                .step_container
                .clone()
                .or_else(|| frame.fields.name.clone())
                .or_else(|| key.filter(|k| !frame.element && !is_api_key(k)).map(Str::from));
            let init = match parent_key.as_deref() {
                Some("initContainerStatuses" | "init_container_statuses") => Some(true),
                Some(
                    "containerStatuses"
                    | "ephemeralContainerStatuses"
                    | "container_statuses"
                    | "ephemeral_container_statuses",
                ) => Some(false),
                // Azure Container Instances' container lists.
                Some("initContainers") => Some(true),
                Some("containers") => Some(false),
                _ => None,
            };
            for t in &terms {
                let mut r = self.term(t, Some(&frame.fields), name.clone());
                r.init = init;
                let n = self.stack.len();
                if t.format == Format::Orchestrator && n >= 2 {
                    // Azure's container group names it after its containers.
                    self.stack[n - 2].held.push(r);
                } else {
                    self.hold_or_emit(r);
                }
            }
        }
    }

    /// The record of a Nomad `Terminated` task event, the `Events` list just
    /// closed above it: the task is the key of its `TaskStates` entry, the
    /// allocation holding `TaskStates` names the pod and namespace.
    fn nomad_record(&self, f: &Fields) -> Record {
        let mut r = self.term_record(Format::Orchestrator, f, Some(State::Terminated));
        r.reason = None;
        r.finished_at = f.event_time.clone();
        if f.oom == Some(true) {
            r.mark_oom_killed();
        }
        let n = self.stack.len();
        if let Some(task) = n.checked_sub(2).and_then(|i| self.stack.get(i)) {
            r.container = task.key.clone();
            r.restart_count = task.fields.restart_count;
        }
        if n >= 4 && self.stack[n - 3].key.as_deref() == Some("TaskStates") {
            let alloc = &self.stack[n - 4].fields;
            r.pod = alloc.name.clone();
            r.namespace = alloc.namespace.clone();
        }
        r
    }

    /// The record of a stopped ECS container. Its task (`.../task/CLUSTER/ID`,
    /// or `.../task/ID` in the old ARN format) stands in for the pod, its
    /// cluster for the namespace.
    fn ecs_record(&self, f: &Fields) -> Record {
        let mut r = self.term_record(Format::Orchestrator, f, Some(State::Terminated));
        r.container = f.name.clone();
        r.container_id = f.runtime_id.clone();
        r.reason = None;
        r.message = f.reason.clone();
        if f.reason.as_deref().is_some_and(|m| m.starts_with("OutOfMemoryError")) {
            r.mark_oom_killed();
        }
        if let Some(path) = f.task_arn.as_deref().and_then(|a| a.split_once(":task/")).map(|(_, p)| p) {
            let mut parts = path.rsplitn(2, '/');
            r.pod = parts.next().filter(|t| !t.is_empty()).map(Str::from);
            r.namespace = parts.next().filter(|c| !c.is_empty()).map(Str::from);
        }
        r
    }

    fn pod_context(&self) -> (Option<Str>, Option<Str>) {
        for f in self.stack.iter().rev() {
            if f.fields.meta_name.is_some() {
                return (f.fields.meta_name.clone(), f.fields.meta_namespace.clone());
            }
        }
        (None, None)
    }

    fn term_record(&self, format: Format, f: &Fields, state: Option<State>) -> Record {
        let mut r = Record::new(format);
        r.line = f.exit_line;
        r.state = state;
        r.raw_exit_code = f.exit_code;
        r.reason = f.reason.clone();
        r.message = f.message.clone();
        r.stated_signal = f.signal.filter(|&s| s != 0).and_then(Signal::new);
        r.started_at = f.started.clone();
        r.finished_at = f.finished.clone();
        let (pod, ns) = self.pod_context();
        r.pod = pod;
        r.namespace = ns;
        r
    }

    /// Where a container's record goes: held by the enclosing pod `status`, if any.
    fn hold_or_emit(&mut self, r: Record) {
        match self.stack.iter_mut().rev().find(|f| f.key.as_deref() == Some("status")) {
            Some(status) => status.held.push(r),
            None => self.records.push(r),
        }
    }

    fn term(&self, t: &Term, status: Option<&Fields>, name: Option<Str>) -> Record {
        let mut r = self.term_record(t.format, &t.f, t.state);
        if let Some(s) = status {
            r.container = name;
            r.restart_count = s.restart_count;
        }
        // The terminated state names the container that ended; the status's
        // own containerID is the current (restarted) one.
        r.container_id = t.f.container_id.clone().or_else(|| status.and_then(|s| s.container_id.clone()));
        r
    }

    fn emit_docker(&mut self, state: &Fields, object: Option<&Fields>) {
        let mut r = self.term_record(Format::Docker, state, Some(State::Terminated));
        r.reason = None;
        if state.oom == Some(true) {
            r.mark_oom_killed();
        }
        r.message = state.error.clone();
        if let Some(o) = object {
            r.container = o.name.clone().or_else(|| o.id.clone());
            r.container_id = o.id.clone();
            r.restart_count = o.restart_count;
            crate::parse::docker::name_pod(&mut r);
        }
        self.records.push(r);
    }

    // ---- JSON ---------------------------------------------------------------

    fn feed_json(&mut self, line: &[u8], line_no: u64) -> Step {
        let body = util::trim(line);
        if body.is_empty() {
            return if self.opened_any { Step::EndBefore } else { Step::Continue };
        }
        if !self.opened_any {
            self.rooted = matches!(body.first(), Some(b'{') | Some(b'['));
        }
        if !looks_json(body) {
            self.unknown_run += 1;
            if self.unknown_run > MAX_UNKNOWN_RUN || self.stack.is_empty() {
                return Step::EndBefore;
            }
            return Step::Continue;
        }
        self.unknown_run = 0;
        let mut i = 0;
        while i < body.len() {
            let b = body[i];
            match b {
                b'{' | b'[' => {
                    let key = self.pending_key.take();
                    self.push(key, 0, b == b'[');
                    i += 1;
                }
                b'}' | b']' => {
                    self.pending_key = None;
                    if self.stack.is_empty() {
                        // Closing something opened before our window: a fragment ends.
                        return Step::EndAfter;
                    }
                    self.pop();
                    i += 1;
                    if self.stack.is_empty() && self.rooted {
                        return Step::EndAfter;
                    }
                }
                b',' | b' ' | b'\t' | b'\r' | b'`' => i += 1,
                b':' => i += 1,
                // (`'`: Python's repr (pprint) of a pod, which also has `None`
                // and `datetime.datetime(...)`. A `'` inside a Go dump's bare
                // word is part of that word, below.)
                b'"' | b'\'' => {
                    let (s, n) = quoted_string(&body[i..]);
                    i += n;
                    self.word(s, body, &mut i, line_no);
                }
                b'd' if body[i..].starts_with(b"datetime.datetime(") => {
                    let (time, n) = python_datetime(&body[i..]);
                    i += n;
                    match time {
                        Some(t) => self.word(Cow::Owned(t), body, &mut i, line_no),
                        // (A time in an unknown zone is no time.)
                        None => self.pending_key = None,
                    }
                }
                _ => {
                    let n = body[i..]
                        .iter()
                        .take_while(|&&c| !matches!(c, b',' | b'}' | b']' | b'{' | b'[' | b':' | b'"'))
                        .count()
                        .max(1);
                    let w = util::lossy(util::trim(&body[i..i + n]));
                    i += n;
                    self.word(w, body, &mut i, line_no);
                }
            }
        }
        Step::Continue
    }

    /// A string or bare word: a key when a `:` follows, else a value.
    fn word(&mut self, w: Cow<'_, str>, body: &[u8], i: &mut usize, line_no: u64) {
        let mut j = *i;
        while j < body.len() && matches!(body[j], b' ' | b'\t') {
            j += 1;
        }
        if body.get(j) == Some(&b':') {
            *i = j + 1;
            self.pending_key = Some(Str::from(&*w));
            return;
        }
        if let Some(k) = self.pending_key.take() {
            // JSON's `null` and Python's `None` are no value.
            let w = match &*w {
                "null" | "None" => return,
                "True" => "true",
                "False" => "false",
                w => w,
            };
            self.set_field(&k, w, line_no);
        } else if let Some(top) = self.stack.last_mut() {
            // podman ps: `"Names": ["web"]`, the first one.
            if top.element && top.key.as_deref() == Some("Names") && top.fields.names.is_none() && !w.is_empty() {
                top.fields.names = Some(cap(&w));
            }
        }
    }

    // ---- YAML ---------------------------------------------------------------

    fn feed_yaml(&mut self, line: &[u8], line_no: u64) -> Step {
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        let body = util::trim(&line[indent..]);
        if let Some(mut sc) = self.scalar.take() {
            if sc.feed(line, indent, body) {
                self.scalar = Some(sc);
                return Step::Continue;
            }
            self.finish_scalar(sc);
            if body.is_empty() {
                return Step::Continue;
            }
        }
        if body.is_empty() {
            return if self.opened_any { Step::EndBefore } else { Step::Continue };
        }
        if indent > 0 && crate::parse::describe::is_elision(body) {
            // `  ...` where a paste left lines out (at column 0, `...` ends
            // a YAML document): it says nothing about the structure.
            return Step::Continue;
        }
        if body == b"---" || body == b"..." {
            return Step::EndBefore;
        }
        let base = *self.base_indent.get_or_insert(indent);
        if indent < base {
            return Step::EndBefore;
        }
        if self.stack.is_empty() {
            // The document's own mapping: top-level keys (metadata, status) live in it.
            self.push(None, indent, false);
            if let Some(f) = self.stack.last_mut() {
                f.root = true;
            }
        }
        let mut rest = body;
        let mut at = indent;
        // `- ` starts a list element; `- - x` nests (rare in Kubernetes YAML).
        let mut element = false;
        while let Some(r) = rest.strip_prefix(b"- ").or_else(|| if rest == b"-" { Some(&b""[..]) } else { None }) {
            self.close_yaml_until(at, true);
            self.push(None, at, true);
            element = true;
            at += 2;
            rest = util::trim_start(r);
        }
        if rest.is_empty() {
            return Step::Continue;
        }
        let Some((k, v)) = yaml_key_value(rest) else {
            if element {
                return Step::Continue; // a scalar list item
            }
            self.unknown_run += 1;
            return if self.unknown_run > MAX_UNKNOWN_RUN { Step::EndBefore } else { Step::Continue };
        };
        self.unknown_run = 0;
        if !element {
            self.close_yaml_until(at, false);
        }
        let key = util::text(k);
        let v = util::trim(v);
        if v.is_empty() {
            self.push(Some(key), at, false);
            return Step::Continue;
        }
        let sc = Scalar::start(key, at, line_no, strip_yaml_comment(v));
        if sc.done {
            self.finish_scalar(sc);
        } else {
            self.scalar = Some(sc);
        }
        Step::Continue
    }

    fn finish_scalar(&mut self, sc: Scalar) {
        let value = sc.value();
        if let Some(top) = self.stack.last_mut() {
            top.fields.set(&sc.key, &value, sc.line);
        }
    }

    /// Pops frames that a line at `indent` closes. A `- ` item at the same
    /// indentation as its list's key (go-yaml's style) does not close the key.
    fn close_yaml_until(&mut self, indent: usize, list_item: bool) {
        while let Some(top) = self.stack.last() {
            if top.root {
                break;
            }
            let closes = if list_item {
                top.indent > indent || top.indent == indent && top.element
            } else {
                top.indent >= indent
            };
            if !closes {
                break;
            }
            self.pop();
        }
    }
}

/// A YAML scalar value, possibly spread over several lines: plain (folded),
/// `"double"` or `'single'` quoted (folded, escapes), or a `|` / `>` block.
#[derive(Debug)]
struct Scalar {
    key: Str,
    key_indent: usize,
    line: u64,
    style: Style,
    text: String,
    /// Block scalars: indentation of their content (from the first content line).
    content_indent: Option<usize>,
    done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Double,
    Single,
    Literal,
    Folded,
}

impl Scalar {
    fn start(key: Str, key_indent: usize, line: u64, v: &[u8]) -> Scalar {
        let t = util::lossy(v);
        let (style, text, done) = if let Some(rest) = t.strip_prefix('"') {
            let done = closing_double(rest).is_some();
            (Style::Double, rest.to_string(), done)
        } else if let Some(rest) = t.strip_prefix('\'') {
            let done = closing_single(rest).is_some();
            (Style::Single, rest.to_string(), done)
        } else if t.starts_with('|') {
            (Style::Literal, String::new(), false)
        } else if t.starts_with('>') {
            (Style::Folded, String::new(), false)
        } else {
            (Style::Plain, t.into_owned(), false)
        };
        Scalar { key, key_indent, line, style, text, content_indent: None, done }
    }

    /// Takes the next line if it continues the scalar.
    fn feed(&mut self, line: &[u8], indent: usize, body: &[u8]) -> bool {
        if self.done || self.text.len() > CAP {
            return false;
        }
        let b = util::lossy(body);
        match self.style {
            Style::Double | Style::Single => {
                // A line break inside quotes folds to a space, except after `\`.
                if self.style == Style::Double && self.text.ends_with('\\') && !self.text.ends_with("\\\\") {
                    self.text.pop();
                } else {
                    self.text.push(if b.is_empty() { '\n' } else { ' ' });
                }
                self.text.push_str(&b);
                let rest = self.text.clone();
                self.done = match self.style {
                    Style::Double => closing_double(&rest).is_some(),
                    _ => closing_single(&rest).is_some(),
                };
                true
            }
            Style::Plain => {
                if body.is_empty() || indent <= self.key_indent {
                    return false;
                }
                self.text.push(' ');
                self.text.push_str(&b);
                true
            }
            Style::Literal | Style::Folded => {
                if !body.is_empty() && indent <= self.key_indent {
                    return false;
                }
                let ci = *self.content_indent.get_or_insert(indent.max(self.key_indent + 1));
                let content = util::lossy(line.get(ci.min(line.len())..).unwrap_or_default());
                let content = content.trim_end_matches('\r');
                if !self.text.is_empty() || body.is_empty() {
                    let sep = if self.style == Style::Literal || body.is_empty() { '\n' } else { ' ' };
                    self.text.push(sep);
                }
                self.text.push_str(content);
                true
            }
        }
    }

    fn value(&self) -> String {
        match self.style {
            Style::Double => {
                let end = closing_double(&self.text).unwrap_or(self.text.len());
                unescape_double(&self.text[..end])
            }
            Style::Single => {
                let end = closing_single(&self.text).unwrap_or(self.text.len());
                self.text[..end].replace("''", "'")
            }
            Style::Plain => self.text.trim().to_string(),
            Style::Literal | Style::Folded => self.text.trim_end_matches('\n').to_string(),
        }
    }
}

/// Byte index of the closing `"` of a double-quoted scalar's text.
fn closing_double(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Byte index of the closing `'` (not a doubled `''`).
fn closing_single(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The body of a double-quoted YAML scalar (or a Go `%q` string) with its
/// escapes undone.
pub fn unescape_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('"') => out.push('"'),
            Some('/') => out.push('/'),
            Some('\\') => out.push('\\'),
            Some(' ') => out.push(' '),
            Some(u @ ('x' | 'u' | 'U')) => {
                let n = match u {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = it.by_ref().take(n).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => {}
        }
    }
    out
}

/// Keys of the Pod / ContainerStatus API that are never container names.
fn is_api_key(k: &str) -> bool {
    matches!(
        k,
        "status"
            | "spec"
            | "metadata"
            | "items"
            | "containerStatuses"
            | "initContainerStatuses"
            | "ephemeralContainerStatuses"
            | "container_statuses"
            | "init_container_statuses"
            | "ephemeral_container_statuses"
            | "info"
            | "state"
            | "lastState"
            | "last_state"
    )
}

fn looks_json(body: &[u8]) -> bool {
    match body.first() {
        // (`'`: Python's repr of a pod.)
        Some(b'{' | b'}' | b'[' | b']' | b'"' | b'`' | b'\'') => true,
        Some(c) if c.is_ascii_alphanumeric() || *c == b'-' => {
            // Bare `Key:value,` (Go struct dumps) or a scalar array item.
            body.ends_with(b",") || body.ends_with(b"{") || body.ends_with(b"[") || util::contains(body, b":")
        }
        _ => false,
    }
}

/// Reads a JSON string or a Python string literal starting at `s[0]`, `"`
/// or `'` (Python's repr quotes a string holding `'` with `"`), its escapes
/// undone; returns it and the bytes used. (Borrowed when it has no escape,
/// the common case: no allocation.)
fn quoted_string(s: &[u8]) -> (Cow<'_, str>, usize) {
    let quote = s[0];
    if let Some(end) = memchr::memchr2(quote, b'\\', &s[1..]).map(|e| e + 1) {
        if s[end] == quote && end - 1 <= CAP {
            return (util::lossy(&s[1..end]), end + 1);
        }
    }
    let mut out = Vec::new();
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b if b == quote => return (Cow::Owned(util::lossy(&out).into_owned()), i + 1),
            b'\\' if i + 1 < s.len() => {
                let c = s[i + 1];
                i += 2;
                let ch = match c {
                    b'n' => Some('\n'),
                    b't' => Some('\t'),
                    b'r' => Some('\r'),
                    b'x' | b'u' | b'U' => {
                        let len = match c {
                            b'x' => 2,
                            b'u' => 4,
                            _ => 8,
                        };
                        let hex = s.get(i..i + len).and_then(|h| std::str::from_utf8(h).ok());
                        let code = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
                        // (A lone surrogate's digits are passed over unprinted.)
                        i += if code.is_some() { len } else { 0 };
                        code.and_then(char::from_u32)
                    }
                    other => {
                        if out.len() < CAP {
                            out.push(other);
                        }
                        None
                    }
                };
                if let Some(ch) = ch.filter(|_| out.len() < CAP) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
            b => {
                if out.len() < CAP {
                    out.push(b);
                }
                i += 1;
            }
        }
    }
    (Cow::Owned(util::lossy(&out).into_owned()), s.len())
}

/// Reads Python's `datetime.datetime(2024, 1, 10, 10, 0, 5, tzinfo=tzutc())`
/// (the kubernetes client's times; seconds and microseconds are left out
/// when zero) up to its closing parenthesis: the time in RFC 3339 when its
/// zone is UTC (`tzutc()`, `datetime.timezone.utc`), else `None`, and the
/// bytes used.
fn python_datetime(s: &[u8]) -> (Option<String>, usize) {
    let mut depth = 0usize;
    let mut end = s.len();
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    end = i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = s[b"datetime.datetime(".len()..end].strip_suffix(b")").unwrap_or_default();
    let inner = util::lossy(inner);
    let mut nums = Vec::new();
    let mut utc = false;
    for arg in inner.split(',').map(str::trim) {
        match arg.strip_prefix("tzinfo=") {
            Some(tz) => utc = matches!(tz, "tzutc()" | "datetime.timezone.utc" | "timezone.utc" | "UTC"),
            None => match arg.parse::<u32>() {
                Ok(n) => nums.push(n),
                Err(_) => return (None, end),
            },
        }
    }
    if !utc || !(3..=7).contains(&nums.len()) {
        return (None, end);
    }
    nums.resize(6, 0);
    let t = format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]);
    // (A date that does not exist is no time either.)
    (when::any(&t).map(|_| t), end)
}

/// `key: value` / `key:` / `"key": value` in YAML.
fn yaml_key_value(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(q) = s.strip_prefix(b"\"") {
        let end = memchr::memchr(b'"', q)?;
        let rest = q[end + 1..].strip_prefix(b":")?;
        return Some((&q[..end], rest));
    }
    let colon = memchr::memchr(b':', s)?;
    let key = &s[..colon];
    let after = &s[colon + 1..];
    if key.is_empty() || !(after.is_empty() || after[0] == b' ') {
        return None;
    }
    if !key.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')) {
        return None;
    }
    Some((key, after))
}

fn strip_yaml_comment(v: &[u8]) -> &[u8] {
    if v.starts_with(b"\"") || v.starts_with(b"'") {
        return v;
    }
    match util::find(v, b" #") {
        Some(at) => util::trim_end(&v[..at]),
        None => v,
    }
}

/// The syntax of a line holding an exit-code key, if it is a document line:
/// `"exitCode": 137,` / `"ExitCode": 0` (JSON), `ExitCode:137,` (Go struct),
/// `exitCode: 3` (YAML).
///
/// A member of a pretty-printed document that holds its object on one line,
/// `"lastState": {"terminated": {"exitCode": 137, ...}},`, counts as JSON too.
pub fn key_line_syntax(msg: &[u8]) -> Option<Syntax> {
    let body = util::trim(msg);
    let body = body.strip_prefix(b"- ").unwrap_or(body);
    // (`'exit_code': 1,`: Python's repr of a pod.)
    let (quote, rest) = match body.first() {
        Some(&q @ (b'"' | b'\'')) => (Some(q), &body[1..]),
        _ => (None, body),
    };
    let quoted = quote.is_some();
    if quote.is_some_and(|q| inline_exit_code(rest, q)) {
        return Some(Syntax::Json);
    }
    let rest = rest
        .strip_prefix(b"exitCode")
        .or_else(|| rest.strip_prefix(b"ExitCode"))
        .or_else(|| rest.strip_prefix(b"exit_code"))?;
    let rest = match quote {
        Some(q) => rest.strip_prefix(&[q][..])?,
        None => rest,
    };
    let rest = rest.strip_prefix(b":")?;
    let value = util::trim(rest);
    let value = value.strip_suffix(b",").unwrap_or(value);
    let value = util::unquote(value);
    util::whole_int(value)?;
    if quoted || body.ends_with(b",") {
        Some(Syntax::Json)
    } else if rest.starts_with(b" ") {
        Some(Syntax::Yaml)
    } else {
        Some(Syntax::Json)
    }
}

/// `<key>": {... "exitCode": N ...}`: a quoted key whose value is an object
/// that holds a pod status exit code (`<key>': {... 'exit_code': N ...}` in
/// Python's repr).
fn inline_exit_code(rest: &[u8], quote: u8) -> bool {
    let Some(q) = memchr::memchr(quote, rest) else { return false };
    let value = util::trim_start(rest[q + 1..].strip_prefix(b":").unwrap_or_default());
    if !value.starts_with(b"{") {
        return false;
    }
    let key: &[u8] = if quote == b'"' { b"\"exitCode\":" } else { b"'exit_code':" };
    let Some(at) = util::find(value, key) else { return false };
    let n = util::trim_start(&value[at + key.len()..]);
    let digits = n.strip_prefix(b"-").unwrap_or(n);
    digits.first().is_some_and(u8::is_ascii_digit)
}

/// True for lines that can be part of a document of `syntax` (for looking back
/// from the exit-code line to where the document starts).
pub fn is_doc_like(line: &[u8], syntax: Syntax) -> bool {
    let body = util::trim(line);
    if body.is_empty() {
        return false;
    }
    match syntax {
        Syntax::Json => looks_json(body),
        Syntax::Yaml => {
            let b = body.strip_prefix(b"- ").unwrap_or(body);
            b == b"-" || yaml_key_value(b).is_some() || line.first() == Some(&b' ')
        }
    }
}

/// True when `line` opens a whole document (`{`, `[`, `apiVersion:` at column 0).
pub fn is_doc_start(line: &[u8], syntax: Syntax) -> bool {
    match syntax {
        Syntax::Json => matches!(line.first(), Some(b'{') | Some(b'[')),
        Syntax::Yaml => line.starts_with(b"apiVersion:") || line.starts_with(b"kind:") || line == b"---",
    }
}

/// Where a piece of a long line of compact JSON may end: just after the last
/// `,` of `b` that is outside strings (`b` starts outside any string), so
/// that no string, key or value is cut in two. `None` when `b` has no such
/// comma (a string runs on past its end).
pub fn json_split(b: &[u8]) -> Option<usize> {
    let mut last = None;
    let mut i = 0;
    loop {
        let rest = b.get(i..)?;
        let quote = memchr::memchr(b'"', rest).map(|q| i + q);
        if let Some(c) = memchr::memrchr(b',', &b[i..quote.unwrap_or(b.len())]) {
            last = Some(i + c + 1);
        }
        let Some(q) = quote else { return last };
        // Inside the string: to the first quote no backslash escapes.
        let mut j = q + 1;
        loop {
            match b.get(j..).and_then(|r| memchr::memchr2(b'"', b'\\', r)) {
                None => return last,
                Some(k) if b[j + k] == b'\\' => j += k + 2,
                Some(k) => {
                    j += k + 1;
                    break;
                }
            }
        }
        i = j;
    }
}

/// Parses one whole line of compact JSON (`{"apiVersion":"v1","kind":"Pod",...}`).
pub fn parse_compact(line: &[u8], line_no: u64) -> Vec<Record> {
    let mut d = Doc::new(Syntax::Json);
    d.feed(line, line_no);
    let mut out = d.take_records();
    out.extend(d.finish());
    out
}

#[cfg(test)]
/// A compact `List` of `n` pods, one termination each, whose strings hold
/// commas, escaped quotes, backslashes and brackets.
pub(crate) fn tricky_list(n: usize) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "kind": "Pod",
                "metadata": {"name": format!("web-{i}"), "namespace": "shop",
                    "annotations": {"note": "a, \"b\"}, {\\ [c],"}},
                "status": {"containerStatuses": [{
                    "name": "app", "containerID": format!("containerd://{i:x}"), "restartCount": i,
                    "lastState": {"terminated": {"exitCode": i % 256, "reason": "Error",
                        "message": format!("panic: x, \"y\" \\ {i},")}},
                    "state": {"running": {}}}]}
            })
        })
        .collect();
    serde_json::json!({"kind": "List", "items": items}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(syntax: Syntax, text: &str) -> Vec<Record> {
        let mut d = Doc::new(syntax);
        let mut out = Vec::new();
        for (n, l) in text.lines().enumerate() {
            let step = d.feed(l.as_bytes(), n as u64 + 1);
            out.extend(d.take_records());
            if step != Step::Continue {
                break;
            }
        }
        out.extend(d.finish());
        out
    }

    fn brief(r: &Record) -> (Option<&str>, Option<i64>, Option<&str>, Option<State>) {
        (r.container.as_deref(), r.raw_exit_code, r.reason.as_deref(), r.state)
    }

    const POD_JSON: &str = r#"{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web-1",
        "namespace": "shop"
    },
    "spec": {"containers": [{"name": "app", "image": "x"}]},
    "status": {
        "containerStatuses": [
            {
                "containerID": "containerd://abc",
                "lastState": {
                    "terminated": {
                        "exitCode": 137,
                        "finishedAt": "2024-01-28T09:05:11Z",
                        "reason": "OOMKilled",
                        "startedAt": "2024-01-28T09:01:33Z"
                    }
                },
                "name": "app",
                "restartCount": 4,
                "state": {
                    "terminated": {"exitCode": 0, "reason": "Completed"}
                }
            }
        ]
    }
}"#;

    #[test]
    fn pod_json() {
        let recs = run(Syntax::Json, POD_JSON);
        assert_eq!(recs.len(), 2);
        assert_eq!(brief(&recs[0]), (Some("app"), Some(137), Some("OOMKilled"), Some(State::LastTerminated)));
        assert_eq!(brief(&recs[1]), (Some("app"), Some(0), Some("Completed"), Some(State::Terminated)));
        let r = &recs[0];
        assert_eq!((r.pod.as_deref(), r.namespace.as_deref()), (Some("web-1"), Some("shop")));
        assert_eq!((r.restart_count, r.container_id.as_deref()), (Some(4), Some("containerd://abc")));
        assert_eq!(r.finished_at.as_deref(), Some("2024-01-28T09:05:11Z"));
        assert_eq!(r.line, 15);
    }

    #[test]
    fn pod_json_compact() {
        let compact: String = POD_JSON.split_whitespace().collect::<Vec<_>>().join("");
        let recs = parse_compact(compact.as_bytes(), 7);
        assert_eq!(recs.len(), 2);
        assert_eq!(brief(&recs[1]), (Some("app"), Some(0), Some("Completed"), Some(State::Terminated)));
        assert_eq!(recs[0].pod.as_deref(), Some("web-1"));
    }

    #[test]
    fn pod_yaml_list() {
        let y = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-1\n    namespace: shop\n  status:\n    containerStatuses:\n    - containerID: containerd://abc\n      lastState:\n        terminated:\n          exitCode: 3\n          message: |\n            line one\n            line two\n          reason: Error\n      name: app\n      restartCount: 2\n      state:\n        running:\n          startedAt: \"2024-01-28T09:05:11Z\"\n    - name: side\n      state:\n        terminated:\n          exitCode: 143\n          reason: Error\nkind: List\n";
        let recs = run(Syntax::Yaml, y);
        assert_eq!(recs.len(), 2, "{recs:#?}");
        assert_eq!(brief(&recs[0]), (Some("app"), Some(3), Some("Error"), Some(State::LastTerminated)));
        assert_eq!(recs[0].message.as_deref(), Some("line one\nline two"));
        assert_eq!(recs[0].pod.as_deref(), Some("web-1"));
        assert_eq!(recs[0].restart_count, Some(2));
        assert_eq!(brief(&recs[1]), (Some("side"), Some(143), Some("Error"), Some(State::Terminated)));
    }

    #[test]
    fn fragments() {
        let y = "lastState:\n        terminated:\n          exitCode: 3\n          reason: Error\n";
        let recs = run(Syntax::Yaml, y);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(None, Some(3), Some("Error"), Some(State::LastTerminated))]
        );

        let j = "        \"oom-test\": {\n            \"state\": {\n                \"termination\": {\n                    \"exitCode\": 137,\n                    \"reason\": \"OOM Killed\",\n                    \"startedAt\": \"2014-12-18T23:22:25Z\"\n                }\n            },";
        let recs = run(Syntax::Json, j);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(Some("oom-test"), Some(137), Some("OOM Killed"), Some(State::Terminated))]
        );
    }

    #[test]
    fn docker_inspect() {
        let j = "[\n    {\n        \"Id\": \"38be06a7\",\n        \"State\": {\n            \"Status\": \"exited\",\n            \"Running\": false,\n            \"OOMKilled\": true,\n            \"ExitCode\": 137,\n            \"FinishedAt\": \"2025-02-26T10:03:00.267463824Z\"\n        },\n        \"Name\": \"/web\",\n        \"RestartCount\": 0\n    }\n]";
        let recs = run(Syntax::Json, j);
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(brief(r), (Some("web"), Some(137), Some("OOMKilled"), Some(State::Terminated)));
        assert_eq!(r.container_id.as_deref(), Some("38be06a7"));
        assert!(r.hints.oom_event);
        assert_eq!(r.format, Format::Docker);

        let go = "`State:{\nDead:false,\nError:\"\",\nExitCode:137,\nOOMKilled:false,\nRunning:false,\nStatus:\"exited\"\n}`";
        let recs = run(Syntax::Json, go);
        assert_eq!(recs.iter().map(brief).collect::<Vec<_>>(), vec![(None, Some(137), None, Some(State::Terminated))]);

        // A running container's State is no termination.
        let running = "\"State\": {\n \"Status\": \"running\",\n \"Running\": true,\n \"ExitCode\": 0\n},";
        assert!(run(Syntax::Json, running).is_empty());
    }

    #[test]
    fn ecs_tasks() {
        let task = |status: &str, code: &str, reason: &str| {
            format!(
                r#"{{"tasks": [{{"containers": [
  {{"containerArn": "arn:aws:ecs:us-east-1:1:container/prod/abc/def", "taskArn": "arn:aws:ecs:us-east-1:1:task/prod/abc",
    "name": "web", "runtimeId": "abc-123", "lastStatus": "{status}", "exitCode": {code}{reason}}}],
  "lastStatus": "STOPPED", "stoppedAt": "2024-01-28T09:05:11.123000+00:00", "stoppedReason": "Essential container in task exited"}}],
 "failures": []}}"#
            )
        };
        let recs = run(
            Syntax::Json,
            &task("STOPPED", "137", r#", "reason": "OutOfMemoryError: Container killed due to memory usage""#),
        );
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(Some("web"), Some(137), Some("OOMKilled"), Some(State::Terminated))]
        );
        let r = &recs[0];
        assert_eq!(
            (r.namespace.as_deref(), r.pod.as_deref(), r.container_id.as_deref()),
            (Some("prod"), Some("abc"), Some("abc-123"))
        );
        assert_eq!(r.finished_at.as_deref(), Some("2024-01-28T09:05:11.123Z"));
        assert_eq!(r.message.as_deref(), Some("OutOfMemoryError: Container killed due to memory usage"));
        assert!(r.hints.oom_event);
        assert_eq!(r.format, Format::Orchestrator);
        // Another reason is the message only.
        let recs = run(Syntax::Json, &task("STOPPED", "1", r#", "reason": "CannotInspectContainerError: x""#));
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(Some("web"), Some(1), None, Some(State::Terminated))]
        );
        // Still running, no code yet, or an app's JSON with a lastStatus: nothing.
        assert!(run(Syntax::Json, &task("RUNNING", "0", "")).is_empty());
        assert!(run(Syntax::Json, &task("STOPPED", "null", "")).is_empty());
        assert!(run(Syntax::Json, r#"{"name": "job", "lastStatus": "STOPPED", "exitCode": 2}"#).is_empty());
    }

    #[test]
    fn azure_container_instances() {
        let group = r#"{"containers": [{"instanceView": {
    "currentState": {"detailStatus": "Error", "exitCode": 137, "finishTime": "2024-01-28T09:05:11+00:00", "state": "Terminated"},
    "events": [{"name": "Pulling", "type": "Normal"}],
    "previousState": {"detailStatus": "Completed", "exitCode": 0, "state": "Terminated"},
    "restartCount": 1},
  "name": "batch"},
  {"instanceView": {"currentState": {"exitCode": null, "state": "Running"}, "previousState": null, "restartCount": 0}, "name": "web"}],
 "name": "nightly-batch", "type": "Microsoft.ContainerInstance/containerGroups"}"#;
        let recs = run(Syntax::Json, group);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![
                (Some("batch"), Some(137), Some("Error"), Some(State::Terminated)),
                (Some("batch"), Some(0), Some("Completed"), Some(State::LastTerminated)),
            ]
        );
        for r in &recs {
            assert_eq!((r.pod.as_deref(), r.restart_count, r.init), (Some("nightly-batch"), Some(1), Some(false)));
            assert_eq!(r.format, Format::Orchestrator);
        }
        assert_eq!(recs[0].finished_at.as_deref(), Some("2024-01-28T09:05:11Z"));
    }

    #[test]
    fn nomad_task_events() {
        let alloc = r#"{"ID": "9c2e", "Namespace": "default", "Name": "web.web[0]",
 "Job": {"Name": "web", "Namespace": "default", "TaskGroups": [{"Name": "web", "Tasks": [{"Name": "app"}]}]},
 "TaskStates": {"app": {"State": "running", "Restarts": 2, "Events": [
   {"Type": "Terminated", "Time": 1706432711000000000, "DisplayMessage": "Exit Code: 137, Exit Message: \"OOM Killed\"",
    "Details": {"exit_code": "137", "exit_message": "OOM Killed", "oom_killed": "true", "signal": "0"}, "ExitCode": 137, "Signal": 0},
   {"Type": "Restarting", "Time": 1706432713000000000, "Details": {}, "ExitCode": 0, "Signal": 0},
   {"Type": "Terminated", "Time": 1706432800000000000, "Details": {"exit_code": "0", "oom_killed": "false", "signal": "15"}, "ExitCode": 0, "Signal": 15}]}}}"#;
        let recs = run(Syntax::Json, alloc);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![
                (Some("app"), Some(137), Some("OOMKilled"), Some(State::Terminated)),
                (Some("app"), Some(0), None, Some(State::Terminated)),
            ]
        );
        let r = &recs[0];
        assert_eq!(
            (r.pod.as_deref(), r.namespace.as_deref(), r.restart_count),
            (Some("web.web[0]"), Some("default"), Some(2))
        );
        assert_eq!(
            (r.message.as_deref(), r.finished_at.as_deref()),
            (Some("OOM Killed"), Some("2024-01-28T09:05:11Z"))
        );
        assert!(r.hints.oom_event);
        assert_eq!(recs[1].stated_signal.map(|s| s.0), Some(15));
        assert_eq!(r.format, Format::Orchestrator);
    }

    #[test]
    fn aws_batch_jobs() {
        let container = |code: i64, task: &str| {
            format!(
                r#"{{"taskArn": "arn:aws:ecs:us-east-1:1:task/AWSBatch-ce/{task}", "exitCode": {code}, "logStreamName": "j/default/{task}"}}"#
            )
        };
        let job = |attempts: &str, last: &str| {
            format!(
                r#"{{"jobs": [{{"jobName": "etl", "status": "FAILED", "attempts": [{attempts}],
  "retryStrategy": {{"attempts": 2}}, "stoppedAt": 1706432711000, "container": {last}}}]}}"#
            )
        };
        let two = format!(
            r#"{{"container": {}, "stoppedAt": 1706429100000}}, {{"container": {}, "stoppedAt": 1706432711000}}"#,
            container(1, "t1"),
            container(137, "t2")
        );
        let recs = run(Syntax::Json, &job(&two, &container(137, "t2")));
        assert_eq!(
            recs.iter()
                .map(|r| (r.container.as_deref(), r.raw_exit_code, r.pod.as_deref(), r.finished_at.as_deref()))
                .collect::<Vec<_>>(),
            vec![
                (Some("etl"), Some(1), Some("t1"), Some("2024-01-28T08:05:00Z")),
                (Some("etl"), Some(137), Some("t2"), Some("2024-01-28T09:05:11Z")),
            ]
        );
        // No attempts: the job's own container, ended at the job's stoppedAt.
        let recs = run(Syntax::Json, &job("", &container(2, "t3")));
        assert_eq!(
            recs.iter()
                .map(|r| (r.raw_exit_code, r.namespace.as_deref(), r.finished_at.as_deref()))
                .collect::<Vec<_>>(),
            vec![(Some(2), Some("AWSBatch-ce"), Some("2024-01-28T09:05:11Z"))]
        );
        // A job that never ran a container.
        assert!(run(Syntax::Json, &job("", r#"{"image": "x", "vcpus": 1}"#)).is_empty());
    }

    #[test]
    fn tekton_step_states() {
        // kubectl -o json keeps Go's field order (the embedded ContainerState
        // first); -o yaml sorts the keys.
        let json = r#"{"metadata": {"name": "build-run", "namespace": "ci"}, "status": {"podName": "build-run-pod", "steps": [
  {"terminated": {"containerID": "containerd://b", "exitCode": 2, "reason": "Error"}, "name": "build", "container": "step-build"}]}}"#;
        let yaml = "metadata:\n  name: build-run\n  namespace: ci\nstatus:\n  podName: build-run-pod\n  steps:\n  - container: step-build\n    name: build\n    terminated:\n      containerID: containerd://b\n      exitCode: 2\n      reason: Error\n";
        for (syntax, text) in [(Syntax::Json, json), (Syntax::Yaml, yaml)] {
            let recs = run(syntax, text);
            assert_eq!(
                recs.iter().map(brief).collect::<Vec<_>>(),
                vec![(Some("step-build"), Some(2), Some("Error"), None)],
                "{text}"
            );
            assert_eq!((recs[0].pod.as_deref(), recs[0].namespace.as_deref()), (Some("build-run-pod"), Some("ci")));
            assert_eq!(recs[0].container_id.as_deref(), Some("containerd://b"));
        }
    }

    #[test]
    fn swarm_tasks() {
        let task = |state: &str, id: &str, code: i64| {
            format!(
                r#"[{{"ID": "x2kqz0n4rj8kq5d1vj3mpa9lo", "Slot": 1,
  "Status": {{"Timestamp": "2024-01-28T09:05:11.5Z", "State": "{state}", "Message": "started", "Err": "task: non-zero exit ({code})",
    "ContainerStatus": {{"ContainerID": "{id}", "PID": 0, "ExitCode": {code}}},
    "PortStatus": {{}}}},
  "DesiredState": "shutdown"}}]"#
            )
        };
        let recs = run(Syntax::Json, &task("failed", "4f3c2b1a0e9d", 137));
        assert_eq!(recs.iter().map(brief).collect::<Vec<_>>(), vec![(None, Some(137), None, Some(State::Terminated))]);
        assert_eq!(recs[0].container_id.as_deref(), Some("4f3c2b1a0e9d"));
        assert_eq!(recs[0].message.as_deref(), Some("task: non-zero exit (137)"));
        assert_eq!(recs[0].format, Format::Docker);
        assert_eq!(run(Syntax::Json, &task("complete", "4f3c2b1a0e9d", 0)).len(), 1);
        // Still running, or never given a container: no termination.
        assert!(run(Syntax::Json, &task("running", "4f3c2b1a0e9d", 0)).is_empty());
        assert!(run(Syntax::Json, &task("rejected", "", 0)).is_empty());
    }

    #[test]
    fn crictl_status() {
        let j = "{\n  \"status\": {\n    \"id\": \"abc\",\n    \"metadata\": {\n      \"attempt\": 0,\n      \"name\": \"oom\"\n    },\n    \"state\": \"CONTAINER_EXITED\",\n    \"exitCode\": 137,\n    \"reason\": \"OOMKilled\"\n  }\n}";
        let recs = run(Syntax::Json, j);
        assert_eq!(
            recs.iter().map(brief).collect::<Vec<_>>(),
            vec![(Some("oom"), Some(137), Some("OOMKilled"), Some(State::Terminated))]
        );
    }

    /// Container and exit code of each record.
    type Found<'a> = Vec<(Option<&'a str>, Option<i64>)>;

    #[test]
    fn ps_rows_as_json() {
        let t: [(&str, Found<'_>); 9] = [
            // docker ps --format json: the code is only in Status.
            (
                r#"{"ID":"1a2b3c4d5e6f","Names":"job,job-alias","State":"exited","Status":"Exited (3) 5 minutes ago"}"#,
                vec![(Some("job"), Some(3))],
            ),
            (r#"{"ID":"1a2b3c4d5e6f","Names":"web","State":"running","Status":"Up 5 minutes"}"#, vec![]),
            // docker compose ps --format json: ExitCode and Status agree; a list.
            (
                r#"[{"ExitCode":137,"ID":"2a","Name":"p-w-1","Names":"p-w-1","State":"exited","Status":"Exited (137) 1 minute ago"},{"ExitCode":0,"ID":"3a","Name":"p-x-1","State":"running","Status":"Up 1 minute"}]"#,
                vec![(Some("p-w-1"), Some(137))],
            ),
            // podman ps --format json: a list of names, State without a Status.
            (
                r#"{"ExitCode":2,"Exited":true,"Id":"5e4f","Names":["sleeper","other"],"State":"exited"}"#,
                vec![(Some("sleeper"), Some(2))],
            ),
            (
                r#"{"ExitCode":0,"Exited":false,"Id":"5e4f","Names":["web"],"State":"running","Status":"Up 2 minutes"}"#,
                vec![],
            ),
            // Created, never started: no exit.
            (r#"{"ExitCode":0,"Id":"5e4f","Names":["c"],"State":"created","Status":"Created"}"#, vec![]),
            // No container named: an app's own status JSON.
            (r#"{"job":"backup","Status":"Exited (1) at 09:05"}"#, vec![]),
            // docker inspect: State is an object; one record, not two.
            (
                r#"{"Id":"3f2a","Name":"/web","State":{"Status":"exited","Running":false,"OOMKilled":false,"ExitCode":1}}"#,
                vec![(Some("web"), Some(1))],
            ),
            // A code in Status that is no number.
            (r#"{"ID":"1a","Names":"x","Status":"Exited (abc) 1 minute ago"}"#, vec![]),
        ];
        for (j, want) in t {
            let recs = parse_compact(j.as_bytes(), 1);
            let got: Vec<_> = recs.iter().map(|r| (r.container.as_deref(), r.raw_exit_code)).collect();
            assert_eq!(got, want, "{j}");
        }
        assert!(is_ps_status_line(br#"  "Status": "Exited (3) 5 minutes ago","#));
        assert!(!is_ps_status_line(br#"  "Status": "Up 5 minutes","#));
        assert!(!is_ps_status_line(br#"  "status": "Exited (3) 5 minutes ago","#));
    }

    #[test]
    fn crictl_status_names_its_pod() {
        let y = "status:\n  annotations:\n    io.kubernetes.container.restartCount: \"3\"\n  exitCode: 137\n  id: 7e5c\n  labels:\n    io.kubernetes.container.name: api\n    io.kubernetes.pod.name: api-7d9f8-x2x\n    io.kubernetes.pod.namespace: shop\n  metadata:\n    attempt: 3\n    name: api\n  reason: OOMKilled\n  state: CONTAINER_EXITED\n";
        for (syntax, text) in [
            (Syntax::Yaml, y.to_string()),
            (Syntax::Json, {
                let j = r#"{"status":{"annotations":{"io.kubernetes.container.restartCount":"3"},"exitCode":137,"id":"7e5c","labels":{"io.kubernetes.container.name":"api","io.kubernetes.pod.name":"api-7d9f8-x2x","io.kubernetes.pod.namespace":"shop"},"metadata":{"attempt":3,"name":"api"},"reason":"OOMKilled","state":"CONTAINER_EXITED"}}"#;
                j.to_string()
            }),
        ] {
            let recs = run(syntax, &text);
            let got: Vec<_> = recs
                .iter()
                .map(|r| {
                    (r.pod.as_deref(), r.namespace.as_deref(), r.container.as_deref(), r.restart_count, r.raw_exit_code)
                })
                .collect();
            assert_eq!(got, vec![(Some("api-7d9f8-x2x"), Some("shop"), Some("api"), Some(3), Some(137))], "{text}");
        }
    }

    #[test]
    fn app_json_is_no_termination() {
        let recs = parse_compact(
            br#"{"level":"error","msg":"subprocess finished","cmd":"git fetch --all","exitCode":128}"#,
            1,
        );
        assert!(recs.is_empty());
    }

    #[test]
    fn key_lines() {
        assert_eq!(key_line_syntax(b"    \"exitCode\": 137,"), Some(Syntax::Json));
        assert_eq!(key_line_syntax(b"            \"ExitCode\": 0,"), Some(Syntax::Json));
        assert_eq!(key_line_syntax(b"ExitCode:137,"), Some(Syntax::Json));
        assert_eq!(key_line_syntax(b"          exitCode: 3"), Some(Syntax::Yaml));
        assert_eq!(key_line_syntax(b"exitCode: abc"), None);
        assert_eq!(key_line_syntax(b"prose exitCode: 3"), None);
        assert_eq!(key_line_syntax(br#"{"exitCode":1}"#), None);
        // A member whose object sits on one line.
        let inline = br#"   "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},"#;
        assert_eq!(key_line_syntax(inline), Some(Syntax::Json));
        assert_eq!(key_line_syntax(br#""result": {"exitCode": "n/a"},"#), None);
        assert_eq!(key_line_syntax(br#""msg": "exitCode": 1"#), None);
        // Python's repr.
        assert_eq!(key_line_syntax(b"              'exit_code': 137,"), Some(Syntax::Json));
        let inline = b" 'terminated': {'container_id': None, 'exit_code': 1, 'reason': 'Error'},";
        assert_eq!(key_line_syntax(inline), Some(Syntax::Json));
        assert_eq!(key_line_syntax(b"'exit_code\": 1,"), None);
        assert_eq!(key_line_syntax(b"'exit_code': 'n/a',"), None);
    }

    /// `pprint` of the kubernetes client's `V1Pod.to_dict()`, as Airflow's
    /// KubernetesPodOperator logs a failed pod: sorted keys, snake_case names,
    /// `None`, single quotes, `datetime.datetime(...)`, a value wrapped
    /// onto the line after its key.
    const POD_REPR: &str = r#"{'api_version': 'v1',
 'kind': 'Pod',
 'metadata': {'labels': {'name': 'not-the-pod'},
              'name': 'etl-extract-k2j4x9',
              'namespace': 'airflow'},
 'status': {'container_statuses': [{'container_id': 'containerd://aaa',
                                    'last_state': {'running': None,
                                                   'terminated': {'container_id':
                                                                  'containerd://bbb',
                                                                  'exit_code': 137,
                                                                  'finished_at': datetime.datetime(2024, 3, 5, 10, 15, 58, 120000, tzinfo=tzutc()),
                                                                  'message': "can't allocate",
                                                                  'reason': 'OOMKilled',
                                                                  'signal': None,
                                                                  'started_at': datetime.datetime(2024, 3, 5, 10, 15, tzinfo=tzlocal())},
                                                   'waiting': None},
                                    'name': 'base',
                                    'ready': False,
                                    'restart_count': 3,
                                    'state': {'running': {'started_at': datetime.datetime(2024, 3, 5, 10, 16, tzinfo=tzutc())},
                                              'terminated': None,
                                              'waiting': None}}],
            'init_container_statuses': [{'name': 'fetch',
                                         'state': {'terminated': {'exit_code': 0,
                                                                  'reason': 'Completed'}}}],
            'phase': 'Running'}}"#;

    #[test]
    fn python_repr_of_a_pod() {
        let recs = run(Syntax::Json, POD_REPR);
        let briefs: Vec<_> = recs.iter().map(brief).collect();
        assert_eq!(
            briefs,
            vec![
                (Some("base"), Some(137), Some("OOMKilled"), Some(State::LastTerminated)),
                (Some("fetch"), Some(0), Some("Completed"), Some(State::Terminated)),
            ]
        );
        let r = &recs[0];
        assert_eq!((r.pod.as_deref(), r.namespace.as_deref()), (Some("etl-extract-k2j4x9"), Some("airflow")));
        assert_eq!(r.container_id.as_deref(), Some("containerd://bbb"));
        assert_eq!(r.restart_count, Some(3));
        assert_eq!(r.message.as_deref(), Some("can't allocate"));
        assert_eq!(r.finished_at.as_deref(), Some("2024-03-05T10:15:58Z"));
        // (tzlocal(): the zone is the printing machine's, unknown here.)
        assert_eq!(r.started_at, None);
        assert_eq!((recs[0].init, recs[1].init), (Some(false), Some(true)));
        // The same on one line (`repr`, no pprint).
        let one_line = POD_REPR.lines().map(str::trim).collect::<Vec<_>>().join(" ");
        let again: Vec<_> = parse_compact(one_line.as_bytes(), 1);
        assert_eq!(again.iter().map(brief).collect::<Vec<_>>(), briefs);
    }

    #[test]
    fn python_literals() {
        let q = |s: &'static [u8]| {
            let (w, n) = quoted_string(s);
            (w.into_owned(), n)
        };
        assert_eq!(q(br"'it\'s \x41\u00e9\n' rest"), ("it's A\u{e9}\n".to_string(), 20));
        assert_eq!(q(br#""can't" x"#), ("can't".to_string(), 7));
        assert_eq!(q(b"'open"), ("open".to_string(), 5));
        assert_eq!(q(br"'\x4'"), ("4".to_string(), 5));
        // Without escapes, borrowed (and capped like the long way).
        assert!(matches!(quoted_string(br#""web-1", x"#), (Cow::Borrowed("web-1"), 7)));
        let long = format!("\"{}\"", "a".repeat(CAP + 10));
        assert_eq!(quoted_string(long.as_bytes()), (Cow::Owned("a".repeat(CAP)), CAP + 12));
        assert_eq!(q(b"\"\""), (String::new(), 2));
        let dt = |s: &str| python_datetime(s.as_bytes());
        assert_eq!(
            dt("datetime.datetime(2024, 1, 5, 2, 26, 3, tzinfo=tzutc())}, x"),
            (Some("2024-01-05T02:26:03Z".into()), 55)
        );
        assert_eq!(
            dt("datetime.datetime(2024, 1, 5, 2, 26, tzinfo=datetime.timezone.utc)").0.as_deref(),
            Some("2024-01-05T02:26:00Z")
        );
        assert_eq!(
            dt("datetime.datetime(2024, 1, 5, 2, 26, 3, 5000, tzinfo=tzutc())").0.as_deref(),
            Some("2024-01-05T02:26:03Z")
        );
        assert_eq!(dt("datetime.datetime(2024, 1, 5, 2, 26, 3, tzinfo=tzlocal())").0, None);
        assert_eq!(dt("datetime.datetime(2024, 1, 5, 2, 26, 3)").0, None);
        assert_eq!(dt("datetime.datetime(2024, 2, 30, 2, 26, 3, tzinfo=tzutc())").0, None);
        assert_eq!(dt("datetime.datetime(2024, 1, x, tzinfo=tzutc())").0, None);
        assert_eq!(dt("datetime.datetime(2024, 1, 5, 2, 26"), (None, 35));
    }

    /// The last comma outside strings, the slow way: byte by byte.
    fn split_by_hand(b: &[u8]) -> Option<usize> {
        let (mut in_str, mut escaped, mut last) = (false, false, None);
        for (i, &c) in b.iter().enumerate() {
            match (in_str, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, b'\\') => escaped = true,
                (true, false, b'"') | (false, _, b'"') => in_str = !in_str,
                (false, _, b',') => last = Some(i + 1),
                _ => {}
            }
        }
        last
    }

    proptest::proptest! {
        #[test]
        fn json_split_ends_outside_strings(s in "[a,\"\\\\{}\\[]{0,60}") {
            proptest::prop_assert_eq!(json_split(s.as_bytes()), split_by_hand(s.as_bytes()));
        }

        /// A compact list fed in pieces that end where [`json_split`] says,
        /// as the scanner feeds a long line, reads like the whole line.
        #[test]
        fn pieces_read_like_the_whole_line(sizes in proptest::collection::vec(1usize..400, 1..40)) {
            let line = super::tricky_list(6);
            let line = line.as_bytes();
            let whole = parse_compact(line, 3);
            let (mut d, mut got, mut pos, mut avail) = (Doc::new(Syntax::Json), Vec::new(), 0, 0);
            for n in sizes.iter().cycle() {
                avail = (avail + n).min(line.len());
                if avail == line.len() {
                    break;
                }
                if let Some(s) = json_split(&line[pos..avail]) {
                    if d.feed(&line[pos..pos + s], 3) == Step::EndAfter {
                        got.extend(d.finish());
                    }
                    got.extend(d.take_records());
                    pos += s;
                }
            }
            d.feed(&line[pos..], 3);
            got.extend(d.take_records());
            got.extend(d.finish());
            proptest::prop_assert_eq!(got.len(), 6);
            proptest::prop_assert_eq!(got, whole);
        }
    }
}
