#!/usr/bin/env bash
# net/ end to end: the HTTP client against a real Python server, plain and TLS (openssl-made CA and
# certificates): SNI, hostname/IP verification, SSL_CERT_FILE, the extra CA option, chunked bodies,
# POST bodies and the size cap.   usage: net_e2e_test.sh build/test/kilt-http-fetch
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/testlib.sh
FETCH=$(realpath "$1")
use_workdir net-e2e
TMP=$W

# Certificates: one CA, a leaf for localhost + 127.0.0.1, and a leaf for another name.
(
  cd "$TMP"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=kilt-test-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  for leaf in good:DNS:localhost,IP:127.0.0.1 wrong:DNS:other.example; do
    name=${leaf%%:*}; san=${leaf#*:}
    openssl req -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj /CN=$name 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > $name.ext
    openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile $name.ext -out $name.pem 2>/dev/null
  done
) || { echo "net_e2e: openssl failed"; exit 1; }

# start_server NAME [CERT KEY]: starts the server, waits (polling, 30 s deadline) for its port.
start_server() {
  local name=$1; shift
  python3 tests/lambda/net_server.py "$@" > "$TMP/$name.port" 2> "$TMP/$name.log" &
  track $!
  local end=$((SECONDS + 30))
  while [ ! -s "$TMP/$name.port" ] && [ $SECONDS -lt $end ]; do read -r -t 0.05 <> <(:) || true; done
  [ -s "$TMP/$name.port" ] || { echo "net_e2e: server $name did not start"; cat "$TMP/$name.log"; exit 1; }
}
start_server plain
start_server tls "$TMP/good.pem" "$TMP/good.key"
start_server wrong "$TMP/wrong.pem" "$TMP/wrong.key"
P=$(head -1 "$TMP/plain.port"); T=$(head -1 "$TMP/tls.port"); W=$(head -1 "$TMP/wrong.port")

fetch() { env -u SSL_CERT_FILE -u SSL_CERT_DIR timeout 60 "$FETCH" "$@" 2>&1; }

expect_eq "plain GET" "$(printf '200\nhello')" "$(fetch http://127.0.0.1:$P/hello)"
expect_eq "chunked body is de-chunked" "$(printf '200\none two three')" "$(fetch http://127.0.0.1:$P/chunked)"
expect_eq "POST body and status" "$(printf '200\nPOST /x?y=1 {"a":1}')" \
  "$(fetch --method POST --data '{"a":1}' "http://127.0.0.1:$P/x?y=1")"
expect_eq "404 is a response, not an error" "404" "$(fetch http://127.0.0.1:$P/nope | head -1)"
expect_eq "2 MiB body" "$((2 << 20))" "$(fetch http://127.0.0.1:$P/big | tail -n +2 | wc -c)"
expect_contains "size cap" "larger than 1000 bytes" "$(fetch --max 1000 http://127.0.0.1:$P/big)"

expect_eq "TLS to an IP SAN with the extra CA" "$(printf '200\nhello')" \
  "$(fetch --ca "$TMP/ca.pem" https://127.0.0.1:$T/hello)"
expect_eq "TLS to a DNS name sends SNI" "$(printf '200\nlocalhost')" \
  "$(fetch --ca "$TMP/ca.pem" https://localhost:$T/sni)"
expect_eq "no SNI for an IP address" "200" "$(fetch --ca "$TMP/ca.pem" https://127.0.0.1:$T/sni)"
expect_eq "SSL_CERT_FILE is honoured" "$(printf '200\nhello')" \
  "$(SSL_CERT_FILE="$TMP/ca.pem" timeout 60 "$FETCH" https://127.0.0.1:$T/hello 2>&1)"
out=$(fetch https://127.0.0.1:$T/hello); rc=$?
expect_contains "unknown CA is refused" "certificate verification failed" "$out"
expect_eq "unknown CA exits 1" "1" "$rc"
expect_contains "wrong host name is refused" "certificate verification failed" \
  "$(fetch --ca "$TMP/ca.pem" https://127.0.0.1:$W/hello)"
expect_contains "error names the URL" "GET https://127.0.0.1:$W/hello" \
  "$(fetch --ca "$TMP/ca.pem" https://127.0.0.1:$W/hello)"
expect_contains "bad CA file is named" "cannot load CA file $TMP/nope.pem" \
  "$(fetch --ca "$TMP/nope.pem" https://127.0.0.1:$T/hello)"
expect_contains "TLS client to a plain server fails cleanly" "TLS handshake with 127.0.0.1" \
  "$(fetch --ca "$TMP/ca.pem" https://127.0.0.1:$P/hello)"
summary
