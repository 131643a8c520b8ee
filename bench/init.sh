#!/usr/bin/env bash
# Benchmarks kilt-init side by side with Debian's tini, tini-static and dumb-init, in one run, and prints a
# markdown section (make bench-init writes it to build/bench/init.md; make bench collects it).
#
#   bench/init.sh KILT_INIT HELPER_DIR
#
# - binary size (tini is dynamically linked: its size leaves libc out);
# - start-up overhead: `INIT /bin/true` minus `/bin/true`, medians over RUNS rounds. Each round runs every
#   command once, in a rotating order (posix_spawn + waitpid, timed with a monotonic clock), so load drift on
#   this shared machine hits all commands alike — hyperfine runs one command's batch after another, which
#   made the ratios swing by 2x between runs here. The init is not PID 1 (tini gets -s so that, like the
#   others, it registers as subreaper instead of warning). On a loaded machine the wall-clock median is
#   mostly scheduling delay, so the CPU time (user+sys of the init and its child, from wait4's rusage)
#   is reported beside it: that is the cost the init itself adds, whatever the load;
# - zombie storm: as PID 1 of a fresh PID namespace, the time from 1,000 orphaned zombies appearing at once
#   until the init has reaped the last one (tests/init/zombiebench.c), median of several runs;
# - peak RSS (VmHWM) of the init, read after that storm.
# Ratios are to tini-static (lower is better for every row).
set -euo pipefail
K=$(realpath "$1")
H=$(realpath "$2")
RUNS=${INIT_BENCH_RUNS:-300}
STORMS=${INIT_BENCH_STORMS:-15}
W=$(mktemp -d /tmp/kilt-init-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

[ "$(id -u)" = 0 ] || { echo "bench-init: needs root (unshare -p)" >&2; exit 1; }
for t in /usr/bin/tini /usr/bin/tini-static /usr/bin/dumb-init python3; do
  command -v "$t" >/dev/null || { echo "bench-init: $t missing; run 'make deps'" >&2; exit 1; }
done

NAMES=(kilt-init tini-static tini dumb-init)
declare -A BIN=([kilt-init]=$K [tini-static]=/usr/bin/tini-static [tini]=/usr/bin/tini [dumb-init]=/usr/bin/dumb-init)
# How each runs a program when it is not PID 1 (start-up), and as PID 1 (storm).
declare -A CMD=([kilt-init]="$K" [tini-static]="/usr/bin/tini-static -s --" [tini]="/usr/bin/tini -s --"
                [dumb-init]="/usr/bin/dumb-init")
declare -A PID1_CMD=([kilt-init]="$K" [tini-static]="/usr/bin/tini-static --" [tini]="/usr/bin/tini --"
                     [dumb-init]="/usr/bin/dumb-init")

# Start-up, interleaved: one line per command, "NAME WALL_MEDIAN WALL_MIN CPU_MEDIAN" (seconds).
for n in "${NAMES[@]}"; do echo "$n ${CMD[$n]} /bin/true"; done >"$W/startup.cmds"
python3 - "$W/startup.cmds" "$RUNS" >"$W/startup" <<'PY'
import os, statistics, sys, time
cmds = [("true", ["/bin/true"])]
for line in open(sys.argv[1]):
    name, *argv = line.split()
    cmds.append((name, argv))
runs, warmup = int(sys.argv[2]), 20
devnull = os.open(os.devnull, os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)]
times = {name: [] for name, _ in cmds}
for r in range(warmup + runs):
    for i in range(len(cmds)):
        name, argv = cmds[(r + i) % len(cmds)]  # rotate the order every round
        t0 = time.monotonic_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
        _, st, ru = os.wait4(pid, 0)
        t1 = time.monotonic_ns()
        if st != 0:
            sys.exit(f"bench-init: {' '.join(argv)} failed (status {st})")
        if r >= warmup:
            times[name].append(((t1 - t0) / 1e9, ru.ru_utime + ru.ru_stime))
for name, _ in cmds:
    wall = [w for w, _ in times[name]]
    print(name, statistics.median(wall), min(wall), statistics.median(c for _, c in times[name]))
PY

