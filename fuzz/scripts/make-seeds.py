#!/usr/bin/env python3
"""Builds small seed corpora under fuzz/seeds/<target>/ from the shared corpus
samples, the golden inputs, the knowledge base and genlogs output.

    python3 fuzz/scripts/make-seeds.py [--shared ../shared]

Seeds are cut at line boundaries into pieces of at most 4 KiB (the fuzzers'
-max_len is 8 KiB), de-duplicated by content hash. The scan target's seeds
carry five leading settings bytes (read size, max line, lookback, format,
feed chunk: see fuzz_targets/scan.rs).
"""
import argparse, hashlib, os, pathlib, re, subprocess, sys, tempfile

here = pathlib.Path(__file__).resolve().parent.parent
repo = here.parent
ap = argparse.ArgumentParser()
ap.add_argument("--shared", default=str(repo.parent / "shared"))
ap.add_argument("--piece", type=int, default=4096)
a = ap.parse_args()
shared = pathlib.Path(a.shared)

def pieces(data, size):
    out, cur = [], b""
    for line in data.splitlines(keepends=True):
        if len(cur) + len(line) > size and cur:
            out.append(cur)
            cur = b""
        cur += line[:size]
    if cur:
        out.append(cur)
    return out

def put(target, blob):
    d = here / "seeds" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(blob).hexdigest()[:16]).write_bytes(blob)

texts = {}
for p in sorted((shared / "corpus" / "samples").glob("*")):
    texts[p.name] = p.read_bytes()
for p in sorted((repo / "tests" / "golden").glob("*")):
    if not p.name.endswith(".expected"):
        texts["golden-" + p.name] = p.read_bytes()
with tempfile.TemporaryDirectory() as t:
    for fmt in ["cri", "dockerjson", "kubelet", "describe", "mixed"]:
        out = pathlib.Path(t) / f"{fmt}.log"
        subprocess.run([sys.executable, str(shared / "tools" / "genlogs.py"), "--format", fmt, "--size", "16K",
                        "--seed", "3", "-o", str(out)], check=True)
        texts["genlogs-" + fmt] = out.read_bytes()

settings = [bytes([0, 9, 5, 0, 96]), bytes([6, 9, 5, 0, 0]), bytes([63, 7, 4, 0, 12]), bytes([200, 8, 3, 0, 40]),
            bytes([255, 9, 5, 0, 7])]
for name, data in texts.items():
    for i, p in enumerate(pieces(data, a.piece)):
        kind = name.lower()
        put("scan", settings[i % len(settings)] + p)
        put("frame", p.split(b"\n")[0])
        if "describe" in kind or "mixed" in kind or "crlf" in kind:
            put("describe", p)
        if any(k in kind for k in ["json", "yaml", "inspect", "crictl", "podjson", "podyaml", "ctr-events"]):
            put("doc_json", p)
            put("doc_yaml", p)
        if "getpods" in kind:
            put("getpods", p)
        if "describe" not in kind and "getpods" not in kind:
            put("line_parsers", p)
        for line in p.splitlines():
            s = line.strip()
            if s.startswith(b"{") and s.endswith(b"}"):
                put("docker_event_json", s)
            if re.search(rb"exitCode=|time=|\d{4}-\d\d-\d\dT|, \d\d \w\w\w \d{4}", line):
                put("util", line)
# Document seeds need the JSON / YAML shapes whole: from the samples (pod json / yaml).
for name, data in texts.items():
    if name.endswith((".json", ".yaml", ".jsonl")):
        for p in pieces(data, a.piece):
            put("doc_json", p)
            put("doc_yaml", p)
# The knowledge base, one [[table]] entry per seed plus the head of each file.
for p in sorted((repo / "config").glob("*.toml")):
    data = p.read_bytes()
    for chunk in re.split(rb"\n(?=\[\[)", data):
        if chunk.strip():
            put("kb_config", chunk[: a.piece])
for t, seeds in sorted((d.name, len(list(d.iterdir()))) for d in (here / "seeds").iterdir()):
    print(t, seeds)
