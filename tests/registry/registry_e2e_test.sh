#!/usr/bin/env bash
# End to end: image config lookup against real registries on 127.0.0.1 (ephemeral ports).
#  - Debian's docker-registry with TLS (an openssl-made CA) and htpasswd auth;
#  - docker-registry with token auth, tokens from tests/registry/token_server.py (RS256 JWTs);
#  - misbehaving servers (tests/registry/bad_server.py): one that hangs, one that answers garbage.
# Images are built with umoci and pushed with skopeo (OCI and Docker schema 2, and a multi-arch index).
# Usage: registry_e2e_test.sh KILT_IMAGE_CONFIG KILT_RESOLVE
set -uo pipefail
T_NAME=registry-e2e
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../lib/testlib.sh"
IC=$(realpath "$1")
RESOLVE=$(realpath "$2")

use_workdir registry-e2e

source "$HERE/registry_lib.sh"

# --- TLS (an openssl-made CA), htpasswd, the two registries ---------------------------------------
cd "$W"
make_pki || { echo "openssl/htpasswd failed"; exit 1; }
start_registry basic "  htpasswd:
    realm: kilt-e2e
    path: $W/htpasswd" || exit 1
R=127.0.0.1:$PORT_basic

python3 "$HERE/token_server.py" "$W/token.crt" "$W/token.key" "$W/srv.crt" "$W/srv.key" "$W/token.port" 2>"$W/token.log" &
track $!
wait_for "$W/token.port" . || exit 1
start_registry token "  token:
    realm: https://127.0.0.1:$(cat "$W/token.port")/token
    service: kilt-test-registry
    issuer: kilt-test-issuer
    rootcertbundle: $W/token.crt" || exit 1
RT=127.0.0.1:$PORT_token

# --- images: umoci builds, skopeo pushes ------------------------------------------------------------
umoci init --layout img
umoci new --image img:base
umoci config --image img:base --tag both --config.entrypoint /bin/app --config.entrypoint --serve --config.cmd --port=80
umoci config --image img:base --tag ep --config.entrypoint /docker-entrypoint.sh
umoci config --image img:base --tag cmd --config.cmd sh --config.cmd -c --config.cmd 'echo "hi there"'
umoci config --image img:base --tag none --config.env FOO=bar
umoci config --image img:base --tag amd --config.entrypoint /amd64-app
umoci config --image img:base --tag arm --architecture arm64 --config.entrypoint /arm64-app

# A multi-arch index over "amd" and "arm", tagged "multi" in the layout.
python3 - img <<'PY'
import hashlib, json, os, sys
root = sys.argv[1]
idx = json.load(open(f"{root}/index.json"))
by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
entries = []
for tag, arch in (("amd", "amd64"), ("arm", "arm64")):
    m = dict(by_tag[tag]); m.pop("annotations")
    m["platform"] = {"os": "linux", "architecture": arch}
    entries.append(m)
blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}).encode()
digest = hashlib.sha256(blob).hexdigest()
open(f"{root}/blobs/sha256/{digest}", "wb").write(blob)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + digest, "size": len(blob),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(f"{root}/index.json", "w"))
PY

push "$R" both app/both:v1 || exit 1
push "$R" ep app/ep:v1 --format v2s2 || exit 1     # Docker schema 2
push "$R" cmd app/cmd:v1 || exit 1
push "$R" none app/none:v1 --format v2s2 || exit 1
push "$R" multi app/multi:v1 --all || exit 1
push "$RT" both public/both:v1 || exit 1
push "$RT" cmd private/cmd:v1 || exit 1

echo '{"username":"alice","password":"s3cret"}' > creds.json
echo '{"username":"alice","password":"WRONG-pw-123"}' > badcreds.json
IC_AUTH=("$IC" --ca-file "$W/ca.crt" --credentials "$W/creds.json")

jqc() { jq -c "$1" <<<"$2"; }

# --- the four EntryPoint/Command combinations -------------------------------------------------------
out=$("${IC_AUTH[@]}" "$R/app/both:v1")
expect_eq "Entrypoint and Cmd" '["/bin/app","--serve"] ["--port=80"]' \
  "$(jqc .config.Entrypoint "$out") $(jqc .config.Cmd "$out")"
