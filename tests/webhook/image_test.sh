#!/usr/bin/env bash
# The kilt-webhook image (webhook/image.sh): one archive whose tag is an OCI image index over
# linux/amd64 and linux/arm64, reproducible byte for byte, the config a cluster needs on both
# (non-root user, entrypoint, port), an arm64 layer that holds an AArch64 server and every library it
# names, pushed with skopeo --all as docs/webhook.md says, and it really runs: each platform's image
# unpacked with umoci and started under runc (read-only root, the image's own user, a mounted
# certificate) answers /healthz and /mutate to kubectl and stops cleanly on SIGTERM. The arm64 one
# runs through qemu-aarch64-static, bind-mounted into the container and started as its process: the
# emulated loader sees only the image's root, so a library missing from the layer fails the start
# (`qemu -L ROOTFS` would quietly fall back to this machine's /lib/aarch64-linux-gnu; and
# `-L /usr/aarch64-linux-gnu` pairs the cross toolchain's loader with Debian's libc.so.6, a mismatch
# that makes the server spin, deaf to SIGTERM, in its first pthread_create). And as in a cluster,
# on both platforms, with the ServiceAccount files mounted at the standard path, it reads a pod's pull
# Secret from a (fake) apiserver and looks a private image up over TLS trusting only the image's CA
# bundle.
# usage: tests/webhook/image_test.sh ARCHIVE TAG (needs root for runc; the servers it was built
#        from are build/bin/kilt-webhook and build/arm64/bin/kilt-webhook)
set -u
cd "$(dirname "$0")/../.."
T_NAME=webhook-image
. tests/lib/testlib.sh
ARCHIVE=$(realpath "$1")
TAG=$2
BIN=build/bin/kilt-webhook
ARM64_BIN=build/arm64/bin/kilt-webhook
export KUBECONFIG=/dev/null
[ "$(id -u)" = 0 ] || { fail "needs root (runc)"; summary; exit 1; }
QEMU=$(command -v qemu-aarch64-static) || { fail "qemu-aarch64-static missing; run 'make deps'"; summary; exit 1; }

use_workdir webhook-image
T=$W
RUNC_ROOT=$T/runc
CIDS=()
at_exit 'for c in "${CIDS[@]}"; do runc --root "$RUNC_ROOT" delete -f "$c" >/dev/null 2>&1; done'

# --- Reproducible: a second build from the same inputs is the same file ------------------------------
echo "  [$SECONDS s] build, index, configs, arm64 layer, push"
webhook/image.sh --bin "$BIN" --arm64-bin "$ARM64_BIN" --out "$T/again.oci.tar" --tag "$TAG" \
  > "$T/again.digest" 2> "$T/again.err" || fail "webhook/image.sh: $(cat "$T/again.err")"
check "a second build is byte-for-byte identical" cmp -s "$ARCHIVE" "$T/again.oci.tar"

# --- The index and each platform's config ---------------------------------------------------------------
skopeo inspect --raw "oci-archive:$ARCHIVE:$TAG" > "$T/index.json" 2> "$T/skopeo.err" \
  || fail "skopeo cannot read the archive: $(cat "$T/skopeo.err")"
expect_eq "the tag is an OCI image index over linux/amd64 and linux/arm64/v8" \
  "application/vnd.oci.image.index.v1+json linux/amd64 linux/arm64/v8" \
  "$(jq -r '[.mediaType, (.manifests[].platform | [.os, .architecture, .variant // empty] | join("/"))] | join(" ")' "$T/index.json")"
expect_eq "the digest the build prints is the index's" "$(cat "$T/again.digest")" \
  "sha256:$(sha256sum < "$T/index.json" | cut -d' ' -f1)"
