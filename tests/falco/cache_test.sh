#!/usr/bin/env bash
# Tests of Falco's build cache (falco/falco-cache.sh) with a fake recipe that builds in a moment: one build
# for concurrent callers, reuse when warm, nothing half-built left by a failed or killed build, staging.
# Run by `make test-falco`; needs no root.
set -uo pipefail
cd "$(dirname "$0")/../.."
T_NAME=falco-cache
. tests/lib/testlib.sh

use_workdir test-falco-cache
T=$W
trap 'exit 1' INT TERM
# Everything below uses a private cache and the fake recipe, never the machine's cache.
export KILT_CACHE_DIR=$T/cache KILT_FALCO_RECIPE=$PWD/tests/falco/fake_recipe.sh FAKE_COUNTER=$T/builds
cache() { falco/falco-cache.sh "$@"; }
builds() { cat "$T/builds" 2>/dev/null | wc -l; }
KEY=$(cache --print-key)
ENTRY=$T/cache/falco-$KEY

echo "# two callers at once on a cold cache: one builds, the other waits and reuses it"
mkfifo "$T/gate"
FAKE_GATE=$T/gate setsid falco/falco-cache.sh > "$T/a.out" 2> "$T/a.err" &
track $!
a=$!
until [ "$(builds)" = 1 ]; do sleep 0.05; done    # a holds the lock and is building
FAKE_GATE=$T/gate setsid falco/falco-cache.sh > "$T/b.out" 2> "$T/b.err" &
track $!
b=$!
until grep -q 'waiting for it' "$T/b.err"; do sleep 0.05; done
check "while a build runs there is no entry yet, only its temporary directory" \
  test ! -e "$ENTRY" -a -d "$(ls -d "$T"/cache/.tmp-falco-"$KEY".* | head -1)"
echo go > "$T/gate"
wait "$a"; ra=$?
wait "$b"; rb=$?
expect_eq "both callers succeed" "0 0" "$ra $rb"
expect_eq "exactly one build" 1 "$(builds)"
expect_eq "both print the entry" "$ENTRY $ENTRY" "$(cat "$T/a.out") $(cat "$T/b.out")"
check "the entry is complete" test -x "$ENTRY/kilt-falco/bin/falco" -a -f "$ENTRY/info/key-inputs"
expect_eq "the entry records its key" "$KEY" "$(cat "$ENTRY/info/key")"
check "no temporary directory is left" bash -c "! ls -d '$T'/cache/.tmp-* 2>/dev/null | grep -q ."

echo "# warm: reused without building"
expect_eq "a third caller gets the entry" "$ENTRY" "$(cache 2>/dev/null)"
expect_eq "still one build" 1 "$(builds)"

echo "# staging into a checkout"
cache --stage "$T/stage/core" > /dev/null 2>&1
check "the stage holds the tree" test -x "$T/stage/core/bin/falco"
expect_eq "the stage records the key" "$KEY" "$(cat "$T/stage/core/.key")"
touch -d @1 "$T/stage/core/.key"
cache --stage "$T/stage/core" > /dev/null 2>&1
expect_eq "an up-to-date stage is left alone (make sees no change)" 1 "$(stat -c %Y "$T/stage/core/.key")"
echo stale > "$T/stage/core/.key"
cache --stage "$T/stage/core" > /dev/null 2>&1
expect_eq "a stage of another key is replaced" "$KEY" "$(cat "$T/stage/core/.key")"
check "no staging leftovers" bash -c "! ls -d '$T'/stage/.stage.* '$T'/stage/core.old 2>/dev/null | grep -q ."

echo "# a failing build leaves nothing behind"
rm -rf "$T/cache"
FAKE_FAIL=1 cache > "$T/f.out" 2> "$T/f.err"; rf=$?
check "the failure is reported (exit status non-zero)" test "$rf" != 0
check "no entry after a failed build" test ! -e "$ENTRY"
check "no temporary directory after a failed build" bash -c "! ls -d '$T'/cache/.tmp-* 2>/dev/null | grep -q ."

echo "# a killed build: its leftovers are removed by the next build, which succeeds"
rm -rf "$T/cache"
: > "$T/builds"
FAKE_GATE=$T/gate setsid falco/falco-cache.sh > /dev/null 2>&1 &
k=$!
track $k
until [ "$(builds)" = 1 ]; do sleep 0.05; done
kill -KILL -- -"$k"; wait "$k" 2>/dev/null
check "the killed build left its temporary directory" bash -c "ls -d '$T'/cache/.tmp-* 2>/dev/null | grep -q ."
check "and no entry" test ! -e "$ENTRY"
expect_eq "the next caller builds" "$ENTRY" "$(cache 2>/dev/null)"
check "and removed the leftovers" bash -c "! ls -d '$T'/cache/.tmp-* 2>/dev/null | grep -q ."

echo "# the key follows its inputs"
cp tests/falco/fake_recipe.sh "$T/other.sh"
echo "# changed" >> "$T/other.sh"
other=$(KILT_FALCO_RECIPE=$T/other.sh falco/falco-cache.sh --print-key)
check "another recipe gives another key" test "$other" != "$KEY"
check "the inputs name every archive, the recipe, the patches, the compiler and the Debian packages" \
  bash -c "cache_inputs=\$(falco/falco-cache.sh --print-inputs) &&
    for w in falco-0.44.1.tar.gz libs-0.25.4.tar.gz rules-falco-rules-5.1.0.tar.gz plugins-container-0.7.1.tar.gz \
      plugin-sdk-cpp-0.3.0.tar.gz RE-flex-5.3.0.tar.gz fmt-11.1.4.tar.gz valijson-1.0.2.tar.gz 'recipe ' \
      patches/falco-container-plugin-offline.patch 'g++ ' libtbb-dev; do grep -qF \"\$w\" <<<\"\$cache_inputs\" || exit 1; done"

summary
