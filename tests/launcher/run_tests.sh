#!/usr/bin/env bash
# End-to-end tests of kilt-run: real processes, kilt-run as PID 1 of a fresh PID namespace
# (unshare -pf --mount-proc), and once inside a runc container. Usage: run_tests.sh KILT_RUN HELPER_DIR
set -u
KRUN=$(realpath "$1")
HELPERS=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
T_NAME=launcher
[ "${KILT_TEST_CAPTURE:-0}" = 1 ] && T_NAME=launcher-capture
. "$HERE/../lib/testlib.sh"

use_workdir launcher-test

# wait_for DESCRIPTION COMMAND...: polls COMMAND (generous deadline, not a timing assertion).
wait_for() {
  local d=$1; shift
  for _ in $(seq 1 3000); do "$@" && return 0; sleep 0.02; done
  echo "  (gave up waiting: $d)"; return 1
}
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
# ns CMD...: runs CMD as PID 1 of a new PID namespace.
ns() { unshare -pf --mount-proc "$@"; }

# cfg NAME: the run.cfg on stdin; KILT_TEST_CAPTURE=1 runs every scenario with the app traced (the capture).
cfg() {
  cat > "$W/$1.cfg"
  if [ "${KILT_TEST_CAPTURE:-0}" = 1 ]; then printf '[capture]\nenabled = true\n' >> "$W/$1.cfg"; fi
}
# await NAME: shell code for an app that waits until an agent has created $W/NAME.
await() { echo "while [ ! -e $W/$1 ]; do sleep 0.02; done"; }

# ---------------------------------------------------------------------------------------------------------
echo "# basics: tagging, app output untouched, exit status"
cfg basic <<C
[[agent]]
name = "hello"
path = "/bin/sh"
args = ["-c", "echo agent-line; echo agent-err >&2; printf 'no newline'; touch $W/basic.done"]
restart = "never"
C
out=$(ns "$KRUN" --config "$W/basic.cfg" -- sh -c "echo 'app line as is'; echo 'app stderr' >&2; $(await basic.done); exit 7" 2>"$W/basic.err")
rc=$?
expect_eq "app exit status passes through" 7 "$rc"
expect_contains "app stdout untouched" $'\napp line as is\n' $'\n'"$out"$'\n'
expect_contains "agent stdout tagged" "[hello] agent-line" "$out"
expect_contains "agent stderr tagged onto stdout" "[hello] agent-err" "$out"
expect_contains "partial last line flushed at agent exit" "[hello] no newline" "$out"
check "app stderr stays on stderr" grep -qx "app stderr" "$W/basic.err"
out=$(ns "$KRUN" --config "$W/basic.cfg" -- sh -c 'kill -SEGV $$' 2>/dev/null); rc=$?
expect_eq "app killed by SIGSEGV: 128+11" 139 "$rc"

echo "# argv and environment exactly preserved, PATH lookup"
cfg empty <<'C'
C
args=(-- "" " spaced  out " "'single'" '"double"' $'new\nline' "----" "-x" "--config" '$HOME' '*')
TARGV_OUT="$W/argv.out" PATH="$HELPERS:$PATH" ns "$KRUN" --config "$W/empty.cfg" -- targv "${args[@]}"
rc=$?
expect_eq "argv app exit" 0 "$rc"
printf '%s\0' targv "${args[@]}" > "$W/argv.want"
check "every argument survives exactly (--, empty, spaces, quotes, newline)" cmp -s "$W/argv.want" "$W/argv.out"
TARGV_OUT="$W/argv2.out" PATH="$HELPERS:$PATH" ns "$KRUN" --config "$W/empty.cfg" targv -- a
printf '%s\0' targv -- a > "$W/argv2.want"
check "without a leading --, the app's own -- is kept" cmp -s "$W/argv2.want" "$W/argv2.out"
env -i PATH="$HELPERS:/usr/bin:/bin" KILT_CONFIG="$W/empty.cfg" KILT_OTHER=x "WEIRD=a=b" EMPTY= \
  TARGV_ENV="$W/env.out" unshare -pf --mount-proc "$KRUN" targv
