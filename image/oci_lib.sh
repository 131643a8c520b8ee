# Shell functions shared by the two image builders (image/build.sh, the payload; webhook/image.sh, the
# webhook), sourced by both. They write OCI archives reproducibly: same inputs, same bytes. The caller
# sets `epoch` (SOURCE_DATE_EPOCH, default 0) before using them.

# det_tar OUT DIR: a deterministic tar of DIR: sorted names, numeric root owner, fixed mtime, no
# atime/ctime in the pax headers.
det_tar() {
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$2" -cf "$1" .
}

# oci_multiarch_archive LAYOUT TAG OUT WORK PROG: LAYOUT holds one manifest tagged "amd64" and one
# tagged "arm64" (umoci); writes the multi-arch index (a blob listing both manifests with their
# platforms, and index.json naming only that blob, tagged TAG), archives the layout to OUT and prints
# the index digest. PROG names the caller in errors; WORK is its scratch directory.
oci_multiarch_archive() {
  local layout=$1 tag=$2 out=$3 work=$4 prog=$5 amd arm idx_digest idx_size
  manifest_desc() { # manifest_desc ARCH VARIANT
    jq -c --arg arch "$1" --arg variant "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $arch)
      | {mediaType, digest, size, platform: ({architecture: $arch, os: "linux"} + (if $variant == "" then {} else {variant: $variant} end))}' \
      "$layout/index.json"
  }
  amd=$(manifest_desc amd64 "")
  arm=$(manifest_desc arm64 v8)
  [ -n "$amd" ] && [ -n "$arm" ] || { echo "$prog: umoci did not tag both architectures" >&2; return 1; }
  jq -cn --argjson a "$amd" --argjson b "$arm" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [$a, $b]}' \
    | tr -d '\n' > "$work/index-blob.json"
  idx_digest=sha256:$(sha256sum "$work/index-blob.json" | cut -d' ' -f1)
  idx_size=$(stat -c %s "$work/index-blob.json")
  mv "$work/index-blob.json" "$layout/blobs/sha256/${idx_digest#sha256:}"
  jq -cn --arg d "$idx_digest" --argjson s "$idx_size" --arg tag "$tag" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": $tag}}]}' | tr -d '\n' > "$layout/index.json"

  find "$layout" -exec touch -h -d "@$epoch" {} +
  mkdir -p "$(dirname "$out")"
  det_tar "$work/out.tar" "$layout"
  mv "$work/out.tar" "$out"
  echo "$idx_digest"
}
