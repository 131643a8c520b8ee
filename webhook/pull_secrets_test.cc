#include "webhook/pull_secrets.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "base/encoding.h"
#include "webhook/kube_client.h"

namespace kilt::webhook {
namespace {

using base::Base64Encode;

std::string Secret(const std::string& type, const std::string& key, const std::string& value) {
  return R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"type":")" + type +
         R"(","data":{")" + key + R"(":")" + Base64Encode(value) + R"("}})";
}

const std::string kAuths =
    R"({"auths":{"reg.example:5000":{"auth":")" + Base64Encode("alice:s3cret") +
    R"("},"https://index.docker.io/v1/":{"username":"bob","password":"pw"}}})";

TEST_CASE("dockerconfigjson and legacy dockercfg Secrets give per-registry credentials") {
  RegistryCredentials c;
  std::string err;
  REQUIRE(ParsePullSecret(Secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kAuths),
                          "ns/s", &c, &err));
  CHECK(c.size() == 2);
  CHECK(c["reg.example:5000"].username == "alice");
  CHECK(c["reg.example:5000"].password == "s3cret");
  CHECK(c["docker.io"].username == "bob");

  RegistryCredentials legacy;
  const std::string cfg =
      R"({"legacy.example":{"auth":")" + Base64Encode("carol:pw2") + R"(","email":"c@x"}})";
  REQUIRE(ParsePullSecret(Secret("kubernetes.io/dockercfg", ".dockercfg", cfg), "ns/old", &legacy,
                          &err));
  CHECK(legacy["legacy.example"].username == "carol");
  CHECK(legacy["legacy.example"].password == "pw2");
}

TEST_CASE("unusable Secrets are refused naming the Secret, never echoing a value") {
  std::string err;
  RegistryCredentials c;
  CHECK_FALSE(ParsePullSecret(Secret("Opaque", "password", "hunter2"), "ns/s", &c, &err));
  CHECK_THAT(err, Catch::Contains("ns/s") && Catch::Contains("Opaque"));
  CHECK_FALSE(ParsePullSecret(R"({"kind":"Status","message":"x"})", "ns/s", &c, &err));
  CHECK_FALSE(ParsePullSecret(
      R"({"kind":"Secret","type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"!!"}})",
      "ns/s", &c, &err));
  CHECK_THAT(err, Catch::Contains("not base64"));
  const std::string bad =
      R"({"auths":{"r":{"auth":")" + Base64Encode("no-colon-hunter2") + R"("}}})";
  CHECK_FALSE(ParsePullSecret(Secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", bad),
                              "ns/s", &c, &err));
  CHECK_THAT(err, Catch::Contains("ns/s"));
  CHECK(err.find("hunter2") == std::string::npos);
  CHECK(c.empty());
}

TEST_CASE("pod imagePullSecrets names, in order, deduplicated; Kubernetes names checked") {
  rapidjson::Document pod;
  pod.Parse(
      R"({"spec":{"imagePullSecrets":[{"name":"b"},{"name":"a"},{"name":"b"},{"nome":"x"},7]}})");
  CHECK(PodPullSecretNames(pod) == std::vector<std::string>{"b", "a"});
  pod.Parse(R"({"spec":{"imagePullSecrets":"x"}})");
  CHECK(PodPullSecretNames(pod).empty());
  CHECK(IsKubeName("regcred"));
  CHECK(IsKubeName("my.reg-cred2"));
  for (const char* bad : {"", "../x", "a/b", "A", "-a", "a-", "a?b", "a%2f"})
    CHECK_FALSE(IsKubeName(bad));
}

