#!/usr/bin/env bash
# Builds the kilt-webhook container image as an OCI archive without a Docker engine (umoci + tar, like
# image/build.sh does for the payload): an OCI image index over two single-layer images, linux/amd64
# and linux/arm64 (variant v8, Graviton), tagged TAG. Each layer holds
#   /usr/local/bin/kilt-webhook   the server built for that architecture (debug info stripped)
#   the shared libraries it needs, with the dynamic loader: OpenSSL and http_parser are linked in
#                                 statically, glibc is not (its NSS and DNS resolver need the matching
#                                 libc.so.6 at run time; a static glibc binary would warn and misbehave
#                                 on getaddrinfo)
#     amd64: the exact libraries `ldd` reports (glibc, libstdc++, libgcc_s), at the paths it reports.
#     arm64: ldd cannot run an aarch64 binary here, so the ELF headers are read instead (readelf): the
#            loader named by PT_INTERP, and the DT_NEEDED names of the binary and of every library
#            shipped, followed until none is new, each found where the arm64 loader looks first
#            (/lib/aarch64-linux-gnu) and shipped at that path. They come from Debian's libc6:arm64
#            (multiarch, always the same version as the amd64 image's libc6), not from the cross
#            toolchain's sysroot (libc6-arm64-cross: a build-time copy of the same glibc release that
#            lags the security updates). The loader and libc.so.6 share a private ABI and must come
#            from one glibc build, here both from libc6:arm64: the cross loader with Debian's
#            libc.so.6 (what `qemu-aarch64 -L /usr/aarch64-linux-gnu` ends up loading on this
#            machine) makes the server spin in its first pthread_create. libstdc++ and libgcc are
#            linked into the arm64 binary (webhook/image.mk says why), so glibc is all it needs; a
#            DT_NEEDED name not found is an error, not a silent omission.
#   /etc/ssl/certs/ca-certificates.crt  the build machine's CA bundle (registries over TLS)
#   /etc/passwd, /etc/group, /etc/nsswitch.conf  a `nonroot` user 65532 and "hosts: files dns"
#   /usr/share/doc/PKG/copyright  the licences of what is shipped or linked in, when installed
# Config (both): User 65532:65532, Entrypoint ["/usr/local/bin/kilt-webhook"], port 8443/tcp.
#
# Reproducible: the same inputs (binaries, libraries, CA bundle) give the same bytes, for the reasons
# given in image/build.sh: a layer tar with sorted names, fixed owners and mtime, `created` times from
# SOURCE_DATE_EPOCH (default 0), unreferenced blobs collected, the index written by jq in a fixed
# order, the layout archived the same way. The amd64 image is the one this script built before it
# built the index (same manifest digest for the same inputs).
#
# usage: webhook/image.sh --bin FILE --arm64-bin FILE --out FILE.oci.tar [--tag TAG] [--ca-bundle FILE]
#   --bin: build/bin/kilt-webhook (x86-64); --arm64-bin: build/arm64/bin/kilt-webhook (AArch64)
#   --ca-bundle: the PEM bundle to ship instead of the build machine's (a private CA, tests).
# Prints the index digest (what `skopeo copy --all` pushes and the registry serves for TAG).
# Writes nothing at FILE unless everything succeeded.
set -euo pipefail

bin_amd64= bin_arm64= out= tag=latest ca_bundle=/etc/ssl/certs/ca-certificates.crt
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin_amd64=$2; shift 2 ;;
    --arm64-bin) bin_arm64=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --ca-bundle) ca_bundle=$2; shift 2 ;;
    *) echo "webhook/image.sh: unknown argument '$1' (see the usage at the top of webhook/image.sh)" >&2; exit 2 ;;
  esac
done
[ -n "$bin_amd64" ] && [ -n "$bin_arm64" ] && [ -n "$out" ] || {
  echo "usage: webhook/image.sh --bin FILE --arm64-bin FILE --out FILE.oci.tar [--tag TAG] [--ca-bundle FILE]" >&2; exit 2; }
