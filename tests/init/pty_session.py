#!/usr/bin/env python3
"""Terminal behaviour of a Kilt init through a real pty, as tini's and dumb-init's own tests check it.

    pty_session.py HELPER_DIR WORK_DIR MODE -- INIT_ARGV...

INIT_ARGV is the init's command line up to (not including) the program it runs, e.g. `kilt-init` or
`kilt-run --config F --`. MODE is `pid1` (the init is PID 1 of a new PID namespace and owns the terminal, as
under `docker run -it`) or `sub` (no namespace: a subreaper). Scenarios:

  leader   the init owns the terminal: ^C reaches the app exactly once (from the kernel: the app's group is the
           terminal's foreground group), not a second time forwarded by the init;
  inside   the app is an interactive shell under the init that owns the terminal: its own job control works
           (^Z stops its job, `fg` resumes it, ^C ends it), and its exit code comes back;
  job      (sub only) the init is a job of an interactive shell: ^C reaches the app once (forwarded by the
           init), ^Z stops the app and the init so the shell reports the job stopped, and `fg` resumes both.

Prints one `ok`/`FAIL` line per check, like tests/lib/testlib.sh; exits 1 if any check failed. Waits poll
with generous deadlines (60 s); nothing is timed.
"""
import os
import pty
import re
import select
import signal
import sys
import time

HELPERS, WORK, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
INIT = sys.argv[sys.argv.index("--") + 1:]
NAME = os.environ.get("T_NAME", "tty")
failed = 0


def check(desc, ok, detail=""):
    global failed
    if ok:
        print(f"  ok   {NAME}: {MODE}: tty: {desc}")
    else:
        failed += 1
        print(f"  FAIL {NAME}: {MODE}: tty: {desc} {detail}")
    sys.stdout.flush()


