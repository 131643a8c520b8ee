#include "registry/cache.h"

#include <catch2/catch.hpp>

namespace kilt::registry {
namespace {

TEST_CASE("tags expire after the TTL, digests never") {
  ResolvedImageCache cache(std::chrono::seconds(300));
  auto t0 = ResolvedImageCache::Clock::now();
  ResolvedImage a;
  a.digest = "sha256:a";
  cache.Put("tag", a, false, t0);
  cache.Put("digest", a, true, t0);
  ResolvedImage out;
  CHECK(cache.Get("tag", &out, t0 + std::chrono::seconds(299)));
  CHECK(out.digest == "sha256:a");
  CHECK_FALSE(cache.Get("tag", &out, t0 + std::chrono::seconds(300)));
  CHECK(cache.Get("digest", &out, t0 + std::chrono::hours(24 * 365)));
  CHECK_FALSE(cache.Get("missing", &out, t0));
}

TEST_CASE("the cache stays bounded") {
  ResolvedImageCache cache(std::chrono::seconds(300), 3);
  for (int i = 0; i < 10; ++i) cache.Put(std::to_string(i), ResolvedImage{}, true);
  CHECK(cache.size() <= 3);
  ResolvedImage out;
  CHECK(cache.Get("9", &out));
}

}  // namespace
}  // namespace kilt::registry
