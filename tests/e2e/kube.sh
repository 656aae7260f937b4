# kubectl (the preinstalled /usr/bin/kubectl) against kube/fake_apiserver.py on 127.0.0.1
# (sourced by run.sh). Pods: from the real CRI statuses plus kube/fixtures (kube/pods.py).
# Artifacts in $OUT/kube: describe, get -o json, get -o yaml, per pod and for all pods.

kube_cases() {
  local D=$W/kube-data port pf=$W/kube-port ns name k
  mkdir -p "$OUT/kube" "$W/kube-cache"
  rm -rf "$D"
  $PY "$E2E/kube/pods.py" "$OUT/cri" "$E2E/kube/fixtures" "$D" || return 1
  rm -f "$pf"
  $PY "$E2E/kube/fake_apiserver.py" "$D" "$pf" 2> "$W/fake-apiserver.log" 3>&- 4>&- &
  KUBE_API_PID=$!
  track fake-apiserver $KUBE_API_PID
  wait_for 10 test -s "$pf" || { cat "$W/fake-apiserver.log" >&2; return 1; }
  port=$(cat "$pf")
  k() { KUBECONFIG=/dev/null kubectl --server "http://127.0.0.1:$port" --cache-dir "$W/kube-cache" "$@"; }
  k version -o json > "$OUT/kube/kubectl-version.json" 2>&1 || true
  for f in "$D"/pods/*/*.json; do
    ns=$(basename "$(dirname "$f")"); name=$(basename "$f" .json)
    k describe pod -n "$ns" "$name" > "$OUT/kube/describe-$ns-$name.txt" || return 1
    k get pod -n "$ns" "$name" -o json > "$OUT/kube/get-$ns-$name.json" || return 1
    k get pod -n "$ns" "$name" -o yaml > "$OUT/kube/get-$ns-$name.yaml" || return 1
  done
  # many pods in one stream, as people paste them
  k describe pods -n shop > "$OUT/kube/describe-all-shop.txt" || return 1
  k get pods -A -o json > "$OUT/kube/get-all.json" || return 1
  k get pods -A -o yaml > "$OUT/kube/get-all.yaml" || return 1
  # the same describe twice (a watch loop's log): the second copy is a repeat
  cat "$OUT/kube/describe-e2e-e2e-crashloop.txt" "$OUT/kube/describe-e2e-e2e-crashloop.txt" \
    > "$OUT/kube/describe-twice.txt"
  cp -r "$D/pods" "$OUT/kube/pod-objects"
  stop_pid fake-apiserver "$KUBE_API_PID"
}
