#!/usr/bin/env bash
# Throughput of `exitscan --output json` against `cat` and `rg --no-mmap -c` on
# the same genlogs file, in one run, for every genlogs format.
#
#   scripts/throughput.sh [SIZE] [ROUNDS]      (defaults: 1G, 5)
#
# Generates SIZE inputs with ../shared/tools/genlogs.py (cached in
# $THROUGHPUT_DIR, default target/throughput), checks exitscan's records by
# exit code and reason against the truth file, then times ROUNDS of each
# command (file in page cache, output to /dev/null) and prints medians in
# MB/s, peak RSS, the ratio exitscan/rg and the CPU seconds (user + system)
# of rg and exitscan. Installs ripgrep and GNU time
# from Debian's packages when missing.
set -euo pipefail

size=${1:-1G}
rounds=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared}
dir=${THROUGHPUT_DIR:-$here/target/throughput}
bin=$here/target/release/exitscan
# The truth regex from `genlogs.py --help`: one match per exit event.
regex='Exit Code: +[0-9]+|exitCode=[0-9]+|exited with code [0-9]+|Exited \([0-9]+\)'

need() { command -v "$1" >/dev/null 2>&1; }
if ! need rg || [ ! -x /usr/bin/time ]; then
  echo "installing ripgrep and time from Debian's packages" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ripgrep time >/dev/null
fi
[ -x "$bin" ] || (cd "$here" && cargo build --release --quiet)
mkdir -p "$dir"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# seconds, peak KiB and CPU seconds (user + system) of one run: "secs kib
# cpu". The wall time comes from bash's microsecond clock (GNU time's %e
# counts in 10 ms steps, 4% of an rg run on 1 GiB); GNU time is there for
# the peak RSS and the CPU time (steadier than the wall time on a busy VM).
timed() {
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%M %U %S' -o "$dir/.time" "$@" >/dev/null 2>/dev/null || true
  local t1=$EPOCHREALTIME
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }') $(tail -n 1 "$dir/.time" | awk '{ printf "%s %.2f", $1, $2 + $3 }')"
}

printf '%-10s %8s %10s %10s %10s %8s %9s %7s %7s %s\n' format MiB cat_MB/s rg_MB/s exitscan ratio rss_KiB rg_cpu es_cpu counts
status=0
for fmt in cri dockerjson kubelet describe mixed; do
  log=$dir/$fmt-$size.log
  truth=$dir/$fmt-$size.json
  if [ ! -s "$log" ] || [ ! -s "$truth" ]; then
    python3 "$shared/tools/genlogs.py" --format "$fmt" --size "$size" --seed 7 -o "$log" --truth "$truth"
  fi
  bytes=$(stat -L -c %s "$log")
  # Correctness first: records by exit code and reason equal the truth.
  counts=$("$bin" --output json "$log" | python3 -c '
import json, sys, collections
t = json.load(open(sys.argv[1]))["exit_events"]
by, br, n = collections.Counter(), collections.Counter(), 0
for line in sys.stdin:
    r = json.loads(line); n += 1
    by[str(r["raw_exit_code"])] += 1
    br[r["reason"] or "<none>"] += 1
ok = n == t["total"] and dict(by) == t["by_code"] and dict(br) == t["by_reason"]
print(("ok" if ok else "MISMATCH") + " %d/%d" % (n, t["total"]))
' "$truth")
  case $counts in ok*) ;; *) status=1 ;; esac
  cat "$log" >/dev/null # into the page cache
  cs=(); rs=(); es=(); rss=(); rcpu=(); ecpu=()
  for _ in $(seq "$rounds"); do
    read -r s _ < <(timed cat "$log"); cs+=("$s")
    read -r s _ u < <(timed rg --no-mmap -c -e "$regex" "$log"); rs+=("$s"); rcpu+=("$u")
    read -r s k u < <(timed "$bin" --quiet --output json "$log"); es+=("$s"); rss+=("$k"); ecpu+=("$u")
  done
  c=$(printf '%s\n' "${cs[@]}" | median)
  r=$(printf '%s\n' "${rs[@]}" | median)
  e=$(printf '%s\n' "${es[@]}" | median)
  rc=$(printf '%s\n' "${rcpu[@]}" | median)
  ec=$(printf '%s\n' "${ecpu[@]}" | median)
  k=$(printf '%s\n' "${rss[@]}" | sort -n | tail -n 1)
  mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { if (s <= 0) s = 0.005; printf "%.0f", b / s / 1e6 }'; }
  ratio=$(awk -v e="$e" -v r="$r" 'BEGIN { if (r <= 0) r = 0.005; printf "%.2f", e / r }')
  printf '%-10s %8d %10s %10s %10s %8s %9s %7s %7s %s\n' "$fmt" $((bytes / 1048576)) "$(mbs "$c")" "$(mbs "$r")" "$(mbs "$e")" "$ratio" "$k" "$rc" "$ec" "$counts"
done
exit $status
