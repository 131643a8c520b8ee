#!/usr/bin/env bash
# deploy/webhook renders with kubectl kustomize into what the apiserver needs, and gen-certs.sh makes a
# certificate Go's TLS client accepts for the Service name: kilt-webhook serves with it and kubectl
# (--tls-server-name kilt-webhook.kilt-system.svc) talks to it using the rendered recipe.
set -u
cd "$(dirname "$0")/../.."
T_NAME=webhook-deploy
. tests/lib/testlib.sh
export KUBECONFIG=/dev/null
TMP=$(mktemp -d /tmp/kilt-webhook-deploy.XXXXXX)
WPID=
cleanup() { [ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

check "kubectl kustomize deploy/webhook renders" bash -c "kubectl kustomize deploy/webhook > '$TMP/rendered.yaml'"
node -e '
  const yaml = require("js-yaml"), fs = require("fs");
  const docs = yaml.loadAll(fs.readFileSync(process.argv[1], "utf8")).filter(Boolean);
  fs.writeFileSync(process.argv[2], JSON.stringify(docs));' "$TMP/rendered.yaml" "$TMP/rendered.json"
q() { jq -r "$1" "$TMP/rendered.json"; }
expect_eq "kinds" "ConfigMap Deployment MutatingWebhookConfiguration Namespace PodDisruptionBudget Service ServiceAccount" \
  "$(q '[.[].kind] | sort | join(" ")')"
expect_eq "everything namespaced lives in kilt-system" "kilt-system" \
  "$(q '[.[] | select(.kind != "Namespace" and .kind != "MutatingWebhookConfiguration") | .metadata.namespace] | unique | join(",")')"
expect_eq "Deployment: at least 2 replicas" true "$(q '.[] | select(.kind == "Deployment") | .spec.replicas >= 2')"
expect_eq "Deployment: readiness /readyz, liveness /healthz over HTTPS" "/readyz HTTPS /healthz HTTPS" \
  "$(q '.[] | select(.kind == "Deployment") | .spec.template.spec.containers[0] | "\(.readinessProbe.httpGet.path) \(.readinessProbe.httpGet.scheme) \(.livenessProbe.httpGet.path) \(.livenessProbe.httpGet.scheme)"')"
expect_eq "Deployment: image set by kustomize" "registry.example.com/kilt/kilt-webhook:0.1.0" \
  "$(q '.[] | select(.kind == "Deployment") | .spec.template.spec.containers[0].image')"
expect_eq "Deployment: nodeSelector is linux only (the image is amd64 + arm64: no arch pin)" '{"kubernetes.io/os":"linux"}' \
  "$(q '.[] | select(.kind == "Deployment") | .spec.template.spec.nodeSelector | tojson')"
expect_eq "PodDisruptionBudget selects the webhook pods" true \
  "$(q '(.[] | select(.kind == "PodDisruptionBudget") | .spec.selector.matchLabels) as $s | .[] | select(.kind == "Deployment") | .spec.template.metadata.labels | contains($s)')"
expect_eq "Service targets the https port" "443 https" "$(q '.[] | select(.kind == "Service") | .spec.ports[0] | "\(.port) \(.targetPort)"')"
q '.[] | select(.kind == "Deployment")' > "$TMP/deployment.json"
check "Deployment: typed decode" bash -c "kubectl set env --local -f '$TMP/deployment.json' X=1 -o json > /dev/null"
w='.[] | select(.kind == "MutatingWebhookConfiguration") | .webhooks[0]'
expect_eq "webhook: sideEffects None, timeout, failurePolicy, reinvocation IfNeeded, v1" "None 10 Ignore IfNeeded v1" \
  "$(q "$w"' | "\(.sideEffects) \(.timeoutSeconds) \(.failurePolicy) \(.reinvocationPolicy) \(.admissionReviewVersions | join(","))"')"
expect_eq "webhook: service kilt-system/kilt-webhook /mutate" "kilt-system/kilt-webhook/mutate:443" \
  "$(q "$w"' | .clientConfig.service | "\(.namespace)/\(.name)\(.path):\(.port)"')"
expect_eq "webhook: CREATE pods only" "CREATE pods" "$(q "$w"' | .rules[0] | "\(.operations | join(",")) \(.resources | join(","))"')"
expect_eq "webhook: opt-in label, kube-system and its own namespace excluded" \
  'kilt.io/inject In enabled|kubernetes.io/metadata.name NotIn kube-system,kilt-system' \
  "$(q "$w"' | [.namespaceSelector.matchExpressions[] | "\(.key) \(.operator) \(.values | join(","))"] | join("|")')"

# The pull-secrets component: enabled as documented (uncommented in a copy of deploy/webhook).
cp -r deploy/webhook "$TMP/deploy"
sed -i 's|^# components:|components:|; s|^#   - pull-secrets|  - pull-secrets|' "$TMP/deploy/kustomization.yaml"
check "pull-secrets component renders" bash -c "kubectl kustomize '$TMP/deploy' > '$TMP/pull.yaml'"
node -e '
  const yaml = require("js-yaml"), fs = require("fs");
  fs.writeFileSync(process.argv[2], JSON.stringify(yaml.loadAll(fs.readFileSync(process.argv[1], "utf8")).filter(Boolean)));
  fs.writeFileSync(process.argv[4], JSON.stringify(yaml.load(fs.readFileSync(process.argv[3], "utf8"))));' \
  "$TMP/pull.yaml" "$TMP/pull.json" deploy/webhook/pull-secrets/rolebinding.example.yaml "$TMP/rb.json"
p() { jq -r "$1" "$TMP/pull.json"; }
expect_eq "pull-secrets: ClusterRole may only get secrets (no list, no watch)" '[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]' \
  "$(p '.[] | select(.kind == "ClusterRole" and .metadata.name == "kilt-webhook-pull-secrets") | .rules | tojson')"
expect_eq "pull-secrets: no binding shipped (bound per namespace by the admin)" "" \
  "$(p '.[] | select(.kind | test("Binding")) | .kind')"
expect_eq "pull-secrets: the Deployment passes --lookup and --pull-secrets and mounts the token" "true true true" \
  "$(p '.[] | select(.kind == "Deployment") | .spec.template.spec | "\(.containers[0].args | index("--lookup") != null) \(.containers[0].args | index("--pull-secrets") != null) \(.automountServiceAccountToken)"')"
p '.[] | select(.kind == "Deployment")' > "$TMP/pull-deployment.json"
check "pull-secrets: Deployment typed decode" bash -c "kubectl set env --local -f '$TMP/pull-deployment.json' X=1 -o json > /dev/null"
expect_eq "pull-secrets: the example RoleBinding binds the ClusterRole to kilt-system/kilt-webhook in one namespace" \
  "RoleBinding shop ClusterRole/kilt-webhook-pull-secrets ServiceAccount/kilt-system/kilt-webhook" \
  "$(jq -r '"\(.kind) \(.metadata.namespace) \(.roleRef.kind)/\(.roleRef.name) \(.subjects[0].kind)/\(.subjects[0].namespace)/\(.subjects[0].name)"' "$TMP/rb.json")"

# gen-certs.sh: certificate for the Service DNS name, secret and caBundle patch.
check "gen-certs.sh runs" bash -c "deploy/webhook/gen-certs.sh --out '$TMP/certs' > /dev/null"
check "certificate verifies against the CA" openssl verify -CAfile "$TMP/certs/ca.crt" "$TMP/certs/tls.crt"
expect_contains "certificate SANs" "DNS:kilt-webhook.kilt-system.svc" "$(openssl x509 -in "$TMP/certs/tls.crt" -noout -ext subjectAltName)"
expect_eq "secret is kubernetes.io/tls with the pair" "kubernetes.io/tls $(base64 -w0 < "$TMP/certs/tls.crt")" \
  "$(node -e 'const y=require("js-yaml").load(require("fs").readFileSync(process.argv[1],"utf8")); console.log(y.type+" "+y.data["tls.crt"])' "$TMP/certs/secret.yaml")"
expect_eq "caBundle patch carries the CA" "$(base64 -w0 < "$TMP/certs/ca.crt")" "$(jq -r '.[0].value' "$TMP/certs/cabundle-patch.json")"

# The rendered recipe and the generated certificate work with the server; kubectl checks the name.
q '.[] | select(.kind == "ConfigMap") | .data["recipe.toml"]' > "$TMP/recipe.toml"
build/bin/kilt-webhook --cert "$TMP/certs/tls.crt" --key "$TMP/certs/tls.key" --recipe "$TMP/recipe.toml" \
  --listen 127.0.0.1:0 --port-file "$TMP/port" --namespace kilt-system 2> "$TMP/log" &
WPID=$!
deadline=$((SECONDS + 60))
while [ ! -s "$TMP/port" ] && kill -0 $WPID 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
cat > "$TMP/review.json" <<'JSON'
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d-1","kind":{"group":"","version":"v1","kind":"Pod"},
 "namespace":"apps","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
 "spec":{"containers":[{"name":"app","image":"busybox","command":["sleep","1"]}]}}}}
JSON
resp=$(kubectl create --raw /mutate -f "$TMP/review.json" --server="https://127.0.0.1:$PORT" \
  --certificate-authority="$TMP/certs/ca.crt" --tls-server-name=kilt-webhook.kilt-system.svc --token=x </dev/null 2>&1)
expect_eq "kubectl accepts the generated certificate for the Service name; the rendered recipe patches" \
  "true JSONPatch" "$(jq -r '"\(.response.allowed) \(.response.patchType)"' <<<"$resp" 2>/dev/null || echo "$resp")"
summary
