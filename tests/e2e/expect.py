#!/usr/bin/python3
"""What each runtime said, per artifact: writes the expectation files check.py compares
exitscan with.

  expect.py OUT EXPECT_DIR GROUP...      GROUP: cri docker containerd kernel kube systemd supervisor
  expect.py OUT - relay-input KIND DEST   writes the input of a relay container (see below)

The truth comes from the runtimes' own structured answers, never from parsing the text
exitscan reads: CRI ContainerStatus (cri/status-*.json), `docker inspect` and the JSON form
of `docker events`, the Pod objects kubectl rendered, systemd's journal fields
(EXIT_CODE/EXIT_STATUS), supervisord's XML-RPC process info and what the suite did to each
process. Each expected record names its case and what the runtime said.

Relay containers print real runtime lines through a real log pipeline (docker json-file,
CRI log files), so that the framing (P/F pieces, 16 KiB splits, a last line without a
newline) is the runtime's own: "relay-input docker-events DEST" takes the die events from
docker/events.txt, "relay-input containerd DEST" the TaskExit lines of the CRI containers
from containerd's log; both put a 20,000-byte line first and end without a newline.
"""
import glob
import json
import os
import re
import sys

OUT, EXPECT = sys.argv[1], sys.argv[2]
FILLER = "x" * 20000  # longer than one docker json-file entry / CRI log record (16 KiB)


def load(path):
    with open(os.path.join(OUT, path)) as f:
        return json.load(f)


def emit(artifact, records, message="exact", args=None):
    if not os.path.exists(os.path.join(OUT, artifact)):
        sys.exit(f"expect.py: artifact {artifact} is missing")
    spec = {"artifact": artifact, "records": records, "message": message}
    if args:
        spec["args"] = args
    os.makedirs(EXPECT, exist_ok=True)
    with open(os.path.join(EXPECT, artifact.replace("/", "__") + ".json"), "w") as f:
        json.dump(spec, f, indent=1)


def rec(case, said, **expect):
    expect.setdefault("repeat", False)
    return {"case": case, "said": said, "expect": expect}


def code_said(raw, sig=None):
    if raw is None:
        return f"killed by signal {sig}"
    return f"exit code {raw}"


# ---- CRI (containerd's CRI plugin) ----------------------------------------------------

def cri_statuses():
    state = load("cri/state.json")
    st = {}
    for c in state["containers"]:
        st[c["key"]] = load(f"cri/status-{c['key']}.json")["status"]
    return state, st


def cri_status_record(key, s, **extra):
    name = s["metadata"]["name"]
    said = f"CRI ContainerStatus: exitCode={s['exitCode']} reason={s['reason']}"
    e = dict(container=name, container_id=s["id"], state="terminated",
             raw_exit_code=s["exitCode"], reason=s["reason"] or None,
             message=s["message"] or None, oom=s["reason"] == "OOMKilled", format="pod-json")
    if s["reason"] == "StartError":
        e["cause"] = "not-found"  # the message says "no such file or directory"
    e.update(extra)
    return rec(f"cri/{key}", said, **e)


def group_cri():
    state, st = cri_statuses()
    for key, s in st.items():
        emit(f"cri/status-{key}.json", [cri_status_record(key, s)])
    # the real log files, kubelet layout: pods/<ns>_<pod>_<uid>/<container>/<attempt>.log
    for key, s in st.items():
        art = "cri/pods/" + s["logPath"].split("/cri/pods/", 1)[1]
        if s["metadata"]["name"] == "relay":
            emit(art, relay_records_docker_events("cri/relay"))
        else:
            emit(art, [])  # the containers' own output holds no termination


# ---- Docker ---------------------------------------------------------------------------

def docker_truth():
    return {c["Name"].lstrip("/"): c for c in load("docker/inspect.json")}


def docker_die_events():
    """die events from the JSON form of `docker events`, with whether an oom event for the
    same container came since its previous die (the evidence the text also carries)."""
    out, oom_pending = [], set()
    with open(os.path.join(OUT, "docker/events.jsonl")) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("Type") != "container":
                continue
            cid = ev["Actor"]["ID"]
            if ev["Action"] == "oom":
                oom_pending.add(cid)
            if ev["Action"] == "die":
                a = ev["Actor"]["Attributes"]
                out.append({"id": cid, "name": a["name"], "code": int(a["exitCode"]),
                            "timeNano": ev["timeNano"], "oom": cid in oom_pending})
                oom_pending.discard(cid)
    return out


