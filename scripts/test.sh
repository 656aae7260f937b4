#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs what the tests need
# from Debian's packages when it is missing, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
cargo test --all-targets
# End-to-end against real runtimes (root, Debian 12; ~3-5 min; see README "Tests").
tests/e2e/run.sh
