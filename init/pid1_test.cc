// Unit tests of the PID-1 core, in-process: the test binary itself becomes a child subreaper with
// every signal routed to a signalfd, spawns real programs and reaps them. The end-to-end behaviour
// of kilt-init in PID namespaces is tested by tests/init/run.sh.
#include "init/pid1.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

// Sets up the core for one test; drains what is pending before restoring the mask, so a signal a
// test raised cannot kill the test binary afterwards.
struct Pid1 {
  kilt_pid1 p{};
  kilt_pid1_error e{};
  Pid1() { REQUIRE(kilt_pid1_setup(&p, &e) == 0); }
  ~Pid1() {
    struct signalfd_siginfo si;
    while (kilt_pid1_read_signal(&p, &si, nullptr) == 1) {
    }
    kilt_pid1_teardown(&p);
  }
};

// Collects reaped children.
struct Reaped {
  std::map<pid_t, int> status;
  static void Record(void* ctx, pid_t pid, int st) { static_cast<Reaped*>(ctx)->status[pid] = st; }
};

// Reaps until pid has been reaped (or 60 s passed: a generous deadline, not a timing assertion).
bool ReapUntil(Pid1& t, Reaped& r, pid_t pid) {
  for (int i = 0; i < 600 && !r.status.count(pid); i++) {
    struct signalfd_siginfo si;
    while (kilt_pid1_read_signal(&t.p, &si, nullptr) == 1) {
    }
    if (kilt_pid1_reap(&Reaped::Record, &r, nullptr, &t.e) < 0) return false;
    if (r.status.count(pid)) break;
    kilt_pid1_wait_signal(&t.p, 100, &t.e);
  }
  return r.status.count(pid) == 1;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Spawns argv with stdout to a pipe; returns what it printed and its wait status.
std::string RunCapture(Pid1& t, std::vector<const char*> argv, int* status,
                       char* const* envp = nullptr, int new_session = 0) {
  int out[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  argv.push_back(nullptr);
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv.data());
  o.envp = envp;
  o.stdout_fd = out[1];
  o.new_session = new_session;
  pid_t pid = kilt_pid1_spawn(&t.p, &o, &t.e);
  close(out[1]);
  REQUIRE(pid > 0);
  std::string text = ReadAll(out[0]);
  close(out[0]);
  Reaped r;
  REQUIRE(ReapUntil(t, r, pid));
  *status = r.status[pid];
  return text;
}

std::string ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text = ReadAll(fd);
  close(fd);
  return text;
}

// How many children of pid currently run a program called comm.
int CountChildrenNamed(pid_t pid, const std::string& comm) {
  std::string kids =
      ReadFile("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  int n = 0;
  size_t pos = 0;
  while (pos < kids.size()) {
    size_t end = kids.find(' ', pos);
    if (end == std::string::npos) end = kids.size();
    if (end > pos && ReadFile("/proc/" + kids.substr(pos, end - pos) + "/comm") == comm + "\n") n++;
    pos = end + 1;
  }
  return n;
}

}  // namespace

TEST_CASE("signal names parse in every spelling") {
  CHECK(kilt_pid1_parse_signal("TERM") == SIGTERM);
  CHECK(kilt_pid1_parse_signal("SIGTERM") == SIGTERM);
  CHECK(kilt_pid1_parse_signal("sigquit") == SIGQUIT);
  CHECK(kilt_pid1_parse_signal("15") == 15);
  CHECK(kilt_pid1_parse_signal("RTMIN") == SIGRTMIN);
  CHECK(kilt_pid1_parse_signal("0") == -1);
  CHECK(kilt_pid1_parse_signal("65") == -1);
  CHECK(kilt_pid1_parse_signal("TERMX") == -1);
  CHECK(kilt_pid1_parse_signal("") == -1);
  CHECK(kilt_pid1_parse_signal("1x") == -1);
  CHECK(std::string(kilt_pid1_signal_name(SIGWINCH)) == "WINCH");
  CHECK(std::string(kilt_pid1_signal_name(999)) == "?");
}

