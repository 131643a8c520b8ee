#!/usr/bin/env bash
# bench-webhook: kilt-webhook answering AdmissionReviews for a typical pod, over TLS on loopback, side by
# side with nginx serving the webhook's own answer as a static file over TLS on the same machine (the
# practical ceiling). Writes build/bench/webhook.md. KILT_WEBHOOK=PATH benches another build.
#
# Two runs of wrk, for two questions, each against both servers, interleaved, median of BENCH_RUNS:
#
#  - Saturation (capacity): wrk -t2 -c16 as fast as the servers answer. Gives requests/s (target: at
#    least 0.5 of nginx's) and server CPU per request. Its p50/p99 are reported but say little about
#    admission: wrk's two threads and the server's threads share the machine's 2 cores, all runnable,
#    so a request's latency is mostly its wait for a CPU (16 requests queue for 2 cores).
#
#  - Admission load (latency, the p99 ≤ 5 ms target): what the apiserver does. It calls the webhook once
#    per pod creation, over a few keep-alive connections, so even a fast scale-up means a handful of
#    concurrent calls far below a replica's capacity. wrk -t1 -c4, each connection waiting
#    BENCH_THINK_MS (10 ms) after an answer before its next request (wrk's delay()): at most 400
#    reviews/s, a few percent of the saturated rate, with calls overlapping now and then. wrk takes the
#    latency from sending a request to its answer (the think time is not counted). No CPU pinning: at
#    this load the cores are mostly idle, so client and server do not preempt each other, and a
#    deployment does not pin either; what still disturbs the tail is the other load on the shared
#    machine, which is why both servers are measured in the same run and the load average is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench/webhook.md
DURATION=${BENCH_DURATION:-6s}
CONNS=${BENCH_CONNECTIONS:-16}
LAT_DURATION=${BENCH_LAT_DURATION:-10s}
LAT_CONNS=${BENCH_LAT_CONNECTIONS:-4}
THINK_MS=${BENCH_THINK_MS:-10}
RUNS=${BENCH_RUNS:-5}
TMP=$(mktemp -d /tmp/kilt-bench-webhook.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p build/bench
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" -days 2 -subj /CN=bench \
  -addext subjectAltName=IP:127.0.0.1 2>/dev/null

# A typical pod: two containers with commands, env, probes, resources, volumes (about 2 KiB).
cat > "$TMP/review.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"bench-1",
"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
"namespace":"shop","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"generateName":"frontend-7d9c8-",
"labels":{"app":"frontend","pod-template-hash":"7d9c8"},"annotations":{"prometheus.io/scrape":"true"}},
"spec":{"serviceAccountName":"frontend","securityContext":{"fsGroup":1000,"runAsNonRoot":true,"runAsUser":1000},
"containers":[{"name":"server","image":"gcr.io/google-samples/microservices-demo/frontend:v0.10.1",
"command":["/src/server"],"args":["--port=8080"],"ports":[{"containerPort":8080}],
"readinessProbe":{"initialDelaySeconds":10,"httpGet":{"path":"/_healthz","port":8080}},
"livenessProbe":{"initialDelaySeconds":10,"httpGet":{"path":"/_healthz","port":8080}},
"env":[{"name":"PORT","value":"8080"},{"name":"PRODUCT_CATALOG_SERVICE_ADDR","value":"productcatalogservice:3550"},
{"name":"CURRENCY_SERVICE_ADDR","value":"currencyservice:7000"},{"name":"CART_SERVICE_ADDR","value":"cartservice:7070"},
{"name":"ENABLE_PROFILER","value":"0"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}},
"volumeMounts":[{"name":"cache","mountPath":"/cache"}]},
{"name":"proxy","image":"envoyproxy/envoy:v1.28.0","command":["envoy","-c","/etc/envoy/envoy.yaml"],
"ports":[{"containerPort":9901}],"resources":{"requests":{"cpu":"50m","memory":"32Mi"}},
"volumeMounts":[{"name":"envoy","mountPath":"/etc/envoy"}]}],
"volumes":[{"name":"cache","emptyDir":{}},{"name":"envoy","configMap":{"name":"envoy"}}]}}}}
JSON
jq -c . "$TMP/review.json" > "$TMP/body.json"

"${KILT_WEBHOOK:-build/bin/kilt-webhook}" --cert "$TMP/tls.crt" --key "$TMP/tls.key" --kilt-image registry.example/kilt:1 \
  --listen 127.0.0.1:0 --port-file "$TMP/port" 2> "$TMP/webhook.log" &
