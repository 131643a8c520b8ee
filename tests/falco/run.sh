#!/usr/bin/env bash
# End-to-end tests of the Falco Kilt ships (build/falco/kilt-falco, mounted read-only at /kilt/falco):
#  (a) it runs in app images that have nothing of it: an empty rootfs (scratch), and an alpine-like one
#      (busybox, musl's loader, decoy glibc-named libraries and LD_LIBRARY_PATH pointing at them);
#  (b) the unmodified default rules fire with the shipped falco.yaml, Falco started through /kilt/falco/start
#      under runc with a fake ECS task metadata endpoint: each scenario (a command and the rule it must raise)
#      becomes a scap capture written by the capture encoder (SCENARIO_CAPTURE) that Falco replays
#      (engine.kind=replay); the alerts must be exactly that rule, as JSON lines carrying the container
#      identity the endpoint gave; a benign command must raise nothing. Few scenarios: tests/falco/task.sh runs
#      every rule that can fire live, in a task; a replay here pins an event shape a rule needs.
# Needs root (runc). Run by `make test-falco`, which builds what it uses first.
#
# usage: tests/falco/run.sh TREE SCENARIO_CAPTURE
set -uo pipefail
cd "$(dirname "$0")/../.."
T_NAME=falco
. tests/lib/testlib.sh

