#!/usr/bin/env bash
# Assembles docs/benchmarks.md from the sections each bench suite wrote to build/bench/NAME.md.
set -u
cat <<HDR
# Benchmarks

Written by \`make bench\` on $(date -u +%Y-%m-%d) — $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //').
Each figure is measured side by side with its anchor in the same run and reported as a median and a ratio;
the machine is small and shared, so compare ratios, not absolute times. Reproduce with \`make bench\`.
HDR
for s in "$@"; do
  echo
  if [ -f "build/bench/$s.md" ]; then cat "build/bench/$s.md"; else echo "## $s"; echo; echo "(not measured in this run)"; fi
done
