// ImageConfigResolver over a scripted transport: batches, per-image errors, the cache, and one
// lookup per image when many callers ask at once.
#include "registry/lookup.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "base/encoding.h"
#include "net/http.h"
#include "registry/auth.h"
#include "registry/digest.h"

namespace kilt::registry {
namespace {

using lookup::ImageConfig;
using lookup::ImageNeed;


// Serves two images on r.example; counts manifest requests; can hold requests until released.
class Registry : public net::HttpTransport {
 public:
  Registry() {
    Add("app", R"({"Entrypoint":["/app"],"Cmd":["run"]})");
    Add("other", R"({"Cmd":["sh"]})");
  }
  bool RoundTrip(const net::HttpRequest& req, std::chrono::milliseconds, net::HttpResponse* resp,
                 std::string* err) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (req.url.find("/manifests/") != std::string::npos) ++manifest_requests;
      cv_.wait(lock, [&] { return !hold_; });
    }
    auto it = docs_.find(req.url);
    if (it == docs_.end()) {
      if (req.url.find("unreachable") != std::string::npos) {
        *err = "GET " + req.url + ": connect: connection refused";
        return false;
      }
      resp->status = 404;
      resp->body.clear();
      return true;
    }
    resp->status = 200;
    resp->body = it->second;
    return true;
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  std::atomic<int> manifest_requests{0};
  std::string digest_of_app;

 private:
  void Add(const std::string& repo, const std::string& config_obj) {
    std::string config = R"({"architecture":"amd64","os":"linux","config":)" + config_obj + "}";
    std::string cd = "sha256:" + Sha256Hex(config);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":")" +
        cd + R"(","size":1}})";
    std::string md = "sha256:" + Sha256Hex(manifest);
    if (repo == "app") digest_of_app = md;
    docs_["https://r.example/v2/" + repo + "/manifests/v1"] = manifest;
    docs_["https://r.example/v2/" + repo + "/manifests/" + md] = manifest;
    docs_["https://r.example/v2/" + repo + "/blobs/" + cd] = config;
  }
  std::map<std::string, std::string> docs_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
};

LookupOptions Options(std::shared_ptr<Registry> r) {
  LookupOptions o;
  o.use_docker_config = false;
  o.aws = AwsCredentials{};
  o.transport = std::move(r);
  return o;
}

TEST_CASE("a batch: results for what resolves, one sorted error per image that does not") {
  auto reg = std::make_shared<Registry>();
  ImageConfigResolver resolver(Options(reg));
  std::map<ImageNeed, ImageConfig> out;
  auto errors = resolver.Resolve({{"r.example/other:v1", "linux/amd64"},
                                  {"r.example/app:v1", "linux/amd64"},
                                  {"r.example/missing:v1", "linux/amd64"},
                                  {"unreachable.example/x:1", "linux/arm64"},
                                  {"r.example/app:v1", "linux/amd64"}},
                                 &out);
  REQUIRE(out.size() == 2);
  const ImageConfig& app = out[{"r.example/app:v1", "linux/amd64"}];
  CHECK(app.entrypoint == std::vector<std::string>{"/app"});
  CHECK(app.cmd == std::vector<std::string>{"run"});
  CHECK(app.digest == reg->digest_of_app);
  CHECK(out[{"r.example/other:v1", "linux/amd64"}].entrypoint.empty());
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[0], Catch::StartsWith("image r.example/missing:v1 (linux/amd64): registry "
                                          "r.example: manifest missing:v1: HTTP 404 Not Found"));
  CHECK_THAT(errors[1], Catch::StartsWith("image unreachable.example/x:1 (linux/arm64): registry "
                                          "unreachable.example: manifest x:1: GET"));
}

TEST_CASE("the cache answers later calls; ClearCache forgets") {
  auto reg = std::make_shared<Registry>();
  ImageConfigResolver resolver(Options(reg));
  std::map<ImageNeed, ImageConfig> out;
  std::vector<ImageNeed> needs = {{"r.example/app:v1", "linux/amd64"},
                                  {"r.example/app@" + reg->digest_of_app, "linux/amd64"}};
  CHECK(resolver.Resolve(needs, &out).empty());
  CHECK(reg->manifest_requests == 2);
  out.clear();
  CHECK(resolver.Resolve(needs, &out).empty());
  CHECK(out.size() == 2);
  CHECK(reg->manifest_requests == 2);
  resolver.ClearCache();
  CHECK(resolver.Resolve(needs, &out).empty());
  CHECK(reg->manifest_requests == 4);
}

