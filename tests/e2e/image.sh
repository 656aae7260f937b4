# The test image, without a registry (sourced by run.sh).
# A rootfs of Debian's busybox-static (applet symlinks) plus the static helper
# src/crasher.c; as OCI image layouts made with umoci (for containerd) and as a
# docker image made with `docker import`.

# build_rootfs: $W/img/rootfs
build_rootfs() {
  local R=$W/img/rootfs a
  mkdir -p "$R"/{bin,etc,tmp,proc,sys,dev,relay}
  gcc -static -O1 -o "$W/img/crasher" "$E2E/src/crasher.c" || return 1
  cp /bin/busybox "$R/bin/busybox"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
  cp "$W/img/crasher" "$R/bin/crasher"
  echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
  echo 'root:x:0:' > "$R/etc/group"
}

# oci_image NAME CONFIG-ARGS...: $W/img/NAME.tar, an OCI layout with tag "e2e"
oci_image() {
  local name=$1; shift
  local L=$W/img/$name-layout B=$W/img/$name-bundle
  umoci init --layout "$L" &&
  umoci new --image "$L:e2e" &&
  umoci unpack --image "$L:e2e" "$B" &&
  cp -a "$W/img/rootfs/." "$B/rootfs/" &&
  umoci repack --image "$L:e2e" "$B" &&
  umoci config --image "$L:e2e" --config.env PATH=/bin "$@" &&
  umoci gc --layout "$L" &&
  tar -C "$L" -cf "$W/img/$name.tar" . &&
  rm -rf "$B" "$L"
}

build_images() {
  build_rootfs || return 1
  oci_image busybox --config.cmd /bin/sh || return 1
  # the CRI sandbox ("pause") image: busybox sleep
  oci_image pause --config.entrypoint /bin/sleep --config.cmd 100000000 || return 1
}
