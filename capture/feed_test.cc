// The live feed over real AF_UNIX sockets: server and client in one thread, the server pumped by
// hand the way the launcher's poll loop drives it.
#include "capture/feed.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "capture/feed_client.h"
#include "capture/feed_protocol.h"
#include "capture/scap_decoder.h"
#include "capture/scap_encoder.h"

using kilt::feed::FeedClient;
using kilt::feed::FeedServer;
namespace scap = kilt::scap;

namespace {

// A unique abstract name per test (two suites may run at once).
std::string Address() {
  static int n = 0;
  return "@kilt-feed-test-" + std::to_string(getpid()) + "-" + std::to_string(++n);
}

// One close event per number, its fd carrying the number.
std::string Events(int from, int count) {
  scap::OwnedEventBuffer buf(static_cast<size_t>(count) * 46 + 64);
  for (int i = from; i < from + count; ++i) {
    REQUIRE(scap::Encode(scap::EventHeader{1, 2}, scap::CloseExit{0, i}, &buf) ==
            scap::EncodeStatus::kOk);
  }
  return std::string(buf.bytes());
}

std::vector<int64_t> Fds(std::string_view events) {
  std::vector<int64_t> out;
  scap::EventReader r(events);
  scap::DecodedEvent ev;
  const char* err = nullptr;
  while (r.Next(&ev, &err)) {
    int64_t fd = -1;
    REQUIRE(ev.Int64(1, &fd));
    out.push_back(fd);
  }
  REQUIRE(err == nullptr);
  return out;
}

void Pump(FeedServer* s, int timeout_ms) {
  struct pollfd fds[FeedServer::kMaxPollFds];
  size_t n = s->FillPollFds(fds);
  if (poll(fds, n, timeout_ms) > 0) s->HandlePollFds(fds, n);
}

// Pumps the server and reads the client until `want` events arrived (or 5 s passed).
std::vector<int64_t> Receive(FeedServer* s, FeedClient* c, size_t want,
                             std::string* err = nullptr) {
  std::vector<int64_t> got;
  std::string e;
  for (int i = 0; i < 500 && got.size() < want; ++i) {
    Pump(s, 5);
    std::string_view events;
    FeedClient::Result r = c->Next(5, &events, &e);
    if (r == FeedClient::Result::kEvents) {
      for (int64_t fd : Fds(events)) got.push_back(fd);
    } else if (r != FeedClient::Result::kTimeout) {
      if (err != nullptr) *err = e;
      break;
    }
  }
  return got;
}

std::vector<int64_t> Range(int from, int count) {
  std::vector<int64_t> v;
  for (int i = from; i < from + count; ++i) v.push_back(i);
  return v;
}

struct HookLog {
  std::vector<bool> calls;
  FeedServer* server = nullptr;
  std::string snapshot;  // pushed from the hook when not empty
};

void Hook(void* ctx, bool first) {
  HookLog* log = static_cast<HookLog*>(ctx);
  log->calls.push_back(first);
  if (!log->snapshot.empty()) log->server->Push(log->snapshot);
}

}  // namespace

TEST_CASE("feed: handshake, then events in order, split into frames of at most 1 MiB") {
  FeedServer s;
  HookLog log;
  log.server = &s;
  s.set_on_consumer(Hook, &log);
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 8 << 20, 1 << 20}, &err));
  CHECK_FALSE(s.consumer_connected());
  FeedClient c;
  REQUIRE(c.Connect(addr, &err));
  CHECK(s.Push(Events(0, 10)) == 10);
  CHECK(Receive(&s, &c, 10) == Range(0, 10));
  CHECK(s.consumer_connected());
  CHECK(log.calls == std::vector<bool>{true});
  CHECK(c.server_libs_version() == "0.25.4");

  // 40,000 events = 1.8 MB: more than one frame, nothing lost, order kept.
  CHECK(s.Push(Events(10, 40000)) == 40000);
  CHECK(Receive(&s, &c, 40000) == Range(10, 40000));
  CHECK(s.sent_events() == 40010);
  CHECK(s.dropped_events() == 0);
}

TEST_CASE("feed: a full buffer drops and counts, never blocks; the count reaches the consumer") {
  FeedServer s;
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 46 * 100, 46 * 10}, &err));
  // No consumer yet: 100 fit, 50 are dropped.
  CHECK(s.Push(Events(0, 150)) == 100);
  CHECK(s.dropped_events() == 50);
  CHECK(s.dropped_bytes() == 50 * 46);
  CHECK(s.buffered_bytes() == 46 * 100);
  FeedClient c;
  REQUIRE(c.Connect(addr, &err));
  CHECK(Receive(&s, &c, 100) == Range(0, 100));
  for (int i = 0; i < 20 && c.dropped_events() == 0; ++i) {
    std::string_view ev;
    Pump(&s, 5);
    (void)c.Next(5, &ev, &err);
  }
  CHECK(c.dropped_events() == 50);
  CHECK(c.TakeDropsChanged());
  CHECK_FALSE(c.TakeDropsChanged());
}

TEST_CASE("feed: a consumer that stops reading costs drops, not a stall") {
  FeedServer s;
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  FeedClient c;
  REQUIRE(c.Connect(addr, &err));
  for (int i = 0; i < 100 && !s.consumer_connected(); ++i) {
    std::string_view ev;
    Pump(&s, 5);
    (void)c.Next(0, &ev, &err);  // reads the server's hello
  }
  REQUIRE(s.consumer_connected());
  size_t queued = 0;
  for (int i = 0; i < 200; ++i) {
    queued += s.Push(Events(i * 100, 100));  // the client never reads: socket and buffer fill up
    Pump(&s, 0);
  }
  CHECK(s.dropped_events() > 0);
  CHECK(queued + s.dropped_events() == 20000);
}