out=$("${IC_AUTH[@]}" "$R/app/ep:v1")
expect_eq "Entrypoint only (Docker schema 2)" '["/docker-entrypoint.sh"] null' \
  "$(jqc .config.Entrypoint "$out") $(jqc .config.Cmd "$out")"
out=$("${IC_AUTH[@]}" "$R/app/cmd:v1")
expect_eq "Cmd only, argument with spaces and quotes" 'null ["sh","-c","echo \"hi there\""]' \
  "$(jqc .config.Entrypoint "$out") $(jqc .config.Cmd "$out")"
out=$("${IC_AUTH[@]}" "$R/app/none:v1")
expect_eq "neither (Docker schema 2); the rest of config as stored" 'null null ["FOO=bar"]' \
  "$(jqc .config.Entrypoint "$out") $(jqc .config.Cmd "$out") $(jqc .config.Env "$out")"

# The digest is the one the registry serves for the tag (as skopeo computes it).
want=$(skopeo inspect --cert-dir "$W/certs" --creds alice:s3cret --format '{{.Digest}}' "docker://$R/app/both:v1")
out=$("${IC_AUTH[@]}" "$R/app/both:v1")
expect_eq "digest matches skopeo's" "$want" "$(jq -r .digest <<<"$out")"
out=$("${IC_AUTH[@]}" "$R/app/both@$want")
expect_eq "lookup by digest" '["/bin/app","--serve"]' "$(jqc .config.Entrypoint "$out")"

# --- platform selection from an index --------------------------------------------------------------
index_digest=$(skopeo inspect --raw --cert-dir "$W/certs" --creds alice:s3cret "docker://$R/app/multi:v1" | sha256sum | cut -d' ' -f1)
out=$("${IC_AUTH[@]}" "$R/app/multi:v1")
expect_eq "index: amd64 by default" '["/amd64-app"]' "$(jqc .config.Entrypoint "$out")"
expect_eq "index: the digest to pin is the index's" "sha256:$index_digest" "$(jq -r .digest <<<"$out")"
out=$("${IC_AUTH[@]}" --platform linux/arm64 "$R/app/multi:v1")
expect_eq "index: linux/arm64" '["/arm64-app"]' "$(jqc .config.Entrypoint "$out")"
out=$("${IC_AUTH[@]}" --platform ARM64 "$R/app/multi:v1")
expect_eq "index: ECS's ARM64" '["/arm64-app"]' "$(jqc .config.Entrypoint "$out")"
err=$("${IC_AUTH[@]}" --platform linux/s390x "$R/app/multi:v1" 2>&1 >/dev/null); rc=$?
expect_eq "index: missing platform fails" 1 "$rc"
expect_contains "index: missing platform lists what there is" \
  "no linux/s390x image (it has: linux/amd64, linux/arm64)" "$err"

# --- credentials and trust -----------------------------------------------------------------------
mkdir -p dockercfg
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$(printf alice:s3cret | base64)" > dockercfg/config.json
out=$(DOCKER_CONFIG=$W/dockercfg "$IC" --ca-file "$W/ca.crt" "$R/app/ep:v1")
expect_eq "credentials from \$DOCKER_CONFIG/config.json" '["/docker-entrypoint.sh"]' "$(jqc .config.Entrypoint "$out")"
out=$(SSL_CERT_FILE=$W/ca.crt "$IC" --credentials "$W/creds.json" "$R/app/ep:v1")
expect_eq "trust through SSL_CERT_FILE" '["/docker-entrypoint.sh"]' "$(jqc .config.Entrypoint "$out")"

err=$("$IC" --ca-file "$W/ca.crt" --credentials "$W/badcreds.json" "$R/app/both:v1" 2>&1 >/dev/null); rc=$?
expect_eq "wrong password: exit 1" 1 "$rc"
expect_contains "wrong password: names image and registry" "image $R/app/both:v1 (linux/amd64): registry $R" "$err"
expect_contains "wrong password: says authentication failed with HTTP 401" "authentication failed: HTTP 401" "$err"
check "wrong password: the password is not printed" bash -c "! grep -q WRONG-pw <<<'$err'"
err=$(HOME=$W DOCKER_CONFIG= "$IC" --ca-file "$W/ca.crt" "$R/app/both:v1" 2>&1 >/dev/null); rc=$?
expect_contains "no credentials: says so and what to do" "no credentials found for $R; run 'docker login $R'" "$err"