WEBHOOK_PID=$!
PIDS+=($WEBHOOK_PID)
for _ in $(seq 600); do [ -s "$TMP/port" ] && break; sleep 0.05; done
WPORT=$(cat "$TMP/port")
mkdir -p "$TMP/www"
curl -sk --data-binary @"$TMP/body.json" "https://127.0.0.1:$WPORT/mutate" > "$TMP/www/answer.json"
jq -e '.response.patchType == "JSONPatch"' "$TMP/www/answer.json" > /dev/null || { echo "bench-webhook: no patch in the answer" >&2; exit 1; }

# nginx with its own configuration in a temp dir (not the system service). Its workers run as an
# unprivileged user: they must be able to read the file.
chmod 755 "$TMP" "$TMP/www"; chmod 644 "$TMP/www/answer.json"
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$TMP/nginx/logs"
cat > "$TMP/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $TMP/nginx/body; proxy_temp_path $TMP/nginx/proxy; fastcgi_temp_path $TMP/nginx/fcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi; scgi_temp_path $TMP/nginx/scgi;
  # Like the webhook, keep every connection for the whole run (nginx's default closes one after 1000
  # requests, and the new TLS handshake would count against nginx).
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NPORT ssl;
    ssl_certificate $TMP/tls.crt;
    ssl_certificate_key $TMP/tls.key;
    root $TMP/www;
    location / { try_files /answer.json =404; }
  }
}
CONF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
PIDS+=($NGINX_PID)
for _ in $(seq 600); do curl -sk "https://127.0.0.1:$NPORT/" > /dev/null 2>&1 && break; sleep 0.05; done

# wrk scripts: kilt POSTs the review, nginx GETs the file; the admission-load runs add the think time;
# every run prints one line from done(): requests, non-2xx answers, socket errors, p50 and p99 in µs.
{ echo 'local f = io.open("'"$TMP"'/body.json", "rb")'
  echo 'wrk.method = "POST"'
  echo 'wrk.body = f:read("*all")'
  echo 'f:close()'; } > "$TMP/post.lua"