TEST_CASE("feed: one consumer at a time; a second one gets BUSY") {
  FeedServer s;
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  FeedClient a, b;
  REQUIRE(a.Connect(addr, &err));
  s.Push(Events(0, 3));
  CHECK(Receive(&s, &a, 3) == Range(0, 3));
  REQUIRE(b.Connect(addr, &err));
  std::string why;
  CHECK(Receive(&s, &b, 1, &why).empty());
  CHECK(why.find("another consumer") != std::string::npos);
  // The first one still works.
  s.Push(Events(3, 2));
  CHECK(Receive(&s, &a, 2) == Range(3, 2));
}

TEST_CASE("feed: the peer check sees the peer's pid and can refuse it") {
  FeedServer s;
  struct Seen {
    pid_t pid = 0;
    bool allow = false;
  } seen;
  s.set_peer_check(
      [](void* ctx, pid_t pid, uid_t) {
        Seen* v = static_cast<Seen*>(ctx);
        v->pid = pid;
        return v->allow;
      },
      &seen);
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  FeedClient c;
  REQUIRE(c.Connect(addr, &err));
  std::string why;
  CHECK(Receive(&s, &c, 1, &why).empty());
  CHECK(seen.pid == getpid());
  CHECK(s.rejected_peers() == 1);
  CHECK_FALSE(s.consumer_connected());
  CHECK_FALSE(why.empty());  // closed or reset: the client's hello was never read
  seen.allow = true;
  REQUIRE(c.Connect(addr, &err));
  s.Push(Events(0, 1));
  CHECK(Receive(&s, &c, 1) == Range(0, 1));
}

TEST_CASE("feed: reconnect after a consumer restart; the snapshot goes before buffered events") {
  FeedServer s;
  HookLog log;
  log.server = &s;
  s.set_on_consumer(Hook, &log);
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  {
    FeedClient first;
    REQUIRE(first.Connect(addr, &err));
    s.Push(Events(0, 5));
    CHECK(Receive(&s, &first, 5) == Range(0, 5));
  }  // Falco dies
  for (int i = 0; i < 20 && s.consumer_connected(); ++i) Pump(&s, 5);
  CHECK_FALSE(s.consumer_connected());
  s.Push(Events(5, 5));  // the app goes on meanwhile: buffered
  log.snapshot = Events(1000, 3);
  FeedClient second;
  REQUIRE(second.Connect(addr, &err));
  std::vector<int64_t> want = Range(1000, 3);
  for (int64_t fd : Range(5, 5)) want.push_back(fd);
  CHECK(Receive(&s, &second, 8) == want);
  CHECK(log.calls == std::vector<bool>{true, false});
}

TEST_CASE("feed: a restarted consumer replaces a dead one even before its EOF was read") {
  FeedServer s;
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  auto* first = new FeedClient;
  REQUIRE(first->Connect(addr, &err));
  s.Push(Events(0, 1));
  CHECK(Receive(&s, first, 1) == Range(0, 1));
  delete first;  // closed, and the server has not polled since
  FeedClient second;
  REQUIRE(second.Connect(addr, &err));
  s.Push(Events(1, 1));
  CHECK(Receive(&s, &second, 1) == Range(1, 1));
}

TEST_CASE("feed: a client built from another event table is refused with the reason") {
  FeedServer s;
  std::string err;
  std::string addr = Address();
  REQUIRE(s.Listen({addr, 1 << 16, 1 << 12}, &err));
  struct sockaddr_un sa;
  size_t len = kilt::feed::MakeUnixAddress(addr, &sa, &err);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&sa), len) == 0);
  kilt::feed::Hello h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kilt::feed::kMagic, 8);
  h.version = kilt::feed::kProtocolVersion;
  h.table_hash = 12345;
  uint8_t frame[8 + sizeof h];
  kilt::feed::PutFrameHeader(frame, sizeof h, kilt::feed::kFrameHello);
  std::memcpy(frame + 8, &h, sizeof h);
  REQUIRE(write(fd, frame, sizeof frame) == static_cast<ssize_t>(sizeof frame));
  for (int i = 0; i < 10; ++i) Pump(&s, 5);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, n);
  close(fd);
  CHECK(got.find("event table mismatch") != std::string::npos);
  CHECK_FALSE(s.consumer_connected());
}

TEST_CASE("feed: path sockets are private and replace a stale socket; bad addresses are refused") {
  char dir[] = "/tmp/kilt-feed-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/capture.sock";
  std::string err;
  {
    FeedServer s;
    REQUIRE(s.Listen({path, 1 << 16, 1 << 12}, &err));
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // A stale socket from an earlier kilt-run (its file left behind) is replaced.
    FeedServer again;
    CHECK(again.Listen({path, 1 << 16, 1 << 12}, &err));
    FeedClient c;
    REQUIRE(c.Connect(path, &err));
    again.Push(Events(0, 1));
    CHECK(Receive(&again, &c, 1) == Range(0, 1));
  }
  struct stat st;
  CHECK(stat(path.c_str(), &st) != 0);  // removed on Close
  FeedServer s;
  std::string file = std::string(dir) + "/file";
  FILE* f = fopen(file.c_str(), "w");
  fclose(f);
  CHECK_FALSE(s.Listen({file, 1 << 16, 1 << 12}, &err));
  CHECK(err.find("not a socket") != std::string::npos);
  CHECK_FALSE(s.Listen({"@" + std::string(200, 'x'), 1 << 16, 1 << 12}, &err));
  CHECK_FALSE(s.Listen({"", 1 << 16, 1 << 12}, &err));
  unlink(file.c_str());
  rmdir(dir);
}
