// Bench tool: a flood of events for Falco alone, through the capture's live feed (FeedServer) and the kiltcap
// plugin, with no tracer in the way (bench/falco.sh).
//
//   falco_flood ADDRESS N
//
// To the first consumer of the feed at ADDRESS it serves a process "flood" (introduced by clone + execve, as the
// tracer does) that opens and closes /etc/hostname N times (2N events), then a process "cat" that opens
// /etc/shadow: the one alert ("Read sensitive file untrusted"), which tells when Falco has consumed the flood.
// It never drops: it pushes only while the feed's buffer has room. Prints "start NS" (CLOCK_REALTIME) when it
// pushes the first event of the flood, then exits 10 s after everything was sent (or 120 s without a consumer).
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <string>

#include "capture/feed.h"
#include "tests/falco/scenario_events.h"

namespace {

using namespace kilt::scap;
using namespace kilt::scap::scenario_events;

uint64_t Now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr size_t kBuffer = 8 << 20;
constexpr long kBatch = 512;  // open + close pairs encoded per push

// Pushes what the recorder holds; returns the number of events the feed took.
size_t PushAll(kilt::feed::FeedServer* server, Recorder* r) {
  size_t n = 0;
  for (const std::string& ev : r->events()) n += server->Push(ev);
  r->Clear();
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: falco_flood ADDRESS N\n");
    return 2;
  }
  const long n = atol(argv[2]);
  kilt::feed::FeedServer server;
  std::string err;
  if (!server.Listen({argv[1], kBuffer, 1 << 20}, &err)) {
    fprintf(stderr, "falco_flood: %s\n", err.c_str());
    return 1;
  }
  const Proc kiltrun{1, 0, "/kilt/run", std::string("--\0/bin/sh\0", 11), "kilt-run", "/kilt/run"};
  const Proc sh{4000000, 1, "/bin/sh", "", "sh", "/bin/sh"};
  const Proc flood{4000001, 4000000, "flood", "", "flood", "/usr/bin/flood"};
  const Proc cat{4000002, 4000000, "cat", std::string("/etc/shadow\0", 12), "cat", "/bin/cat"};
  Recorder r(Now(CLOCK_REALTIME));
  r.set_step(1);  // timestamps stay close to the real time: each batch starts at "now"
  size_t total = 0;
  long done = -1;  // pairs pushed; -1: not started
  bool sentinel = false;
  uint64_t stay_until = 0;
  const uint64_t give_up = Now(CLOCK_MONOTONIC) + 120 * 1000000000ull;
  while (stay_until == 0 || Now(CLOCK_MONOTONIC) < stay_until) {
    if (done < 0 && Now(CLOCK_MONOTONIC) > give_up) {
      fprintf(stderr, "falco_flood: no consumer connected to %s within 120 s\n", argv[1]);
      return 1;
    }
    struct pollfd fds[kilt::feed::FeedServer::kMaxPollFds];
    size_t nfds = server.FillPollFds(fds);
    if (poll(fds, nfds, done < 0 || sentinel ? 20 : 0) > 0) server.HandlePollFds(fds, nfds);
    if (!server.consumer_connected()) continue;
    if (done < 0) {
      r.set_ts(Now(CLOCK_REALTIME));
      bool ok = r.Spawn(kiltrun, sh) && r.Spawn(sh, flood);
      total += PushAll(&server, &r);
      if (!ok) return 1;
      printf("start %llu\n", static_cast<unsigned long long>(Now(CLOCK_REALTIME)));
      fflush(stdout);
      done = 0;
    }
    // Only while the buffer has room for a batch: nothing is ever dropped.
    while (done < n && server.buffered_bytes() + kBatch * 256 < kBuffer) {
      r.set_ts(Now(CLOCK_REALTIME));
      for (long i = 0; i < kBatch && done < n; i++, done++) {
        OpenatExit o;
        o.fd = 3;
        o.name = "/etc/hostname";
        o.flags = 02000000;  // O_RDONLY | O_CLOEXEC
        CloseExit c;
        c.fd = 3;
        if (!r.Emit(flood.pid, o) || !r.Emit(flood.pid, c)) return 1;
      }
      total += PushAll(&server, &r);
    }
    if (done == n && !sentinel) {
      r.set_ts(Now(CLOCK_REALTIME));
      OpenatExit o;
      o.fd = 3;
      o.name = "/etc/shadow";
      o.flags = 02000000;
      bool ok = r.Spawn(sh, cat) && r.Emit(cat.pid, o) && r.Emit(cat.pid, ProcExit{0, 1});
      total += PushAll(&server, &r);
      if (!ok) return 1;
      sentinel = true;
    }
    if (sentinel && stay_until == 0 && server.sent_events() == total) {
      fprintf(stderr, "falco_flood: %zu events sent\n", total);
      stay_until = Now(CLOCK_MONOTONIC) + 10 * 1000000000ull;
    }
  }
  return 0;
}
