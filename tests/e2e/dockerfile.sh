# The repository's Dockerfile, built by this machine's Docker engine from local stand-ins
# for its base images (no registry here), then checked: non-root, EXPOSE 13137, and the
# exitscan inside serves /metrics with the same counters as the host's exitscan.
# (sourced by run.sh; needs dockerd from daemons.sh and the bases from bases.sh)

# The toolchain cargo uses in the repository (rustup's, or any sysroot with bin/cargo).
host_sysroot() { (cd "$REPO" && rustc --print sysroot); }

# stand-in for rust:1-bookworm: the debootstrapped tree with gcc + libc6-dev, the host's
# toolchain (cargo, rustc, its lib/) and a cargo registry holding every locked crate
stand_in_builder() {
  local S=$W/builder-stage sys ch
  sys=$(host_sysroot) || return 1
  [ -x "$sys/bin/cargo" ] || { log "no cargo in $sys"; return 1; }
  rm -rf "$S"; mkdir -p "$S/usr/local/rust/bin" "$S/usr/local/cargo/bin" "$S/usr/local/cargo/registry"
  chmod 755 "$S" "$S/usr" "$S/usr/local"
  cp -al "$sys/bin/cargo" "$sys/bin/rustc" "$S/usr/local/rust/bin/" 2>/dev/null ||
    cp -a "$sys/bin/cargo" "$sys/bin/rustc" "$S/usr/local/rust/bin/"
  cp -al "$sys/lib" "$S/usr/local/rust/lib" 2>/dev/null || cp -a "$sys/lib" "$S/usr/local/rust/lib"
  ln -s ../../rust/bin/cargo "$S/usr/local/cargo/bin/cargo"
  ln -s ../../rust/bin/rustc "$S/usr/local/cargo/bin/rustc"
  # the crates: a copy of the host's registry (index + .crate files), completed by
  # `cargo fetch` (from the crate registry, only if something is missing)
  ch=${CARGO_HOME:-$HOME/.cargo}
  for d in index cache; do
    [ -d "$ch/registry/$d" ] && cp -a "$ch/registry/$d" "$S/usr/local/cargo/registry/"
  done
  if ! (cd "$REPO" && CARGO_HOME=$S/usr/local/cargo cargo fetch --locked --offline -q) 2>/dev/null; then
    (cd "$REPO" && CARGO_HOME=$S/usr/local/cargo cargo fetch --locked -q) || { log "cargo fetch failed"; return 1; }
  fi
  rm -rf "$S/usr/local/cargo/registry/src"
  tar -C "$(base_dir systemd)" --exclude=./.e2e-stamp -c . -C "$S" usr/local/rust usr/local/cargo |
    docker_ import \
      -c 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV CARGO_HOME=/usr/local/cargo' -c 'ENV CARGO_NET_OFFLINE=true' \
      -c 'CMD ["bash"]' - "$TAG/rust:1-bookworm-standin" > /dev/null
  local rc=$?
  rm -rf "$S"
  return $rc
}

# stand-in for debian:bookworm-slim: debootstrap --variant=minbase
stand_in_runtime() {
  tar -C "$(base_dir minbase)" --exclude=./.e2e-stamp -c . |
    docker_ import -c 'CMD ["bash"]' - "$TAG/debian:bookworm-slim-standin" > /dev/null
}

# image_build: the Dockerfile with the stand-ins (classic builder: no buildx here)
image_build() {
  local t
  t=$(date +%s.%N)
  stand_in_builder || return 1
  stand_in_runtime || return 1
  echo "stand-in images: $(since "$t")s" >> "$OUT/image/build-times.txt"
  t=$(date +%s.%N)
  DOCKER_BUILDKIT=0 docker_ build --network none \
    --build-arg "BUILDER_IMAGE=$TAG/rust:1-bookworm-standin" \
    --build-arg "RUNTIME_IMAGE=$TAG/debian:bookworm-slim-standin" \
    -t "$TAG/exitscan:e2e" "$REPO" > "$OUT/image/docker-build.log" 2>&1 ||
    { tail -30 "$OUT/image/docker-build.log" >&2; return 1; }
  echo "docker build: $(since "$t")s" >> "$OUT/image/build-times.txt"
}

