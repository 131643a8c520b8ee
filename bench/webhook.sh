#!/usr/bin/env bash
# bench-webhook: AdmissionReview requests/s and p50/p99 latency of kilt-webhook for a typical pod, with
# wrk over TLS on loopback, side by side with nginx serving a static JSON file (the webhook's own
# answer) over TLS on the same machine: the practical ceiling. Three runs each, medians reported.
# Writes build/bench/webhook.md. KILT_WEBHOOK=PATH benches another build (e.g. an older commit).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/bench/webhook.md
DURATION=${BENCH_DURATION:-8s}
CONNS=${BENCH_CONNECTIONS:-16}
RUNS=${BENCH_RUNS:-3}
TMP=$(mktemp -d /tmp/kilt-bench-webhook.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
mkdir -p build/bench

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

cat > "$TMP/post.lua" <<LUA
local f = io.open("$TMP/body.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
LUA

# cpu_ticks PID...: user+system clock ticks used so far by these processes and their threads.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$t"; }
# run_wrk "PIDS" URL [SCRIPT]: prints "rps p50_ms p99_ms cpu_us_per_request" (server CPU: a figure
# less at the mercy of the other load on the machine than the rate).
run_wrk() {
  local pids=$1; shift
  local args=(-t2 -c"$CONNS" -d"$DURATION" --latency)
  [ $# -gt 1 ] && args+=(-s "$2")
  local before; before=$(cpu_ticks $pids)
  wrk "${args[@]}" "$1" > "$TMP/wrk.out"
  local ticks=$(( $(cpu_ticks $pids) - before ))
  awk -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    / requests in / { n = $1 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }
          printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, ticks * 1e6 / hz / n }' "$TMP/wrk.out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: > "$TMP/kilt"; : > "$TMP/nginx.txt"
for _ in $(seq "$RUNS"); do
  run_wrk "$WEBHOOK_PID" "https://127.0.0.1:$WPORT/mutate" "$TMP/post.lua" >> "$TMP/kilt"
  run_wrk "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')" "https://127.0.0.1:$NPORT/" >> "$TMP/nginx.txt"
done
k_rps=$(cut -d' ' -f1 "$TMP/kilt" | median); k_p50=$(cut -d' ' -f2 "$TMP/kilt" | median); k_p99=$(cut -d' ' -f3 "$TMP/kilt" | median)
n_rps=$(cut -d' ' -f1 "$TMP/nginx.txt" | median); n_p50=$(cut -d' ' -f2 "$TMP/nginx.txt" | median); n_p99=$(cut -d' ' -f3 "$TMP/nginx.txt" | median)
k_cpu=$(cut -d' ' -f4 "$TMP/kilt" | median); n_cpu=$(cut -d' ' -f4 "$TMP/nginx.txt" | median)
cpur=$(awk -v a="$k_cpu" -v b="$n_cpu" 'BEGIN { printf "%.2f", a / b }')
ratio=$(awk -v a="$k_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", a / b }')
p50r=$(awk -v a="$k_p50" -v b="$n_p50" 'BEGIN { printf "%.2f", a / b }')
p99r=$(awk -v a="$k_p99" -v b="$n_p99" 'BEGIN { printf "%.2f", a / b }')
size=$(wc -c < "$TMP/body.json"); asize=$(wc -c < "$TMP/www/answer.json")
{
  echo "## Admission webhook (kilt-webhook) vs nginx static JSON over TLS"
  echo
  echo "wrk, $CONNS keep-alive connections, 2 threads, $DURATION per run, median of $RUNS runs, loopback, same machine"
  echo "($(nproc) cores, shared). kilt-webhook: POST /mutate with a $size-byte AdmissionReview of a 2-container pod"
  echo "(parse, patch, diff, base64: a $asize-byte answer). nginx: GET of that answer as a static file (the ceiling)."
  echo
  echo "| server | requests/s | p50 (ms) | p99 (ms) | server CPU µs/request | requests/s ÷ nginx | p50 ÷ nginx | p99 ÷ nginx | CPU/request ÷ nginx |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  echo "| kilt-webhook | $k_rps | $k_p50 | $k_p99 | $k_cpu | $ratio | $p50r | $p99r | $cpur |"
  echo "| nginx (static JSON) | $n_rps | $n_p50 | $n_p99 | $n_cpu | 1.00 | 1.00 | 1.00 | 1.00 |"
  echo
  echo "Server CPU: user + system time of the server's processes during the run ÷ requests served."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates p99 for both)."
  echo
  echo "Targets (issue 7): ≥ 0.50 of nginx's rate, p99 ≤ 5 ms. Runs (rps p50 p99 cpu): kilt $(tr '\n' ';' < "$TMP/kilt") nginx $(tr '\n' ';' < "$TMP/nginx.txt")"
} > "$OUT"
cat "$OUT"
