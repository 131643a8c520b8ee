#!/usr/bin/env bash
# The kilt-webhook image (webhook/image.sh): reproducible byte for byte, the config a cluster needs
# (non-root user, entrypoint, port), and it really runs: unpacked with umoci, started under runc with a
# read-only root, a mounted certificate and the container's own user, it answers /healthz and /mutate
# to kubectl and stops cleanly on SIGTERM.
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
CID=kilt-webhook-image-$$
RPID=
PIDS=()
cleanup() {
  runc --root "$RUNC_ROOT" delete -f "$CID" >/dev/null 2>&1
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

# --- Reproducible: a second build from the same inputs is the same file ------------------------------
webhook/image.sh --bin build/bin/kilt-webhook --out "$T/again.oci.tar" --tag "$TAG" > "$T/again.digest" 2> "$T/again.err"
check "a second build is byte-for-byte identical" cmp -s "$ARCHIVE" "$T/again.oci.tar"

# --- The image config -----------------------------------------------------------------------------------
skopeo inspect --config "oci-archive:$ARCHIVE:$TAG" > "$T/config.json" 2> "$T/skopeo.err" \
  || fail "skopeo cannot read the archive: $(cat "$T/skopeo.err")"
expect_eq "config: linux/amd64, user 65532, entrypoint kilt-webhook, port 8443" \
  'linux amd64 65532:65532 ["/usr/local/bin/kilt-webhook"] ["8443/tcp"]' \
  "$(jq -r '"\(.os) \(.architecture) \(.config.User) \(.config.Entrypoint | tojson) \(.config.ExposedPorts | keys | tojson)"' "$T/config.json")"

# --- Pushed as docs/webhook.md says (skopeo), the registry serves the digest the build printed ----------
W=$T/registry
mkdir -p "$W"
. tests/registry/registry_lib.sh
if make_pki && start_registry plain "  {}"; then
  skopeo copy -q --dest-cert-dir "$W/certs" "oci-archive:$ARCHIVE:$TAG" \
    "docker://127.0.0.1:$PORT_plain/kilt/kilt-webhook:$TAG" > /dev/null 2> "$W/push.err" \
    || fail "skopeo push: $(cat "$W/push.err")"
  expect_eq "skopeo push: the registry serves the manifest digest the build printed" "$(cat "$T/again.digest")" \
    "$(skopeo inspect --cert-dir "$W/certs" "docker://127.0.0.1:$PORT_plain/kilt/kilt-webhook:$TAG" 2>&1 | jq -r .Digest)"
  kill "$PID_plain"
else
  fail "docker-registry did not start"
fi

# --- Unpack and run under runc --------------------------------------------------------------------------
mkdir -p "$T/layout" "$T/tls" "$T/run"
tar xf "$ARCHIVE" -C "$T/layout"
umoci unpack --image "$T/layout:$TAG" "$T/bundle" > /dev/null 2> "$T/unpack.err" \
  || { fail "umoci unpack: $(cat "$T/unpack.err")"; summary; exit 1; }
check "the CA bundle is in the image" test -s "$T/bundle/rootfs/etc/ssl/certs/ca-certificates.crt"
expect_eq "every library the binary needs is in the image" "" \
  "$(chroot "$T/bundle/rootfs" /lib64/ld-linux-x86-64.so.2 --list /usr/local/bin/kilt-webhook 2>&1 | grep 'not found')"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj /CN=kilt-image-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/tls/tls.key" -out "$T/tls.csr" -subj /CN=kilt-webhook 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:kilt-webhook.kilt-system.svc\n' > "$T/ext"
openssl x509 -req -in "$T/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 2 -extfile "$T/ext" \
  -out "$T/tls/tls.crt" 2>/dev/null
# The container's user (65532) reads the pair, as from a Secret volume, and writes its port file.
chmod 0755 "$T" "$T/tls"; chmod 0644 "$T/tls/"*; chown 65532:65532 "$T/run"

# Host network (kubectl reaches it on 127.0.0.1), read-only root, the pair and a writable /run/kilt.
jq --arg tls "$T/tls" --arg run "$T/run" '
  .process.terminal = false
  | .process.args += ["--cert", "/etc/kilt-webhook/tls/tls.crt", "--key", "/etc/kilt-webhook/tls/tls.key",
                      "--kilt-image", "registry.example.com/kilt/kilt:0.1.0", "--listen", "127.0.0.1:0",
                      "--port-file", "/run/kilt/port", "--namespace", "kilt-system"]
  | .root.readonly = true
  | .linux.namespaces |= map(select(.type != "network"))
  | .mounts += [{destination: "/etc/kilt-webhook/tls", type: "bind", source: $tls, options: ["rbind", "ro"]},
                {destination: "/run/kilt", type: "bind", source: $run, options: ["rbind", "rw"]}]' \
  "$T/bundle/config.json" > "$T/config.new" && mv "$T/config.new" "$T/bundle/config.json"
runc --root "$RUNC_ROOT" run --bundle "$T/bundle" "$CID" > "$T/out.log" 2> "$T/err.log" < /dev/null &
RPID=$!
deadline=$((SECONDS + 60))
while [ ! -s "$T/run/port" ] && kill -0 "$RPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
  sleep 0.05  # polling for the port file, with a deadline (not a synchronisation sleep)
done
PORT=$(cat "$T/run/port" 2>/dev/null)
[ -n "$PORT" ] || { fail "the container did not start: $(cat "$T/err.log" "$T/out.log")"; summary; exit 1; }
pass "runc runs the image; the webhook listens"

k() { kubectl "$@" --server="https://127.0.0.1:$PORT" --certificate-authority="$T/ca.crt" --token=x </dev/null 2>&1; }
expect_eq "/healthz over TLS, checked by kubectl" ok "$(k get --raw /healthz)"
cat > "$T/review.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"img-1","kind":{"group":"","version":"v1","kind":"Pod"},
 "resource":{"group":"","version":"v1","resource":"pods"},"namespace":"apps","operation":"CREATE",
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"busybox","command":["sleep","1"]}]}}}}
JSON
jq '.request.object' "$T/review.json" > "$T/pod.json"
k create --raw /mutate -f "$T/review.json" > "$T/resp.json"
jq -r '.response.patch // empty' "$T/resp.json" | base64 -d > "$T/patch.json"
kubectl patch --local -f "$T/pod.json" --type=json --patch-file="$T/patch.json" -o json > "$T/patched.json" 2>&1
wrapped() { jq -e "$1" "$T/patched.json" > /dev/null; }
check "/mutate: the pod is wrapped (kubectl applies the patch)" wrapped \
  '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].args == ["sleep", "1"]
   and .spec.initContainers[0].image == "registry.example.com/kilt/kilt:0.1.0"'

pid=$(runc --root "$RUNC_ROOT" state "$CID" | jq -r .pid)
expect_eq "the server runs as 65532:65532 (not root)" "65532 65532" \
  "$(awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u, g}' "/proc/$pid/status")"
started_logged() { jq -s -e 'map(select(.msg == "started")) | length == 1' "$T/err.log" > /dev/null; }
check "logs are JSON lines on stderr" started_logged

runc --root "$RUNC_ROOT" kill "$CID" TERM
wait "$RPID"; rc=$?
RPID=
expect_eq "SIGTERM: the container exits 0" 0 "$rc"
check "SIGTERM: the log says so" grep -q '"shutting down"' "$T/err.log"
summary
