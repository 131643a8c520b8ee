#include "registry/cache.h"

namespace kilt::registry {

bool ResolvedImageCache::Get(const std::string& key, ResolvedImage* out, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (it->second.expires <= now) {
    entries_.erase(it);
    return false;
  }
  *out = it->second.value;
  return true;
}

void ResolvedImageCache::Put(const std::string& key, const ResolvedImage& value, bool immutable,
                             Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= max_entries_ && entries_.find(key) == entries_.end()) {
    // Drop what has expired; if that frees nothing, start over rather than grow without bound.
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = Entry{value, immutable ? Clock::time_point::max() : now + ttl_};
}

void ResolvedImageCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

size_t ResolvedImageCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace kilt::registry