TEST_CASE("exit codes follow the shell convention") {
  CHECK(kilt_pid1_exec_exit_code(ENOENT) == 127);
  CHECK(kilt_pid1_exec_exit_code(ENOTDIR) == 127);
  CHECK(kilt_pid1_exec_exit_code(EACCES) == 126);
  CHECK(kilt_pid1_exec_exit_code(ENOEXEC) == 126);
  Pid1 t;
  int st = 0;
  RunCapture(t, {"sh", "-c", "exit 3"}, &st);
  CHECK(kilt_pid1_exit_code(st) == 3);
  RunCapture(t, {"sh", "-c", "kill -9 $$"}, &st);
  CHECK(kilt_pid1_exit_code(st) == 128 + 9);
}

TEST_CASE(
    "setup blocks asynchronous signals, routes them to the signalfd and makes us a subreaper") {
  sigset_t before;
  sigprocmask(SIG_SETMASK, nullptr, &before);
  {
    Pid1 t;
    sigset_t now;
    sigprocmask(SIG_SETMASK, nullptr, &now);
    CHECK(sigismember(&now, SIGTERM));
    CHECK(sigismember(&now, SIGTSTP));
    CHECK(sigismember(&now, SIGCHLD));
    CHECK(sigismember(&now, SIGSEGV));  // a kill -SEGV from outside is data; a real fault still kills
    CHECK(t.p.is_pid1 == 0);
    CHECK(t.p.is_subreaper == 1);
    int on = 0;
    CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on) == 0);
    CHECK(on == 1);

    struct signalfd_siginfo si;
    CHECK(kilt_pid1_read_signal(&t.p, &si, &t.e) == 0);  // nothing pending
    CHECK(kilt_pid1_wait_signal(&t.p, 0, &t.e) == 0);
    kill(getpid(), SIGUSR1);
    REQUIRE(kilt_pid1_wait_signal(&t.p, -1, &t.e) == 1);
    REQUIRE(kilt_pid1_read_signal(&t.p, &si, &t.e) == 1);
    CHECK(si.ssi_signo == static_cast<unsigned>(SIGUSR1));
    CHECK(si.ssi_pid == static_cast<unsigned>(getpid()));
    kill(getpid(), SIGTSTP);  // blocked: arrives as data, cannot stop us
    REQUIRE(kilt_pid1_read_signal(&t.p, &si, &t.e) == 1);
    CHECK(si.ssi_signo == static_cast<unsigned>(SIGTSTP));
    kill(getpid(), SIGSEGV);  // sent by a process: data too, and not our own fault
    REQUIRE(kilt_pid1_read_signal(&t.p, &si, &t.e) == 1);
    CHECK(si.ssi_signo == static_cast<unsigned>(SIGSEGV));
    CHECK(kilt_pid1_is_own_fault(&si) == 0);

    // Several pending signals in one read; fewer than asked for means that was all.
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGHUP);
    struct signalfd_siginfo many[8];
    REQUIRE(kilt_pid1_read_signals(&t.p, many, 2, &t.e) == 2);
    REQUIRE(kilt_pid1_read_signals(&t.p, many + 2, 8, &t.e) == 1);
    std::set<unsigned> seen = {many[0].ssi_signo, many[1].ssi_signo, many[2].ssi_signo};
    CHECK(seen == std::set<unsigned>{SIGHUP, SIGUSR1, SIGUSR2});
    CHECK(kilt_pid1_read_signals(&t.p, many, 8, &t.e) == 0);
  }
  sigset_t after;
  sigprocmask(SIG_SETMASK, nullptr, &after);
  CHECK(sigismember(&after, SIGTERM) == sigismember(&before, SIGTERM));
}

