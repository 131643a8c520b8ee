#!/usr/bin/env bash
# Creates the webhook's TLS material with openssl: a CA, a serving certificate for
# kilt-webhook.NAMESPACE.svc (the SANs Go's TLS client requires), the Secret kilt-webhook-tls, and the
# MutatingWebhookConfiguration's caBundle.
#
#   deploy/webhook/gen-certs.sh [--namespace kilt-system] [--out DIR] [--days 365] [--apply]
#
# Without --apply it only writes DIR (default ./kilt-webhook-certs): ca.crt, ca.key, tls.crt, tls.key,
# secret.yaml, cabundle-patch.json. With --apply it also runs kubectl apply (the Secret) and kubectl
# patch (the caBundle) against the current cluster. Re-run it before the certificate expires: the
# webhook reloads the Secret without a restart. Keep ca.key private (or delete it).
set -euo pipefail
ns=kilt-system out=./kilt-webhook-certs days=365 apply=0 service=kilt-webhook
while [ $# -gt 0 ]; do
  case $1 in
    --namespace) ns=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --apply) apply=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "gen-certs.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v openssl >/dev/null || { echo "gen-certs.sh: openssl is required" >&2; exit 2; }
mkdir -p "$out"
umask 077
host=$service.$ns.svc
if [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$days" -keyout "$out/ca.key" -out "$out/ca.crt" \
    -subj "/CN=kilt-webhook-ca" 2>/dev/null
fi
openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$out/tls.key.new" -out "$out/tls.csr" -subj "/CN=$host" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
  "$host" "$service" "$ns" "$host" > "$out/ext.cnf"
openssl x509 -req -sha256 -days "$days" -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -CAcreateserial -extfile "$out/ext.cnf" -out "$out/tls.crt.new" 2>/dev/null
mv "$out/tls.key.new" "$out/tls.key"
mv "$out/tls.crt.new" "$out/tls.crt"
rm -f "$out/tls.csr" "$out/ext.cnf"
openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null

b64() { base64 -w0 < "$1"; }
cat > "$out/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: kilt-webhook-tls
  namespace: $ns
type: kubernetes.io/tls
data:
  tls.crt: $(b64 "$out/tls.crt")
  tls.key: $(b64 "$out/tls.key")
YAML
printf '[{"op":"replace","path":"/webhooks/0/clientConfig/caBundle","value":"%s"}]\n' "$(b64 "$out/ca.crt")" \
  > "$out/cabundle-patch.json"

if [ $apply = 1 ]; then
  kubectl apply -f "$out/secret.yaml"
  kubectl patch mutatingwebhookconfiguration kilt-webhook --type=json --patch-file="$out/cabundle-patch.json"
else
  echo "wrote $out; apply with: kubectl apply -f $out/secret.yaml && kubectl patch mutatingwebhookconfiguration kilt-webhook --type=json --patch-file=$out/cabundle-patch.json"
fi
