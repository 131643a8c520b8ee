// Unit tests of the tracer's parts: /proc parsing, the seccomp filter's decisions (checked by running
// it), and the tracer itself in-process on real programs (the test binary becomes their tracer and
// subreaper). The end-to-end suite is tests/capture/tracer_e2e.sh.
#include "capture/tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "capture/ptrace_arch.h"
#include "capture/ptrace_seccomp.h"
#include "capture/scap_decoder.h"
#include "capture/scap_json.h"
#include "capture/tracer_proc.h"

using namespace kilt::capture;

TEST_CASE("/proc/PID/stat: comm with spaces and parentheses, and the numbers after it") {
  ProcStat st;
  REQUIRE(ParseProcStat("4242 (my (odd) name) S 17 4242 4200 34816 4242 4194560 120 0 3 0 1 2 0 0 20 0 1 0 "
                        "987654 1000 200",
                        &st));
  CHECK(std::string(st.comm) == "my (odd) name");
  CHECK(st.ppid == 17);
  CHECK(st.pgrp == 4242);
  CHECK(st.session == 4200);
  CHECK(st.tty_nr == 34816);
  CHECK(st.minflt == 120);
  CHECK(st.majflt == 3);
  CHECK(st.starttime_ticks == 987654);
  CHECK_FALSE(ParseProcStat("garbage", &st));
}

TEST_CASE("/proc/PID/stat: memory and where argv and envp are (fields 23, 24, 48-51)") {
  ProcStat st;
  REQUIRE(ParseProcStat("7820 (cat) R 7816 7816 32749 0 -1 4194304 96 0 0 0 0 0 0 0 20 0 1 0 3808147 3133440 360 "
                        "18446744073709551615 94004598239232 94004598259113 140732202119520 0 0 0 0 0 0 0 0 0 17 1 0 "
                        "0 0 0 0 94004598275120 94004598276736 94005514899456 140732202121659 140732202121679 "
                        "140732202121679 140732202123243 0",
                        &st));
  CHECK(st.vsize_bytes == 3133440);
  CHECK(st.rss_pages == 360);
  CHECK(st.arg_start == 140732202121659u);
  CHECK(st.arg_end == 140732202121679u);
  CHECK(st.env_start == 140732202121679u);
  CHECK(st.env_end == 140732202123243u);
  // An older kernel's shorter line: the addresses stay 0, and the readers use the files.
  REQUIRE(ParseProcStat("1 (init) S 0 1 1 0 -1 4194560 1 2 3 4", &st));
  CHECK(st.arg_start == 0);
}

TEST_CASE("argv read from memory: what /proc/PID/cmdline would show") {
  ProcStat st;
  st.arg_start = 1000;
  st.arg_end = 1009;  // "sh\0-c\0ls\0"
  st.env_start = 1009;
  st.env_end = 1020;  // "HOME=/root\0"
  CHECK(CmdlineReadSize(st, 4096) == 20);  // the environment follows: setproctitle may spill into it
  CHECK(CmdlineReadSize(st, 10) == 10);
  const char plain[] = "sh\0-c\0ls\0HOME=/root\0";
  CHECK(CmdlineLength(plain, 20, st) == 9);  // argv's own end, the NUL at arg_end - 1
  // setproctitle: argv's last byte overwritten; the title ends at its NUL, wherever that is.
  const char title[] = "nginx: master process\0\0";
  CHECK(CmdlineLength(title, 20, st) == 20);  // no NUL within what was read: all of it
  const char shorter[] = "nginx: master\0\0\0\0\0\0\0";
  CHECK(CmdlineLength(shorter, 20, st) == 14);  // "nginx: master" and its NUL
  ProcStat far = st;
  far.env_start = 5000;  // an environment elsewhere: only argv's area counts
  CHECK(CmdlineReadSize(far, 4096) == 9);
  CHECK(CmdlineLength(plain, 7, st) == -1);  // argv's last byte not read: read the file instead
  ProcStat hidden;  // stat hid the addresses (no ptrace read access)
  CHECK(CmdlineReadSize(hidden, 4096) == 0);
  CHECK(CmdlineLength(plain, 20, hidden) == -1);
}