TEST_CASE("many callers asking for the same image at once cause one lookup") {
  auto reg = std::make_shared<Registry>();
  ImageConfigResolver resolver(Options(reg));
  reg->Hold();
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      std::map<ImageNeed, ImageConfig> out;
      if (resolver.Resolve({{"r.example/app:v1", "linux/amd64"}}, &out).empty()) ++ok;
    });
  }
  // Whenever the others arrive, they find the first lookup in flight or its result in the cache.
  while (reg->manifest_requests == 0) std::this_thread::yield();
  reg->Release();
  for (auto& t : callers) t.join();
  CHECK(ok == 8);
  CHECK(reg->manifest_requests == 1);
}

TEST_CASE("a passed deadline fails every image with a clear error") {
  auto reg = std::make_shared<Registry>();
  ImageConfigResolver resolver(Options(reg));
  std::map<ImageNeed, ImageConfig> out;
  auto errors = resolver.Resolve({{"r.example/app:v1", "linux/amd64"}}, {}, std::chrono::steady_clock::now(), &out);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("deadline exceeded"));
  CHECK(out.empty());
}

TEST_CASE("bad input to the resolver") {
  auto reg = std::make_shared<Registry>();
  ImageConfigResolver resolver(Options(reg));
  ResolvedImage r;
  std::string err;
  CHECK_FALSE(resolver.ResolveOne({"Bad Ref", "linux/amd64"}, &r, &err));
  CHECK_THAT(err, Catch::Contains("invalid image reference"));
  CHECK_FALSE(resolver.ResolveOne({"r.example/app:v1", "amd64"}, &r, &err));
  CHECK_THAT(err, Catch::Contains("platform is not os/architecture"));
  LookupOptions o = Options(reg);
  o.use_docker_config = true;
  o.docker_config_path = "/nonexistent/config.json";
  ImageConfigResolver broken(o);
  CHECK_FALSE(broken.ResolveOne({"r.example/app:v1", "linux/amd64"}, &r, &err));
  CHECK_THAT(err, Catch::Contains("cannot read docker config /nonexistent/config.json"));
  // A docker config.json too large to be one is refused before it is read whole.
  char dir[] = "/tmp/kilt-lookup-test-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string big = std::string(dir) + "/config.json";
  FILE* f = std::fopen(big.c_str(), "w");
  REQUIRE(f != nullptr);
  const std::string pad(kMaxCredentialsFileBytes + 1, ' ');
  REQUIRE(std::fwrite(pad.data(), 1, pad.size(), f) == pad.size());
  REQUIRE(std::fclose(f) == 0);
  o.docker_config_path = big;
  ImageConfigResolver too_big(o);
  CHECK_FALSE(too_big.ResolveOne({"r.example/app:v1", "linux/amd64"}, &r, &err));
  CHECK_THAT(err, Catch::Contains("cannot read docker config " + big + ": larger than 1048576 bytes"));
  std::remove(big.c_str());
  rmdir(dir);
}

TEST_CASE("helpers for consumers") {
  CHECK(PlatformFromEcsArchitecture("") == "linux/amd64");
  CHECK(PlatformFromEcsArchitecture("X86_64") == "linux/amd64");
  CHECK(PlatformFromEcsArchitecture("ARM64") == "linux/arm64");
  CHECK(PlatformFromEcsArchitecture("MIPS").empty());
  RegistryCredential c;
  std::string err;
  REQUIRE(ParseRepositoryCredentialsSecret(R"({"username":"u","password":"p"})", &c, &err));
  CHECK(c.username == "u");
  CHECK(c.password == "p");
  CHECK_FALSE(ParseRepositoryCredentialsSecret(R"({"username":"u"})", &c, &err));
  CHECK_FALSE(ParseRepositoryCredentialsSecret("secret-text", &c, &err));
}

}  // namespace
}  // namespace kilt::registry