# Storms: round-robin over the inits so drift in machine load hits them alike.
for ((i = 0; i < STORMS; i++)); do
  for n in "${NAMES[@]}"; do
    # shellcheck disable=SC2086 # PID1_CMD holds a command and its options
    unshare -pf --mount-proc ${PID1_CMD[$n]} "$H/zombiebench" 1000 >>"$W/storm.$n" ||
      { echo "bench-init: zombie storm under $n failed" >&2; exit 1; }
  done
done

for n in "${NAMES[@]}"; do echo "$n $(stat -L -c %s "${BIN[$n]}") $(file -L "${BIN[$n]}" | grep -q 'statically linked' && echo static || echo dynamic)"; done >"$W/sizes"

python3 - "$W" "$RUNS" "$STORMS" "${NAMES[@]}" <<'EOF'
import statistics, sys
w, runs, storms, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
sizes = {}
for line in open(f"{w}/sizes"):
    n, size, kind = line.split()
    sizes[n] = (int(size), kind)
st = {n: [float(x) for x in rest] for n, *rest in (l.split() for l in open(f"{w}/startup"))}
true_median = st["true"][0]
startup = {n: st[n][0] - st["true"][0] for n in names}   # wall-clock median
startup_min = {n: st[n][1] - st["true"][1] for n in names}
startup_cpu = {n: st[n][2] - st["true"][2] for n in names}
reap, hwm = {}, {}
for n in names:
    rows = [dict(kv.split("=") for kv in l.split()) for l in open(f"{w}/storm.{n}")]
    reap[n] = statistics.median(int(r["reap_us"]) for r in rows) / 1000.0
    hwm[n] = statistics.median(int(r["init_hwm_kb"]) for r in rows)
ref = "tini-static"

def ratio(d, n):
    return f"{d[n] / d[ref]:.2f}" if d[ref] > 0 else "n/a"

print("## kilt-init vs tini, tini-static, dumb-init")
print()
print(f"Start-up overhead is the median of {runs} runs of `INIT /bin/true` minus that of `/bin/true` "
      f"({true_median * 1e3:.3f} ms here), all commands interleaved round by round; the machine's load "
      f"average was {open('/proc/loadavg').read().split()[0]} on {__import__('os').cpu_count()} cores, so the wall-clock "
      f"figure is mostly scheduling delay. CPU overhead is the same difference for the median CPU time "
      f"(user+sys of the init and /bin/true), which load does not inflate; the best-case wall-clock "
      f"overhead (minimum minus minimum) is in parentheses. The zombie storm is, with the init as PID 1 of a fresh "
      f"PID namespace, the time from 1,000 orphaned zombies appearing at once until the last is reaped; "
      f"peak RSS is the init's VmHWM after that storm; medians of {storms} storms. "
      f"Ratios are to tini-static; lower is better.")
print()
print("| init | binary size | ratio | start-up overhead, wall (best) | ratio | start-up overhead, CPU | ratio "
      "| reap 1,000 zombies | ratio | peak RSS | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
size_d = {n: sizes[n][0] for n in names}
for n in names:
    size, kind = sizes[n]
    note = "" if kind == "static" else " (dynamic: libc not counted)"
    print(f"| {n} | {size / 1024:.1f} KiB{note} | {ratio(size_d, n)} "
          f"| {startup[n] * 1e3:.3f} ms ({startup_min[n] * 1e3:.3f}) | {ratio(startup, n)} "
          f"| {startup_cpu[n] * 1e3:.3f} ms | {ratio(startup_cpu, n)} "
          f"| {reap[n]:.2f} ms | {ratio(reap, n)} | {hwm[n]:.0f} KiB | {ratio(hwm, n)} |")
print()
k = "kilt-init"
verdict = []
verdict.append(f"static binary {size_d[k] / 1024:.1f} KiB (target <= 100 KiB: {'met' if size_d[k] <= 100 * 1024 else 'MISSED'})")
verdict.append(f"peak RSS {ratio(hwm, k)}x tini-static's (target <= 1: {'met' if hwm[k] <= hwm[ref] else 'MISSED'})")
verdict.append(f"start-up overhead {ratio(startup_cpu, k)}x tini-static's in CPU time (target <= 1: "
               f"{'met' if startup_cpu[k] <= startup_cpu[ref] else 'MISSED'}), {ratio(startup, k)}x in wall-clock "
               f"median ({'met' if startup[k] <= startup[ref] else 'missed in this run; see the load note'})")
print("Targets: " + "; ".join(verdict) + ".")
EOF
