#!/usr/bin/env bash
# `kilt patch` / `kilt recipe` as a user runs them: exit codes, nothing written on error, --check, --diff,
# YAML in and out with short tags, stdin, deterministic output.
set -u
cd "$(dirname "$0")/../.."
T_NAME=patcher-cli
. tests/lib/testlib.sh
KILT=build/bin/kilt
FX=tests/patcher/fixtures
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

$KILT recipe --default > "$OUT/default.toml"
check "kilt recipe --default prints a recipe kilt recipe --check accepts" $KILT recipe --check "$OUT/default.toml"
expect_contains "the default recipe documents the launcher" 'entrypoint = ["/kilt/run", "--"]' "$(cat "$OUT/default.toml")"
printf 'imag = "x"\n' > "$OUT/bad.toml"
$KILT recipe --check "$OUT/bad.toml" 2> "$OUT/err"; rc=$?
expect_eq "a misspelt recipe key exits 2" 2 $rc
expect_contains "... naming file, line and key" "bad.toml:1: imag: unknown key" "$(cat "$OUT/err")"

# YAML in, YAML out: short tags stay short, the header comment stays, values are right.
$KILT patch --recipe $FX/recipe.toml -q $FX/app.yaml > "$OUT/app.yaml" 2> "$OUT/err"
expect_eq "a YAML template patches" "" "$(cat "$OUT/err")"
y=$(cat "$OUT/app.yaml")
expect_contains "the header comment is kept" "# An app on Fargate" "$y"
expect_contains "short tags are written short" "awslogs-group: !Ref LogGroup" "$y"
case $y in *'!<!'*) fail "verbatim tags in the output" ;; *) pass "no verbatim !<!...> tags" ;; esac
expect_contains "quoted strings stay strings" "User: '1000'" "$y"
expect_contains "the Fn::If around Command is distributed" "!If" "$y"
node tests/patcher/yaml-cfn.js tojson "$OUT/app.yaml" "$OUT/app.json" 2> "$OUT/err"
expect_eq "yaml-cfn reads the output" "" "$(cat "$OUT/err")"
cmd=$(node -e 'const t=require(process.argv[1]);console.log(JSON.stringify(t.Resources.Task.Properties.ContainerDefinitions[0].Command))' "$OUT/app.json")
expect_eq "Command is the original argv by Docker's rule in both branches" \
  '{"Fn::If":["Debug",["/app","debug"],{"Fn::Split":[",",{"Fn::Join":["",["/app,",{"Fn::Join":[",",{"Ref":"Cmd"}]}]]}]}]}' "$cmd"

# Deterministic, and idempotent.
$KILT patch --recipe $FX/recipe.toml -q < $FX/app.yaml > "$OUT/app2.yaml"
check "stdin input gives byte-identical output" cmp -s "$OUT/app.yaml" "$OUT/app2.yaml"
$KILT patch --recipe $FX/recipe.toml -q --check $FX/app.yaml 2> /dev/null; rc=$?
expect_eq "--check exits 1 on an unpatched template" 1 $rc
$KILT patch --recipe $FX/recipe.toml -q --check "$OUT/app.yaml"; rc=$?
expect_eq "--check exits 0 on a patched one" 0 $rc
d=$($KILT patch --recipe $FX/recipe.toml -q --diff $FX/app.yaml)
expect_contains "--diff shows the new entrypoint" "+            - /kilt/run" "$d"
expect_contains "--diff labels the file" "+++ b/$FX/app.yaml" "$d"

# Errors: all reported, exit 2, nothing written, an existing output left alone.
echo keep > "$OUT/existing.json"
$KILT patch --recipe $FX/recipe.toml -o "$OUT/existing.json" $FX/two-unknown.json 2> "$OUT/err"; rc=$?
expect_eq "unknown images exit 2" 2 $rc
e=$(cat "$OUT/err")
expect_contains "the first container's error names resource, container and image" \
  "Task, container a: neither EntryPoint nor Command is set, so kilt must know the ENTRYPOINT and CMD of image unknown/a:1" "$e"
expect_contains "the second container's error is reported too" "Task, container b: EntryPoint is not set" "$e"
expect_contains "the error says what to do" "add a [[hints]] entry" "$e"
expect_eq "-o OUT is untouched on error" keep "$(cat "$OUT/existing.json")"
$KILT patch -o "$OUT/new.json" $FX/two-unknown.json 2> "$OUT/err"; rc=$?
expect_eq "no kilt image: exit 2" 2 $rc
expect_contains "... saying how to set it" "recipe names no kilt image" "$(cat "$OUT/err")"
check "... and nothing written" test ! -e "$OUT/new.json"
printf '{"Resources": [' > "$OUT/broken.json"
$KILT patch --kilt-image k:1 "$OUT/broken.json" 2> "$OUT/err"; rc=$?
expect_eq "invalid JSON exits 2" 2 $rc
expect_contains "... with the position" "broken.json:1:" "$(cat "$OUT/err")"