def die_record(case_prefix, d):
    return rec(f"{case_prefix}/{d['name']}", f"docker events: die exitCode={d['code']}"
               + (" after an oom event" if d["oom"] else ""),
               container=d["name"], container_id=d["id"], state="terminated",
               raw_exit_code=d["code"], reason=None, oom=d["oom"], format="docker")


def group_docker():
    t = docker_truth()
    ps = []
    for name, c in t.items():
        s = c["State"]
        if s["Status"] == "exited":
            ps.append(rec(f"docker/{name}", f"docker inspect: Status=exited ExitCode={s['ExitCode']}"
                          + (" OOMKilled=true" if s["OOMKilled"] else ""),
                          container=name, state="terminated", raw_exit_code=s["ExitCode"],
                          reason=None, oom=False, format="docker"))
    emit("docker/ps-a.txt", ps)
    emit("docker/ps-a-no-trunc.txt", ps)
    ins = []
    for name, c in t.items():
        s = c["State"]
        said = (f"docker inspect: Status={s['Status']} ExitCode={s['ExitCode']} "
                f"OOMKilled={str(s['OOMKilled']).lower()}")
        if s["Status"] == "exited":
            ins.append(rec(f"docker/{name}", said, container=name, container_id=c["Id"],
                           state="terminated", raw_exit_code=s["ExitCode"],
                           reason="OOMKilled" if s["OOMKilled"] else None, oom=s["OOMKilled"],
                           restart_count=c["RestartCount"], finished_at=s["FinishedAt"],
                           format="docker"))
        elif s["ExitCode"] != 0:
            # never started: docker run said 127 and inspect keeps ExitCode 127 + Error
            ins.append(rec(f"docker/{name}", said + f" Error={s['Error'][:60]}...",
                           container=name, container_id=c["Id"], raw_exit_code=s["ExitCode"],
                           reason=None, format="docker"))
    emit("docker/inspect.json", ins)
    dies = [die_record("docker", d) for d in docker_die_events()]
    emit("docker/events.txt", dies)
    emit("docker/events.jsonl", dies)
    for name in t:
        art = f"docker/{name}-json.log"
        if not os.path.exists(os.path.join(OUT, art)):
            continue
        emit(art, relay_records_containerd("docker/relay") if name == "relay" else [])
    emit("docker/dockerd.log", [])


# ---- relays ---------------------------------------------------------------------------

def relay_input(kind, dest):
    lines = []
    if kind == "docker-events":
        with open(os.path.join(OUT, "docker/events.txt")) as f:
            lines = [ln.rstrip("\n") for ln in f if " container die " in ln or " container oom " in ln]
    elif kind == "containerd":
        _, st = cri_statuses()
        ids = {s["id"] for s in st.values()}
        with open(os.path.join(OUT, "containerd/containerd.log")) as f:
            for ln in f:
                m = re.search(r"TaskExit\{ContainerID:([0-9a-f]+)", ln)
                if m and m.group(1) in ids:
                    lines.append(ln.rstrip("\n"))
    with open(dest, "w") as f:
        f.write(FILLER + "\n" + "\n".join(lines))  # no newline after the last line
    return lines


def relay_records_docker_events(case_prefix):
    """The die lines relay-input put into the CRI relay container (see relay_input)."""
    with open(os.path.join(OUT, "cri/relay-input.txt")) as f:
        lines = f.read().split("\n")[1:]
    by_id_time = {(d["id"], d["timeNano"]): d for d in docker_die_events()}
    out = []
    for ln in lines:
        ts, _, action, cid = ln.split(" ")[:4]
        if action == "die":  # the oom lines are there as the evidence docker gives
            out.append(die_record(case_prefix, by_id_time[(cid, nano(ts))]))
    return out


def nano(rfc3339):
    """2026-11-25T08:04:26.230997635Z -> ns since the epoch (as docker's timeNano)."""
    import datetime as dt
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$", rfc3339)
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    frac = (m.group(2) or "").ljust(9, "0")
    return int(base.timestamp()) * 10**9 + int(frac)


def taskexit_record(case_prefix, s, oom=False):
    name = s["metadata"]["name"] + (f"-{s['metadata']['attempt']}" if s["metadata"].get("attempt") else "")
    return rec(f"{case_prefix}/{name}", f"CRI ContainerStatus of {s['id'][:12]}: exitCode={s['exitCode']}",
               container=s["id"], container_id=s["id"], raw_exit_code=s["exitCode"],
               reason=None, oom=oom, format="containerd")


