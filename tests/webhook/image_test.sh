#!/usr/bin/env bash
# The kilt-webhook image (webhook/image.sh): reproducible byte for byte, the config a cluster needs
# (non-root user, entrypoint, port), pushed with skopeo as docs/webhook.md says, and it really runs:
# unpacked with umoci and started under runc (read-only root, the image's own user, a mounted
# certificate) it answers /healthz and /mutate to kubectl and stops cleanly on SIGTERM; and as in a
# cluster, with the ServiceAccount files mounted at the standard path, it reads a pod's pull Secret
# from a (fake) apiserver and looks a private image up over TLS trusting only the image's CA bundle.
# usage: tests/webhook/image_test.sh ARCHIVE TAG (needs root for runc)
set -u
cd "$(dirname "$0")/../.."
T_NAME=webhook-image
. tests/lib/testlib.sh
ARCHIVE=$(realpath "$1")
TAG=$2
export KUBECONFIG=/dev/null
[ "$(id -u)" = 0 ] || { fail "needs root (runc)"; summary; exit 1; }

T=$(mktemp -d /tmp/kilt-webhook-image.XXXXXX)
RUNC_ROOT=$T/runc
CIDS=() PIDS=()
cleanup() {
  local c p
  for c in "${CIDS[@]}"; do runc --root "$RUNC_ROOT" delete -f "$c" >/dev/null 2>&1; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# --- Reproducible: a second build from the same inputs is the same file ------------------------------
echo "  [$SECONDS s] build, config, push"
webhook/image.sh --bin build/bin/kilt-webhook --out "$T/again.oci.tar" --tag "$TAG" > "$T/again.digest" 2> "$T/again.err"
check "a second build is byte-for-byte identical" cmp -s "$ARCHIVE" "$T/again.oci.tar"

# --- The image config -----------------------------------------------------------------------------------
skopeo inspect --config "oci-archive:$ARCHIVE:$TAG" > "$T/config.json" 2> "$T/skopeo.err" \
  || fail "skopeo cannot read the archive: $(cat "$T/skopeo.err")"
expect_eq "config: linux/amd64, user 65532, entrypoint kilt-webhook, port 8443" \
  'linux amd64 65532:65532 ["/usr/local/bin/kilt-webhook"] ["8443/tcp"]' \
  "$(jq -r '"\(.os) \(.architecture) \(.config.User) \(.config.Entrypoint | tojson) \(.config.ExposedPorts | keys | tojson)"' "$T/config.json")"

# --- A private registry (TLS, htpasswd): the push docs/webhook.md describes -----------------------------
W=$T/registry
mkdir -p "$W"
. tests/registry/registry_lib.sh
make_pki && start_registry private "  htpasswd:
    realm: kilt-image-test
    path: $W/htpasswd" || { fail "docker-registry did not start"; summary; exit 1; }
R=127.0.0.1:$PORT_private
skopeo copy -q --dest-cert-dir "$W/certs" --dest-creds alice:s3cret "oci-archive:$ARCHIVE:$TAG" \
  "docker://$R/kilt/kilt-webhook:$TAG" > /dev/null 2> "$W/push.err" || fail "skopeo push: $(cat "$W/push.err")"
expect_eq "skopeo push: the registry serves the manifest digest the build printed" "$(cat "$T/again.digest")" \
  "$(skopeo inspect --cert-dir "$W/certs" --creds alice:s3cret "docker://$R/kilt/kilt-webhook:$TAG" 2>&1 | jq -r .Digest)"

# --- runc ---------------------------------------------------------------------------------------------
openssl req -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.csr" -subj /CN=kilt-webhook 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:kilt-webhook.kilt-system.svc\n' > "$T/ext"
mkdir -p "$T/tls"
openssl x509 -req -in "$T/tls.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 2 -extfile "$T/ext" \
  -out "$T/tls/tls.crt" 2>/dev/null
mv "$T/tls.key" "$T/tls/tls.key"
# The container's user (65532) reads the pair, as from a Secret volume.
chmod 0755 "$T" "$T/tls"; chmod 0644 "$T/tls/"*

# start_container NAME ARCHIVE EXTRA_MOUNTS_JSON ENV_JSON ARGS...: unpacks ARCHIVE with umoci and
# runs it under runc on the host network (kubectl reaches it on 127.0.0.1), read-only root, the pair
# at /etc/kilt-webhook/tls, a writable /run/kilt for the port file. Sets PORT and CPID (runc run).
start_container() {
  local name=$1 archive=$2 mounts=$3 env=$4; shift 4
  local b=$T/$name
  mkdir -p "$b/layout" "$b/run"
  chown 65532:65532 "$b/run"
  tar xf "$archive" -C "$b/layout"
  umoci unpack --image "$b/layout:$TAG" "$b/bundle" > /dev/null 2> "$b/unpack.err" \
    || { echo "umoci unpack: $(cat "$b/unpack.err")"; return 1; }
  local extra
  extra=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
  jq --arg tls "$T/tls" --arg run "$b/run" --argjson mounts "$mounts" --argjson env "$env" --argjson extra "$extra" '
    .process.terminal = false
    | .process.env += $env
    | .process.args += ["--cert", "/etc/kilt-webhook/tls/tls.crt", "--key", "/etc/kilt-webhook/tls/tls.key",
                        "--listen", "127.0.0.1:0", "--port-file", "/run/kilt/port", "--namespace", "kilt-system"]
                       + $extra
    | .root.readonly = true
    | .linux.namespaces |= map(select(.type != "network"))
    | .mounts += [{destination: "/etc/kilt-webhook/tls", type: "bind", source: $tls, options: ["rbind", "ro"]},
                  {destination: "/run/kilt", type: "bind", source: $run, options: ["rbind", "rw"]}] + $mounts' \
    "$b/bundle/config.json" > "$b/config.new" && mv "$b/config.new" "$b/bundle/config.json"
  CIDS+=("kilt-webhook-image-$name-$$")
  runc --root "$RUNC_ROOT" run --bundle "$b/bundle" "kilt-webhook-image-$name-$$" > "$b/out.log" 2> "$b/err.log" < /dev/null &
  CPID=$!
  PIDS+=("$CPID")
  local deadline=$((SECONDS + 60))
  while [ ! -s "$b/run/port" ] && kill -0 "$CPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
    sleep 0.05  # polling for the port file, with a deadline (not a synchronisation sleep)
  done
  PORT=$(cat "$b/run/port" 2>/dev/null)
  [ -n "$PORT" ] || { echo "the container did not start: $(cat "$b/err.log" "$b/out.log")"; return 1; }
}
k() { kubectl "$@" --server="https://127.0.0.1:$PORT" --certificate-authority="$W/ca.crt" --token=x </dev/null 2>&1; }
# mutate NAME POD_JSON NAMESPACE: review through kubectl; the patched pod (kubectl applies the patch)
# is $T/NAME.patched.json, the answer $T/NAME.resp.json.
mutate() {
  jq -n --arg ns "$3" --argjson pod "$2" '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
    request: {uid: "img-1", kind: {group: "", version: "v1", kind: "Pod"}, resource: {group: "", version: "v1", resource: "pods"},
              namespace: $ns, operation: "CREATE", object: $pod}}' > "$T/$1.review.json"
  printf %s "$2" > "$T/$1.pod.json"
  k create --raw /mutate -f "$T/$1.review.json" > "$T/$1.resp.json"
  jq -r '.response.patch // empty' "$T/$1.resp.json" | base64 -d > "$T/$1.patch.json"
  kubectl patch --local -f "$T/$1.pod.json" --type=json --patch-file="$T/$1.patch.json" -o json > "$T/$1.patched.json" 2>&1
}
is() { local f=$1; shift; jq -e "$@" "$T/$f" > /dev/null; }

