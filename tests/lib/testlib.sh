# Shared helpers for the shell end-to-end tests: source it, call check/expect_*, end with `summary`.
# Each check prints one line; `summary` prints "N passed, N failed" and sets the exit status.
# Synchronise with pipes, files and `wait`, never with sleeps.
T_PASSED=0
T_FAILED=0
T_NAME=${T_NAME:-$(basename "$0" .sh)}

pass() { T_PASSED=$((T_PASSED + 1)); echo "  ok   $T_NAME: $*"; }
fail() { T_FAILED=$((T_FAILED + 1)); echo "  FAIL $T_NAME: $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# expect_contains DESCRIPTION NEEDLE HAYSTACK
expect_contains() {
  case "$3" in *"$2"*) pass "$1" ;; *) fail "$1: [$2] not found in: $(printf %s "$3" | head -c 2000)" ;; esac
}

summary() {
  echo "$T_NAME: $T_PASSED passed, $T_FAILED failed"
  [ "$T_FAILED" -eq 0 ] && [ "$T_PASSED" -gt 0 ]
}

# use_workdir NAME: sets W to a fresh scratch directory (mktemp: two suites may run at once), removed when
# the script exits (KEEP=1 keeps it), after the at_exit commands and the processes registered with track.
use_workdir() {
  W=$(mktemp -d "${TMPDIR:-/tmp}/kilt-$1.XXXXXX") || exit 1
  T_WORKDIR=$W
  trap t_cleanup EXIT
}

# at_exit COMMAND: a shell command to run on exit, first (stop containers, ...).
T_AT_EXIT=()
at_exit() { T_AT_EXIT+=("$1"); }

# track PID...: background processes of this shell to kill (SIGKILL) on exit, with every process below
# them: `f &` runs a function in a subshell, and the program it started is that subshell's child.
T_TRACKED=()
track() { T_TRACKED+=("$@"); }

# t_tree PID: PID and its descendants, from /proc's children lists.
t_tree() {
  local c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do t_tree "$c"; done
  echo "$1"
}
t_cleanup() {
  local p c all=()
  for c in "${T_AT_EXIT[@]}"; do eval "$c"; done
  for p in "${T_TRACKED[@]}"; do
    # Only a process still ours: a pid reaped long ago may belong to someone else by now.
    [ "$(sed -E 's/.*\) . ([0-9]+) .*/\1/' /proc/"$p"/stat 2>/dev/null)" = "$$" ] && all+=($(t_tree "$p"))
  done
  [ ${#all[@]} -eq 0 ] || kill -KILL "${all[@]}" 2>/dev/null
  wait 2>/dev/null
  if [ -n "${KEEP:-}" ]; then echo "$T_NAME: kept $T_WORKDIR"; elif [ -n "${T_WORKDIR:-}" ]; then rm -rf "$T_WORKDIR"; fi
}
