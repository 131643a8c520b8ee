#!/usr/bin/env bash
# The build-time guard: the generator fails, with a diff and what to do, when the libs archive's event
# layouts differ from capture/event_params.golden (as after a libs upgrade), and passes when they match.
# Usage: golden_test.sh LIBS_ARCHIVE
set -u
ARCHIVE=$1
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T_NAME=capture-golden
. "$HERE/../lib/testlib.sh"

use_workdir capture-golden
gen() { python3 "$ROOT/capture/gen_event_table.py" --archive "$ARCHIVE" --golden "$1" --out "$W/out.h" 2>&1; }

cp "$ROOT/capture/event_params.golden" "$W/same.golden"
out=$(gen "$W/same.golden"); rc=$?
expect_eq "the checked-in golden list matches the archive" 0 $rc
check "it writes the table header" grep -q "PPME_SYSCALL_OPENAT_2_X = 307" "$W/out.h"

# A parameter libs "added": the golden list (= what the encoder writes) has one fewer.
sed 's/^\(PPME_PROCEXIT_1_E 186 procexit E len16\) 5 \(.*\) reaper_tid:PID$/\1 4 \2/' \
  "$ROOT/capture/event_params.golden" > "$W/drift.golden"
out=$(gen "$W/drift.golden"); rc=$?
expect_eq "drift: the build fails" 1 $rc
expect_contains "drift: says what differs" "+PPME_PROCEXIT_1_E 186 procexit E len16 5" "$out"
expect_contains "drift: says why and what to do" "make capture-golden" "$out"

sed 's/^PPME_SYSCALL_CHROOT_X .*/PPME_SYSCALL_CHROOT_3_X 267 chroot X len16 2 res:ERRNO path:FSPATH/' \
  "$ROOT/capture/event_params.golden" > "$W/gone.golden"
out=$(gen "$W/gone.golden"); rc=$?
expect_eq "an event libs no longer has: the build fails" 1 $rc
expect_contains "it names the event" "PPME_SYSCALL_CHROOT_3_X is not an event of libs" "$out"

out=$(python3 "$ROOT/capture/gen_event_table.py" --archive "$W/missing.tar.gz" --golden "$W/same.golden" --out "$W/x.h" 2>&1); rc=$?
expect_eq "no archive: the build fails" 1 $rc
expect_contains "no archive: says where it is expected" "third_party" "$out"

summary