echo "  [$SECONDS s] runc: the image as built"
if start_container plain "$ARCHIVE" '[]' '[]' --kilt-image registry.example.com/kilt/kilt:0.1.0; then
  pass "runc runs the image; the webhook listens"
  expect_eq "/healthz over TLS, checked by kubectl" ok "$(k get --raw /healthz)"
  mutate plain '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"busybox","command":["sleep","1"]}]}}' apps
  check "/mutate: the pod is wrapped (kubectl applies the patch)" is plain.patched.json \
    '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].args == ["sleep", "1"]
     and .spec.initContainers[0].image == "registry.example.com/kilt/kilt:0.1.0"'
  pid=$(runc --root "$RUNC_ROOT" state "${CIDS[-1]}" | jq -r .pid)
  expect_eq "the server runs as 65532:65532 (not root)" "65532 65532" \
    "$(awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u, g}' "/proc/$pid/status")"
  check "logs are JSON lines on stderr" is plain/err.log -s 'any(.[]; .msg == "started")'
  runc --root "$RUNC_ROOT" kill "${CIDS[-1]}" TERM
  wait "$CPID"; rc=$?
  expect_eq "SIGTERM: the container exits 0" 0 "$rc"
  check "SIGTERM: the log says so" grep -q '"shutting down"' "$T/plain/err.log"
