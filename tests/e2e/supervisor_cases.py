#!/usr/bin/python3
"""supervisord (Debian's supervisor) running programs that end in different ways, on a unix
socket only. Writes OUT/supervisor/supervisord.log (the artifact) and plan.json (what each
program did and what supervisord's XML-RPC getProcessInfo said about it).

  supervisor_cases.py WORKDIR OUT CRASHER
supervisord's pid is written to WORKDIR/supervisord.pid as soon as it starts (run.sh's
cleanup stops it by that pid if this script dies).
"""
import json
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client

from supervisor.xmlrpc import SupervisorTransport

W, OUT, CRASHER = sys.argv[1], sys.argv[2], sys.argv[3]
SOCK = os.path.join(W, "supervisor.sock")
LOG = os.path.join(W, "supervisord.log")

# name, command, supervisor options, what happens, expected (raw exit code, signal), exits
PROGRAMS = [
    ("exit0", "/bin/sh -c 'sleep 1.2; exit 0'", "startsecs=1", "exits 0 after 1.2 s", (0, None), 1),
    ("exit3", f"{CRASHER} exit 3", "startsecs=0", "exit(3)", (3, None), 1),
    ("segv", f"{CRASHER} segv", "startsecs=0", "SIGSEGV", (None, 11), 1),
    ("killed9", "/bin/sleep 1000", "startsecs=0", "SIGKILL sent from outside", (None, 9), 1),
    ("term143", f"{CRASHER} termtrap", "startsecs=0",
     "supervisorctl stop: SIGTERM, the handler exits 143", (143, None), 1),
    ("flapping", "/bin/sh -c 'exit 1'", "startsecs=1\nstartretries=1",
     "exits 1 at once; started 2 times (startretries=1), then FATAL", (1, None), 2),
]


def config():
    c = [f"[unix_http_server]\nfile={SOCK}\n",
         f"[supervisord]\nlogfile={LOG}\npidfile={W}/supervisord.pidfile\nchildlogdir={W}\n"
         "nodaemon=true\nloglevel=info\nuser=root\n",
         "[rpcinterface:supervisor]\n"
         "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"]
    for name, cmd, opts, *_ in PROGRAMS:
        c.append(f"[program:{name}]\ncommand={cmd}\nautorestart=false\n{opts}\n")
    path = os.path.join(W, "supervisord.conf")
    with open(path, "w") as f:
        f.write("\n".join(c))
    return path


def main():
    os.makedirs(W, exist_ok=True)
    os.makedirs(os.path.join(OUT, "supervisor"), exist_ok=True)
    p = subprocess.Popen(["supervisord", "-c", config()], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    with open(os.path.join(W, "supervisord.pid"), "w") as f:
        f.write(str(p.pid))
    def proxy():  # a fresh one: the transport keeps a broken connection after an error
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport(None, None, "unix://" + SOCK))

    try:
        for _ in range(100):
            try:
                if proxy().supervisor.getState()["statename"] == "RUNNING":
                    break
            except Exception:  # not listening yet
                pass
            time.sleep(0.1)
        rpc = proxy()
        time.sleep(0.5)
        os.kill(rpc.supervisor.getProcessInfo("killed9")["pid"], signal.SIGKILL)
        rpc.supervisor.stopProcess("term143")
        # wait until every program is done (flapping: FATAL after its retries)
        for _ in range(100):
            info = {i["name"]: i for i in rpc.supervisor.getAllProcessInfo()}
            if all(i["statename"] in ("EXITED", "STOPPED", "FATAL") for i in info.values()):
                break
            time.sleep(0.1)
        plan = []
        for name, cmd, opts, what, (raw, sig), exits in PROGRAMS:
            i = info[name]
            plan.append({"name": name, "raw": raw, "sig": sig, "exits": exits,
                         "said": f"supervisord: {what}; getProcessInfo: {i['statename']}, "
                                 f"exitstatus={i['exitstatus']}"})
        with open(os.path.join(OUT, "supervisor/plan.json"), "w") as f:
            json.dump(plan, f, indent=1)
    finally:
        p.terminate()
        p.wait(timeout=20)
    subprocess.run(["cp", LOG, os.path.join(OUT, "supervisor/supervisord.log")], check=True)


if __name__ == "__main__":
    main()
