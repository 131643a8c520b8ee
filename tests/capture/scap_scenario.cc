// Test tool: the synthetic capture of tests/capture/scenario.h, written out.
//   scap_scenario file OUT.scap [--exit-only]   a capture file (compatibility enter events unless
//                                               --exit-only)
//   scap_scenario json                          JSON lines on stdout
//   scap_scenario raw OUT                       the events back to back (a fuzzing seed)
//   scap_scenario feed ADDRESS [STAY_MS]        serves them live (FeedServer) to the first
//   consumer,
//                                               with current timestamps and pids from 3000000 on,
//                                               then stays STAY_MS (default 10000) so it can read
//                                               them
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <string>

#include "capture/feed.h"
#include "capture/scap_file.h"
#include "capture/scap_json.h"
#include "tests/capture/scenario.h"

namespace {

constexpr uint64_t kBaseTs = 1700000000000000000ull;

int WriteFile(const char* path, bool exit_only) {
  kilt::scap::CaptureFileWriter w;
  std::string err;
  kilt::scap::CaptureFileWriter::Options options;
  options.enter_events = !exit_only;
  bool ok = w.Open(path, options, &err);
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs)) ok = ok && w.Write(ev, &err);
  ok = ok && w.Close(&err);
  if (!ok) fprintf(stderr, "scap_scenario: %s\n", err.c_str());
  return ok ? 0 : 1;
}

int WriteJson() {
  kilt::scap::JsonLinesWriter w(1, false);
  std::string err;
  bool ok = true;
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs)) ok = ok && w.Write(ev, &err);
  ok = ok && w.Close(&err);
  if (!ok) fprintf(stderr, "scap_scenario: %s\n", err.c_str());
  return ok ? 0 : 1;
}

int WriteRaw(const char* path) {
  FILE* f = fopen(path, "wb");
  if (f == nullptr) return 1;
  for (const std::string& ev : kilt::scap::scenario::Events(kBaseTs))
    fwrite(ev.data(), 1, ev.size(), f);
  return fclose(f) == 0 ? 0 : 1;
}

uint64_t Now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

int ServeFeed(const char* address, int stay_ms) {
  kilt::feed::FeedServer server;
  std::string err;
  if (!server.Listen({address, 8 << 20, 1 << 20}, &err)) {
    fprintf(stderr, "scap_scenario: %s\n", err.c_str());
    return 1;
  }
  fprintf(stderr, "scap_scenario: listening on %s\n", address);
  size_t total = 0;
  bool pushed = false;
  uint64_t stay_until = 0;
  const uint64_t give_up =
      Now(CLOCK_MONOTONIC) + 120 * 1000000000ull;  // no consumer: a broken test
  while (stay_until == 0 || Now(CLOCK_MONOTONIC) < stay_until) {
    if (!pushed && Now(CLOCK_MONOTONIC) > give_up) {
      fprintf(stderr, "scap_scenario: no consumer connected to %s within 120 s\n", address);
      return 1;
    }
    struct pollfd fds[kilt::feed::FeedServer::kMaxPollFds];
    size_t n = server.FillPollFds(fds);
    if (poll(fds, n, 20) > 0) server.HandlePollFds(fds, n);
    if (server.consumer_connected() && !pushed) {
      for (const std::string& ev : kilt::scap::scenario::Events(Now(CLOCK_REALTIME), 3000000)) {
        total += server.Push(ev);
      }
      pushed = true;
    }
    if (pushed && stay_until == 0 && server.sent_events() == total) {
      fprintf(stderr, "scap_scenario: %zu events sent\n", total);
      stay_until = Now(CLOCK_MONOTONIC) + static_cast<uint64_t>(stay_ms) * 1000000ull;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "file") == 0) {
    return WriteFile(argv[2], argc >= 4 && strcmp(argv[3], "--exit-only") == 0);
  }
  if (argc == 2 && strcmp(argv[1], "json") == 0) return WriteJson();
  if (argc == 3 && strcmp(argv[1], "raw") == 0) return WriteRaw(argv[2]);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "feed") == 0) {
    return ServeFeed(argv[2], argc == 4 ? atoi(argv[3]) : 10000);
  }
  fprintf(stderr,
          "usage: scap_scenario file OUT.scap [--exit-only] | json | raw OUT | feed ADDRESS "
          "[STAY_MS]\n");
  return 2;
}
