#!/usr/bin/env bash
# End-to-end tests of the capture's tracer (capture/tracer.*), through kilt-run and `kilt capture`: real
# programs traced in real PID namespaces, their events read back as JSON lines (jq) and as scap files by
# Debian's sysdig; threads, vfork, exec from a thread, fork storms, job control, exit codes, EXITKILL, a
# syscall that never returns, the live feed with its consumer gate, peer check and reconnect snapshot, and
# the degraded modes (ptrace refused, no CAP_SYS_ADMIN).
#
#   tests/capture/tracer_e2e.sh KILT_RUN KILT HELPERS INIT_HELPERS
set -u
KRUN=$(realpath "$1")
KILT=$(realpath "$2")
H=$(realpath "$3")
IH=$(realpath "$4")
export KILT_RUN=$KRUN
T_NAME=tracer
. "$(dirname "$0")/../lib/testlib.sh"

[ "$(id -u)" = 0 ] || { echo "tracer: these tests need root (unshare -p)"; exit 1; }
use_workdir tracer-test
echo > "$W/empty.cfg"

# wait_for COMMAND...: polls COMMAND (a generous 60 s deadline, not a timing assertion).
wait_for() {
  local deadline=$((SECONDS + 60))
  until "$@"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.02; done
}
# count FILE JQ_CONDITION: how many events of the JSON lines FILE match.
count() { jq -c "select($2)" "$1" 2>/dev/null | wc -l; }
has() { [ "$(count "$1" "$2")" -ge 1 ]; }
state_of() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }
ns() { unshare -pf --mount-proc "$@"; }

# ---- 1. every event kind, from a real program -------------------------------------------------------------
echo "# every event kind the capture emits, from tevents (one syscall of each kind)"
mkdir -p "$W/tev"
ns "$KILT" capture -o json -- "$H/tevents" "$W/tev" > "$W/tev.json"
expect_eq "kilt capture: exit status of the program" 0 $?
J=$W/tev.json
check "the first exec is an execve event with argv, comm, exepath and cgroups" \
  has "$J" '.type=="execve" and .params.comm=="tevents" and .params.args==["'"$W/tev"'"] and .params.trusted_exepath=="'"$H/tevents"'" and (.params.cgroups|length) > 0'
if [ "$(uname -m)" = x86_64 ]; then
  check "open (the legacy syscall)" has "$J" '.type=="open" and .params.name=="open-syscall-file" and (.params.flags|test("O_CREAT"))'
