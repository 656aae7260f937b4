#!/usr/bin/python3
"""Drive containerd's CRI plugin (runtime.v1) over its unix socket the way the kubelet
would, without crictl (not packaged in Debian 12). Uses Debian's python3-grpcio and
stubs that run.sh generates with python3-grpc-tools from cri/api.proto (the v1 proto
shipped in the crate-registry package k8s-cri 0.11.0).

  cri_client.py SOCK OUT run LOGROOT CGROUP   pod sandbox + the cases below
  cri_client.py SOCK OUT relay FILE           one more container that prints FILE
  cri_client.py SOCK OUT teardown             remove containers, stop/remove the sandbox

OUT gets, per container, status-<name>[-<attempt>].json (crictl-inspect-like:
{"status": ContainerStatus as protobuf JSON, "info": the verbose info}) and state.json.
The logs land in the kubelet layout LOGROOT/<ns>_<pod>_<uid>/<container>/<attempt>.log.
"""
import json
import os
import sys
import time
import uuid

import grpc
from google.protobuf.json_format import MessageToDict

sys.path.insert(0, os.environ["CRI_STUBS"])
import api_pb2 as pb  # noqa: E402
import api_pb2_grpc as pbg  # noqa: E402

SOCK, OUT, CMD = sys.argv[1], sys.argv[2], sys.argv[3]
IMAGE = "docker.io/exitscan-e2e/busybox:e2e"
POD_NAME, POD_NS = "e2e-pod", "e2e"
# Host network (no CNI needed) and one pid namespace per container: the kubelet's
# default when shareProcessNamespace is false (CRI's zero value POD would share it,
# and then `sleep` would not be PID 1 and would die on SIGTERM).
NSOPTS = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD)

rt = pbg.RuntimeServiceStub(grpc.insecure_channel("unix://" + SOCK))

# name, command, memory limit, how it ends, attempts
#   ends: None = by itself; ("stop", T) = StopContainer(timeout=T) after it started
CASES = [
    ("completed", ["/bin/sh", "-c", "echo out-line-1; echo err-line-1 >&2; exit 0"], 0, None, 1),
    ("exit3", ["/bin/sh", "-c", "echo about to exit 3; printf 'no trailing newline'; exit 3"], 0, None, 1),
    ("sigkill", ["/bin/sh", "-c", "echo sleeping; exec sleep 100000"], 0, ("stop", 0), 1),
    ("oom", ["/bin/crasher", "alloc", "200"], 32 * 1024 * 1024, None, 1),
    ("segv", ["/bin/crasher", "segv"], 0, None, 1),
    ("term143", ["/bin/crasher", "termtrap"], 0, ("stop", 5), 1),
    ("stop-ignored", ["/bin/sh", "-c", "echo sleeping; exec sleep 100000"], 0, ("stop", 1), 1),
    ("notfound", ["/nonexistent"], 0, None, 1),
    # restarted like the kubelet does: attempt 0, 1, 2, each with its own log file
    ("crashloop", ["/bin/sh", "-c", "echo starting; echo failed to connect >&2; exit 1"], 0, None, 3),
]


def dump(path, resp):
    # crictl inspect prints protobuf JSON with default values (exitCode 0, reason "")
    d = {"status": MessageToDict(resp.status, including_default_value_fields=True)}
    if "info" in resp.info:
        d["info"] = json.loads(resp.info["info"])
    with open(path, "w") as f:
        json.dump(d, f, indent=2, sort_keys=True)
        f.write("\n")
    return d


def load_state():
    with open(os.path.join(OUT, "state.json")) as f:
        return json.load(f)


def save_state(st):
    with open(os.path.join(OUT, "state.json"), "w") as f:
        json.dump(st, f, indent=2)


def wait_exited(cid, secs=30):
    end = time.time() + secs
    while True:
        s = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid, verbose=True))
        if s.status.state == pb.CONTAINER_EXITED or time.time() > end:
            return s
        time.sleep(0.05)


