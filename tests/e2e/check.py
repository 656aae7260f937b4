#!/usr/bin/python3
"""The suite's checker: for every artifact that has an expectation file, run exitscan
(--output json and --metrics-file) and compare, exactly, what it found with what the
runtime said.

  check.py EXITSCAN OUT EXPECT_DIR NTSTATUS_TOML

An expectation file (written by expect.py) is
  {"artifact": "docker/ps-a.txt", "group": "docker", "args": [...optional exitscan args],
   "message": "exact" | "ws",          # how messages compare (ws: whitespace-insensitive)
   "records": [{"case": "docker/oom", "said": "what the runtime said, for the table",
                "expect": {field: value, ...}}, ...]}
Fields in "expect" are compared exactly with exitscan's JSON record. From the runtime's
raw code ("raw_exit_code") and stated signal ("signal") the checker derives, by DESIGN.md
§2's rules, exit_code, signal, signal_name and class (unless the expectation gives them).
Two derived checks: "oom": true/false (is cause.id an OOM cause?) and "cause" (cause.id).
Every record exitscan prints must be expected (no extras), and the counter
exitscan_container_exits_total must equal the expected non-repeat records, by label.

Prints "case | artifact | runtime said | exitscan said | ok", writes OUT/report.md and
OUT/report.json, and exits 1 on any mismatch.
"""
import json
import os
import re
import subprocess
import sys
import tomllib

EXITSCAN, OUT, EXPECT_DIR, NTSTATUS_TOML = sys.argv[1:5]

SIGNALS = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
           "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
           "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
           "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
           "SIGSYS"]
# DESIGN.md §4: the knowledge base's reasons; anything else is counted as "other"
KB_REASONS = {"OOMKilled", "Error", "Completed", "ContainerCannotRun", "StartError",
              "DeadlineExceeded", "Evicted", "ContainerStatusUnknown", "Unknown"}
OOM_CAUSES = {"oom-limit", "oom-kernel", "oom-inconsistent"}

with open(NTSTATUS_TOML, "rb") as f:
    NT_NAMES = {e["value"]: e["name"] for e in tomllib.load(f).get("ntstatus", [])}


def ntstatus(v):
    """The unsigned NTSTATUS value if v is one (either printed form), else None."""
    if 0xC0000000 <= v <= 0xFFFFFFFF:
        return v
    if -(1 << 30) <= v <= -(1 << 24):  # int32 form; -1 and friends are exit(-1), not NTSTATUS
        return v + (1 << 32)
    return None


def signal_name(n):
    if n is None:
        return None
    if 1 <= n <= 31:
        return SIGNALS[n]
    if 34 <= n <= 64:
        return f"SIGRTMIN+{n - 34}" if n - 34 <= 15 else f"SIGRTMAX-{64 - n}" if n < 64 else "SIGRTMAX"
    return None


def derive(exp):
    """Fill exit_code, signal, signal_name, class from the runtime's raw code (DESIGN.md §2)."""
    e = dict(exp)
    raw = e.get("raw_exit_code")
    stated = e.get("signal")
    windows = False
    if raw is None:
        code = None
    else:
        nt = ntstatus(raw)
        windows = nt is not None
        code = nt if windows else raw % 256
    sig = stated if stated else (code - 128 if code is not None and not windows
                                 and 129 <= code <= 254 and signal_name(code - 128) else None)
    if code is None:
        cls = "signal" if sig else "unknown"
    elif windows:
        cls = "windows"
    elif code == 0:
        cls = "success"
    elif code <= 124:
        cls = "application"
    elif code <= 128:
        cls = "runtime"
    elif code <= 254:
        cls = "signal"
    else:
        cls = "out_of_range"
    e.setdefault("exit_code", code)
    e["signal"] = sig
    e.setdefault("signal_name", signal_name(sig))
    e.setdefault("class", cls)
    e.setdefault("_windows", windows)
    return e


def labels(e):
    """The exitscan_container_exits_total labels an expected record must count under."""
    code = e["exit_code"]
    if code is None:
        code_l = ""
    elif e["_windows"]:
        code_l = NT_NAMES.get(code, "NTSTATUS_OTHER")
    else:
        code_l = str(code)
    r = e.get("reason")
    reason_l = "" if r is None else r if r in KB_REASONS else "other"
    return (e["class"], code_l, e["signal_name"] or "", reason_l)


