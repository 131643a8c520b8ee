#!/usr/bin/env bash
# The capture's overhead (capture/tracer.*), side by side in one run: each workload untraced, under kilt-run
# with the capture off, under `strace -f --seccomp-bpf -e trace=<the capture's syscall set> -o /dev/null` (the
# physical anchor: the same kernel round trips, text output), and under kilt-run with the capture on (events
# encoded and written to a scap file on /dev/null). Rounds interleaved so load drift hits every mode alike;
# medians; "relative speed" = untraced time / traced time (1.00 = no overhead), as pdig published its numbers.
#
#   bench/capture.sh KILT_RUN WORK_BIN OUT.md
set -euo pipefail
KRUN=$(realpath "$1"); WORK=$(realpath "$2"); OUT=$3
W=$(mktemp -d /tmp/kilt-capture-bench.XXXXXX)
NGINX_PID=""
trap 'pkill -9 -f "nginx -p $W/nginx" 2>/dev/null || true; rm -rf "$W"' EXIT
R=${BENCH_ROUNDS:-5}
: > "$W/empty.cfg"
printf '[capture]\nenabled = true\n' > "$W/capture.cfg"
SET=open,openat,openat2,creat,close,socket,connect,accept,accept4,bind,listen,dup,dup2,dup3,symlink,symlinkat
SET=$SET,link,linkat,unlink,unlinkat,rename,renameat,renameat2,chmod,fchmod,fchmodat,setuid,setgid,setreuid
SET=$SET,setregid,setresuid,setresgid,chdir,fchdir,memfd_create,ptrace,mount,init_module,finit_module,execve,execveat
MODES=(direct krun strace capture)
run_mode() {  # MODE CMD...
  local m=$1; shift
  case $m in
    direct) "$@" ;;
    krun) "$KRUN" --config "$W/empty.cfg" -- "$@" ;;
    strace) strace -f --seccomp-bpf -e trace="$SET" -o /dev/null "$@" ;;
    capture) "$KRUN" --config "$W/empty.cfg" --capture-file /dev/null -- "$@" ;;
  esac
}
now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# paired A B: the median over rounds of A's value / B's in the same round (files of one value
# per round, in round order). Rounds are interleaved, so a round's modes ran under the same load: the median of
# the per-round ratios drifts less than the ratio of the two medians.
paired() { paste "$1" "$2" | awk '{ printf "%.6f\n", $1 / $2 }' | median; }

# workload NAME DESCRIPTION CMD...: R interleaved rounds of every mode; one table row. With REPS=N each
# round runs the command N times and records the time of one run.
ROWS=()
workload() {
  local name=$1 desc=$2; shift 2
  local m i k t0 t1 reps=${REPS:-1}
  for m in "${MODES[@]}"; do : > "$W/$name.$m"; done
  for i in $(seq "$R"); do
    for m in "${MODES[@]}"; do
      t0=$(now)
      for k in $(seq "$reps"); do
        run_mode "$m" "$@" > /dev/null 2>&1 || { echo "bench: $name under $m failed" >&2; exit 1; }
      done
      t1=$(now)
      echo $(( (t1 - t0) / 1000 / reps )) >> "$W/$name.$m"
    done
  done
  local d k s c
  d=$(median < "$W/$name.direct"); k=$(median < "$W/$name.krun"); s=$(median < "$W/$name.strace"); c=$(median < "$W/$name.capture")
  ROWS+=("| $desc | $(awk -v x="$d" 'BEGIN{printf "%.1f", x/1000}') | $(awk -v a="$d" -v b="$k" 'BEGIN{printf "%.2f", a/b}') | $(awk -v a="$d" -v b="$s" 'BEGIN{printf "%.2f", a/b}') | **$(awk -v a="$d" -v b="$c" 'BEGIN{printf "%.2f", a/b}')** | $(paired "$W/$name.strace" "$W/$name.capture" | awk '{printf "%.2f", $1}') |")
  echo "bench: $name: direct ${d} µs, kilt-run ${k}, strace ${s}, capture ${c}" >&2
}

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
workload forkexec "fork/exec-heavy: 2,000 \`sh -c true\`" sh -c 'i=0; while [ $i -lt 2000 ]; do sh -c true; i=$((i + 1)); done'
workload open "open-heavy: 100,000 open + close" "$WORK" open 100000
workload files "create files: 20,000 created, then unlinked (OSBench's Create Files)" "$WORK" files 20000
workload connect "connect-heavy: 5,000 loopback TCP connections" "$WORK" connect 5000
workload cpu "CPU-bound: 300 M rounds, no syscalls" "$WORK" cpu 300000000
# The fixed cost the CPU-bound row pays once: kilt-run's start and exit, and the capture's (its ptrace and
# seccomp probe, the exec stop, the dynamic loader's opens).
REPS=50 workload startup "start-up: a trivial program (\`/bin/true\`), one run" /bin/true
workload threads "create threads: 5,000 (create + join)" "$WORK" threads 5000
workload pipe "untraced syscalls: 200,000 pipe write + read" "$WORK" mixed 200000

