#!/usr/bin/env bash
# End to end: build/bin/kilt-webhook over TLS with kubectl as the client (Go's certificate checks, as
# the apiserver's), its JSON patches applied by kubectl (the apiserver's JSON-patch library) and by
# npm fast-json-patch (strict RFC 6902), patched pods typed-decoded by kubectl; every pod template of
# the Kubernetes corpus; reinvocation; policies; abusive requests; certificate rotation under load;
# graceful shutdown with a request in flight.
set -u
cd "$(dirname "$0")/../.."
T_NAME=webhook-e2e
. tests/lib/testlib.sh

WEBHOOK=$PWD/build/bin/kilt-webhook
RAW="python3 $PWD/tests/webhook/rawclient.py"
CORPUS=${KILT_CORPUS:-../shared/corpus}
export KUBECONFIG=/dev/null
use_workdir webhook-e2e
TMP=$W

# --- PKI: a CA and serving certificates with the SAN Go requires -------------------------------------
echo "  [$SECONDS s] PKI"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.crt" -days 2 \
  -subj /CN=kilt-e2e-ca 2>/dev/null
CA=$TMP/ca.crt
# make_cert DIR: key + certificate for 127.0.0.1 in DIR/tls.key, DIR/tls.crt
make_cert() {
  mkdir -p "$1"
  openssl req -newkey rsa:2048 -nodes -keyout "$1/tls.key" -out "$1/tls.csr" -subj /CN=kilt-webhook 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:kilt-webhook.kilt-system.svc\n' > "$1/ext"
  openssl x509 -req -in "$1/tls.csr" -CA "$CA" -CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
    -extfile "$1/ext" -out "$1/tls.crt" 2>/dev/null
}
make_cert "$TMP/serving"

# start_webhook NAME ARGS...: starts an instance on a free port; sets PORT and PID.
start_webhook() {
  local name=$1; shift
  rm -f "$TMP/$name.port"
  "$WEBHOOK" --listen 127.0.0.1:0 --port-file "$TMP/$name.port" "$@" 2> "$TMP/$name.log" &
  PID=$!
  track "$PID"
  local deadline=$((SECONDS + 60))
  while [ ! -s "$TMP/$name.port" ]; do
    if ! kill -0 "$PID" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
      echo "webhook $name did not start:"; cat "$TMP/$name.log"; return 1
    fi
    sleep 0.05  # polling for the port file, with a deadline (not a synchronisation sleep)
  done
  PORT=$(cat "$TMP/$name.port")
}

# review PORT FILE: the AdmissionReview response for the review in FILE, via kubectl.
review() {
  kubectl create --raw /mutate -f "$2" --server="https://127.0.0.1:$1" --certificate-authority="$CA" \
    --token=x </dev/null 2>&1
}
get_raw() {
  kubectl get --raw "$2" --server="https://127.0.0.1:$1" --certificate-authority="$CA" --token=x 2>&1
}
# review_for NAMESPACE POD_JSON_FILE [OPERATION]: an AdmissionReview wrapping the pod.
review_for() {
  jq -c --arg ns "$1" --arg op "${3:-CREATE}" '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
    request: {uid: "uid-1", kind: {group: "", version: "v1", kind: "Pod"},
              resource: {group: "", version: "v1", resource: "pods"}, namespace: $ns, operation: $op,
              object: .}}' "$2"
}
patch_of() { jq -r '.response.patch // empty' | base64 -d; }
jqe() { jq -e "$@" >/dev/null; }

# --- Every pod template of the corpus ----------------------------------------------------------------
echo "  [$SECONDS s] Every pod template of the corpus"
node tests/webhook/corpus_reviews.js "$CORPUS/k8s" "$TMP/corpus" kilt.example/kilt:1.0 >/dev/null
start_webhook corpus --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" \
  --recipe "$TMP/corpus/recipe.toml" --namespace kilt-system
