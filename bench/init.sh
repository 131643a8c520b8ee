#!/usr/bin/env bash
# Benchmarks kilt-init side by side with Debian's tini, tini-static and dumb-init, in one run, and prints a
# markdown section (make bench-init writes it to build/bench/init.md; make bench collects it).
#
#   bench/init.sh KILT_INIT HELPER_DIR
#
# - binary size (tini is dynamically linked: its size leaves libc out);
# - start-up overhead: `INIT /bin/true` minus `/bin/true`, medians of hyperfine runs (-N: no shell), with
#   the init not PID 1 (tini gets -s so that, like the others, it registers as subreaper instead of warning);
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
for t in /usr/bin/tini /usr/bin/tini-static /usr/bin/dumb-init hyperfine; do
  command -v "$t" >/dev/null || { echo "bench-init: $t missing; run 'make deps'" >&2; exit 1; }
done

NAMES=(kilt-init tini-static tini dumb-init)
declare -A BIN=([kilt-init]=$K [tini-static]=/usr/bin/tini-static [tini]=/usr/bin/tini [dumb-init]=/usr/bin/dumb-init)
# How each runs a program when it is not PID 1 (start-up), and as PID 1 (storm).
declare -A CMD=([kilt-init]="$K" [tini-static]="/usr/bin/tini-static -s --" [tini]="/usr/bin/tini -s --"
                [dumb-init]="/usr/bin/dumb-init")
declare -A PID1_CMD=([kilt-init]="$K" [tini-static]="/usr/bin/tini-static --" [tini]="/usr/bin/tini --"
                     [dumb-init]="/usr/bin/dumb-init")

# Start-up: one hyperfine run over all commands, interleaving nothing but sharing the same machine state.
cmds=(/bin/true)
for n in "${NAMES[@]}"; do cmds+=("${CMD[$n]} /bin/true"); done
hyperfine -N --style none --warmup 20 --runs "$RUNS" --export-json "$W/startup.json" "${cmds[@]}" >/dev/null 2>&1

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
import json, statistics, sys
w, runs, storms, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
sizes = {}
for line in open(f"{w}/sizes"):
    n, size, kind = line.split()
    sizes[n] = (int(size), kind)
results = json.load(open(f"{w}/startup.json"))["results"]
true_median = results[0]["median"]
startup = {n: r["median"] - true_median for n, r in zip(names, results[1:])}
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
      f"({true_median * 1e3:.3f} ms here), hyperfine -N. The zombie storm is, with the init as PID 1 of a fresh "
      f"PID namespace, the time from 1,000 orphaned zombies appearing at once until the last is reaped; "
      f"peak RSS is the init's VmHWM after that storm; medians of {storms} storms. "
      f"Ratios are to tini-static; lower is better.")
print()
print("| init | binary size | ratio | start-up overhead | ratio | reap 1,000 zombies | ratio | peak RSS | ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
size_d = {n: sizes[n][0] for n in names}
for n in names:
    size, kind = sizes[n]
    note = "" if kind == "static" else " (dynamic: libc not counted)"
    print(f"| {n} | {size / 1024:.1f} KiB{note} | {ratio(size_d, n)} | {startup[n] * 1e3:.3f} ms | {ratio(startup, n)} "
          f"| {reap[n]:.2f} ms | {ratio(reap, n)} | {hwm[n]:.0f} KiB | {ratio(hwm, n)} |")
print()
k = "kilt-init"
verdict = []
verdict.append(f"static binary {size_d[k] / 1024:.1f} KiB (target <= 100 KiB: {'met' if size_d[k] <= 100 * 1024 else 'MISSED'})")
verdict.append(f"peak RSS {ratio(hwm, k)}x tini-static's (target <= 1: {'met' if hwm[k] <= hwm[ref] else 'MISSED'})")
verdict.append(f"start-up overhead {ratio(startup, k)}x tini-static's (target <= 1: "
               f"{'met' if startup[k] <= startup[ref] else 'MISSED (within noise if close to 1)'})")
print("Targets: " + "; ".join(verdict) + ".")
EOF
