#!/usr/bin/env bash
# Module borders (docs/architecture.md): a file may include any header of its own module, and only the
# public headers of another one. The public headers are the arguments (PUBLIC_HEADERS, which every
# module's build.mk adds its own to); every other header of a module is internal to it.
#   usage: tools/check-includes.sh PUBLIC_HEADER...     (run from the top of the tree; `make test-modules`)
# A file's module is its top directory; tests/M/... belongs to module M, bench/ is a client like a program.
# Headers of tests/ and bench/ are test scaffolding, not a module's: anyone may include them.
# Prints one line per include that crosses a border into an internal header; exit status 1 if any.
set -u
T_NAME=modules
. "$(dirname "$0")/../tests/lib/testlib.sh"

declare -A public=()
for h in "$@"; do public[$h]=1; done
for h in "$@"; do [ -f "$h" ] || fail "$h is listed in PUBLIC_HEADERS but does not exist"; done

cross=0
while IFS= read -r f; do
  f=${f#./}
  case $f in tests/*/*) mod=${f#tests/}; mod=${mod%%/*} ;; *) mod=${f%%/*} ;; esac
  while IFS= read -r inc; do
    dir=${inc%%/*}
    case $dir in tests | bench) continue ;; esac
    [ "$dir" = "$mod" ] || [ ! -d "$dir" ] && continue
    cross=$((cross + 1))
    [ -n "${public[$inc]:-}" ] && continue
    fail "$f includes $inc, which is internal to $dir/ (list it in PUBLIC_HEADERS in $dir/build.mk if it is" \
         "meant for other modules)"
  done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([a-z0-9_]+\/[^"]+)".*/\1/p' "$f")
done < <(find . \( -path ./build -o -path ./node_modules -o -path './.*' \) -prune -o \
              \( -name '*.c' -o -name '*.cc' -o -name '*.h' \) -type f -print | sort)
[ "$T_FAILED" -eq 0 ] && pass "$# public headers; $cross includes across modules, all of public headers"
summary