fi
check "openat with its flags and mode (0640)" has "$J" '.type=="openat" and .params.name=="open-file" and .params.flags=="O_TRUNC|O_CREAT|O_WRONLY" and .params.mode==416'
check "openat2 with resolve" has "$J" '.type=="openat2" and .params.name=="openat-file" and .params.resolve=="RESOLVE_NO_SYMLINKS"'
check "creat" has "$J" '.type=="creat" and .params.name=="creat-file" and .params.fd >= 0'
check "a failed open keeps its path and -ENOENT" has "$J" '.type=="openat" and .params.name=="/nonexistent/kilt-missing" and .params.fd==-2'
check "socket AF_INET" has "$J" '.type=="socket" and .params.domain=="AF_INET"'
check "socket AF_PACKET" has "$J" '.type=="socket" and .params.domain=="AF_PACKET"'
check "socket AF_UNIX is not stopped for (the filter looks at the domain)" test "$(count "$J" '.type=="socket" and .params.domain=="AF_UNIX"')" = 0
check "bind, listen with its backlog" has "$J" '.type=="listen" and .params.backlog==7'
check "connect to the loopback listener, both ends in its tuple" has "$J" '.type=="connect" and .params.res==0 and (.params.addr|startswith("127.0.0.1:")) and (.params.tuple|test("^127.0.0.1:[1-9][0-9]*->127.0.0.1:[1-9]"))'
check "accept4 with both ends" has "$J" '.type=="accept4" and .params.fd >= 0 and (.params.tuple|test("^127.0.0.1:[1-9][0-9]*->127.0.0.1:[1-9]"))'
check "dup" has "$J" '.type=="dup" and .params.res >= 0'
check "dup2 of a socket onto stdout" has "$J" '.type=="dup2" and .params.newfd==1 and .params.res==1'
check "dup3 onto stdout" has "$J" '.type=="dup3" and .params.newfd==1'
check "symlink over /etc/passwd's name" has "$J" '.type=="symlink" and .params.target=="/etc/passwd"'
check "symlinkat" has "$J" '.type=="symlinkat" and .params.target=="/etc/shadow" and .params.linkpath=="symlinkat-to-shadow"'
check "link, linkat" has "$J" '.type=="linkat" and .params.oldpath=="openat-file"'
check "rename, renameat, renameat2" test "$(count "$J" '.type=="rename" or .type=="renameat" or .type=="renameat2"')" -ge 3
check "unlink, unlinkat" has "$J" '.type=="unlinkat" and .params.name=="hardlinkat"'
check "chmod with the setuid bit" has "$J" '.type=="chmod" and .params.mode=="04755"'
check "fchmod, fchmodat" has "$J" '.type=="fchmodat" and .params.filename=="creat-file"'
check "the set*id family (6 calls)" test "$(count "$J" '.type|test("^set(res|re)?[ug]id$")')" -ge 6
check "chdir, fchdir" has "$J" '.type=="fchdir" and .params.res==0'
check "memfd_create" has "$J" '.type=="memfd_create" and .params.name=="kilt-memfd"'
check "ptrace(TRACEME) fails under the tracer (EPERM) and is captured" has "$J" '.type=="ptrace" and .params.request=="PTRACE_TRACEME" and .params.res==-1'
check "mount, failed, with its paths" has "$J" '.type=="mount" and .params.dev=="/nonexistent-kilt-src" and .params.res < 0'
check "init_module" has "$J" '.type=="init_module" and .params.uargs=="kilt=1"'
check "close" has "$J" '.type=="close"'
check "procexit at the end" has "$J" '.type=="procexit"'
check "every event belongs to the program's tid" test "$(jq -r .tid "$J" | sort -u | wc -l)" = 1

echo "# a capture file that Debian's sysdig reads, with Falco's filter language"
ns "$KILT" capture -w "$W/attack.scap" -- sh -c "cat /etc/shadow > /dev/null; ln -sf /etc/passwd $W/tev/pw; find / -maxdepth 1 -name id_rsa > /dev/null; exit 4"
expect_eq "kilt capture -w: exit status of the command" 4 $?
sd() { timeout 120 sysdig -r "$W/attack.scap" -p "*%proc.name %evt.type %fd.name %proc.pname %proc.cmdline" "$1" 2>&1; }
expect_contains "sysdig: proc.name=cat and fd.name=/etc/shadow (Read sensitive file)" "cat openat /etc/shadow sh" \
  "$(sd 'proc.name=cat and fd.name=/etc/shadow')"
expect_contains "sysdig: symlink over /etc/passwd (evt.arg.target)" "ln symlinkat" "$(sd 'evt.type in (symlink, symlinkat) and evt.arg.target=/etc/passwd')"
expect_contains "sysdig: the find command line (Search Private Keys)" "find / -maxdepth 1 -name id_rsa" \
  "$(sd 'evt.type=execve and evt.dir=< and proc.name=find and proc.args contains id_rsa')"

# ---- 2. the process tree: threads, vfork, exec from a thread, fork storms ----------------------------------
echo "# threads, vfork, exec from a non-leader thread, a fork storm"
ns "$KILT" capture -o json -- "$H/tthreads" 1000 > "$W/threads.json"
expect_eq "1,000 threads: exit 0" 0 $?
expect_eq "1,000 thread clone events (CLONE_THREAD)" 1000 "$(count "$W/threads.json" '.type=="clone" and (.params.flags|test("CLONE_THREAD"))')"
expect_eq "each of the 1,000 threads' own open is captured, under its own tid" 1000 \
  "$(jq -r 'select(.type=="openat" and .params.name=="/dev/null") | .tid' "$W/threads.json" | sort -u | wc -l)"