[ $# = 2 ] || { echo "usage: tests/falco/run.sh TREE SCENARIO_CAPTURE"; exit 2; }
TREE=$(realpath "$1")
SCENARIO_CAPTURE=$(realpath "$2")
[ "$(id -u)" = 0 ] || { echo "tests/falco: needs root (runc)"; exit 1; }
for t in runc jq python3 busybox; do
  command -v $t >/dev/null || { echo "tests/falco: '$t' is missing; run 'make deps'"; exit 1; }
done
[ -x "$TREE/bin/falco" ] && [ -x "$TREE/start" ] && [ -f "$TREE/plugins/libkiltcap.so" ] ||
  { echo "tests/falco: $TREE is incomplete; run 'make falco'"; exit 1; }

use_workdir test-falco
T=$W
RUNC_ROOT=$T/runc
at_exit 'for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1; done'
trap 'exit 1' INT TERM

# ---- rootfs and runc ---------------------------------------------------------------------------------
# scratch: nothing at all.
mkdir -p "$T/scratch"
# alpine-like: busybox, musl's dynamic loader at its Alpine path, /etc/alpine-release, and libraries named
# like glibc's that are not (a Falco that looked outside /kilt/falco/lib would die loading them).
A=$T/alpine
mkdir -p "$A/bin" "$A/lib" "$A/usr/lib" "$A/etc" "$A/tmp"
cp "$(command -v busybox)" "$A/bin/busybox"
for a in sh ls cat env; do ln -s busybox "$A/bin/$a"; done
cp "$(readlink -f /lib/ld-musl-x86_64.so.1)" "$A/lib/ld-musl-x86_64.so.1"
echo 3.19.1 > "$A/etc/alpine-release"
for l in libc.so.6 libstdc++.so.6 libm.so.6 libgcc_s.so.1 libtbb.so.12 libyaml-cpp.so.0.7 libz.so.1; do
  echo "not a library" > "$A/usr/lib/$l"; cp "$A/usr/lib/$l" "$A/lib/$l"
done
mkdir -p "$T/cap"

# run_container NAME ROOTFS ENV_JSON ARGS...: runs ARGS in a fresh container (own PID, mount, IPC, UTS
# namespaces; the host's network, so that a loopback fake endpoint is reachable) with the tree at
# /kilt/falco and $T/cap at /cap, both read-only. Sets OUT, ERR (files) and RC.
run_container() {
  local name=$1 rootfs=$2 env=$3 b=$T/bundle-$1
  shift 3
  mkdir -p "$b"
  (cd "$b" && runc spec)
  local args
  args=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@")
  jq --arg rootfs "$rootfs" --arg tree "$TREE" --arg cap "$T/cap" --argjson env "$env" --argjson args "$args" \
     '.process.args = $args | .process.terminal = false
     | .process.env = (["PATH=/bin:/usr/bin"] + $env) | .root = {path: $rootfs, readonly: false}
     | .hostname = "falco-test-host"
     | .linux.namespaces |= map(select(.type != "network"))
     | .mounts += [{destination: "/kilt/falco", type: "bind", source: $tree, options: ["rbind", "ro"]},
                   {destination: "/cap", type: "bind", source: $cap, options: ["rbind", "ro"]}]' \
     < "$b/config.json" > "$b/config.new" && mv "$b/config.new" "$b/config.json"
  OUT=$b/out ERR=$b/err
  timeout -k 5 120 runc --root "$RUNC_ROOT" run --bundle "$b" "kilt-falco-test-$name-$$" > "$OUT" 2> "$ERR" < /dev/null
  RC=$?
  runc --root "$RUNC_ROOT" delete -f "kilt-falco-test-$name-$$" >/dev/null 2>&1
  return 0
}

# ---- the tree ------------------------------------------------------------------------------------------
echo "# the tree"
TP=${KILT_THIRD_PARTY:-$(for d in ../shared/third_party /work/shared/third_party; do
                            [ -f "$d/SHA256SUMS" ] && { echo "$d"; break; }; done)}
expect_eq "rules/falco_rules.yaml is falco-rules-5.1.0's, unmodified" \
  "$(tar -xzOf "$TP/rules-falco-rules-5.1.0.tar.gz" rules-falco-rules-5.1.0/rules/falco_rules.yaml | sha256sum)" \
  "$(sha256sum < "$TREE/rules/falco_rules.yaml")"
expect_eq "bin/falco's ELF interpreter is the tree's own loader" "/kilt/falco/lib/ld-linux-x86-64.so.2" \
  "$(patchelf --print-interpreter "$TREE/bin/falco")"
check "every library bin/falco and the plugins need is in lib/" bash -c '
  for f in "$1"/bin/falco "$1"/plugins/*.so; do
    for n in $(patchelf --print-needed "$f"); do [ -e "$1/lib/$n" ] || { echo "missing $n for $f"; exit 1; }; done
  done' _ "$TREE"
check "bin/falco and the plugins are stripped" bash -c '! file "$1"/bin/falco "$1"/plugins/*.so | grep -q "not stripped"' _ "$TREE"
echo "  (the tree is $(du -sk "$TREE" | cut -f1) KiB)"

# ---- (a) it runs anywhere ---------------------------------------------------------------------------
echo "# the relocated Falco in app images that have nothing of it"
run_container scratch-version "$T/scratch" '[]' /kilt/falco/bin/falco --version
expect_eq "scratch: falco --version exits 0" 0 "$RC"
check "scratch: it is Falco 0.44.1 with libs 0.25.4" \
  grep -q 'Falco version: 0.44.1' "$OUT"
check "scratch: libs version 0.25.4" grep -q 'Libs version: *0.25.4' "$OUT"
check "scratch: plugin API and engine versions printed" grep -q '^Plugin API: *3\.12\.0$' "$OUT"

run_container alpine-version "$A" '["LD_LIBRARY_PATH=/usr/lib:/lib"]' /kilt/falco/bin/falco --version
expect_eq "alpine-like rootfs with decoy libraries on LD_LIBRARY_PATH: falco --version exits 0" 0 "$RC"
check "alpine-like: it is Falco 0.44.1 (DT_RPATH wins over LD_LIBRARY_PATH)" grep -q 'Falco version: 0.44.1' "$OUT"

run_container alpine-start "$A" '["LD_LIBRARY_PATH=/usr/lib:/lib", "LD_PRELOAD=/usr/lib/libz.so.1"]' \
  /kilt/falco/start --version
expect_eq "alpine-like: /kilt/falco/start --version exits 0 despite LD_PRELOAD of a decoy" 0 "$RC"
check "alpine-like: start execs Falco with falco.yaml (JSON output: --version prints JSON)" \
  grep -q '"falco_version":"0.44.1"' "$OUT"
check "alpine-like: start says which identity it found (hostname here)" \
  grep -q '^kilt-falco-start: container id=falco-test-host name=falco-test-host image=unknown platform=none task=none (from hostname)$' "$ERR"

# EKS: the variables the webhook adds through the Downward API (docs/falco.md).
run_container eks-start "$T/scratch" '["KILT_POD_NAME=web-7d9f", "KILT_POD_NAMESPACE=shop",
  "KILT_POD_UID=5c2b7d1e-0000-1111-2222-333344445555", "KILT_CONTAINER_NAME=app",
  "KILT_CONTAINER_IMAGE=registry.example/shop/web:1.2"]' /kilt/falco/start --version
expect_eq "EKS: start --version exits 0" 0 "$RC"
check "EKS: the identity comes from the pod's environment" grep -Eq \
  '^kilt-falco-start: container id=([0-9a-f]{12}|5c2b7d1e-0000-1111-2222-333344445555/app) name=app image=registry.example/shop/web:1.2 platform=eks task=shop/web-7d9f \(from the pod.s environment \(EKS\)\)$' "$ERR"

run_container scratch-config "$T/scratch" '[]' /kilt/falco/start --dry-run
expect_eq "scratch: falco.yaml, the rules and the container plugin load (--dry-run)" 0 "$RC"
check "scratch: falco.yaml passes Falco's schema validation" grep -q '/kilt/falco/falco.yaml | schema validation: ok' "$ERR"
check "scratch: both plugins load" bash -c "grep -q \"Loaded plugin 'kiltcap@\" '$ERR' && grep -q \"Loaded plugin 'container@0.7.1'\" '$ERR'"
check "scratch: --dry-run printed no error or warning" bash -c "! grep -Eqi 'error|warn' '$ERR'"

# ---- (b) the default rules fire ---------------------------------------------------------------------
echo "# the unmodified default rules, replayed (engine.kind=replay) through /kilt/falco/start and falco.yaml"
# A fake ECS task metadata endpoint (v4, container document) on an ephemeral loopback port.
DOCKER_ID=9f2c1e0a7b3d4c5e8f6a1b2c3d4e5f60-3141592653
TASK_ARN=arn:aws:ecs:eu-west-1:123456789012:task/kilt/9f2c1e0a7b3d4c5e8f6a1b2c3d4e5f60
cat > "$T/metadata.json" <<EOF
{"DockerId": "$DOCKER_ID", "Name": "web", "DockerName": "web", "Image": "registry.example/shop/web:1.2",
 "Labels": {"com.amazonaws.ecs.container-name": "web", "com.amazonaws.ecs.task-arn": "$TASK_ARN"},
 "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "Type": "NORMAL"}
EOF
python3 tests/falco/fake_ecs.py "$T/metadata.json" "$T/port" 127.0.0.1:0 &
track $!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
PORT=$(cat "$T/port")
ECS_ENV=$(jq -cn --arg u "http://127.0.0.1:$PORT/v4/$DOCKER_ID" '["ECS_CONTAINER_METADATA_URI_V4=" + $u]')

# One scenario: the rule that must fire ("-" for none) | the command. Each is replayed alone (every rule that
# can fire live is run for real by tests/falco/task.sh).
#  - "Disallowed SSH Connection Non Standard Port": its `outbound` macro needs the local end of the connect
#    tuple (fd.ip != 0.0.0.0 holds only when both ends differ from it): the replay pins that event shape,
#    independently of the kernel (the tracer reads the local end through pidfd_getfd, Linux 5.6+).
SCENARIOS=(
  "Disallowed SSH Connection Non Standard Port|ssh 198.51.100.7 443"
  "-|ssh 198.51.100.7 22"
)
n=0
for s in "${SCENARIOS[@]}"; do
  n=$((n + 1))
  rule=${s%%|*} cmd=${s#*|}
  # shellcheck disable=SC2086 # the command is split on spaces on purpose
  "$SCENARIO_CAPTURE" "$T/cap/$n.scap" -- $cmd || { fail "'$cmd': no capture written"; continue; }
  run_container "replay-$n" "$T/scratch" "$ECS_ENV" /kilt/falco/start \
    -o engine.kind=replay -o engine.replay.capture_file=/cap/$n.scap
  alerts=$(grep '^{' "$OUT")
  if [ "$RC" != 0 ]; then
    fail "'$cmd': Falco exited $RC: $(tail -3 "$ERR")"
    continue
  fi
  fired=$(jq -r .rule <<<"$alerts" | sort -u | paste -sd, -)
  if [ "$rule" = "-" ]; then
    expect_eq "'$cmd' raises no alert" "" "$fired"
    continue
  fi
  expect_eq "'$cmd' raises exactly '$rule'" "$rule" "$fired"
  a=$(head -1 <<<"$alerts")
  [ -n "$a" ] || continue
  expect_eq "'$cmd': container.id is the ECS DockerId" "$DOCKER_ID" "$(jq -r '.output_fields["container.id"]' <<<"$a")"
  expect_eq "'$cmd': container.name from the metadata" "web" "$(jq -r '.output_fields["container.name"]' <<<"$a")"
  expect_eq "'$cmd': container.image.repository from the metadata" "registry.example/shop/web" \
    "$(jq -r '.output_fields["container.image.repository"]' <<<"$a")"
  expect_eq "'$cmd': kilt.task is the task ARN" "$TASK_ARN" "$(jq -r '.output_fields["kilt.task"]' <<<"$a")"
  expect_eq "'$cmd': kilt.platform" "ecs" "$(jq -r '.output_fields["kilt.platform"]' <<<"$a")"
  expect_eq "'$cmd': the alert is one JSON object per line, with priority, time, source and tags" "true" \
    "$(jq -r '(.priority | length > 0) and (.time | length > 0) and .source == "syscall" and (.tags | length > 0)' <<<"$a")"
done
check "start reported the identity from the metadata endpoint" \
  grep -q "^kilt-falco-start: container id=$DOCKER_ID name=web image=registry.example/shop/web:1.2 platform=ecs task=$TASK_ARN (from ECS task metadata v4)\$" "$ERR"

summary
