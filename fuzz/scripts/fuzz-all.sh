#!/usr/bin/env bash
# Runs every fuzz target, one at a time (one libFuzzer process), in slices of
# SLICE seconds until its feature count (libFuzzer "ft:") grows by less than
# PLATEAU_PCT percent in a slice (after at least MIN_SLICES) or its budget
# runs out. Logs go to fuzz/logs/<target>.log, a summary to fuzz/logs/summary.tsv.
#
#   fuzz/scripts/fuzz-all.sh                       # every target, default budgets
#   fuzz/scripts/fuzz-all.sh scan:1200 describe:600   # TARGET:SECONDS ...
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it use
# the stable toolchain. Corpora: fuzz/corpus/<target> (gitignored), seeded
# from fuzz/seeds/<target>; crashes land in fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
SLICE=${SLICE:-120}
MIN_SLICES=${MIN_SLICES:-2}
PLATEAU_PCT=${PLATEAU_PCT:-0.5}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(scan:1080 describe:540 doc_json:420 doc_yaml:360 line_parsers:480 frame:180
           docker_event_json:240 getpods:180 util:240 kb_config:240)
fi
mkdir -p logs corpus artifacts
cargo fuzz build -a -s none >/dev/null 2>logs/build.log || { cat logs/build.log; exit 1; }
[ -f logs/summary.tsv ] || printf 'target\tseconds\truns\tcov\tft\tcorpus\tcrashes\n' > logs/summary.tsv
for spec in "${targets[@]}"; do
  t=${spec%%:*}; budget=${spec#*:}
  mkdir -p "corpus/$t"
  log=logs/$t.log; : > "$log"
  spent=0; runs=0; slices=0; prev_ft=0; crashes=0
  while [ "$spent" -lt "$budget" ]; do
    s=$(( budget - spent < SLICE ? budget - spent : SLICE ))
    start=$(date +%s)
    extra=()
    [ "$t" = scan ] && extra+=(-close_fd_mask=2) # the pipeline reports problems on stderr
    cargo fuzz run -a -s none "$t" "corpus/$t" "seeds/$t" -- \
      -max_len=8192 -timeout=5 -rss_limit_mb=2048 -max_total_time="$s" \
      -print_final_stats=1 "${extra[@]}" >>"$log" 2>&1
    rc=$?
    spent=$(( spent + $(date +%s) - start )); slices=$(( slices + 1 ))
    n=$(tail -n 40 "$log" | grep -a 'stat::number_of_executed_units' | tail -n 1 | awk '{print $2}')
    runs=$(( runs + ${n:-0} ))
    ft=$(grep -aoE 'ft: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
    ft=${ft:-0}
    echo "=== $t slice $slices: ${spent}s, ft $prev_ft -> $ft, runs $n, exit $rc" >>"$log"
    if [ $rc -ne 0 ]; then
      # A crash, timeout or OOM ends the slice early: keep fuzzing the target.
      crashes=$(( crashes + 1 )); echo "=== $t: exit $rc, see artifacts/$t" >>"$log"
      continue
    fi
    if [ "$slices" -ge "$MIN_SLICES" ] && [ "$prev_ft" -gt 0 ] &&
       awk -v a="$prev_ft" -v b="$ft" -v p="$PLATEAU_PCT" 'BEGIN{exit !((b-a)*100 < p*a)}'; then
      break
    fi
    prev_ft=$ft
  done
  cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
  units=$(find "corpus/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$spent" "$runs" "${cov:-0}" "$ft" "$units" "$crashes" >> logs/summary.tsv
done
column -t logs/summary.tsv
