#!/usr/bin/env bash
# End to end: --pull-secrets. A private image in Debian's docker-registry (TLS, htpasswd: alice only),
# registry credentials in Secrets served by a fake apiserver over TLS (tests/webhook/fake_apiserver.py,
# bearer token checked), kilt-webhook with --lookup --pull-secrets, and kubectl as the apiserver's
# client: a pod that sets no command is wrapped with its image's ENTRYPOINT/CMD only when one of its
# imagePullSecrets is readable and valid; every other case is admitted with a warning saying why.
set -u
cd "$(dirname "$0")/../.."
T_NAME=webhook-pull-secrets
. tests/lib/testlib.sh

WEBHOOK=$PWD/build/bin/kilt-webhook
export KUBECONFIG=/dev/null
use_workdir webhook-pull
. tests/registry/registry_lib.sh

# --- PKI, the private registry and its image ----------------------------------------------------------
echo "  [$SECONDS s] registry, image, fake apiserver"
make_pki || { fail "openssl/htpasswd failed"; summary; exit 1; }
start_registry basic "  htpasswd:
    realm: kilt-e2e
    path: $W/htpasswd" || { fail "docker-registry did not start"; summary; exit 1; }
R=127.0.0.1:$PORT_basic
(cd "$W" && umoci init --layout img && umoci new --image img:base &&
  umoci config --image img:base --tag app --config.entrypoint /bin/app --config.entrypoint --serve \
    --config.cmd --port=80) >/dev/null 2>&1
push "$R" app private/app:v1 || { fail "push to the private registry"; summary; exit 1; }
IMAGE=$R/private/app:v1

# --- Secrets, ServiceAccount files, the fake apiserver ------------------------------------------------
b64() { printf %s "$1" | base64 -w0; }
secret() {  # secret NS NAME TYPE KEY CONTENT
  mkdir -p "$W/secrets/$1"
  jq -n --arg name "$2" --arg ns "$1" --arg type "$3" --arg key "$4" --arg v "$(b64 "$5")" \
    '{kind: "Secret", apiVersion: "v1", metadata: {name: $name, namespace: $ns}, type: $type, data: {($key): $v}}' \
    > "$W/secrets/$1/$2.json"
}
ALICE=$(b64 alice:s3cret)
secret shop regcred kubernetes.io/dockerconfigjson .dockerconfigjson "{\"auths\":{\"$R\":{\"auth\":\"$ALICE\"}}}"
secret shop regcred2 kubernetes.io/dockerconfigjson .dockerconfigjson "{\"auths\":{\"$R\":{\"auth\":\"$ALICE\"}}}"
secret shop legacy kubernetes.io/dockercfg .dockercfg "{\"https://$R\":{\"auth\":\"$ALICE\",\"email\":\"a@example.com\"}}"
secret shop wrongpw kubernetes.io/dockerconfigjson .dockerconfigjson "{\"auths\":{\"$R\":{\"username\":\"alice\",\"password\":\"nope\"}}}"
secret shop opaque Opaque password s3cret
secret shop locked kubernetes.io/dockerconfigjson .dockerconfigjson "{\"auths\":{\"$R\":{\"auth\":\"$ALICE\"}}}"
echo shop/locked > "$W/secrets/forbidden"
mkdir -p "$W/sa"
cp "$W/ca.crt" "$W/sa/ca.crt"
echo good-token > "$W/sa/token"
echo good-token > "$W/api-token"  # what the apiserver accepts
python3 tests/webhook/fake_apiserver.py "$W/srv.crt" "$W/srv.key" "$W/api-token" "$W/secrets" "$W/api.log" \
  "$W/api.port" 2> "$W/api.err" &
track $!
wait_for "$W/api.port" . || { fail "fake apiserver did not start: $(cat "$W/api.err")"; summary; exit 1; }
touch "$W/api.log"