def run_container(st, pod_cfg, name, command, mem=0, ends=None, attempt=0, mounts=()):
    res = pb.LinuxContainerResources(memory_limit_in_bytes=mem) if mem else None
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name, attempt=attempt),
        image=pb.ImageSpec(image=IMAGE),
        command=command,
        log_path=f"{name}/{attempt}.log",
        labels={"exitscan-e2e": "1"},
        mounts=[pb.Mount(container_path=c, host_path=h, readonly=True) for c, h in mounts],
        linux=pb.LinuxContainerConfig(
            resources=res,
            security_context=pb.LinuxContainerSecurityContext(namespace_options=NSOPTS)),
    )
    cid = rt.CreateContainer(pb.CreateContainerRequest(
        pod_sandbox_id=st["sandbox"], config=cfg, sandbox_config=pod_cfg)).container_id
    start_error = None
    try:
        rt.StartContainer(pb.StartContainerRequest(container_id=cid))
    except grpc.RpcError as e:  # the runtime could not start it: status says StartError
        start_error = e.details()
    if ends and ends[0] == "stop" and start_error is None:
        time.sleep(0.5)  # let the process install its handler / print its line
        t = time.time()
        rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=ends[1]))
        print(f"cri: {name}: StopContainer(timeout={ends[1]}) returned after {time.time() - t:.2f}s")
    s = wait_exited(cid)
    key = name if attempt == 0 else f"{name}-{attempt}"
    d = dump(os.path.join(OUT, f"status-{key}.json"), s)["status"]
    st["containers"].append({"key": key, "name": name, "attempt": attempt, "id": cid,
                             "start_error": start_error})
    print(f"cri: {key}: state={d.get('state')} exitCode={d.get('exitCode', 0)} "
          f"reason={d.get('reason')!r} message={d.get('message', '')[:80]!r}")
    return cid


def pod_config(st):
    return pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=POD_NAME, uid=st["uid"], namespace=POD_NS, attempt=0),
        log_directory=st["log_dir"],
        labels={"exitscan-e2e": "1"},
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=st["cgroup_parent"],  # relative: lands under the shim's own cgroup
            security_context=pb.LinuxSandboxSecurityContext(namespace_options=NSOPTS)),
    )


def cmd_run(log_root, cgroup_parent):
    os.makedirs(OUT, exist_ok=True)
    v = rt.Version(pb.VersionRequest(version="v1"))
    print("cri:", v.runtime_name, v.runtime_version, v.runtime_api_version)
    uid = str(uuid.uuid4())
    st = {"uid": uid, "namespace": POD_NS, "pod": POD_NAME, "cgroup_parent": cgroup_parent,
          "log_dir": os.path.join(log_root, f"{POD_NS}_{POD_NAME}_{uid}"), "containers": [],
          "runtime": f"{v.runtime_name} {v.runtime_version}"}
    os.makedirs(st["log_dir"], exist_ok=True)
    cfg = pod_config(st)
    st["sandbox"] = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg)).pod_sandbox_id
    save_state(st)
    for name, command, mem, ends, attempts in CASES:
        for a in range(attempts):
            if a:
                time.sleep(1.1)  # the kubelet's back-off keeps restarts seconds apart
            run_container(st, cfg, name, command, mem, ends, a)
        save_state(st)


def cmd_relay(path):
    st = load_state()
    run_container(st, pod_config(st), "relay", ["/bin/cat", "/relay/lines"],
                  mounts=[("/relay/lines", os.path.abspath(path))])
    save_state(st)


def cmd_teardown():
    try:
        st = load_state()
    except FileNotFoundError:
        return
    for c in rt.ListContainers(pb.ListContainersRequest(
            filter=pb.ContainerFilter(pod_sandbox_id=st.get("sandbox", "")))).containers:
        try:
            rt.StopContainer(pb.StopContainerRequest(container_id=c.id, timeout=0))
            rt.RemoveContainer(pb.RemoveContainerRequest(container_id=c.id))
        except grpc.RpcError as e:
            print("cri teardown:", c.id, e.details(), file=sys.stderr)
    if st.get("sandbox"):
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=st["sandbox"]))
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=st["sandbox"]))


if __name__ == "__main__":
    if CMD == "run":
        cmd_run(sys.argv[4], sys.argv[5])
    elif CMD == "relay":
        cmd_relay(sys.argv[4])
    elif CMD == "teardown":
        cmd_teardown()
    else:
        sys.exit(f"unknown command {CMD}")
