#!/usr/bin/env bash
# The arm64 macro Lambda (provided.al2023 on Graviton) for real under qemu-aarch64-static: the
# cross-built `bootstrap` from the real arm64 zip, driven by @vercel/fun's Runtime API server with
# macro events, a real registry on 127.0.0.1 for image lookups, and AWS's offline validator on the
# patched output. binfmt_misc is not assumed: a test-only zip holds the real binary as bootstrap.arm64
# beside a `bootstrap` script that runs it with qemu (Lambda runs the real zip's `bootstrap` itself).
#   usage: bootstrap_arm64_test.sh build/lambda/arm64/bootstrap build/lambda/kilt-macro-arm64.zip
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/testlib.sh
. tests/lambda/lambda_lib.sh
BOOTSTRAP=$(realpath "$1")
ZIP=$(realpath "$2")
CORPUS=${KILT_CORPUS:-../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus
use_workdir lambda-arm64-test

# The arm64 libraries of Debian's cross toolchain (libc6-arm64-cross) are the emulated system's root.
# An absolute path: the emulator's environment for the function need not have PATH.
QEMU=("$(command -v qemu-aarch64-static)" -L /usr/aarch64-linux-gnu)
[ -n "${QEMU[0]}" ] && [ -d /usr/aarch64-linux-gnu/lib ] ||
  { echo "bootstrap_arm64_test: qemu-aarch64-static or the arm64 libraries are missing; run 'make deps'"; exit 1; }
# qemu_script PATH TARGET: an executable script at PATH that runs TARGET (an arm64 binary) under qemu.
qemu_script() {
  printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${QEMU[*]}" "$2" > "$1" && chmod 0755 "$1"
}

echo "== binary: an AArch64 ELF that runs on provided.al2023 (glibc 2.34)"
expect_contains "file(1) says AArch64" "ARM aarch64" "$(file -b "$BOOTSTRAP")"
check_al2023_binary "$BOOTSTRAP" aarch64

echo "== zip: bootstrap at the root, executable, + default recipe, reproducible"
zipinfo() { zip_info "$ZIP" "$@"; }
expect_eq "entries are sorted: bootstrap, recipe.toml" "bootstrap recipe.toml" "$(zipinfo names)"
expect_eq "bootstrap is executable, the recipe is not" "bootstrap:755 recipe.toml:644" "$(zipinfo modes)"
check "the zip's bootstrap is the arm64 build" cmp -s <(zipinfo cat bootstrap) "$BOOTSTRAP"
zipinfo cat recipe.toml > "$W/recipe.toml"
expect_eq "the bundled recipe is the one the arm64 bootstrap prints" \
  "$("${QEMU[@]}" "$BOOTSTRAP" --print-default-recipe | sha256sum)" "$(sha256sum < "$W/recipe.toml")"
# Pack again from a copy with a fresh mtime, elsewhere, with another umask, the recipe printed by the
# arm64 bootstrap itself (under qemu) rather than the host one: the same bytes.
cp "$BOOTSTRAP" "$W/bootstrap-copy" && touch "$W/bootstrap-copy"
qemu_script "$W/print-recipe" "$BOOTSTRAP"
(umask 077 && TMPDIR=$W lambda/package.sh "$W/bootstrap-copy" "$W/again.zip" "$W/print-recipe")
check "packing again gives the same bytes" cmp -s "$ZIP" "$W/again.zip"

echo "== start-up and shutdown (under qemu)"
out=$(env -u AWS_LAMBDA_RUNTIME_API timeout 60 "${QEMU[@]}" "$BOOTSTRAP" 2>&1); rc=$?
expect_eq "outside Lambda: exit 2" "2" "$rc"
expect_contains "outside Lambda: says what it is" "AWS_LAMBDA_RUNTIME_API is not set" "$out"
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
out=$(AWS_LAMBDA_RUNTIME_API=127.0.0.1:$dead timeout 60 "${QEMU[@]}" "$BOOTSTRAP" 2>&1); rc=$?
expect_eq "Runtime API unreachable: exits 1" "1" "$rc"
expect_contains "Runtime API unreachable: says so" "connect to 127.0.0.1:$dead" "$out"

echo "== a registry with an image whose ENTRYPOINT/CMD the template does not repeat"
start_test_registry

echo "== the test zip: the real arm64 bootstrap run through qemu"
mkdir -p "$W/fn"
zipinfo cat bootstrap > "$W/fn/bootstrap.arm64" && chmod 0755 "$W/fn/bootstrap.arm64"
cp "$W/recipe.toml" "$W/fn/recipe.toml"
# Lambda sets LAMBDA_TASK_ROOT to the unpacked zip; so does @vercel/fun.
printf '#!/bin/sh\nexec %s "$LAMBDA_TASK_ROOT/bootstrap.arm64" "$@"\n' "${QEMU[*]}" > "$W/fn/bootstrap"
chmod 0755 "$W/fn/bootstrap"
(cd "$W/fn" && zip -q -X "$W/qemu.zip" bootstrap bootstrap.arm64 recipe.toml)

echo "== macro events through @vercel/fun"
EV=$W/events; OUT=$W/out; mkdir -p "$EV" "$OUT"
PUBLIC=$CORPUS/cfn/aws-cloudformation__aws-cloudformation-templates__ECS__FargateLaunchType__services__public-service.json
mk() { local name=$1; shift; node tests/lambda/make_event.js "$@" --id "req-$name" > "$EV/$name.json"; }
# A real template whose image is a stack parameter, looked up in the registry, with Fn::Transform params.
mk params "$PUBLIC" --tpv "{\"ImageUrl\":\"$REG/team/webapp:1.0\",\"AgentImage\":\"agents.example/falco-kilt:2.0\"}" \
  --params '{"SidecarName":"falco","KiltImage":{"Ref":"AgentImage"}}'
# The events both architectures' tests send (lambda_lib.sh): clash, clean, garbage, nofragment, 1 MiB.
make_common_events
mk after "$W/clean.json" --tpv "{\"AppImage\":\"$REG/team/webapp:1.0\"}"

ORDER=(params clean clash garbage nofragment deep big after)
timeout 240 node tests/lambda/fun_driver.js "$W/qemu.zip" "$OUT" \
  --env KILT_IMAGE=public.ecr.aws/example/kilt:1.0 --env KILT_INSECURE_REGISTRIES="$REG" \
  $(for e in "${ORDER[@]}"; do echo "$EV/$e.json"; done) > "$W/fun.log" 2>&1
rc=$?
expect_eq "fun driver ran every event" "0" "$rc"
[ $rc -eq 0 ] || cat "$W/fun.log"

TD="d['fragment']['Resources']['TaskDefinition']['Properties']['ContainerDefinitions']"
expect_eq "params: success" "success req-params" \
  "$(json "$OUT/params.json" "d['status'], d['requestId']" | tr -d "(),'")"
expect_eq "params: image looked up through the Ref; its ENTRYPOINT+CMD become the command" \
  "['/kilt/run', '--'] ['/usr/bin/webapp', 'serve', '--port=8080']" \
  "$(json "$OUT/params.json" "str($TD[0]['EntryPoint']) + ' ' + str($TD[0]['Command'])")"
expect_eq "params: sidecar renamed, image from a Ref param" "falco agents.example/falco-kilt:2.0" \
  "$(json "$OUT/params.json" "' '.join([c['Name'] + ' ' + c['Image'] for c in $TD if c['Name']=='falco'])")"
json "$OUT/params.json" "json.dumps(d['fragment'])" > "$W/params-patched.json"
json "$EV/params.json" "json.dumps(d['fragment'])" > "$W/params-original.json"

json "$OUT/clean.json" "json.dumps(d['fragment'])" > "$W/clean-patched.json"

check_common_answers clean
expect_contains "log line: ids and counts" "kilt-macro request=req-clean invocation=" \
  "$(grep '^kilt-macro request=' "$W/fun.log")"

echo "== start-up failure is posted to /runtime/init/error (a C++ exception unwound on arm64)"
timeout 120 node tests/lambda/fun_driver.js "$W/qemu.zip" "$OUT" --env 'KILT_RECIPE=image = [' \
  --env KILT_IMAGE_LOOKUP=off "$EV/clean.json" > "$W/fun-init.log" 2>&1
expect_contains "init error reaches the caller with the reason" "start-up failed: KILT_RECIPE:1" \
  "$(cat "$OUT/clean.json")"

echo "== AWS's validator on the patched templates"
timeout 300 node tests/lambda/validate_cfn.js "$W/clean-patched.json" "$W/params-patched.json=$W/params-original.json" \
  > "$W/validate.txt" 2>&1
check "clean: the patched template passes AWS's validator outright" grep -qx "ok $W/clean-patched.json" "$W/validate.txt"
check "params: the patched template passes AWS's validator (no new problem)" \
  grep -qx "ok $W/params-patched.json" "$W/validate.txt"
grep '^bad ' "$W/validate.txt" | head -20

echo "== installer: the Architecture parameter sets the function's instruction set"
# (bootstrap_test.sh runs AWS's validator on the installer.)
expect_eq "installer: Architecture is x86_64 or arm64 and is the function's Architectures" \
  'x86_64,arm64 [{"Ref":"Architecture"}]' "$(node -e '
const { yamlParse } = require("yaml-cfn");
const t = yamlParse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(t.Parameters.Architecture.AllowedValues.join(","), JSON.stringify(t.Resources.Function.Properties.Architectures));
' lambda/installer.yaml 2>&1)"
summary