TEST_CASE("a /proc file kept open shows the present at every pread") {
  int fd = OpenProcFile(getpid(), "comm");
  REQUIRE(fd >= 0);
  char buf[64];
  char before[17] = "";
  prctl(PR_GET_NAME, before);
  prctl(PR_SET_NAME, "kilt-pread-1");
  ssize_t n = PreadProcFile(fd, buf, sizeof buf);
  CHECK(std::string(buf, n > 0 ? n : 0) == "kilt-pread-1\n");
  prctl(PR_SET_NAME, "kilt-pread-2");
  n = PreadProcFile(fd, buf, sizeof buf);
  CHECK(std::string(buf, n > 0 ? n : 0) == "kilt-pread-2\n");
  prctl(PR_SET_NAME, before);
  close(fd);
}

TEST_CASE("/proc/PID/status: effective ids, capabilities, memory") {
  ProcStatus s;
  REQUIRE(ParseProcStatus("Name:\tcat\nTgid:\t77\nPid:\t78\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\n"
                          "Gid:\t50\t51\t52\t53\nVmSize:\t    2048 kB\nVmRSS:\t     512 kB\nCapInh:\t0000000000000000\n"
                          "CapPrm:\t00000000a80425fb\nCapEff:\t000001ffffffffff\n",
                          &s));
  CHECK(s.tgid == 77);
  CHECK(s.ppid == 1);
  CHECK(s.euid == 1001);
  CHECK(s.egid == 51);
  CHECK(s.cap_prm == 0xa80425fbull);
  CHECK(s.cap_eff == 0x1ffffffffffull);
  CHECK(s.vm_size_kb == 2048);
  CHECK(s.vm_rss_kb == 512);
}

TEST_CASE("/proc/PID/limits: the soft limit of open files") {
  const char* head = "Limit                     Soft Limit           Hard Limit           Units     \n"
                     "Max cpu time              unlimited            unlimited            seconds   \n";
  uint64_t soft = 0;
  REQUIRE(ParseProcLimitsNofile(std::string(head) + "Max open files            1024                 1048576              files     \n", &soft));
  CHECK(soft == 1024);
  REQUIRE(ParseProcLimitsNofile(std::string(head) + "Max open files            unlimited            unlimited            files     \n", &soft));
  CHECK(soft == ~0ull);
  CHECK_FALSE(ParseProcLimitsNofile(head, &soft));
  CHECK_FALSE(ParseProcLimitsNofile("Max open files            garbage\n", &soft));
}

TEST_CASE("/proc/PID/cgroup becomes scap's subsys=path list") {
  char out[512];
  auto convert = [&](const char* text) { return std::string(out, ConvertCgroups(text, out, sizeof out)); };
  CHECK(convert("12:cpu,cpuacct:/ecs/task/c1\n3:memory:/ecs/task/c1\n1:name=systemd:/x\n") ==
        std::string("cpu=/ecs/task/c1\0cpuacct=/ecs/task/c1\0memory=/ecs/task/c1\0", 58));
  // cgroup v2 alone: the usual controllers get the unified path.
  std::string v2 = convert("0::/kubepods/pod1/c2\n");
  CHECK(v2.find(std::string("cpu=/kubepods/pod1/c2\0", 22)) != std::string::npos);
  CHECK(v2.find(std::string("memory=/kubepods/pod1/c2\0", 25)) != std::string::npos);
  // Hybrid: the v1 controller wins, no duplicates.
  std::string hybrid = convert("4:memory:/v1path\n0::/v2path\n");
  CHECK(hybrid.find("memory=/v1path") == 0);
  CHECK(hybrid.find("memory=/v2path") == std::string::npos);
  // Every entry has an '=' (libsinsp drops the whole list otherwise).
  for (size_t at = 0; at < hybrid.size(); at += strlen(hybrid.c_str() + at) + 1)
    CHECK(std::string(hybrid.c_str() + at).find('=') != std::string::npos);
}

// Runs fn in a child under the filter, with no tracer: SECCOMP_RET_TRACE then fails the call with ENOSYS,
// which tells a stop apart from a pass.
int UnderFilter(int (*fn)()) {
  pid_t pid = fork();
  if (pid == 0) {
    SeccompProgram p;
    bool nnp;
    if (!BuildSeccompProgram(&p) || InstallSeccompProgram(p, &nnp) != 0) _exit(99);
    _exit(fn());
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}
int Stopped(long r) { return r < 0 && errno == ENOSYS ? 1 : 0; }

// Runs the filter on one seccomp_data as the kernel does (the few instructions it uses); *steps counts them.
uint32_t RunFilter(const SeccompProgram& p, uint32_t arch, uint32_t nr, uint64_t arg0, uint64_t arg1, int* steps) {
  struct seccomp_data d = {};
  d.nr = static_cast<int>(nr);
  d.arch = arch;
  d.args[0] = arg0;
  d.args[1] = arg1;
  uint32_t a = 0;
  *steps = 0;
  for (size_t pc = 0; pc < p.len; ++pc) {
    const struct sock_filter& f = p.insns[pc];
    ++*steps;
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS: memcpy(&a, reinterpret_cast<const char*>(&d) + f.k, sizeof a); break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f.k ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += a >= f.k ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += a > f.k ? f.jt : f.jf; break;
      case BPF_RET | BPF_K: return f.k;
      default: FAIL("an instruction RunFilter does not know: " << f.code);
    }
  }
  FAIL("the filter fell off its end");
  return 0;
}

