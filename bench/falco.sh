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
#   - Falco's memory (VmRSS idle, VmHWM at the end) and CPU (user+sys per phase), sampled from the host;
#   - events per second Falco alone consumes, without drops: FALCO_FLOOD (bench/falco_flood.cc) serves a flood
#     on the capture's feed (no tracer) to Falco in a container, ended by one event that raises an alert.
# BENCH_FALCO_SECONDS (default 20) scales the run; `BENCH_FALCO_SECONDS=2` is a smoke run.
#
# usage: bench/falco.sh FALCO_TREE KILT_RUN KILT_ATTACK FALCO_FLOOD OUT.md     (root: runc, ip netns)
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# = 5 ] || { echo "usage: bench/falco.sh FALCO_TREE KILT_RUN KILT_ATTACK FALCO_FLOOD OUT.md"; exit 2; }
TREE=$(realpath "$1"); KRUN=$(realpath "$2"); ATTACK=$(realpath "$3"); FLOOD=$(realpath "$4"); OUT=$5
[ "$(id -u)" = 0 ] || { echo "bench/falco.sh: needs root (runc, ip netns)"; exit 1; }
S=${BENCH_FALCO_SECONDS:-20}
LATENCY_N=$((S * 25))   # half the run: 25 reads a second
FLOOD_N=$((S * 5000))
ALONE_N=$((S * 50000))  # Falco alone: open + close pairs

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

# ---- Falco alone: the flood on the feed, no tracer ----------------------------------------------------------
# Falco in a container of its own (the tree at /kilt/falco, the shipped falco.yaml through start), sharing the
# host's network namespace so that it reaches the flood's abstract socket.
ADDR=@kilt-bench-flood-$$
FB=$T/flood-bundle
mkdir -p "$FB" "$T/flood-root"
(cd "$FB" && runc spec)
jq --arg root "$T/flood-root" --arg tree "$TREE" --arg sock "KILT_CAPTURE_SOCKET=$ADDR" \
   '.process.args = ["/kilt/falco/start"] | .process.terminal = false | .process.env = [$sock]
   | .root = {path: $root, readonly: false} | .linux.namespaces |= map(select(.type != "network"))
   | .mounts += [{destination: "/kilt/falco", type: "bind", source: $tree, options: ["rbind", "ro"]}]' \
   < "$FB/config.json" > "$FB/config.new" && mv "$FB/config.new" "$FB/config.json"
timeout -k 5 $((150 + S * 10)) "$FLOOD" "$ADDR" "$ALONE_N" > "$T/flood.out" 2> "$T/flood.err" &
FLOODER=$!
timeout -k 5 $((150 + S * 10)) runc --root "$RUNC_ROOT" run --bundle "$FB" "$ID-alone" < /dev/null 2> "$T/alone.err" |
  while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done > "$T/alone.out" &
ALONE=$!
for _ in $(seq $((1200 + S * 100))); do
  grep -q '"rule":"Read sensitive file untrusted"' "$T/alone.out" && break
  kill -0 "$ALONE" 2>/dev/null || break
  sleep 0.1
done
runc --root "$RUNC_ROOT" kill "$ID-alone" TERM 2>/dev/null
wait "$ALONE"
runc --root "$RUNC_ROOT" delete -f "$ID-alone" >/dev/null 2>&1
wait "$FLOODER"
alone_end=$(grep '"rule":"Read sensitive file untrusted"' "$T/alone.out" | head -1 | cut -d' ' -f1)
alone_start=$(awk '$1 == "start" {printf "%.6f\n", $2 / 1e9}' "$T/flood.out")
alone_rate='not measured (see the run'"'"'s logs)'
if [ -n "$alone_end" ] && [ -n "$alone_start" ]; then
  alone_rate=$(python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'{int(int(sys.argv[3]) / s)} events/s ({s:.3f} s)')" \
    "$alone_start" "$alone_end" $((ALONE_N * 2)))
fi
alone_drops=$(grep -o 'event drop detected: [0-9]* occurrences' "$T/alone.err" | tail -1 | grep -o '[0-9]*' || true)

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
| events Falco alone consumes from the feed (no tracer): $((ALONE_N * 2)) events (open + close), Falco's syscall_event_drops | $alone_rate, ${alone_drops:-?} drops |
| Falco's memory: VmRSS idle / VmHWM at the end | $((${idle_rss:-0} / 1024)) MiB / $((${hwm:-0} / 1024)) MiB |
| Falco's CPU (one core = 100 %): idle / 25 alerts a second / the flood | $cpu_idle % / $cpu_lat % / $cpu_flood % |

The pipeline's rate is bounded by the tracer (two ptrace stops per open, one per close, on the app's side):
compare it with the rate of Falco alone, fed by \`bench/falco_flood.cc\` on the same feed and plugin; that flood
never drops (it pushes only while the feed's buffer has room), so Falco's rate is how fast it consumes.
MD
cat "$OUT"
