#!/usr/bin/env bash
# Builds the kilt-webhook container image as an OCI archive without a Docker engine (umoci + tar, like
# image/build.sh does for the payload): one linux/amd64 layer holding
#   /usr/local/bin/kilt-webhook   the server (debug info stripped)
#   the exact shared libraries it was linked against (glibc, libstdc++, libgcc_s), at the paths
#                                 `ldd` reports, with the dynamic loader: OpenSSL and http_parser
#                                 are linked in statically, glibc is not (its NSS and DNS resolver
#                                 need the matching libc.so.6 at run time; a static glibc binary
#                                 would warn and misbehave on getaddrinfo)
#   /etc/ssl/certs/ca-certificates.crt  the build machine's CA bundle (registries over TLS)
#   /etc/passwd, /etc/group, /etc/nsswitch.conf  a `nonroot` user 65532 and "hosts: files dns"
#   /usr/share/doc/PKG/copyright  the licences of what is shipped or linked in, when installed
# Config: User 65532:65532, Entrypoint ["/usr/local/bin/kilt-webhook"], port 8443/tcp.
#
# Reproducible: the same inputs (binary, libraries, CA bundle) give the same bytes, for the reasons
# given in image/build.sh: a layer tar with sorted names, fixed owners and mtime, `created` times from
# SOURCE_DATE_EPOCH (default 0), unreferenced blobs collected, the layout archived the same way.
#
# usage: webhook/image.sh --bin build/bin/kilt-webhook --out FILE.oci.tar [--tag TAG] [--ca-bundle FILE]
#   --ca-bundle: the PEM bundle to ship instead of the build machine's (a private CA, tests).
# Prints the manifest digest. Writes nothing at FILE unless everything succeeded.
set -euo pipefail

bin= out= tag=latest ca_bundle=/etc/ssl/certs/ca-certificates.crt
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --ca-bundle) ca_bundle=$2; shift 2 ;;
    *) echo "webhook/image.sh: unknown argument '$1' (see the usage at the top of webhook/image.sh)" >&2; exit 2 ;;
  esac
done
[ -n "$bin" ] && [ -n "$out" ] || { echo "usage: webhook/image.sh --bin FILE --out FILE.oci.tar [--tag TAG]" >&2; exit 2; }
for tool in umoci jq tar ldd strip; do
  command -v $tool >/dev/null || { echo "webhook/image.sh: '$tool' not found; run 'make deps'" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "webhook/image.sh: $bin is missing; build it first (make build/bin/kilt-webhook)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "webhook/image.sh: builds the linux/amd64 image on an x86_64 machine only" >&2; exit 1; }
[ -s "$ca_bundle" ] || { echo "webhook/image.sh: CA bundle $ca_bundle is missing; install ca-certificates" >&2; exit 1; }

epoch=${SOURCE_DATE_EPOCH:-0}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "${TMPDIR:-/tmp}/kilt-webhook-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout=$work/layout
r=$work/rootfs

det_tar() { # det_tar OUT DIR: sorted, numeric root owner, fixed mtime, no atime/ctime
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$2" -cf "$1" .
}

# Modes are set explicitly: the umask of the build must not leak into the image.
install -d -m 0755 "$r" "$r/usr/local/bin" "$r/etc" "$r/etc/ssl" "$r/etc/ssl/certs"
install -d -m 1777 "$r/tmp"
strip --strip-debug -o "$work/kilt-webhook" "$bin"
install -m 0755 "$work/kilt-webhook" "$r/usr/local/bin/kilt-webhook"

# The shared libraries, resolved now: the binary runs with exactly what it was linked and tested with.
libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
[ -n "$libs" ] || { echo "webhook/image.sh: ldd found no libraries in $bin" >&2; exit 1; }
if ldd "$bin" | grep -q 'not found'; then
  echo "webhook/image.sh: $bin needs libraries this machine lacks:" >&2; ldd "$bin" | grep 'not found' >&2; exit 1
fi
for lib in $libs; do
  install -d -m 0755 "$r$(dirname "$lib")"
  install -m 0755 "$(readlink -f "$lib")" "$r$lib"
done
install -m 0644 "$ca_bundle" "$r/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' > "$r/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$r/etc/group"
printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
chmod 0644 "$r/etc/passwd" "$r/etc/group" "$r/etc/nsswitch.conf"

# Licences: the packages of the shipped libraries and of the static ones linked in (net/build.mk).
pkgs=
for f in $libs /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libhttp_parser.a; do
  # Merged /usr: dpkg may know the file under /lib or /usr/lib.
  p=$( (dpkg -S "$f" || dpkg -S "/usr${f#/usr}" || dpkg -S "${f#/usr}") 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$p" ] && pkgs="$pkgs $p"
done
for p in $(printf '%s\n' $pkgs ca-certificates | sort -u); do
  if [ -f "/usr/share/doc/$p/copyright" ]; then
    install -d -m 0755 "$r/usr/share" "$r/usr/share/doc" "$r/usr/share/doc/$p"
    install -m 0644 "/usr/share/doc/$p/copyright" "$r/usr/share/doc/$p/copyright"
  fi
done

det_tar "$work/layer.tar" "$r"

umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci raw add-layer --image "$layout:$tag" --history.created "$created" \
  --history.created_by "kilt webhook/image.sh: kilt-webhook, its libraries, CA bundle" "$work/layer.tar"
umoci config --image "$layout:$tag" --no-history --created "$created" --os linux --architecture amd64 \
  --clear config.env --config.env PATH=/usr/local/bin:/usr/bin:/bin \
  --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --config.user 65532:65532 --config.entrypoint /usr/local/bin/kilt-webhook \
  --config.exposedports 8443/tcp --config.workingdir / \
  --config.label org.opencontainers.image.title=kilt-webhook \
  --config.label "org.opencontainers.image.description=Kilt's mutating admission webhook: pods run through /kilt/run" \
  --config.label "org.opencontainers.image.version=$tag"
umoci gc --layout "$layout"

find "$layout" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
det_tar "$work/out.tar" "$layout"
mv "$work/out.tar" "$out"
jq -r --arg tag "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag) | .digest' \
  "$layout/index.json"