TEST_CASE("the seccomp filter decides every syscall number as the table says, in a few instructions") {
  SeccompProgram p;
  REQUIRE(BuildSeccompProgram(&p));
  int steps = 0, most_untraced = 0, most = 0;
  for (uint32_t nr = 0; nr < 1024; ++nr) {
    bool traced = SyscallTraceMode(nr) != TraceMode::kNotTraced;
    bool dup_like = nr == SYS_dup3
#ifdef SYS_dup2
                    || nr == SYS_dup2
#endif
        ;
    // Arguments 0, 0: socket(AF_UNSPEC) passes, dup2/dup3 onto fd 0 stop.
    bool want = traced && nr != SYS_socket;
    CHECK((RunFilter(p, NativeAuditArch(), nr, 0, 0, &steps) == SECCOMP_RET_TRACE) == want);
    most = std::max(most, steps);
    if (!traced) most_untraced = std::max(most_untraced, steps);
    // Arguments AF_INET, 40: socket stops, dup2/dup3 onto fd 40 pass.
    want = traced && !dup_like;
    CHECK((RunFilter(p, NativeAuditArch(), nr, AF_INET, 40, &steps) == SECCOMP_RET_TRACE) == want);
    // Another ABI passes untraced (the documented gap).
    CHECK(RunFilter(p, NativeAuditArch() ^ 1, nr, 0, 0, &steps) == SECCOMP_RET_ALLOW);
  }
  CHECK(RunFilter(p, NativeAuditArch(), SYS_socket, AF_INET6, 0, &steps) == SECCOMP_RET_TRACE);
  CHECK(RunFilter(p, NativeAuditArch(), SYS_socket, AF_PACKET, 0, &steps) == SECCOMP_RET_TRACE);
  CHECK(RunFilter(p, NativeAuditArch(), SYS_socket, AF_UNIX, 0, &steps) == SECCOMP_RET_ALLOW);
#if defined(__x86_64__)
  CHECK(RunFilter(p, NativeAuditArch(), 0x40000000u | SYS_openat, 0, 0, &steps) == SECCOMP_RET_ALLOW);  // x32
#endif
  // A binary search, not a chain of ~45 tests: what every untraced syscall of the app pays.
  CHECK(most_untraced <= 12);
  CHECK(most <= 20);
}

TEST_CASE("the seccomp filter stops only what the rules need, narrowed by registers") {
  // Traced: every open, close, AF_INET sockets, dup2 onto 0-2.
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY)); }) == 1);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_close, 1000)); }) == 1);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_socket, AF_INET, SOCK_STREAM, 0)); }) == 1);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_dup3, 0, 2, 0)); }) == 1);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_unlinkat, AT_FDCWD, "/nonexistent-kilt", 0)); }) == 1);
  // Passed: reads and writes, AF_UNIX sockets, dup3 onto a high fd, fork/exec-family (ptrace events).
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_write, 1, "", 0)); }) == 0);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0)); }) == 0);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_dup3, 0, 40, 0)); }) == 0);
  CHECK(UnderFilter([] { return Stopped(syscall(SYS_getpid)); }) == 0);
  CHECK(SyscallTraceMode(SYS_close) == TraceMode::kEntryOnly);
  CHECK(SyscallTraceMode(SYS_openat) == TraceMode::kExit);
  CHECK(SyscallTraceMode(SYS_read) == TraceMode::kNotTraced);
  CHECK(SyscallTraceMode(SYS_execve) == TraceMode::kNotTraced);  // PTRACE_EVENT_EXEC reports it
}