PROM = re.compile(r'^exitscan_container_exits_total\{(.*)\}\s+([0-9.e+]+)$')
LBL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def read_counters(path):
    out = {}
    with open(path) as f:
        for line in f:
            m = PROM.match(line.strip())
            if m:
                d = dict(LBL.findall(m.group(1)))
                n = int(float(m.group(2)))
                if n:
                    out[(d.get("class", ""), d.get("code", ""), d.get("signal", ""),
                         d.get("reason", ""))] = n
    return out


def ws(s):
    return " ".join(s.split()) if isinstance(s, str) else s


def field_ok(k, want, rec, msg_mode):
    if k == "oom":
        return ((rec.get("cause") or {}).get("id") in OOM_CAUSES) == want
    if k == "cause":
        return (rec.get("cause") or {}).get("id") == want
    if k == "message" and msg_mode == "ws":
        return ws(rec.get("message")) == ws(want)
    return rec.get(k) == want


KEYS = ("container", "container_id", "pod", "namespace", "state", "init")


def said_by_exitscan(r):
    if r is None:
        return "-"
    parts = []
    if r.get("exit_code") is not None:
        parts.append(f"exit {r['exit_code']}")
    if r.get("signal_name"):
        parts.append(r["signal_name"])
    if r.get("reason"):
        parts.append(r["reason"])
    parts.append((r.get("cause") or {}).get("id") or "no cause")
    if r.get("repeat"):
        parts.append("repeat")
    who = r.get("container") or "-"
    if r.get("state") == "last_terminated":
        who += " (last)"
    return f"{who}: " + ", ".join(parts)


def check_file(spec):
    art = os.path.join(OUT, spec["artifact"])
    mpath = os.path.join(OUT, "metrics", spec["artifact"].replace("/", "__") + ".prom")
    os.makedirs(os.path.dirname(mpath), exist_ok=True)
    cmd = [EXITSCAN, "--output", "json", "--metrics-file", mpath] + spec.get("args", []) + [art]
    p = subprocess.run(cmd, capture_output=True)
    rows, problems = [], []
    want_rc = 0 if spec["records"] else 1  # like grep: 1 when nothing was found
    if p.returncode != want_rc:
        problems.append(f"exit status {p.returncode}, expected {want_rc}: {p.stderr.decode()[-300:]}")
    actual = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    used = [False] * len(actual)
    msg_mode = spec.get("message", "exact")
    # match the most specific expectations first (more identifying fields), report in order
    order = sorted(range(len(spec["records"])),
                   key=lambda j: -sum(k in spec["records"][j]["expect"] for k in KEYS))
    results = {}
    for j in order:
        item = spec["records"][j]
        e = derive(item["expect"])
        cmp = {k: v for k, v in e.items() if not k.startswith("_")}
        cand = [i for i, r in enumerate(actual) if not used[i]
                and all(r.get(k) == cmp[k] for k in KEYS if k in cmp)]
        if not cand:  # report the closest record (same container and state) with its diff
            cand = [i for i, r in enumerate(actual) if not used[i]
                    and all(r.get(k) == cmp[k] for k in ("container", "state") if k in cmp)]
        full = [i for i in cand if all(field_ok(k, v, actual[i], msg_mode) for k, v in cmp.items())]
        pick = full[0] if full else (cand[0] if cand else None)
        ok = bool(full)
        diff = ""
        if pick is not None:
            used[pick] = True
            if not ok:
                r = actual[pick]
                diff = "; ".join(f"{k}: want {v!r} got "
                                 f"{(r.get('cause') or {}).get('id') if k in ('oom', 'cause') else r.get(k)!r}"
                                 for k, v in cmp.items() if not field_ok(k, v, r, msg_mode))
        else:
            diff = "no such record"
        results[j] = {"case": item["case"], "artifact": spec["artifact"], "said": item["said"],
                      "exitscan": said_by_exitscan(actual[pick] if pick is not None else None),
                      "ok": ok, "diff": diff, "expect": cmp,
                      "record": actual[pick] if pick is not None else None}
    rows.extend(results[j] for j in range(len(spec["records"])))
    for i, r in enumerate(actual):
        if not used[i]:
            rows.append({"case": "(unexpected)", "artifact": spec["artifact"], "said": "-",
                         "exitscan": said_by_exitscan(r) + f" @line {r.get('line')}",
                         "ok": False, "diff": "a record nobody expected", "record": r})
    # the counters
    want = {}
    for item in spec["records"]:
        e = derive(item["expect"])
        if not e.get("repeat", False):
            want[labels(e)] = want.get(labels(e), 0) + 1
    try:
        got = read_counters(mpath)
    except FileNotFoundError:
        got = None
    mok = got == want
    fmt = lambda d: ", ".join(f"{'/'.join(x or '-' for x in k)}={v}" for k, v in sorted(d.items())) or "none"  # noqa: E731
    rows.append({"case": "(counters)", "artifact": spec["artifact"],
                 "said": fmt(want), "exitscan": "no metrics file" if got is None else fmt(got),
                 "ok": mok, "diff": "" if mok else "exitscan_container_exits_total differs"})
    for pr in problems:
        rows.append({"case": "(exit status)", "artifact": spec["artifact"], "said": "-",
                     "exitscan": pr, "ok": False, "diff": pr})
    return rows