for tool in umoci jq tar sha256sum ldd strip readelf aarch64-linux-gnu-strip aarch64-linux-gnu-g++; do
  command -v $tool >/dev/null || { echo "webhook/image.sh: '$tool' not found; run 'make deps'" >&2; exit 1; }
done
[ -x "$bin_amd64" ] || { echo "webhook/image.sh: $bin_amd64 is missing; build it first (make build/bin/kilt-webhook)" >&2; exit 1; }
[ -x "$bin_arm64" ] || { echo "webhook/image.sh: $bin_arm64 is missing; build it first (make webhook-arm64)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "webhook/image.sh: runs ldd on the amd64 server, so on an x86_64 machine only" >&2; exit 1; }
[ -s "$ca_bundle" ] || { echo "webhook/image.sh: CA bundle $ca_bundle is missing; install ca-certificates" >&2; exit 1; }

elf_machine() { LC_ALL=C readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }
[ "$(elf_machine "$bin_amd64")" = "Advanced Micro Devices X86-64" ] ||
  { echo "webhook/image.sh: $bin_amd64 is not an x86-64 ELF binary" >&2; exit 1; }
[ "$(elf_machine "$bin_arm64")" = AArch64 ] ||
  { echo "webhook/image.sh: $bin_arm64 is not an AArch64 ELF binary (make webhook-arm64 builds one)" >&2; exit 1; }

epoch=${SOURCE_DATE_EPOCH:-0}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "${TMPDIR:-/tmp}/kilt-webhook-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout=$work/layout

# det_tar, oci_multiarch_archive
. "$(dirname "$0")/../image/oci_lib.sh"

# amd64_libs BIN: the libraries ldd resolves for BIN, one absolute path a line.
amd64_libs() {
  local libs
  libs=$(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
  [ -n "$libs" ] || { echo "webhook/image.sh: ldd found no libraries in $1" >&2; return 1; }
  if ldd "$1" | grep -q 'not found'; then
    echo "webhook/image.sh: $1 needs libraries this machine lacks:" >&2; ldd "$1" | grep 'not found' >&2; return 1
  fi
  printf '%s\n' "$libs"
}

# arm64_libs BIN: the loader and the libraries the arm64 loader would load for BIN, one absolute
# path a line (see the top of this file).
ARM64_LIB_DIRS="/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu"
needed() { LC_ALL=C readelf -dW "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p'; }
arm64_libs() {
  local interp name dir found seen todo=()
  interp=$(LC_ALL=C readelf -lW "$1" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
  [ -n "$interp" ] || { echo "webhook/image.sh: $1 names no program interpreter (is it static?)" >&2; return 1; }
  [ -e "$interp" ] && [ "$(elf_machine "$interp")" = AArch64 ] ||
    { echo "webhook/image.sh: the arm64 loader $interp is missing; install libc6:arm64 (make deps)" >&2; return 1; }
  printf '%s\n' "$interp"
  # The loader satisfies its own soname (libc.so.6 names it): it is not looked up again.
  seen=" ${interp##*/} "
  mapfile -t todo < <(needed "$1")
  while [ ${#todo[@]} -gt 0 ]; do
    name=${todo[0]}
    todo=("${todo[@]:1}")
    case $seen in *" $name "*) continue ;; esac
    seen="$seen$name "
    found=
    for dir in $ARM64_LIB_DIRS; do
      [ -e "$dir/$name" ] && [ "$(elf_machine "$dir/$name")" = AArch64 ] && { found=$dir/$name; break; }
    done
    [ -n "$found" ] || {
      echo "webhook/image.sh: $1 needs $name, which is not in $ARM64_LIB_DIRS; install the arm64 package" \
        "that ships it, or link it statically (webhook/image.mk)" >&2
      return 1
    }
    printf '%s\n' "$found"
    mapfile -t -O ${#todo[@]} todo < <(needed "$found")
  done
}

# make_rootfs DIR BIN STRIP LIBS STATIC...: the layer's tree for one architecture. LIBS: the shared
# libraries (one path a line, shipped at that path); STATIC: the static libraries linked into BIN,
# or package names, for the licences. Modes are set explicitly: the umask of the build must not leak.
make_rootfs() {
  local r=$1 bin=$2 strip=$3 libs=$4 lib f p pkgs=
  shift 4
  install -d -m 0755 "$r" "$r/usr/local/bin" "$r/etc" "$r/etc/ssl" "$r/etc/ssl/certs"
  install -d -m 1777 "$r/tmp"
  "$strip" --strip-debug -o "$r.bin" "$bin"
  install -m 0755 "$r.bin" "$r/usr/local/bin/kilt-webhook"
  # The shared libraries, resolved now: the binary runs with exactly what was resolved and tested.
  for lib in $libs; do
    install -d -m 0755 "$r$(dirname "$lib")"
    install -m 0755 "$(readlink -f "$lib")" "$r$lib"
  done
  install -m 0644 "$ca_bundle" "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' > "$r/etc/group"
  printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
  chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/nsswitch.conf"
  # Licences: the packages of the shipped libraries and of the static ones linked in.
  for f in $libs "$@"; do
    case $f in
      /*) # Merged /usr: dpkg may know the file under /lib or /usr/lib.
          p=$( (dpkg -S "$f" || dpkg -S "/usr${f#/usr}" || dpkg -S "${f#/usr}") 2>/dev/null | head -1 | cut -d: -f1) || true ;;
      *) p=$f ;;
    esac
    [ -n "$p" ] && pkgs="$pkgs $p"
  done
  for p in $(printf '%s\n' $pkgs ca-certificates | sort -u); do
    if [ -f "/usr/share/doc/$p/copyright" ]; then
      install -d -m 0755 "$r/usr/share" "$r/usr/share/doc" "$r/usr/share/doc/$p"
      install -m 0644 "/usr/share/doc/$p/copyright" "$r/usr/share/doc/$p/copyright"
    fi
  done
}

libs_amd64=$(amd64_libs "$bin_amd64")
libs_arm64=$(arm64_libs "$bin_arm64")
# Static parts (net/build.mk, lambda/build.mk): OpenSSL, http_parser and, for arm64, the cross
# toolchain's libstdc++ and libgcc. The arm64 http_parser is unpacked by tools/deps.sh from Debian's
# libhttp-parser-dev (arm64), which dpkg does not list: named by its package.
make_rootfs "$work/rootfs-amd64" "$bin_amd64" strip "$libs_amd64" \
  /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libhttp_parser.a
make_rootfs "$work/rootfs-arm64" "$bin_arm64" aarch64-linux-gnu-strip "$libs_arm64" \
  /usr/lib/aarch64-linux-gnu/libssl.a libhttp-parser-dev \
  "$(aarch64-linux-gnu-g++ -print-file-name=libstdc++.a)" "$(aarch64-linux-gnu-g++ -print-libgcc-file-name)"

umoci init --layout "$layout"
for arch in amd64 arm64; do
  det_tar "$work/layer-$arch.tar" "$work/rootfs-$arch"
  umoci new --image "$layout:$arch"
  umoci raw add-layer --image "$layout:$arch" --history.created "$created" \
    --history.created_by "kilt webhook/image.sh: kilt-webhook, its libraries, CA bundle" "$work/layer-$arch.tar"
  umoci config --image "$layout:$arch" --no-history --created "$created" --os linux --architecture $arch \
    --clear config.env --config.env PATH=/usr/local/bin:/usr/bin:/bin \
    --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --config.user 65532:65532 --config.entrypoint /usr/local/bin/kilt-webhook \
    --config.exposedports 8443/tcp --config.workingdir / \
    --config.label org.opencontainers.image.title=kilt-webhook \
    --config.label "org.opencontainers.image.description=Kilt's mutating admission webhook: pods run through /kilt/run" \
    --config.label "org.opencontainers.image.version=$tag"
done
umoci gc --layout "$layout"

oci_multiarch_archive "$layout" "$tag" "$out" "$work" webhook/image.sh
