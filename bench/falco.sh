#!/usr/bin/env bash
# Benchmark of Falco in a task (the real path of tests/falco/task_lib.sh: kilt-run traces the app, Falco 0.44.1
# reads the capture through libkiltcap.so, its JSON alerts reach the container's stdout through kilt-run);
# writes a markdown section.
#   - alert latency: the syscall's time (the alert's `time`) to the alert line's arrival on the container's
#     stdout, for LATENCY_N reads of /etc/shadow 20 ms apart: median, p99, max;
#   - events per second through the whole pipeline (tracer -> feed -> plugin -> Falco's rule engine): a flood
#     of open+close pairs (2 events each) ended by one read of /etc/shadow, timed from the flood's start to the
#     arrival of that read's alert (events are handled in order, so all of the flood was consumed by then);
#     dropped events (kilt-run's count, Falco's syscall_event_drops) reported beside it;
#   - Falco's memory (VmRSS idle, VmHWM at the end) and CPU (user+sys per phase), sampled from the host.
# BENCH_FALCO_SECONDS (default 20) scales the run; `BENCH_FALCO_SECONDS=2` is a smoke run.
#
# usage: bench/falco.sh FALCO_TREE KILT_RUN KILT_ATTACK OUT.md     (root: runc, ip netns)
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# = 4 ] || { echo "usage: bench/falco.sh FALCO_TREE KILT_RUN KILT_ATTACK OUT.md"; exit 2; }
TREE=$(realpath "$1"); KRUN=$(realpath "$2"); ATTACK=$(realpath "$3"); OUT=$4
[ "$(id -u)" = 0 ] || { echo "bench/falco.sh: needs root (runc, ip netns)"; exit 1; }
S=${BENCH_FALCO_SECONDS:-20}
LATENCY_N=$((S * 25))   # half the run: 25 reads a second
FLOOD_N=$((S * 5000))

. tests/falco/task_lib.sh
task_init kilt-bench-falco
task_network || { echo "bench/falco.sh: the task's network could not be set up"; exit 1; }
{ echo "LATENCY_N=$LATENCY_N FLOOD_N=$FLOOD_N"; cat bench/falco_app.sh; } > "$T/app-src.sh"
task_image "$T/app-src.sh" "$KRUN" "$TREE" "$ATTACK"

# Falco's memory and CPU, sampled every 100 ms from the host while it runs: "time vmrss_kb vmhwm_kb cpu_ticks".
(
  for _ in $(seq 1200); do [ -s "$T/falco.pid" ] && break; sleep 0.1; done
  p=$(cat "$T/falco.pid" 2>/dev/null) || exit 0
  while [ -r "/proc/$p/status" ]; do
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null)
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null)
    cpu=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    [ -n "$cpu" ] && echo "$EPOCHREALTIME $rss $hwm $cpu"
    sleep 0.1
  done
) > "$T/samples" &
SAMPLER=$!
task_run $((120 + S * 10))
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
[ "$RC" = 0 ] || { echo "bench/falco.sh: the task failed ($RC):"; tail -20 "$T/err" "$T/out"; exit 1; }

read -r n med p99 max < <(python3 tests/falco/alerts.py latency "$T/out" "Read sensitive file untrusted")
python3 tests/falco/alerts.py marks "$T/out" > "$T/marks"
mark() { awk -v l="$1" '$1 == l {printf "%.6f\n", $2 / 1e9}' "$T/marks"; }
# The sentinel's alert is the last one of the run (the flood raises none).
sentinel=$(grep '"rule":"Read sensitive file untrusted"' "$T/out" | tail -1 | cut -d' ' -f1)
flood_s=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$(mark flood)" "$sentinel")
events=$((FLOOD_N * 2))
rate=$(python3 -c "import sys; print(int(int(sys.argv[1]) / float(sys.argv[2])))" "$events" "$flood_s")
app_s=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$(mark flood)" "$(mark flood-sentinel)")
kdrops=$(grep -o 'capture: [0-9]* events dropped' "$T/err" | tail -1 | grep -o '[0-9]*' || true)
fdrops=$(grep -o 'event drop detected: [0-9]* occurrences' "$T/out" | tail -1 | grep -o '[0-9]*' || true)
# CPU ticks and memory per phase, from the samples nearest each mark.
at() { awk -v t="$1" '$1 <= t {line = $0} END {print line}' "$T/samples"; }
hz=$(getconf CLK_TCK)
cpu_between() { # FROM TO: Falco's CPU seconds / wall seconds between two times, as a percentage
  python3 -c "import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
print(f'{(int(b[3]) - int(a[3])) / int(sys.argv[3]) / (float(b[0]) - float(a[0])) * 100:.0f}' if a and b and b[0] != a[0] else '?')" \
    "$(at "$1")" "$(at "$2")" "$hz"
}
idle_rss=$(at "$(mark latency)" | awk '{print $2}')
hwm=$(tail -1 "$T/samples" | awk '{print $3}')
# Idle: from the first sample (Falco up, the app maybe not yet) to the start of the reads.
cpu_idle=$(cpu_between "$(head -1 "$T/samples" | cut -d' ' -f1)" "$(mark latency)")
cpu_lat=$(cpu_between "$(mark latency)" "$(mark flood)")
cpu_flood=$(cpu_between "$(mark flood)" "$sentinel")

mkdir -p "$(dirname "$OUT")"
cat > "$OUT" <<MD
## falco

Falco 0.44.1 in a task (\`bench/falco.sh\`, the path of \`tests/falco/task.sh\`: kilt-run traces a busybox app,
Falco reads the capture through libkiltcap.so, alerts reach the container's stdout through kilt-run), runc,
load average $(cut -d' ' -f1 /proc/loadavg) at the end, BENCH_FALCO_SECONDS=$S.

| measure | value |
|---|---|
| alert latency, syscall → alert line on stdout ($n alerts, one read of /etc/shadow every 20 ms) | median $(python3 -c "print(f'{$med * 1000:.1f}')") ms, p99 $(python3 -c "print(f'{$p99 * 1000:.1f}')") ms, max $(python3 -c "print(f'{$max * 1000:.1f}')") ms |
| events through the pipeline (tracer → feed → plugin → rules): $events events (open + close) | $rate events/s ($flood_s s; the app's own loop took $app_s s under the tracer) |
| dropped events: kilt-run's feed / Falco's syscall_event_drops | ${kdrops:-0} / ${fdrops:-0} |
| Falco's memory: VmRSS idle / VmHWM at the end | $((${idle_rss:-0} / 1024)) MiB / $((${hwm:-0} / 1024)) MiB |
| Falco's CPU (one core = 100 %): idle / 25 alerts a second / the flood | $cpu_idle % / $cpu_lat % / $cpu_flood % |

The pipeline's rate is bounded by the tracer (two ptrace stops per open, one per close, on the app's side),
not by Falco: the flood is as fast as the traced app can make it. A rate for Falco alone would need a feed
without a tracer (a FeedServer flood); not measured here.
MD
cat "$OUT"
