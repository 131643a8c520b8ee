# Checks shared by the x86_64 and arm64 bootstrap tests; source after tests/lib/testlib.sh.

# check_al2023_binary BOOTSTRAP ARCH (x86_64|aarch64): the binary is an ELF for ARCH that starts on
# provided.al2023: glibc dynamic (only its libraries NEEDED, no symbol version newer than 2.34, AL2023's
# glibc), libstdc++ and OpenSSL linked in. readelf reads every architecture (objdump is per target).
check_al2023_binary() {
  local bin=$1 arch=$2 machine loader
  case $arch in
    x86_64) machine='Advanced Micro Devices X86-64' loader=ld-linux-x86-64.so.2 ;;
    aarch64) machine='AArch64' loader=ld-linux-aarch64.so.1 ;;
    *) fail "check_al2023_binary: unknown arch $arch"; return ;;
  esac
  expect_eq "$arch: ELF machine" "$machine" \
    "$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')"
  local max
  max=$(readelf -W --dyn-syms -V "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
  check "$arch: no symbol needs a glibc newer than 2.34 (highest: $max)" \
    test -n "$max" -a "$(printf '%s\n2.34\n' "$max" | sort -V | tail -1)" = "2.34"
  # Version needs other than GLIBC_<number> (GLIBC_ABI_DT_RELR, new in 2.36; GLIBC_PRIVATE) would
  # stop the loader just the same.
  local other
  other=$(readelf -V "$bin" | sed -n '/\.gnu\.version_r/,$p' | sed -n 's/.*Name: \([^ ]*\).*/\1/p' |
    grep -vE '^GLIBC_[0-9][0-9.]*$' | sort -u | tr '\n' ' ')
  expect_eq "$arch: only numbered glibc versions are needed" "" "$other"
  local needed
  needed=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
  check "$arch: only glibc's libraries are NEEDED ($needed)" \
    bash -c 'for l in $1; do case $l in libc.so.6|libm.so.6|libpthread.so.0|libdl.so.2|"$2") ;; *) exit 1;; esac; done' \
    _ "$needed" "$loader"
  check "$arch: no undefined OpenSSL/libstdc++ symbols (both linked in)" \
    bash -c '! readelf -W --dyn-syms "$1" | grep -qE "UND.*(SSL_|GLIBCXX|CXXABI)"' _ "$bin"
}

# zip_info ZIP names|modes|cat ENTRY: the zip read with Python's zipfile (no unzip needed).
zip_info() {
  python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
if sys.argv[2] == "names": print(" ".join(z.namelist()))
elif sys.argv[2] == "modes": print(" ".join("%s:%o" % (i.filename, (i.external_attr >> 16) & 0o7777) for i in z.infolist()))
elif sys.argv[2] == "cat": sys.stdout.buffer.write(z.read(sys.argv[3]))
' "$@"
}

# start_test_registry: a real registry (Debian docker-registry) on 127.0.0.1, an ephemeral port, with
# team/webapp:1.0 whose ENTRYPOINT/CMD (/usr/bin/webapp serve --port=8080) a template may not repeat.
# Uses $W (scratch dir), tracks the server (tests/lib/testlib.sh kills it on exit), sets REG=host:port.
start_test_registry() {
  (cd "$W" && umoci init --layout img >/dev/null && umoci new --image img:app >/dev/null &&
    umoci config --image img:app --config.entrypoint /usr/bin/webapp --config.cmd serve \
      --config.cmd=--port=8080 >/dev/null) || { echo "umoci failed"; exit 1; }
  mkdir -p "$W/registry-data"
  cat > "$W/registry.yml" <<YML
version: 0.1
log: {level: info, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/registry-data}}
http: {addr: 127.0.0.1:0}
YML
  docker-registry serve "$W/registry.yml" > "$W/registry.log" 2>&1 &
  track $!
  for _ in $(seq 600); do grep -q "listening on" "$W/registry.log" && break; read -r -t 0.1 <> <(:) || true; done
  REG=127.0.0.1:$(grep -o 'listening on 127.0.0.1:[0-9]*' "$W/registry.log" | head -1 | sed 's/.*://')
  skopeo copy -q --dest-tls-verify=false "oci:$W/img:app" "docker://$REG/team/webapp:1.0" >/dev/null 2>"$W/skopeo.err" ||
    { echo "skopeo push failed:"; cat "$W/skopeo.err"; exit 1; }
}

# json FILE EXPR: EXPR (Python, the file's JSON as `d`) printed.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@" 2>&1; }

