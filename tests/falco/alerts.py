"""Reads the stdout of a task run by tests/falco/task_lib.sh (each line prefixed with the time it arrived) and
reports on Falco's alerts in it: kilt-run's JSON lines {"kilt":"falco","stream":"stdout","msg":{...alert...}}.

  alerts.py scenarios OUT     one TSV line per scenario of the app (`kilt-attack mark LABEL` lines): LABEL, the
                              rules raised by syscalls in its time window (sorted, comma-separated, "-" for
                              none), the worst latency (s), the number of alert lines that were not one tagged
                              JSON object, and proc.name of its first alert; then a line "before-the-app".
  alerts.py latency OUT RULE  the latency (arrival on stdout - the syscall's time, in s) of every alert of RULE:
                              "N MEDIAN P99 MAX".
  alerts.py marks OUT         "LABEL NS" per mark, in order (the app's own clock, CLOCK_REALTIME).
"""
import datetime
import json
import sys


def read(path):
    """Returns (marks, alerts, bad): marks [(seconds, label)], alerts [(event s, arrival s, alert)]."""
    marks, alerts, bad = [], [], 0
    for line in open(path, encoding="utf-8", errors="replace"):
        arrived, _, text = line.rstrip("\n").partition(" ")
        if text.startswith("kilt-scenario "):
            _, label, ns = text.split(" ")
            marks.append((int(ns) / 1e9, label))
            continue
        if '"rule"' not in text:
            continue
        try:
            o = json.loads(text)
            a = o["msg"]
            assert o["kilt"] == "falco" and o["stream"] == "stdout" and isinstance(a, dict) and a["rule"]
        except Exception:
            bad += 1
            continue
        t = a["time"]  # 2026-12-06T10:00:00.123456789Z
        sec = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
        sec = sec.replace(tzinfo=datetime.timezone.utc).timestamp()
        alerts.append((sec + float("0." + t[20:-1]), float(arrived), a))
    marks.sort()
    return marks, alerts, bad


def scenarios(path):
    marks, alerts, bad = read(path)
    for i, (start, label) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else float("inf")
        mine = [x for x in alerts if start <= x[0] < end]
        rules = ",".join(sorted({x[2]["rule"] for x in mine})) or "-"
        late = max([x[1] - x[0] for x in mine], default=0)
        first = mine[0][2]["output_fields"].get("proc.name", "") if mine else ""
        print(f"{label}\t{rules}\t{late:.3f}\t{bad}\t{first}")
    early = [x for x in alerts if not marks or x[0] < marks[0][0]]
    print(f"before-the-app\t{','.join(sorted({x[2]['rule'] for x in early})) or '-'}\t0\t{bad}\t")


def latency(path, rule):
    _, alerts, _ = read(path)
    lat = sorted(x[1] - x[0] for x in alerts if x[2]["rule"] == rule)
    if not lat:
        print("0 0 0 0")
        return
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"{len(lat)} {pick(0.5):.4f} {pick(0.99):.4f} {lat[-1]:.4f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "scenarios":
        scenarios(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "marks":
        for s, label in read(sys.argv[2])[0]:
            print(label, int(s * 1e9))
    else:
        sys.exit(__doc__)