printf '%s\0' "PATH=$HELPERS:/usr/bin:/bin" "KILT_CONFIG=$W/empty.cfg" KILT_OTHER=x "WEIRD=a=b" EMPTY= \
  "TARGV_ENV=$W/env.out" > "$W/env.want"
check "the app's environment is the container's, unchanged (KILT_* kept)" \
  cmp -s <(tr '\0' '\n' < "$W/env.want" | sort) <(tr '\0' '\n' < "$W/env.out" | sort)

exec 7>"$W/fd7"
cfg fds <<C
[[agent]]
name = "fds"
path = "/bin/sh"
args = ["-c", "ls /proc/self/fd/ > $W/agent.fds; touch $W/fds.done"]
C
ns "$KRUN" --config "$W/fds.cfg" -- sh -c "test -e /proc/self/fd/7 && touch $W/app.fd7; $(await fds.done)" 2>/dev/null
exec 7>&-
check "the app inherits the container's extra fds (fd 7)" test -e "$W/app.fd7"
expect_eq "agents get only 0-2 (plus ls's own fd 3)" "0 1 2 3" "$(sort -n "$W/agent.fds" | tr '\n' ' ' | sed 's/ $//')"

echo "# exit codes of kilt-run itself"
ns "$KRUN" --config "$W/empty.cfg" -- /nonexistent/app 2>"$W/e127"; expect_eq "app not found: 127" 127 $?
check "not-found error names the app" has_text "$W/e127" '"/nonexistent/app"'
PATH=/nonexistent ns "$KRUN" --config "$W/empty.cfg" -- targv 2>/dev/null; expect_eq "not in PATH: 127" 127 $?
ns "$KRUN" --config "$W/empty.cfg" -- "$W/empty.cfg" 2>/dev/null; expect_eq "app not executable: 126" 126 $?
"$KRUN" --config "$W/empty.cfg" 2>/dev/null; expect_eq "no app: 125" 125 $?
"$KRUN" --bogus -- true 2>/dev/null; expect_eq "unknown option: 125" 125 $?
"$KRUN" --version | grep -q '^kilt-run '; expect_eq "--version" 0 $?
"$KRUN" --help | grep -q 'usage: kilt-run'; expect_eq "--help" 0 $?

echo "# shutdown order: SIGTERM to the app first, agents keep running until it exits"
cfg term <<C
[shutdown]
agent_grace = "60s"
[[agent]]
name = "watch"
path = "/bin/sh"
args = ["-c", "trap 'echo agent-term >> $W/order; exit 0' TERM; echo \$\$ > $W/agent.pid; while :; do sleep 0.05; done"]
restart = "never"
C
rm -f "$W/order" "$W/agent.pid" "$W/app.up"
unshare -pf --mount-proc "$KRUN" --config "$W/term.cfg" -- sh -c "
  trap 'if kill -0 \$(cat $W/agent.pid); then echo app-term-agent-alive >> $W/order; fi; exit 42' TERM
  touch $W/app.up; while :; do sleep 0.05; done" >/dev/null 2>&1 &
ushare=$!; track $ushare
wait_for "app up" test -f "$W/app.up" -a -s "$W/agent.pid"
krun_pid=$(ps -o pid= --ppid $ushare | tr -d ' '); echo "  (kilt-run is pid $krun_pid)"
kill -TERM "$krun_pid"
wait $ushare; rc=$?
expect_eq "exit status is the app's after SIGTERM" 42 "$rc"
expect_eq "app got SIGTERM while the agent ran, then the agent got SIGTERM" \
  "app-term-agent-alive agent-term" "$(tr '\n' ' ' < "$W/order" | sed 's/ $//')"

rm -f "$W/app.up"
unshare -pf --mount-proc "$KRUN" --config "$W/empty.cfg" -- sh -c "touch $W/app.up; exec sleep 1000" >/dev/null 2>&1 &
ushare=$!; track $ushare
wait_for "app up" test -f "$W/app.up"
krun_pid=$(ps -o pid= --ppid $ushare | tr -d ' '); echo "  (kilt-run is pid $krun_pid)"
kill -TERM "$krun_pid"; wait $ushare; rc=$?
expect_eq "app killed by the forwarded SIGTERM: 143" 143 "$rc"

