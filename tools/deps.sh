#!/usr/bin/env bash
# Installs everything Kilt needs to build, test, benchmark and demo on Debian 12, as root.
# Idempotent: packages already present are not touched; `--check` only reports what is missing.
# Sources: Debian's packages and the npm registry (package-lock.json pins every npm package by integrity).
set -euo pipefail
cd "$(dirname "$0")/.."

# One list, grouped by why we need it.
APT_PACKAGES=(
  # build: host compilers come with the machine; these are the libraries
  build-essential pkg-config libtomlplusplus-dev rapidjson-dev catch2 libyaml-cpp-dev libssl-dev
  libhttp-parser-dev zip file jq
  # payload fallback (STATIC=glibc) and tests of static C code
  musl-tools
  # real components used by the tests: PID namespaces, OCI containers, registry, TLS, arm64 emulation
  util-linux runc umoci skopeo docker-registry apache2-utils openssl qemu-user-static busybox-static
  debootstrap strace
  # reads the capture's scap files (libs of 2022): a smoke check beside the pinned Falco
  sysdig
  # the webhook's image ships the system CA bundle (webhook/image.sh)
  ca-certificates
  # benchmark anchors and load tools
  tini dumb-init hyperfine wrk nginx
  # botocore's ECS model validates --ecs output (pip's awscli is on the image; Debian's is the fallback)
  python3
  # real Falco, built offline from ../shared/third_party (falco/build-falco.sh, docs/falco.md): CMake, patch
  # for falco/patches/, patchelf to relocate it under /kilt/falco, and the Debian libraries it compiles
  # against (libyaml-cpp-dev is above; the build needs no libelf, curl or OpenSSL: MINIMAL_BUILD, no driver).
  # musl's loader and busybox make the alpine-like rootfs of tests/falco; sysdig reads scap captures.
  cmake patch patchelf libtbb-dev libre2-dev libjsoncpp-dev uthash-dev zlib1g-dev nlohmann-json3-dev
  libcxxopts-dev musl sysdig
  # the arm64 Lambda bootstrap (lambda/build.mk): Debian's cross compiler, arm64 OpenSSL via multiarch;
  # the arm64 webhook image ships Debian's arm64 glibc (webhook/image.sh)
  g++-aarch64-linux-gnu libssl-dev:arm64 libc6:arm64
)
# libhttp-parser-dev is not Multi-Arch: same (installing its arm64 package removes the amd64 one), so
# the arm64 bootstrap's static http_parser is unpacked from Debian's arm64 package to this path instead.
HTTP_PARSER_ARM64=/usr/local/lib/aarch64-linux-gnu/libhttp_parser.a

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
python3 -c 'import botocore' 2>/dev/null || missing+=(python3-botocore)
# node runs the third-party validators and the Lambda Runtime API emulator; the image may ship its own node.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ -f "$HTTP_PARSER_ARM64" ] || missing+=("$HTTP_PARSER_ARM64")

# npm packages: installed when node_modules was made from this exact package-lock.json (its checksum is
# stamped there after npm ci). A checksum, not file times: a git checkout or a new worktree rewrites
# package-lock.json without changing it, and must not wipe a working node_modules.
NPM_STAMP=node_modules/.kilt-package-lock.sha256
npm_ok=1
if [ ! -f node_modules/.package-lock.json ] || ! sha256sum --status -c "$NPM_STAMP" 2>/dev/null; then
  npm_ok=0
fi

if [ "${1:-}" = "--check" ]; then
  if [ ${#missing[@]} -gt 0 ] || [ $npm_ok = 0 ]; then
    echo "kilt: missing dependencies: ${missing[*]:-} $([ $npm_ok = 0 ] && echo 'npm packages')" >&2
    echo "kilt: run 'make deps' (as root) to install them" >&2
    exit 1
  fi
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
  apt-get update -qq
  apt_missing=()
  for p in "${missing[@]}"; do [ "$p" = "$HTTP_PARSER_ARM64" ] || apt_missing+=("$p"); done
  [ ${#apt_missing[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  if [ ! -f "$HTTP_PARSER_ARM64" ]; then
    dl=$(mktemp -d)
    chown _apt "$dl" 2>/dev/null || true   # apt-get download writes as _apt when it can
    (cd "$dl" && apt-get download -qq libhttp-parser-dev:arm64)
    mkdir -p "$(dirname "$HTTP_PARSER_ARM64")"
    dpkg-deb --fsys-tarfile "$dl"/libhttp-parser-dev_*_arm64.deb |
      tar -xO ./usr/lib/aarch64-linux-gnu/libhttp_parser.a > "$HTTP_PARSER_ARM64.tmp"
    mv "$HTTP_PARSER_ARM64.tmp" "$HTTP_PARSER_ARM64"
    rm -rf "$dl"
  fi
fi
if [ $npm_ok = 0 ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json > "$NPM_STAMP"
fi
echo "deps: all present"
