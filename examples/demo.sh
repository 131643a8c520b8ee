#!/usr/bin/env bash
# `make demo`: Kilt end to end on this machine, no AWS account and no Docker needed (root, Debian 12).
#   1. builds the payload image (build/image/kilt-image.oci.tar) and the example app image;
#   2. patches examples/fargate-app.yaml with `kilt patch` and shows the diff;
#   3. runs the patched task with `kilt local run` (runc): the kilt sidecar, then the app through /kilt/run,
#      which traces it and feeds Falco 0.44.1 beside it; the app reads /etc/shadow once, and Falco's default
#      rules report it in the task's log;
#   4. stops it with SIGTERM after a few app ticks, like ECS would, and prints the alert and the exit status.
# `make all` has run before this script (the Makefile's demo target).
set -euo pipefail
cd "$(dirname "$0")/.."

B=${B:-build}
MAKE=${MAKE:-make}
out=$B/demo
ticks=${KILT_DEMO_TICKS:-5}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: kilt local run uses runc to create containers (sudo make demo)"
for tool in runc umoci; do
  command -v $tool >/dev/null || die "'$tool' is missing; run 'make deps'"
done
[ -x $B/bin/kilt ] || die "$B/bin/kilt is missing: the patcher/CLI did not build ('make all' shows why)"
[ -x $B/bin/kilt-run ] || die "$B/bin/kilt-run is missing: the launcher did not build ('make all' shows why)"
$B/bin/kilt help | grep -q '^  local ' || die "$B/bin/kilt has no 'local' command; rebuild with 'make all'"

step "1. Build the payload image (amd64 + arm64, no Docker) and the example app image"
$MAKE --no-print-directory image-payload $B/examples/bin/scratch-app
app_image=$B/examples/images/kilt-demo-app/index.json
if [ ! -f $app_image ] || [ examples/apps/entrypoint.sh -nt $app_image ] || [ examples/build-images.sh -nt $app_image ]; then
  examples/build-images.sh --out $B/examples/images --scratch-bin $B/examples/bin/scratch-app --only busybox
fi
rm -rf "$out" && mkdir -p "$out/images"
# kilt local looks images up by name: .../kilt:0.1.0 -> images/kilt.oci.tar, .../kilt-demo-app:1.0 -> images/kilt-demo-app/
ln -s "$(realpath $B/image/kilt-image.oci.tar)" "$out/images/kilt.oci.tar"
ln -s "$(realpath $B/examples/images/kilt-demo-app)" "$out/images/kilt-demo-app"
skopeo inspect --raw "oci-archive:$B/image/kilt-image.oci.tar:0.1.0" 2>/dev/null |
  jq -r '"payload image index: " + ([.manifests[] | .platform.os + "/" + .platform.architecture] | join(", "))' || true

step "2. Patch examples/fargate-app.yaml (the app has no EntryPoint/Command: the recipe's image hint gives them)"
$B/bin/kilt patch --recipe examples/recipe.toml --parameter-defaults examples/fargate-app.yaml -o "$out/fargate-app.patched.yaml"
diff -u examples/fargate-app.yaml "$out/fargate-app.patched.yaml" || true

step "3. Run the patched task locally with runc: kilt-run traces the app, Falco watches it"
log=$out/run.log
: > "$log"
$B/bin/kilt local run "$out/fargate-app.patched.yaml" --images "$out/images" > "$log" 2>&1 &
pid=$!
tail -n +1 -f --pid=$pid "$log" &
tailer=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; kill $tailer 2>/dev/null || true' EXIT
deadline=$((SECONDS + 180))
alert='"rule":"Read sensitive file untrusted"'
until grep -q "app: tick $ticks " "$log" && grep -q "$alert" "$log"; do
  kill -0 $pid 2>/dev/null || break
  [ $SECONDS -lt $deadline ] || { echo "demo: no tick $ticks or no Falco alert within 180 s" >&2; break; }
  sleep 0.2
done

step "4. Stop the task with SIGTERM (as ECS does: SIGTERM, StopTimeout, SIGKILL)"
kill -TERM $pid 2>/dev/null || true
status=0
wait $pid || status=$?
wait $tailer 2>/dev/null || true
trap - EXIT

falco=$(grep -c '{"kilt":"falco"' "$log" || true)
app=$(grep -c '^\[app\] app: ' "$log" || true)
printf '\n\033[1m== Result\033[0m\n'
echo "Falco's alert about the app, as it reaches CloudWatch (one JSON line, tagged by kilt-run):"
grep -m1 "$alert" "$log" | sed 's/^\[app\] //' | jq -c '.msg | {rule, priority, output_fields: (.output_fields
  | {"proc.cmdline", "proc.pname", "fd.name", "container.id", "container.name"})}' 2>/dev/null || echo "  (none)"
echo "Falco lines (tagged {\"kilt\":\"falco\"}): $falco"
echo "app lines: $app"
echo "exit status of kilt local run: $status (the app exits with 7 on SIGTERM)"
echo "no containers left: $(runc --root /run/kilt-local list -q | wc -l) in runc's list"
[ "$status" = 7 ] && grep -q "$alert" "$log" && [ "$app" -gt 0 ]
