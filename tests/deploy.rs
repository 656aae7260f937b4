//! The deployment files say what the README promises: the metrics port, probes
//! on /healthz, read-only host mounts, no privilege, the RBAC of the poller.

use std::path::Path;

fn read(p: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn manifests() {
    for f in ["deploy/daemonset.yaml", "deploy/poller.yaml", "deploy/sidecar.yaml"] {
        let t = read(f);
        assert!(t.contains("containerPort: 13137"), "{f}: metrics port");
        assert!(t.contains("--listen=0.0.0.0:13137"), "{f}: listens on the port");
        assert!(t.contains("path: /healthz"), "{f}: liveness on /healthz");
        assert!(t.contains("allowPrivilegeEscalation: false") && t.contains("drop: [ALL]"), "{f}: no privilege");
        assert!(t.contains("readOnlyRootFilesystem: true"), "{f}");
        assert!(t.contains("- watch"), "{f}: runs watch mode");
    }
    let ds = read("deploy/daemonset.yaml");
    for m in [
        "{name: pods, mountPath: /var/log/pods, readOnly: true}",
        "{name: varlog, mountPath: /var/log, readOnly: true}",
    ] {
        assert!(ds.contains(m), "read-only host mount {m}");
    }
    assert!(ds.contains("--state-dir=/var/lib/exitscan") && ds.contains("path: /var/lib/exitscan"));
    assert!(ds.contains("requests:") && ds.contains("limits:"));
    assert!(ds.contains("prometheus.io/scrape: \"true\"") && ds.contains("kind: PodMonitor"));
    let poller = read("deploy/poller.yaml");
    assert!(poller.contains("verbs: [get, list]") && poller.contains("resources: [pods]"));
    let verbs: Vec<&str> = poller.lines().filter(|l| l.trim_start().starts_with("verbs:")).collect();
    assert_eq!(verbs, vec!["    verbs: [get, list]"], "get/list pods only");
    assert!(poller.contains("--poll=") && poller.contains("--every=30s"));
    let docker = read("Dockerfile");
    assert!(docker.contains("EXPOSE 13137"));
    assert!(docker.contains("ENTRYPOINT [\"exitscan\"]"));
    assert!(docker.contains("ARG BUILDER_IMAGE") && docker.contains("ARG RUNTIME_IMAGE"));
    assert!(docker.contains("USER "), "runs as a non-root user");
}