ns "$KILT" capture -w "$W/xthread.scap" -- "$H/tthreads" exec /bin/sh -c 'exit 6'
expect_eq "exec from a non-leader thread: the new program's exit status" 6 $?
ns "$KILT" capture -o json -- "$H/tthreads" exec /bin/true > "$W/xthread.json"
check "exec from a thread: the execve event is the leader's" \
  test "$(jq -r 'select(.type=="execve" and .params.exe=="/bin/true") | .tid' "$W/xthread.json")" = \
       "$(jq -r 'select(.type=="execve") | .tid' "$W/xthread.json" | head -1)"
check "exec from a thread: the exec'ing thread's old tid ends (procexit)" \
  has "$W/xthread.json" '.type=="procexit" and .tid != ('"$(jq -r 'select(.type=="execve") | .tid' "$W/xthread.json" | head -1)"')'
ns "$KILT" capture -o json -- sh -c 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done; /bin/false' > "$W/storm.json"
expect_eq "fork storm (300 children): the shell's exit status (false: 1)" 1 $?
expect_eq "every child's exec is captured" 300 "$(count "$W/storm.json" '.type=="execve" and .params.exe=="/bin/true"')"
expect_eq "every child is introduced by its parent's fork/vfork/clone first" 301 \
  "$(count "$W/storm.json" '(.type=="vfork" or .type=="fork" or .type=="clone") and .params.res > 0')"
check "the children's parent in their execve is the shell" \
  test "$(jq -r 'select(.type=="execve" and .params.exe=="/bin/true") | .params.ptid' "$W/storm.json" | sort -u | wc -l)" = 1

echo "# process state kept between events (Tracer::ProcCache) is never stale where the tree changed it"
mkdir -p "$W/tproc-dir"
ns "$KILT" capture -o json -- "$H/tproc" "$W/tproc-dir" > "$W/tproc.json"
expect_eq "tproc: exit 0" 0 $?
# The seven fork events of tproc, in order: [comm, exe, cwd, fdlimit, uid, gid].
jq -c 'select(.type=="clone" and .params.res > 0) | [.params.comm, .params.exe, .params.cwd, .params.fdlimit, .params.uid, .params.gid]' \
  "$W/tproc.json" > "$W/tproc.forks"
fork_n() { sed -n "$1p" "$W/tproc.forks"; }
TPROC_CWD=$(jq -r 'select(.type=="execve") | .params.cwd' "$W/tproc.json" | head -1)
TPROC_LIMIT=$(jq -r 'select(.type=="execve") | .params.fdlimit' "$W/tproc.json" | head -1)
TITLE="tproc: a title longer than the arguments it overwrites, as nginx and postgres write theirs"
expect_eq "seven fork events" 7 "$(wc -l < "$W/tproc.forks")"
expect_eq "the second fork (stat kept open from then on) says what the first says" "$(fork_n 1)" "$(fork_n 2)"
expect_eq "prctl(PR_SET_NAME) before a fork: its comm" '"tproc-renamed"' "$(fork_n 3 | jq '.[0]')"
expect_eq "a title over argv and on into the environment (setproctitle): its exe, as /proc/PID/cmdline says" \
  "\"$TITLE\"" "$(fork_n 4 | jq '.[1]')"
expect_eq "chdir before a fork: its cwd" "\"$W/tproc-dir/\"" "$(fork_n 5 | jq '.[2]')"
expect_eq "... the forks before it had the old one" "\"$TPROC_CWD\"" "$(fork_n 4 | jq '.[2]')"
expect_eq "setrlimit(RLIMIT_NOFILE) before a fork: its fdlimit" 77 "$(fork_n 6 | jq '.[3]')"
expect_eq "... the forks before it had the old one" "$TPROC_LIMIT" "$(fork_n 5 | jq '.[3]')"
expect_eq "setresuid/setresgid before a fork: its uid and gid" "[65534,65534]" "$(fork_n 7 | jq -c '.[4:6]')"
check "the exec after all of it: comm, cwd, fdlimit and uid of now" \
  has "$W/tproc.json" '.type=="execve" and .params.comm=="true" and .params.cwd=="'"$W/tproc-dir/"'" and .params.fdlimit==77 and .params.uid==65534'
