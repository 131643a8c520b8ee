# Shared by tests/registry/registry_e2e_test.sh and bench/registry_bench.sh: real registries on
# 127.0.0.1 with ephemeral ports. Source it after tests/lib/testlib.sh, with W (a scratch directory) set:
# its servers are tracked (testlib's track) and killed on exit.

# wait_for FILE PATTERN: poll (generous deadline) until FILE contains PATTERN.
wait_for() {
  for _ in $(seq 600); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

# make_pki: $W/ca.crt (+ certs/ca.crt for skopeo), a server cert for 127.0.0.1 ($W/srv.{crt,key}),
# a token-signing cert ($W/token.{crt,key}) and $W/htpasswd with alice:s3cret and AWS:ecr-pw (what
# the fake ECR API hands out). The server cert also names $ECR_HOST, a made-up ECR registry host.
ECR_HOST=123456789012.dkr.ecr.us-east-1.amazonaws.com
make_pki() {
  (cd "$W" &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=kilt test CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:%s\n' "$ECR_HOST" > san.ext &&
    openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile san.ext &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 -subj "/CN=kilt test token issuer" &&
    mkdir -p certs && cp ca.crt certs/ca.crt &&
    htpasswd -Bbn alice s3cret > htpasswd && htpasswd -Bbn AWS ecr-pw >> htpasswd) >/dev/null 2>&1
}

# start_registry NAME AUTH_YAML: a TLS docker-registry; sets PORT_<NAME> and PID_<NAME>.
start_registry() {
  local name=$1 auth=$2
  mkdir -p "$W/data-$name"
  cat > "$W/$name.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/data-$name
http:
  addr: 127.0.0.1:0
  tls:
    certificate: $W/srv.crt
    key: $W/srv.key
auth:
$auth
YML
  docker-registry serve "$W/$name.yml" > "$W/$name.log" 2>&1 &
  track $!
  eval "PID_$name=$!"
  wait_for "$W/$name.log" "listening on" || return 1
  local port
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$W/$name.log" | head -1 | sed 's/.*://')
  eval "PORT_$name=$port"
}

# push REGISTRY TAG DEST [skopeo flags...]: copies $W/img:TAG to docker://REGISTRY/DEST as alice.
push() {
  local reg=$1 tag=$2 dest=$3; shift 3
  skopeo copy -q --dest-cert-dir "$W/certs" --dest-creds alice:s3cret "$@" \
    "oci:$W/img:$tag" "docker://$reg/$dest" >/dev/null 2>"$W/skopeo.err" ||
    { echo "skopeo push of $tag to $reg/$dest failed:"; cat "$W/skopeo.err"; return 1; }
}
