# Debian root filesystems made with debootstrap (sourced by run.sh), cached under
# target/e2e-cache/ (E2E_CACHE=0 rebuilds them in the work dir and drops them after):
#   minbase   --variant=minbase bookworm: the stand-in for debian:bookworm-slim
#   systemd   minbase + systemd, systemd-sysv, gcc, libc6-dev: booted with systemd-nspawn
#             for real journal lines, and the base of the stand-in for rust:1-bookworm
# A tree is complete when its .e2e-stamp (the debootstrap arguments) matches.

BASES_SUITE=bookworm
base_args() {
  case $1 in
    minbase) echo "--variant=minbase" ;;
    systemd) echo "--variant=minbase --include=systemd,systemd-sysv,gcc,libc6-dev,ca-certificates" ;;
  esac
}

base_dir() { echo "$BASES_DIR/$1"; }

base_ready() { [ "$(cat "$(base_dir "$1")/.e2e-stamp" 2>/dev/null)" = "$(base_args "$1") $BASES_SUITE" ]; }

# make_base NAME: debootstrap the tree if it is not there yet (log in $W/debootstrap-NAME.log)
make_base() {
  local name=$1 d
  d=$(base_dir "$name")
  base_ready "$name" && return 0
  rm -rf "$d" "$d.tmp"
  mkdir -p "$(dirname "$d")"
  # shellcheck disable=SC2046
  debootstrap $(base_args "$name") "$BASES_SUITE" "$d.tmp" "$(apt_mirror)" \
    > "$W/debootstrap-$name.log" 2>&1 || { tail -5 "$W/debootstrap-$name.log" >&2; return 1; }
  rm -rf "$d.tmp"/var/cache/apt/archives/*.deb "$d.tmp"/var/lib/apt/lists/*_Packages
  echo "$(base_args "$name") $BASES_SUITE" > "$d.tmp/.e2e-stamp"
  mv "$d.tmp" "$d"
}

make_bases() {
  local rc=0
  make_base minbase & local p1=$!
  make_base systemd & local p2=$!
  wait $p1 || rc=1
  wait $p2 || rc=1
  return $rc
}