TEST_CASE("the store merges Secrets (first wins), caches reads for the TTL, keeps no failures") {
  std::map<std::string, int> calls;
  bool forbid = true;
  PullSecretStore store(
      [&](const std::string& ns, const std::string& name, PullSecretStore::Clock::time_point,
          std::string* json, std::string* err) {
        calls[ns + "/" + name]++;
        if (name == "first")
          *json = Secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson",
                         R"({"auths":{"r1":{"username":"one","password":"p1"}}})");
        else if (name == "second")
          *json = Secret(
              "kubernetes.io/dockerconfigjson", ".dockerconfigjson",
              R"({"auths":{"r1":{"username":"two","password":"p2"},"r2":{"username":"two","password":"p2"}}})");
        else if (name == "locked" && forbid) {
          *err = "HTTP 403 Forbidden";
          return false;
        } else if (name == "locked")
          *json = Secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", R"({"auths":{}})");
        else {
          *err = "HTTP 404 Not Found";
          return false;
        }
        return true;
      },
      std::chrono::seconds(60));
  auto deadline = PullSecretStore::Clock::now() + std::chrono::seconds(5);
  std::vector<std::string> problems;
  RegistryCredentials c =
      store.Credentials("shop", {"first", "second", "locked", "../etc"}, deadline, &problems);
  CHECK(c["r1"].username == "one");
  CHECK(c["r2"].username == "two");
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "imagePullSecret shop/locked: HTTP 403 Forbidden");
  CHECK_THAT(problems[1], Catch::Contains("shop/../etc") && Catch::Contains("not a valid"));
  CHECK(calls.count("shop/../etc") == 0);

  problems.clear();
  forbid = false;
  store.Credentials("shop", {"first", "locked"}, deadline, &problems);
  CHECK(problems.empty());
  CHECK(calls["shop/first"] == 1);   // cached
  CHECK(calls["shop/locked"] == 2);  // the failure was not kept
  store.Credentials("other", {"first"}, deadline, &problems);
  CHECK(calls["other/first"] == 1);  // per namespace
}

TEST_CASE("pods arriving together share one read of a Secret") {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, open = false;
  std::atomic<int> reads{0};
  PullSecretStore store(
      [&](const std::string&, const std::string&, PullSecretStore::Clock::time_point,
          std::string* json, std::string*) {
        reads++;
        std::unique_lock<std::mutex> lock(mu);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });  // held until every caller has started
        *json = Secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson",
                       R"({"auths":{"r1":{"username":"one","password":"p1"}}})");
        return true;
      },
      std::chrono::seconds(60));
  auto deadline = PullSecretStore::Clock::now() + std::chrono::seconds(60);
  std::vector<std::string> users(8);
  std::vector<std::thread> pods;
  pods.emplace_back([&] {
    std::vector<std::string> problems;
    users[0] = store.Credentials("shop", {"regcred"}, deadline, &problems)["r1"].username;
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  for (size_t i = 1; i < users.size(); i++)
    pods.emplace_back([&, i] {
      std::vector<std::string> problems;
      users[i] = store.Credentials("shop", {"regcred"}, deadline, &problems)["r1"].username;
    });
  {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
  }
  cv.notify_all();
  for (auto& t : pods) t.join();
  // Whether a caller waited on the read in flight or came after it, the apiserver was asked once.
  CHECK(reads == 1);
  CHECK(users == std::vector<std::string>(8, "one"));
}

TEST_CASE("apiserver statuses are described with the Status message, other bodies are not echoed") {
  net::HttpResponse r;
  r.status = 403;
  r.body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"secrets \"x\" is forbidden: User \"system:serviceaccount:kilt-system:kilt-webhook\" cannot get resource \"secrets\"","reason":"Forbidden","code":403})";
  CHECK(DescribeKubeStatus(r) ==
        "HTTP 403 Forbidden: secrets \"x\" is forbidden: User "
        "\"system:serviceaccount:kilt-system:kilt-webhook\" cannot get resource \"secrets\"");
  r.status = 500;
  r.body = R"({"kind":"Secret","message":"hunter2"})";
  CHECK(DescribeKubeStatus(r) == "HTTP 500");
}

TEST_CASE("in-cluster configuration needs the service variables and the token files") {
  std::string err;
  KubeClientConfig kc;
  unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK_FALSE(InClusterConfig("/nonexistent", &kc, &err));
  CHECK_THAT(err, Catch::Contains("KUBERNETES_SERVICE_HOST"));
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  CHECK_FALSE(InClusterConfig("/nonexistent", &kc, &err));
  CHECK_THAT(err, Catch::Contains("/nonexistent/token") &&
                      Catch::Contains("automountServiceAccountToken"));
  CHECK(kc.server == "https://[fd00::1]:443");
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
}

}  // namespace
}  // namespace kilt::webhook
