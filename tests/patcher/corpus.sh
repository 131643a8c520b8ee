#!/usr/bin/env bash
# Every file of the shared corpus (real public templates and ECS task definitions) is either patched or
# refused with the error corpus-expect.txt names. Patched outputs must pass the real third-party checks:
# botocore's RegisterTaskDefinition model (every --ecs output), npm yaml-cfn (YAML output reads as the
# same JSON as the JSON path's output), AWS's offline CloudFormation validator (every patched template but
# the ones in validate_exclude, in two parallel processes, each under a timeout), and a second run changes
# nothing.
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

# Templates AWS's validator itself cannot check (the validator, not kilt's output, is the problem), with
# why. KILT_VALIDATE_ALL=1 checks these too.
declare -A validate_exclude=(
  [widdix__aws-cf-templates__fargate__service-cluster-alb.yaml]="the validator hangs on it, on the unpatched input too (no answer after 150 s, 1.7 GB RSS; every other corpus template takes under 6 s)"
)
# Each validator process gets this long (engine start ~10-20 s plus under 1 s a template on an idle
# machine); a hang fails the test instead of stalling it.
VALIDATE_TIMEOUT=${KILT_VALIDATE_TIMEOUT:-240}

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
      if [ "${KILT_VALIDATE_ALL:-0}" = 1 ] || [ -z "${validate_exclude[$base]:-}" ]; then
        cfn_validate+=("$out=$f")
      else
        echo "  skip $T_NAME: $base: not given to AWS's validator: ${validate_exclude[$base]}"
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
  # Two processes, the templates dealt alternately by size so both finish about together.
  mapfile -t sorted < <(for a in "${cfn_validate[@]}"; do printf '%s\t%s\n' "$(stat -c %s "${a%%=*}")" "$a"; done |
    sort -rn | cut -f2-)
  groups=([0]="" [1]="")
  pids=()
  for g in 0 1; do
    part=()
    for ((i = g; i < ${#sorted[@]}; i += 2)); do part+=("${sorted[i]}"); done
    [ ${#part[@]} -gt 0 ] || continue
    groups[g]=${#part[@]}
    ( timeout -k 10 "$VALIDATE_TIMEOUT" node $HERE/validate-cfn.js "${part[@]}" > "$OUT/validate.$g" 2>&1
      echo $? > "$OUT/validate.$g.rc" ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  r="" bad=0
  for g in 0 1; do
    [ -n "${groups[g]}" ] || continue
    rc=$(cat "$OUT/validate.$g.rc")
    case $rc in
      0) ;;
      124 | 137) r+="validator process $g (${groups[g]} templates) timed out after ${VALIDATE_TIMEOUT}s"$'\n'; bad=1 ;;
      *) r+="$(cat "$OUT/validate.$g")"$'\n'; bad=1 ;;
    esac
  done
  [ $bad = 0 ] && r=""
  expect_eq "AWS's validator finds no new ERROR/FATAL in all ${#cfn_validate[@]} patched templates" "" "$r"
fi
summary
