#!/usr/bin/env bash
# Builds Kilt's payload image as an OCI archive without a Docker engine: one single-layer image per
# architecture (amd64, arm64) made with umoci from a tar we write ourselves, and an OCI image index over
# both, tagged in the archive's index.json.
#
# Reproducible: the same inputs give the same digests. That is why the layer tar is made by GNU tar with
# sorted names, fixed owners and a fixed mtime (not by `umoci repack`, which records real mtimes), why
# every `created` time is SOURCE_DATE_EPOCH (default 0), and why unreferenced blobs are garbage-collected
# before the layout is archived (again with sorted names and fixed mtimes).
#
# usage: image/build.sh --bin DIR --arm64-bin DIR --falco TREE --out FILE.oci.tar [--tag TAG]
#   DIR must hold kilt-init, kilt-run, kilt-demo-agent, kilt-pause and kilt-copy built for that architecture;
#   TREE is the x86_64 Falco tree (`make falco`: build/falco/kilt-falco), installed as /kilt/falco in the amd64
#   image, whose /kilt/run.cfg (image/run.falco.cfg) runs it. There is no arm64 Falco yet (docs/falco.md#arm64):
#   the arm64 image's /kilt/run.cfg runs the demo agent, the stand-in (image/demo-agent.run.cfg).
# Prints the index digest on success. Writes nothing at FILE unless everything succeeded.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin_amd64= bin_arm64= falco= out= tag=latest
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin_amd64=$2; shift 2 ;;
    --arm64-bin) bin_arm64=$2; shift 2 ;;
    --falco) falco=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    *) echo "image/build.sh: unknown argument '$1' (see the usage at the top of image/build.sh)" >&2; exit 2 ;;
  esac
done
[ -n "$bin_amd64" ] && [ -n "$bin_arm64" ] && [ -n "$falco" ] && [ -n "$out" ] || {
  echo "usage: image/build.sh --bin DIR --arm64-bin DIR --falco TREE --out FILE.oci.tar [--tag TAG]" >&2; exit 2; }

for tool in umoci jq sha256sum tar; do
  command -v $tool >/dev/null || { echo "image/build.sh: '$tool' not found; run 'make deps'" >&2; exit 1; }
done
for dir in "$bin_amd64" "$bin_arm64"; do
  for f in kilt-init kilt-run kilt-demo-agent kilt-pause kilt-copy; do
    [ -x "$dir/$f" ] || {
      echo "image/build.sh: $dir/$f is missing; build it first ('make all arm64' or 'make image')" >&2
      exit 1
    }
  done
done
for f in start falco.yaml bin/falco plugins/libkiltcap.so plugins/libcontainer.so rules/falco_rules.yaml; do
  [ -e "$falco/$f" ] || { echo "image/build.sh: $falco/$f is missing; run 'make falco'" >&2; exit 1; }
done

epoch=${SOURCE_DATE_EPOCH:-0}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
work=$(mktemp -d "${TMPDIR:-/tmp}/kilt-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
layout=$work/layout

# det_tar, oci_multiarch_archive
. "$(dirname "$0")/oci_lib.sh"

# The /kilt tree for one architecture. Modes are set explicitly: the umask of the build must not leak.
make_rootfs() { # make_rootfs DIR BIN ARCH
  local r=$1 b=$2 arch=$3
  install -d -m 0755 "$r/kilt"
  install -m 0755 "$b/kilt-init" "$r/kilt/init"
  install -m 0755 "$b/kilt-run" "$r/kilt/run"
  install -m 0755 "$b/kilt-demo-agent" "$r/kilt/demo-agent"
  install -m 0755 "$b/kilt-pause" "$r/kilt/pause"
  # The webhook's init container runs /kilt/copy to fill the pod's emptyDir (Kubernetes has no volumesFrom).
  install -m 0755 "$b/kilt-copy" "$r/kilt/copy"
  install -m 0644 "$here/demo-agent.conf" "$r/kilt/demo-agent.conf"
  # The stand-in's configuration is always there (KILT_CONFIG=/kilt/demo-agent.run.cfg selects it).
  install -m 0644 "$here/demo-agent.run.cfg" "$r/kilt/demo-agent.run.cfg"
  if [ "$arch" = amd64 ]; then
    # The real Falco: its tree as built (bin, lib with its own loader, plugins, rules, falco.yaml, start),
    # executables 0755, everything else 0644.
    cp -r "$falco" "$r/kilt/falco"
    find "$r/kilt/falco" -type d -exec chmod 0755 {} +
    find "$r/kilt/falco" -type f -perm /0111 -exec chmod 0755 {} +
    find "$r/kilt/falco" -type f ! -perm /0111 -exec chmod 0644 {} +
    install -m 0644 "$here/run.falco.cfg" "$r/kilt/run.cfg"
  else
    install -m 0644 "$here/demo-agent.run.cfg" "$r/kilt/run.cfg"
  fi
  install -m 0644 "$here/README.payload" "$r/kilt/README"
  chmod 0755 "$r"
}

umoci init --layout "$layout"
for arch in amd64 arm64; do
  b=$bin_amd64
  [ $arch = arm64 ] && b=$bin_arm64
  make_rootfs "$work/rootfs-$arch" "$b" $arch
  det_tar "$work/layer-$arch.tar" "$work/rootfs-$arch"
  umoci new --image "$layout:$arch"
  umoci raw add-layer --image "$layout:$arch" --history.created "$created" \
    --history.created_by "kilt image/build.sh: /kilt payload" "$work/layer-$arch.tar"
  # No ENTRYPOINT: the sidecar runs its CMD; kilt-pause waits for SIGTERM at no cost.
  umoci config --image "$layout:$arch" --no-history --created "$created" --os linux --architecture $arch \
    --clear config.env --config.env PATH=/kilt:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.cmd /kilt/pause --config.volume /kilt --config.workingdir / \
    --config.label org.opencontainers.image.title=kilt \
    --config.label "org.opencontainers.image.description=Kilt payload: /kilt/run, /kilt/init, /kilt/run.cfg and Falco 0.44.1 (amd64; arm64: a demo agent standing in for it)"
done
umoci gc --layout "$layout"

oci_multiarch_archive "$layout" "$tag" "$out" "$work" image/build.sh
