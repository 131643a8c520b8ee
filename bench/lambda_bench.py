#!/usr/bin/env python3
"""Benchmarks a custom-runtime bootstrap against a stub Lambda Runtime API on 127.0.0.1.

usage: lambda_bench.py BOOTSTRAP SMALL_EVENT BIG_EVENT [ENV=VALUE...]
Prints one JSON object: cold-start times (spawn -> first GET next, ms), per-invocation times for the
small and the big event (event sent -> response received, ms, measured at the server), peak RSS (KiB).
"""
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time

COLD_RUNS = 25
WARMUP = 3
SMALL_RUNS = 30
BIG_RUNS = 10


class Api:
    def __init__(self):
        self.events = queue.Queue()     # bytes to hand out, or None = answer 500 (the bootstrap exits)
        self.results = queue.Queue()    # (latency_ns, response body)
        self.first_next = queue.Queue()  # time of each GET next
        self.sent_at = {}
        self.seq = 0
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                api.first_next.put(time.monotonic_ns())
                ev = api.events.get()
                if ev is None:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                api.seq += 1
                rid = "bench-%d" % api.seq
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
                self.send_header("Content-Length", str(len(ev)))
                self.end_headers()
                api.sent_at[rid] = time.monotonic_ns()
                self.wfile.write(ev)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.monotonic_ns()
                rid = self.path.split("/")[-2]
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
                # Latency counts from the first byte of the event sent to the whole response read.
                self.server_api.results.put((now - api.sent_at.get(rid, now), body))

        Handler.server_api = self
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def spawn(bootstrap, api, env):
    e = dict(os.environ)
    e.update(env)
    e["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:%d" % api.port
    t0 = time.monotonic_ns()
    p = subprocess.Popen([bootstrap], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p, t0


def peak_rss_kib(pid):
    # VmHWM of the live process: wait4's ru_maxrss would include the Python parent's RSS at fork
    # (Linux carries the old mm's high-water mark across exec).
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def finish(p, api):
    # The bootstrap is blocked in GET next (the Runtime API answered every response), so reading
    # its status now sees the high-water mark of all the work done.
    rss = peak_rss_kib(p.pid)
    api.events.put(None)
    os.waitpid(p.pid, 0)
    return rss


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main():
    bootstrap, small_file, big_file = sys.argv[1:4]
    env = dict(a.split("=", 1) for a in sys.argv[4:])
    small = open(small_file, "rb").read()
    big = open(big_file, "rb").read()
    api = Api()

    cold = []
    for _ in range(COLD_RUNS):
        p, t0 = spawn(bootstrap, api, env)
        cold.append((api.first_next.get(timeout=60) - t0) / 1e6)
        finish(p, api)

    p, _ = spawn(bootstrap, api, env)

    def run(ev, n):
        out = []
        for _ in range(n):
            api.events.put(ev)
            lat, body = api.results.get(timeout=120)
            out.append(lat / 1e6)
            if b'"status":"failure"' in body:
                raise SystemExit("bench: the macro failed: " + body[:300].decode(errors="replace"))
        return out

    run(small, WARMUP)
    small_ms = run(small, SMALL_RUNS)
    big_ms = run(big, BIG_RUNS)
    rss = finish(p, api)
    print(json.dumps({
        "cold_ms": median(cold),
        "small_ms": median(small_ms),
        "big_ms": median(big_ms),
        "peak_rss_kib": rss,
        "small_bytes": len(small),
        "big_bytes": len(big),
    }))


main()
