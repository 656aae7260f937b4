#!/usr/bin/python3
"""Cut this run's part out of shared logs (the kernel's, containerd's), as a person would
grep them.

  collect.py OUT kernel DMESG_FILE      -> OUT/kernel/dmesg-oom.txt, oom-blocks.json, mixed-node.txt
  collect.py OUT containerd LOG EVENTS  -> OUT/containerd/containerd-ours.log, ctr-events.txt
Our containers are the CRI ones (OUT/cri/status-*.json) and docker's (OUT/docker/inspect.json).
"""
import glob
import json
import os
import re
import sys

OUT, what = sys.argv[1], sys.argv[2]


def our_ids():
    ids = set()
    for f in glob.glob(os.path.join(OUT, "cri/status-*.json")):
        with open(f) as fh:
            ids.add(json.load(fh)["status"]["id"])
    p = os.path.join(OUT, "docker/inspect.json")
    if os.path.exists(p):
        with open(p) as fh:
            ids.update(c["Id"] for c in json.load(fh))
    return ids


def kernel(dmesg):
    with open(dmesg, errors="replace") as f:
        lines = f.read().splitlines()
    ids = our_ids()
    blocks, text = [], []
    for i, ln in enumerate(lines):
        m = re.search(r"oom-kill:constraint=.*task_memcg=\S*/([0-9a-f]{64}),task=([^,]+),pid=(\d+)", ln)
        if not m or m.group(1) not in ids:
            continue
        cid, comm, pid = m.group(1), m.group(2), m.group(3)
        start = next(j for j in range(i, -1, -1) if "invoked oom-killer" in lines[j])
        end = next(j for j in range(i, len(lines)) if f"Killed process {pid} " in lines[j])
        if end + 1 < len(lines) and f"reaped process {pid} " in lines[end + 1]:
            end += 1
        blocks.append({"container_id": cid, "pid": int(pid), "comm": comm,
                       "lines": lines[start:end + 1]})
    os.makedirs(os.path.join(OUT, "kernel"), exist_ok=True)
    with open(os.path.join(OUT, "kernel/dmesg-oom.txt"), "w") as f:
        for b in blocks:
            f.write("\n".join(b["lines"]) + "\n")
    with open(os.path.join(OUT, "kernel/oom-blocks.json"), "w") as f:
        json.dump([{k: v for k, v in b.items() if k != "lines"} for b in blocks], f, indent=1)
    # a node's mixed stream: the CRI "oom" case's OOM report, then containerd's TaskExit
    # line. (Chosen by case, not by CRI's reason: containerd 1.6 sometimes reaps the task
    # before its OOM event arrives and says Error; the kernel killed it all the same.)
    with open(os.path.join(OUT, "cri/status-oom.json")) as fh:
        oom_id = json.load(fh)["status"]["id"]
    b = next(b for b in blocks if b["container_id"] == oom_id)
    with open(os.path.join(OUT, "containerd/containerd-ours.log")) as f:
        exit_line = next(ln for ln in f if f"TaskExit{{ContainerID:{b['container_id']}" in ln
                         and "received exit event" in ln)
    with open(os.path.join(OUT, "kernel/mixed-node.txt"), "w") as f:
        f.write("\n".join(b["lines"]) + "\n" + exit_line)


def containerd(log, events=None):
    """containerd's debug log and `ctr events`, the lines about our containers (the image
    build's containers run on the same containerd)."""
    ids = our_ids()
    pat = re.compile("|".join(sorted(ids)))
    os.makedirs(os.path.join(OUT, "containerd"), exist_ok=True)
    for src, dst in ((log, "containerd-ours.log"), (events, "ctr-events.txt")):
        if not src:
            continue
        with open(src, errors="replace") as f, open(os.path.join(OUT, "containerd", dst), "w") as o:
            for ln in f:
                if pat.search(ln):
                    o.write(ln)


if __name__ == "__main__":
    {"kernel": kernel, "containerd": containerd}[what](*sys.argv[3:])
