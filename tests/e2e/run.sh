#!/usr/bin/env bash
# exitscan's end-to-end suite: truth from real runtimes.
#
# Real runtimes on this machine end containers and processes in known ways; exitscan
# reads what they printed and must report exactly what they said (exit code, reason,
# signal, container), in --output json and in its Prometheus counters:
#   containerd 1.6 + its CRI plugin (driven through the CRI API, real /var/log/pods-layout
#   logs, crictl-inspect-like statuses, containerd's debug log, `ctr events`), Docker
#   Engine 20.10 (ps -a, inspect, events text/JSON, json-file logs), kubectl against a
#   fake API server on 127.0.0.1 (describe, get -o json|yaml), the kernel's OOM killer,
#   supervisord, systemd booted in systemd-nspawn; plus the repository's Dockerfile,
#   built here from local stand-in base images and checked to run as non-root and
#   serve /metrics.
#
# Usage: tests/e2e/run.sh          (as root, on Debian 12; see README "Tests")
# Environment:
#   E2E_SYSTEMD=0    skip systemd-in-nspawn (saves the systemd debootstrap when not cached)
#   E2E_IMAGE=0      skip the Dockerfile build and its checks
#   E2E_CACHE=0      debootstrap into the work dir instead of caching in target/e2e-cache
#   E2E_INSTALL=0    do not apt-get install missing packages (install-deps.sh)
#   E2E_KEEP=1       keep the /tmp work dir (it is removed otherwise)
#   EXITSCAN=PATH    test this binary instead of `cargo build --release`'s
# Artifacts, expectations and the report are copied to target/e2e/last-run/.
# Everything listens on unix sockets or 127.0.0.1, is stopped by PID at exit, and the
# cgroups it made are removed. Exit status: 0 when every check passed, 1 otherwise.
set -uo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
export E2E REPO
[ "$(id -u)" = 0 ] || { echo "e2e: needs root (daemons, cgroups, mounts, nspawn)" >&2; exit 2; }

T0=$(date +%s.%N)
TAG=exitscan-e2e-$$
W=$(mktemp -d /tmp/exitscan-e2e.XXXXXX)
chmod 755 "$W"
OUT=$W/out
EXPECT=$W/expect
LAST=$REPO/target/e2e/last-run
if [ "${E2E_CACHE:-1}" = 0 ]; then BASES_DIR=$W/bases; else BASES_DIR=$REPO/target/e2e-cache; fi
export W OUT TAG T0 BASES_DIR
mkdir -p "$OUT"/{cri,docker,containerd,kernel,kube,systemd,supervisor,image} "$EXPECT"
: > "$W/pids"; : > "$W/times"

# shellcheck source=lib.sh
. "$E2E/lib.sh"
. "$E2E/image.sh"
. "$E2E/daemons.sh"
. "$E2E/docker.sh"
. "$E2E/kube.sh"
. "$E2E/bases.sh"
. "$E2E/systemd.sh"
. "$E2E/dockerfile.sh"

BG_PIDS=()
FAILED=()

# kill_tree PID: a background job of ours and everything it started (by pid, children first)
kill_tree() {
  local p c
  p=$1
  for c in $(pgrep -P "$p" 2>/dev/null); do kill_tree "$c"; done
  kill -TERM "$p" 2>/dev/null
}

