#!/usr/bin/env bash
# Falco's machine-wide build cache: makes sure the entry for the current inputs exists (runs
# falco/build-falco.sh when it does not), and optionally stages its relocatable tree into the checkout.
#
# usage: falco/falco-cache.sh [--stage DIR] [--print-key]
#   prints the entry's path (<cache>/falco-<key>) on stdout
#   --stage DIR  also copy the entry's kilt-falco/ to DIR (replaced atomically; skipped when DIR already
#                holds this key, recorded in DIR/.key)
#   --print-key  print the key and exit
#   --print-inputs  print what the key is computed from and exit
#
# The key is the first 16 hex digits of the SHA-256 of: the archives' checksums (from SHA256SUMS, verified
# again when building), falco/build-falco.sh and falco/patches/*.patch, the CPU architecture, the g++ and
# CMake versions, and the Debian versions of the -dev packages Falco compiles against (the entry ships their
# runtime libraries, so a Debian update rebuilds once per machine). Same inputs, same entry: every clone and
# worktree on the machine shares it.
#
# Environment:
#   KILT_THIRD_PARTY  the archives (default ../shared/third_party beside the checkout, else /work/shared/...)
#   KILT_CACHE_DIR    the cache root (default /var/cache/kilt; ${XDG_CACHE_HOME:-~/.cache}/kilt when that is
#                     not writable)
#   FALCO_JOBS        passed on to the build (default 2)
#   KILT_FALCO_RECIPE the build script (default falco/build-falco.sh; tests/falco/cache_test.sh passes a fake
#                     one to exercise the cache quickly; the recipe's own hash is part of the key)
#
# Concurrency: an exclusive flock on <cache>/falco-<key>.lock around "check, build, rename"; the build goes
# into <cache>/.tmp-falco-<key>.XXXXXX and is renamed into place, so an entry that exists is complete, a
# second build waits for the first and then reuses it, and a killed build leaves only a temp dir that the
# next build removes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
recipe=${KILT_FALCO_RECIPE:-$here/build-falco.sh}
stage= print_key=0 print_inputs=0
while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --print-key) print_key=1; shift ;;
    --print-inputs) print_inputs=1; shift ;;
    *) echo "falco-cache.sh: unknown argument '$1' (see the usage at the top of falco/falco-cache.sh)" >&2; exit 2 ;;
  esac
done
log() { echo "falco-cache: $*" >&2; }
die() { echo "falco-cache: error: $*" >&2; exit 1; }

tp=${KILT_THIRD_PARTY:-}
if [ -z "$tp" ]; then
  for d in "$repo/../shared/third_party" /work/shared/third_party; do
    [ -f "$d/SHA256SUMS" ] && { tp=$(cd "$d" && pwd); break; }
  done
fi
[ -n "$tp" ] && [ -f "$tp/SHA256SUMS" ] ||
  die "the third-party archives are missing (../shared/third_party beside the checkout, or set KILT_THIRD_PARTY)"

# Keep these two lists in step with falco/build-falco.sh (ARCHIVES) and tools/deps.sh.
ARCHIVES=(falco-0.44.1 libs-0.25.4 rules-falco-rules-5.1.0 plugins-container-0.7.1 plugin-sdk-cpp-0.3.0
          RE-flex-5.3.0 fmt-11.1.4 valijson-1.0.2)
DEB_DEVS=(libc6-dev libstdc++-12-dev libtbb-dev libre2-dev libjsoncpp-dev uthash-dev zlib1g-dev
          nlohmann-json3-dev libcxxopts-dev libyaml-cpp-dev)
for t in cmake g++ patch patchelf strip flock sha256sum unshare; do
  command -v $t >/dev/null || die "'$t' not found; run 'make deps'"
done

key_inputs() {
  local a p
  for a in "${ARCHIVES[@]}"; do
    grep -E "^[0-9a-f]{64}  $a\.tar\.gz\$" "$tp/SHA256SUMS" || die "$a.tar.gz is not listed in $tp/SHA256SUMS"
  done
  echo "recipe $(sha256sum < "$recipe" | cut -d' ' -f1)"
  (cd "$here" && sha256sum patches/*.patch)
  echo "arch $(uname -m)"
  echo "g++ $(g++ -dumpfullversion) cmake $(cmake --version | awk 'NR == 1 {print $3}')"
  for p in "${DEB_DEVS[@]}"; do
    echo "$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo missing)"
  done
}
inputs=$(key_inputs)
if grep -q ' missing$' <<<"$inputs"; then
  die "Debian packages missing: $(grep ' missing$' <<<"$inputs" | cut -d' ' -f1 | tr '\n' ' ')(run 'make deps')"
fi
key=$(sha256sum <<<"$inputs" | cut -c1-16)
[ $print_key = 1 ] && { echo "$key"; exit 0; }
[ $print_inputs = 1 ] && { printf '%s\n' "$inputs"; exit 0; }

cache=${KILT_CACHE_DIR:-/var/cache/kilt}
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
  [ -z "${KILT_CACHE_DIR:-}" ] || die "KILT_CACHE_DIR=$cache is not writable"
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/kilt
  mkdir -p "$cache"
fi
entry=$cache/falco-$key

if [ ! -d "$entry" ]; then
  exec 9> "$cache/falco-$key.lock"
  if ! flock -n 9; then
    log "another build of falco-$key is running; waiting for it ($cache/falco-$key.lock)"
    flock 9
  fi
  if [ ! -d "$entry" ]; then
    rm -rf "$cache/.tmp-falco-$key".*    # leftovers of killed builds: their owner is gone, we hold the lock
    tmp=$(mktemp -d "$cache/.tmp-falco-$key.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    log "no cache entry for these inputs: building $entry (once per machine; see docs/falco.md)"
    start=$SECONDS
    "$recipe" "$tp" "$tmp/work" "$tmp/out"
    log "built in $((SECONDS - start)) s"
    printf '%s\n' "$inputs" > "$tmp/out/info/key-inputs"
    echo "$key" > "$tmp/out/info/key"
    mv -T "$tmp/out" "$entry"    # atomic: same filesystem
    rm -rf "$tmp"; trap - EXIT
  fi
  exec 9>&-
fi

if [ -n "$stage" ] && [ "$(cat "$stage/.key" 2>/dev/null)" != "$key" ]; then
  mkdir -p "$(dirname "$stage")"
  new=$(mktemp -d "$(dirname "$stage")/.stage.XXXXXX")
  cp -a "$entry/kilt-falco/." "$new/"
  echo "$key" > "$new/.key"
  rm -rf "$stage.old"; [ ! -e "$stage" ] || mv -T "$stage" "$stage.old"
  mv -T "$new" "$stage"; rm -rf "$stage.old"
fi
echo "$entry"
