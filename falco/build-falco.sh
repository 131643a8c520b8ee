#!/usr/bin/env bash
# The recipe: builds Falco 0.44.1 and the container plugin 0.7.1 from the source archives, offline, and lays
# them out relocatable under /kilt/falco. Called by falco/falco-cache.sh, which decides whether to run it
# (cache key), holds the lock and publishes OUT atomically; this file and falco/patches/ are part of the key,
# so any change here rebuilds once per machine. See docs/falco.md.
#
# usage: falco/build-falco.sh THIRD_PARTY_DIR WORK_DIR OUT_DIR
#   WORK_DIR: sources and build trees (reused when it already holds them: `cmake --build` is incremental,
#             handy when working on this script; the cache always passes a fresh one)
#   OUT_DIR:  created; receives
#     kilt-falco/bin/falco              stripped; ELF interpreter /kilt/falco/lib/ld-linux-<arch>.so.N and
#                                       DT_RPATH $ORIGIN/../lib (DT_RPATH, not RUNPATH: it also applies to the
#                                       dependencies of dlopen'ed plugins and wins over LD_LIBRARY_PATH)
#     kilt-falco/lib/                   the library closure from Debian's packages, the loader included
#     kilt-falco/plugins/libcontainer.so
#     kilt-falco/rules/falco_rules.yaml the stable default rules of falco-rules-5.1.0, unmodified
#     info/                             versions, logs, timings, file checksums, upstream falco.yaml
# Environment: FALCO_JOBS (default 2: the build machines have 2 cores).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: falco/build-falco.sh THIRD_PARTY_DIR WORK_DIR OUT_DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
tp=$(cd "$1" && pwd); work=$2; out=$3
jobs=${FALCO_JOBS:-2}
start=$SECONDS

log() { echo "build-falco: $*" >&2; }
die() { echo "build-falco: error: $*" >&2; exit 1; }

FALCO_VERSION=0.44.1
LIBS_VERSION=0.25.4
ARCHIVES=(falco-0.44.1 libs-0.25.4 rules-falco-rules-5.1.0 plugins-container-0.7.1 plugin-sdk-cpp-0.3.0
          RE-flex-5.3.0 fmt-11.1.4 valijson-1.0.2)

src=$work/src bld=$work/build
mkdir -p "$work" "$out/info"
falco=$src/falco-$FALCO_VERSION libs=$src/libs-$LIBS_VERSION
container=$src/plugins-container-0.7.1/plugins/container

# ---- sources ------------------------------------------------------------------------------------------
if [ ! -f "$src/.ready" ]; then
  rm -rf "$src"; mkdir -p "$src"
  log "checking and unpacking the archives of $tp"
  (cd "$tp" && for a in "${ARCHIVES[@]}"; do grep -E "^[0-9a-f]{64}  $a\.tar\.gz\$" SHA256SUMS ||
     { echo "$a.tar.gz is not listed in SHA256SUMS" >&2; exit 1; }; done | sha256sum -c --quiet) ||
    die "the archives in $tp do not match their SHA256SUMS"
  for a in "${ARCHIVES[@]}"; do tar -xzf "$tp/$a.tar.gz" -C "$src"; done
  # Each patch says why it exists. falco-*.patch apply to Falco, container-*.patch to the plugins archive.
  for p in "$here"/patches/falco-*.patch; do log "patch ${p##*/}"; patch -s -p1 -d "$falco" < "$p"; done
  for p in "$here"/patches/container-*.patch; do
    log "patch ${p##*/}"; patch -s -p1 -d "$src/plugins-container-0.7.1" < "$p"
  done
  touch "$src/.ready"
fi

# No network at all: every step runs in a fresh network namespace when we may create one (root, or
# unprivileged user namespaces). The settings below never download anything; this proves it.
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n)
elif unshare -rn true 2>/dev/null; then offline=(unshare -rn)
else log "cannot create a network namespace here; building without that extra guard"; fi

# ---- the container plugin: static engine only (ENABLE_ASYNC=OFF drops the Go worker and its engines) ------
log "container plugin 0.7.1"
"${offline[@]}" cmake -S "$container" -B "$bld/container" -DCMAKE_BUILD_TYPE=Release \
  -DENABLE_ASYNC=OFF -DENABLE_TESTS=OFF \
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
  -DFETCHCONTENT_SOURCE_DIR_PLUGIN-SDK-CPP="$src/plugin-sdk-cpp-0.3.0" \
  -DFETCHCONTENT_SOURCE_DIR_REFLEX="$src/RE-flex-5.3.0" \
  -DFETCHCONTENT_SOURCE_DIR_FMT="$src/fmt-11.1.4" > "$out/info/container-configure.log" 2>&1 ||
  { tail -30 "$out/info/container-configure.log" >&2; die "container plugin: cmake failed"; }
"${offline[@]}" cmake --build "$bld/container" --target container -j"$jobs" > "$out/info/container-build.log" 2>&1 ||
  { tail -40 "$out/info/container-build.log" >&2; die "container plugin: build failed"; }
log "container plugin built ($((SECONDS - start)) s)"

