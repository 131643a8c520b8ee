// feedtap — a stand-in for Falco in the capture suite: the agent that consumes kilt-run's live feed.
//
//   feedtap OUT [EXIT_AFTER_FRAMES]
//
// Connects to $KILT_CAPTURE_SOCKET (retrying while kilt-run is not listening yet), appends every event
// it receives to OUT as JSON lines (flushed per frame), and reports kilt-run's drop counter on stderr.
// With EXIT_AFTER_FRAMES its first run exits 1 after that many frames, as a crashing Falco would (it leaves
// OUT.crashed behind so that the next runs do not), so kilt-run restarts it and the next run must get the
// live processes again first. SIGTERM ends it with 0.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "capture/feed_client.h"
#include "capture/scap_json.h"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* address = getenv("KILT_CAPTURE_SOCKET");
  if (!address) {
    fprintf(stderr, "feedtap: KILT_CAPTURE_SOCKET is not set\n");
    return 2;
  }
  long exit_after = argc > 2 ? atol(argv[2]) : 0;
  std::string crashed = std::string(argv[1]) + ".crashed";
  if (exit_after > 0 && access(crashed.c_str(), F_OK) == 0) exit_after = 0;
  int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return 1;
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  kilt::feed::FeedClient client;
  std::string err;
  for (int i = 0; !client.Connect(address, &err); ++i) {
    if (i > 3000) {
      fprintf(stderr, "feedtap: %s\n", err.c_str());
      return 1;
    }
    usleep(10000);
  }
  fprintf(stderr, "feedtap: connected\n");
  long frames = 0;
  for (;;) {
    struct timespec zero = {0, 0};
    if (sigtimedwait(&term, nullptr, &zero) == SIGTERM) return 0;
    std::string_view events;
    switch (client.Next(50, &events, &err)) {
      case kilt::feed::FeedClient::Result::kEvents: {
        kilt::scap::JsonLinesWriter json(out, false);  // one per frame: Close() flushes it (the fd stays)
        if (!json.Write(events, &err) || !json.Close(&err)) {
          fprintf(stderr, "feedtap: %s\n", err.c_str());
          return 1;
        }
        if (exit_after > 0 && ++frames >= exit_after) {
          close(open(crashed.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
          return 1;
        }
        break;
      }
      case kilt::feed::FeedClient::Result::kTimeout:
        break;
      default:
        fprintf(stderr, "feedtap: the feed ended: %s\n", err.c_str());
        return 0;
    }
    if (client.TakeDropsChanged())
      fprintf(stderr, "feedtap: kilt-run dropped %llu events\n",
              static_cast<unsigned long long>(client.dropped_events()));
  }
}
