# Shared by tests/falco/task.sh and bench/falco.sh (sourced): a runc container patched like an ECS task on
# Fargate — kilt-run as PID 1 with the payload's run.cfg (image/run.falco.cfg: the capture on, Falco through
# /kilt/falco/start as its consumer), the Falco tree at /kilt/falco, Docker's default capabilities plus
# SYS_PTRACE, its own network namespace with a fake ECS task metadata endpoint at 169.254.170.2 — and a
# busybox app image with kilt-attack (tests/falco/attacks.c) under the names the rules look for.
#
#   task_init PREFIX                    a temp dir $T, cleanup on exit (KEEP=1 keeps $T)
#   task_network                        the namespace and its fake endpoints
#   task_image APP_SCRIPT KRUN TREE ATTACK   the rootfs ($R, the app is /app.sh), /kilt and the bundle
#   task_run TIMEOUT_S                  runs the task once: $T/out (stdout lines prefixed with the time they
#                                       arrived), $T/err (stderr), RC; and $T/falco.pid once Falco runs
# Needs root (runc, ip netns).

task_init() {
  T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  RUNC_ROOT=$T/runc
  NS=$1-$$
  ID=$1-$$
  SERVER=
  trap task_cleanup EXIT
  trap 'exit 1' INT TERM
}

task_cleanup() {
  runc --root "$RUNC_ROOT" delete -f "$ID" >/dev/null 2>&1
  [ -n "$SERVER" ] && kill -KILL "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

task_network() {
  # Addresses on the namespace's loopback: 169.254.170.2:80 (ECS task metadata v4, as on Fargate),
  # 198.51.100.7:443 (a listener standing for a remote SSH server on a non-standard port; TEST-NET-2, neither
  # loopback nor RFC 1918), 198.51.100.8:443 (kubernetes.default.svc.cluster.local in the app's /etc/hosts, which
  # Falco resolves: fd.sip.name). The connects must succeed: Falco records no address for a refused one.
  ip netns add "$NS" || { echo "falco-task: cannot create a network namespace"; return 1; }
  ip -n "$NS" link set lo up
  for a in 169.254.170.2 198.51.100.7 198.51.100.8; do ip -n "$NS" addr add "$a/32" dev lo; done
  DOCKER_ID=4c1e9d2a7b3f40e5a6c7d8e9f0a1b2c3-2718281828
  TASK_ARN=arn:aws:ecs:eu-west-1:123456789012:task/kilt/4c1e9d2a7b3f40e5a6c7d8e9f0a1b2c3
  cat > "$T/metadata.json" <<EOF
{"DockerId": "$DOCKER_ID", "Name": "shop", "DockerName": "shop", "Image": "registry.example/shop/api:2.0",
 "Labels": {"com.amazonaws.ecs.container-name": "shop", "com.amazonaws.ecs.task-arn": "$TASK_ARN"}}
EOF
  ip netns exec "$NS" python3 tests/falco/fake_ecs.py "$T/metadata.json" "$T/server.ready" 169.254.170.2:80 \
    198.51.100.7:443 198.51.100.8:443 &
  SERVER=$!
  for _ in $(seq 100); do [ -s "$T/server.ready" ] && break; sleep 0.05; done
  [ -s "$T/server.ready" ] || { echo "falco-task: the fake metadata endpoint did not start"; return 1; }
}

task_image() {
  local app=$1 krun=$2 tree=$3 attack=$4
  R=$T/rootfs
  mkdir -p "$R"/{bin,etc,root/.aws,tmp,var/log,www,usr/local/bin,usr/sbin,usr/bin,proc,dev,sys,kilt/falco}
  cp "$(command -v busybox)" "$R/bin/busybox"
  for a in $(busybox --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
  cp "$attack" "$R/usr/local/bin/kilt-attack"
  for n in nginx httpd sshd; do ln -s ../local/bin/kilt-attack "$R/usr/sbin/$n"; done
  ln -s ../local/bin/kilt-attack "$R/usr/bin/ssh"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
  printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' > "$R/etc/shadow"
  chmod 0640 "$R/etc/shadow"
  printf '127.0.0.1 localhost\n198.51.100.8 kubernetes.default.svc.cluster.local\n' > "$R/etc/hosts"
  printf '[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n' > "$R/root/.aws/credentials"
  echo "Dec  6 10:00:00 shop sshd[1]: Accepted publickey" > "$R/var/log/auth.log"
  echo shop > "$R/etc/hostname"
  echo "<h1>shop</h1>" > "$R/www/index.html"
  head -c 65536 /dev/zero > "$R/tmp/junk"
  cp "$app" "$R/app.sh"

  # /kilt: kilt-run as /kilt/run, the payload's run.cfg, the Falco tree at /kilt/falco (read-only, as mounted
  # from the kilt image's volume on ECS).
  K=$T/kilt
  mkdir -p "$K/falco"
  cp "$krun" "$K/run"
  cp image/run.falco.cfg "$K/run.cfg"

  B=$T/bundle
  mkdir -p "$B"
  (cd "$B" && runc spec)
  # Docker's default capabilities (what ECS gives a container) plus SYS_PTRACE (the Kilt recipe's).
  CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID",
       "CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL",
       "CAP_AUDIT_WRITE","CAP_SYS_PTRACE"]'
  jq --arg rootfs "$R" --arg kilt "$K" --arg tree "$tree" --arg netns "/var/run/netns/$NS" --argjson caps "$CAPS" \
   --arg meta "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/$DOCKER_ID" \
   '.process.args = ["/kilt/run", "--", "/bin/sh", "/app.sh"] | .process.terminal = false
   | .process.env = ["PATH=/usr/local/bin:/usr/sbin:/usr/bin:/bin", "HOME=/root", $meta]
   | .process.capabilities = {bounding: $caps, effective: $caps, permitted: $caps}
   | .root = {path: $rootfs, readonly: false} | .hostname = "shop"
   | .linux.namespaces |= map(if .type == "network" then .path = $netns else . end)
   | .mounts |= map(if .destination == "/dev/shm" then .options -= ["noexec"] else . end)
   | .mounts += [{destination: "/kilt", type: "bind", source: $kilt, options: ["rbind", "ro"]},
                 {destination: "/kilt/falco", type: "bind", source: $tree, options: ["rbind", "ro"]}]' \
   < "$B/config.json" > "$B/config.new" && mv "$B/config.new" "$B/config.json"
}

task_run() {
  # Falco's host pid, for whoever measures it: the child of kilt-run (the container's init) named falco.
  (
    for _ in $(seq 600); do
      init=$(runc --root "$RUNC_ROOT" state "$ID" 2>/dev/null | jq -r .pid 2>/dev/null)
      for c in $(cat /proc/"${init:-0}"/task/*/children 2>/dev/null); do
        [ "$(cat /proc/$c/comm 2>/dev/null)" = falco ] && { echo "$c" > "$T/falco.pid"; exit 0; }
      done
      sleep 0.1
    done
  ) &
  local finder=$!
  # Every line of the container's stdout with the time it arrived (the reader is a pipe: no buffering).
  timeout -k 5 "$1" runc --root "$RUNC_ROOT" run --bundle "$B" "$ID" < /dev/null 2> "$T/err" |
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done > "$T/out"
  RC=${PIPESTATUS[0]}
  kill "$finder" 2>/dev/null
  wait "$finder" 2>/dev/null
  return 0
}