exec 3>&1 4>&2 # the real stdout/stderr: a signal can stop us inside a redirected command
cleanup() {
  local rc=$? name pid
  trap - EXIT INT TERM
  exec 1>&3 2>&4
  log "cleanup (exit status $rc)"
  for pid in "${BG_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && kill_tree "$pid"; done
  if [ -S "$W/ctrd/containerd.sock" ] && [ -f "$OUT/cri/state.json" ]; then
    CRI_STUBS=$W/cri-stubs $PY "$E2E/cri/cri_client.py" "$W/ctrd/containerd.sock" "$OUT/cri" teardown \
      > /dev/null 2>&1
  fi
  if [ -S "$W/docker/docker.sock" ]; then
    docker_teardown
    local ids
    ids=$(docker_ ps -aq --filter label=exitscan-e2e-image=1 2>/dev/null)
    [ -n "$ids" ] && docker_ rm -f $ids > /dev/null 2>&1
  fi
  [ -f "$W/sup/supervisord.pid" ] && stop_pid supervisord "$(cat "$W/sup/supervisord.pid")" 10
  # daemons in reverse order of start
  tac "$W/pids" | while read -r name pid; do stop_pid "$name" "$pid" 15; done
  sleep 0.2
  umount_under "$W"
  remove_cgroups
  # what containerd's shims leave in /run (only if this run created it)
  [ -n "${RUN_CONTAINERD_NEW:-}" ] && rm -rf /run/containerd
  [ -n "${RUN_DOCKER_NEW:-}" ] && rm -rf /run/docker
  if [ -f "$W/run-systemd-new" ]; then rm -rf /run/systemd; else rm -rf "/run/systemd/nspawn/propagate/$TAG"; fi
  if [ -d "$OUT" ]; then
    rm -rf "$LAST"; mkdir -p "$LAST"
    cp -a "$OUT/." "$LAST/"
    cp -a "$EXPECT" "$LAST/expect" 2>/dev/null
    cp "$W/times" "$LAST/times.txt" 2>/dev/null
  fi
  if [ "${E2E_KEEP:-0}" = 1 ]; then log "work dir kept: $W"; else rm -rf "$W"; fi
  log "done in $(since "$T0")s; artifacts and report: $LAST"
  [ "$rc" = 0 ] || [ -n "${SUMMARY:-}" ] || SUMMARY="e2e: 0 passed, 1 failed (stopped early, exit $rc)"
  [ -n "${SUMMARY:-}" ] && echo "$SUMMARY"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fatal_step() { step "$@" || { FAILED+=("$1"); die "step $1 failed"; }; }
soft_step() { step "$@" || { FAILED+=("$1"); log "step $1 failed (continuing)"; return 1; }; }

# ---- preparation ------------------------------------------------------------------------
if [ "${E2E_INSTALL:-1}" != 0 ]; then fatal_step install-deps "$E2E/install-deps.sh"; fi
command -v kubectl > /dev/null || die "kubectl is not installed (the suite uses the preinstalled /usr/bin/kubectl)"
# containerd's shims and docker keep state under /run whatever their roots: remove it at
# the end if this run created it
[ -d /run/containerd ] || RUN_CONTAINERD_NEW=1
[ -d /run/docker ] || RUN_DOCKER_NEW=1

# exitscan itself: the repository's `cargo build --release` (a no-op when up to date)
if [ -z "${EXITSCAN:-}" ]; then
  EXITSCAN=$REPO/target/release/exitscan
  (cd "$REPO" && cargo build --release --locked -q > "$W/cargo-build.log" 2>&1) 3>&- 4>&- &
  CARGO_PID=$!; BG_PIDS+=("$CARGO_PID")
fi
export EXITSCAN

# the Debian trees for nspawn and the image stand-ins (network-bound: in the background)
if [ "${E2E_SYSTEMD:-1}" != 0 ] || [ "${E2E_IMAGE:-1}" != 0 ]; then
  (make_bases) > "$W/bases.log" 2>&1 3>&- 4>&- &
  BASES_PID=$!; BG_PIDS+=("$BASES_PID")
fi

fatal_step images build_images
fatal_step cri-stubs bash -c "mkdir -p '$W/cri-stubs' && cp '$E2E/cri/api.proto' '$W/cri-stubs/' &&
  cd '$W/cri-stubs' && $PY -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. api.proto"
export CRI_STUBS=$W/cri-stubs
fatal_step containerd start_containerd
ctr --address "$(CTR_SOCK)" events > "$OUT/containerd/ctr-events-all.txt" 2>&1 3>&- 4>&- &  # not via a function: $! must be ctr
CTR_EVENTS_PID=$!; track ctr-events "$CTR_EVENTS_PID"

# ---- runtimes ---------------------------------------------------------------------------
cri_client() { $PY "$E2E/cri/cri_client.py" "$W/ctrd/containerd.sock" "$OUT/cri" "$@"; }
fatal_step cri-cases cri_client run "$OUT/cri/pods" "$TAG-cri"
cp "$W/ctrd/containerd.log" "$OUT/containerd/containerd.log"
fatal_step dockerd start_dockerd
# the Dockerfile, as soon as the base trees are there (its cargo build takes minutes)
if [ "${E2E_IMAGE:-1}" != 0 ]; then
  (
    if [ -n "${BASES_PID:-}" ]; then while kill -0 "$BASES_PID" 2>/dev/null; do sleep 1; done; fi
    base_ready minbase && base_ready systemd || { echo "e2e: the base trees are missing" >&2; exit 1; }
    image_build
  ) > "$W/image-build.log" 2>&1 3>&- 4>&- &
  IMAGE_PID=$!; BG_PIDS+=("$IMAGE_PID")
fi
fatal_step docker-cases docker_cases
fatal_step docker-relay bash -c "$PY '$E2E/expect.py' '$OUT' - relay-input containerd '$OUT/docker/relay-input.txt'"
docker_relay "$OUT/docker/relay-input.txt"
fatal_step docker-collect docker_collect
fatal_step cri-relay bash -c "$PY '$E2E/expect.py' '$OUT' - relay-input docker-events '$OUT/cri/relay-input.txt'"
fatal_step cri-relay-run cri_client relay "$OUT/cri/relay-input.txt"
sleep 0.3
stop_pid ctr-events "$CTR_EVENTS_PID"
fatal_step containerd-log $PY "$E2E/collect.py" "$OUT" containerd "$W/ctrd/containerd.log" \
  "$OUT/containerd/ctr-events-all.txt"
dmesg > "$W/dmesg.txt" 2>/dev/null || cat /dev/kmsg > "$W/dmesg.txt" 2>/dev/null
fatal_step kernel $PY "$E2E/collect.py" "$OUT" kernel "$W/dmesg.txt"
fatal_step supervisor $PY "$E2E/supervisor_cases.py" "$W/sup" "$OUT" "$W/img/crasher"
fatal_step kubectl kube_cases

# ---- systemd, and the image build started above --------------------------------------------
GROUPS_RUN="cri docker containerd kernel kube supervisor"
if [ -n "${BASES_PID:-}" ]; then
  step bases wait "$BASES_PID" || { FAILED+=(bases); cat "$W/bases.log" >&2; }
fi
if [ "${E2E_SYSTEMD:-1}" != 0 ]; then
  if base_ready systemd; then
    soft_step systemd systemd_cases && GROUPS_RUN="$GROUPS_RUN systemd"
  else
    FAILED+=(systemd)
  fi
fi
if [ -n "${IMAGE_PID:-}" ]; then
  if step image-build wait "$IMAGE_PID"; then
    soft_step image-check image_check
  else
    FAILED+=(image-build); tail -30 "$W/image-build.log" >&2
  fi
fi
if [ -n "${CARGO_PID:-}" ]; then
  step cargo-build wait "$CARGO_PID" || { FAILED+=(cargo-build); cat "$W/cargo-build.log" >&2; die "cargo build --release failed"; }
fi

# ---- compare ----------------------------------------------------------------------------
fatal_step expectations $PY "$E2E/expect.py" "$OUT" "$EXPECT" $GROUPS_RUN
log "-- checker ($EXITSCAN)"
$PY "$E2E/check.py" "$EXITSCAN" "$OUT" "$EXPECT" "$REPO/config/ntstatus.toml" > "$OUT/report.txt"
CHECK_RC=$?
echo "step timings:"; cat "$W/times"
[ -f "$OUT/image/checks.txt" ] && { echo; echo "image checks:"; cat "$OUT/image/checks.txt"; }
echo
cat "$OUT/report.txt"
# the closing line (printed last, after cleanup): checks, plus the steps that failed
read -r _ NPASS _ NFAIL _ < <(grep '^e2e: ' "$OUT/report.txt" | tail -1 | tr -d ',')
SUMMARY="e2e: ${NPASS:-0} passed, $(( ${NFAIL:-1} + ${#FAILED[@]} )) failed"
if [ ${#FAILED[@]} -gt 0 ]; then echo "e2e: failed steps: ${FAILED[*]}"; exit 1; fi
exit "$CHECK_RC"