err=$(SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$IC" --credentials "$W/creds.json" "$R/app/both:v1" 2>&1 >/dev/null); rc=$?
expect_eq "untrusted CA: exit 1" 1 "$rc"
expect_contains "untrusted CA: certificate verification failed" "certificate verification failed" "$err"

# --- token auth (Bearer, Docker Hub style) ----------------------------------------------------------
out=$("$IC" --ca-file "$W/ca.crt" "$RT/public/both:v1")
expect_eq "bearer: anonymous token for a public repository" '["/bin/app","--serve"]' "$(jqc .config.Entrypoint "$out")"
out=$("$IC" --ca-file "$W/ca.crt" --credentials "$W/creds.json" "$RT/private/cmd:v1")
expect_eq "bearer: token for alice on a private repository" '["sh","-c","echo \"hi there\""]' "$(jqc .config.Cmd "$out")"
err=$("$IC" --ca-file "$W/ca.crt" "$RT/private/cmd:v1" 2>&1 >/dev/null); rc=$?
expect_contains "bearer: anonymous on a private repository is refused" "authentication failed: HTTP 401" "$err"
expect_contains "bearer: ... and suggests docker login" "may be private: run 'docker login $RT'" "$err"
err=$("$IC" --ca-file "$W/ca.crt" --credentials "$W/badcreds.json" "$RT/private/cmd:v1" 2>&1 >/dev/null); rc=$?
expect_contains "bearer: wrong password refused by the token server" "refused a pull token: HTTP 401" "$err"

# --- 404, a hanging registry, garbage ---------------------------------------------------------------
err=$("${IC_AUTH[@]}" "$R/app/both:nope" 2>&1 >/dev/null); rc=$?
expect_eq "unknown tag: exit 1" 1 "$rc"
expect_contains "unknown tag: HTTP 404 and the registry's reason" \
  "image $R/app/both:nope (linux/amd64): registry $R: manifest app/both:nope: HTTP 404 Not Found (MANIFEST_UNKNOWN" "$err"
err=$("${IC_AUTH[@]}" "$R/app/missing:v1" 2>&1 >/dev/null); rc=$?
expect_contains "unknown repository: HTTP 404" "manifest app/missing:v1: HTTP 404 Not Found" "$err"

python3 "$HERE/bad_server.py" hang "$W/hang.port" & track $!
python3 "$HERE/bad_server.py" garbage "$W/garbage.port" & track $!
python3 "$HERE/bad_server.py" nonhttp "$W/nonhttp.port" & track $!
wait_for "$W/hang.port" . && wait_for "$W/garbage.port" . && wait_for "$W/nonhttp.port" . || exit 1
H=127.0.0.1:$(cat "$W/hang.port")
# `timeout` only keeps a broken build from hanging the suite; the lookup's own timeout is 2 s.
err=$(timeout 120 "$IC" --timeout 2 "$H/app:v1" 2>&1 >/dev/null); rc=$?
expect_eq "hanging registry (TLS): exit 1, not killed" 1 "$rc"
expect_contains "hanging registry: the error names the image" "image $H/app:v1 (linux/amd64): registry $H" "$err"
expect_contains "hanging registry: says it timed out" "timed out" "$err"
err=$(timeout 120 "$IC" --timeout 2 --insecure-http "$H" "$H/app:v1" 2>&1 >/dev/null); rc=$?
expect_eq "hanging registry (http): exit 1" 1 "$rc"
expect_contains "hanging registry (http): timed out" "timed out" "$err"
G=127.0.0.1:$(cat "$W/garbage.port")
err=$("$IC" --insecure-http "$G" "$G/app:v1" 2>&1 >/dev/null); rc=$?
expect_eq "garbage manifest: exit 1" 1 "$rc"
expect_contains "garbage manifest: says so" "image $G/app:v1 (linux/amd64): registry $G: manifest app:v1: the manifest is not a JSON object" "$err"
N=127.0.0.1:$(cat "$W/nonhttp.port")
err=$("$IC" --insecure-http "$N" "$N/app:v1" 2>&1 >/dev/null); rc=$?
expect_eq "not HTTP at all: exit 1" 1 "$rc"
expect_contains "not HTTP at all: names the image" "image $N/app:v1" "$err"
err=$("$IC" --ca-file "$W/ca.crt" "$N/app:v1" 2>&1 >/dev/null); rc=$?
expect_eq "not TLS at all: exit 1" 1 "$rc"
err=$("$IC" "Not/A:Valid Ref" 2>&1 >/dev/null); rc=$?
expect_contains "bad reference: clear error" "invalid image reference" "$err"

# --- Amazon ECR: GetAuthorizationToken signed with SigV4 (checked by botocore), then Basic ------------
python3 "$HERE/fake_ecr.py" AKIDKILTTEST 'kiltTEST/secret+key' tokKILT "$W/srv.crt" "$W/srv.key" \
  "$W/ecr.port" 2>"$W/ecr.log" &
track $!
wait_for "$W/ecr.port" . || exit 1
# The made-up ECR host resolves to 127.0.0.1 only inside a private mount namespace's /etc/hosts.
echo "127.0.0.1 $ECR_HOST" > "$W/hosts"
ecr() {  # ecr SECRET_KEY IMAGE
  unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$W/hosts" \
    env DOCKER_CONFIG="$W/nowhere" AWS_ACCESS_KEY_ID=AKIDKILTTEST AWS_SECRET_ACCESS_KEY="$1" \
    AWS_SESSION_TOKEN=tokKILT AWS_ENDPOINT_URL_ECR="https://127.0.0.1:$(cat "$W/ecr.port")" \
    "$IC" --ca-file "$W/ca.crt" "$2"
}
out=$(ecr 'kiltTEST/secret+key' "$ECR_HOST:$PORT_basic/app/ep:v1")
expect_eq "ECR: SigV4-signed GetAuthorizationToken, then the registry" '["/docker-entrypoint.sh"]' \
  "$(jqc .config.Entrypoint "$out")"
err=$(ecr 'wrong-secret' "$ECR_HOST:$PORT_basic/app/ep:v1" 2>&1 >/dev/null); rc=$?
expect_eq "ECR: a bad AWS secret fails" 1 "$rc"
expect_contains "ECR: ... with ECR's answer and what to check" \
  "GetAuthorizationToken at https://127.0.0.1:$(cat "$W/ecr.port") failed: HTTP 403 (InvalidSignatureException" "$err"
check "ECR: the secret is not printed" bash -c "! grep -q wrong-secret <<<'$err'"

# --- the resolver: parallel lookups, one error per failed image, cache across calls ----------------
mkfifo in.fifo
: > resolve.out   # appended to, so that truncating it between batches leaves no hole
"$RESOLVE" --ca-file "$W/ca.crt" --docker-config "$W/dockercfg/config.json" --parallel 4 \
  --timeout-ms 20000 < in.fifo >> resolve.out 2> resolve.err &
RPID=$!; track $RPID
exec 7> in.fifo
batch="$R/app/both:v1 $R/app/ep:v1 $R/app/cmd:v1 $R/app/none:v1 $R/app/multi:v1 $R/app/multi:v1,linux/arm64 $R/app/both:nope"
echo "$batch" >&7
wait_for resolve.out '^done' || exit 1
expect_eq "resolver: six resolved" 6 "$(grep -c '^ok ' resolve.out)"
expect_eq "resolver: one error" 1 "$(grep -c '^error ' resolve.out)"
expect_contains "resolver: arm64 from the index" "ok $R/app/multi:v1 linux/arm64 sha256:$index_digest /arm64-app|" "$(cat resolve.out)"
expect_contains "resolver: the error names the image and the status" "error image $R/app/both:nope (linux/amd64): registry $R: manifest app/both:nope: HTTP 404" "$(cat resolve.out)"
# Stop the registry: a warm process answers from its cache (tags for the TTL, digests forever).
kill "$PID_basic"; wait "$PID_basic" 2>/dev/null
: > resolve.out
echo "$batch $R/app/both@$want" >&7
wait_for resolve.out '^done' || exit 1
expect_eq "resolver: cached answers without the registry" 6 "$(grep -c "^ok .* sha256:.* " resolve.out)"
expect_contains "resolver: uncached image fails with the registry down" "error image $R/app/both@$want" "$(cat resolve.out)"
exec 7>&-
wait "$RPID"

summary