def relay_records_containerd(case_prefix):
    _, st = cri_statuses()
    by_id = {s["id"]: s for s in st.values()}
    with open(os.path.join(OUT, "docker/relay-input.txt")) as f:
        lines = f.read().split("\n")[1:]
    return [taskexit_record(case_prefix, by_id[re.search(r"ContainerID:([0-9a-f]+)", ln).group(1)])
            for ln in lines]


# ---- containerd's own log and `ctr events` --------------------------------------------

def exits_by_id():
    """Every task exit of our containers, in order, with the runtime's statement:
    CRI ContainerStatus for the CRI containers, docker's die events for docker's."""
    _, st = cri_statuses()
    out = {}
    for key, s in st.items():
        if s["reason"] != "StartError":  # never started: no task, no exit event
            out.setdefault(s["id"], []).append(("cri", key, s["exitCode"], s))
    for d in docker_die_events():
        out.setdefault(d["id"], []).append(("docker", d["name"], d["code"], d))
    return out


def group_containerd():
    ex = exits_by_id()
    # containerd's debug log, the lines about our containers (grep by id)
    recs, seen, oom = [], {}, set()
    with open(os.path.join(OUT, "containerd/containerd-ours.log")) as f:
        for ln in f:
            m = re.search(r"TaskOOM(?: event)? &TaskOOM\{ContainerID:([0-9a-f]+)", ln)
            if m:
                oom.add(m.group(1))
            m = re.search(r"TaskExit\{ContainerID:([0-9a-f]+),ID:([0-9a-f]+)", ln)
            if not m or m.group(1) != m.group(2) or "received exit event" not in ln:
                continue
            cid = m.group(1)
            n = seen.get(cid, 0)
            seen[cid] = n + 1
            kind, key, code, _ = ex[cid][n]
            recs.append(rec(f"{kind}/{key}", f"{'CRI ContainerStatus' if kind == 'cri' else 'docker events die'}: "
                            f"exit code {code}" + (" (TaskOOM event before)" if cid in oom else ""),
                            container=cid, container_id=cid, raw_exit_code=code, reason=None,
                            oom=cid in oom, format="containerd"))
            oom.discard(cid)
    emit("containerd/containerd-ours.log", recs)
    # `ctr events`: /tasks/exit carries exit_status only when it is not 0 (protobuf JSON)
    recs, seen, oom = [], {}, set()
    with open(os.path.join(OUT, "containerd/ctr-events.txt")) as f:
        for ln in f:
            m = re.search(r" (/tasks/\w+) (\{.*\})\s*$", ln)
            if not m:
                continue
            topic, body = m.group(1), json.loads(m.group(2))
            cid = body.get("container_id")
            if cid not in ex:
                continue
            if topic == "/tasks/oom":
                oom.add(cid)
            if topic != "/tasks/exit" or body.get("id") != cid:
                continue
            n = seen.get(cid, 0)
            seen[cid] = n + 1
            kind, key, code, _ = ex[cid][n]
            if code == 0:
                continue  # exit_status omitted: exitscan must not guess a 0
            recs.append(rec(f"{kind}/{key}", f"{'CRI ContainerStatus' if kind == 'cri' else 'docker events die'}: "
                            f"exit code {code}" + (" (/tasks/oom before)" if cid in oom else ""),
                            container=cid, container_id=cid, raw_exit_code=code, reason=None,
                            oom=cid in oom, format="containerd"))
            oom.discard(cid)
    emit("containerd/ctr-events.txt", recs)


# ---- the kernel's OOM killer ----------------------------------------------------------

def group_kernel():
    _, st = cri_statuses()
    t = docker_truth()
    names = {s["id"]: ("cri/" + k, f"CRI reason={s['reason']}") for k, s in st.items()}
    names.update({c["Id"]: ("docker/" + n, f"docker inspect OOMKilled={str(c['State']['OOMKilled']).lower()}")
                  for n, c in t.items()})
    blocks = load("kernel/oom-blocks.json")
    recs = []
    for b in blocks:
        case, said = names[b["container_id"]]
        recs.append(rec(case, f"kernel: Killed process {b['pid']} ({b['comm']}); {said}",
                        raw_exit_code=None, signal=9, reason="OOMKilled", oom=True,
                        format="kernel"))
    emit("kernel/dmesg-oom.txt", recs)
    # a node's mixed stream: the kernel's OOM report, then containerd's TaskExit line
    # (The "oom" case whatever CRI's reason: see collect.py's kernel step.)
    cri_oom = st["oom"]
    b = next(b for b in blocks if b["container_id"] == cri_oom["id"])
    emit("kernel/mixed-node.txt", [
        rec("cri/oom", f"kernel: Killed process {b['pid']} ({b['comm']})",
            raw_exit_code=None, signal=9, reason="OOMKilled", oom=True, format="kernel"),
        rec("cri/oom", f"CRI ContainerStatus: exitCode={cri_oom['exitCode']} reason={cri_oom['reason']}; "
            "the kernel line names its pid", container=cri_oom["id"], container_id=cri_oom["id"],
            raw_exit_code=cri_oom["exitCode"], reason=None, oom=True, format="containerd")])


