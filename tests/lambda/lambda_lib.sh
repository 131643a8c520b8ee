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
# Uses $W (scratch dir), appends the server to PIDS (the caller's trap kills it), sets REG=host:port.
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
  PIDS+=($!)
  for _ in $(seq 600); do grep -q "listening on" "$W/registry.log" && break; read -r -t 0.1 <> <(:) || true; done
  REG=127.0.0.1:$(grep -o 'listening on 127.0.0.1:[0-9]*' "$W/registry.log" | head -1 | sed 's/.*://')
  skopeo copy -q --dest-tls-verify=false "oci:$W/img:app" "docker://$REG/team/webapp:1.0" >/dev/null 2>"$W/skopeo.err" ||
    { echo "skopeo push failed:"; cat "$W/skopeo.err"; exit 1; }
}