def main():
    specs = []
    for name in sorted(os.listdir(EXPECT_DIR)):
        with open(os.path.join(EXPECT_DIR, name)) as f:
            specs.append(json.load(f))
    rows = []
    for s in specs:
        rows.extend(check_file(s))
    bad = [r for r in rows if not r["ok"]]
    w = [max(len(str(r[k])) for r in rows) for k in ("case", "artifact")]
    print(f"{'case':<{w[0]}} | {'artifact':<{w[1]}} | runtime said | exitscan said | ok")
    for r in rows:
        print(f"{r['case']:<{w[0]}} | {r['artifact']:<{w[1]}} | {r['said']} | {r['exitscan']} | "
              f"{'ok' if r['ok'] else 'FAIL: ' + r['diff']}")
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(rows, f, indent=1)
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write("| case | artifact | runtime said | exitscan said | ok |\n|---|---|---|---|---|\n")
        for r in rows:
            cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
            f.write(f"| {cell(r['case'])} | {cell(r['artifact'])} | {cell(r['said'])} | "
                    f"{cell(r['exitscan'])} | {'ok' if r['ok'] else 'FAIL: ' + cell(r['diff'])} |\n")
    # one line per case: what the runtime said, what exitscan said, in how many artifacts
    cases = {}
    for r in rows:
        if r["case"].startswith("("):
            continue
        c = cases.setdefault(r["case"], {"said": [], "exitscan": [], "ok": 0, "n": 0, "bad": []})
        if r["said"] not in c["said"]:
            c["said"].append(r["said"])
        e = r["exitscan"].split(": ", 1)[-1]
        if e not in c["exitscan"]:
            c["exitscan"].append(e)
        c["n"] += 1
        c["ok"] += r["ok"]
        if not r["ok"]:
            c["bad"].append(f"{r['artifact']}: {r['diff']}")
    with open(os.path.join(OUT, "cases.md"), "w") as f:
        f.write("| case | runtime said | exitscan said | artifacts ok | mismatches |\n|---|---|---|---|---|\n")
        for name in sorted(cases):
            c = cases[name]
            cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
            f.write(f"| {cell(name)} | {cell('; '.join(c['said']))} | {cell('; '.join(c['exitscan']))} | "
                    f"{c['ok']}/{c['n']} | {cell('; '.join(c['bad'])) or '-'} |\n")
    n_art = len(specs)
    n_rec = sum(1 for r in rows if not r["case"].startswith("("))
    print(f"\ne2e checker: {n_art} artifacts, {n_rec} expected records, "
          f"{len(rows) - len(bad)} checks ok, {len(bad)} failed")
    print(f"e2e: {len(rows) - len(bad)} passed, {len(bad)} failed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
