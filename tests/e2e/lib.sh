# Shared helpers for tests/e2e/*.sh (sourced, not run).
# Conventions: $W is this run's work dir under /tmp, $OUT the artifacts (under $W/out),
# $EXPECT the expectation files the checker reads, $TAG the unique name of this run
# (cgroups, image names); every daemon we start is recorded in $W/pids and stopped by
# PID in cleanup (run.sh's trap).

PY=/usr/bin/python3 # Debian's python3: python3-grpcio/-protobuf live there, not in a pyenv

T0=${T0:-$(date +%s.%N)}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[e2e %6.1fs] %s\n' "$(since "$T0")" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# track NAME PID: remember a daemon for cleanup (stopped in reverse order).
track() { echo "$1 $2" >> "$W/pids"; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
  local n=$(( $1 * 10 )); shift
  local i
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# stop_pid NAME PID [GRACE]: SIGTERM, wait up to GRACE s (default 10), then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 grace=${3:-10} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$name ($pid) did not stop on SIGTERM within ${grace}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
  sleep 0.2
}

# A free TCP port on 127.0.0.1 (the kernel picks it; a race is possible but unlikely).
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The Debian mirror this machine's apt uses (for debootstrap).
apt_mirror() {
  local m
  m=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n1)
  [ -n "$m" ] || m=$(awk '$1=="deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}

# Remove the cgroup directories this run created (any controller), deepest first.
remove_cgroups() {
  local d
  find /sys/fs/cgroup -depth -type d -name "${TAG}*" 2>/dev/null | while read -r d; do
    # child dirs (container ids) first; find -depth lists them before the parent
    find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null
    rmdir "$d" 2>/dev/null || log "could not remove cgroup $d"
  done
}

# Unmount everything mounted under a directory, deepest first.
umount_under() {
  local m
  awk -v p="$1" '$5 ~ "^"p {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
}

# step NAME CMD...: run a step, time it, record it in $W/times.
step() {
  local name=$1; shift
  local s rc
  s=$(date +%s.%N)
  log "-- $name"
  "$@"; rc=$?
  printf '%-22s rc=%-3s %6.1fs\n' "$name" "$rc" "$(since "$s")" >> "$W/times"
  return $rc
}
