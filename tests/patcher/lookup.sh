#!/usr/bin/env bash
# `kilt patch --lookup` against a real registry (Debian docker-registry over TLS with htpasswd auth on
# 127.0.0.1): an image's ENTRYPOINT/CMD come from its config, so a container that sets neither is wrapped
# exactly. Uses the registry engineer's helpers (tests/registry/registry_lib.sh).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T_NAME=patcher-lookup
. "$ROOT/tests/lib/testlib.sh"
KILT=$ROOT/build/bin/kilt
use_workdir patcher-lookup
source "$ROOT/tests/registry/registry_lib.sh"

cd "$W"
make_pki || { echo "openssl/htpasswd failed"; exit 1; }
start_registry basic "  htpasswd:
    realm: kilt-patcher
    path: $W/htpasswd" || exit 1
R=127.0.0.1:$PORT_basic
umoci init --layout img >/dev/null && umoci new --image img:base >/dev/null &&
  umoci config --image img:base --tag app --config.entrypoint /docker-entrypoint.sh \
    --config.cmd nginx --config.cmd -g --config.cmd 'daemon off;' >/dev/null || { echo "umoci failed"; exit 1; }
push "$R" app web/app:1 || exit 1

mkdir -p "$W/docker"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$R" "$(printf alice:s3cret | base64)" > "$W/docker/config.json"
cat > td.json <<JSON
{"family": "web", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
 "containerDefinitions": [{"name": "web", "image": "$R/web/app:1", "essential": true},
                          {"name": "tool", "image": "$R/web/app:1", "command": ["nginx", "-t"]}]}
JSON
DOCKER_CONFIG=$W/docker SSL_CERT_FILE=$W/ca.crt $KILT patch --ecs --kilt-image k:1 --lookup -q -o out.json td.json 2> err
expect_eq "kilt patch --lookup succeeds" "" "$(cat err)"
cmd=$(python3 -c 'import json,sys; d=json.load(open("out.json")); print(json.dumps([c.get("command") for c in d["containerDefinitions"][:2]]))')
expect_eq "the image's ENTRYPOINT ++ CMD (or ++ the task's command) follow the launcher" \
  '[["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], ["/docker-entrypoint.sh", "nginx", "-t"]]' "$cmd"
DOCKER_CONFIG=$W/docker SSL_CERT_FILE=$W/ca.crt $KILT patch --ecs --kilt-image k:1 --lookup -q \
  <(sed 's|web/app:1|web/missing:1|g' td.json) > /dev/null 2> err; rc=$?
expect_eq "a missing image exits 2" 2 $rc
expect_contains "... with the registry's answer" "web/missing" "$(cat err)"
# A CloudFormation Fn::Sub image is looked up as it resolves; the template keeps its Fn::Sub.
cat > cfn.json <<'JSON'
{"Parameters": {"Registry": {"Type": "String"}, "App": {"Type": "String", "Default": "app"}},
 "Resources": {"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"RequiresCompatibilities": ["FARGATE"],
  "ContainerDefinitions": [{"Name": "web", "Image": {"Fn::Sub": ["${Registry}/web/${App}:${V}", {"V": "1"}]}}]}}}}
JSON
DOCKER_CONFIG=$W/docker SSL_CERT_FILE=$W/ca.crt $KILT patch --kilt-image k:1 --lookup -q --parameter-defaults \
  --parameter "Registry=$R" -o cfn-out.json cfn.json 2> err
expect_eq "kilt patch --lookup resolves an Fn::Sub image" "" "$(cat err)"
c=$(python3 -c 'import json; c=json.load(open("cfn-out.json"))["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]; print(json.dumps([c["Command"], c["Image"]]))')
expect_eq "... runs the image's ENTRYPOINT ++ CMD and keeps the Fn::Sub" \
  '[["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], {"Fn::Sub": ["${Registry}/web/${App}:${V}", {"V": "1"}]}]' "$c"
summary