for arch in amd64 arm64; do
  skopeo inspect --config --override-arch $arch "oci-archive:$ARCHIVE:$TAG" > "$T/config-$arch.json" 2> "$T/skopeo.err" \
    || fail "skopeo cannot read the $arch config: $(cat "$T/skopeo.err")"
  expect_eq "config ($arch): linux/$arch, user 65532, entrypoint kilt-webhook, port 8443" \
    "linux $arch 65532:65532 [\"/usr/local/bin/kilt-webhook\"] [\"8443/tcp\"]" \
    "$(jq -r '"\(.os) \(.architecture) \(.config.User) \(.config.Entrypoint | tojson) \(.config.ExposedPorts | keys | tojson)"' "$T/config-$arch.json")"
done

# unpack NAME ARCHIVE ARCH: ARCH's image of ARCHIVE as a runc bundle at $T/NAME/bundle. umoci cannot
# pick a platform from an index, so the scratch copy's index.json is made to tag ARCH's manifest.
unpack() {
  local b=$T/$1 idx
  mkdir -p "$b/layout"
  tar xf "$2" -C "$b/layout"
  idx=$(jq -r '.manifests[0].digest | sub("^sha256:"; "")' "$b/layout/index.json")
  jq -c --arg arch "$3" --arg tag "$TAG" '{schemaVersion: 2, manifests: [.manifests[] | select(.platform.architecture == $arch)
      | del(.platform) | .annotations = {"org.opencontainers.image.ref.name": $tag}]}' \
    "$b/layout/blobs/sha256/$idx" > "$b/layout/index.json"
  umoci unpack --image "$b/layout:$TAG" "$b/bundle" > /dev/null 2> "$b/unpack.err" \
    || { echo "umoci unpack ($3): $(cat "$b/unpack.err")"; return 1; }
}

