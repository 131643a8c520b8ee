#!/usr/bin/env bash
# Runs `make KIND-NAME` for every suite NAME, keeps going past failures, and ends with one summary line
# ("N passed, N failed") that CI reads. Exit status: 0 only if every suite passed.
set -u
kind=$1; shift
passed=0; failed=0; failed_names=()
for s in "$@"; do
  echo "=== $kind-$s"
  start=$(date +%s)
  # Prerequisites build in parallel (JOBS); a suite's own steps still run one after another.
  if make --no-print-directory -j"${JOBS:-1}" "$kind-$s"; then
    passed=$((passed + 1)); echo "=== $kind-$s: ok ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1)); failed_names+=("$s"); echo "=== $kind-$s: FAILED ($(( $(date +%s) - start )) s)"
  fi
done
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