# Capabilities at exec come from capget(2) where the ids are kept: a bounding set dropped (an untraced
# prctl) before an exec shows in the exec's sets.
ns "$KILT" capture -o json -- sh -c 'setpriv --bounding-set -net_raw /bin/true' > "$W/bset.json"
FULL=$(jq -r 'select(.type=="execve" and .params.exe=="sh") | .params.cap_effective' "$W/bset.json")
expect_eq "CAP_NET_RAW (bit 13) dropped from the bounding set: gone from the exec's effective and permitted sets" \
  "$((FULL - 8192)) $((FULL - 8192))" \
  "$(jq -r 'select(.type=="execve" and .params.exe=="/bin/true") | "\(.params.cap_effective) \(.params.cap_permitted)"' "$W/bset.json")"
# A setuid executable changes the effective uid at exec (here, without NO_NEW_PRIVS): read, not kept.
cp /bin/true "$W/suid-true" && chown 65534:65534 "$W/suid-true" && chmod 4755 "$W/suid-true"
ns "$KILT" capture -o json -- sh -c "/bin/true; $W/suid-true" > "$W/suid.json"
expect_eq "a setuid executable's exec event has the owner's uid" 65534 \
  "$(jq -r 'select(.type=="execve" and .params.exe=="'"$W/suid-true"'") | .params.uid' "$W/suid.json")"
ns "$KILT" capture -o json -- sh -c "cd $W/tproc-dir && /bin/true; cd / && /bin/true" > "$W/cdexec.json"
expect_eq "a shell's cd, then a command: each command's execve has the cwd of its moment" \
  "$W/tproc-dir/ /" "$(jq -r 'select(.type=="execve" and .params.exe=="/bin/true") | .params.cwd' "$W/cdexec.json" | xargs)"

