#!/usr/bin/env bash
# A stand-in for falco/build-falco.sh (same arguments: THIRD_PARTY WORK OUT) that takes a moment instead of
# an hour, for tests/falco/cache_test.sh. FAKE_COUNTER: a file that gets one line per build;
# FAKE_GATE: a FIFO the build reads one line from before finishing (the test decides when it ends);
# FAKE_FAIL=1: fail after writing part of OUT; FAKE_VERSION: what bin/falco says.
set -euo pipefail
work=$2 out=$3
mkdir -p "$work" "$out/kilt-falco/bin" "$out/info"
echo "building $$" >> "${FAKE_COUNTER:-/dev/null}"
printf '#!/bin/sh\necho "Falco version: %s"\n' "${FAKE_VERSION:-0.44.1}" > "$out/kilt-falco/bin/falco"
chmod +x "$out/kilt-falco/bin/falco"
[ -z "${FAKE_GATE:-}" ] || read -r _ < "$FAKE_GATE"
[ "${FAKE_FAIL:-0}" = 0 ] || { echo "fake recipe: failing as asked" >&2; exit 3; }
echo 0 > "$out/info/build-seconds"
