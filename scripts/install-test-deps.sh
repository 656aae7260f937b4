#!/usr/bin/env bash
# Installs, from Debian's packages and only when missing, what the tests use:
# python3 (genlogs, corpus-score), prometheus + promtool (the real scrape test),
# ripgrep and GNU time (throughput script). apt never starts services here
# (policy-rc.d); nothing is left running.
set -euo pipefail
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v prometheus >/dev/null || missing+=(prometheus)
command -v promtool >/dev/null || missing+=(prometheus)
command -v rg >/dev/null || missing+=(ripgrep)
[ -x /usr/bin/time ] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
