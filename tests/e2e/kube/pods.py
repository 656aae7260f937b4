#!/usr/bin/python3
"""Pod objects for the fake API server.

  pods.py CRI_OUT FIXTURES DATADIR

From the REAL CRI container statuses (cri_client.py's status-*.json), the way the kubelet
reports them:
  - e2e/e2e-pod: one container per CRI case, state.terminated = containerd's exit code,
    reason, message and timestamps (restartPolicy Never);
  - e2e/e2e-crashloop: the container restarted by the CRI client (attempts 0, 1, 2):
    state.terminated = attempt 2, lastState.terminated = attempt 1, restartCount 2; and a
    container "oom" waiting in CrashLoopBackOff whose lastState is the real OOMKilled status
    (its restartCount of 5 is made up).
Constructed pods (FIXTURES/*.json, copied as they are) reach what the runtimes here cannot
produce: Signal, multi-line messages, init and ephemeral containers, many restarts,
Windows NTSTATUS codes, ContainerStatusUnknown, DeadlineExceeded, Evicted.
"""
import datetime as dt
import glob
import json
import os
import shutil
import sys

cri_out, fixtures, data = sys.argv[1], sys.argv[2], sys.argv[3]


def ts(ns):
    t = dt.datetime.fromtimestamp(int(ns or 0) / 1e9, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def terminated(s):
    t = {"exitCode": s.get("exitCode", 0), "reason": s.get("reason", ""),
         "startedAt": ts(s.get("startedAt")), "finishedAt": ts(s.get("finishedAt")),
         "containerID": "containerd://" + s["id"]}
    if s.get("message"):
        t["message"] = s["message"]
    return t


def write(ns, pod):
    d = os.path.join(data, "pods", ns)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, pod["metadata"]["name"] + ".json"), "w") as f:
        json.dump(pod, f, indent=1)


def main():
    with open(os.path.join(cri_out, "state.json")) as f:
        state = json.load(f)
    st = {}
    for c in state["containers"]:
        with open(os.path.join(cri_out, f"status-{c['key']}.json")) as f:
            st[c["key"]] = json.load(f)["status"]
    ns = state["namespace"]
    first = min(int(s["createdAt"]) for s in st.values())
    created = ts(first)

    def pod(name, uid, containers, statuses, phase, policy="Never"):
        return {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": created,
                         "labels": {"app": "exitscan-e2e"}},
            "spec": {"nodeName": "e2e-node", "restartPolicy": policy, "containers": containers},
            "status": {"phase": phase, "hostIP": "127.0.0.1", "podIP": "127.0.0.1",
                       "podIPs": [{"ip": "127.0.0.1"}], "startTime": created,
                       "qosClass": "BestEffort",
                       "conditions": [{"type": "Ready", "status": "False"}],
                       "containerStatuses": statuses},
        }

    # e2e-pod: every single-attempt case, as the kubelet would show a Never-restart pod
    containers, statuses = [], []
    for key, s in st.items():
        name = s["metadata"]["name"]
        if name in ("crashloop", "relay"):
            continue
        containers.append({"name": name, "image": s["image"]["image"]})
        statuses.append({"name": name, "image": s["image"]["image"], "imageID": s["imageRef"],
                         "containerID": "containerd://" + s["id"], "ready": False,
                         "started": False, "restartCount": 0,
                         "state": {"terminated": terminated(s)}})
    write(ns, pod(state["pod"], state["uid"], containers, statuses, "Failed"))

    # e2e-crashloop: restarts from the real attempts, and the real OOM in CrashLoopBackOff
    a1, a2, oom = st["crashloop-1"], st["crashloop-2"], st["oom"]
    uid = "e2e-crashloop-" + state["uid"][:8]
    img = a2["image"]["image"]
    write(ns, pod("e2e-crashloop", uid,
                  [{"name": "crashloop", "image": img}, {"name": "oom", "image": img}],
                  [{"name": "crashloop", "image": img, "imageID": a2["imageRef"],
                    "containerID": "containerd://" + a2["id"], "ready": False, "started": False,
                    "restartCount": 2,
                    "state": {"terminated": terminated(a2)},
                    "lastState": {"terminated": terminated(a1)}},
                   {"name": "oom", "image": img, "imageID": oom["imageRef"],
                    "containerID": "containerd://" + oom["id"], "ready": False, "started": False,
                    "restartCount": 5,
                    "state": {"waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 2m40s restarting failed container=oom "
                                   f"pod=e2e-crashloop_{ns}({uid})"}},
                    "lastState": {"terminated": terminated(oom)}}],
                  "Running", policy="Always"))
    os.makedirs(os.path.join(data, "events"), exist_ok=True)
    with open(os.path.join(data, "events", ns + ".json"), "w") as f:
        json.dump({"kind": "EventList", "apiVersion": "v1", "items": [
            {"metadata": {"name": "e2e-crashloop.1", "namespace": ns},
             "involvedObject": {"kind": "Pod", "name": "e2e-crashloop", "namespace": ns,
                                "uid": uid, "fieldPath": "spec.containers{oom}"},
             "reason": "BackOff", "type": "Warning", "count": 7,
             "message": "Back-off restarting failed container oom in pod "
                        f"e2e-crashloop_{ns}({uid})",
             "source": {"component": "kubelet", "host": "e2e-node"},
             "firstTimestamp": created, "lastTimestamp": ts(oom["finishedAt"])}]}, f, indent=1)

    # constructed pods, and their events
    for path in sorted(glob.glob(os.path.join(fixtures, "*.json"))):
        with open(path) as f:
            obj = json.load(f)
        if obj.get("kind") == "EventList":
            shutil.copy(path, os.path.join(data, "events", os.path.basename(path)))
        else:
            write(obj["metadata"]["namespace"], obj)


if __name__ == "__main__":
    main()