rm -f "$W/app.up" "$W/usr1"
unshare -pf --mount-proc "$KRUN" --config "$W/empty.cfg" -- sh -c "
  trap 'touch $W/usr1; exit 0' USR1; touch $W/app.up; while :; do sleep 0.05; done" >/dev/null 2>&1 &
ushare=$!; track $ushare
wait_for "app up" test -f "$W/app.up"
krun_pid=$(ps -o pid= --ppid $ushare | tr -d ' ')
kill -USR1 "$krun_pid"; wait $ushare; rc=$?
expect_eq "other signals (SIGUSR1) are forwarded to the app" "0 yes" "$rc $(test -e "$W/usr1" && echo yes)"

cfg gated_term <<'C'
[[agent]]
name = "neverready"
path = "/bin/sh"
args = ["-c", "exec sleep 1000"]
ready = { fd = 3, timeout = "1h" }
C
rm -f "$W/ran"
unshare -pf --mount-proc "$KRUN" --config "$W/gated_term.cfg" -- touch "$W/ran" >/dev/null 2>"$W/gated_term.err" &
ushare=$!; track $ushare
wait_for "agent up" sh -c "ps -o pid= --ppid \$(ps -o pid= --ppid $ushare) | grep -q ."
krun_pid=$(ps -o pid= --ppid $ushare | tr -d ' ')
kill -TERM "$krun_pid"; wait $ushare; rc=$?
expect_eq "SIGTERM while waiting for a readiness gate: 143, app never started" "143 no" \
  "$rc $(test -e "$W/ran" && echo yes || echo no)"

cfg stubborn <<C
[shutdown]
agent_grace = "200ms"
[[agent]]
name = "stubborn"
path = "/bin/sh"
args = ["-c", "trap '' TERM; touch $W/stub.up; while :; do sleep 0.05; done"]
C
ns "$KRUN" --config "$W/stubborn.cfg" -- sh -c "$(await stub.up); exit 5" > "$W/stub.out" 2>"$W/stub.err"; rc=$?
expect_eq "an agent ignoring SIGTERM is SIGKILLed after agent_grace; app status kept" 5 "$rc"
check "the SIGKILL is reported" has_text "$W/stub.err" 'did not exit within 200 ms of SIGTERM: SIGKILL'

echo "# restart with exponential back-off, limit per window, on_failure = continue"
cfg restart <<C
[[agent]]
name = "crashy"
path = "/bin/sh"
args = ["-c", "echo run >> $W/runs; exit 1"]
restart = "on-failure"
backoff_initial = "50ms"
backoff_max = "150ms"
restart_limit = 3
restart_window = "1h"
on_failure = "continue"
C
rm -f "$W/runs"
ns "$KRUN" --config "$W/restart.cfg" -- sh -c "
  for i in \$(seq 3000); do grep -q 'IS OFF' $W/restart.err 2>/dev/null && exit 9; sleep 0.02; done; exit 1" \
  >/dev/null 2>"$W/restart.err"; rc=$?
expect_eq "app kept running after the agent gave up, and its status passed" 9 "$rc"
expect_eq "agent ran 1 + restart_limit times" 4 "$(wc -l < "$W/runs")"
r=$(grep -o 'restart [0-9] in [0-9]* ms' "$W/restart.err" | tr '\n' ',')
expect_eq "back-off doubles up to backoff_max" "restart 1 in 50 ms,restart 2 in 100 ms,restart 3 in 150 ms," "$r"
check "giving up is said loudly" has_text "$W/restart.err" 'MONITORING BY "crashy" IS OFF; the app runs on'

cfg always <<C
[[agent]]
name = "oneshot"
path = "/bin/sh"
args = ["-c", "echo run >> $W/runs2; exit 0"]
restart = "always"
backoff_initial = "10ms"
restart_limit = 2
C
rm -f "$W/runs2"
ns "$KRUN" --config "$W/always.cfg" -- sh -c "
  for i in \$(seq 3000); do grep -q 'IS OFF' $W/always.err 2>/dev/null && exit 0; sleep 0.02; done; exit 1" \
  >/dev/null 2>"$W/always.err"