# make_common_events: the macro events both bootstrap tests send, into $EV (made with the caller's `mk`;
# $W, $REG and $PUBLIC set): clash (two resources the patcher must refuse, with a secret in an
# environment value that must never reach the logs), clean (a template with no problem of its own: the
# output must pass AWS's validator outright), garbage and nofragment (malformed), deep (nested past the
# limit), big (1 MiB).
make_common_events() {
  cat > "$W/clash.json" <<'JSON'
{"AWSTemplateFormatVersion":"2010-09-09","Resources":{
 "Api":{"Type":"AWS::ECS::TaskDefinition","Properties":{"RequiresCompatibilities":["FARGATE"],"NetworkMode":"awsvpc",
  "Cpu":"256","Memory":"512","ContainerDefinitions":[{"Name":"kilt","Image":"a:1","EntryPoint":["/a"],
  "Environment":[{"Name":"DB_PASSWORD","Value":"hunter2-do-not-log"}]}]}},
 "Worker":{"Type":"AWS::ECS::TaskDefinition","Properties":{"RequiresCompatibilities":["FARGATE"],"NetworkMode":"awsvpc",
  "Cpu":"256","Memory":"512","ContainerDefinitions":[{"Name":"kilt","Image":"b:1","EntryPoint":["/b"]}]}}}}
JSON
  mk clash "$W/clash.json"
  cat > "$W/clean.json" <<'JSON'
{"AWSTemplateFormatVersion":"2010-09-09","Parameters":{"AppImage":{"Type":"String","Default":"x"}},
 "Resources":{
 "Logs":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":7}},
 "Web":{"Type":"AWS::ECS::TaskDefinition","Properties":{"Family":"web","RequiresCompatibilities":["FARGATE"],
  "NetworkMode":"awsvpc","Cpu":"512","Memory":"1024","ContainerDefinitions":[
   {"Name":"app","Image":{"Ref":"AppImage"},"Essential":true,"PortMappings":[{"ContainerPort":8080}],
    "LogConfiguration":{"LogDriver":"awslogs","Options":{"awslogs-group":{"Ref":"Logs"},
     "awslogs-region":{"Ref":"AWS::Region"},"awslogs-stream-prefix":"web"}}},
   {"Name":"proxy","Image":"envoyproxy/envoy:v1.29.0","EntryPoint":["/usr/local/bin/envoy"],"Command":["-c","/etc/envoy.yaml"]}]}}}}
JSON
  mk clean "$W/clean.json" --tpv "{\"AppImage\":\"$REG/team/webapp:1.0\"}"
  printf 'this is not json' > "$EV/garbage.json"
  printf '{"hello":"world"}' > "$EV/nofragment.json"
  # ~300 KB, 150,000 levels deep, the requestId after the nesting: it crashed the bootstrap once.
  python3 -c 'import sys; sys.stdout.write("{\"fragment\":{\"Resources\":{\"X\":" + "[" * 150000 + "]" * 150000 + "}},\"requestId\":\"req-deep\"}")' > "$EV/deep.json"
  mk big "$PUBLIC" --tpv "{\"ImageUrl\":\"$REG/team/webapp:1.0\"}" --min-bytes $((1024 * 1024))
}

# check_common_answers SAME_AS: the function's answers ($OUT) to make_common_events' events and to
# "after" (sent last: the same input as the event SAME_AS, so the same fragment is expected); one log
# line per event of ORDER in $W/fun.log, and no secret in it.
check_common_answers() {
  local same_as=$1 msg size n_td n_patched logs
  expect_eq "clash: failure for the right request" "failure req-clash" \
    "$(json "$OUT/clash.json" "d['status'], d['requestId']" | tr -d "(),'")"
  msg=$(json "$OUT/clash.json" "d['errorMessage']")
  expect_contains "clash: errorMessage counts the problems" "Kilt: 2 problems" "$msg"
  expect_contains "clash: errorMessage names the first resource" "Api" "$msg"
  expect_contains "clash: errorMessage names the second resource" "Worker" "$msg"

  expect_eq "clean: both containers patched" "success 2" \
    "$(json "$OUT/clean.json" "d['status'], sum(1 for c in d['fragment']['Resources']['Web']['Properties']['ContainerDefinitions'] if c.get('EntryPoint') == ['/kilt/run', '--'])" | tr -d "(),'")"

  expect_eq "garbage: failure" "failure" "$(json "$OUT/garbage.json" "d['status']")"
  expect_contains "garbage: says the event is not JSON" "not valid JSON" "$(json "$OUT/garbage.json" "d['errorMessage']")"
  expect_contains "no requestId: says so" "no requestId" "$(json "$OUT/nofragment.json" "d['errorMessage']")"
  expect_eq "deep: failure for the right request (not a crash)" "failure req-deep" \
    "$(json "$OUT/deep.json" "d['status'], d['requestId']" | tr -d "(),'")"
  expect_contains "deep: says it is nested too deeply" "nested too deeply (more than 128 levels)" \
    "$(json "$OUT/deep.json" "d['errorMessage']")"

  size=$(stat -c %s "$EV/big.json")
  check "big: the event is at least 1 MiB ($size bytes)" test "$size" -ge $((1024 * 1024))
  expect_eq "big: success" "success" "$(json "$OUT/big.json" "d['status']")"
  n_td=$(json "$EV/big.json" "sum(1 for r in d['fragment']['Resources'].values() if r['Type']=='AWS::ECS::TaskDefinition')")
  n_patched=$(json "$OUT/big.json" "sum(1 for r in d['fragment']['Resources'].values() if r['Type']=='AWS::ECS::TaskDefinition' and any(c['Name']=='kilt' for c in r['Properties']['ContainerDefinitions']))")
  expect_eq "big: every task definition patched" "$n_td" "$n_patched"

  expect_eq "after: the function still answers" "success" "$(json "$OUT/after.json" "d['status']")"
  check "the same input gives the same output (deterministic)" \
    cmp -s <(json "$OUT/$same_as.json" "json.dumps(d['fragment'])") <(json "$OUT/after.json" "json.dumps(d['fragment'])")

  logs=$(grep '^kilt-macro request=' "$W/fun.log")
  expect_eq "one log line per invocation" "${#ORDER[@]}" "$(echo "$logs" | wc -l)"
  check "logs never hold template values (secret not logged)" bash -c '! grep -q hunter2 "$1"' _ "$W/fun.log"
}
