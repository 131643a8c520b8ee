#!/usr/bin/env bash
# The macro Lambda end to end: the real `bootstrap` from the real zip, driven by a third-party Runtime
# API server (npm @vercel/fun), with macro events built from real templates (shared/corpus), a real
# registry (Debian docker-registry on 127.0.0.1) for image lookups, and AWS's offline validator on the
# patched output and on the installer.   usage: bootstrap_test.sh build/lambda/bootstrap build/lambda/kilt-macro.zip
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/testlib.sh
. tests/lambda/lambda_lib.sh
BOOTSTRAP=$(realpath "$1")
ZIP=$(realpath "$2")
CORPUS=${KILT_CORPUS:-../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus
use_workdir lambda-test


echo "== binary: runs on provided.al2023 (glibc 2.34)"
check_al2023_binary "$BOOTSTRAP" x86_64

echo "== zip: bootstrap + default recipe, reproducible"
zipinfo() { zip_info "$ZIP" "$@"; }
expect_eq "entries are sorted: bootstrap, recipe.toml" "bootstrap recipe.toml" "$(zipinfo names)"
expect_eq "bootstrap is executable, the recipe is not" "bootstrap:755 recipe.toml:644" "$(zipinfo modes)"
zipinfo cat recipe.toml > "$W/recipe.toml"
expect_eq "the bundled recipe is the documented default" "$("$BOOTSTRAP" --print-default-recipe | sha256sum)" \
  "$(sha256sum < "$W/recipe.toml")"
# Pack again from a copy with a fresh mtime, elsewhere, with another umask: the same bytes.
cp "$BOOTSTRAP" "$W/bootstrap-copy" && touch "$W/bootstrap-copy"
(umask 077 && TMPDIR=$W lambda/package.sh "$W/bootstrap-copy" "$W/again.zip")
check "packing again gives the same bytes" cmp -s "$ZIP" "$W/again.zip"

echo "== start-up and shutdown"
out=$(env -u AWS_LAMBDA_RUNTIME_API timeout 20 "$BOOTSTRAP" 2>&1); rc=$?
expect_eq "outside Lambda: exit 2" "2" "$rc"
expect_contains "outside Lambda: says what it is" "AWS_LAMBDA_RUNTIME_API is not set" "$out"
# A port nothing listens on: bind, read the port, close.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
out=$(AWS_LAMBDA_RUNTIME_API=127.0.0.1:$dead timeout 20 "$BOOTSTRAP" 2>&1); rc=$?
expect_eq "Runtime API unreachable: exits 1 (not 124: no spinning)" "1" "$rc"
expect_contains "Runtime API unreachable: says so" "connect to 127.0.0.1:$dead" "$out"

echo "== a registry with an image whose ENTRYPOINT/CMD the template does not repeat"
start_test_registry

echo "== macro events through @vercel/fun"
EV=$W/events; OUT=$W/out; mkdir -p "$EV" "$OUT"
PUBLIC=$CORPUS/cfn/aws-cloudformation__aws-cloudformation-templates__ECS__FargateLaunchType__services__public-service.json
mk() { local name=$1; shift; node tests/lambda/make_event.js "$@" --id "req-$name" > "$EV/$name.json"; }
# 1. A real template whose image is a stack parameter (Ref) and sets no EntryPoint: the image is
#    resolved through templateParameterValues and looked up in the registry.
mk ref "$PUBLIC" --tpv "{\"ImageUrl\":\"$REG/team/webapp:1.0\"}"
# 2. The same with Fn::Transform params overriding the recipe (sidecar name and kilt image), and a
#    Ref among the params.
mk params "$PUBLIC" --tpv "{\"ImageUrl\":\"$REG/team/webapp:1.0\",\"AgentImage\":\"agents.example/falco-kilt:2.0\"}" \
  --params '{"SidecarName":"falco","KiltImage":{"Ref":"AgentImage"}}'
# 3. The events both architectures' tests send (lambda_lib.sh): clash (two resources the patcher must
#    refuse, and a secret that must never reach the logs), clean, garbage, nofragment, a 1 MiB template.
make_common_events
# 6. After all that, the same function still answers.
mk after "$PUBLIC" --tpv "{\"ImageUrl\":\"$REG/team/webapp:1.0\"}"

ORDER=(ref params clash clean garbage nofragment deep big after)
timeout 240 node tests/lambda/fun_driver.js "$ZIP" "$OUT" \
  --env KILT_IMAGE=public.ecr.aws/example/kilt:1.0 --env KILT_INSECURE_REGISTRIES="$REG" \
  $(for e in "${ORDER[@]}"; do echo "$EV/$e.json"; done) > "$W/fun.log" 2>&1
rc=$?
expect_eq "fun driver ran every event" "0" "$rc"
[ $rc -eq 0 ] || { cat "$W/fun.log"; }

TD="d['fragment']['Resources']['TaskDefinition']['Properties']['ContainerDefinitions']"
expect_eq "ref: success" "success req-ref" "$(json "$OUT/ref.json" "d['status'], d['requestId']" | tr -d "(),'")"
expect_eq "ref: image looked up through the Ref; its ENTRYPOINT+CMD become the command" \
  "['/kilt/run', '--'] ['/usr/bin/webapp', 'serve', '--port=8080']" \
  "$(json "$OUT/ref.json" "str($TD[0]['EntryPoint']) + ' ' + str($TD[0]['Command'])")"
expect_eq "ref: the kilt sidecar uses the installer's image" "public.ecr.aws/example/kilt:1.0" \
  "$(json "$OUT/ref.json" "[c['Image'] for c in $TD if c['Name']=='kilt'][0]")"
json "$OUT/ref.json" "json.dumps(d['fragment'])" > "$W/ref-patched.json"
json "$EV/ref.json" "json.dumps(d['fragment'])" > "$W/ref-original.json"
# The corpus template has an ERROR of its own (Role defaults to ''): only new problems count.
# AWS's validator runs once at the end over everything (seconds of start-up per process).
VALIDATE=("$W/ref-patched.json=$W/ref-original.json")
VALIDATE_NAMES=("ref: the patched template passes AWS's validator (no new problem)")

expect_eq "params: sidecar renamed, image from a Ref param" "falco agents.example/falco-kilt:2.0" \
  "$(json "$OUT/params.json" "' '.join([c['Name'] + ' ' + c['Image'] for c in $TD if c['Name']=='falco'])")"
json "$OUT/params.json" "json.dumps(d['fragment'])" > "$W/params-patched.json"
VALIDATE+=("$W/params-patched.json=$W/ref-original.json")
VALIDATE_NAMES+=("params: the patched template passes AWS's validator (no new problem)")

json "$OUT/clean.json" "json.dumps(d['fragment'])" > "$W/clean-patched.json"
VALIDATE+=("$W/clean-patched.json")
VALIDATE_NAMES+=("clean: the patched template passes AWS's validator outright")

check_common_answers ref
logs=$(grep '^kilt-macro request=' "$W/fun.log")
expect_contains "log line: ids and counts" "kilt-macro request=req-ref invocation=" "$logs"
expect_contains "log line: containers patched and duration" "containers=1 skipped=0 errors=0 images=1 lookup_errors=0" "$logs"
check "logs never hold the template (no image names)" bash -c '! grep -q "team/webapp" "$1"' _ "$W/fun.log"

echo "== every corpus template: a patched template that validates, or a failure naming the problems"
CE=$W/corpus-events; CO=$W/corpus-out; mkdir -p "$CE" "$CO"
for f in "$CORPUS"/cfn/*.json "$CORPUS"/cfn/*.yaml "$CORPUS"/cfn/*.yml "$CORPUS"/cfn/*.template; do
  [ -f "$f" ] || continue
  # A template YAML itself refuses (duplicate keys) never reaches a macro: skip it.
  node tests/lambda/make_event.js "$f" --id "$(basename "$f")" > "$CE/$(basename "$f").json" 2>/dev/null ||
    rm -f "$CE/$(basename "$f").json"
done
timeout 240 node tests/lambda/fun_driver.js "$ZIP" "$CO" --env KILT_IMAGE=registry.example/kilt:1.0 \
  --env KILT_IMAGE_LOOKUP=off "$CE"/*.json > "$W/fun-corpus.log" 2>&1
expect_eq "corpus: fun driver ran every template" "0" "$?"
n_ok=0; n_fail=0; bad=(); corpus_specs=()
for ev in "$CE"/*.json; do
  o=$CO/$(basename "$ev")
  st=$(json "$o" "d['status']")
  if [ "$st" = success ]; then
    json "$o" "json.dumps(d['fragment'])" > "$o.patched"
    json "$ev" "json.dumps(d['fragment'])" > "$o.orig"
    corpus_specs+=("$o.patched=$o.orig")
    n_ok=$((n_ok + 1))
  elif [ "$st" = failure ] && json "$o" "d['errorMessage']" | grep -qE '^Kilt: [0-9]+ problems?: '; then
    n_fail=$((n_fail + 1))
  else bad+=("$(basename "$ev"): status $st"); fi
done
echo "  corpus: $n_ok patched, $n_fail refused with a message (lookups off)"
expect_eq "corpus: every answer is a patch or an explained failure" "" "${bad[*]:-}"
check "corpus: some templates patched" test "$n_ok" -gt 5

echo "== start-up failure is posted to /runtime/init/error"
timeout 60 node tests/lambda/fun_driver.js "$ZIP" "$OUT" --env 'KILT_RECIPE=image = [' \
  --env KILT_IMAGE_LOOKUP=off "$EV/ref.json" > "$W/fun-init.log" 2>&1
expect_contains "init error reaches the caller with the reason" "start-up failed: KILT_RECIPE:1" \
  "$(cat "$OUT/ref.json")"
expect_contains "init error is a function error" '"FunctionError":"Unhandled"' "$(cat "$OUT/ref.json")"

echo "== AWS's validator: patched templates and the installer"
timeout 600 node tests/lambda/validate_cfn.js "${VALIDATE[@]}" "${corpus_specs[@]}" lambda/installer.yaml \
  > "$W/validate.txt" 2>&1
for i in "${!VALIDATE[@]}"; do
  f=${VALIDATE[$i]%%=*}
  check "${VALIDATE_NAMES[$i]}" grep -qx "ok $f" "$W/validate.txt"
done
corpus_bad=$(grep "^bad $CO/" "$W/validate.txt" | sed "s|$CO/||" | head -c 2000)
expect_eq "corpus: every patched template passes AWS's validator (no new problem)" "" "$corpus_bad"
check "corpus: the validator saw every patched template" \
  test "$(grep -c "^ok $CO/" "$W/validate.txt")" -eq "$n_ok"
check "lambda/installer.yaml passes AWS's validator" grep -qx "ok lambda/installer.yaml" "$W/validate.txt"
grep '^bad ' "$W/validate.txt" | head -20
summary
