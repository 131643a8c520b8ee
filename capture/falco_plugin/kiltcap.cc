// libkiltcap.so: the Falco plugin that reads kilt-run's live capture (capture/feed.h) and hands the
// events to Falco as its `syscall` source.
//
// It implements the event-sourcing capability without plugin_get_id / plugin_get_event_source: a
// sourcing plugin with no ID may produce any event of the libscap table, and Falco (>= 0.35) opens
// it instead of the nodriver engine when `engine.kind: nodriver` (helpers_inspector.cpp), with the
// full Linux platform (its /proc scan). The events arrive already encoded by kilt-run; this is a
// pass-through: next_batch() waits at most 50 ms for one frame and returns pointers into it.
//
// Configuration (falco.yaml):
//   load_plugins: [kiltcap, container]
//   plugins:
//     - name: kiltcap
//       library_path: /kilt/falco/plugins/libkiltcap.so
//       init_config: ""                      # unused
//       open_params: "@kilt-capture"         # kilt-run's capture socket (run.cfg), "@name" or a
//       path
//
// Drops: kilt-run counts the events it could not queue and reports the total in the stream; the
// plugin logs each change (a warning through Falco's libs logger: "[libs]: kiltcap: ...") and
// exports it as the metric `kiltcap.n_drops` (Falco's metrics output,
// `metrics.plugins_metrics_enabled`). Falco's own syscall_event_drops alerts never see them: a
// source plugin's scap engine reports no drops.
#include <plugin/plugin_api.h>
#include <poll.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "capture/feed_client.h"
#include "capture/feed_protocol.h"
#include "capture/scap_decoder.h"
#include "capture/scap_table.h"

#define KILTCAP_API extern "C" __attribute__((visibility("default")))

namespace {

constexpr int kBatchWaitMs = 50;    // Falco's loop spins on timeouts: block briefly instead
constexpr int kOpenWaitMs = 10000;  // kilt-run listens before it starts Falco; allow slow starts
constexpr int64_t kReconnectEveryMs = 1000;

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Plugin {
  ss_plugin_owner_t* owner = nullptr;
  ss_plugin_log_fn_t log = nullptr;
  std::string last_error;
  uint64_t events = 0, drops = 0, reconnects = 0;
  ss_plugin_metric metrics[3];

  void Log(ss_plugin_log_severity sev, const std::string& msg) {
    if (log != nullptr) log(owner, nullptr, msg.c_str(), sev);
  }
};

struct Instance {
  std::string address;
  kilt::feed::FeedClient client;
  std::vector<ss_plugin_event*> batch;
  int64_t next_connect_ms = 0;
};

ss_plugin_rc Timeout(uint32_t* nevts) {
  *nevts = 0;
  return SS_PLUGIN_TIMEOUT;
}

void NoteDrops(Plugin* p, Instance* in) {
  if (!in->client.TakeDropsChanged()) return;
  uint64_t total = in->client.dropped_events();
  p->Log(SS_PLUGIN_LOG_SEV_WARNING,
         "kilt-run dropped " + std::to_string(total > p->drops ? total - p->drops : total) +
             " events (" + std::to_string(total) +
             " in total): its capture buffer was full, Falco did not read fast enough");
  p->drops = total;
}

// While disconnected: one attempt per second, sleeping out the rest of the batch wait.
ss_plugin_rc Reconnect(Plugin* p, Instance* in, uint32_t* nevts) {
  int64_t now = NowMs();
  if (now < in->next_connect_ms) {
    poll(nullptr, 0, kBatchWaitMs);
    return Timeout(nevts);
  }
  in->next_connect_ms = now + kReconnectEveryMs;
  std::string err;
  if (in->client.Connect(in->address, &err)) {
    ++p->reconnects;
    p->Log(SS_PLUGIN_LOG_SEV_NOTICE, "reconnected to kilt-run's capture at " + in->address);
  } else {
    poll(nullptr, 0, kBatchWaitMs);
  }
  return Timeout(nevts);
}

}  // namespace

KILTCAP_API const char* plugin_get_required_api_version() {
  // 3.3.0 brought the log function, 3.6.0 get_metrics; nothing newer is used.
  return "3.6.0";
}
KILTCAP_API const char* plugin_get_version() { return "0.1.0"; }
KILTCAP_API const char* plugin_get_name() { return "kiltcap"; }
KILTCAP_API const char* plugin_get_description() {
  return "Syscall events captured in user space by Kilt's kilt-run (ptrace), fed live as Falco's "
         "syscall source";
}
KILTCAP_API const char* plugin_get_contact() { return "Kilt, docs/capture.md"; }