# start_webhook NAME ARGS...: sets PORT and PID.
start_webhook() {
  local name=$1; shift
  KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$(cat "$W/api.port") \
    "$WEBHOOK" --cert "$W/srv.crt" --key "$W/srv.key" --kilt-image kilt:1 --listen 127.0.0.1:0 \
    --port-file "$W/$name.port" --lookup --registry-ca "$W/ca.crt" "$@" 2> "$W/$name.log" &
  PID=$!
  track "$PID"
  wait_for "$W/$name.port" . || return 1
  PORT=$(cat "$W/$name.port")
}
start_webhook pull --pull-secrets --pull-secrets-ttl-s 600 --service-account-dir "$W/sa" \
  || { fail "webhook did not start: $(cat "$W/pull.log")"; summary; exit 1; }
P_PULL=$PORT; PID_PULL=$PID

# admit PORT NAME NAMESPACE SECRETS...: the review of a pod naming SECRETS as imagePullSecrets goes
# through kubectl; the answer is $W/NAME.resp.json, the patched pod (kubectl applies the patch)
# $W/NAME.pod.json.
admit() {
  local port=$1 name=$2 ns=$3; shift 3
  jq -n --arg image "$IMAGE" --arg ns "$ns" '$ARGS.positional as $s |
    {apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
     request: {uid: "uid-p", kind: {group: "", version: "v1", kind: "Pod"},
               resource: {group: "", version: "v1", resource: "pods"}, namespace: $ns, operation: "CREATE",
               object: {apiVersion: "v1", kind: "Pod", metadata: {name: "web"},
                        spec: ({containers: [{name: "app", image: $image}]} +
                               (if ($s | length) > 0 then {imagePullSecrets: [$s[] | {name: .}]} else {} end))}}}' \
    --args "$@" > "$W/$name.review.json"
  jq '.request.object' "$W/$name.review.json" > "$W/$name.orig.json"
  kubectl create --raw /mutate -f "$W/$name.review.json" --server="https://127.0.0.1:$port" \
    --certificate-authority="$W/ca.crt" --token=x </dev/null > "$W/$name.resp.json" 2>&1
  jq -r '.response.patch // empty' "$W/$name.resp.json" | base64 -d > "$W/$name.patch"
  if [ -s "$W/$name.patch" ]; then
    kubectl patch --local -f "$W/$name.orig.json" --type=json --patch-file="$W/$name.patch" -o json \
      > "$W/$name.pod.json" 2>&1
  else
    cp "$W/$name.orig.json" "$W/$name.pod.json"
  fi
}
wrapped() {  # wrapped NAME: the container runs the image's ENTRYPOINT ++ CMD through /kilt/run
  jq -e '.spec.containers[0] | .command == ["/kilt/run", "--"] and .args == ["/bin/app", "--serve", "--port=80"]' \
    "$W/$1.pod.json" >/dev/null
}
unwrapped() {  # unwrapped NAME: admitted, no patch
  jq -e '.response.allowed == true and .response.patch == null' "$W/$1.resp.json" >/dev/null
}
warnings() { jq -r '.response.warnings[]?' "$W/$1.resp.json" 2>/dev/null || cat "$W/$1.resp.json"; }
reads() { grep -c "^$1 $2\$" "$W/api.log"; }

# --- The cases -----------------------------------------------------------------------------------------
echo "  [$SECONDS s] imagePullSecrets"
admit "$P_PULL" ok shop regcred
check "dockerconfigjson Secret: wrapped with the private image's ENTRYPOINT/CMD" wrapped ok
expect_eq "dockerconfigjson Secret: no warning" "" "$(warnings ok)"

admit "$P_PULL" none shop
check "no imagePullSecrets: admitted unwrapped (the registry wants credentials)" unwrapped none
expect_contains "no imagePullSecrets: the warning gives the registry's 401" "401" "$(warnings none)"

admit "$P_PULL" legacy shop legacy
check "legacy dockercfg Secret (https:// key): wrapped" wrapped legacy

admit "$P_PULL" missing shop missing regcred
check "a missing Secret before a good one: still wrapped" wrapped missing
expect_contains "a missing Secret: warned, naming it, with the apiserver's 404" \
  "kilt: imagePullSecret shop/missing: reading it from the apiserver: HTTP 404 Not Found" "$(warnings missing)"
expect_eq "Secrets are cached: shop/regcred read once for two pods" 1 "$(reads 200 shop/regcred)"

