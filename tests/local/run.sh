#!/usr/bin/env bash
# End-to-end tests of the payload image and `kilt local run`: patched example tasks run in real runc
# containers on three base images (busybox-static, a scratch-like single static binary, a Debian rootfs),
# plus ECS lifecycle semantics, cleanup after errors, image reproducibility and the arm64 payload under
# qemu-user. Needs root. Run by `make test-local` (which builds everything it uses first).
set -uo pipefail
cd "$(dirname "$0")/../.."
T_NAME=local
. tests/lib/testlib.sh

B=${B:-build}
KILT=$B/bin/kilt
use_workdir test-local
T=$W
RUNC_ROOT=$T/runc
WORK=$T/work
mkdir -p "$WORK" "$T/images"
at_exit 'for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do runc --root "$RUNC_ROOT" delete -f "$id"; done'

[ "$(id -u)" = 0 ] || { echo "tests/local: needs root (runc)"; exit 1; }
for f in $KILT $B/image/kilt-image.oci.tar $B/examples/images/kilt-demo-app/index.json \
  $B/examples/images/kilt-demo-scratch/index.json $B/examples/images/kilt-demo-debian/index.json; do
  [ -e "$f" ] || { echo "tests/local: $f is missing; run 'make test-local'"; exit 1; }
done
ln -s "$(realpath $B/image/kilt-image.oci.tar)" "$T/images/kilt.oci.tar"
for i in kilt-demo-app kilt-demo-scratch kilt-demo-debian; do
  ln -s "$(realpath $B/examples/images/$i)" "$T/images/$i"
done

# The recipe: the examples' recipe plus hints for the two other app images.
cat examples/recipe.toml - > "$T/recipe.toml" <<'EOF'

[[hints]]
image = "registry.example/kilt-demo-scratch:1.0"
entrypoint = ["/app"]
cmd = ["--mode", "scratch"]

[[hints]]
image = "registry.example/kilt-demo-debian:1.0"
entrypoint = ["/app/entrypoint.sh"]
cmd = ["serve", "--base", "debian"]
EOF

# task_json IMAGE [EXTRA_ENV_JSON]: an ECS task definition with one app container that sets no EntryPoint.
task_json() {
  cat <<EOF
{"family": "t", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
 "containerDefinitions": [{"name": "app", "image": "$1", "essential": true, "stopTimeout": 20,
   "environment": [{"name": "GREETING", "value": "hi from the task"}${2:+, $2}]}]}
EOF
}

# start_task FILE LOG [ARGS...]: runs kilt local in the background; sets PID.
start_task() {
  local file=$1 log=$2
  shift 2
  : > "$log"
  $KILT local run "$file" --images "$T/images" --runc-root "$RUNC_ROOT" --work-dir "$WORK" "$@" > "$log" 2>&1 &
  PID=$!
  track "$PID"
}

