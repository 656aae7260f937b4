#!/usr/bin/env bash
# A short fuzz smoke run for CI: every target for SECONDS (default 20) from its
# committed seeds, into a throwaway corpus; fails on the first crash, timeout
# or OOM (the input is left in fuzz/artifacts/<target>/).
#
#   fuzz/scripts/smoke.sh [SECONDS]
#
# Installs cargo-fuzz from crates.io when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
cargo fuzz build -a -s none
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in $(cargo fuzz list); do
  mkdir -p "$work/$t"
  echo "fuzz smoke: $t (${secs}s)" >&2
  cargo fuzz run -a -s none "$t" "$work/$t" "seeds/$t" -- \
    -max_total_time="$secs" -max_len=8192 -timeout=5 -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 2>&1 |
    grep -aE '^(stat::number_of_executed_units|Done|INFO: -max_total_time)|ERROR|SUMMARY|panicked|Test unit written' >&2
done
