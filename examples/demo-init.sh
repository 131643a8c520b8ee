#!/usr/bin/env bash
# kilt-init as PID 1 of a fresh PID namespace (unshare -pf --mount-proc), doing what ECS needs from it:
#   1. an app under `sh -c` (a shell that forwards nothing) makes a storm of 1,000 orphaned zombies:
#      kilt-init reaps them all;
#   2. we send SIGTERM to PID 1, as ECS does on `docker stop`/StopTask: kilt-init forwards it to the app's
#      whole process group, the app shuts down cleanly, a left-over daemon that ignores SIGTERM is
#      SIGKILLed after the grace period, and kilt-init exits with the app's status.
# Needs root (PID namespaces) and build/bin/kilt-init (make build/bin/kilt-init).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
K=$B/bin/kilt-init
[ "$(id -u)" = 0 ] || { echo "demo-init: run as root (unshare -p needs it)" >&2; exit 1; }
[ -x "$K" ] || { echo "demo-init: $K is missing; run 'make $K'" >&2; exit 1; }

W=$(mktemp -d /tmp/kilt-demo-init.XXXXXX)
NS=
cleanup() { [ -n "$NS" ] && kill -KILL "$NS" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
say() { printf '\033[1mdemo-init:\033[0m %s\n' "$*"; }

say "$("$K" --version): $(stat -c %s "$K") bytes, $(file -b "$K" | cut -d, -f1,4)"

# The app: counts its zombies down, starts a daemon that ignores SIGTERM, then waits for SIGTERM.
cat >"$W/app.sh" <<'APP'
echo "app: I am pid $$ in the namespace; PID 1 is $(cat /proc/1/comm)"
i=0; while [ $i -lt 1000 ]; do ( true & ); i=$((i + 1)); done
echo "app: made 1000 orphans (each reparented to PID 1 when its subshell exited)"
zombies() { cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == "Z"' | wc -l; }
n=$(zombies)
while [ "$n" -gt 0 ]; do n=$(zombies); done
echo "app: zombies left in the namespace: $n"
sh -c 'trap "" TERM; exec sleep 1000' &
echo "app: started a daemon (pid $!) that ignores SIGTERM"
trap 'echo "app: got SIGTERM, shutting down cleanly"; exit 0' TERM
echo ready > "$READY"
while :; do sleep 1 & wait $!; done
APP

say "starting: unshare -pf --mount-proc $K --verbose --grace 1 -- sh app.sh"
READY=$W/ready unshare -pf --mount-proc "$K" --verbose --grace 1 -- sh "$W/app.sh" 2>&1 &
NS=$!
deadline=$((SECONDS + 120))
until [ -s "$W/ready" ]; do
  [ $SECONDS -lt $deadline ] || { echo "demo-init: the app never got ready" >&2; exit 1; }
  sleep 0.05
done
init=$(cat /proc/$NS/task/$NS/children | tr -d ' ')
say "sending SIGTERM to kilt-init (host pid $init, PID 1 inside), as ECS does when it stops a task"
kill -TERM "$init"
set +e
wait "$NS"
rc=$?
set -e
NS=
say "kilt-init exited with $rc (the app's status)"
[ "$rc" = 0 ]
