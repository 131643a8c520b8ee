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