P_CORPUS=$PORT
ids=()
for rv in "$TMP"/corpus/*.review.json; do
  id=$(basename "$rv" .review.json); ids+=("$id")
  d="$TMP/out/$id"; mkdir -p "$d"
  review "$P_CORPUS" "$rv" > "$d/resp.json"
  patch_of < "$d/resp.json" > "$d/patch.json"
  kubectl patch --local -f "$TMP/corpus/$id.pod.json" --type=json --patch-file="$d/patch.json" -o json \
    > "$d/patched.json" 2> "$d/patch.err" || echo '{"spec":{"containers":[]}}' > "$d/patched.json"
  review_for apps "$d/patched.json" > "$d/again.review.json"
  review "$P_CORPUS" "$d/again.review.json" > "$d/again.json"
done
# Typed decode (kubectl set env --local), all pods in one kubectl run. A corpus pod whose original
# does not decode (numbers as env values in one file) is left out, and said so.
mkdir -p "$TMP/orig" "$TMP/dec"
cp "$TMP"/corpus/*.pod.json "$TMP/orig/"
while ! kubectl set env --local -f "$TMP/orig/" KILT_E2E_DUMMY=1 -o json > /dev/null 2> "$TMP/orig.err"; do
  bad=$(grep -o 'unable to decode "[^"]*"' "$TMP/orig.err" | head -1 | sed 's/.*"\(.*\)"/\1/')
  [ -n "$bad" ] && [ -f "$bad" ] || { fail "typed decode of the corpus: $(cat "$TMP/orig.err")"; break; }
  rm "$bad"; touch "$TMP/out/$(basename "$bad" .pod.json)/original-undecodable"
done
for f in "$TMP"/orig/*.pod.json; do cp "$TMP/out/$(basename "$f" .pod.json)/patched.json" "$TMP/dec/$(basename "$f")"; done
kubectl set env --local -f "$TMP/dec/" KILT_E2E_DUMMY=1 -o json > "$TMP/decoded.json" 2> "$TMP/dec.err" \
  || fail "typed decode of the patched pods: $(cat "$TMP/dec.err")"
node tests/webhook/check_corpus.js "$TMP/corpus" "$TMP/out" "$TMP/decoded.json" "${ids[@]}" > "$TMP/check.out"
grep FAIL "$TMP/check.out" | while read -r line; do echo "  FAIL $T_NAME: corpus $line"; done
grep 'corpus data' "$TMP/check.out" | sed 's/^/  note: /'
expect_eq "corpus: every pod template patched, applied by kubectl = fast-json-patch, typed-decoded, Docker's rule, reinvocation adds nothing" \
  "${#ids[@]} 36" "$(grep -c '^ok' "$TMP/check.out") ${#ids[@]}"

# A pod in the webhook's own namespace is never touched.
first_pod=$(ls "$TMP"/corpus/*.pod.json | head -1)
review_for kilt-system "$first_pod" > "$TMP/own.json"
resp=$(review "$P_CORPUS" "$TMP/own.json")
expect_eq "own namespace: allowed without a patch" "true:" "$(jq -r '"\(.response.allowed):\(.response.patch // "")"' <<<"$resp")"
# Only CREATE is patched (container commands are immutable on UPDATE).
review_for apps "$first_pod" UPDATE > "$TMP/update.json"
resp=$(review "$P_CORPUS" "$TMP/update.json")
expect_eq "UPDATE: allowed without a patch" "true:" "$(jq -r '"\(.response.allowed):\(.response.patch // "")"' <<<"$resp")"
# Opt-out annotation.
jq '.metadata.annotations["kilt.io/inject"] = "false"' "$first_pod" > "$TMP/optout.pod.json"
review_for apps "$TMP/optout.pod.json" > "$TMP/optout.json"
resp=$(review "$P_CORPUS" "$TMP/optout.json")
expect_eq "kilt.io/inject=false: allowed without a patch" "true:" "$(jq -r '"\(.response.allowed):\(.response.patch // "")"' <<<"$resp")"

# EKS Fargate pod: patched, no capabilities, annotated with the reason.
cat > "$TMP/fargate.pod.json" <<'EOF'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "web-", "labels": {"eks.amazonaws.com/fargate-profile": "fp-default"}},
 "spec": {"schedulerName": "fargate-scheduler", "containers": [{"name": "web", "image": "nginx:1.25", "command": ["nginx", "-g", "daemon off;"]}]}}
EOF
review_for apps "$TMP/fargate.pod.json" > "$TMP/fargate.json"
review "$P_CORPUS" "$TMP/fargate.json" | patch_of > "$TMP/fargate.patch"
kubectl patch --local -f "$TMP/fargate.pod.json" --type=json --patch-file="$TMP/fargate.patch" -o json > "$TMP/fargate.out.json" 2>&1
check "EKS Fargate pod: wrapped, no capabilities added, reason annotated" jqe \
  '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].securityContext == null
   and (.metadata.annotations["kilt.io/capabilities"] | test("Fargate"))' "$TMP/fargate.out.json"
# A regular pod gets the recipe's capability.
jq 'del(.metadata.labels) | del(.spec.schedulerName)' "$TMP/fargate.pod.json" > "$TMP/ec2.pod.json"
review_for apps "$TMP/ec2.pod.json" > "$TMP/ec2.json"
review "$P_CORPUS" "$TMP/ec2.json" | patch_of > "$TMP/ec2.patch"
kubectl patch --local -f "$TMP/ec2.pod.json" --type=json --patch-file="$TMP/ec2.patch" -o json > "$TMP/ec2.out.json" 2>&1
check "regular pod: SYS_PTRACE added" jqe '.spec.containers[0].securityContext.capabilities.add == ["SYS_PTRACE"]' "$TMP/ec2.out.json"

# --- Failure policy: an image whose ENTRYPOINT/CMD nobody knows --------------------------------------
echo "  [$SECONDS s] Failure policy"
cat > "$TMP/unknown.pod.json" <<'EOF'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "mystery"},
 "spec": {"containers": [{"name": "app", "image": "private.example/mystery:7"}]}}
EOF
review_for apps "$TMP/unknown.pod.json" > "$TMP/unknown.json"
start_webhook closed --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 --failure-policy closed
P_CLOSED=$PORT
resp=$(review "$P_CLOSED" "$TMP/unknown.json")
expect_eq "fail-closed: pod denied" false "$(jq -r .response.allowed <<<"$resp")"
expect_contains "fail-closed: the reason names pod, container and image" "apps/mystery/app: image private.example/mystery:7" \
  "$(jq -r .response.status.message <<<"$resp")"
start_webhook open --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1
P_OPEN=$PORT
resp=$(review "$P_OPEN" "$TMP/unknown.json")
expect_eq "fail-open: pod admitted unpatched" "true:" "$(jq -r '"\(.response.allowed):\(.response.patch // "")"' <<<"$resp")"
expect_contains "fail-open: a warning says why" "private.example/mystery:7" "$(jq -r '.response.warnings[]?' <<<"$resp")"
# A pod the patcher must refuse (a user mount at /kilt): denied when closed, warned when open.
jq '.spec.containers[0] += {command: ["run"], volumeMounts: [{name: "v", mountPath: "/kilt"}]} | .spec.volumes = [{name: "v", emptyDir: {}}]' \
  "$TMP/unknown.pod.json" > "$TMP/conflict.pod.json"
review_for apps "$TMP/conflict.pod.json" > "$TMP/conflict.json"
expect_eq "fail-closed: conflicting /kilt mount denied" false "$(review "$P_CLOSED" "$TMP/conflict.json" | jq -r .response.allowed)"
expect_contains "fail-open: conflicting /kilt mount admitted with a warning" "/kilt" \
  "$(review "$P_OPEN" "$TMP/conflict.json" | jq -r '.response.warnings[]?')"

# A user's init container named kilt-init: a conflict per the failure policy, never a pod without /kilt.
jq '.spec.initContainers = [{name: "kilt-init", image: "busybox", command: ["true"]}] | .spec.containers[0].command = ["run"]' \
  "$TMP/unknown.pod.json" > "$TMP/userinit.pod.json"
review_for apps "$TMP/userinit.pod.json" > "$TMP/userinit.json"
resp=$(review "$P_CLOSED" "$TMP/userinit.json")
expect_eq "fail-closed: a user's kilt-init denies the pod" false "$(jq -r .response.allowed <<<"$resp")"
expect_contains "... saying it is not Kilt's copier" "not Kilt's payload copier" "$(jq -r .response.status.message <<<"$resp")"
resp=$(review "$P_OPEN" "$TMP/userinit.json")
expect_eq "fail-open: a user's kilt-init admits the pod unpatched" "true:" "$(jq -r '"\(.response.allowed):\(.response.patch // "")"' <<<"$resp")"
expect_contains "... with a warning" "not Kilt's payload copier" "$(jq -r '.response.warnings[]?' <<<"$resp")"
# A pod with 12,000 containers (~700 KB): refused per the failure policy, at once.
python3 -c 'import json; print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "absurd"},
  "spec": {"containers": [{"name": "c%d" % i, "image": "x", "command": ["run"]} for i in range(12000)]}}))' > "$TMP/absurd.pod.json"
review_for apps "$TMP/absurd.pod.json" > "$TMP/absurd.json"
expect_contains "fail-closed: 12,000 containers are refused with the reason" "the pod has 12000 containers" \
  "$(review "$P_CLOSED" "$TMP/absurd.json" | jq -r .response.status.message)"
expect_contains "fail-open: 12,000 containers are admitted unpatched with a warning" "the pod has 12000 containers" \
  "$(review "$P_OPEN" "$TMP/absurd.json" | jq -r '.response.warnings[]?')"

# --- Health, readiness, metrics ----------------------------------------------------------------------
echo "  [$SECONDS s] Health, readiness, metrics"
expect_eq "/healthz" ok "$(get_raw "$P_CORPUS" /healthz)"
expect_eq "/readyz" ok "$(get_raw "$P_CORPUS" /readyz)"
metrics=$(get_raw "$P_CORPUS" /metrics)
expect_contains "/metrics counts patched pods" 'kilt_webhook_admission_requests_total{result="patched"} 38' "$metrics"
expect_contains "/metrics has the latency histogram" 'kilt_webhook_admission_duration_seconds_bucket{le="+Inf"}' "$metrics"
check "logs are JSON lines without pod env values" bash -c \
  "jq -e . '$TMP/corpus.log' >/dev/null && ! grep -q 'GET_HOSTS_FROM\\|entry-of-image' '$TMP/corpus.log'"

# --- Abusive requests: 4xx or a timeout, never a crash -----------------------------------------------
echo "  [$SECONDS s] Abusive requests"
start_webhook abuse --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 \
  --request-timeout-ms 3000
P_ABUSE=$PORT; PID_ABUSE=$PID
printf 'POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"a": [1,' > "$TMP/trunc-json"
printf 'NOT HTTP AT ALL\r\n\r\n' > "$TMP/garbage"
printf 'POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: 21\r\n\r\n{"kind":"Deployment"}' > "$TMP/not-review"
printf 'GET /nope HTTP/1.1\r\nHost: x\r\n\r\n' > "$TMP/notfound"
printf 'GET /mutate HTTP/1.1\r\nHost: x\r\n\r\n' > "$TMP/getmutate"
expect_eq "malformed: truncated JSON body → 400" "status 400" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/trunc-json")"
expect_eq "malformed: not HTTP → 400" "status 400" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/garbage")"
expect_eq "malformed: JSON that is no AdmissionReview → 400" "status 400" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/not-review")"
# ~400 KB: an AdmissionReview with 200,000 nested '[' under a key the webhook never reads.
python3 -c 'import sys; body = b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"x\":" + b"[" * 200000 + b"]" * 200000 + b"}"
sys.stdout.buffer.write(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)' > "$TMP/deep"
expect_eq "malformed: a review nested 200,000 levels deep → 400, not a crash" "status 400" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/deep")"
expect_contains "... logged as nested too deeply" 'nested too deeply (more than 128 levels)' "$(grep bad_request "$TMP/abuse.log")"
expect_eq "unknown path → 404" "status 404" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/notfound")"
expect_eq "GET /mutate → 405" "status 405" "$($RAW raw "$P_ABUSE" "$CA" "$TMP/getmutate")"
expect_eq "10 MiB body with Content-Length → 413" "status 413" "$($RAW big "$P_ABUSE" "$CA" 10485760)"
expect_eq "10 MiB chunked body → 413" "status 413" "$($RAW bigchunked "$P_ABUSE" "$CA" 10485760)"
expect_eq "truncated request, client gone" closed "$($RAW truncated "$P_ABUSE" "$CA")"
expect_eq "plain HTTP on the TLS port is dropped" closed "$($RAW plain "$P_ABUSE" "$CA")"
expect_eq "slow drip → 408 after the request timeout" "status 408" "$($RAW drip "$P_ABUSE" "$CA")"
check "still alive after the abuse" kill -0 "$PID_ABUSE"
resp=$(review "$P_ABUSE" "$TMP/ec2.json")
expect_eq "still serving after the abuse" true "$(jq -r .response.allowed <<<"$resp")"

# --- Slow and silent clients, the connection cap, the descriptor limit: never a stall ---------------
echo "  [$SECONDS s] Slow and silent clients"
ABUSERS="python3 $PWD/tests/webhook/abusers.py"
# abusers NAME MODE PORT N: starts tests/webhook/abusers.py as a coprocess-like pair of fifos; waits
# until its connections are made. Talk to it with `ask NAME COMMAND`.
abusers() {
  mkfifo "$TMP/$1.in" "$TMP/$1.out"
  $ABUSERS "$2" "$3" "$CA" "$4" < "$TMP/$1.in" > "$TMP/$1.out" &
  track $!
  exec {fd}>"$TMP/$1.in"; eval "ABUSE_IN_$1=$fd"
  exec {fd}<"$TMP/$1.out"; eval "ABUSE_OUT_$1=$fd"
  local line; read -r -t 120 line <&"$(eval echo \$ABUSE_OUT_$1)"; [ "$line" = ready ] || echo "abusers $1: $line"
}
ask() { local in out line; in=$(eval echo \$ABUSE_IN_$1); out=$(eval echo \$ABUSE_OUT_$1)
  echo "$2" >&"$in"; read -r -t 300 line <&"$out"; echo "$line"; }
# Deadlines long enough that every abuser is still connected while the real clients are served: the
# workers (8) are outnumbered 3 to 1, and none of them may be held.
start_webhook slow --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 \
  --handshake-timeout-ms 120000 --request-timeout-ms 120000
P_SLOW=$PORT
abusers silent silent "$P_SLOW" 8
abusers hello hello-drip "$P_SLOW" 8
abusers drip request-drip "$P_SLOW" 8
expect_eq "/healthz answers while 8 silent, 8 slow-handshake and 8 slow-request clients are connected" ok \
  "$(get_raw "$P_SLOW" /healthz)"
expect_eq "... and a review is answered" true "$(review "$P_SLOW" "$TMP/ec2.json" | jq -r .response.allowed)"
expect_eq "... with all 24 still connected" "open 8 open 8 open 8" \
  "$(echo $(ask silent open) $(ask hello open) $(ask drip open))"
for a in silent hello drip; do ask $a quit >/dev/null; done

# Each phase has its deadline: the server closes the clients that stall.
start_webhook deadlines --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 \
  --handshake-timeout-ms 1000 --request-timeout-ms 2000
P_DL=$PORT
abusers dlsilent silent "$P_DL" 8
abusers dlhello hello-drip "$P_DL" 4
abusers dldrip request-drip "$P_DL" 4
expect_eq "silent clients are closed after the handshake deadline" "open 0" "$(ask dlsilent 'wait-closed 60')"
expect_eq "slow handshakes are closed after the handshake deadline" "open 0" "$(ask dlhello 'wait-closed 60')"
expect_eq "slow requests are closed after the request deadline" "open 0" "$(ask dldrip 'wait-closed 60')"
for a in dlsilent dlhello dldrip; do ask $a quit >/dev/null; done
expect_contains "... and logged, in one line per sweep" '"msg":"connections timed out"' "$(cat "$TMP/deadlines.log")"
expect_eq "... and counted" 'kilt_webhook_errors_total{kind="timeout"} 16' \
  "$(get_raw "$P_DL" /metrics | grep 'kind="timeout"')"

# The connection cap: the listener pauses (logged), and serves again once connections close.
start_webhook cap --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 \
  --max-connections 8 --handshake-timeout-ms 3000
P_CAP=$PORT
abusers capsilent silent "$P_CAP" 12
expect_eq "at the cap: the silent clients are closed in time" "open 0" "$(ask capsilent 'wait-closed 60')"
ask capsilent quit >/dev/null
expect_contains "at the cap: a log line says so" '"msg":"connection limit reached: not accepting until a connection closes"' \
  "$(cat "$TMP/cap.log")"
expect_eq "after the cap: /healthz answers" ok "$(get_raw "$P_CAP" /healthz)"
expect_contains "after the cap: the pause is counted" 'kilt_webhook_accept_pauses_total{reason="max_connections"}' \
  "$(get_raw "$P_CAP" /metrics | grep -v ' 0$')"

# Out of file descriptors: accept() fails with EMFILE. The listener pauses (logged) instead of waking
# the workers in a loop: the process stays nearly idle while the clients hold every descriptor.
rm -f "$TMP/fd.port"
prlimit --nofile=48:48 "$WEBHOOK" --listen 127.0.0.1:0 --port-file "$TMP/fd.port" --cert "$TMP/serving/tls.crt" \
  --key "$TMP/serving/tls.key" --kilt-image kilt:1 --handshake-timeout-ms 120000 2> "$TMP/fd.log" &
PID_FD=$!; track "$PID_FD"
for _ in $(seq 1200); do [ -s "$TMP/fd.port" ] && break; sleep 0.05; done
P_FD=$(cat "$TMP/fd.port")
abusers fdsilent silent "$P_FD" 60
cpu() { awk '{print $14 + $15}' "/proc/$PID_FD/stat"; }
until grep -q 'out of file descriptors' "$TMP/fd.log" || ! kill -0 "$PID_FD"; do sleep 0.1; done
c0=$(cpu); sleep 3; c1=$(cpu)  # a measurement window, not a synchronisation
expect_contains "descriptor limit: a log line says so" '"msg":"accept failed: out of file descriptors; not accepting until one is free"' \
  "$(cat "$TMP/fd.log")"
# A loop on accept() burns ~300 ticks (of 10 ms) on each core in 3 s; paused, a few ticks at most.
check "descriptor limit: no busy loop ($((c1 - c0)) ticks of CPU in 3 s)" test $((c1 - c0)) -lt 60
ask fdsilent quit >/dev/null
expect_eq "descriptor limit: serves again once the clients leave" ok "$(get_raw "$P_FD" /healthz)"
check "descriptor limit: still alive" kill -0 "$PID_FD"

# --- Certificate rotation under load: no failed request ----------------------------------------------
echo "  [$SECONDS s] Certificate rotation under load"
mkdir -p "$TMP/live"
cp "$TMP/serving/tls.crt" "$TMP/serving/tls.key" "$TMP/live/"
start_webhook rotate --cert "$TMP/live/tls.crt" --key "$TMP/live/tls.key" --kilt-image kilt:1
P_ROT=$PORT
old_serial=$($RAW serial "$P_ROT" "$CA")
load() {  # load N: requests until $TMP/stop exists; one line per request in $TMP/load.N
  while [ ! -e "$TMP/stop" ]; do
    if review "$P_ROT" "$TMP/ec2.json" | grep -q '"allowed":true'; then echo ok; else echo FAILED; fi
  done > "$TMP/load.$1"
}
load 1 & L1=$!
load 2 & L2=$!
$RAW raw "$P_ROT" "$CA" "$TMP/notfound" >/dev/null  # let the loaders get going
make_cert "$TMP/next"
# Not atomic as a pair, as with a hand-copied secret: cert first, then key (a mismatching pair in
# between must keep the old certificate in service).
cp "$TMP/next/tls.crt" "$TMP/live/tls.crt.new" && mv "$TMP/live/tls.crt.new" "$TMP/live/tls.crt"
cp "$TMP/next/tls.key" "$TMP/live/tls.key.new" && mv "$TMP/live/tls.key.new" "$TMP/live/tls.key"
deadline=$((SECONDS + 60)); new_serial=$old_serial
while [ "$new_serial" = "$old_serial" ] && [ $SECONDS -lt $deadline ]; do new_serial=$($RAW serial "$P_ROT" "$CA"); done
[ "$new_serial" != "$old_serial" ] && pass "rotation: the new certificate is served without a restart" \
  || fail "rotation: still the old certificate after 60 s"
before=$(cat "$TMP"/load.* | wc -l); deadline=$((SECONDS + 120))
while [ $(( $(cat "$TMP"/load.* | wc -l) - before )) -lt 6 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
touch "$TMP/stop"; wait "$L1" "$L2"
total=$(cat "$TMP"/load.* | wc -l); failed=$(cat "$TMP"/load.* | grep -c FAILED)
expect_eq "rotation under load: no failed request (of $total)" 0 "$failed"
check "rotation under load: requests served across the rotation" test "$total" -ge 8
expect_contains "rotation counted in /metrics" "kilt_webhook_tls_reloads_total 1" "$(get_raw "$P_ROT" /metrics)"

# --- Graceful shutdown: SIGTERM finishes the request in flight ---------------------------------------
echo "  [$SECONDS s] Graceful shutdown"
start_webhook drain --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1
P_DRAIN=$PORT; PID_DRAIN=$PID
review_for apps "$TMP/ec2.pod.json" > "$TMP/held.json"
coproc HELD { $RAW held "$P_DRAIN" "$CA" "$TMP/held.json"; }
read -r line <&"${HELD[0]}"
expect_eq "shutdown: half a request sent" sent-half "$line"
kill -TERM "$PID_DRAIN"
deadline=$((SECONDS + 30))
until grep -q '"shutting down"' "$TMP/drain.log" || [ $SECONDS -gt $deadline ]; do sleep 0.05; done
echo go >&"${HELD[1]}"
read -r line <&"${HELD[0]}"
expect_eq "shutdown: the request in flight is answered" "status 200" "$line"
wait "$PID_DRAIN"; rc=$?
expect_eq "shutdown: exit status 0" 0 "$rc"
check "shutdown: no new connections after SIGTERM" bash -c "! $RAW raw $P_DRAIN $CA $TMP/notfound 2>/dev/null | grep -q status"

# Not ready while draining (--shutdown-delay-ms keeps serving so endpoints can be removed first).
start_webhook delay --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --kilt-image kilt:1 --shutdown-delay-ms 600000
P_DELAY=$PORT
expect_eq "delay: ready before SIGTERM" ok "$(get_raw "$P_DELAY" /readyz)"
kill -TERM "$PID"
deadline=$((SECONDS + 30))
until grep -q '"shutting down"' "$TMP/delay.log" || [ $SECONDS -gt $deadline ]; do sleep 0.05; done
expect_contains "delay: /readyz fails (503) while draining" "ServiceUnavailable" "$(get_raw "$P_DELAY" /readyz)"
expect_eq "delay: still admitting pods while draining" true "$(review "$P_DELAY" "$TMP/ec2.json" | jq -r .response.allowed)"

# --- Bad configuration: a clear error and exit 2 -----------------------------------------------------
echo "  [$SECONDS s] Bad configuration"
out=$(timeout 30 "$WEBHOOK" --cert "$TMP/serving/tls.crt" --key "$TMP/next/tls.key" --kilt-image k --listen 127.0.0.1:0 2>&1); rc=$?
expect_eq "mismatched key: exit 2" 2 "$rc"
expect_contains "mismatched key: the message names the files" "does not match certificate" "$out"
out=$(timeout 30 "$WEBHOOK" --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" --listen 127.0.0.1:0 2>&1); rc=$?
expect_eq "no kilt image: exit 2" 2 "$rc"
expect_contains "no kilt image: says what to set" "--kilt-image" "$out"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' > "$TMP/huge-recipe.toml"
out=$(timeout 30 "$WEBHOOK" --cert "$TMP/serving/tls.crt" --key "$TMP/serving/tls.key" \
  --recipe "$TMP/huge-recipe.toml" --kilt-image k --listen 127.0.0.1:0 2>&1); rc=$?
expect_eq "a 2 MiB --recipe: exit 2" 2 "$rc"
expect_contains "... refused unread: the message names the file and the limit" \
  "huge-recipe.toml: larger than 1048576 bytes" "$out"

# --- kilt-copy: the init container's copier ---------------------------------------------------------
echo "  [$SECONDS s] kilt-copy"
mkdir -p "$TMP/payload/bin" "$TMP/copy-amd64" "$TMP/copy-arm64"
printf '#!/bin/sh\necho agent\n' > "$TMP/payload/run"; chmod 755 "$TMP/payload/run"
head -c 300000 /dev/urandom > "$TMP/payload/bin/agent"; chmod 750 "$TMP/payload/bin/agent"
ln -s ../run "$TMP/payload/bin/run-link"
check "kilt-copy copies the tree (modes, symlinks, contents)" bash -c \
  "build/bin/kilt-copy '$TMP/payload' '$TMP/copy-amd64' && diff -r '$TMP/payload' '$TMP/copy-amd64' &&
   [ \$(stat -c %a '$TMP/copy-amd64/bin/agent') = 750 ] && [ -L '$TMP/copy-amd64/bin/run-link' ]"
if [ -x build/arm64/bin/kilt-copy ] && command -v qemu-aarch64-static >/dev/null; then
  check "arm64 kilt-copy (qemu) copies the tree" bash -c \
    "qemu-aarch64-static build/arm64/bin/kilt-copy '$TMP/payload' '$TMP/copy-arm64' && diff -r '$TMP/payload' '$TMP/copy-arm64'"
fi
out=$(build/bin/kilt-copy "$TMP/nonexistent" "$TMP/copy-amd64" 2>&1); rc=$?
expect_eq "kilt-copy: a missing source is exit 1 naming it" "1 yes" "$rc $(grep -q nonexistent <<<"$out" && echo yes)"

summary
