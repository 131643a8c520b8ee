#!/usr/bin/env bash
# bench-registry: image config lookups per second against a local docker-registry (TLS + htpasswd),
# cold and cached, beside skopeo (`skopeo inspect --config`) as the anchor. Writes markdown to stdout.
# Usage: registry_bench.sh REGISTRY_BENCH KILT_IMAGE_CONFIG
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$(realpath "$1")
IC=$(realpath "$2")
ROUNDS=${ROUNDS:-7}
N=8   # images per batch

source "$HERE/../tests/lib/testlib.sh"
use_workdir registry-bench
source "$HERE/../tests/registry/registry_lib.sh"

cd "$W"
make_pki || { echo "bench-registry: openssl/htpasswd failed" >&2; exit 1; }
start_registry basic "  htpasswd:
    realm: kilt-bench
    path: $W/htpasswd" || exit 1
R=127.0.0.1:$PORT_basic
umoci init --layout img && umoci new --image img:base || exit 1
images=()
for i in $(seq $N); do
  umoci config --image img:base --tag "t$i" --config.entrypoint "/bin/app$i" --config.cmd "--n=$i" || exit 1
  push "$R" "t$i" "bench/app$i:v1" || exit 1
  images+=("$R/bench/app$i:v1")
done
mkdir -p dockercfg
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf alice:s3cret | base64)" > dockercfg/config.json

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

# One process per lookup, all N images in sequence: skopeo (anchor) and kilt image-config.
proc_rounds() {  # proc_rounds CMD... (the image is appended)
  for _ in $(seq "$ROUNDS"); do
    local t0; t0=$(now)
    for img in "${images[@]}"; do "$@" "${PFX:-}$img" >/dev/null || { echo "bench-registry: $* $img failed" >&2; return 1; }; done
    echo "$(now) $t0" | awk '{print $1 - $2}'
  done
}
skopeo_s=$(PFX=docker:// proc_rounds skopeo inspect --config --cert-dir "$W/certs" --creds alice:s3cret | median) || exit 1
skopeo_s=${skopeo_s:?}
ic_s=$(DOCKER_CONFIG=$W/dockercfg proc_rounds "$IC" --ca-file "$W/ca.crt" | median) || exit 1

"$BENCH" --ca-file "$W/ca.crt" --docker-config "$W/dockercfg/config.json" --rounds "$ROUNDS" \
  "${images[@]}" > inproc.txt || { echo "bench-registry: registry_bench failed" >&2; exit 1; }

row() {  # row LABEL SECONDS_PER_BATCH LOOKUPS_PER_BATCH
  awk -v l="$1" -v s="$2" -v n="$3" -v a="$skopeo_s" -v an="$N" 'BEGIN {
    per = s / n; aper = a / an;
    printf "| %s | %.3f ms | %.0f | %.1fx |\n", l, per * 1000, 1 / per, aper / per }'
}
mode() { awk -v m="$1" '$1 == m {print $2}' inproc.txt | median; }
count() { awk -v m="$1" '$1 == m {print $3; exit}' inproc.txt; }

echo "## Image config lookup (registry client)"
echo
echo "$N images on a local docker-registry (TLS, htpasswd auth), $ROUNDS rounds, medians; one lookup ="
echo "manifest + config blob (+ the 401 challenge and credentials when cold). Anchor: \`skopeo inspect"
echo "--config\`, one process per image, same registry, same run. Higher lookups/s is better."
echo
echo "| Mode | Time per lookup | Lookups/s | vs skopeo |"
echo "| --- | ---: | ---: | ---: |"
row "skopeo inspect --config (anchor, a process per image)" "$skopeo_s" "$N"
row "kilt image-config (a process per image)" "$ic_s" "$N"
row "resolver, cold (new resolver per batch: TLS, 401, auth)" "$(mode cold)" "$(count cold)"
row "resolver, warm (credentials known, cache cleared)" "$(mode warm)" "$(count warm)"
row "resolver, cached (warm Lambda, images seen before)" "$(mode cached)" "$(count cached)"
echo
echo "Cold and warm batches run $N lookups 8 at a time (LookupOptions::parallelism)."
