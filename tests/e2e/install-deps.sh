#!/usr/bin/env bash
# Installs, from Debian 12's packages and only when missing, what the e2e suite
# (tests/e2e/run.sh) needs. apt never starts the services here (policy-rc.d), and
# the suite starts its own daemons on private sockets, so nothing is left running.
#   docker.io containerd runc     the runtimes (dockerd, containerd + CRI plugin, runc)
#   busybox-static umoci          the test image, built without a registry
#   gcc libc6-dev                 the static helper (crasher.c, gcc -static)
#   python3-grpcio python3-grpc-tools python3-protobuf
#                                 the CRI client (no crictl in Debian; no PyPI)
#   jq curl                       orchestration, /metrics checks
#   debootstrap systemd-container stand-in base images, systemd booted in nspawn
#   supervisor                    supervisord (its "exited: ..." lines)
# kubectl is not installed here: the preinstalled /usr/bin/kubectl is used (Debian's
# kubernetes-client conflicts with it); the suite skips the kubectl part without one.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in docker.io containerd runc busybox-static umoci gcc libc6-dev jq curl \
         python3 python3-grpcio python3-grpc-tools python3-protobuf \
         debootstrap systemd-container supervisor; do
  have "$p" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