# Hostile and careless input: every limit is an error naming it (exit 2, nothing written), in bounded
# memory (ulimit -v: what an unbounded reader would need is far more).
limited() { (ulimit -v 1000000; "$@"); }
python3 -c 'print("{\"Resources\": " + "[" * 100000 + "]" * 100000 + "}")' > "$OUT/deep.json"
limited $KILT patch --kilt-image k:1 -o "$OUT/deep-out.json" "$OUT/deep.json" 2> "$OUT/err"; rc=$?
expect_eq "JSON nested 100,000 levels deep exits 2 (not a crash)" 2 $rc
expect_contains "... saying it is nested too deeply, where" "deep.json:1:142: nested too deeply (more than 128 levels)" "$(cat "$OUT/err")"
check "... and nothing written" test ! -e "$OUT/deep-out.json"
python3 -c 'print("{\"Resources\": {\"A\": " + "[" * 126 + "]" * 126 + "}}")' > "$OUT/deep-ok.json"
limited $KILT patch --kilt-image k:1 -q "$OUT/deep-ok.json" > /dev/null 2> "$OUT/err"; rc=$?
expect_eq "JSON 128 levels deep, the limit, reads" "0 " "$rc $(cat "$OUT/err")"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$OUT/huge.json"
limited $KILT patch --kilt-image k:1 "$OUT/huge.json" 2> "$OUT/err"; rc=$?
expect_eq "a 5 MiB input exits 2" 2 $rc
expect_contains "... saying it is too large" "huge.json: larger than 4194304 bytes" "$(cat "$OUT/err")"
printf '{"Resources": {}, "Resources": {"T": {"Type": "AWS::ECS::TaskDefinition"}}}' > "$OUT/dup.json"
$KILT patch --kilt-image k:1 "$OUT/dup.json" 2> "$OUT/err"; rc=$?
expect_eq "duplicate JSON keys exit 2 (readers disagree on which one wins)" 2 $rc
expect_contains "... naming the key and where" 'dup.json:1:30: duplicate key "Resources"' "$(cat "$OUT/err")"
printf '{"a": "\xff"}' > "$OUT/latin1.json"
$KILT patch --kilt-image k:1 "$OUT/latin1.json" 2> "$OUT/err"; rc=$?
expect_eq "invalid UTF-8 in JSON exits 2" "2" "$rc"
expect_contains "... saying so" "Invalid encoding in string" "$(cat "$OUT/err")"
printf '{"taskDefinition": null}' > "$OUT/null-td.json"
$KILT patch --ecs --kilt-image k:1 "$OUT/null-td.json" > /dev/null 2> "$OUT/err"; rc=$?
expect_eq "--ecs with {\"taskDefinition\": null} exits 2" 2 $rc
expect_contains "... saying it is not a task definition" "its taskDefinition is null, not an ECS task definition" "$(cat "$OUT/err")"
printf '{"apiVersion": "v1", "kind": "Pod"}' > "$OUT/pod.json"
$KILT patch --kilt-image k:1 "$OUT/pod.json" > /dev/null 2> "$OUT/err"; rc=$?
expect_eq "a file that is no template exits 2" 2 $rc
expect_contains "... saying so" "not a CloudFormation template (no Resources section)" "$(cat "$OUT/err")"

# YAML: the same limits, and no alias, merge key or control character.
python3 -c 'print("Resources: " + "[" * 100000 + "]" * 100000)' > "$OUT/deep.yaml"
limited $KILT patch --kilt-image k:1 "$OUT/deep.yaml" 2> "$OUT/err"; rc=$?
expect_eq "YAML nested 100,000 levels deep exits 2" 2 $rc
expect_contains "... saying it is nested too deeply" "deep.yaml:1:139: nested too deeply (more than 128 levels)" "$(cat "$OUT/err")"
python3 -c '
s = "a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
for i in range(1, 10):
    s += "%s: &%s [%s]\n" % (chr(97 + i), chr(97 + i), ",".join(["*" + chr(96 + i)] * 9))
