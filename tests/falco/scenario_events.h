// The processes of tests/falco's synthetic scenarios, as the tracer would introduce them to Falco (clone and
// execve exit events with ECS-style cgroups, Docker's default capabilities), encoded with the capture encoder.
// Used by tests/falco/scenario_capture.cc (replayed captures) and bench/falco_flood.cc (a live feed).
#ifndef KILT_TESTS_FALCO_SCENARIO_EVENTS_H_
#define KILT_TESTS_FALCO_SCENARIO_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "capture/scap_encoder.h"

namespace kilt::scap::scenario_events {

constexpr char kCgroups[] =
    "cpuset=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0"
    "memory=/ecs/0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef-1234567890\0";
constexpr char kEnv[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0HOME=/root\0";

struct Proc {
  int64_t pid, ppid;
  std::string exe, args, comm, exepath;
};

// Encodes events one after the other, each 1 ms (set_step) after the previous one from `ts` on.
class Recorder {
 public:
  explicit Recorder(uint64_t ts) : ts_(ts), buf_(1 << 16) {}

  template <typename E>
  bool Emit(int64_t tid, const E& e) {
    buf_.Clear();
    if (Encode(EventHeader{ts_, tid}, e, &buf_) != EncodeStatus::kOk) return false;
    events_.emplace_back(buf_.bytes());
    ts_ += step_;
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
  void Clear() { events_.clear(); }
  void set_ts(uint64_t ts) { ts_ = ts; }
  void set_step(uint64_t ns) { step_ = ns; }

 private:
  uint64_t ts_;
  uint64_t step_ = 1000000;
  OwnedEventBuffer buf_;
  std::vector<std::string> events_;
};

inline std::string Basename(const std::string& p) {
  size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace kilt::scap::scenario_events

#endif  // KILT_TESTS_FALCO_SCENARIO_EVENTS_H_