KILTCAP_API ss_plugin_t* plugin_init(const ss_plugin_init_input* in, ss_plugin_rc* rc) {
  Plugin* p = new Plugin;
  if (in != nullptr) {
    p->owner = in->owner;
    p->log = in->log_fn;
  }
  *rc = SS_PLUGIN_SUCCESS;
  return reinterpret_cast<ss_plugin_t*>(p);
}

KILTCAP_API void plugin_destroy(ss_plugin_t* s) { delete reinterpret_cast<Plugin*>(s); }

KILTCAP_API const char* plugin_get_last_error(ss_plugin_t* s) {
  return reinterpret_cast<Plugin*>(s)->last_error.c_str();
}

KILTCAP_API ss_instance_t* plugin_open(ss_plugin_t* s, const char* params, ss_plugin_rc* rc) {
  Plugin* p = reinterpret_cast<Plugin*>(s);
  Instance* in = new Instance;
  in->address = params != nullptr && params[0] != '\0' ? params : kilt::feed::kDefaultAddress;
  std::string err;
  struct sockaddr_un sa;
  const bool valid = kilt::feed::MakeUnixAddress(in->address, &sa, &err) != 0;
  const int64_t deadline = NowMs() + kOpenWaitMs;
  while (!valid || !in->client.Connect(in->address, &err)) {
    if (!valid || NowMs() >= deadline) {
      p->last_error = err + " (kiltcap's open_params must be kilt-run's capture address)";
      delete in;
      *rc = SS_PLUGIN_FAILURE;
      return nullptr;
    }
    poll(nullptr, 0, 50);
  }
  p->Log(SS_PLUGIN_LOG_SEV_INFO, "reading kilt-run's capture at " + in->address + " (libs " +
                                     kilt::scap::kLibsVersion + " events)");
  *rc = SS_PLUGIN_SUCCESS;
  return reinterpret_cast<ss_instance_t*>(in);
}

KILTCAP_API void plugin_close(ss_plugin_t*, ss_instance_t* h) {
  delete reinterpret_cast<Instance*>(h);
}

KILTCAP_API ss_plugin_rc plugin_next_batch(ss_plugin_t* s, ss_instance_t* h, uint32_t* nevts,
                                           ss_plugin_event*** evts) {
  Plugin* p = reinterpret_cast<Plugin*>(s);
  Instance* in = reinterpret_cast<Instance*>(h);
  if (!in->client.connected()) return Reconnect(p, in, nevts);

  std::string_view events;
  std::string err;
  kilt::feed::FeedClient::Result r = in->client.Next(kBatchWaitMs, &events, &err);
  NoteDrops(p, in);
  if (r == kilt::feed::FeedClient::Result::kTimeout) return Timeout(nevts);
  if (r != kilt::feed::FeedClient::Result::kEvents) {
    // kilt-run closed the connection (it restarts nothing, but may refuse or hang up on a bad
    // peer): keep Falco up and try again; kilt-run re-sends its process table to the new
    // connection.
    p->Log(SS_PLUGIN_LOG_SEV_WARNING, err + "; reconnecting");
    in->next_connect_ms = NowMs() + kReconnectEveryMs;
    return Timeout(nevts);
  }

  in->batch.clear();
  kilt::scap::EventReader reader(events);
  kilt::scap::DecodedEvent ev;
  const char* bad = nullptr;
  while (reader.Next(&ev, &bad)) {
    in->batch.push_back(reinterpret_cast<ss_plugin_event*>(const_cast<char*>(ev.bytes.data())));
  }
  if (bad != nullptr) {
    // A malformed frame is a kilt-run bug; Falco must not read past it, but should not stop either.
    p->Log(SS_PLUGIN_LOG_SEV_ERROR, std::string("malformed event from kilt-run skipped: ") + bad);
  }
  if (in->batch.empty()) return Timeout(nevts);
  p->events += in->batch.size();
  *nevts = static_cast<uint32_t>(in->batch.size());
  *evts = in->batch.data();
  return SS_PLUGIN_SUCCESS;
}

KILTCAP_API ss_plugin_metric* plugin_get_metrics(ss_plugin_t* s, uint32_t* num_metrics) {
  Plugin* p = reinterpret_cast<Plugin*>(s);
  const struct {
    const char* name;
    uint64_t value;
  } values[] = {{"n_evts", p->events}, {"n_drops", p->drops}, {"n_reconnects", p->reconnects}};
  for (size_t i = 0; i < 3; ++i) {
    p->metrics[i].name = values[i].name;
    p->metrics[i].type = SS_PLUGIN_METRIC_TYPE_MONOTONIC;
    p->metrics[i].value_type = SS_PLUGIN_METRIC_VALUE_TYPE_U64;
    p->metrics[i].value.u64 = values[i].value;
  }
  *num_metrics = 3;
  return p->metrics;
}
