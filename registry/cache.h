// Resolved images kept across Resolve() calls (warm Lambda invocations, a long-lived webhook).
// A tag may move, so it is trusted for a TTL; a digest reference never changes and never expires.
#ifndef KILT_REGISTRY_CACHE_H_
#define KILT_REGISTRY_CACHE_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "registry/lookup.h"

namespace kilt::registry {

class ResolvedImageCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ResolvedImageCache(std::chrono::seconds ttl, size_t max_entries = 4096)
      : ttl_(ttl), max_entries_(max_entries) {}

  bool Get(const std::string& key, ResolvedImage* out, Clock::time_point now = Clock::now());
  void Put(const std::string& key, const ResolvedImage& value, bool immutable,
           Clock::time_point now = Clock::now());
  void Clear();
  size_t size();

 private:
  struct Entry {
    ResolvedImage value;
    Clock::time_point expires;  // time_point::max() for digests
  };
  std::chrono::seconds ttl_;
  size_t max_entries_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_CACHE_H_