# ---- kubectl --------------------------------------------------------------------------

NT_CAUSE = {-1073741819: "ntstatus-STATUS_ACCESS_VIOLATION",
            -1073741510: "ntstatus-STATUS_CONTROL_C_EXIT",
            -1073741823: "windows-unknown"}


def pod_records(pod, kind, repeat=False):
    """Expected records for one Pod object as kubectl shows it (kind: describe|json|yaml)."""
    md, status = pod["metadata"], pod["status"]
    out = []
    pod_reason = status.get("reason")
    for key, init in (("initContainerStatuses", True), ("containerStatuses", False),
                      ("ephemeralContainerStatuses", False)):
        for cs in status.get(key, []):
            for st_key, state in (("state", "terminated"), ("lastState", "last_terminated")):
                t = (cs.get(st_key) or {}).get("terminated")
                if not t:
                    continue
                # describe shows the status's Container ID; json/yaml keep the terminated one's
                cid = cs.get("containerID") if kind == "describe" else (t.get("containerID") or cs.get("containerID"))
                e = dict(namespace=md["namespace"], pod=md["name"], container=cs["name"], init=init,
                         state=state, container_id=cid, raw_exit_code=t["exitCode"],
                         reason=t.get("reason") or None, message=t.get("message") or None,
                         restart_count=cs.get("restartCount", 0), started_at=t.get("startedAt"),
                         finished_at=t.get("finishedAt"), oom=t.get("reason") == "OOMKilled",
                         repeat=repeat, format="describe" if kind == "describe" else "pod-json")
                if t.get("signal"):
                    e["signal"] = t["signal"]
                if t["exitCode"] in NT_CAUSE:
                    e["cause"] = NT_CAUSE[t["exitCode"]]
                elif pod_reason == "Evicted" and t.get("reason") != "OOMKilled":
                    e["cause"] = "evicted"  # the pod's status says so, in every rendering
                elif t.get("reason") == "ContainerStatusUnknown":
                    e["cause"] = "status-unknown"
                elif t.get("reason") == "StartError" and "no such file" in (t.get("message") or ""):
                    e["cause"] = "not-found"
                elif pod_reason == "DeadlineExceeded":
                    e["cause"] = "deadline-exceeded"
                elif md["name"].startswith("api-") and cs["name"] == "envoy":
                    # the Liveness probe failed events are only in describe's Events table
                    e["cause"] = "liveness-probe" if kind == "describe" else "sigkill"
                said = f"Pod {md['namespace']}/{md['name']} {st_key}.terminated: exitCode={t['exitCode']}"
                if t.get("signal"):
                    said += f" signal={t['signal']}"
                if t.get("reason"):
                    said += f" reason={t['reason']}"
                if pod_reason:
                    said += f" (pod reason {pod_reason})"
                out.append(rec(f"kube/{md['namespace']}/{md['name']}/{cs['name']}", said, **e))
    return out


def group_kube():
    pods = {}
    for f in sorted(glob.glob(os.path.join(OUT, "kube/pod-objects/*/*.json"))):
        with open(f) as fh:
            p = json.load(fh)
        pods[(p["metadata"]["namespace"], p["metadata"]["name"])] = p
    for (ns, name), p in pods.items():
        emit(f"kube/describe-{ns}-{name}.txt", pod_records(p, "describe"), message="ws")
        emit(f"kube/get-{ns}-{name}.json", pod_records(p, "json"))
        emit(f"kube/get-{ns}-{name}.yaml", pod_records(p, "yaml"))
    # kubectl lists pods sorted by namespace, then name
    allp = [pods[k] for k in sorted(pods)]
    emit("kube/get-all.json", [r for p in allp for r in pod_records(p, "json")])
    emit("kube/get-all.yaml", [r for p in allp for r in pod_records(p, "yaml")])
    emit("kube/describe-all-shop.txt",
         [r for p in allp if p["metadata"]["namespace"] == "shop" for r in pod_records(p, "describe")],
         message="ws")
    cl = pods[("e2e", "e2e-crashloop")]
    emit("kube/describe-twice.txt", pod_records(cl, "describe") + pod_records(cl, "describe", repeat=True),
         message="ws")