namespace {

// Collects the tracer's events as JSON lines.
struct JsonOut : EventOutput {
  std::vector<std::string> lines;
  void Take(std::string_view events) override {
    std::string err;
    kilt::scap::ForEachEvent(events, &err, [&](const kilt::scap::DecodedEvent& ev) {
      std::string s;
      kilt::scap::AppendEventJson(ev, &s);
      lines.push_back(s);
      return true;
    });
  }
  int Count(const std::string& needle) const {
    int n = 0;
    for (const std::string& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

// Runs argv traced, as kilt-run does, and returns its exit code (events in *out).
int RunTraced(std::vector<const char*> argv, JsonOut* out, Tracer* tracer = nullptr) {
  kilt_pid1 p{};
  kilt_pid1_error e{};
  REQUIRE(kilt_pid1_setup(&p, &e) == 0);
  Tracer local;
  if (!tracer) tracer = &local;
  std::string err;
  REQUIRE(tracer->Init(Tracer::Options{}, out, &err));
  argv.push_back(nullptr);
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv.data());
  o.hooks = tracer->spawn_hooks();
  pid_t pid = kilt_pid1_spawn(&p, &o, &e);
  REQUIRE(pid > 0);
  struct Ctx {
    Tracer* t;
    pid_t app;
    int status = -1;
  } ctx{tracer, pid};
  for (int i = 0; i < 60000 && ctx.status < 0; ++i) {
    kilt_pid1_wait_signal(&p, 100, &e);
    struct signalfd_siginfo si;
    while (kilt_pid1_read_signal(&p, &si, &e) == 1) {
    }
    kilt_pid1_reap(
        [](void* c, pid_t pid, int st) {
          auto* x = static_cast<Ctx*>(c);
          if (x->t->OnWaitStatus(pid, st)) return;
          if (pid == x->app) x->status = st;
        },
        &ctx, nullptr, &e);
  }
  tracer->Flush();
  kilt_pid1_terminate_rest(&p, 1000, 1000, nullptr, nullptr, &e);
  kilt_pid1_teardown(&p);
  return kilt_pid1_exit_code(ctx.status);
}

}  // namespace

TEST_CASE("the tracer follows a shell and its children from their first instruction") {
  JsonOut out;
  int code = RunTraced({"sh", "-c", "cat /etc/hostname > /dev/null; exit 3"}, &out);
  CHECK(code == 3);
  // The first event introduces the app; its child is introduced by a fork-family event before its own.
  REQUIRE_FALSE(out.lines.empty());
  CHECK(out.lines[0].find("\"type\":\"execve\"") != std::string::npos);
  CHECK(out.lines[0].find("\"comm\":\"sh\"") != std::string::npos);
  CHECK(out.Count("\"name\":\"/etc/hostname\"") == 1);
  CHECK(out.Count("\"comm\":\"cat\"") >= 1);
  size_t fork_at = 0, cat_exec_at = 0;
  for (size_t i = 0; i < out.lines.size(); ++i) {
    const std::string& l = out.lines[i];
    if (!fork_at && (l.find("\"type\":\"vfork\"") != std::string::npos || l.find("\"type\":\"clone\"") != std::string::npos ||
                     l.find("\"type\":\"fork\"") != std::string::npos))
      fork_at = i;
    if (l.find("\"type\":\"execve\"") != std::string::npos && l.find("\"comm\":\"cat\"") != std::string::npos)
      cat_exec_at = i;
  }
  CHECK(fork_at > 0);
  CHECK(cat_exec_at > fork_at);
  CHECK(out.Count("\"type\":\"procexit\"") == 2);
}

TEST_CASE("the tracer: a failed exec of the app is reported, and nothing is left traced") {
  JsonOut out;
  kilt_pid1 p{};
  kilt_pid1_error e{};
  REQUIRE(kilt_pid1_setup(&p, &e) == 0);
  Tracer t;
  std::string err;
  REQUIRE(t.Init(Tracer::Options{}, &out, &err));
  const char* argv[] = {"kilt-no-such-program-xyz", nullptr};
  kilt_pid1_spawn_opts o{};
  o.argv = const_cast<char* const*>(argv);
  o.hooks = t.spawn_hooks();
  CHECK(kilt_pid1_spawn(&p, &o, &e) == -1);
  CHECK(std::string(e.call) == "exec");
  CHECK(e.err == ENOENT);
  CHECK(t.traced_tasks() == 0);
  int none = 0;
  CHECK(kilt_pid1_reap(nullptr, nullptr, &none, &e) == 0);
  CHECK(none == 1);
  kilt_pid1_teardown(&p);
}

TEST_CASE("the probe says whether ptrace and seccomp work here") {
  std::string reason;
  CHECK(ProbeCapture(&reason));  // the test runs as root on a kernel with both
  CHECK(reason.empty());
}