print(s + "Resources: {}")' > "$OUT/laughs.yaml"
limited $KILT patch --kilt-image k:1 "$OUT/laughs.yaml" 2> "$OUT/err"; rc=$?
expect_eq "a 700-byte YAML billion laughs exits 2 (not gigabytes, not a crash)" 2 $rc
expect_contains "... saying aliases are not supported" "laughs.yaml:2:8: an alias (*a): CloudFormation does not support YAML aliases" "$(cat "$OUT/err")"
printf 'Base: &b {Type: "AWS::SNS::Topic"}\nResources:\n  T:\n    <<: *b\n' > "$OUT/merge.yaml"
$KILT patch --kilt-image k:1 "$OUT/merge.yaml" 2> "$OUT/err"; rc=$?
expect_eq "a merge key exits 2" 2 $rc
expect_contains "... saying merge keys are not supported" "merge.yaml:4:5: a merge key (<<)" "$(cat "$OUT/err")"
printf 'Resources:\n  T: {Type: "a\x01b"}\n' > "$OUT/control.yaml"
$KILT patch --kilt-image k:1 "$OUT/control.yaml" 2> "$OUT/err"; rc=$?
expect_eq "a raw control character in YAML exits 2" 2 $rc
expect_contains "... saying where" "control.yaml:2:15: control characters are not allowed" "$(cat "$OUT/err")"
printf 'Resources:\n  T: {Type: "\xff"}\n' > "$OUT/latin1.yaml"
$KILT patch --kilt-image k:1 "$OUT/latin1.yaml" 2> "$OUT/err"; rc=$?
expect_eq "invalid UTF-8 in YAML exits 2, as in JSON" 2 $rc
expect_contains "... saying so" "latin1.yaml:2:14: invalid leading UTF-8 octet" "$(cat "$OUT/err")"

# Nothing changes silently: what kilt does not change keeps its bytes, new text keeps the meaning.
cat > "$OUT/style.yaml" <<'YAML'
AWSTemplateFormatVersion: "2010-09-09"   # quoted, with a comment
Resources:
  Topic: { Type: "AWS::SNS::Topic" }   # flow style, untouched
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [ FARGATE ]
      ContainerDefinitions:
        # the one container
        - Name: app
          Image: "example.com/app:1"
          EntryPoint: [/bin/sh]
          Command: [echo, yes, on, 017, 12:30:45, "\x01\u0085"]
          LogConfiguration:
            LogDriver: awslogs
            Options: { awslogs-group: logs, awslogs-region: { Ref: "AWS::Region" }, awslogs-stream-prefix: app }
  Queue:
    Type: AWS::SQS::Queue   # untouched too
YAML
$KILT patch --kilt-image k:1 -q "$OUT/style.yaml" > "$OUT/style-out.yaml" 2> "$OUT/err"
expect_eq "a YAML template in mixed styles patches" "" "$(cat "$OUT/err")"
expect_eq "the diff removes only the lines kilt rewrote" \
  "< Command: [echo, yes, on, 017, 12:30:45, \"\\x01\\u0085\"]|< EntryPoint: [/bin/sh]|" \
  "$(diff "$OUT/style.yaml" "$OUT/style-out.yaml" | grep '^<' | sed 's/^<  */< /' | sort | tr '\n' '|')"
check "untouched resources, comments and quoting keep their bytes" bash -c \
  "grep -qxF 'AWSTemplateFormatVersion: \"2010-09-09\"   # quoted, with a comment' '$OUT/style-out.yaml' &&
   grep -qxF '  Topic: { Type: \"AWS::SNS::Topic\" }   # flow style, untouched' '$OUT/style-out.yaml' &&
   grep -qxF '        # the one container' '$OUT/style-out.yaml' && tail -2 '$OUT/style-out.yaml' | grep -q 'untouched too'"
