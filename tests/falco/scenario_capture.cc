// Test tool: the capture of one scenario command, written with the capture encoder (capture/) as a scap file
// that Falco 0.44.1 replays (tests/falco/run.sh).
//
//   scenario_capture OUT.scap -- COMMAND [ARGS...]
//
// What it records is what the tracer would see when the container's shell runs COMMAND: the shell (pid 100,
// /bin/sh, child of kilt-run) forks pid 101, which execs COMMAND (comm = basename of argv[0], exe path
// /usr/bin/<name> unless argv[0] is absolute, cwd /, uid 0, ECS-style cgroups); cat/head/tail/less/more open
// each non-option argument read-only; `ssh ADDR PORT` connects to ADDR:PORT (below); then 101 exits.
// tests/falco/task.sh runs the scenarios under the real tracer; the replays pin the event shapes some rules
// need (docs/falco.md, "The default rules on Fargate").
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
#include "tests/falco/scenario_events.h"

namespace {

using namespace kilt::scap;

constexpr uint64_t kBaseTs = 1700000000000000000ull;

using namespace kilt::scap::scenario_events;

std::string Ipv4(const std::string& addr, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

// ssh ADDR PORT: a TCP connect from the task's address (10.0.0.5:40022) to ADDR:PORT, with both ends of the
// tuple: the "Disallowed SSH Connection Non Standard Port" rule needs the local end (fd.ip != 0.0.0.0 must
// hold for both ends; without pidfd_getfd, before Linux 5.6, the tracer writes 0.0.0.0:0 there).
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

  Recorder r(kBaseTs);
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
