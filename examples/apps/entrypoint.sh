#!/bin/sh
# The demo app of Kilt's example images (busybox-static and Debian bases): the image's ENTRYPOINT, with
# CMD as its arguments. It shows what a user relies on when the container runs through /kilt/run:
#   - its output arrives intact (one "app:" line per tick);
#   - it gets SIGTERM when the task stops, and its exit status (APP_TERM_EXIT_CODE, default 7) is the task's;
#   - an orphan it leaves behind is reaped (each tick reports the zombies visible in its PID namespace);
#   - APP_EXIT_AFTER=N makes it exit by itself after N ticks with APP_EXIT_CODE (essential-container stop);
#   - APP_READ_FILE=PATH makes it read PATH once at start (`make demo` reads /etc/shadow, which Falco's default
#     rules report as "Read sensitive file untrusted").
# POSIX sh: runs under busybox sh and bash alike.
code=${APP_TERM_EXIT_CODE:-7}
trap 'echo "app: SIGTERM received, exiting with $code"; exit $code' TERM
trap 'echo "app: SIGINT received, exiting with $code"; exit $code' INT
echo "app: started as $0 (pid $$) with args: $*"
echo "app: GREETING=${GREETING:-<unset>}"
if [ -n "${APP_READ_FILE:-}" ]; then
  echo "app: reading $APP_READ_FILE (as an intruder would)"
  # By path: Debian's busybox sh would run its cat applet as /proc/self/exe (proc.name "exe").
  /bin/cat "$APP_READ_FILE" > /dev/null
fi
# An orphan: the subshell exits at once, its `sleep` is re-parented to PID 1 and must be reaped there.
(sleep 0.3 &)
n=0
while :; do
  n=$((n + 1))
  z=$(grep -l '^[0-9]* ([^)]*) Z' /proc/[0-9]*/stat 2>/dev/null | wc -l)
  echo "app: tick $n zombies=$z"
  if [ -n "${APP_EXIT_AFTER:-}" ] && [ "$n" -ge "$APP_EXIT_AFTER" ]; then
    echo "app: done after $n ticks, exiting with ${APP_EXIT_CODE:-0}"
    exit "${APP_EXIT_CODE:-0}"
  fi
  # `sleep & wait`: a trapped signal interrupts `wait` at once (a foreground sleep would delay the trap).
  sleep 1 &
  wait $!
done
