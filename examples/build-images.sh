#!/usr/bin/env bash
# Builds the example app images as OCI layouts, without a Docker engine (umoci + deterministic tar):
#   OUT/kilt-demo-app      busybox-static base, ENTRYPOINT /app/entrypoint.sh + CMD          (tag 1.0)
#   OUT/kilt-demo-scratch  one static binary and nothing else (scratch-like), ENTRYPOINT + CMD (tag 1.0)
#   OUT/kilt-demo-debian   a Debian 12 rootfs (debootstrap --variant=minbase bookworm), ENTRYPOINT + CMD
#                          (tag 1.0). debootstrap needs a Debian mirror; its result is cached under
#                          CACHE. When it fails (offline), or with KILT_DEBIAN_ROOTFS=host, the rootfs is
#                          assembled from the host's own Debian binaries (bash, coreutils, grep) and their
#                          shared libraries (ldd) instead, and the script says so.
# usage: examples/build-images.sh --out DIR --scratch-bin FILE [--cache DIR] [--only NAME]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out= scratch_bin= cache= only=
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --scratch-bin) scratch_bin=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "build-images.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] && [ -n "$scratch_bin" ] || {
  echo "usage: examples/build-images.sh --out DIR --scratch-bin FILE [--cache DIR] [--only NAME]" >&2; exit 2; }
cache=${cache:-$out/../cache}
for tool in umoci tar; do
  command -v $tool >/dev/null || { echo "build-images.sh: '$tool' not found; run 'make deps'" >&2; exit 1; }
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" | grep -q 'statically linked' || {
  echo "build-images.sh: a static busybox is needed (Debian package busybox-static); run 'make deps'" >&2; exit 1; }

epoch=${SOURCE_DATE_EPOCH:-0}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "${TMPDIR:-/tmp}/kilt-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$cache"

det_tar() { # det_tar OUT DIR
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$2" -cf "$1" .
}

# make_image NAME ROOTFS ENTRYPOINT CMD... : one-layer image NAME:1.0 at $out/NAME (replaced atomically).
make_image() {
  local name=$1 rootfs=$2 entrypoint=$3
  shift 3
  local layout=$work/$name cmdargs=()
  for c in "$@"; do cmdargs+=(--config.cmd "$c"); done
  det_tar "$work/$name.tar" "$rootfs"
  umoci init --layout "$layout"
  umoci new --image "$layout:1.0"
  umoci raw add-layer --image "$layout:1.0" --history.created "$created" \
    --history.created_by "kilt examples/build-images.sh" "$work/$name.tar"
  umoci config --image "$layout:1.0" --no-history --created "$created" --os linux --architecture amd64 \
    --clear config.env --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.entrypoint "$entrypoint" "${cmdargs[@]}" --config.workingdir /
  umoci gc --layout "$layout"
  rm -f "$work/$name.tar"
  rm -rf "$out/$name.new" && mv "$layout" "$out/$name.new"
  rm -rf "$out/$name" && mv "$out/$name.new" "$out/$name"
  echo "build-images.sh: $out/$name:1.0 ($(du -sh "$out/$name" | cut -f1))"
}

# Users and groups the examples refer to (User "app" / "1000:1000").
write_etc() { # write_etc ROOTFS
  install -d -m 0755 "$1/etc" "$1/tmp" "$1/proc" "$1/dev" "$1/sys"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:demo app:/tmp:/bin/sh\n' > "$1/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\n' > "$1/etc/group"
  printf 'root:*:19000:0:99999:7:::\napp:!:19000:0:99999:7:::\n' > "$1/etc/shadow" && chmod 0640 "$1/etc/shadow"
}

build_busybox() {
  local r=$work/rootfs-busybox
  write_etc "$r"
  install -d -m 0755 "$r/bin" "$r/app"
  install -m 0755 "$busybox" "$r/bin/busybox"
  for applet in sh sleep grep wc cat echo ls ps id env true false kill; do ln -s busybox "$r/bin/$applet"; done
  install -m 0755 "$here/apps/entrypoint.sh" "$r/app/entrypoint.sh"
  make_image kilt-demo-app "$r" /app/entrypoint.sh serve --greeting-from-cmd "hello from CMD"
}

build_scratch() {
  local r=$work/rootfs-scratch
  install -d -m 0755 "$r"
  install -m 0755 "$scratch_bin" "$r/app"
  make_image kilt-demo-scratch "$r" /app --mode scratch
}

# Copies host binaries and every shared library they need (ldd) into ROOTFS, at the same paths.
copy_with_libs() { # copy_with_libs ROOTFS BIN...
  local r=$1 f lib
  shift
  for f in "$@"; do
    install -D -m 0755 "$(readlink -f "$f")" "$r$f"
    for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
      [ -e "$r$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$r$lib"
    done
  done
}

debian_rootfs() { # prints the path of a Debian rootfs tar (cached), or builds the host-binaries fallback
  local tarball=$cache/debian-bookworm-minbase.tar
  if [ "${KILT_DEBIAN_ROOTFS:-debootstrap}" = debootstrap ]; then
    if [ ! -s "$tarball" ] && command -v debootstrap >/dev/null; then
      echo "build-images.sh: debootstrap --variant=minbase bookworm (needs a Debian mirror; once, then cached)" >&2
      if timeout 900 debootstrap --variant=minbase bookworm "$work/deb" > "$work/debootstrap.log" 2>&1; then
        det_tar "$tarball.tmp" "$work/deb" && mv "$tarball.tmp" "$tarball"
        rm -rf "$work/deb"
      else
        echo "build-images.sh: debootstrap failed (last lines below); using the host-binaries rootfs" >&2
        tail -3 "$work/debootstrap.log" >&2
        rm -rf "$work/deb"
      fi
    fi
    if [ -s "$tarball" ]; then
      echo "$tarball"
      return
    fi
  fi
  echo "build-images.sh: Debian-ish rootfs assembled from the host's bash, coreutils and grep + ldd" >&2
  echo host
}

build_debian() {
  local r=$work/rootfs-debian src
  src=$(debian_rootfs)
  if [ "$src" = host ]; then
    copy_with_libs "$r" /bin/bash /bin/sleep /bin/grep /usr/bin/wc /bin/cat
    ln -s bash "$r/bin/sh"
    write_etc "$r"
    echo "host-binaries rootfs (bash, coreutils, grep + ldd), not debootstrap" > "$r/etc/kilt-rootfs-kind"
  else
    mkdir -p "$r"
    tar -xf "$src" -C "$r"
    grep -q '^app:' "$r/etc/passwd" || echo 'app:x:1000:1000:demo app:/tmp:/bin/sh' >> "$r/etc/passwd"
    grep -q '^app:' "$r/etc/group" || echo 'app:x:1000:' >> "$r/etc/group"
    echo "debootstrap --variant=minbase bookworm" > "$r/etc/kilt-rootfs-kind"
  fi
  install -d -m 0755 "$r/app"
  install -m 0755 "$here/apps/entrypoint.sh" "$r/app/entrypoint.sh"
  make_image kilt-demo-debian "$r" /app/entrypoint.sh serve --base debian
  rm -rf "$r"
}

case ${only:-all} in
  all) build_busybox; build_scratch; build_debian ;;
  busybox) build_busybox ;;
  scratch) build_scratch ;;
  debian) build_debian ;;
  *) echo "build-images.sh: --only busybox|scratch|debian" >&2; exit 2 ;;
esac
