#!/usr/bin/python3
"""A minimal read-only stand-in for the Kubernetes API server, on 127.0.0.1 only, so that
the real kubectl renders `describe pod` and `get pod -o json|yaml` from Pod objects we
supply (there is no kube-apiserver in Debian 12). It serves discovery (/version, /api,
/apis, /api/v1), pods (one, per namespace, all namespaces) and events (with kubectl's
fieldSelector on involvedObject.*).

  fake_apiserver.py DATADIR PORTFILE
    DATADIR/pods/<namespace>/<name>.json   v1 Pod objects
    DATADIR/events/<namespace>.json        v1 EventList (optional)
  It binds 127.0.0.1:0 and writes the port it got to PORTFILE. Stop it with SIGTERM.
"""
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DATA, PORTFILE = sys.argv[1], sys.argv[2]

API_V1 = {
    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "v1",
    "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
         "verbs": ["get", "list"], "shortNames": ["po"]},
        {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event",
         "verbs": ["get", "list"], "shortNames": ["ev"]},
        {"name": "namespaces", "singularName": "namespace", "namespaced": False,
         "kind": "Namespace", "verbs": ["get", "list"], "shortNames": ["ns"]},
    ],
}


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def pods_in(ns):
    d = os.path.join(DATA, "pods", ns)
    if not os.path.isdir(d):
        return []
    return [load(os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".json")]


def field(obj, dotted):
    for k in dotted.split("."):
        obj = obj.get(k, "") if isinstance(obj, dict) else ""
    return obj


class Handler(BaseHTTPRequestHandler):
    def send(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def not_found(self, what):
        self.send(404, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": f"{what} not found", "reason": "NotFound", "code": 404})

    def pod_list(self, items):
        return {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                "items": items}

    def do_GET(self):  # noqa: N802 (http.server's name)
        u = urlparse(self.path)
        p = [x for x in u.path.split("/") if x]
        q = parse_qs(u.query)
        port = self.server.server_address[1]
        if u.path == "/version":
            return self.send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-e2e-fake",
                                   "platform": "linux/amd64"})
        if u.path == "/api":
            return self.send(200, {"kind": "APIVersions", "versions": ["v1"],
                                   "serverAddressByClientCIDRs": [
                                       {"clientCIDR": "0.0.0.0/0",
                                        "serverAddress": f"127.0.0.1:{port}"}]})
        if u.path == "/apis":
            return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        if u.path == "/api/v1":
            return self.send(200, API_V1)
        if p == ["api", "v1", "pods"]:  # --all-namespaces
            d = os.path.join(DATA, "pods")
            items = [x for ns in sorted(os.listdir(d)) for x in pods_in(ns)]
            return self.send(200, self.pod_list(items))
        if len(p) >= 5 and p[:3] == ["api", "v1", "namespaces"]:
            ns, res = p[3], p[4]
            if res == "pods":
                if len(p) == 6:
                    pod = load(os.path.join(DATA, "pods", ns, p[5] + ".json"))
                    return self.send(200, pod) if pod else self.not_found(f'pods "{p[5]}"')
                return self.send(200, self.pod_list(pods_in(ns)))
            if res == "events":
                ev = load(os.path.join(DATA, "events", ns + ".json"),
                          {"kind": "EventList", "apiVersion": "v1", "items": []})
                sel = q.get("fieldSelector", [""])[0]
                want = dict(kv.split("=", 1) for kv in sel.split(",") if "=" in kv)
                items = [e for e in ev.get("items", [])
                         if all(str(field(e, k)) == v for k, v in want.items())]
                return self.send(200, {"kind": "EventList", "apiVersion": "v1",
                                       "metadata": {"resourceVersion": "1"}, "items": items})
        if len(p) == 4 and p[:3] == ["api", "v1", "namespaces"]:
            return self.send(200, {"kind": "Namespace", "apiVersion": "v1",
                                   "metadata": {"name": p[3]}, "status": {"phase": "Active"}})
        return self.not_found(u.path)

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-apiserver: " + (fmt % args) + "\n")


if __name__ == "__main__":
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()
