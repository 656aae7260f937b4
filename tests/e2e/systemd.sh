# Real systemd + journald (Debian 12, systemd 252) booted with systemd-nspawn from the
# debootstrapped tree (bases.sh), read-only under a tmpfs overlay (--volatile=overlay),
# private network (loopback only). PID 1 of this machine is not systemd, so systemd-run
# cannot run on the host. Transient units exit, crash and get killed; the artifacts are
# the journal (short-iso) and `systemctl status` of failed units; the truth is systemd's
# own structured fields (journal EXIT_CODE/EXIT_STATUS, systemctl show ExecMain*).
# (sourced by run.sh)

SYSTEMD_STATUS_UNITS="exitscan-exit3 exitscan-segv exitscan-term143 exitscan-stuck"

systemd_cases() {
  local R NS L="" N i u
  R=$(base_dir systemd)
  mkdir -p "$OUT/systemd"
  # nspawn --keep-unit makes its "payload" and "supervisor" cgroups beside itself (in the
  # unified and the name=systemd hierarchy): start it in cgroups of ours so that they go
  # away with them (remove_cgroups)
  local h
  for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
    [ -f "$h/cgroup.procs" ] && mkdir -p "$h/$TAG-nspawn"
  done
  # /run/systemd (nspawn's locks and propagation dirs) is removed at the end if it is new
  [ -d /run/systemd ] || touch "$W/run-systemd-new"
  sh -c 'for h in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
           [ -d "$h/$1" ] && echo $$ > "$h/$1/cgroup.procs"; done
         shift; exec "$@"' sh "$TAG-nspawn" \
    systemd-nspawn -D "$R" --machine="$TAG" --volatile=overlay --register=no --keep-unit --private-network \
    --console=passive --bind-ro="$W/img/crasher:/usr/local/bin/crasher" -b \
    > "$W/nspawn.log" 2>&1 3>&- 4>&- &
  NS=$!
  track systemd-nspawn $NS
  for i in $(seq 1 300); do
    L=$(pgrep -P "$NS" | head -1)
    [ -n "$L" ] && nsenter -t "$L" -a systemctl is-system-running 2>/dev/null |
      grep -qE '^(running|degraded)$' && break
    L=""; sleep 0.1
  done
  [ -n "$L" ] || { log "systemd did not boot in nspawn"; tail -20 "$W/nspawn.log" >&2; return 1; }
  N="nsenter -t $L -a"
  # systemd-run expands $VAR and $$ itself: $$$$ is the shell's $$
  $N systemd-run -q --unit=exitscan-exit0 /bin/true
  $N systemd-run -q --unit=exitscan-exit3 /usr/local/bin/crasher exit 3
  $N systemd-run -q --unit=exitscan-segv /usr/local/bin/crasher segv
  $N systemd-run -q --unit=exitscan-abort /usr/local/bin/crasher abort
  $N systemd-run -q --unit=exitscan-selfkill9 /bin/sh -c 'echo about to die; kill -9 $$$$'
  $N systemd-run -q --unit=exitscan-killed9 /bin/sleep 1000
  $N systemd-run -q --unit=exitscan-term143 /usr/local/bin/crasher termtrap
  $N systemd-run -q --unit=exitscan-stuck -p TimeoutStopSec=1 /bin/sh -c 'trap "" TERM; sleep 1000'
  # systemd signals these itself: the watchdog (no keep-alive within WatchdogSec=, SIGABRT),
  # and a start that never reports READY=1 within TimeoutStartSec= (SIGTERM, ignored here:
  # systemd logs a main process that SIGTERM ended at debug level only, so SIGKILL follows
  # after TimeoutStopSec=)
  $N systemd-run -q --unit=exitscan-watchdog -p WatchdogSec=1 /bin/sleep 1000
  $N systemd-run -q --no-block --unit=exitscan-slowstart -p Type=notify -p TimeoutStartSec=1 \
    -p TimeoutStopSec=1 /bin/sh -c 'trap "" TERM; sleep 1000'
  sleep 0.5
  $N systemctl kill -s KILL exitscan-killed9
  $N systemctl stop exitscan-term143 exitscan-stuck
  for i in $(seq 1 80); do
    $N systemctl is-failed -q exitscan-watchdog && $N systemctl is-failed -q exitscan-slowstart && break
    sleep 0.1
  done
  sleep 0.3
  $N journalctl --no-pager -o short-iso -u 'exitscan-*' > "$OUT/systemd/journal.txt"
  $N journalctl --no-pager -o json -u 'exitscan-*' > "$OUT/systemd/journal.json"
  echo '{}' > "$OUT/systemd/status-units.json"
  for u in $SYSTEMD_STATUS_UNITS; do
    $N systemctl status --no-pager "$u.service" > "$OUT/systemd/status-$u.service.txt"
    local code status
    code=$($N systemctl show -p ExecMainCode --value "$u.service")
    status=$($N systemctl show -p ExecMainStatus --value "$u.service")
    jq --arg u "$u.service" --argjson c "$code" --argjson s "$status" \
      '.[$u] = {code: $c, status: $s, raw: (if $c == 1 then $s else null end), sig: (if $c == 1 then null else $s end)}' \
      "$OUT/systemd/status-units.json" > "$W/su.tmp" && mv "$W/su.tmp" "$OUT/systemd/status-units.json"
  done
  $N systemctl list-units --all --no-pager 'exitscan-*' > "$OUT/systemd/list-units.txt"
  $N systemctl poweroff
  for i in $(seq 1 100); do kill -0 "$NS" 2>/dev/null || break; sleep 0.1; done
  stop_pid systemd-nspawn "$NS" 5
  wait "$NS" 2>/dev/null
  return 0
}