# image_check: non-root, port, /metrics served on 127.0.0.1 (host network), same counters
image_check() {
  local IMG=$TAG/exitscan:e2e C=$OUT/image/checks.txt port pid uid art=docker/events.txt ok=0
  : > "$C"
  fail() { echo "FAIL $*" >> "$C"; ok=1; }
  pass() { echo "ok   $*" >> "$C"; }
  local user ports ep size
  user=$(docker_ image inspect -f '{{.Config.User}}' "$IMG")
  ports=$(docker_ image inspect -f '{{json .Config.ExposedPorts}}' "$IMG")
  ep=$(docker_ image inspect -f '{{json .Config.Entrypoint}}' "$IMG")
  size=$(docker_ image inspect -f '{{.Size}}' "$IMG")
  echo "image $IMG: User=$user ExposedPorts=$ports Entrypoint=$ep Size=$size bytes" >> "$C"
  [ "$user" = "10001:10001" ] && pass "Config.User is 10001:10001" || fail "Config.User is '$user'"
  [ "$ports" = '{"13137/tcp":{}}' ] && pass "EXPOSE 13137" || fail "ExposedPorts $ports"
  [ "$ep" = '["exitscan"]' ] && pass "ENTRYPOINT exitscan" || fail "Entrypoint $ep"
  uid=$(docker_ run --rm --network none --entrypoint id "$IMG" -u)
  [ "$uid" = 10001 ] && pass "id -u inside: $uid" || fail "id -u inside: $uid"
  docker_ run --rm --network none "$IMG" explain 137 > "$OUT/image/explain-137.txt" 2>&1 &&
    pass "exitscan explain 137 runs" || fail "exitscan explain 137"
  # serve: host network, bound to 127.0.0.1 only
  port=$(free_port)
  docker_ run -d --name exitscan-serve --label exitscan-e2e-image=1 --network host \
    -v "$OUT/$art:/data/in.txt:ro" "$IMG" --listen "127.0.0.1:$port" --output none /data/in.txt \
    > /dev/null || { fail "docker run --listen"; return 1; }
  if wait_for 20 curl -sf "http://127.0.0.1:$port/healthz"; then
    pass "GET /healthz on 127.0.0.1:$port"
  else
    fail "no /healthz on 127.0.0.1:$port"; docker_ logs exitscan-serve >> "$C" 2>&1
  fi
  curl -sf "http://127.0.0.1:$port/metrics" > "$OUT/image/metrics.txt" || fail "GET /metrics"
  pid=$(docker_ inspect -f '{{.State.Pid}}' exitscan-serve)
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  [ "$uid" = 10001 ] && pass "serving process (pid $pid) runs as uid $uid" || fail "serving uid '$uid'"
  # the same artifact through the host's exitscan: the counters must be identical
  "$EXITSCAN" --output none --metrics-file "$OUT/image/host-metrics.txt" "$OUT/$art"
  if diff <(grep '^exitscan_container_exits_total' "$OUT/image/metrics.txt" | sort) \
          <(grep '^exitscan_container_exits_total' "$OUT/image/host-metrics.txt" | sort) >> "$C" &&
     grep -q '^exitscan_container_exits_total' "$OUT/image/metrics.txt"; then
    pass "/metrics counters = host exitscan's for $art"
  else
    fail "/metrics counters differ from the host's for $art"
  fi
  docker_ stop -t 10 exitscan-serve > /dev/null
  local code
  code=$(docker_ inspect -f '{{.State.ExitCode}}' exitscan-serve)
  [ "$code" = 0 ] && pass "SIGTERM (docker stop): exit code 0" || fail "docker stop: exit code $code"
  docker_ rm exitscan-serve > /dev/null
  cat "$C" >&2
  return $ok
}