cat > "$TMP/done.lua" <<'LUA'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("kilt-bench %d %d %d %.0f %.0f\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
LUA
echo "function delay() return $THINK_MS end" > "$TMP/think.lua"
cat "$TMP/post.lua" "$TMP/done.lua" > "$TMP/kilt-sat.lua"
cat "$TMP/post.lua" "$TMP/done.lua" "$TMP/think.lua" > "$TMP/kilt-lat.lua"
cp "$TMP/done.lua" "$TMP/nginx-sat.lua"
cat "$TMP/done.lua" "$TMP/think.lua" > "$TMP/nginx-lat.lua"

# cpu_ns PID...: CPU time (ns) used so far by these processes' threads, from the scheduler's own
# accounting (schedstat). Not the clock-tick counts of /proc/PID/stat: at the admission load a server
# runs in short bursts woken by wrk's timers, and tick sampling then over- or under-counts it.
cpu_ns() { local p; for p in "$@"; do cat /proc/"$p"/task/*/schedstat; done | awk '{ t += $1 } END { printf "%.0f\n", t }'; }
# run_wrk "PIDS" SCRIPT URL WRK_ARGS...: prints "rps p50_ms p99_ms cpu_us_per_request" (server CPU: a
# figure less at the mercy of the other load on the machine than the rate).
run_wrk() {
  local pids=$1 script=$2 url=$3; shift 3
  local before; before=$(cpu_ns $pids)
  wrk "$@" --latency -s "$script" "$url" > "$TMP/wrk.out"
  local ns=$(( $(cpu_ns $pids) - before ))
  awk -v ns="$ns" '
    /Requests\/sec/ { rps = $2 }
    $1 == "kilt-bench" { n = $2; bad = $3; err = $4; p50 = $5 / 1000; p99 = $6 / 1000 }
    END { if (n == 0) { print "no requests answered" > "/dev/stderr"; exit 1 }
          if (bad > 0 || err > 0) { print "non-2xx answers: " bad ", socket errors: " err > "/dev/stderr"; exit 1 }
          printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, ns / 1000 / n }' "$TMP/wrk.out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
col() { cut -d' ' -f"$2" "$TMP/$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

KURL="https://127.0.0.1:$WPORT/mutate"; NURL="https://127.0.0.1:$NPORT/"
NPIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
SAT=(-t2 -c"$CONNS" -d"$DURATION"); LAT=(-t1 -c"$LAT_CONNS" -d"$LAT_DURATION")
: > "$TMP/kilt-sat"; : > "$TMP/nginx-sat"; : > "$TMP/kilt-lat"; : > "$TMP/nginx-lat"
for _ in $(seq "$RUNS"); do
  run_wrk "$WEBHOOK_PID" "$TMP/kilt-sat.lua" "$KURL" "${SAT[@]}" >> "$TMP/kilt-sat"
  run_wrk "$NPIDS" "$TMP/nginx-sat.lua" "$NURL" "${SAT[@]}" >> "$TMP/nginx-sat"
  run_wrk "$WEBHOOK_PID" "$TMP/kilt-lat.lua" "$KURL" "${LAT[@]}" >> "$TMP/kilt-lat"
  run_wrk "$NPIDS" "$TMP/nginx-lat.lua" "$NURL" "${LAT[@]}" >> "$TMP/nginx-lat"
done

# row NAME FILE NGINX_FILE: one table row, medians and ratios to nginx's medians.
row() {
  local rps p50 p99 cpu nrps np50 np99 ncpu
  rps=$(col "$2" 1); p50=$(col "$2" 2); p99=$(col "$2" 3); cpu=$(col "$2" 4)
  nrps=$(col "$3" 1); np50=$(col "$3" 2); np99=$(col "$3" 3); ncpu=$(col "$3" 4)
  echo "| $1 | $rps | $p50 | $p99 | $cpu | $(ratio "$rps" "$nrps") | $(ratio "$p50" "$np50") | $(ratio "$p99" "$np99") | $(ratio "$cpu" "$ncpu") |"
}
runs() { tr '\n' ';' < "$TMP/$1"; }
size=$(wc -c < "$TMP/body.json"); asize=$(wc -c < "$TMP/www/answer.json")
HEAD="| server | requests/s | p50 (ms) | p99 (ms) | server CPU µs/request | requests/s ÷ nginx | p50 ÷ nginx | p99 ÷ nginx | CPU/request ÷ nginx |"
{
  echo "## Admission webhook (kilt-webhook) vs nginx static JSON over TLS"
  echo
  echo "kilt-webhook: POST /mutate with a $size-byte AdmissionReview of a 2-container pod (parse, patch in place,"
  echo "changes as a JSON Patch, base64: a $asize-byte answer). nginx: GET of that answer as a static file over TLS (the ceiling). wrk on"
  echo "loopback, keep-alive connections, same machine ($(nproc) cores, shared), runs interleaved, medians of $RUNS."
  echo
  echo "**Admission load** (latency): $LAT_CONNS connections, 1 wrk thread, each connection waits $THINK_MS ms after an"
  echo "answer before its next request (≤ $((LAT_CONNS * 1000 / THINK_MS)) requests/s: the apiserver calls the webhook once per pod"
  echo "creation, a handful of calls at a time), $LAT_DURATION per run. This is the latency a cluster sees."
  echo
  echo "$HEAD"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  row "kilt-webhook" kilt-lat nginx-lat
  row "nginx (static JSON)" nginx-lat nginx-lat
  echo
  echo "**Saturation** (capacity): $CONNS connections, 2 wrk threads, no think time, $DURATION per run. Client and"
  echo "servers share the $(nproc) cores with every thread runnable, so p50/p99 here are mostly run-queue waits."
  echo
  echo "$HEAD"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  row "kilt-webhook" kilt-sat nginx-sat
  row "nginx (static JSON)" nginx-sat nginx-sat
  echo
  echo "Server CPU: CPU time of the server's threads during the run (schedstat) ÷ requests answered. At the"
  echo "admission load every request finds cold caches (the machine runs other work in between), so both"
  echo "servers use several times their saturated CPU per request."
  echo "Load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "(other work on the shared machine inflates both servers' p99)."
  echo
  echo "Targets (issue 7): ≥ 0.50 of nginx's rate (saturation), p99 ≤ 5 ms. Runs (rps p50 p99 cpu):"
  echo "admission load: kilt $(runs kilt-lat) nginx $(runs nginx-lat)"
  echo "saturation: kilt $(runs kilt-sat) nginx $(runs nginx-sat)"
} > "$OUT"
cat "$OUT"