# ---- systemd (booted in nspawn) -------------------------------------------------------

SIGNUM = {"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8,
          "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15}


def journal_exits():
    """The unit-process-exit entries (MESSAGE_ID 98e32220...) with systemd's own fields."""
    out = []
    with open(os.path.join(OUT, "systemd/journal.json")) as f:
        for line in f:
            j = json.loads(line)
            if j.get("MESSAGE_ID") != "98e322203f7a4ed290d09fe03c09fe15":
                continue
            kind, status = j["EXIT_CODE"], j["EXIT_STATUS"]
            unit = j.get("UNIT") or j.get("_SYSTEMD_UNIT")
            if kind == "exited":
                raw, sig = int(status), None
            else:  # killed / dumped: EXIT_STATUS is the signal (a name or a number)
                raw, sig = None, SIGNUM.get(status.removeprefix("SIG"), None) or int(status)
            out.append({"unit": unit, "kind": kind, "raw": raw, "sig": sig, "status": status})
    return out


def unit_timeout_causes():
    """The cause systemd's own fields give a unit it signalled itself: the unit-failed
    entry's UNIT_RESULT (`watchdog`, `timeout`) and, for a timeout, whether its start job
    ever finished (the unit-started entry, JOB_RESULT=done): stopping timed out if it
    did, starting if it did not."""
    result, started = {}, set()
    with open(os.path.join(OUT, "systemd/journal.json")) as f:
        for line in f:
            j = json.loads(line)
            unit = j.get("UNIT") or j.get("_SYSTEMD_UNIT")
            if j.get("MESSAGE_ID") == "d9b373ed55a64feb8242e02dbe79a49c":
                result[unit] = j.get("UNIT_RESULT")
            elif j.get("MESSAGE_ID") == "39f53479d3a045ac8e11786248231fbf" and j.get("JOB_RESULT") == "done":
                started.add(unit)
    causes = {}
    for unit, r in result.items():
        if r == "watchdog":
            causes[unit] = "watchdog"
        elif r == "timeout":
            causes[unit] = "stop-timeout" if unit in started else "start-timeout"
    return causes


def group_systemd():
    recs = []
    causes = unit_timeout_causes()
    for x in journal_exits():
        extra = {"cause": causes[x["unit"]]} if x["unit"] in causes else {}
        recs.append(rec(f"systemd/{x['unit']}", f"journal: EXIT_CODE={x['kind']} EXIT_STATUS={x['status']}",
                        container=x["unit"], state="terminated", raw_exit_code=x["raw"],
                        signal=x["sig"], reason=None, format="systemd", **extra))
    emit("systemd/journal.txt", recs)
    # `systemctl status UNIT` of failed units: "Process: N ExecStart=... (code=..., status=...)",
    # "Main PID: N (code=..., status=...)" and, below them, the unit's journal with its
    # "Main process exited" line: three lines about one termination. The first two name the
    # same pid, so the second is a repeat of the first; the journal line names no pid and
    # stays a record of its own (two counted, not one: nothing in it ties it to the pid).
    st = load("systemd/status-units.json")
    for unit, x in st.items():
        said = f"systemctl show: ExecMainCode={x['code']} ExecMainStatus={x['status']}"
        r = [rec(f"systemd/{unit}", said + f" ({what} line)", state="terminated",
                 raw_exit_code=x["raw"], signal=x["sig"], reason=None, format="systemd",
                 repeat=(what == "Main PID:"))
             for what in ("Process:", "Main PID:")]
        r += [rec(f"systemd/{unit}", f"journal: EXIT_CODE={j['kind']} EXIT_STATUS={j['status']}",
                  container=unit, state="terminated", raw_exit_code=j["raw"], signal=j["sig"],
                  reason=None, format="systemd")
              for j in journal_exits() if j["unit"] == unit]
        emit(f"systemd/status-{unit}.txt", r)


# ---- supervisord ----------------------------------------------------------------------

def group_supervisor():
    plan = load("supervisor/plan.json")
    recs = []
    for p in plan:
        for _ in range(p["exits"]):
            recs.append(rec(f"supervisor/{p['name']}", p["said"], container=p["name"],
                            state="terminated", raw_exit_code=p["raw"], signal=p["sig"],
                            reason=None, format="supervisord"))
    emit("supervisor/supervisord.log", recs)


if __name__ == "__main__":
    if EXPECT == "-" and sys.argv[3] == "relay-input":
        relay_input(sys.argv[4], sys.argv[5])
        sys.exit(0)
    for g in sys.argv[3:]:
        globals()["group_" + g]()