# ---- 3. signals, job control, exit codes, a syscall that never returns, EXITKILL ---------------------------
echo "# signals and job control under the tracer"
cat > "$W/cap.cfg" <<C
[capture]
enabled = true
C
start_app() {  # NAME CMD...: kilt-run with the capture on, as PID 1, in the background; APP = the host pid
  local name=$1; shift
  rm -f "$W/$name".*
  ns "$KRUN" --config "$W/cap.cfg" -- "$@" > "$W/$name.out" 2> "$W/$name.err" &
  UNSHARE=$!; track "$UNSHARE"
}
find_comm() {  # ROOT COMM: host pid of the first COMM below ROOT
  local todo=("$1") p c
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]}; todo=("${todo[@]:1}")
    [ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
    for c in $(cat /proc/$p/task/*/children 2>/dev/null); do todo+=("$c"); done
  done
  return 1
}
start_app stop "$IH/sigrec" "$W/stop.log" "$W/stop.ready"
wait_for test -s "$W/stop.ready"
APP=$(find_comm "$UNSHARE" sigrec); KR=$(find_comm "$UNSHARE" kilt-run)
check "the app is traced (TracerPid is kilt-run)" test "$(awk '/^TracerPid/ {print $2}' /proc/$APP/status)" = "$KR"
kill -STOP "$APP"
check "SIGSTOP stops the traced app (group-stop kept with PTRACE_LISTEN)" wait_for state_is "$APP" t
kill -USR1 "$KR"
check "a signal arriving while it is stopped does not run it" state_is "$APP" t
kill -CONT "$APP"
check "SIGCONT resumes it" wait_for state_is "$APP" S
check "and the USR1 forwarded meanwhile arrives after the CONT" wait_for grep -qx USR1 "$W/stop.log"
kill -TSTP "$KR"
check "SIGTSTP to kilt-run stops the traced app" wait_for state_is "$APP" t
kill -CONT "$KR"
check "SIGCONT to kilt-run resumes it" wait_for state_is "$APP" S
kill -TERM "$KR"
wait "$UNSHARE"; expect_eq "exit 0 after the forwarded TERM" 0 $?

ns "$KRUN" --config "$W/cap.cfg" -- sh -c 'kill -SEGV $$' 2>/dev/null
expect_eq "128+N with the capture on (SIGSEGV: 139)" 139 $?
ns "$KRUN" --config "$W/cap.cfg" -- sh -c 'exit 42'
expect_eq "exit code with the capture on" 42 $?

start_app block "$H/tblock" "$W/block.ready"
wait_for test -s "$W/block.ready"
KR=$(find_comm "$UNSHARE" kilt-run)
kill -TERM "$KR"
timeout 60 tail --pid="$UNSHARE" -f /dev/null || fail "a process blocked in a traced syscall (accept) hangs the shutdown"
wait "$UNSHARE"; expect_eq "blocked forever in a traced accept(): SIGTERM still ends it (143)" 143 $?
start_app block2 "$H/tblock" "$W/block2.ready"
wait_for test -s "$W/block2.ready"
kill -KILL "$(find_comm "$UNSHARE" tblock)"
wait "$UNSHARE"; expect_eq "a tracee killed in the middle of a traced syscall: 137, nothing hangs" 137 $?

# EXITKILL: kilt-run (not PID 1 here, a subreaper under a shell) dies of SIGKILL: no tracee may stay behind,
# stuck in a stop nobody will ever resume.
rm -f "$W/orphan.ready"
unshare -pf --kill-child --mount-proc sh -c "$KRUN --config $W/cap.cfg -- $IH/sigrec $W/orphan.log $W/orphan.ready; sleep 1000" &
U=$!; track "$U"; disown "$U"  # its SIGKILL below is expected: no "Killed" from bash
wait_for test -s "$W/orphan.ready"
APP=$(find_comm "$U" sigrec); KR=$(find_comm "$U" kilt-run)
kill -KILL "$KR"
check "kilt-run SIGKILLed: its tracee is killed with it (PTRACE_O_EXITKILL)" wait_for test ! -e "/proc/$APP/status"
kill -KILL "$U" 2>/dev/null; wait "$U" 2>/dev/null || true

# ---- 4. the live feed: the consumer gate, the peer check, reconnect with a snapshot ------------------------
echo "# the live feed: its consumer (feedtap stands in for Falco)"
cat > "$W/feed.cfg" <<C
[capture]
socket = "@kilt-tracer-test-$$"
[[agent]]
name = "tap"
path = "$H/feedtap"
args = ["$W/feed.json"]
capture = true
C
ns "$KRUN" --config "$W/feed.cfg" -- sh -c "cat /etc/hostname > /dev/null; exit 3" > "$W/feed.out" 2> "$W/feed.err"
expect_eq "with a consumer: the app's exit status" 3 $?
check "the app started only once the consumer was connected" grep -q 'the consumer is connected: starting the app' "$W/feed.err"
check "the consumer got the app's exec first" test "$(jq -r .type "$W/feed.json" | head -1)" = execve
check "the consumer got the app's events live" has "$W/feed.json" '.type=="openat" and .params.name=="/etc/hostname"'
check "the consumer learned where the feed is (KILT_CAPTURE_SOCKET)" grep -q 'feedtap: connected' "$W/feed.out"

# The app tries to read the feed itself: refused (only the consumer agent may connect).
ns "$KRUN" --config "$W/feed.cfg" -- python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect('\0kilt-tracer-test-$$')
s.settimeout(5)
try:
    data = s.recv(100)
except OSError:
    data = b''
sys.exit(0 if len(data) < 16 else 1)" > /dev/null 2> "$W/peer.err"
expect_eq "the traced app cannot read the feed (peer check on SO_PEERCRED)" 0 $?

# A consumer that dies after its first frame is restarted by kilt-run; its next run reconnects and first
# gets every live process again (a snapshot), then the app's further events.
rm -f "$W/feed.json" "$W/feed.json.crashed"
sed -i 's|args = \["'"$W"'/feed.json"\]|args = ["'"$W"'/feed.json", "1"]\nbackoff_initial = "10ms"|' "$W/feed.cfg"
ns "$KRUN" --config "$W/feed.cfg" -- sh -c "
  while [ \$(grep -c 'connected' $W/feed2.out 2>/dev/null || echo 0) -lt 2 ]; do sleep 0.05; done
  cat /etc/hostname > /dev/null; sleep 0.3; exit 0" > "$W/feed2.out" 2> "$W/feed2.err"
expect_eq "consumer restarted: the app ran to its end" 0 $?
check "kilt-run re-sent the live processes to the restarted consumer" grep -q 'the consumer reconnected: re-sending' "$W/feed2.err"
check "after the reconnect the app's process is introduced again (a second execve of the app's sh)" \
  test "$(count "$W/feed.json" '.type=="execve" and .params.comm=="sh"')" -ge 2
check "and its events after the reconnect arrive" has "$W/feed.json" '.type=="openat" and .params.name=="/etc/hostname"'

# ---- 5. degraded: ptrace refused, no CAP_SYS_ADMIN, a second tracer -----------------------------------------
echo "# degraded: ptrace refused by the platform"
ns "$H/noptrace" "$KRUN" --config "$W/cap.cfg" -- sh -c 'echo ran; exit 7' > "$W/noptrace.out" 2> "$W/noptrace.err"
expect_eq "ptrace refused, on_failure = continue: the app runs untraced, its status" "7 ran" "$? $(cat "$W/noptrace.out")"
check "... and says CAPTURE IS OFF with the reason" grep -q 'CAPTURE IS OFF: ptrace(PTRACE_SEIZE): Operation not permitted' "$W/noptrace.err"
printf '[capture]\nenabled = true\non_failure = "stop-app"\n' > "$W/capstop.cfg"
ns "$H/noptrace" "$KRUN" --config "$W/capstop.cfg" -- sh -c "touch $W/ran-anyway" 2> "$W/noptrace2.err"
expect_eq "ptrace refused, on_failure = stop-app: 121 and the app never ran" "121 no" \
  "$? $(test -e "$W/ran-anyway" && echo yes || echo no)"
"$H/noptrace" "$KRUN" --check --config "$W/cap.cfg" > "$W/check.out"
expect_eq "--check fails when the capture is enabled but ptrace is refused" 1 $?
check "--check says CAPTURE IS OFF" grep -q '^FAIL CAPTURE IS OFF: ptrace' "$W/check.out"
"$KRUN" --check --config "$W/cap.cfg" > "$W/check2.out"
check "--check passes the capture line where it works" grep -q '^ok   capture: ptrace and seccomp work here' "$W/check2.out"
check "--check states what the capture does not see" grep -q '^note capture: not seen: processes started outside' "$W/check2.out"

echo "# NO_NEW_PRIVS only where the kernel demands it, and said"
ns "$KRUN" --config "$W/cap.cfg" -- grep NoNewPrivs /proc/self/status > "$W/nnp1.out" 2> "$W/nnp1.err"
expect_eq "with CAP_SYS_ADMIN (a privileged container) the app keeps setuid semantics (NoNewPrivs 0)" \
  "NoNewPrivs:	0" "$(cat "$W/nnp1.out")"
ns setpriv --bounding-set -sys_admin "$KRUN" --config "$W/cap.cfg" -- grep NoNewPrivs /proc/self/status \
  > "$W/nnp2.out" 2> "$W/nnp2.err"
expect_eq "without CAP_SYS_ADMIN (Fargate) the filter needs NoNewPrivs 1" "NoNewPrivs:	1" "$(cat "$W/nnp2.out")"
check "... and kilt-run says what that changes" grep -q 'setuid and file-capability programs do not gain privileges' "$W/nnp2.err"
# Without CAP_SYS_RESOURCE, prlimit(2) on a tracee of another uid is refused; /proc/PID/limits is not.
ns setpriv --bounding-set -sys_resource "$KILT" capture -o json -- \
  setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true > "$W/otheruid.json" 2> "$W/otheruid.err"
check "a tracee that changed its uid still shows its fd limit (proc.fdlimit)" \
  has "$W/otheruid.json" '.type=="execve" and .params.comm=="true" and .params.uid==65534 and .params.fdlimit > 0'
ns "$KRUN" --config "$W/cap.cfg" -- strace -o /dev/null true > "$W/strace.out" 2>&1
check "a second tracer in the app (strace) is refused (EPERM), as documented" test $? -ne 0
check "... with the kernel's reason" grep -q 'Operation not permitted' "$W/strace.out"

summary