# nginx on loopback under wrk: requests per second, each mode R times, interleaved.
NGINX_ROW="| nginx + wrk (loopback, 1 worker, 10 connections, 5 s) | (not measured: nginx or wrk missing) | | | | |"
if command -v nginx >/dev/null && command -v wrk >/dev/null; then
  mkdir -p "$W/nginx/logs"
  echo hello > "$W/nginx/index.html"
  # nginx's workers run as nobody: the page must be readable to them (mktemp -d is 0700), or every answer
  # is a 403 that opens nothing (what an earlier version of this bench measured).
  chmod 755 "$W" "$W/nginx"; chmod 644 "$W/nginx/index.html"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$W/nginx/nginx.conf" <<C
daemon off;
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/nginx/tmp; proxy_temp_path $W/nginx/tmp; fastcgi_temp_path $W/nginx/tmp;
  uwsgi_temp_path $W/nginx/tmp; scgi_temp_path $W/nginx/tmp;
  server { listen 127.0.0.1:$PORT; root $W/nginx; }
}
C
  for m in "${MODES[@]}"; do : > "$W/nginx.$m"; done
  # Each round must measure the nginx of its own mode: the previous one (and its tracer) is gone before the
  # next starts, and the pid file, written once nginx has bound the port, says the new one serves. (A
  # previous version let a slow-to-exit nginx answer the next mode's requests.)
  # (nginx renames its processes: the workers' command lines name no path, so the port tells.)
  nginx_gone() {
    local _
    for _ in $(seq 200); do
      pgrep -f "nginx -p $W/nginx" > /dev/null || [ -n "$(ss -Hltn "sport = :$PORT")" ] || return 0
      sleep 0.05
    done
    echo "bench: nginx of the previous mode did not exit" >&2; exit 1
  }
  # The worker that answers must be traced exactly in the traced modes.
  nginx_check() {  # MODE
    local master worker tracer
    master=$(cat "$W/nginx/nginx.pid"); worker=$(pgrep -P "$master" | head -1)
    tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$worker/status" 2>/dev/null)
    case $1 in direct | krun) [ "$tracer" = 0 ] ;; *) [ -n "$tracer" ] && [ "$tracer" != 0 ] ;; esac ||
      { echo "bench: nginx worker ${worker:-?} under $1 has TracerPid ${tracer:-?}" >&2; exit 1; }
    [ "$(curl -s "http://127.0.0.1:$PORT/")" = hello ] || { echo "bench: nginx under $1 does not serve the page" >&2; exit 1; }
  }
  for i in $(seq "$R"); do
    for m in "${MODES[@]}"; do
      nginx_gone
      rm -f "$W/nginx/nginx.pid"
      run_mode "$m" nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" > /dev/null 2>&1 &
      NGINX_PID=$!
      for _ in $(seq 500); do [ -s "$W/nginx/nginx.pid" ] && curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.02; done
      [ -s "$W/nginx/nginx.pid" ] || { echo "bench: nginx under $m did not start" >&2; exit 1; }
      nginx_check "$m"
      wrk -t1 -c10 -d5s "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ {print int($2)}' >> "$W/nginx.$m"
      # $NGINX_PID is run_mode's subshell: signal nginx itself (a tracer forwards or detaches).
      pkill -TERM -f "nginx -p $W/nginx" 2>/dev/null || true
      wait $NGINX_PID 2>/dev/null || true
      NGINX_PID=""
    done
  done
  nginx_gone
  d=$(median < "$W/nginx.direct"); k=$(median < "$W/nginx.krun"); s=$(median < "$W/nginx.strace"); c=$(median < "$W/nginx.capture")
  NGINX_ROW="| nginx + wrk (loopback, 1 worker, 10 connections, 5 s): requests/s | $d req/s | $(awk -v a="$k" -v b="$d" 'BEGIN{printf "%.2f", a/b}') | $(awk -v a="$s" -v b="$d" 'BEGIN{printf "%.2f", a/b}') | **$(awk -v a="$c" -v b="$d" 'BEGIN{printf "%.2f", a/b}')** | $(paired "$W/nginx.capture" "$W/nginx.strace" | awk '{printf "%.2f", $1}') |"
  echo "bench: nginx: direct $d req/s, kilt-run $k, strace $s, capture $c" >&2
fi
LOAD_END=$(cut -d' ' -f1 /proc/loadavg)

{
  echo "## The capture (kilt-run's tracer) — \`make bench-tracer\`"
  echo
  echo "Each workload untraced, under kilt-run with the capture off, under \`strace -f --seccomp-bpf -e"
  echo "trace=<the capture's syscall set> -o /dev/null\` (same kernel round trips: the physical anchor), and under"
  echo "kilt-run with the capture on (events encoded, written as a scap file to /dev/null). $R rounds, interleaved;"
  echo "medians. Columns 3-5: **relative speed** = untraced time / time in that mode (1.00 = no overhead; pdig"
  echo "published 0.245 create-files, 0.255 launch-programs, 0.495 create-threads, with OSBench on its own machine)."
  echo "Last column: capture vs strace, the median over rounds of strace's time / the capture's in the same round"
  echo "(> 1: the capture is faster). Load average $LOAD_START at the start, $LOAD_END at the end."
  echo
  echo "| workload | untraced (ms) | kilt-run, capture off | strace --seccomp-bpf | kilt capture | capture / strace |"
  echo "|---|---|---|---|---|---|"
  for r in "${ROWS[@]}"; do echo "$r"; done
  echo "$NGINX_ROW"
} > "$OUT"
cat "$OUT"