def wait_until(pred, deadline=60.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def stat_fields(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def state(pid):
    f = stat_fields(pid)
    return f[0] if f else None


def stopped(pid):
    """Stopped by a signal (T), or in a group-stop kept by the capture's tracer with PTRACE_LISTEN (t)."""
    return state(pid) in ("T", "t")


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Term:
    """A program on the slave side of a new pty, as its session leader; we hold the master."""

    def __init__(self, argv, env=None):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvpe(argv[0], argv, env or os.environ)
            finally:
                os._exit(127)
        self.out = b""

    def send(self, data):
        os.write(self.fd, data)

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                self.out += os.read(self.fd, 65536)
            except OSError:  # EIO: the slave side is gone
                return False
        return True

    def expect(self, pattern, deadline=60.0):
        end = time.monotonic() + deadline
        rx = re.compile(pattern.encode())
        while time.monotonic() < end:
            m = rx.search(self.out)
            if m:
                self.out = self.out[m.end():]
                return True
            if not self.pump(0.05):
                break
        return bool(rx.search(self.out))

    def finish(self):
        """Waits for the session leader to exit, draining output; returns its exit code (128+N for signal N)."""
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
            self.pump(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return None


def wrap(argv):
    """The init's command in MODE: as PID 1 it must also lead the session that owns the terminal (docker -it)."""
    if MODE == "pid1":
        return ["unshare", "-pf", "--mount-proc", "setsid", "-c"] + argv
    return argv


def find_child(root, comm):
    """Host pid of the first process named comm at or below root."""
    todo = [root]
    while todo:
        p = todo.pop(0)
        if read_text(f"/proc/{p}/comm").strip() == comm:
            return p
        for t in os.listdir(f"/proc/{p}/task") if os.path.isdir(f"/proc/{p}/task") else []:
            todo += [int(c) for c in read_text(f"/proc/{p}/task/{t}/children").split()]
    return None


def init_pid(term):
    return find_child(term.pid, os.path.basename(INIT[0]))


def fresh(*paths):
    for p in paths:
        if os.path.exists(p):
            os.unlink(p)
    return paths


def leader():
    log, ready = fresh(f"{WORK}/tty-leader-{MODE}.log", f"{WORK}/tty-leader-{MODE}.ready")
    t = Term(wrap(INIT + [f"{HELPERS}/sigrec", "-i", log, ready]))
    if not wait_until(lambda: os.path.exists(ready)):
        check("the app started under the terminal", False, t.out[-500:])
        t.finish()
        return
    init = init_pid(t)
    t.send(b"\x03")  # ^C
    check("^C reaches the app", wait_until(lambda: "INT" in read_text(log)))
    # A marker sent through the init after ^C: the init reads its signals lowest number first, so an INT it
    # forwarded would be logged before the USR1.
    os.kill(init, signal.SIGUSR1)
    check("the init forwards a later USR1", wait_until(lambda: "USR1" in read_text(log)))
    lines = read_text(log).split()
    check("^C reaches the app exactly once", lines.count("INT") == 1, f"log: {lines}")
    os.kill(find_child(init, "sigrec"), signal.SIGKILL)  # the ready file holds the namespace's pid
    rc = t.finish()
    check("exit code 137 after the app's SIGKILL", rc == 137, f"got {rc}")


def inside():
    t = Term(wrap(INIT + ["bash", "--norc", "--noprofile", "-i"]), env=dict(os.environ, PS1="PROMPT> "))
    check("interactive shell under the init shows its prompt", t.expect(r"PROMPT> "))
    init = init_pid(t)
    t.send(b"exec 2>&1; sleep 1000\n")
    sleep_pid = None
    if wait_until(lambda: find_child(init, "sleep") is not None):
        sleep_pid = find_child(init, "sleep")
    check("the shell's job runs", sleep_pid is not None)
    t.send(b"\x1a")  # ^Z
    check("^Z stops the shell's foreground job", wait_until(lambda: stopped(sleep_pid)))
    check("the shell reports its job stopped", t.expect(r"Stopped"))
    t.send(b"fg\n")
    check("fg resumes the job", wait_until(lambda: state(sleep_pid) in ("S", "R")))
    t.send(b"\x03")  # ^C
    check("^C ends the foreground job", wait_until(lambda: state(sleep_pid) is None))
    check("the shell prompts again", t.expect(r"PROMPT> "))
    t.send(b"exit 3\n")
    rc = t.finish()
    check("the shell's exit code comes back through the init", rc == 3, f"got {rc}")


def job():
    log, ready = fresh(f"{WORK}/tty-job.log", f"{WORK}/tty-job.ready")
    t = Term(["bash", "--norc", "--noprofile", "-i"], env=dict(os.environ, PS1="PROMPT> "))
    t.expect(r"PROMPT> ")
    cmd = " ".join("'" + a.replace("'", "'\\''") + "'" for a in INIT + [f"{HELPERS}/sigrec", "-i", log, ready])
    t.send(cmd.encode() + b"\n")
    if not wait_until(lambda: os.path.exists(ready)):
        check("the app started as a shell job", False, t.out[-500:])
        t.finish()
        return
    app = int(read_text(ready).strip())
    init = int(stat_fields(app)[1])  # the app's parent
    t.send(b"\x03")
    check("^C reaches the app", wait_until(lambda: "INT" in read_text(log)))
    os.kill(init, signal.SIGUSR1)
    check("the init forwards a later USR1", wait_until(lambda: "USR1" in read_text(log)))
    lines = read_text(log).split()
    check("^C reaches the app exactly once (forwarded by the init, not also from the kernel)",
          lines.count("INT") == 1, f"log: {lines}")
    t.send(b"\x1a")  # ^Z: the terminal's SIGTSTP goes to the init's group
    check("^Z stops the app", wait_until(lambda: stopped(app)))
    check("^Z stops the init too", wait_until(lambda: stopped(init)))
    check("the shell reports the job stopped", t.expect(r"Stopped"))
    t.send(b"fg\n")
    check("fg resumes the init", wait_until(lambda: state(init) in ("S", "R")))
    check("fg resumes the app", wait_until(lambda: state(app) in ("S", "R")))
    os.kill(app, signal.SIGKILL)
    check("the shell gets its prompt back when the init exits", t.expect(r"PROMPT> "))
    t.send(b"echo rc=$?\n")
    check("the job's exit status is the app's 137", t.expect(r"rc=137"))
    t.send(b"exit\n")
    t.finish()


leader()
inside()
if MODE == "sub":
    job()
sys.exit(1 if failed else 0)
