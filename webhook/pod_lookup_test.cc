#include "webhook/pod_lookup.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <mutex>
#include <utility>

#include "base/encoding.h"
#include "net/http.h"
#include "registry/auth.h"

namespace kilt::webhook {
namespace {

using lookup::ImageConfig;
using lookup::ImageNeed;
using registry::AwsCredentials;
using registry::RegistryCredential;

// A registry that wants Basic auth for everything and then says the manifest is unknown: enough to
// see which credentials each lookup presented.
class BasicAuthRegistry : public net::HttpTransport {
 public:
  bool RoundTrip(const net::HttpRequest& req, std::chrono::milliseconds,
                 net::HttpResponse* resp, std::string*) override {
    std::string auth;
    for (const auto& [k, v] : req.headers)
      if (k == "Authorization") auth = v;
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(auth);
    if (auth.empty()) {
      resp->status = 401;
      resp->headers = {{"WWW-Authenticate", "Basic realm=\"test\""}};
    } else {
      resp->status = 404;
      resp->body = R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})";
    }
    return true;
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(seen_, {});
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
};

std::string SecretFor(const std::string& user, const std::string& password) {
  const std::string cfg =
      R"({"auths":{"reg.test":{"username":")" + user + R"(","password":")" + password + R"("}}})";
  return R"({"kind":"Secret","type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":")" +
         base::Base64Encode(cfg) + R"("}})";
}

bool Presented(const std::vector<std::string>& seen, const std::string& header) {
  return std::find(seen.begin(), seen.end(), header) != seen.end();
}

TEST_CASE("each credential set gets its own resolver: one pod's Secret never serves another pod") {
  auto registry = std::make_shared<BasicAuthRegistry>();
  registry::LookupOptions base;
  base.use_docker_config = false;
  base.transport = registry;
  base.aws = AwsCredentials{};
  auto store = std::make_shared<PullSecretStore>(
      [](const std::string& ns, const std::string& name, PullSecretStore::Clock::time_point,
         std::string* json, std::string* err) {
        if (name == "alice")
          *json = SecretFor("alice", "s3cret");
        else if (name == "bob")
          *json = SecretFor("bob", "pw");
        else {
          *err = "HTTP 404 Not Found";
          return false;
        }
        (void)ns;
        return true;
      },
      std::chrono::seconds(60));
  PodImageLookup lookup(base, store, 2);
  const std::vector<ImageNeed> needs = {{"reg.test/private/app:v1", "linux/amd64"}};
  auto deadline = [] { return PodImageLookup::Clock::now() + std::chrono::seconds(5); };
  const std::string alice = registry::BasicAuthorization(RegistryCredential{"alice", "s3cret"});
  std::map<ImageNeed, ImageConfig> out;

  auto msgs = lookup.Resolve(needs, {"shop", {"alice"}}, deadline(), &out);
  REQUIRE(msgs.size() == 1);
  CHECK_THAT(msgs[0], Catch::StartsWith("image lookup: ") && Catch::Contains("404"));
  CHECK(Presented(registry->Take(), alice));

  // The same pod without the Secret: no credentials presented, the lookup is refused (401).
  msgs = lookup.Resolve(needs, {"shop", {}}, deadline(), &out);
  auto seen = registry->Take();
  CHECK_FALSE(Presented(seen, alice));
  REQUIRE(msgs.size() == 1);
  CHECK_THAT(msgs[0], Catch::Contains("401"));

  // A Secret that cannot be read: said so, and the lookup goes on without it.
  msgs = lookup.Resolve(needs, {"shop", {"missing"}}, deadline(), &out);
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0] == "imagePullSecret shop/missing: HTTP 404 Not Found");
  CHECK_FALSE(Presented(registry->Take(), alice));
  CHECK(lookup.resolver_count() == 2);  // "none" and alice's

  // Same credentials from another namespace share the warm resolver; new ones get their own, and
  // the least recently used goes beyond the bound (2 here).
  lookup.Resolve(needs, {"other", {"alice"}}, deadline(), &out);
  CHECK(lookup.resolver_count() == 2);
  lookup.Resolve(needs, {"shop", {"bob", "alice"}}, deadline(), &out);  // bob's wins for reg.test
  CHECK(lookup.resolver_count() == 2);                                // "none" evicted
  registry->Take();
  lookup.Resolve(needs, {"shop", {"alice"}}, deadline(), &out);
  CHECK(Presented(registry->Take(), alice));
  lookup.Resolve(needs, {"shop", {"bob"}}, deadline(), &out);
  CHECK_FALSE(Presented(registry->Take(), alice));
}

}  // namespace
}  // namespace kilt::webhook
