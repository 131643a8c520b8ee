#!/usr/bin/env bash
# bench-lambda: the macro bootstrap vs an echo bootstrap (same HTTP client and link, no parsing or
# patching) on a stub Runtime API. Writes the markdown section to stdout. With the arm64 pair too, an
# informational table of both under qemu-aarch64-static (emulated: comparable only with each other).
#   usage: lambda_bench.sh build/lambda/bootstrap build/test/lambda-echo-bootstrap \
#            [build/lambda/arm64/bootstrap build/test/lambda-echo-bootstrap-arm64]
set -euo pipefail
cd "$(dirname "$0")/.."
BOOT=$(realpath "$1"); ECHO=$(realpath "$2")
ARM64_BOOT=${3:+$(realpath "$3")}; ARM64_ECHO=${4:+$(realpath "$4")}
W=$(mktemp -d /tmp/kilt-lambda-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

# Events: a small template (one Fargate service, images with EntryPoint so no lookup is needed) and
# the same grown to 1 MiB.
cat > "$W/t.json" <<'JSON'
{"AWSTemplateFormatVersion":"2010-09-09","Resources":{
 "Web":{"Type":"AWS::ECS::TaskDefinition","Properties":{"Family":"web","RequiresCompatibilities":["FARGATE"],
  "NetworkMode":"awsvpc","Cpu":"512","Memory":"1024","ContainerDefinitions":[
   {"Name":"app","Image":"registry.example/web:1.4.2","EntryPoint":["/usr/bin/web"],"Command":["serve"],
    "Environment":[{"Name":"PORT","Value":"8080"}],"PortMappings":[{"ContainerPort":8080}]},
   {"Name":"proxy","Image":"envoyproxy/envoy:v1.29.0","EntryPoint":["/usr/local/bin/envoy"],"Command":["-c","/etc/envoy.yaml"]}]}}}}
JSON
node tests/lambda/make_event.js "$W/t.json" > "$W/small.json"
node tests/lambda/make_event.js "$W/t.json" --min-bytes $((1024 * 1024)) > "$W/big.json"

ENV=(KILT_IMAGE=registry.example/kilt:1.0 KILT_IMAGE_LOOKUP=off)
python3 bench/lambda_bench.py "$BOOT" "$W/small.json" "$W/big.json" "${ENV[@]}" > "$W/kilt.json"
python3 bench/lambda_bench.py "$ECHO" "$W/small.json" "$W/big.json" "${ENV[@]}" > "$W/echo.json"
if [ -n "$ARM64_BOOT" ]; then
  # No binfmt_misc assumed: each arm64 binary runs through a script that starts it under qemu.
  for b in "$ARM64_BOOT" "$ARM64_ECHO"; do
    printf '#!/bin/sh\nexec qemu-aarch64-static -L /usr/aarch64-linux-gnu "%s" "$@"\n' "$b" > "$W/$(basename "$b").qemu"
    chmod 0755 "$W/$(basename "$b").qemu"
  done
  python3 bench/lambda_bench.py "$W/$(basename "$ARM64_BOOT").qemu" "$W/small.json" "$W/big.json" "${ENV[@]}" \
    > "$W/kilt-arm64.json"
  python3 bench/lambda_bench.py "$W/$(basename "$ARM64_ECHO").qemu" "$W/small.json" "$W/big.json" "${ENV[@]}" \
    > "$W/echo-arm64.json"
fi

python3 - "$W/kilt.json" "$W/echo.json" "$W/kilt-arm64.json" "$W/echo-arm64.json" <<'PY'
import json, os, sys
k = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
def row(name, key, unit, scale=1.0):
    kv, ev = k[key] * scale, e[key] * scale
    print(f"| {name} | {kv:.2f} {unit} | {ev:.2f} {unit} | {kv / ev:.2f}x |")
print("## Lambda macro (bootstrap)")
print()
print("The CloudFormation macro's custom runtime against a stub Runtime API on 127.0.0.1, beside an echo")
print("bootstrap (same HTTP client and link; it returns the event unparsed) measured in the same run.")
print(f"Medians: cold start of 25 processes, {30} small and {10} large invocations on one warm process.")
print(f"Small event {k['small_bytes']} bytes; large event {k['big_bytes']} bytes. Image lookups off.")
print()
print("| measure | kilt bootstrap | echo bootstrap (anchor) | ratio |")
print("|---|---|---|---|")
row("cold start: exec to first `next`", "cold_ms", "ms")
row("invocation, small template", "small_ms", "ms")
row("invocation, 1 MiB template", "big_ms", "ms")
row("peak RSS (Lambda's smallest size: 128 MB)", "peak_rss_kib", "MiB", 1 / 1024)
if os.path.exists(sys.argv[3]):
    k = json.load(open(sys.argv[3])); e = json.load(open(sys.argv[4]))
    print()
    print("Informational: the arm64 bootstraps under qemu-aarch64-static (user-mode emulation on this x86_64")
    print("host, started through a shell script), same events and counts. Emulated: comparable with each")
    print("other only, not with the table above nor with a Graviton Lambda. RSS would be qemu's: not shown.")
    print()
    print("| measure (arm64, emulated) | kilt bootstrap | echo bootstrap (anchor) | ratio |")
    print("|---|---|---|---|")
    row("cold start: exec to first `next`", "cold_ms", "ms")
    row("invocation, small template", "small_ms", "ms")
    row("invocation, 1 MiB template", "big_ms", "ms")
PY
