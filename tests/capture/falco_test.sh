#!/usr/bin/env bash
# Real Falco 0.44.1 (make falco) with its unmodified default rules reads the capture's events:
#   1. replay (engine.kind=replay) of a capture file written by CaptureFileWriter, with and without the
#      compatibility enter events: libs 0.25.4's converter accepts every event, the rules fire;
#   2. live (engine.kind=nodriver + libkiltcap.so): a FeedServer (scap_scenario feed) serves the events,
#      the plugin reads them, the rules fire with the container plugin's static container.
# Usage: falco_test.sh FALCO_TREE SCAP_SCENARIO_TOOL LIBKILTCAP_SO
set -u
TREE=$(realpath "$1")
TOOL=$(realpath "$2")
KILTCAP=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
T_NAME=capture-falco
. "$HERE/../lib/testlib.sh"

[ -x "$TREE/bin/falco" ] || { echo "capture-falco: $TREE/bin/falco is missing: run 'make falco'"; exit 1; }
use_workdir capture-falco

# bin/falco's ELF interpreter is /kilt/falco/lib/...: on the host, call the tree's loader directly.
LOADER=$(ls "$TREE"/lib/ld-linux-*.so.* | head -1)
falco() { timeout -k 5 120 "$LOADER" --inhibit-cache --library-path "$TREE/lib" "$TREE/bin/falco" "$@"; }

# config ENGINE_YAML: a falco.yaml for this test (JSON alerts, the default rules, the static container).
config() {
  cat > "$W/falco.yaml" <<Y
config_files: []
watch_config_files: false
rules_files: [$TREE/rules/falco_rules.yaml]
$1
plugins:
  - name: kiltcap
    library_path: $KILTCAP
    init_config: ""
    open_params: "$ADDRESS"
  - name: container
    library_path: $TREE/plugins/libcontainer.so
    init_config:
      engines:
        docker: {enabled: false}
        podman: {enabled: false}
        containerd: {enabled: false}
        cri: {enabled: false}
        lxc: {enabled: false}
        libvirt_lxc: {enabled: false}
        bpm: {enabled: false}
        static: {enabled: true, container_id: "3ad7b26ded6d", container_name: "app", container_image: "example/app:1"}
json_output: true
json_include_output_fields_property: true
buffered_outputs: false
priority: debug
rule_matching: all
stdout_output: {enabled: true}
append_output: [{suggested_output: true}]
syscall_event_timeouts: {max_consecutives: 4294967295}
log_stderr: true
libs_logger: {enabled: true, severity: info}
Y
}

# The rules the scenario must raise (tests/capture/scenario.cc), by rule name.
EXPECTED=(
  "Read sensitive file untrusted"
  "Netcat Remote Code Execution in Container"
  "Search Private Keys or Passwords"
  "Create Symlink Over Sensitive Files"
  "Create Hardlink Over Sensitive Files"
  "Clear Log Activities"
  "Packet socket created in container"
  "PTRACE attached to process"
  "Redirect STDOUT/STDIN to Network Connection in Container"
  "Fileless execution via memfd_create"
  "Execution from /dev/shm"
)
rules_of() { grep -o '"rule":"[^"]*"' "$1" | sort -u | sed 's/"rule":"//; s/"$//'; }
expect_rules() {  # NAME OUTPUT_FILE
  local got r
  got=$(rules_of "$2")
  for r in "${EXPECTED[@]}"; do
    expect_contains "$1: $r" "$r" "$got"
  done
}

echo "# replay of capture files"
ADDRESS=unused
config "engine: {kind: replay, replay: {capture_file: $W/s.scap}}
load_plugins: [container]"
for mode in compat exit-only; do
  if [ $mode = compat ]; then "$TOOL" file "$W/s.scap"; else "$TOOL" file "$W/s.scap" --exit-only; fi
  falco -c "$W/falco.yaml" > "$W/replay-$mode.out" 2> "$W/replay-$mode.err"
  expect_eq "replay ($mode): Falco reads the whole file" 0 $?
  check "replay ($mode): no conversion errors" bash -c "! grep -qiE 'conversion|more parameters|error' '$W/replay-$mode.err'"
  expect_rules "replay ($mode)" "$W/replay-$mode.out"
done
expect_contains "replay: the alert names cat, its parent and the container" \
  '"proc.name":"cat"' "$(grep 'Read sensitive file untrusted' "$W/replay-compat.out")"
expect_contains "replay: container image from the static engine" '"container.image.repository":"example/app"' \
  "$(grep 'Read sensitive file untrusted' "$W/replay-compat.out")"

echo "# live: nodriver + libkiltcap, fed by a FeedServer"
ADDRESS="@kilt-capture-falco-test-$$"
config "engine: {kind: nodriver}
load_plugins: [kiltcap, container]"
"$TOOL" feed "$ADDRESS" 30000 2> "$W/feed.err" &
track $!
# Not through the falco function: $! must be Falco itself, not a subshell that would leave it running.
timeout -k 5 120 "$LOADER" --inhibit-cache --library-path "$TREE/lib" "$TREE/bin/falco" -c "$W/falco.yaml" \
  > "$W/live.out" 2> "$W/live.err" &
FALCO=$!
track $FALCO
for _ in $(seq 1 600); do
  [ "$(rules_of "$W/live.out" | grep -cxFf <(printf '%s\n' "${EXPECTED[@]}"))" -ge ${#EXPECTED[@]} ] && break
  kill -0 $FALCO 2>/dev/null || break
  sleep 0.1
done
check "live: the plugin connected to the feed" grep -q "events sent" "$W/feed.err"
check "live: Falco opened kiltcap as its syscall source" grep -q "kiltcap" "$W/live.err"
expect_rules "live" "$W/live.out"
expect_contains "live: alerts carry the static container" '"container.id":"3ad7b26ded6d"' \
  "$(grep 'Read sensitive file untrusted' "$W/live.out")"
kill -TERM $FALCO 2>/dev/null; wait $FALCO 2>/dev/null
check "live: Falco stops on SIGTERM" bash -c "! pgrep -f -- 'bin/[f]alco -c $W/falco.yaml' >/dev/null"

if [ "$T_FAILED" -gt 0 ]; then
  for f in "$W"/*.err "$W"/*.out; do echo "--- $f"; tail -20 "$f"; done
fi
summary
