# Docker Engine cases (sourced by run.sh; dockerd from daemons.sh).
# Every container: --network none, label exitscan-e2e=1, the imported busybox image.
# Artifacts in $OUT/docker: ps -a (default and --no-trunc), docker inspect (all),
# docker events (text and JSON), each container's json-file log, the dockerd log.

DOCKER_CASES="exit0 exit3 sigkill oom segv term143 stop-ignored notfound restart"

dk_run() { # name docker-run-args... (foreground; its exit status is what docker run said)
  local n=$1; shift
  docker_ run --name "$n" --network none --label exitscan-e2e=1 "$@" > "$OUT/docker/$n.run.out" 2>&1
  echo "$n docker-run-exit-status $?" >> "$OUT/docker/run-status.txt"
}
dk_bg() { # name docker-run-args... (detached)
  local n=$1; shift
  docker_ run -d --name "$n" --network none --label exitscan-e2e=1 "$@" > /dev/null
}

docker_cases() {
  local IMG=$TAG/busybox:e2e i
  mkdir -p "$OUT/docker"
  date -u +%Y-%m-%dT%H:%M:%S.%NZ > "$W/docker/since"
  dk_run exit0 "$IMG" sh -c 'echo hello; exit 0'
  dk_run exit3 "$IMG" sh -c 'echo hello; echo oops >&2; exit 3'
  dk_run oom --memory 32m --memory-swap 32m "$IMG" /bin/crasher alloc 200
  dk_run segv "$IMG" /bin/crasher segv
  dk_run notfound "$IMG" /nonexistent
  dk_bg sigkill "$IMG" sleep 100000
  dk_bg term143 "$IMG" /bin/crasher termtrap
  dk_bg stop-ignored "$IMG" sh -c 'echo sleeping; exec sleep 100000'
  dk_bg restart --restart on-failure:2 "$IMG" sh -c 'echo trying; exit 1'
  sleep 0.5
  docker_ kill -s KILL sigkill > /dev/null
  docker_ stop -t 5 term143 > /dev/null
  local t=$(date +%s.%N)
  docker_ stop -t 1 stop-ignored > /dev/null
  echo "stop-ignored: docker stop -t 1 took $(since "$t")s" >> "$OUT/docker/run-status.txt"
  # the restart policy is done when the container is exited and not restarting
  for i in $(seq 1 100); do
    [ "$(docker_ inspect -f '{{.State.Status}} {{.RestartCount}}' restart)" = "exited 2" ] && break
    sleep 0.1
  done
}

# docker_relay FILE: a container that prints FILE (real runtime lines) to its json-file log
docker_relay() {
  docker_ run --name relay --network none --label exitscan-e2e=1 -v "$1:/relay/lines:ro" \
    "$TAG/busybox:e2e" cat /relay/lines > /dev/null 2>&1
  echo "relay docker-run-exit-status $?" >> "$OUT/docker/run-status.txt"
}

docker_collect() {
  local n id
  sleep 0.3
  date -u +%Y-%m-%dT%H:%M:%S.%NZ > "$W/docker/until"
  docker_ ps -a --filter label=exitscan-e2e=1 > "$OUT/docker/ps-a.txt"
  docker_ ps -a --no-trunc --filter label=exitscan-e2e=1 > "$OUT/docker/ps-a-no-trunc.txt"
  # shellcheck disable=SC2046
  docker_ inspect $(docker_ ps -aq --filter label=exitscan-e2e=1) > "$OUT/docker/inspect.json"
  docker_ events --since "$(cat "$W/docker/since")" --until "$(cat "$W/docker/until")" \
    --filter label=exitscan-e2e=1 > "$OUT/docker/events.txt"
  docker_ events --since "$(cat "$W/docker/since")" --until "$(cat "$W/docker/until")" \
    --filter label=exitscan-e2e=1 --format '{{json .}}' > "$OUT/docker/events.jsonl"
  for n in $DOCKER_CASES relay; do
    id=$(docker_ inspect -f '{{.Id}}' "$n") || continue
    cp "$W/docker/data/containers/$id/$id-json.log" "$OUT/docker/$n-json.log" 2>/dev/null
  done
  cp "$W/docker/dockerd.log" "$OUT/docker/dockerd.log"
}

docker_teardown() {
  local ids
  ids=$(docker_ ps -aq --filter label=exitscan-e2e=1 2>/dev/null)
  [ -n "$ids" ] && docker_ rm -f $ids > /dev/null 2>&1
  return 0
}
