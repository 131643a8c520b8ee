// The Falco plugin as Falco loads it: dlopen() of libkiltcap.so (KILTCAP_SO), its entry points
// called against a real FeedServer in this process.
#include <dlfcn.h>
#include <plugin/plugin_api.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "capture/feed.h"
#include "capture/scap_decoder.h"
#include "capture/scap_encoder.h"

namespace scap = kilt::scap;
using kilt::feed::FeedServer;

namespace {

struct Api {
  void* so = nullptr;
  const char* (*required_api)() = nullptr;
  const char* (*name)() = nullptr;
  ss_plugin_t* (*init)(const ss_plugin_init_input*, ss_plugin_rc*) = nullptr;
  void (*destroy)(ss_plugin_t*) = nullptr;
  const char* (*last_error)(ss_plugin_t*) = nullptr;
  ss_instance_t* (*open)(ss_plugin_t*, const char*, ss_plugin_rc*) = nullptr;
  void (*close)(ss_plugin_t*, ss_instance_t*) = nullptr;
  ss_plugin_rc (*next_batch)(ss_plugin_t*, ss_instance_t*, uint32_t*, ss_plugin_event***) = nullptr;
  ss_plugin_metric* (*metrics)(ss_plugin_t*, uint32_t*) = nullptr;

  template <typename F>
  void Load(F* f, const char* sym) {
    *reinterpret_cast<void**>(f) = dlsym(so, sym);
  }
  Api() {
    const char* path = getenv("KILTCAP_SO");
    REQUIRE(path != nullptr);  // set by `make test-capture`
    so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    INFO(dlerror());
    REQUIRE(so != nullptr);
    Load(&required_api, "plugin_get_required_api_version");
    Load(&name, "plugin_get_name");
    Load(&init, "plugin_init");
    Load(&destroy, "plugin_destroy");
    Load(&last_error, "plugin_get_last_error");
    Load(&open, "plugin_open");
    Load(&close, "plugin_close");
    Load(&next_batch, "plugin_next_batch");
    Load(&metrics, "plugin_get_metrics");
  }
  ~Api() { dlclose(so); }
};

std::vector<std::string> g_log;
void LogFn(ss_plugin_owner_t*, const char*, const char* msg, ss_plugin_log_severity sev) {
  g_log.push_back(std::to_string(sev) + " " + msg);
}

std::string Address() {
  static int n = 0;
  return "@kiltcap-test-" + std::to_string(getpid()) + "-" + std::to_string(++n);
}

std::string Events(int from, int count) {
  scap::OwnedEventBuffer buf(static_cast<size_t>(count) * 46 + 64);
  for (int i = from; i < from + count; ++i) {
    REQUIRE(scap::Encode(scap::EventHeader{1700000000000000000ull + i, 77}, scap::CloseExit{0, i},
                         &buf) == scap::EncodeStatus::kOk);
  }
  return std::string(buf.bytes());
}

void Pump(FeedServer* s) {
  struct pollfd fds[FeedServer::kMaxPollFds];
  size_t n = s->FillPollFds(fds);
  if (poll(fds, n, 5) > 0) s->HandlePollFds(fds, n);
}

// next_batch until `want` events came, pumping the server in between (single thread).
std::vector<int64_t> Batches(const Api& api, ss_plugin_t* p, ss_instance_t* in, FeedServer* s,
                             size_t want) {
  std::vector<int64_t> fds;
  for (int i = 0; i < 200 && fds.size() < want; ++i) {
    Pump(s);
    uint32_t n = 0;
    ss_plugin_event** evts = nullptr;
    ss_plugin_rc rc = api.next_batch(p, in, &n, &evts);
    if (rc == SS_PLUGIN_TIMEOUT) continue;
    REQUIRE(rc == SS_PLUGIN_SUCCESS);
    REQUIRE(n > 0);
    for (uint32_t k = 0; k < n; ++k) {
      // Each pointer is one whole scap event, as libscap's source-plugin engine reads it.
      scap::DecodedEvent ev;
      const char* err = nullptr;
      REQUIRE(scap::DecodeEvent(
          std::string_view(reinterpret_cast<const char*>(evts[k]), evts[k]->len), &ev, &err));
      CHECK(ev.tid == 77);
      CHECK(ev.type == 5);  // PPME_SYSCALL_CLOSE_X
      int64_t fd;
      REQUIRE(ev.Int64(1, &fd));
      fds.push_back(fd);
    }
  }
  return fds;
}

std::vector<int64_t> Range(int from, int count) {
  std::vector<int64_t> v;
  for (int i = from; i < from + count; ++i) v.push_back(i);
  return v;
}

uint64_t Metric(const Api& api, ss_plugin_t* p, const char* name) {
  uint32_t n = 0;
  ss_plugin_metric* m = api.metrics(p, &n);
  for (uint32_t i = 0; i < n; ++i) {
    if (std::strcmp(m[i].name, name) == 0) return m[i].value.u64;
  }
  FAIL("no metric " << name);
  return 0;
}

bool Logged(const std::string& needle) {
  for (const std::string& l : g_log) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("kiltcap: a sourcing plugin without an ID (Falco's syscall source)") {
  Api api;
  CHECK(dlsym(api.so, "plugin_get_id") == nullptr);
  CHECK(dlsym(api.so, "plugin_get_event_source") == nullptr);
  for (const char* sym : {"plugin_get_version", "plugin_get_description", "plugin_get_contact",
                          "plugin_get_last_error", "plugin_close"}) {
    CHECK(dlsym(api.so, sym) != nullptr);
  }
  CHECK(std::string(api.required_api()) == "3.6.0");
  CHECK(std::string(api.name()) == "kiltcap");
}

TEST_CASE("kiltcap: open, batches of events, drops logged and counted, reconnect with snapshot") {
  Api api;
  g_log.clear();
  ss_plugin_init_input in;
  std::memset(&in, 0, sizeof in);
  in.config = "";
  in.log_fn = LogFn;
  ss_plugin_rc rc;
  ss_plugin_t* p = api.init(&in, &rc);
  REQUIRE(rc == SS_PLUGIN_SUCCESS);

  FeedServer s;
  struct Ctx {
    FeedServer* s;
    std::vector<bool> calls;
  } ctx{&s, {}};
  s.set_on_consumer(
      [](void* c, bool first) {
        Ctx* x = static_cast<Ctx*>(c);
        x->calls.push_back(first);
        if (!first) x->s->Push(Events(900, 2));  // the process table, re-sent
      },
      &ctx);
  std::string addr = Address(), err;
  REQUIRE(s.Listen({addr, 46 * 20, 4096}, &err));

  ss_instance_t* inst = api.open(p, addr.c_str(), &rc);
  REQUIRE(rc == SS_PLUGIN_SUCCESS);
  REQUIRE(inst != nullptr);

  CHECK(s.Push(Events(0, 5)) == 5);
  CHECK(Batches(api, p, inst, &s, 5) == Range(0, 5));
  CHECK(ctx.calls == std::vector<bool>{true});
  CHECK(Metric(api, p, "n_evts") == 5);

  // More than the buffer holds while the plugin is not reading: 20 queued, 10 dropped.
  CHECK(s.Push(Events(5, 30)) == 20);
  CHECK(Batches(api, p, inst, &s, 20) == Range(5, 20));
  for (int i = 0; i < 20 && Metric(api, p, "n_drops") == 0; ++i) {
    uint32_t n;
    ss_plugin_event** evts;
    Pump(&s);
    (void)api.next_batch(p, inst, &n, &evts);
  }
  CHECK(Metric(api, p, "n_drops") == 10);
  CHECK(Logged("4 kilt-run dropped 10 events (10 in total)"));  // 4 = SS_PLUGIN_LOG_SEV_WARNING

  // kilt-run hangs up (e.g. its socket was replaced): the plugin keeps Falco up and reconnects.
  s.Close();
  REQUIRE(s.Listen({addr, 46 * 20, 4096}, &err));
  s.Push(Events(100, 3));
  std::vector<int64_t> want = Range(900, 2);
  for (int64_t fd : Range(100, 3)) want.push_back(fd);
  CHECK(Batches(api, p, inst, &s, 5) == want);
  CHECK(Logged("reconnecting"));
  CHECK(Logged("reconnected"));
  CHECK(Metric(api, p, "n_reconnects") == 1);

  api.close(p, inst);
  api.destroy(p);
}

TEST_CASE("kiltcap: open fails with a clear error when nothing listens") {
  Api api;
  ss_plugin_init_input in;
  std::memset(&in, 0, sizeof in);
  ss_plugin_rc rc;
  ss_plugin_t* p = api.init(&in, &rc);
  // A path in a directory that does not exist: connect fails at once, open retries for 10 s; use an
  // invalid address instead, refused without waiting.
  std::string bad = "@" + std::string(200, 'x');
  ss_instance_t* inst = api.open(p, bad.c_str(), &rc);
  CHECK(rc == SS_PLUGIN_FAILURE);
  CHECK(inst == nullptr);
  CHECK(std::string(api.last_error(p)).find("longer than") != std::string::npos);
  api.destroy(p);
}
