#!/usr/bin/env bash
# Every file of the shared corpus (real public templates and ECS task definitions) is either patched or
# refused with the error corpus-expect.txt names. Patched outputs must pass the real third-party checks:
# botocore's RegisterTaskDefinition model (every --ecs output), npm yaml-cfn (YAML output reads as the
# same JSON as the JSON path's output), AWS's offline CloudFormation validator (a subset: it needs 20-70 s
# a file on this machine; KILT_VALIDATE_ALL=1 checks every output), and a second run changes nothing.
set -u
cd "$(dirname "$0")/../.."
T_NAME=patcher-corpus
. tests/lib/testlib.sh

KILT=build/bin/kilt
CORPUS=${KILT_CORPUS:-../shared/corpus}
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus
HERE=tests/patcher
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

params=()
while read -r line; do
  case $line in '' | '#'*) continue ;; esac
  params+=(--parameter "$line")
done < $HERE/corpus-params.txt

# Checked by AWS's validator in every run (small and varied); the rest with KILT_VALIDATE_ALL=1.
validate_subset=" falcosecurity__kilt__runtimes__cloudformation__cfnpatcher__fixtures__patching__ref_command.json
  aws-cloudformation__aws-cloudformation-templates__ECS__FargateLaunchType__services__public-service.yaml "

ecs_outputs=() yaml_pairs=() cfn_validate=()
for f in "$CORPUS"/cfn/* "$CORPUS"/ecs/*; do
  base=$(basename "$f")
  expect=$(awk -v b="$base" '$1 == b { $1 = ""; sub(/^ /, ""); print; exit }' $HERE/corpus-expect.txt)
  if [ -z "$expect" ]; then
    fail "$base: no expectation in corpus-expect.txt"
    continue
  fi
  case $f in
    */ecs/*) args=(--ecs) ;;
    *) args=(--parameter-defaults "${params[@]}") ;;
  esac
  out=$OUT/$base
  $KILT patch "${args[@]}" --recipe $HERE/corpus-recipe.toml -q -o "$out" "$f" 2> "$OUT/$base.err"
  rc=$?
  case $expect in
    refused:*)
      want=${expect#refused:}
      want=${want# }
      if [ $rc = 2 ] && [ ! -e "$out" ] && grep -qF -- "$want" "$OUT/$base.err"; then
        pass "$base: refused ($want)"
      else
        fail "$base: expected exit 2, no output and \"$want\"; got exit $rc: $(head -c 600 "$OUT/$base.err")"
      fi
      continue
      ;;
  esac
  if [ $rc != 0 ]; then
    fail "$base: expected $expect, got exit $rc: $(head -c 800 "$OUT/$base.err")"
    continue
  fi
  # A second run over the output changes nothing (idempotency, and --check agrees).
  if $KILT patch "${args[@]}" --recipe $HERE/corpus-recipe.toml -q --check "$out" 2> "$OUT/$base.err2"; then
    :
  else
    fail "$base: patching the output again would change it: $(head -c 400 "$OUT/$base.err2")"
    continue
  fi
  patched=$(grep -c . <(grep -o '"/kilt/run"\|- /kilt/run' "$out") || true)
  case $expect in
    patched) [ "$patched" -gt 0 ] && pass "$base: patched, idempotent" || fail "$base: expected patched containers, found none" ;;
    unchanged) [ "$patched" = 0 ] && pass "$base: left alone, idempotent" || fail "$base: expected no patched container" ;;
    *) fail "$base: unknown expectation '$expect'"; continue ;;
  esac
  case $f in
    */ecs/*) ecs_outputs+=("$out=$f") ;;
    *.yaml | *.yml)
      # The JSON path: yaml-cfn's reading of the input, patched as JSON, must equal yaml-cfn's reading of
      # kilt's YAML output.
      if node $HERE/yaml-cfn.js tojson "$f" "$OUT/$base.in.json" &&
        $KILT patch "${args[@]}" --recipe $HERE/corpus-recipe.toml -q -o "$OUT/$base.out.json" "$OUT/$base.in.json"; then
        yaml_pairs+=("$out" "$OUT/$base.out.json")
      else
        fail "$base: the JSON path failed"
      fi ;;
  esac
  case $f in
    */cfn/*)
      if [ "${KILT_VALIDATE_ALL:-0}" = 1 ] || [[ $validate_subset == *" $base "* ]]; then
        cfn_validate+=("$out=$f")
      fi ;;
  esac
done

if [ ${#ecs_outputs[@]} -gt 0 ]; then
  r=$(python3 $HERE/validate-ecs.py "${ecs_outputs[@]}" 2>&1)
  expect_eq "botocore accepts all ${#ecs_outputs[@]} --ecs outputs as RegisterTaskDefinition input" "" "$r"
fi
if [ ${#yaml_pairs[@]} -gt 0 ]; then
  r=$(node $HERE/yaml-cfn.js same "${yaml_pairs[@]}" 2>&1)
  expect_eq "yaml-cfn reads all $(( ${#yaml_pairs[@]} / 2 )) YAML outputs as the JSON path's output" "" "$r"
fi
if [ ${#cfn_validate[@]} -gt 0 ]; then
  r=$(node $HERE/validate-cfn.js "${cfn_validate[@]}" 2>&1)
  expect_eq "AWS's validator finds no new ERROR/FATAL in ${#cfn_validate[@]} patched templates" "" "$r"
fi
summary