else
  fail "runc runs the image"
fi

# --- As in a cluster: ServiceAccount files, a pull Secret, a private image ------------------------------
echo "  [$SECONDS s] runc: in-cluster lookup with a pull Secret"
(cd "$W" && umoci init --layout img && umoci new --image img:base &&
  umoci config --image img:base --tag app --config.entrypoint /bin/app --config.cmd --port=80) >/dev/null 2>&1
push "$R" app private/app:v1 || fail "push the app image"
mkdir -p "$T/secrets/shop" "$T/sa"
jq -n --arg v "$(printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf alice:s3cret | base64 -w0)" | base64 -w0)" \
  '{kind: "Secret", apiVersion: "v1", metadata: {name: "regcred", namespace: "shop"},
    type: "kubernetes.io/dockerconfigjson", data: {".dockerconfigjson": $v}}' > "$T/secrets/shop/regcred.json"
echo in-cluster-token > "$T/sa/token"
cp "$T/sa/token" "$T/api-token"
cp "$W/ca.crt" "$T/sa/ca.crt"
chmod 0755 "$T/sa"; chmod 0644 "$T/sa/"*
python3 tests/webhook/fake_apiserver.py "$W/srv.crt" "$W/srv.key" "$T/api-token" "$T/secrets" "$T/api.log" \
  "$T/api.port" 2> "$T/api.err" &
PIDS+=($!)
wait_for "$T/api.port" . || fail "fake apiserver: $(cat "$T/api.err")"
# The registry's CA is the image's whole CA bundle: no --registry-ca, as with a public registry.
webhook/image.sh --bin build/bin/kilt-webhook --out "$T/ca.oci.tar" --tag "$TAG" --ca-bundle "$W/ca.crt" > /dev/null 2>&1 \
  || fail "image with a CA bundle"
sa_mount=$(jq -cn --arg sa "$T/sa" '[{destination: "/var/run/secrets/kubernetes.io/serviceaccount", type: "bind", source: $sa, options: ["rbind", "ro"]}]')
sa_env=$(jq -cn --arg port "$(cat "$T/api.port")" '["KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=\($port)"]')
if start_container cluster "$T/ca.oci.tar" "$sa_mount" "$sa_env" --kilt-image kilt:1 --lookup --pull-secrets; then
  mutate cluster "$(jq -cn --arg image "$R/private/app:v1" \
    '{apiVersion: "v1", kind: "Pod", metadata: {name: "web"},
      spec: {imagePullSecrets: [{name: "regcred"}], containers: [{name: "app", image: $image}]}}')" shop
  check "in the image: the pull Secret is read and the private image's ENTRYPOINT/CMD used" is cluster.patched.json \
    '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].args == ["/bin/app", "--port=80"]'
  expect_eq "in the image: one Secret read with the mounted token" "200 shop/regcred" "$(cat "$T/api.log")"
else
  fail "runc runs the image with --lookup --pull-secrets"
fi
summary
