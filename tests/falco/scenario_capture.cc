// Test tool: the capture of one scenario command, written with the capture encoder (capture/) as a scap file
// that Falco 0.44.1 replays (tests/falco/run.sh).
//
//   scenario_capture OUT.scap -- COMMAND [ARGS...]
//
// What it records is what the tracer would see when the container's shell runs COMMAND: the shell (pid 100,
// /bin/sh, child of kilt-run) forks pid 101, which execs COMMAND (comm = basename of argv[0], exe path
// /usr/bin/<name> unless argv[0] is absolute, cwd /, uid 0, ECS-style cgroups); cat/head/tail/less/more open
// each non-option argument read-only; `ssh ADDR PORT` connects to ADDR:PORT (below); then 101 exits. A stand-in for running the command under the real
// tracer: tests/falco/task.sh runs the scenarios under the real tracer; what stays here is what the tracer
// cannot produce yet (docs/falco.md, "The default rules on Fargate").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capture/scap_encoder.h"
#include "capture/scap_file.h"

namespace {

using namespace kilt::scap;

constexpr uint64_t kBaseTs = 1700000000000000000ull;
constexpr char kCgroups[] =
    "cpuset=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0"
    "memory=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0";
constexpr char kEnv[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0HOME=/root\0";

struct Proc {
  int64_t pid, ppid;
  std::string exe, args, comm, exepath;
};

class Recorder {
 public:
  Recorder() : buf_(1 << 16) {}

  template <typename E>
  bool Emit(int64_t tid, const E& e) {
    buf_.Clear();
    if (Encode(EventHeader{ts_, tid}, e, &buf_) != EncodeStatus::kOk) return false;
    events_.emplace_back(buf_.bytes());
    ts_ += 1000000;
    return true;
  }

  ProcessInfo Info(const Proc& p) const {
    ProcessInfo i;
    i.exe = p.exe;
    i.args = p.args;
    i.tid = i.pid = i.vtid = i.vpid = p.pid;
    i.ptid = p.ppid;
    i.cwd = "/";
    i.fdlimit = 1048576;
    i.vm_size_kb = 4096;
    i.vm_rss_kb = 1024;
    i.comm = p.comm;
    i.cgroups = std::string_view(kCgroups, sizeof kCgroups - 1);
    i.env = std::string_view(kEnv, sizeof kEnv - 1);
    i.pgid = i.vpgid = 100;
    i.cap_permitted = i.cap_effective = 0xa80425fb;  // Docker's default set, as Fargate grants it
    i.exe_ino = 1000 + static_cast<uint64_t>(p.pid);
    i.trusted_exepath = p.exepath;
    i.filename = p.exepath;
    return i;
  }

  bool Spawn(const Proc& parent, const Proc& child) {
    CloneExit c;
    c.kind = CloneKind::kFork;
    c.res = child.pid;
    c.proc = Info(parent);
    if (!Emit(parent.pid, c)) return false;
    Proc inherited = parent;
    inherited.pid = child.pid;
    inherited.ppid = parent.pid;
    c.res = 0;
    c.proc = Info(inherited);
    if (!Emit(child.pid, c)) return false;
    ExecveExit x;
    x.proc = Info(child);
    return Emit(child.pid, x);
  }

  const std::vector<std::string>& events() const { return events_; }

 private:
  uint64_t ts_ = kBaseTs;
  OwnedEventBuffer buf_;
  std::vector<std::string> events_;
};

std::string Basename(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string Ipv4(const std::string& addr, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

// ssh ADDR PORT: a TCP connect from the task's address (10.0.0.5:40022) to ADDR:PORT, with both ends of the
// tuple — the local end is what the tracer does not read today (it writes 0.0.0.0:0), and what the
// "Disallowed SSH Connection Non Standard Port" rule needs (fd.ip != 0.0.0.0 must hold for both ends).
bool Connect(Recorder* r, int64_t tid, const std::string& addr, const std::string& port) {
  SocketExit s;
  s.fd = 3;
  s.domain = AF_INET;
  s.type = SOCK_STREAM;
  const std::string local = Ipv4("10.0.0.5", 40022), remote = Ipv4(addr, atoi(port.c_str()));
  ConnectExit c;
  c.fd = 3;
  c.ends.local = local;
  c.ends.remote = remote;
  c.addr = remote;
  return r->Emit(tid, s) && r->Emit(tid, c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fprintf(stderr, "usage: scenario_capture OUT.scap -- COMMAND [ARGS...]\n");
    return 2;
  }
  std::vector<std::string> cmd(argv + 3, argv + argc);
  std::string args;
  for (size_t i = 1; i < cmd.size(); i++) args += cmd[i] + '\0';
  const std::string comm = Basename(cmd[0]).substr(0, 15);
  const std::string exepath = cmd[0][0] == '/' ? cmd[0] : "/usr/bin/" + cmd[0];

  Recorder r;
  const Proc kiltrun{1, 0, "/kilt/run", std::string("--\0/bin/sh\0", 11), "kilt-run", "/kilt/run"};
  const Proc sh{100, 1, "/bin/sh", "", "sh", "/bin/sh"};
  const Proc child{101, 100, cmd[0], args, comm, exepath};
  bool ok = r.Spawn(kiltrun, sh) && r.Spawn(sh, child);
  if (comm == "cat" || comm == "head" || comm == "tail" || comm == "less" || comm == "more") {
    int64_t fd = 3;
    for (size_t i = 1; ok && i < cmd.size(); i++) {
      if (cmd[i][0] == '-') continue;
      OpenatExit o;
      o.fd = fd++;
      o.name = cmd[i];
      o.flags = 02000000;  // O_RDONLY | O_CLOEXEC
      o.dev = 0x803;
      o.ino = 4242;
      ok = r.Emit(child.pid, o);
    }
  }
  if (comm == "ssh" && cmd.size() == 3) ok = ok && Connect(&r, child.pid, cmd[1], cmd[2]);
  ok = ok && r.Emit(child.pid, ProcExit{0, 100});

  CaptureFileWriter w;
  CaptureFileWriter::Options options;
  options.enter_events = false;  // exit events only, as the tracer feeds Falco 0.44.1
  std::string err;
  ok = ok && w.Open(argv[1], options, &err);
  for (const std::string& ev : r.events()) ok = ok && w.Write(ev, &err);
  ok = ok && w.Close(&err);
  if (!ok) {
    fprintf(stderr, "scenario_capture: %s\n", err.empty() ? "an event did not encode" : err.c_str());
    return 1;
  }
  return 0;
}