admit "$P_PULL" locked shop locked
check "a Secret RBAC forbids: admitted unwrapped" unwrapped locked
expect_contains "a Secret RBAC forbids: the warning says 403 and what to bind" \
  "imagePullSecret shop/locked: reading it from the apiserver: HTTP 403 Forbidden: secrets \"locked\" is forbidden" "$(warnings locked)"
expect_contains "a Secret RBAC forbids: ... names the ClusterRole to bind" "kilt-webhook-pull-secrets" "$(warnings locked)"

admit "$P_PULL" opaque shop opaque
expect_contains "an Opaque Secret: refused by type" 'imagePullSecret shop/opaque: Secret shop/opaque has type "Opaque"' "$(warnings opaque)"

admit "$P_PULL" wrongpw shop wrongpw
check "wrong registry password: admitted unwrapped" unwrapped wrongpw
expect_contains "wrong registry password: the registry's 401 is the warning" "401" "$(warnings wrongpw)"

admit "$P_PULL" otherns other regcred
check "another namespace's Secret is not used (read in the pod's namespace)" unwrapped otherns
expect_contains "another namespace: the warning names other/regcred" "imagePullSecret other/regcred: reading it from the apiserver: HTTP 404" \
  "$(warnings otherns)"

# The token is re-read per request (kubelet rotates it); a wrong one is a warning, not a crash.
echo wrong-token > "$W/sa/token"
admit "$P_PULL" badtoken shop regcred2
check "wrong ServiceAccount token: admitted unwrapped" unwrapped badtoken
expect_contains "wrong ServiceAccount token: the warning gives the apiserver's 401" \
  "imagePullSecret shop/regcred2: reading it from the apiserver: HTTP 401 Unauthorized" "$(warnings badtoken)"
check "wrong ServiceAccount token: the webhook is still running" kill -0 "$PID_PULL"
echo good-token > "$W/sa/token"
admit "$P_PULL" goodtoken shop regcred2
check "token fixed: the next pod is wrapped (failures are not cached)" wrapped goodtoken

check "the log carries the warnings for each review" \
  grep -q '"warnings":\["kilt: imagePullSecret shop/locked' "$W/pull.log"
check "no credential in the log or in any answer" bash -c \
  "! grep -l -e s3cret -e '$ALICE' -e good-token '$W/pull.log' '$W'/*.resp.json"

# --- Opt-in: without --pull-secrets no Secret is read ---------------------------------------------------
echo "  [$SECONDS s] without --pull-secrets"
before=$(wc -l < "$W/api.log")
start_webhook plain || fail "webhook without --pull-secrets did not start"
admit "$PORT" plain shop regcred
check "without --pull-secrets: imagePullSecrets are ignored (unwrapped)" unwrapped plain
expect_eq "without --pull-secrets: the apiserver is not asked" "$before" "$(wc -l < "$W/api.log")"

# --- Bad configuration: exit 2, saying what to do --------------------------------------------------------
out=$(env -u KUBERNETES_SERVICE_HOST timeout 30 "$WEBHOOK" --cert "$W/srv.crt" --key "$W/srv.key" --kilt-image k \
  --listen 127.0.0.1:0 --lookup --pull-secrets 2>&1); rc=$?
expect_eq "--pull-secrets outside a pod: exit 2" 2 "$rc"
expect_contains "--pull-secrets outside a pod: says why" "KUBERNETES_SERVICE_HOST" "$out"
out=$(KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=1 timeout 30 "$WEBHOOK" --cert "$W/srv.crt" \
  --key "$W/srv.key" --kilt-image k --listen 127.0.0.1:0 --lookup --pull-secrets --service-account-dir "$W/none" 2>&1); rc=$?
expect_eq "--pull-secrets without a token: exit 2" "2 yes" "$rc $(grep -q automountServiceAccountToken <<<"$out" && echo yes)"
out=$(timeout 30 "$WEBHOOK" --cert "$W/srv.crt" --key "$W/srv.key" --kilt-image k --pull-secrets 2>&1); rc=$?
expect_eq "--pull-secrets without --lookup: exit 2" "2 yes" "$rc $(grep -q -- '--lookup' <<<"$out" && echo yes)"

summary