# wait_for LOG PATTERN: polls (generous deadline) until PATTERN appears or the task has ended.
wait_for() {
  local deadline=$((SECONDS + 180))
  until grep -q -- "$2" "$1"; do
    kill -0 "$PID" 2>/dev/null || return 1
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# line_no LOG PATTERN: the first line number where PATTERN occurs (999999 when absent).
line_no() { grep -n -m1 -- "$2" "$1" | cut -d: -f1 | grep . || echo 999999; }

no_leftovers() { # no_leftovers WHAT
  expect_eq "$1: no runc container left" "" "$(runc --root "$RUNC_ROOT" list -q 2>&1)"
  expect_eq "$1: bundles removed" "" "$(ls -A "$WORK")"
}

# --- the patched example task on each base image -----------------------------------------------------
run_base() { # run_base LABEL IMAGE EXPECTED_ARGS [SIGNAL]
  local label=$1 image=$2 args=$3 sig=${4:-TERM} dir=$T/$1
  mkdir -p "$dir"
  # The demo agent, not Falco: these checks are about the launcher and kilt local (Falco in a task:
  # tests/falco/task.sh; the real payload config runs in the template test below).
  task_json "$image" '{"name": "KILT_CONFIG", "value": "/kilt/demo-agent.run.cfg"}' > "$dir/task.json"
  if ! $KILT patch -q --ecs --recipe "$T/recipe.toml" "$dir/task.json" -o "$dir/patched.json" 2> "$dir/patch.err"; then
    fail "$label: kilt patch: $(cat "$dir/patch.err")"
    return
  fi
  start_task "$dir/patched.json" "$dir/log"
  if ! wait_for "$dir/log" "app: tick 3 "; then
    fail "$label: the app never reached tick 3: $(tail -20 "$dir/log")"
  fi
  # SIGINT (Ctrl-C) and SIGTERM to kilt local both stop the task the ECS way: SIGTERM to the containers.
  kill -$sig "$PID"
  wait "$PID"
  local st=$? log=$dir/log
  expect_eq "$label: SIG$sig to kilt local: exit status is the app's (7 on SIGTERM)" 7 "$st"
  local apid agentpid
  apid=$(grep -m1 -o 'app: started as .* (pid [0-9]*)' "$log" | grep -o 'pid [0-9]*' | cut -d' ' -f2)
  agentpid=$(grep -m1 -o '\[demo-agent\] started (pid [0-9]*)' "$log" | grep -o 'pid [0-9]*' | cut -d' ' -f2)
  # PIDs in the container's fresh PID namespace only grow: a lower PID started earlier.
  check "$label: agent started before the app (agent pid $agentpid < app pid $apid)" \
    test -n "$agentpid" -a -n "$apid" -a "${agentpid:-0}" -lt "${apid:-0}"
  check "$label: sidecar started before the app (DependsOn START)" \
    test "$(line_no "$log" 'starting container kilt')" -lt "$(line_no "$log" 'starting container app')"
  expect_contains "$label: app runs its image's ENTRYPOINT + CMD through /kilt/run" \
    "[app] app: started as $args" "$(cat "$log")"
  expect_contains "$label: task Environment reaches the app" "[app] app: GREETING=hi from the task" "$(cat "$log")"
  # Every app line arrives whole and in order: ticks 1..N without gaps, nothing garbled.
  local ticks
  ticks=$(grep -o '\[app\] app: tick [0-9]* zombies=[0-9]*$' "$log" | awk '{print $4}' | tr '\n' ' ')
  expect_eq "$label: app ticks intact and in order" "$(seq -s ' ' 1 "$(echo $ticks | wc -w)") " "$ticks"
  local bad
  bad=$(grep -v -E '^(kilt-local: |\[app\] |\[kilt\] )' "$log" | head -3)
  expect_eq "$label: every line is tagged with its container's name" "" "$bad"
  expect_contains "$label: agent lines are tagged" "[app] [demo-agent] started" "$(cat "$log")"
  expect_contains "$label: the agent is the labelled stand-in for Falco" "DEMO STAND-IN FOR FALCO" "$(cat "$log")"
  expect_contains "$label: the agent sees the app's processes" "[demo-agent] event process-spawned pid=$apid " "$(cat "$log")"
  # The orphan left by the app (its exited grandchild) is reaped: no zombie at the last tick.
  expect_eq "$label: orphans reaped (zombies at the last tick)" "zombies=0" \
    "$(grep -o 'app: tick [0-9]* zombies=[0-9]*' "$log" | tail -1 | grep -o 'zombies=[0-9]*')"
  expect_contains "$label: SIGTERM handled within StopTimeout" "[app] app: SIGTERM received, exiting with 7" "$(cat "$log")"
  check "$label: no SIGKILL was needed" bash -c "! grep -q 'sending SIGKILL' '$log'"
  expect_contains "$label: the sidecar (kilt-pause as PID 1) exits 0 on SIGTERM" "container kilt exited with status 0" "$(cat "$log")"
  expect_contains "$label: agent stopped by SIGTERM" "[demo-agent] received SIGTERM" "$(cat "$log")"
  no_leftovers "$label"
}

sed -i 's|^image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/kilt-demo-app:1.0"|image = "registry.example/kilt-demo-app:1.0"|' "$T/recipe.toml"
run_base busybox registry.example/kilt-demo-app:1.0 "/app/entrypoint.sh (pid"
run_base scratch registry.example/kilt-demo-scratch:1.0 "/app (pid"
run_base debian registry.example/kilt-demo-debian:1.0 "/app/entrypoint.sh (pid" INT
layer=$(jq -r '.layers[0].digest' "$B/examples/images/kilt-demo-debian/blobs/sha256/$(jq -r '.manifests[0].digest' \
  "$B/examples/images/kilt-demo-debian/index.json" | cut -d: -f2)" | cut -d: -f2)
echo "  info local: Debian image rootfs: $(tar -xzOf "$B/examples/images/kilt-demo-debian/blobs/sha256/$layer" ./etc/kilt-rootfs-kind 2>/dev/null)"

# --- the CloudFormation template of examples/, patched, with the app exiting by itself (Essential) ----
mkdir -p "$T/cfn"
sed 's|Value: hello from the task definition|Value: hello from the task definition\n            - Name: APP_EXIT_AFTER\n              Value: "2"\n            - Name: APP_EXIT_CODE\n              Value: "3"|' \
  examples/fargate-app.yaml > "$T/cfn/app.yaml"
if $KILT patch -q --recipe examples/recipe.toml --parameter-defaults "$T/cfn/app.yaml" -o "$T/cfn/patched.yaml"; then
  start_task "$T/cfn/patched.yaml" "$T/cfn/log"
  wait "$PID"
  st=$?
  expect_eq "template: exit status of the essential app that exited by itself" 3 "$st"
  expect_contains "template: essential exit stops the task" "stopping the task: essential container app exited" "$(cat "$T/cfn/log")"
  expect_contains "template: the sidecar is stopped with SIGTERM" "sending SIGTERM to container kilt" "$(cat "$T/cfn/log")"
  expect_contains "template: image ref from the parameter's Default" "[app] app: GREETING=hello from the task definition" "$(cat "$T/cfn/log")"
  # No KILT_CONFIG here: the payload's own /kilt/run.cfg, the real Falco fed by the capture.
  expect_contains "template: Falco (the payload's run.cfg) reports the app reading /etc/shadow" \
    '"rule":"Read sensitive file untrusted"' "$(grep '"kilt":"falco"' "$T/cfn/log")"
  no_leftovers "template"
else
  fail "template: kilt patch failed"
fi

# --- the examples are valid for AWS before and after patching ---------------------------------------
$KILT patch -q --ecs --recipe examples/recipe.toml examples/ecs-task.json -o "$T/ecs-patched.json"
out=$(python3 - examples/ecs-task.json "$T/ecs-patched.json" 2>&1 <<'EOF'
import json, sys, botocore.session
from botocore.validate import validate_parameters
shape = botocore.session.get_session().get_service_model('ecs').operation_model('RegisterTaskDefinition').input_shape
for f in sys.argv[1:]:
    validate_parameters(json.load(open(f)), shape)
print("valid")
EOF
)
expect_eq "examples: ECS JSON valid for register-task-definition (botocore), before and after kilt patch" valid "$out"
if [ -f tests/patcher/validate-cfn.js ]; then
  $KILT patch -q --recipe examples/recipe.toml --parameter-defaults examples/fargate-app.yaml -o "$T/cfn-patched.yaml"
  check "examples: the template passes AWS's validator, before and after kilt patch" \
    node tests/patcher/validate-cfn.js examples/fargate-app.yaml "$T/cfn-patched.yaml"
fi

# --- ECS semantics on plain (unpatched) containers ---------------------------------------------------
mkdir -p "$T/sem"
cat > "$T/sem/task.json" <<'EOF'
{"family": "sem", "containerDefinitions": [
  {"name": "kilt", "image": "kilt:0.1.0", "essential": false},
  {"name": "init", "image": "kilt-demo-app:1.0", "essential": false, "entryPoint": ["sh", "-c"],
   "command": ["echo init done; exit 0"]},
  {"name": "main", "image": "kilt-demo-app:1.0", "user": "app", "stopTimeout": 1,
   "entryPoint": ["sh", "-c", "echo uid=$(id -u) gid=$(id -g) home=$HOME; touch /kilt/x 2>/dev/null && echo kilt-writable || echo kilt-readonly; ls /kilt | tr '\\n' ' '; echo; trap '' TERM; echo ignoring-term; while :; do sleep 1; done"],
   "volumesFrom": [{"sourceContainer": "kilt", "readOnly": true}],
   "dependsOn": [{"containerName": "kilt", "condition": "START"}, {"containerName": "init", "condition": "SUCCESS"}]}]}
EOF
start_task "$T/sem/task.json" "$T/sem/log"
wait_for "$T/sem/log" "\[main\] ignoring-term" || fail "semantics: main never started: $(tail -5 "$T/sem/log")"
kill -TERM "$PID"
wait "$PID"
st=$?
log=$(cat "$T/sem/log")
expect_eq "semantics: SIGKILL after StopTimeout gives 128+9" 137 "$st"
expect_contains "semantics: StopTimeout honoured" "sending SIGTERM to container main (SIGKILL in 1 s)" "$log"
expect_contains "semantics: SIGKILL after StopTimeout" "sending SIGKILL to container main" "$log"
check "semantics: DependsOn SUCCESS waits for init to finish" \
  test "$(line_no "$T/sem/log" 'container init exited with status 0')" -lt "$(line_no "$T/sem/log" 'starting container main')"
expect_contains "semantics: User by name from the image's /etc/passwd" "[main] uid=1000 gid=1000 home=/tmp" "$log"
expect_contains "semantics: VolumesFrom ReadOnly mounts /kilt read-only" "[main] kilt-readonly" "$log"
expect_contains "semantics: VolumesFrom shows the source's VOLUME content" "demo-agent demo-agent.conf demo-agent.run.cfg falco init pause" "$log"
no_leftovers "semantics"

# --- failures: clear errors, nothing left behind -----------------------------------------------------
cat > "$T/missing.json" <<'EOF'
{"family": "bad", "containerDefinitions": [{"name": "kilt", "image": "kilt:0.1.0", "essential": false},
  {"name": "app", "image": "no-such-image:1", "essential": true}]}
EOF
start_task "$T/missing.json" "$T/missing.log"
wait "$PID"
expect_eq "missing image: exit status 125" 125 "$?"
expect_contains "missing image: the error names the container and what to do" \
  "container app: image no-such-image:1 not found" "$(cat "$T/missing.log")"
no_leftovers "missing image"

cat > "$T/noexec.json" <<'EOF'
{"family": "bad", "containerDefinitions": [{"name": "kilt", "image": "kilt:0.1.0", "essential": false},
  {"name": "app", "image": "kilt-demo-app:1.0", "entryPoint": ["/no/such/program"],
   "dependsOn": [{"containerName": "kilt", "condition": "START"}]}]}
EOF
start_task "$T/noexec.json" "$T/noexec.log"
wait "$PID"
st=$?
check "app that cannot start: non-zero exit status ($st)" test "$st" -ne 0
expect_contains "app that cannot start: the running sidecar is stopped" "sending SIGTERM to container kilt" "$(cat "$T/noexec.log")"
no_leftovers "app that cannot start"

printf '{"family": "x", "containerDefinitions": [{"name": "a", "image": "kilt-demo-app:1.0", "dependsOn": [{"containerName": "b"}]}]}' > "$T/cycle.json"
out=$($KILT local run "$T/cycle.json" --images "$T/images" --runc-root "$RUNC_ROOT" --work-dir "$WORK" 2>&1)
expect_eq "bad DependsOn target: exit 125" "125" "$?"
expect_contains "bad DependsOn target: named" "DependsOn names b" "$out"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$T/huge.json"
out=$($KILT local run "$T/huge.json" --images "$T/images" --runc-root "$RUNC_ROOT" --work-dir "$WORK" 2>&1)
expect_eq "a 5 MiB template: exit 125" "125" "$?"
expect_contains "... refused unread: the message names the file and the limit" "huge.json: larger than 4194304 bytes" "$out"

# --- image reproducibility -----------------------------------------------------------------------------
d1=$(image/build.sh --bin $B/bin --arm64-bin $B/arm64/bin --falco $B/falco/kilt-falco --out "$T/img1.tar" --tag 0.1.0 2>/dev/null | tail -1)
d2=$(image/build.sh --bin $B/bin --arm64-bin $B/arm64/bin --falco $B/falco/kilt-falco --out "$T/img2.tar" --tag 0.1.0 2>/dev/null | tail -1)
expect_eq "image: two builds give the same index digest" "$d1" "$d2"
check "image: two builds give byte-identical archives" cmp -s "$T/img1.tar" "$T/img2.tar"
idx=$(skopeo inspect --raw "oci-archive:$T/img1.tar:0.1.0" 2>&1)
expect_contains "image: multi-arch index has amd64" '"architecture":"amd64"' "$idx"
expect_contains "image: multi-arch index has arm64" '"architecture":"arm64"' "$idx"
cfg=$(skopeo inspect --config "oci-archive:$T/img1.tar:0.1.0" 2>&1)
expect_contains "image: VOLUME /kilt" '"/kilt": {}' "$cfg"
expect_contains "image: default command is kilt-pause" '"/kilt/pause"' "$cfg"
mkdir -p "$T/arm"
skopeo copy -q --override-arch arm64 "oci-archive:$T/img1.tar:0.1.0" "oci:$T/arm/layout:arm" >/dev/null 2>&1 &&
  umoci --log error raw unpack --image "$T/arm/layout:arm" "$T/arm/rootfs" >/dev/null 2>&1
expect_contains "image: the arm64 manifest carries aarch64 binaries" "ARM aarch64" "$(file "$T/arm/rootfs/kilt/run" 2>&1)"
# The webhook's init container copies the payload with /kilt/copy; it must be there, for both architectures.
expect_contains "image: /kilt/copy (the webhook's copier) is an aarch64 static binary" "ARM aarch64" "$(file "$T/arm/rootfs/kilt/copy" 2>&1)"

# The archive pushes as a multi-arch image to a real registry (Debian's docker-registry on loopback).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/registry.yml" <<EOF
version: 0.1
storage: {filesystem: {rootdirectory: $T/registry-data}}
http: {addr: 127.0.0.1:$port}
EOF
docker-registry serve "$T/registry.yml" > "$T/registry.log" 2>&1 &
track "$!"
deadline=$((SECONDS + 60))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
if skopeo copy -q --all --dest-tls-verify=false "oci-archive:$T/img1.tar:0.1.0" "docker://127.0.0.1:$port/kilt:0.1.0" \
  > "$T/push.log" 2>&1; then
  pushed=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/kilt:0.1.0" 2>&1)
  expect_eq "image: pushed to a registry, the index digest is unchanged" \
    "$d1" "sha256:$(printf '%s' "$pushed" | sha256sum | cut -d' ' -f1)"
  arm=$(skopeo inspect --tls-verify=false --override-arch arm64 "docker://127.0.0.1:$port/kilt:0.1.0" 2>&1)
  expect_contains "image: the registry serves the arm64 variant" '"Architecture": "arm64"' "$arm"
else
  fail "image: skopeo copy --all to a local registry failed: $(tail -3 "$T/push.log")"
fi

# --- arm64 payload under qemu-user (no runc: qemu-user cannot run runc's arm64 init) ------------------
if command -v qemu-aarch64-static >/dev/null; then
  tests/local/arm64_smoke.sh "$T/arm64"
  st=$?
  check "arm64: kilt-run + agent + app under qemu-aarch64 (tests/local/arm64_smoke.sh)" test "$st" -eq 0
else
  fail "arm64: qemu-aarch64-static missing (make deps)"
fi

summary
