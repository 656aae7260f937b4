#!/usr/bin/env bash
# Idle cost of `exitscan watch`: N followed files (default 1000), nothing
# written for DURATION seconds (default 60). Prints CPU time used and RSS.
#   scripts/idle-cost.sh [N] [DURATION]
set -euo pipefail
n=${1:-1000}
secs=${2:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/target/release/exitscan
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
dir=$(mktemp -d)
pid=; trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for i in $(seq "$n"); do
  d=$dir/pods/ns_pod-${i}_uid/app
  mkdir -p "$d"
  printf '2024-01-28T09:05:11.%dZ stdout F started\n2024-01-28T09:05:12Z stdout F web-%d exited with code 1\n' "$i" "$i" > "$d/0.log"
done
"$bin" watch --output none --from-start --listen 127.0.0.1:0 "$dir/pods/**/*.log" 2>/dev/null &
pid=$!
sleep 5 # discovery and the first read
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu)
sleep "$secs"
c1=$(cpu)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
awk -v c=$((c1 - c0)) -v t="$ticks" -v s="$secs" -v n="$n" -v r="$rss" -v h="$hwm" \
  'BEGIN { printf "%d idle files for %d s: CPU %.2f s (%.3f%% of one core), RSS %d KiB (peak %d KiB)\n", n, s, c/t, 100*c/t/s, r, h }'