TEST_CASE("spawn passes argv and environment exactly and resets the signal state") {
  Pid1 t;
  int st = -1;
  std::string out = RunCapture(t, {"printf", "[%s]", "a b", "", "--", "x\ny"}, &st);
  CHECK(st == 0);
  CHECK(out == "[a b][][--][x\ny]");

  char foo[] = "FOO=bar baz";
  char path[] = "PATH=/usr/bin:/bin";
  char* envp[] = {foo, path, nullptr};
  out = RunCapture(t, {"env"}, &st, envp);
  CHECK(out == "FOO=bar baz\nPATH=/usr/bin:/bin\n");

  // The parent blocks nearly everything; the child must start with nothing blocked or ignored.
  out = RunCapture(t, {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}, &st);
  CHECK(out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");

  out = RunCapture(t, {"sh", "-c", "cut -d' ' -f5,6 /proc/$$/stat; echo $$"}, &st, nullptr, 1);
  std::string pgid_sid = out.substr(0, out.find('\n'));
  std::string pid = out.substr(out.find('\n') + 1);
  pid.pop_back();
  CHECK(pgid_sid == pid + " " + pid);  // new_session: leads its own group and session
}

TEST_CASE("spawn reports exec failures with the errno, and reaps the failed child") {
  Pid1 t;
  const char* missing[] = {"kilt-no-such-program-xyz", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(missing);
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(std::string(t.e.call) == "exec");
  CHECK(t.e.err == ENOENT);
  char dir[] = "/tmp/kilt-pid1-test.XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string no_x = std::string(dir) + "/no-x", no_shebang = std::string(dir) + "/no-shebang";
  int fd = open(no_x.c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(write(fd, "#!/bin/sh\n", 10) == 10);
  close(fd);
  fd = open(no_shebang.c_str(), O_WRONLY | O_CREAT, 0755);
  REQUIRE(write(fd, "exit 0\n", 7) == 7);
  close(fd);
  const char* not_exec[] = {no_x.c_str(), nullptr};
  o.argv = const_cast<char* const*>(not_exec);
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(t.e.err == EACCES);
  const char* bad_format[] = {no_shebang.c_str(), nullptr};  // no /bin/sh fallback, glibc or musl
  o.argv = const_cast<char* const*>(bad_format);
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(t.e.err == ENOEXEC);
  CHECK(kilt_pid1_exec_exit_code(t.e.err) == 126);
  unlink(no_x.c_str());
  unlink(no_shebang.c_str());
  rmdir(dir);
  int none = 0;
  CHECK(kilt_pid1_reap(nullptr, nullptr, &none, &t.e) == 0);
  CHECK(none == 1);  // the failed children were reaped inside spawn
  const char* empty[] = {nullptr};
  o.argv = const_cast<char* const*>(empty);
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
}

TEST_CASE("reap collects every exited child, however the SIGCHLDs coalesce") {
  Pid1 t;
  Reaped r;
  std::vector<pid_t> kids;
  const char* argv[] = {"true", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  for (int i = 0; i < 50; i++) kids.push_back(kilt_pid1_spawn(&t.p, &o, &t.e));
  for (pid_t k : kids) REQUIRE(ReapUntil(t, r, k));
  CHECK(r.status.size() == 50);
  for (auto& kv : r.status) CHECK(kilt_pid1_exit_code(kv.second) == 0);
  int none = 0;
  CHECK(kilt_pid1_reap(nullptr, nullptr, &none, &t.e) == 0);
  CHECK(none == 1);
}

TEST_CASE("forward reaches the process group or only the child; a gone target is not an error") {
  Pid1 t;
  // sh waits for a background sleep: signalling the group ends both, signalling sh alone leaves
  // sleep.
  const char* argv[] = {"sh", "-c", "sleep 1000 & wait", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.new_session = 1;
  pid_t sh = kilt_pid1_spawn(&t.p, &o, &t.e);
  REQUIRE(sh > 0);
  // Wait until the sleep exists in sh's group before signalling the group.
  for (int i = 0; i < 6000 && CountChildrenNamed(sh, "sleep") < 1; i++) usleep(10000);
  REQUIRE(CountChildrenNamed(sh, "sleep") == 1);
  REQUIRE(kilt_pid1_forward(sh, SIGTERM, 1, &t.e) == 0);
  Reaped r;
  REQUIRE(ReapUntil(t, r, sh));
  CHECK(kilt_pid1_exit_code(r.status[sh]) == 128 + SIGTERM);
  // The sleep got TERM too: it was orphaned to us (subreaper) and dies; nothing is left.
  REQUIRE(kilt_pid1_terminate_rest(&t.p, 60000, 1000, &Reaped::Record, &r, &t.e) == 0);
  CHECK(r.status.size() == 2);
  for (auto& kv : r.status) CHECK(kilt_pid1_exit_code(kv.second) == 128 + SIGTERM);
  CHECK(kilt_pid1_forward(sh, SIGTERM, 0, &t.e) == 0);  // gone (reaped): ESRCH is fine
  CHECK(kilt_pid1_forward(sh, SIGTERM, 1, &t.e) == 0);
  CHECK(kilt_pid1_forward(0, SIGTERM, 0, &t.e) == -1);  // never kill(0)/kill(-0): that would hit us
}

TEST_CASE(
    "terminate_rest SIGTERMs descendants, SIGKILLs the stubborn, and returns at once when none") {
  Pid1 t;
  Reaped r;
  CHECK(kilt_pid1_terminate_rest(&t.p, 60000, 1000, &Reaped::Record, &r, &t.e) == 0);
  CHECK(r.status.empty());
  // A nested stubborn process (ignores TERM; its parent is alive when the walk starts) and a polite
  // one.
  const char* argv[] = {"sh", "-c", "(trap '' TERM; exec sleep 1000) & sleep 1000 & wait", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  pid_t sh = kilt_pid1_spawn(&t.p, &o, &t.e);
  REQUIRE(sh > 0);
  // Until both children run sleep: only then has the subshell's trap been set (polling, 60 s
  // deadline).
  for (int i = 0; i < 6000 && CountChildrenNamed(sh, "sleep") < 2; i++) usleep(10000);
  REQUIRE(CountChildrenNamed(sh, "sleep") == 2);
  CHECK(kilt_pid1_signal_descendants(&t.p, 0, &t.e) == 3);  // signal 0: just count sh + two sleeps
  REQUIRE(kilt_pid1_terminate_rest(&t.p, 200, 10000, &Reaped::Record, &r, &t.e) == 0);
  REQUIRE(r.status.size() == 3);
  int killed = 0, termed = 0;
  for (auto& kv : r.status) {
    int code = kilt_pid1_exit_code(kv.second);
    killed += code == 128 + SIGKILL;
    termed += code == 128 + SIGTERM;
  }
  CHECK(killed == 1);  // the one ignoring TERM
  CHECK(termed == 2);
}

TEST_CASE("own faults are told apart from fault signals sent by a process, by si_code") {
  struct signalfd_siginfo si {};
  si.ssi_signo = SIGBUS;
  si.ssi_code = 4;  // BUS_MCEERR_AO: the kernel's, for us
  CHECK(kilt_pid1_is_own_fault(&si) == 1);
  si.ssi_code = SI_USER;
  CHECK(kilt_pid1_is_own_fault(&si) == 0);
  si.ssi_code = SI_TKILL;
  CHECK(kilt_pid1_is_own_fault(&si) == 0);
  si.ssi_signo = SIGTERM;
  si.ssi_code = SI_KERNEL;
  CHECK(kilt_pid1_is_own_fault(&si) == 0);  // not a fault signal
}

TEST_CASE("forwarding: rewrites, drops, and the stop signals go out as SIGSTOP") {
  kilt_pid1_forwarding f;
  kilt_pid1_forwarding_defaults(&f);
  CHECK(f.to_group == 1);
  CHECK(f.rewrite[SIGTERM] == SIGTERM);
  CHECK(f.rewrite[SIGTSTP] == SIGSTOP);
  CHECK(f.rewrite[SIGTTIN] == SIGSTOP);
  CHECK(f.rewrite[SIGTTOU] == SIGSTOP);
  Pid1 t;
  // A real child that records what it receives: sh traps USR1/USR2 and QUIT and writes their names.
  int out[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  const char* argv[] = {"sh", "-c",
                        "trap 'echo USR1' USR1; trap 'echo USR2' USR2; trap 'echo QUIT; exit 0' QUIT; "
                        "echo ready; while :; do sleep 0.01; done",
                        nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.stdout_fd = out[1];
  o.stderr_fd = KILT_PID1_FD_NULL;  // sh's "Quit" about its sleep
  o.new_session = 1;
  pid_t sh = kilt_pid1_spawn(&t.p, &o, &t.e);
  close(out[1]);
  REQUIRE(sh > 0);
  char buf[256];
  REQUIRE(read(out[0], buf, 6) == 6);  // "ready\n"
  f.rewrite[SIGUSR1] = 0;        // dropped
  f.rewrite[SIGTERM] = SIGQUIT;  // rewritten
  struct signalfd_siginfo si {};
  si.ssi_code = SI_USER;
  si.ssi_signo = SIGUSR1;
  CHECK(kilt_pid1_handle_signal(&t.p, &f, sh, &si, &t.e) == 0);
  si.ssi_signo = SIGUSR2;
  CHECK(kilt_pid1_handle_signal(&t.p, &f, sh, &si, &t.e) == SIGUSR2);
  REQUIRE(read(out[0], buf, 5) == 5);  // "USR2\n": the trap ran (before QUIT could overtake it)
  CHECK(std::string(buf, 5) == "USR2\n");
  si.ssi_signo = SIGCHLD;
  CHECK(kilt_pid1_handle_signal(&t.p, &f, sh, &si, &t.e) == 0);  // never forwarded
  si.ssi_signo = SIGTERM;
  CHECK(kilt_pid1_handle_signal(&t.p, &f, sh, &si, &t.e) == SIGQUIT);
  Reaped r;
  REQUIRE(ReapUntil(t, r, sh));
  CHECK(kilt_pid1_exit_code(r.status[sh]) == 0);
  CHECK(ReadAll(out[0]) == "QUIT\n");  // USR1 dropped, TERM sent as QUIT
  close(out[0]);
}

TEST_CASE("spawn: exact path, workdir, /dev/null stdin, only 0-2 and the extra fd at its number") {
  Pid1 t;
  int out[2], extra[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(pipe2(extra, 0) == 0);  // not close-on-exec: close_other_fds must still close what it is not told
  int stray = open("/dev/null", O_RDONLY);  // inherited, not close-on-exec
  REQUIRE(stray > 2);
  const char* argv[] = {"not-the-path", "-c",
                        "pwd; ls /proc/$$/fd | sort -n | tr '\\n' ' '; echo; "
                        "readlink /proc/$$/fd/0; echo note >&7",
                        nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.path = "/bin/sh";
  o.workdir = "/tmp";
  o.stdin_fd = KILT_PID1_FD_NULL;
  o.stdout_fd = out[1];
  o.extra_fd = extra[1];
  o.extra_fd_at = 7;
  o.close_other_fds = 1;
  pid_t pid = kilt_pid1_spawn(&t.p, &o, &t.e);
  close(out[1]);
  close(extra[1]);
  close(stray);
  REQUIRE(pid > 0);
  std::string text = ReadAll(out[0]);
  close(out[0]);
  CHECK(text.substr(0, text.find('\n')) == "/tmp");
  // ls opens one fd of its own for the directory: 0 1 2, 7, and that one.
  std::string fds = text.substr(text.find('\n') + 1);
  fds = fds.substr(0, fds.find('\n'));
  CHECK(fds.rfind("0 1 2 ", 0) == 0);
  CHECK(fds.find(" 7 ") != std::string::npos);
  CHECK(fds.find(" " + std::to_string(stray) + " ") == std::string::npos);
  CHECK(text.find("/dev/null") != std::string::npos);
  CHECK(ReadAll(extra[0]) == "note\n");
  close(extra[0]);
  Reaped r;
  REQUIRE(ReapUntil(t, r, pid));
  CHECK(kilt_pid1_exit_code(r.status[pid]) == 0);

  o = kilt_pid1_spawn_opts{};
  o.argv = const_cast<char* const*>(argv);
  o.path = "/bin/sh";
  o.workdir = "/nonexistent-kilt-dir";
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(std::string(t.e.call) == "chdir");
  CHECK(t.e.err == ENOENT);
}

namespace {
struct HookLog {
  pid_t attached = 0;
  bool attach_fails = false;
  static int Attach(void* ctx, pid_t child) {
    auto* h = static_cast<HookLog*>(ctx);
    h->attached = child;
    if (h->attach_fails) {
      errno = EPERM;
      return -1;
    }
    return 0;
  }
  // In the child: proves it ran after the fds were set up and before exec, by writing to stdout.
  static int BeforeExec(void*) { return write(1, "hook\n", 5) == 5 ? 0 : -1; }
  static int FailBeforeExec(void*) {
    errno = EACCES;
    return -1;
  }
};
}  // namespace

TEST_CASE("spawn hooks: attach runs in the parent before the child goes on, before_exec last in the child") {
  Pid1 t;
  HookLog log;
  kilt_pid1_spawn_hooks hooks{};
  hooks.ctx = &log;
  hooks.attach = &HookLog::Attach;
  hooks.before_exec = &HookLog::BeforeExec;
  int out[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  const char* argv[] = {"echo", "program", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.stdout_fd = out[1];
  o.hooks = &hooks;
  pid_t pid = kilt_pid1_spawn(&t.p, &o, &t.e);
  close(out[1]);
  REQUIRE(pid > 0);
  CHECK(log.attached == pid);
  CHECK(ReadAll(out[0]) == "hook\nprogram\n");
  close(out[0]);
  Reaped r;
  REQUIRE(ReapUntil(t, r, pid));

  log.attach_fails = true;  // the child never runs anything of its own
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(std::string(t.e.call) == "attach");
  CHECK(t.e.err == EPERM);
  log.attach_fails = false;
  hooks.before_exec = &HookLog::FailBeforeExec;
  CHECK(kilt_pid1_spawn(&t.p, &o, &t.e) == -1);
  CHECK(std::string(t.e.call) == "before exec");
  CHECK(t.e.err == EACCES);
  int none = 0;
  CHECK(kilt_pid1_reap(nullptr, nullptr, &none, &t.e) == 0);
  CHECK(none == 1);  // failed children were reaped inside spawn
}

TEST_CASE("signal_descendants_except spares the listed process groups and what is below them") {
  Pid1 t;
  // Two session leaders (their own groups), each with a sleep below it.
  const char* argv[] = {"sh", "-c", "sleep 1000 & wait", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.new_session = 1;
  pid_t spared = kilt_pid1_spawn(&t.p, &o, &t.e);
  pid_t ended = kilt_pid1_spawn(&t.p, &o, &t.e);
  REQUIRE(spared > 0);
  REQUIRE(ended > 0);
  for (int i = 0; i < 6000 && (CountChildrenNamed(spared, "sleep") < 1 || CountChildrenNamed(ended, "sleep") < 1);
       i++)
    usleep(10000);
  CHECK(kilt_pid1_signal_descendants_except(&t.p, 0, &spared, 1, &t.e) == 2);  // ended's sh and sleep
  CHECK(kilt_pid1_signal_descendants_except(&t.p, 0, nullptr, 0, &t.e) == 4);
  CHECK(kilt_pid1_signal_descendants_except(&t.p, SIGKILL, &spared, 1, &t.e) == 2);
  Reaped r;
  REQUIRE(ReapUntil(t, r, ended));
  CHECK(kill(spared, 0) == 0);  // untouched
  // The killed sleep was orphaned to us: a zombie until reaped, and a zombie still counts.
  int left = -1;
  for (int i = 0; i < 600 && left != 0; i++) {
    kilt_pid1_reap(&Reaped::Record, &r, nullptr, &t.e);
    left = kilt_pid1_signal_descendants_except(&t.p, 0, &spared, 1, &t.e);
    if (left != 0) kilt_pid1_wait_signal(&t.p, 100, &t.e);
  }
  CHECK(left == 0);
  REQUIRE(kilt_pid1_terminate_rest(&t.p, 1000, 1000, &Reaped::Record, &r, &t.e) == 0);
}

TEST_CASE("closed standard fds are held by close-on-exec placeholders, so children see them closed") {
  // In a child process, so that closing our own stdin cannot disturb the test runner.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(0);
    kilt_pid1 p;
    kilt_pid1_error e;
    if (kilt_pid1_setup(&p, &e) != 0) _exit(10);
    if (p.sigfd == 0) _exit(11);  // the signalfd must not take the hole
    int fl = fcntl(0, F_GETFD);
    if (fl < 0 || !(fl & FD_CLOEXEC)) _exit(12);
    const char* argv[] = {"sh", "-c", "test -e /proc/$$/fd/0 && exit 13; exit 0", nullptr};
    kilt_pid1_spawn_opts o{};
    o.argv = const_cast<char* const*>(argv);
    pid_t c = kilt_pid1_spawn(&p, &o, &e);
    int st = 0;
    if (c < 0 || waitpid(c, &st, 0) != c) _exit(14);
    _exit(kilt_pid1_exit_code(st));
  }
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  CHECK(kilt_pid1_exit_code(st) == 0);
}