# ---- Falco ----------------------------------------------------------------------------------------------
# glibc and dynamic (plugins are dlopen'ed; the static musl build cannot load them); MINIMAL_BUILD (no
# webserver, metrics or gRPC, no OpenSSL/curl); no driver, no eBPF; Debian's libraries for everything, each
# USE_BUNDLED_* named (USE_BUNDLED_DEPS=OFF alone leaves some on, and those download); valijson 1.0.2 from
# its archive (Debian 12's 1.0 does not compile with 0.44.1's schema checks); the rules file from the rules
# archive; no falcoctl; no prebuilt container plugin (patch). -g0 comes after upstream's -ggdb: no debug
# info, since the payload ships a stripped binary anyway; it saves compile and link time and disk.
log "falco $FALCO_VERSION with libs $LIBS_VERSION, -j$jobs: the long part (10-15 min on 2 free cores)"
bundled=()
for d in UTHASH TBB RE2 JSONCPP ZLIB NLOHMANN_JSON CXXOPTS YAMLCPP VALIJSON LIBELF OPENSSL CURL \
         BS_THREADPOOL LIBBPF; do bundled+=("-DUSE_BUNDLED_$d=OFF"); done
"${offline[@]}" cmake -S "$falco" -B "$bld/falco" -DCMAKE_BUILD_TYPE=Release \
  -DFALCO_VERSION=$FALCO_VERSION -DFALCOSECURITY_LIBS_VERSION=$LIBS_VERSION \
  -DFALCOSECURITY_LIBS_SOURCE_DIR="$libs" -DDRIVER_SOURCE_DIR="$libs/driver" \
  -DMINIMAL_BUILD=ON -DBUILD_DRIVER=OFF -DBUILD_FALCO_MODERN_BPF=OFF -DBUILD_LIBSCAP_MODERN_BPF=OFF \
  -DBUILD_LIBSCAP_GVISOR=OFF -DENABLE_THREAD_POOL=OFF -DCREATE_TEST_TARGETS=OFF \
  -DBUILD_FALCO_UNIT_TESTS=OFF -DBUILD_HTTP_OUTPUT=OFF \
  -DUSE_BUNDLED_DEPS=OFF "${bundled[@]}" -DVALIJSON_INCLUDE="$src/valijson-1.0.2/include" \
  -DADD_FALCOCTL_DEPENDENCY=OFF -DFALCO_DOWNLOAD_CONTAINER_PLUGIN=OFF \
  -DFALCOSECURITY_RULES_FALCO_PATH="$src/rules-falco-rules-5.1.0/rules/falco_rules.yaml" \
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
  -DFALCO_EXTRA_FEATURE_FLAGS=-g0 > "$out/info/falco-configure.log" 2>&1 ||
  { tail -40 "$out/info/falco-configure.log" >&2; die "falco: cmake failed"; }
"${offline[@]}" cmake --build "$bld/falco" --target falco -j"$jobs" > "$out/info/falco-build.log" 2>&1 ||
  { grep -A6 -m3 ' error\|Error ' "$out/info/falco-build.log" >&2 || tail -40 "$out/info/falco-build.log" >&2
    die "falco: build failed (log: $out/info/falco-build.log)"; }
log "falco built ($((SECONDS - start)) s)"

# ---- the relocatable tree --------------------------------------------------------------------------------
t=$out/kilt-falco bin=$bld/falco/userspace/falco/falco plugin=$bld/container/libcontainer.so
rm -rf "$t"; install -d "$t/bin" "$t/lib" "$t/plugins" "$t/rules"
install -m 0755 "$bin" "$t/bin/falco"
install -m 0755 "$plugin" "$t/plugins/libcontainer.so"
install -m 0644 "$src/rules-falco-rules-5.1.0/rules/falco_rules.yaml" "$t/rules/falco_rules.yaml"
install -m 0644 "$falco/falco.yaml" "$out/info/falco.upstream.yaml"
strip --strip-unneeded "$t/bin/falco" "$t/plugins/libcontainer.so"

# The closure as the host's loader resolves it for the binary and the plugin, named by soname; the loader is
# the binary's PT_INTERP. Debian's libraries are shipped as packaged (already stripped).
interp=$(patchelf --print-interpreter "$bin")
install -m 0755 "$(readlink -f "$interp")" "$t/lib/${interp##*/}"
while read -r soname path; do
  install -m 0644 "$(readlink -f "$path")" "$t/lib/$soname"
done < <(ldd "$bin" "$plugin" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | sort -u)
patchelf --set-interpreter "/kilt/falco/lib/${interp##*/}" --force-rpath --set-rpath '$ORIGIN/../lib' "$t/bin/falco"

# Proof before the cache publishes it: the relocated binary runs with its own loader and libraries only
# (no ld.so.cache, no environment).
v=$(env -i "$t/lib/${interp##*/}" --inhibit-cache --library-path "$t/lib" "$t/bin/falco" --version) ||
  die "the relocated falco does not run"
grep -q "Falco version: $FALCO_VERSION" <<<"$v" || die "unexpected 'falco --version': $v"
printf '%s\n' "$v" > "$out/info/falco-version"
(cd "$t" && find . -type f | LC_ALL=C sort | xargs sha256sum) > "$out/info/files.sha256"
du -sk "$t" | cut -f1 > "$out/info/size-kib"
echo "$((SECONDS - start))" > "$out/info/build-seconds"
tail -3 "$out/info/falco-build.log" > "$out/info/falco-build.tail"
rm -f "$out/info/falco-build.log"    # megabytes of compiler lines; the configure logs and the tail stay
log "done in $((SECONDS - start)) s; kilt-falco/ is $(cat "$out/info/size-kib") KiB"
