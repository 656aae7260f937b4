#!/usr/bin/env bash
# /metrics under load while exitscan ingests a large file:
#   scripts/load-test.sh [SIZE]      (default 1G)
# Measures the ingest time alone (FORMAT=describe by default: the slowest to ingest), then again while wrk (-t2 -c32 -d10s) hammers
# /metrics on 127.0.0.1; prints wrk's requests/s and errors, and the slowdown.
# Installs wrk from Debian's packages when missing.
set -euo pipefail
size=${1:-1G}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared}
dir=${THROUGHPUT_DIR:-$here/target/throughput}
bin=$here/target/release/exitscan
command -v wrk >/dev/null || { apt-get update -qq >/dev/null; apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
mkdir -p "$dir"
fmt=${FORMAT:-describe}
log=$dir/$fmt-$size.log
[ -s "$log" ] || python3 "$shared/tools/genlogs.py" --format "$fmt" --size "$size" --seed 7 -o "$log" --truth "$dir/$fmt-$size.json"
cat "$log" >/dev/null

t0=$(date +%s.%N); "$bin" --quiet --output none "$log"; t1=$(date +%s.%N)
alone=$(echo "$t1 - $t0" | bc -l)

errf=$(mktemp); trap 'rm -f "$errf"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
t0=$(date +%s.%N)
"$bin" --quiet --output none --listen 127.0.0.1:0 "$log" 2>"$errf" &
pid=$!
while ! grep -q 'http://' "$errf"; do sleep 0.01; done
addr=$(grep -o 'http://[0-9.:]*' "$errf" | head -n 1)
wrk -t2 -c32 -d10s "$addr/metrics" > "$dir/wrk.txt" 2>&1 &
wrkpid=$!
while ! grep -q 'scan done' "$errf"; do sleep 0.01; done
t1=$(date +%s.%N)
wait "$wrkpid"
kill -TERM "$pid"; wait "$pid" || true
under=$(echo "$t1 - $t0" | bc -l)
cat "$dir/wrk.txt"
printf 'ingest alone: %.2f s; under load: %.2f s; slowdown %.2fx\n' "$alone" "$under" "$(echo "$under / $alone" | bc -l)"
if grep -qE 'Socket errors|Non-2xx' "$dir/wrk.txt"; then echo "ERRORS under load"; exit 1; fi
