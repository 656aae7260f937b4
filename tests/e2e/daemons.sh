# containerd (with its CRI plugin) and dockerd on private unix sockets (sourced by run.sh).
# No networking is set up: CRI pods use the host network (no CNI), docker has
# --bridge none and no iptables; containers run with --network none.

CTR_SOCK() { echo "$W/ctrd/containerd.sock"; }
ctr_() { ctr --address "$(CTR_SOCK)" "$@"; }
DOCKER_SOCK() { echo "$W/docker/docker.sock"; }
docker_() { DOCKER_CONFIG=$W/docker/client docker -H "unix://$(DOCKER_SOCK)" "$@"; }

start_containerd() {
  mkdir -p "$W/ctrd/cni" "$W/ctrd/cni-bin"
  sed "s|@W@|$W|g" "$E2E/containerd.toml.in" > "$W/ctrd/config.toml"
  containerd --config "$W/ctrd/config.toml" > "$W/ctrd/containerd.log" 2>&1 3>&- 4>&- &
  track containerd $!
  wait_for 10 ctr_ version || { tail -20 "$W/ctrd/containerd.log" >&2; return 1; }
  ctr_ -n k8s.io images import --base-name docker.io/exitscan-e2e/busybox "$W/img/busybox.tar" >/dev/null &&
  ctr_ -n k8s.io images import --base-name docker.io/exitscan-e2e/pause "$W/img/pause.tar" >/dev/null
}

start_dockerd() {
  mkdir -p "$W/docker/data" "$W/docker/exec" "$W/docker/client"
  printf '{"deprecated-key-path": "%s"}\n' "$W/docker/key.json" > "$W/docker/daemon.json"  # not /etc/docker/key.json
  dockerd --host "unix://$(DOCKER_SOCK)" --config-file "$W/docker/daemon.json" \
    --data-root "$W/docker/data" --exec-root "$W/docker/exec" --pidfile "$W/docker/dockerd.pid" \
    --containerd "$(CTR_SOCK)" --bridge none --iptables=false --ip6tables=false --ip-masq=false \
    --cgroup-parent "$TAG-docker" --oom-score-adjust 0 --log-level info \
    > "$W/docker/dockerd.log" 2>&1 3>&- 4>&- &
  track dockerd $!
  wait_for 20 docker_ version || { tail -20 "$W/docker/dockerd.log" >&2; return 1; }
  tar -C "$W/img/rootfs" -c . | docker_ import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$TAG/busybox:e2e" >/dev/null
}