check "no raw control character is written" bash -c "! grep -q \$'\\x01' '$OUT/style-out.yaml'"
# A YAML 1.1 reader (PyYAML, as cfn-lint and the AWS CLI use) reads the moved values as before.
yaml11() { python3 -c '
import sys, yaml
class L(yaml.SafeLoader): pass
L.add_multi_constructor("!", lambda l, s, n: {s: l.construct_scalar(n) if isinstance(n, yaml.ScalarNode) else l.construct_sequence(n) if isinstance(n, yaml.SequenceNode) else l.construct_mapping(n)})
d = yaml.load(open(sys.argv[1]), Loader=L)
c = d["Resources"]["Task"]["Properties"]["ContainerDefinitions"][0]
print(repr(c.get("EntryPoint")), repr(c["Command"]))' "$1"; }
expect_eq "YAML 1.1 reads the original argv in the patched Command (yes, on, 017, 12:30:45 as they were)" \
  "['/bin/sh'] ['echo', True, True, 15, 45045, '\\x01\\x85']" "$(yaml11 "$OUT/style.yaml")"
expect_eq "... unchanged: [/kilt/run, --] then the same values" \
  "['/kilt/run', '--'] ['/bin/sh', 'echo', True, True, 15, 45045, '\\x01\\x85']" "$(yaml11 "$OUT/style-out.yaml")"
$KILT patch --kilt-image k:1 -q "$OUT/style-out.yaml" > "$OUT/style-again.yaml"
check "a second patch writes the same bytes (long-form intrinsics with quoted arguments included)" \
  cmp -s "$OUT/style-out.yaml" "$OUT/style-again.yaml"
$KILT patch --kilt-image k:1 -q --check "$OUT/style-out.yaml"; rc=$?
expect_eq "... and --check agrees" 0 $rc
sed 's/# the one container/# a comment edited by hand/' "$OUT/style-out.yaml" > "$OUT/style-edited.yaml"
$KILT patch --kilt-image k:1 -q --check "$OUT/style-edited.yaml"; rc=$?
expect_eq "--check: a patched file whose comments changed is still up to date" 0 $rc
# CRLF files stay CRLF; a byte-order mark stays, and a JSON file behind one stays JSON.
sed 's/$/\r/' "$OUT/style.yaml" > "$OUT/crlf.yaml"
$KILT patch --kilt-image k:1 -q "$OUT/crlf.yaml" > "$OUT/crlf-out.yaml"
check "CRLF: every line of the output ends in CRLF" bash -c "! grep -qv \$'\\r\$' '$OUT/crlf-out.yaml'"
check "CRLF: the same patch as with LF" cmp -s <(tr -d '\r' < "$OUT/crlf-out.yaml") "$OUT/style-out.yaml"
printf '\xEF\xBB\xBF{\n  "Resources": {\n    "T": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"RequiresCompatibilities": ["FARGATE"],\n      "ContainerDefinitions": [{"Name": "a", "Image": "i", "EntryPoint": ["/a"]}]}}\n  }\n}\n' > "$OUT/bom.json"
$KILT patch --kilt-image k:1 -q "$OUT/bom.json" > "$OUT/bom-out.json" 2> "$OUT/err"
expect_eq "a JSON file starting with a byte-order mark patches" "" "$(cat "$OUT/err")"
expect_eq "... and stays JSON, its byte-order mark first" "efbbbf7b" "$(head -c 4 "$OUT/bom-out.json" | od -An -tx1 | tr -d ' \n')"
check "... which a JSON reader takes" python3 -c 'import json,sys; json.loads(open(sys.argv[1], encoding="utf-8-sig").read())' "$OUT/bom-out.json"

# JSON keeps its indentation; -o writes the file.
sed 's/"Image": "unknown\/a:1"/"Image": "a", "EntryPoint": ["\/a"]/; s/"Command": \["x"\]/"EntryPoint": ["\/b"]/' $FX/two-unknown.json > "$OUT/fixed-in.json"
$KILT patch --kilt-image k:1 --parameter X=1 -q -o "$OUT/fixed.json" "$OUT/fixed-in.json"
expect_contains "-o writes the patched JSON, indented like the input" '    "Resources": {' "$(cat "$OUT/fixed.json")"

# Fn::Sub images resolve through stack and pseudo parameters (string form, [string, {vars}] form with a
# nested Sub, ${!Literal}); the template keeps its Fn::Sub.
SUBARGS=(--recipe $FX/recipe.toml --parameter-defaults --parameter AWS::Region=eu-west-1)
$KILT patch "${SUBARGS[@]}" --parameter AWS::AccountId=123456789012 -q -o "$OUT/sub.yaml" $FX/sub.yaml 2> "$OUT/err"
expect_eq "a template with Fn::Sub images patches when account and region are given" "" "$(cat "$OUT/err")"
node tests/patcher/yaml-cfn.js tojson "$OUT/sub.yaml" "$OUT/sub.json"
sub_field() { node -e 'const t=require(process.argv[1]);console.log(JSON.stringify(t.Resources.Task.Properties.ContainerDefinitions[+process.argv[2]][process.argv[3]]))' "$OUT/sub.json" "$@"; }
expect_eq "the hint for the resolved ECR reference gives app's Command" '["/app","serve"]' "$(sub_field 0 Command)"
expect_eq "the Fn::Sub Image is kept as written" \
  '{"Fn::Sub":"${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}"}' "$(sub_field 0 Image)"
expect_eq "[string, {vars}] with a nested Sub and \${!Literal} resolves to the hinted image" '["/tool","--once"]' "$(sub_field 1 Command)"
$KILT patch "${SUBARGS[@]}" -o "$OUT/sub-missing.yaml" $FX/sub.yaml 2> "$OUT/err"; rc=$?
expect_eq "an Fn::Sub image with an unknown variable exits 2" 2 $rc
e=$(cat "$OUT/err")
expect_contains "... naming resource, container and the variable" \
  'Task, container app: neither EntryPoint nor Command is set, so kilt must know the image'"'"'s ENTRYPOINT and CMD, but the image is Fn::Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Tag}", and ${AWS::AccountId} is a pseudo parameter kilt was not given' "$e"
expect_contains "... and saying what to do" "--parameter AWS::AccountId=VALUE): set EntryPoint and Command on the container" "$e"
check "... and nothing written" test ! -e "$OUT/sub-missing.yaml"
sed 's/\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}\/app:\${Tag}/${Repo.RepositoryUri}:${Tag}/' $FX/sub.yaml > "$OUT/getatt.yaml"
$KILT patch "${SUBARGS[@]}" --parameter AWS::AccountId=123456789012 "$OUT/getatt.yaml" > /dev/null 2> "$OUT/err"; rc=$?
expect_eq "an Fn::Sub image with a \${Resource.Attr} exits 2" 2 $rc
expect_contains "... saying it is a resource attribute" 'container app: neither EntryPoint nor Command is set, so kilt must know the image'"'"'s ENTRYPOINT and CMD, but the image is Fn::Sub "${Repo.RepositoryUri}:${Tag}", and ${Repo.RepositoryUri} is a resource attribute (Fn::GetAtt)' "$(cat "$OUT/err")"

# A YAML stream of several documents: yaml-cpp would read the first and drop the rest; kilt refuses it.
{ cat $FX/app.yaml; printf -- '---\nResources: {}\n'; } > "$OUT/two-docs.yaml"
$KILT patch --recipe $FX/recipe.toml -o "$OUT/two-docs-out.yaml" "$OUT/two-docs.yaml" 2> "$OUT/err"; rc=$?
expect_eq "a second YAML document exits 2" 2 $rc
expect_contains "... naming the file and the line of the second document" \
  "$OUT/two-docs.yaml:$(( $(wc -l < $FX/app.yaml) + 1 )):1: a second YAML document starts here" "$(cat "$OUT/err")"
check "... and nothing written" test ! -e "$OUT/two-docs-out.yaml"
{ printf -- '%%YAML 1.2\n--- # explicit start\n'; cat $FX/app.yaml; printf '...\n# trailing comment\n'; } > "$OUT/one-doc.yaml"
$KILT patch --recipe $FX/recipe.toml -q "$OUT/one-doc.yaml" > "$OUT/one-doc-out.yaml" 2> "$OUT/err"; rc=$?
expect_eq "one document with a directive and explicit start/end markers is patched" 0 $rc
check "... the markers and comments kept, the rest exactly as without them" cmp -s \
  <({ printf -- '%%YAML 1.2\n--- # explicit start\n'; cat "$OUT/app.yaml"; printf '...\n# trailing comment\n'; }) "$OUT/one-doc-out.yaml"

# Every CloudFormation output above passes AWS's offline validator (no ERROR/FATAL the input lacks).
r=$(timeout -k 10 240 node tests/patcher/validate-cfn.js "$OUT/app.yaml=$FX/app.yaml" "$OUT/fixed.json=$OUT/fixed-in.json" \
  "$OUT/sub.yaml=$FX/sub.yaml" 2>&1) || r="exit $?: $r"
expect_eq "AWS's validator finds no new ERROR/FATAL in the patched fixtures" "" "$r"

# ECS describe-task-definition output becomes register-task-definition input.
cat > "$OUT/describe.json" <<'JSON'
{"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/web:3", "family": "web",
 "revision": 3, "status": "ACTIVE", "requiresCompatibilities": ["FARGATE"], "compatibilities": ["EC2", "FARGATE"],
 "networkMode": "awsvpc", "cpu": "256", "memory": "512", "registeredAt": "2024-01-01T00:00:00Z",
 "containerDefinitions": [{"name": "web", "image": "example.com/app:1", "essential": true}]}}
JSON
$KILT patch --ecs --recipe $FX/recipe.toml -q -o "$OUT/register.json" "$OUT/describe.json"
r=$(python3 tests/patcher/validate-ecs.py "$OUT/register.json" 2>&1)
expect_eq "describe output patched with --ecs is valid RegisterTaskDefinition input" "" "$r"
expect_eq "read-only fields are dropped" "" "$(grep -o 'taskDefinitionArn\|registeredAt\|"revision"' "$OUT/register.json")"
summary
