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
  # benchmark anchors and load tools
  tini dumb-init hyperfine wrk nginx
  # botocore's ECS model validates --ecs output (pip's awscli is on the image; Debian's is the fallback)
  python3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
python3 -c 'import botocore' 2>/dev/null || missing+=(python3-botocore)
# node runs the third-party validators and the Lambda Runtime API emulator; the image may ship its own node.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

npm_ok=1
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $npm_ok = 0 ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "deps: all present"