expect_eq "restart = always restarts clean exits too" 3 "$(wc -l < "$W/runs2")"

echo "# an agent's helpers do not outlive it: its process group ends before the next run"
# Each run first counts the helpers (sleep 1001, told apart from the app's own polling sleeps by their
# argument) in the namespace (the previous run's), then forks 1,000 of them (10 ignoring SIGTERM) and
# exits 1. Before each restart the previous run's group must be gone.
cfg forker <<C
[shutdown]
leftover_grace = "300ms"
[[agent]]
name = "forker"
path = "/bin/sh"
args = ["-c", "grep -lzx '100[1]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l >> $W/forker.before; i=0; while [ \$i -lt 990 ]; do sleep 1001 & i=\$((i+1)); done; i=0; while [ \$i -lt 10 ]; do (trap '' TERM; exec sleep 1001) & i=\$((i+1)); done; exit 1"]
restart = "on-failure"
backoff_initial = "10ms"
restart_limit = 2
C
rm -f "$W/forker.before"
ns "$KRUN" --config "$W/forker.cfg" -- sh -c "
  for i in \$(seq 6000); do grep -q 'IS OFF' $W/forker.err 2>/dev/null && break; sleep 0.02; done
  for i in \$(seq 6000); do [ \$(grep -lzx '100[1]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l) = 0 ] && exit 0; sleep 0.02; done
  exit 1" >/dev/null 2>"$W/forker.err"; rc=$?
expect_eq "each run found no helper of the run before it (3 runs)" "0 0 0" "$(tr '\n' ' ' < "$W/forker.before" | sed 's/ $//')"
expect_eq "after the agent gave up, its last run's 1,000 helpers are gone too, while the app runs" 0 "$rc"
check "helpers ignoring SIGTERM were SIGKILLed after leftover_grace, and it was said" \
  has_text "$W/forker.err" 'processes of its last run ignored SIGTERM for 300 ms: SIGKILL'

echo "# on_failure = stop-app"
cfg stopapp <<'C'
[shutdown]
app_grace = "300ms"
[[agent]]
name = "guard"
path = "/bin/sh"
args = ["-c", "while [ ! -e \"$GO\" ]; do sleep 0.02; done; exit 3"]
restart = "never"
on_failure = "stop-app"
C
rm -f "$W/go" "$W/app.term"
GO="$W/go" ns "$KRUN" --config "$W/stopapp.cfg" -- sh -c "
  trap 'touch $W/app.term; exit 0' TERM; touch $W/go; while :; do sleep 0.05; done" >/dev/null 2>"$W/stopapp.err"
rc=$?
expect_eq "stop-app: kilt-run exits 121" 121 "$rc"
check "stop-app: the app got SIGTERM" test -f "$W/app.term"
check "stop-app is said" has_text "$W/stopapp.err" 'stopping the app (on_failure = "stop-app")'
rm -f "$W/go"
GO="$W/go" ns "$KRUN" --config "$W/stopapp.cfg" -- sh -c "trap '' TERM; touch $W/go; while :; do sleep 0.05; done" \
  >/dev/null 2>"$W/stopapp2.err"
expect_eq "stop-app: an app ignoring SIGTERM is killed after app_grace; exit 121" 121 $?
check "the app's SIGKILL is reported" has_text "$W/stopapp2.err" 'the app did not exit within 300 ms'
cfg missing_agent <<'C'
[[agent]]
name = "ghost"
path = "/nonexistent/agent"
on_failure = "stop-app"
C
rm -f "$W/ran"
ns "$KRUN" --config "$W/missing_agent.cfg" -- touch "$W/ran" 2>"$W/ghost.err"; rc=$?
expect_eq "agent cannot start + stop-app: 121" 121 "$rc"
check "... and the app never started" test ! -e "$W/ran"
check "the error names the binary" has_text "$W/ghost.err" '/nonexistent/agent: exec: No such file or directory'
sed -i 's/stop-app/continue/' "$W/missing_agent.cfg"
ns "$KRUN" --config "$W/missing_agent.cfg" -- touch "$W/ran" 2>"$W/ghost2.err"; rc=$?
expect_eq "agent cannot start + continue: the app runs" 0 "$rc"
check "... it did run" test -e "$W/ran"
check "... and monitoring off is said" has_text "$W/ghost2.err" 'MONITORING BY "ghost" IS OFF'

echo "# readiness gates"
# The agent does some work, leaves a marker, then signals readiness; the app reports whether the marker
# was there when it started. Without a gate the app would start at once.
gate_test() {  # NAME READY_TOML READY_ACTION
  local name=$1 ready=$2 action=$3
  cfg "gate_$name" <<C
[[agent]]
name = "slow"
path = "/bin/sh"
args = ["-c", "for i in \$(seq 25); do sleep 0.01; done; touch $W/marker_$name; $action; exec sleep 1000"]
ready = $ready
C
  rm -f "$W/marker_$name"
  ns "$KRUN" --config "$W/gate_$name.cfg" -- sh -c "test -e $W/marker_$name" 2>"$W/gate_$name.err"
  expect_eq "gate $name: the app started only after the agent was ready" 0 $?
  check "gate $name: readiness logged" has_text "$W/gate_$name.err" 'is ready'
}
gate_test fd '{ fd = 3, timeout = "60s" }' 'echo >&3'
gate_test file "{ file = \"$W/ready_file\", timeout = \"60s\" }" "touch $W/ready_file"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gate_test tcp "{ tcp = \"127.0.0.1:$port\", timeout = \"60s\" }" \
  "exec python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\\\"127.0.0.1\\\",$port)); s.listen(); time.sleep(1000)'"
cfg gate_restart <<C
[[agent]]
name = "renotify"
path = "/bin/sh"
args = ["-c", "echo >&3 || exit 9; echo run >> $W/renotify.runs; exit 1"]
backoff_initial = "10ms"
restart_limit = 2
ready = { fd = 3, timeout = "60s" }
C
rm -f "$W/renotify.runs"
ns "$KRUN" --config "$W/gate_restart.cfg" -- sh -c "
  for i in \$(seq 3000); do grep -q 'IS OFF' $W/gate_restart.err 2>/dev/null && exit 0; sleep 0.02; done; exit 1" \
  2>"$W/gate_restart.err"
expect_eq "restarts after the gate opened still get the notification fd" 3 "$(wc -l < "$W/renotify.runs")"

cfg gate_to <<'C'
[[agent]]
name = "never"
path = "/bin/sh"
args = ["-c", "exec sleep 1000"]
ready = { fd = 3, timeout = "300ms", on_timeout = "start-app" }
C
ns "$KRUN" --config "$W/gate_to.cfg" -- sh -c 'exit 4' 2>"$W/gate_to.err"; rc=$?
expect_eq "gate timeout + start-app: the app ran" 4 "$rc"
check "gate timeout is said" has_text "$W/gate_to.err" 'not ready after 300 ms: starting the app anyway'
sed -i 's/start-app/fail/' "$W/gate_to.cfg"
rm -f "$W/ran"
ns "$KRUN" --config "$W/gate_to.cfg" -- touch "$W/ran" 2>"$W/gate_fail.err"; rc=$?
expect_eq "gate timeout + fail: 121" 121 "$rc"
check "... and the app never started" test ! -e "$W/ran"

echo "# bad configuration: file, line and key; the app still runs unless strict"
bad_cfg() {  # DESCRIPTION CONTENT EXPECTED_ERROR
  printf '%s\n' "$2" > "$W/bad.cfg"
  rm -f "$W/ran"
  ns "$KRUN" --config "$W/bad.cfg" -- sh -c "touch $W/ran; exit 6" 2>"$W/bad.err"; local rc=$?
  expect_eq "bad config ($1): app still runs" 6 "$rc"
  check "bad config ($1): error is '$3'" has_text "$W/bad.err" "$3"
  check "bad config ($1): said loudly" has_text "$W/bad.err" "MONITORING IS OFF"
}
bad_cfg "syntax" $'[[agent]\nname = "x"' "$W/bad.cfg:1:"
bad_cfg "unknown key" $'[[agent]]\nname = "x"\npath = "/a"\nrestrat = "always"' "$W/bad.cfg:4:1: agent[0].restrat: unknown key"
bad_cfg "bad enum" $'[[agent]]\nname = "x"\npath = "/a"\nrestart = "sometimes"' "$W/bad.cfg:4:11: agent \"x\".restart: \"sometimes\" is not one of"
bad_cfg "missing path" $'[[agent]]\nname = "x"' "agent \"x\".path: missing"
bad_cfg "wrong type" $'[log]\nbuffer = "big"' "$W/bad.cfg:2:10: log.buffer: must be an integer"
bad_cfg "bad gate" $'[[agent]]\nname = "x"\npath = "/a"\nready = { fd = 3, file = "/x" }' "ready: needs exactly one of fd, file, tcp"
rm -f "$W/ran"
ns "$KRUN" --config "$W/nonexistent.cfg" -- touch "$W/ran" 2>"$W/bad.err"
check "missing config: app runs" test -e "$W/ran"
check "missing config: named" has_text "$W/bad.err" "$W/nonexistent.cfg: cannot read: No such file or directory"
KILT_CONFIG="$W/nonexistent2.cfg" ns "$KRUN" -- true 2>"$W/bad.err"
check "KILT_CONFIG selects the file" has_text "$W/bad.err" "$W/nonexistent2.cfg: cannot read"
printf 'strict = true\n[[agent]]\nname = "x"\npath = "/a"\nrestrat = 1\n' > "$W/strict.cfg"
rm -f "$W/ran"
ns "$KRUN" --config "$W/strict.cfg" -- touch "$W/ran" 2>"$W/strict.err"; rc=$?
expect_eq "strict = true: invalid config is fatal (125)" 125 "$rc"
check "strict: the app did not run" test ! -e "$W/ran"
check "strict: error still names line and key" has_text "$W/strict.err" "strict.cfg:5:1: agent[0].restrat"
"$KRUN" --strict --config "$W/nonexistent.cfg" -- touch "$W/ran" 2>/dev/null; rc=$?
expect_eq "--strict: missing config is fatal" 125 "$rc"

echo "# JSON log format"
cfg json <<C
[log]
format = "json"
[[agent]]
name = "falco"
path = "/bin/sh"
args = ["-c", "echo '{\"output\":\"alert\",\"priority\":\"Warning\"}'; echo 'plain \"quoted\" text' >&2; touch $W/json.done"]
restart = "never"
C
ns "$KRUN" --config "$W/json.cfg" -- sh -c "$(await json.done)" > "$W/json.out" 2>/dev/null
check "every JSON line parses; objects embedded; stream kept" python3 - "$W/json.out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
objs = [l for l in lines if l["kilt"] == "falco"]
assert {"kilt": "falco", "stream": "stdout", "msg": {"output": "alert", "priority": "Warning"}} in objs, objs
assert {"kilt": "falco", "stream": "stderr", "msg": 'plain "quoted" text'} in objs, objs
PY

echo "# over-long agent lines are split, never dropped"
cfg long <<C
[[agent]]
name = "long"
path = "/bin/sh"
args = ["-c", "head -c 20000 /dev/zero | tr '\\\\0' 'z'; echo; echo after; touch $W/long.done"]
restart = "never"
C
ns "$KRUN" --config "$W/long.cfg" -- sh -c "$(await long.done)" > "$W/long.out" 2>/dev/null
joined=$(sed -n 's/^\[long+\{0,1\}\] //p' "$W/long.out" | head -n -1 | tr -d '\n' | wc -c)
expect_eq "a 20000-byte line arrives whole across split pieces" 20000 "$joined"
check "every physical line is at most PIPE_BUF" awk 'length($0) >= 4096 { exit 1 }' "$W/long.out"
check "the next line follows intact" grep -qx '\[long\] after' "$W/long.out"

echo "# log framing under load: 10 agents x 100,000 lines plus the app, through one pipe"
{
  echo '[log]'; echo 'buffer = 536870912'
  for i in $(seq 0 9); do
    printf '[[agent]]\nname = "w%d"\npath = "%s/tlogwriter"\nargs = ["w%d", "100000", "--both", "--done", "%s/done%d"]\nrestart = "never"\n' \
      "$i" "$HELPERS" "$i" "$W" "$i"
  done
} > "$W/load.cfg"
rm -f "$W"/done*
ns "$KRUN" --config "$W/load.cfg" -- sh -c "
  '$HELPERS/tlogwriter' app 100000 --whole
  for i in 0 1 2 3 4 5 6 7 8 9; do while [ ! -e $W/done\$i ]; do sleep 0.02; done; done" 2>"$W/load.err" \
  | cat > "$W/load.out"
rc=${PIPESTATUS[0]}
expect_eq "load: exit status" 0 "$rc"
check "load: 1,000,000 agent lines + 100,000 app lines, none lost, torn, merged or reordered" \
  awk -v want=100000 '
  function bad(msg) { print "  bad line " NR ": " msg ": " substr($0, 1, 120); errors++; if (errors > 5) exit 1 }
  {
    if ($0 ~ /^\[w[0-9]\] /) { tag = substr($1, 2, 2); $0 = substr($0, 6) ; if ($1 != tag) { bad("tag/id mismatch"); next } }
    else if ($0 ~ /^\[kilt-run\]/) { bad("kilt-run message in stream"); next }
    else if ($1 != "app") { bad("unknown"); next }
    if (NF != 4) { bad("fields"); next }
    id = $1; k = $2 + 0; len = $3 + 0
    if (length($4) != len) { bad("payload length"); next }
    c = substr("abcdefghijklmnopqrstuvwxyz", k % 26 + 1, 1)
    if ($4 != sprintf("%*s", len, "") && gsub(c, c, $4) != len) { bad("payload content"); next }
    s = (id == "app") ? 0 : k % 2
    expect = (id SUBSEP s) in last ? last[id, s] + ((id == "app") ? 1 : 2) : s
    if (k != expect) { bad("sequence: want " expect); next }
    last[id, s] = k; n[id]++
  }
  END {
    if (errors) exit 1
    for (i = 0; i < 10; i++) if (n["w" i] != want) { print "  w" i ": " n["w" i] " lines"; exit 1 }
    if (n["app"] != want) { print "  app: " n["app"] " lines"; exit 1 }
  }' "$W/load.out"

echo "# stdout blocked: agent output is bounded, dropped lines counted and reported; agents never block"
cfg flood <<C
[log]
buffer = 8192
[[agent]]
name = "flood"
path = "$HELPERS/tlogwriter"
args = ["f", "20000", "--done", "$W/flood.done"]
restart = "never"
C
rm -f "$W/flood.done"
ns "$KRUN" --config "$W/flood.cfg" -- sh -c "while [ ! -e $W/flood.done ]; do sleep 0.02; done; exit 3" \
  2>"$W/flood.err" | { while [ ! -e "$W/flood.done" ]; do sleep 0.02; done; cat > "$W/flood.out"; }
rc=${PIPESTATUS[0]}
expect_eq "flood: app status passes" 3 "$rc"
kept=$(grep -c '^\[flood\] f ' "$W/flood.out")
dropped=$(grep -o 'dropped [0-9]* lines' "$W/flood.out" | awk '{ s += $2 } END { print s + 0 }')
check "flood: lines were dropped while stdout was blocked (kept $kept)" test "$dropped" -gt 0
expect_eq "flood: kept + reported dropped = written" 20000 $((kept + dropped))
check "flood: the total is reported on stderr too" has_text "$W/flood.err" "lines ("

echo "# not PID 1 (ECS InitProcessEnabled): subreaper reaps and ends orphans"
rm -f "$W/orphan.pid"
unshare -pf --mount-proc sh -c "'$KRUN' --config '$W/empty.cfg' -- sh -c '(sleep 1000 & echo \$! > $W/orphan.pid); exit 8'; echo rc=\$?
  if kill -0 \$(cat $W/orphan.pid); then echo orphan-alive; else echo orphan-gone; fi" > "$W/sub.out" 2>&1
check "as PID 2: the app's status passes, and kilt-run returned although an orphan was left" has_text "$W/sub.out" "rc=8"
check "the orphan was ended by kilt-run (subreaper), not by the namespace's end" has_text "$W/sub.out" "orphan-gone"

echo "# --check"
cfg checkcfg <<C
[[agent]]
name = "ok"
path = "/bin/sh"
[[agent]]
name = "missing"
path = "/nonexistent/agent"
C
"$KRUN" --check --config "$W/checkcfg.cfg" > "$W/check.out"; rc=$?
expect_eq "--check fails when something is missing" 1 "$rc"
check "--check: config ok" grep -q '^ok   config .* parses (2 agents)' "$W/check.out"
check "--check: present agent ok" grep -q '^ok   agent "ok": /bin/sh is present and executable' "$W/check.out"
check "--check: missing agent named" grep -q '^FAIL agent "missing": /nonexistent/agent' "$W/check.out"
check "--check: ptrace line" grep -q 'ptrace' "$W/check.out"
check "--check: payload read-only line" grep -q 'payload directory' "$W/check.out"
check "--check: subreaper outside a namespace" grep -q 'child subreaper' "$W/check.out"
ns "$KRUN" --check --config "$W/checkcfg.cfg" | grep -q '^ok   running as PID 1'
expect_eq "--check as PID 1" 0 $?

echo "# in a real OCI container (runc, busybox rootfs, /kilt read-only): PID 1 is the container's own"
if command -v runc >/dev/null && [ -x /bin/busybox ]; then
  B="$W/bundle"; mkdir -p "$B/rootfs/bin" "$B/kilt"
  cp /bin/busybox "$B/rootfs/bin/"
  for a in sh echo sleep cat touch test kill seq tr grep; do ln -s busybox "$B/rootfs/bin/$a"; done
  cp "$KRUN" "$B/kilt/run"; cp "$HELPERS/targv" "$B/kilt/targv"
  cat > "$B/kilt/run.cfg" <<'C'
[[agent]]
name = "agent"
path = "/bin/sh"
args = ["-c", "trap 'echo agent-term; exit 0' TERM; echo agent pid $$; echo >&3; while :; do sleep 0.05; done"]
ready = { fd = 3, timeout = "30s" }
C
  if [ "${KILT_TEST_CAPTURE:-0}" = 1 ]; then printf '[capture]\nenabled = true\n' >> "$B/kilt/run.cfg"; fi
  (cd "$B" && runc spec)
  jq --arg kilt "$B/kilt" '.process.terminal = false | .root.readonly = false
     | .process.args = ["/kilt/run", "--", "/bin/sh", "-c", "echo app pid1=$(cat /proc/1/comm); /kilt/run --check; exit 11"]
     | .mounts += [{"destination": "/kilt", "type": "bind", "source": $kilt, "options": ["rbind", "ro"]}]' \
     "$B/config.json" > "$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
  cid="kilt-launcher-test-$$"
  (cd "$B" && runc run "$cid") > "$W/runc.out" 2>"$W/runc.err"; rc=$?
  runc delete -f "$cid" 2>/dev/null
  expect_eq "runc: the app's exit status is the container's" 11 "$rc"
  check "runc: kilt-run is the container's PID 1" grep -qx 'app pid1=run' "$W/runc.out"
  check "runc: the agent ran, tagged" grep -q '^\[agent\] agent pid [0-9]*$' "$W/runc.out"
  check "runc: readiness through the notification fd" has_text "$W/runc.err" 'agent "agent" is ready (notification fd 3)'
  check "runc: agent got SIGTERM after the app exited" grep -q '^\[agent\] agent-term$' "$W/runc.out"
  check "runc: --check inside passes (config, agent, ptrace, /kilt read-only, reaping)" \
    grep -qx 'PASSED: 0 checks failed' "$W/runc.out"
  check "runc: --check saw /kilt read-only" grep -q '^ok   payload directory /kilt is mounted read-only' "$W/runc.out"
else
  fail "runc or /bin/busybox missing (make deps)"
fi

summary
