// registry_bench: lookups per second through ImageConfigResolver against a live registry.
// Usage: registry_bench --ca-file F --docker-config F --rounds N IMAGE...
// Prints one line per round and mode: "MODE SECONDS LOOKUPS", modes:
//   cold    a new resolver per round (TLS handshakes, 401 challenge, auth, manifest, config blob)
//   warm    one resolver, cache cleared per round (credentials already known: manifest + blob)
//   cached  one resolver, cache kept (a warm Lambda invocation with images seen before)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "registry/lookup.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool Run(kilt::registry::ImageConfigResolver* r, const std::vector<kilt::lookup::ImageNeed>& needs) {
  kilt::lookup::ImageConfigs out;
  auto errors = r->Resolve(needs, &out);
  for (const auto& e : errors) std::fprintf(stderr, "registry_bench: %s\n", e.c_str());
  return errors.empty();
}

}  // namespace

int main(int argc, char** argv) {
  kilt::registry::LookupOptions opts;
  int rounds = 10;
  std::vector<kilt::lookup::ImageNeed> needs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--ca-file" && i + 1 < argc) opts.ca_file = argv[++i];
    else if (a == "--docker-config" && i + 1 < argc) opts.docker_config_path = argv[++i];
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else needs.push_back({a, "linux/amd64"});
  }
  if (needs.empty()) {
    std::fprintf(stderr, "usage: registry_bench --ca-file F --docker-config F --rounds N IMAGE...\n");
    return 2;
  }
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    kilt::registry::ImageConfigResolver cold(opts);
    if (!Run(&cold, needs)) return 1;
    std::printf("cold %.6f %zu\n", Seconds(t0), needs.size());
  }
  kilt::registry::ImageConfigResolver warm(opts);
  if (!Run(&warm, needs)) return 1;
  for (int i = 0; i < rounds; ++i) {
    warm.ClearCache();
    auto t0 = std::chrono::steady_clock::now();
    if (!Run(&warm, needs)) return 1;
    std::printf("warm %.6f %zu\n", Seconds(t0), needs.size());
  }
  // Cached lookups take microseconds: time many per round so the clock's resolution does not matter.
  const int kRepeat = 1000;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < kRepeat; ++k)
      if (!Run(&warm, needs)) return 1;
    std::printf("cached %.6f %zu\n", Seconds(t0), needs.size() * kRepeat);
  }
  return 0;
}