# --- The arm64 layer: an AArch64 server and every library it names ------------------------------------
machine() { LC_ALL=C readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }
needed() { LC_ALL=C readelf -dW "$1" | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p'; }
unpack plain-arm64 "$ARCHIVE" arm64 || fail "unpack the arm64 image"
r=$T/plain-arm64/bundle/rootfs
srv=$r/usr/local/bin/kilt-webhook
expect_eq "arm64: the server is AArch64, needs only glibc (libstdc++/libgcc linked in)" \
  "AArch64 ld-linux-aarch64.so.1 libc.so.6 libm.so.6" "$(machine "$srv") $(needed "$srv" | sort | xargs)"
aarch64-linux-gnu-strip --strip-debug -o "$T/arm64-server" "$ARM64_BIN"
check "arm64: the server is $ARM64_BIN, debug info stripped" cmp -s "$T/arm64-server" "$srv"
interp=$(LC_ALL=C readelf -lW "$srv" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
expect_eq "arm64: its loader $interp is in the layer, AArch64" AArch64 "$(machine "$r$interp")"
# Where the arm64 loader looks by default; the loader's own soname is satisfied by the loader.
missing= libs=
for f in "$srv" $(find "$r" -type f -name '*.so*' | sort); do
  [ "$f" = "$srv" ] || libs="$libs ${f#"$r"}"
  for n in $(needed "$f"); do
    if [ "$n" = "${interp##*/}" ] || [ -f "$r/lib/aarch64-linux-gnu/$n" ] || [ -f "$r/usr/lib/aarch64-linux-gnu/$n" ]; then
      continue
    fi
    missing="$missing ${f#"$r"}:$n"
  done
done
expect_eq "arm64: every DT_NEEDED library of the server and of each library shipped is in the layer" "" "$missing"
expect_eq "arm64: every shared library in the layer is AArch64" "" \
  "$(for f in $libs; do [ "$(machine "$r$f")" = AArch64 ] || printf '%s ' "$f"; done)"

# --- A private registry (TLS, htpasswd): the push docs/webhook.md describes -----------------------------
W=$T/registry
mkdir -p "$W"
. tests/registry/registry_lib.sh
make_pki && start_registry private "  htpasswd:
    realm: kilt-image-test
    path: $W/htpasswd" || { fail "docker-registry did not start"; summary; exit 1; }
R=127.0.0.1:$PORT_private
skopeo copy -q --all --dest-cert-dir "$W/certs" --dest-creds alice:s3cret "oci-archive:$ARCHIVE:$TAG" \
  "docker://$R/kilt/kilt-webhook:$TAG" > /dev/null 2> "$W/push.err" || fail "skopeo push: $(cat "$W/push.err")"
expect_eq "skopeo push --all: the registry serves the index digest the build printed" "$(cat "$T/again.digest")" \
  "sha256:$(skopeo inspect --raw --cert-dir "$W/certs" --creds alice:s3cret "docker://$R/kilt/kilt-webhook:$TAG" 2>&1 |
    sha256sum | cut -d' ' -f1)"
expect_eq "skopeo push --all: the registry serves the arm64 image to an arm64 node" arm64 \
  "$(skopeo inspect --override-arch arm64 --cert-dir "$W/certs" --creds alice:s3cret \
    "docker://$R/kilt/kilt-webhook:$TAG" 2>&1 | jq -r .Architecture)"

# --- runc ---------------------------------------------------------------------------------------------
openssl req -newkey rsa:2048 -nodes -keyout "$T/tls.key" -out "$T/tls.csr" -subj /CN=kilt-webhook 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:kilt-webhook.kilt-system.svc\n' > "$T/ext"
mkdir -p "$T/tls"
openssl x509 -req -in "$T/tls.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 2 -extfile "$T/ext" \
  -out "$T/tls/tls.crt" 2>/dev/null
mv "$T/tls.key" "$T/tls/tls.key"
# The container's user (65532) reads the pair, as from a Secret volume.
chmod 0755 "$T" "$T/tls"; chmod 0644 "$T/tls/"*

# start_container NAME ARCHIVE ARCH EXTRA_MOUNTS_JSON ENV_JSON ARGS...: unpacks ARCH's image of
# ARCHIVE (unless done already) and runs it under runc on the host network (kubectl reaches it on
# 127.0.0.1), read-only root, the pair at /etc/kilt-webhook/tls, a writable /run/kilt for the port
# file. arm64: the container's process is qemu-aarch64-static (static, bind-mounted read-only)
# running the image's entrypoint; this machine has no binfmt_misc entry to do it implicitly.
# Sets PORT and CPID (runc run).
start_container() {
  local name=$1 archive=$2 arch=$3 mounts=$4 env=$5; shift 5
  local b=$T/$name emulator='[]'
  [ -d "$b/bundle" ] || unpack "$name" "$archive" "$arch" || return 1
  mkdir -p "$b/run"
  chown 65532:65532 "$b/run"
  [ "$arch" = arm64 ] && emulator='["/qemu-aarch64-static"]'
  local extra
  extra=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
  jq --arg tls "$T/tls" --arg run "$b/run" --argjson mounts "$mounts" --argjson env "$env" --argjson extra "$extra" \
     --argjson emulator "$emulator" --arg qemu "$QEMU" '
    .process.terminal = false
    | .process.env += $env
    | .process.args += ["--cert", "/etc/kilt-webhook/tls/tls.crt", "--key", "/etc/kilt-webhook/tls/tls.key",
                        "--listen", "127.0.0.1:0", "--port-file", "/run/kilt/port", "--namespace", "kilt-system"]
                       + $extra
    | .process.args = $emulator + .process.args
    | .root.readonly = true
    | .linux.namespaces |= map(select(.type != "network"))
    | .mounts += [{destination: "/etc/kilt-webhook/tls", type: "bind", source: $tls, options: ["rbind", "ro"]},
                  {destination: "/run/kilt", type: "bind", source: $run, options: ["rbind", "rw"]}] + $mounts
    | if $emulator == [] then . else
        .mounts += [{destination: $emulator[0], type: "bind", source: $qemu, options: ["rbind", "ro"]}] end' \
    "$b/bundle/config.json" > "$b/config.new" && mv "$b/config.new" "$b/bundle/config.json"
  CIDS+=("kilt-webhook-image-$name-$$")
  runc --root "$RUNC_ROOT" run --bundle "$b/bundle" "kilt-webhook-image-$name-$$" > "$b/out.log" 2> "$b/err.log" < /dev/null &
  CPID=$!
  track "$CPID"
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

for arch in amd64 arm64; do
  echo "  [$SECONDS s] runc: the $arch image as built"
  if start_container plain-$arch "$ARCHIVE" $arch '[]' '[]' --kilt-image registry.example.com/kilt/kilt:0.1.0; then
    pass "runc runs the $arch image; the webhook listens"
    expect_eq "$arch: /healthz over TLS, checked by kubectl" ok "$(k get --raw /healthz)"
    mutate plain-$arch '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"app","image":"busybox","command":["sleep","1"]}]}}' apps
    check "$arch: /mutate: the pod is wrapped (kubectl applies the patch)" is plain-$arch.patched.json \
      '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].args == ["sleep", "1"]
       and .spec.initContainers[0].image == "registry.example.com/kilt/kilt:0.1.0"'
    pid=$(runc --root "$RUNC_ROOT" state "${CIDS[-1]}" | jq -r .pid)
    expect_eq "$arch: the server runs as 65532:65532 (not root)" "65532 65532" \
      "$(awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u, g}' "/proc/$pid/status")"
    check "$arch: logs are JSON lines on stderr" is plain-$arch/err.log -s 'any(.[]; .msg == "started")'
    runc --root "$RUNC_ROOT" kill "${CIDS[-1]}" TERM
    wait "$CPID"; rc=$?
    expect_eq "$arch: SIGTERM: the container exits 0" 0 "$rc"
    check "$arch: SIGTERM: the log says so" grep -q '"shutting down"' "$T/plain-$arch/err.log"
  else
    fail "runc runs the $arch image"
  fi
done

# --- As in a cluster: ServiceAccount files, a pull Secret, a private image ------------------------------
echo "  [$SECONDS s] in-cluster set-up: a pull Secret, a fake apiserver"
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
track $!
wait_for "$T/api.port" . || fail "fake apiserver: $(cat "$T/api.err")"
# The registry's CA is the image's whole CA bundle: no --registry-ca, as with a public registry.
webhook/image.sh --bin "$BIN" --arm64-bin "$ARM64_BIN" --out "$T/ca.oci.tar" --tag "$TAG" --ca-bundle "$W/ca.crt" \
  > /dev/null 2>&1 || fail "image with a CA bundle"
sa_mount=$(jq -cn --arg sa "$T/sa" '[{destination: "/var/run/secrets/kubernetes.io/serviceaccount", type: "bind", source: $sa, options: ["rbind", "ro"]}]')
sa_env=$(jq -cn --arg port "$(cat "$T/api.port")" '["KUBERNETES_SERVICE_HOST=127.0.0.1", "KUBERNETES_SERVICE_PORT=\($port)"]')
for arch in amd64 arm64; do
  echo "  [$SECONDS s] runc: in-cluster lookup with a pull Secret ($arch)"
  : > "$T/api.log"
  if start_container cluster-$arch "$T/ca.oci.tar" $arch "$sa_mount" "$sa_env" --kilt-image kilt:1 --lookup --pull-secrets; then
    mutate cluster-$arch "$(jq -cn --arg image "$R/private/app:v1" \
      '{apiVersion: "v1", kind: "Pod", metadata: {name: "web"},
        spec: {imagePullSecrets: [{name: "regcred"}], containers: [{name: "app", image: $image}]}}')" shop
    check "$arch: the pull Secret is read and the private image's ENTRYPOINT/CMD used" is cluster-$arch.patched.json \
      '.spec.containers[0].command == ["/kilt/run", "--"] and .spec.containers[0].args == ["/bin/app", "--port=80"]'
    expect_eq "$arch: one Secret read with the mounted token" "200 shop/regcred" "$(cat "$T/api.log")"
  else
    fail "runc runs the $arch image with --lookup --pull-secrets"
  fi
done
echo "  [$SECONDS s] done"
summary
