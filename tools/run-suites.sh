#!/usr/bin/env bash
# Runs `make KIND-NAME` for every suite NAME, keeps going past failures, and ends with one summary line
# ("N passed, N failed") that CI reads. Exit status: 0 only if every suite passed.
# A suite that runs longer than KILT_SUITE_TIMEOUT seconds (default 1500) is stopped and counted as failed,
# so one hung test costs one suite, not the whole CI run (whose limit is 90 minutes).
set -u
kind=$1; shift
passed=0; failed=0; failed_names=()

# Build every suite's prerequisites first, in one parallel make: the machines have 2 cores, and a suite's own
# build (often one link after another) would leave one idle. Read from make's database, so nothing is listed twice.
prereqs=$(make -pq __kilt_nothing__ 2>/dev/null |
  awk -v kind="$kind" -v suites=" $* " '
    /^# Not a target/ { skip = 1; next }
    /^[^#\t ][^:=]*:/ { t = $0; sub(/:.*/, "", t)
      if (!skip && t ~ ("^" kind "-") && index(suites, " " substr(t, length(kind) + 2) " ")) {
        d = $0; sub(/^[^:]*:[ ]*/, "", d); sub(/\|.*/, "", d); print d } }
    { skip = 0 }' | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -n "${prereqs// /}" ]; then
  echo "=== building what the suites need"
  start=$(date +%s)
  make --no-print-directory -k -j"${JOBS:-1}" $prereqs 2>&1 | grep --line-buffered -v "is up to date.$"
  [ "${PIPESTATUS[0]}" -eq 0 ] ||
    echo "=== some prerequisites failed to build: their suites will say which"
  echo "=== built ($(( $(date +%s) - start )) s)"
fi
for s in "$@"; do
  echo "=== $kind-$s"
  start=$(date +%s)
  # Prerequisites build in parallel (JOBS); a suite's own steps still run one after another.
  limit=${KILT_SUITE_TIMEOUT:-1500}
  [ "$kind" = test ] || limit=0   # benchmarks and fuzz runs set their own durations
  if timeout -k 30 "$limit" make --no-print-directory -j"${JOBS:-1}" "$kind-$s"; then
    passed=$((passed + 1)); echo "=== $kind-$s: ok ($(( $(date +%s) - start )) s)"
  else
    st=$?; failed=$((failed + 1)); failed_names+=("$s")
    [ $st -eq 124 ] && echo "=== $kind-$s: stopped after ${limit} s (KILT_SUITE_TIMEOUT): a test hangs"
    echo "=== $kind-$s: FAILED ($(( $(date +%s) - start )) s)"
  fi
done
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
