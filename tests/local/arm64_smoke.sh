#!/usr/bin/env bash
# The arm64 payload end to end under qemu-user, without runc: build/arm64/bin/kilt-run (as PID 1 of a
# fresh PID namespace) starts the arm64 demo agent, waits for its readiness, runs an arm64 app, forwards
# SIGTERM and exits with the app's status. This machine has no binfmt_misc entry for aarch64, so each
# arm64 program is started through qemu-aarch64-static explicitly (the agent's `path` and the app's argv[0]).
# usage: tests/local/arm64_smoke.sh SCRATCH_DIR     (exit 0 when every check passed)
set -uo pipefail
cd "$(dirname "$0")/../.."
T_NAME=local-arm64
. tests/lib/testlib.sh
B=${B:-build}
dir=$1
mkdir -p "$dir"
QEMU=$(command -v qemu-aarch64-static) || { fail "qemu-aarch64-static missing"; summary; exit; }
RUN=$(realpath $B/arm64/bin/kilt-run)
AGENT=$(realpath $B/arm64/bin/kilt-demo-agent)
APP=$(realpath $B/examples/arm64/scratch-app)
for f in "$RUN" "$AGENT" "$APP"; do
  file "$f" | grep -q 'ARM aarch64' || { fail "$f is not an aarch64 binary"; summary; exit; }
done
printf 'interval_ms = 500\n' > "$dir/agent.conf"
cat > "$dir/run.cfg" <<CFG
[[agent]]
name = "demo-agent"
path = "$QEMU"
args = ["$AGENT", "-c", "$dir/agent.conf", "--notify-fd", "3"]
ready = { fd = 3, timeout = "60s" }
CFG
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done' EXIT

# 1. The app exits by itself: kilt-run exits with its status and stops the agent.
out=$(KILT_CONFIG=$dir/run.cfg APP_EXIT_AFTER=2 APP_EXIT_CODE=5 timeout 300 \
  unshare -pf --mount-proc "$QEMU" "$RUN" -- "$QEMU" "$APP" --arch arm64 2>&1)
st=$?
expect_eq "arm64: exit status is the app's" 5 "$st"
expect_contains "arm64: agent started and tagged" "[demo-agent] started" "$out"
expect_contains "arm64: app output intact" "app: done after 2 ticks, exiting with 5" "$out"
expect_contains "arm64: agent stopped with the app" "[demo-agent] received SIGTERM" "$out"
expect_eq "arm64: orphan reaped (zombies at the last tick)" "zombies=0" \
  "$(printf '%s\n' "$out" | grep -o 'app: tick [0-9]* zombies=[0-9]*' | tail -1 | grep -o 'zombies=[0-9]*')"

# 2. SIGTERM from outside (as ECS stops a task): forwarded to the app, whose status (7) comes back.
: > "$dir/term.log"
KILT_CONFIG=$dir/run.cfg unshare -pf --mount-proc --kill-child=SIGKILL "$QEMU" "$RUN" -- "$QEMU" "$APP" \
  > "$dir/term.log" 2>&1 &
pid=$!
PIDS+=("$pid")
deadline=$((SECONDS + 300))
until grep -q 'app: tick 2 ' "$dir/term.log"; do
  kill -0 $pid 2>/dev/null && [ $SECONDS -lt $deadline ] || break
  sleep 0.1
done
# unshare forwards nothing: signal kilt-run (PID 1 inside) directly.
run_pid=$(pgrep -P $pid | head -1)
kill -TERM "${run_pid:-$pid}"
wait $pid
st=$?
expect_eq "arm64: SIGTERM reaches the app; its exit status comes back" 7 "$st"
expect_contains "arm64: the app handled SIGTERM" "app: SIGTERM received, exiting with 7" "$(cat "$dir/term.log")"
summary
