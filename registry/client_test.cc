// RegistryClient against a scripted transport: the protocol flows (anonymous, Bearer token exchange,
// Basic, ECR), index platform selection, redirects, and digest verification.
#include "registry/client.h"

#include <functional>
#include <map>
#include <mutex>

#include <catch2/catch.hpp>

#include "base/encoding.h"
#include "registry/auth.h"
#include "registry/digest.h"

namespace kilt::registry {
namespace {

using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;

class FakeTransport : public net::HttpTransport {
 public:
  // Exact URL match first, then the longest prefix ending in '*'.
  void On(const std::string& url, Handler h) { handlers_[url] = std::move(h); }
  void Serve(const std::string& url, const std::string& body, const std::string& content_type = "") {
    On(url, [body, content_type](const net::HttpRequest&) {
      net::HttpResponse r;
      r.status = 200;
      r.body = body;
      if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
      return r;
    });
  }
  bool RoundTrip(const net::HttpRequest& req, std::chrono::milliseconds, net::HttpResponse* resp,
                 std::string* err) override {
    std::lock_guard<std::mutex> lock(mu_);
    log.push_back(req);
    auto it = handlers_.find(req.url);
    if (it == handlers_.end()) {
      std::string base = req.url.substr(0, req.url.find('?'));
      it = handlers_.find(base);
    }
    if (it == handlers_.end()) {
      *err = "GET " + req.url + ": connect: connection refused";
      return false;
    }
    *resp = it->second(req);
    return true;
  }
  std::vector<net::HttpRequest> log;

 private:
  std::mutex mu_;
  std::map<std::string, Handler> handlers_;
};

std::string HeaderOf(const net::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

std::string Digest(const std::string& s) { return "sha256:" + Sha256Hex(s); }

net::HttpResponse Status(int status, const std::string& body = "",
                    net::Headers headers = {}) {
  net::HttpResponse r;
  r.status = status;
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

struct Image {
  std::string config, config_digest, manifest, manifest_digest;
};

Image MakeImage(const std::string& config_obj, const std::string& arch = "amd64") {
  Image i;
  i.config = R"({"architecture":")" + arch + R"(","os":"linux","config":)" + config_obj + "}";
  i.config_digest = Digest(i.config);
  i.manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
               R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
               i.config_digest + R"(","size":1},"layers":[]})";
  i.manifest_digest = Digest(i.manifest);
  return i;
}

Reference Ref(const std::string& s) {
  Reference r;
  std::string err;
  REQUIRE(ParseReference(s, &r, &err));
  return r;
}

const auto kFar = Clock::now() + std::chrono::hours(1);

TEST_CASE("anonymous pull of a single-arch image") {
  FakeTransport t;
  Image img = MakeImage(R"({"Entrypoint":["/e"],"Cmd":["c"],"WorkingDir":"/w"})");
  t.Serve("https://r.example/v2/app/manifests/v1", img.manifest);
  t.Serve("https://r.example/v2/app/blobs/" + img.config_digest, img.config);
  RegistryClient c(&t, {});
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("r.example/app:v1"), "linux/amd64", kFar, &out, &err));
  CHECK(out.digest == img.manifest_digest);
  CHECK(out.manifest_digest == img.manifest_digest);
  CHECK(out.entrypoint == std::vector<std::string>{"/e"});
  CHECK(out.cmd == std::vector<std::string>{"c"});
  CHECK(out.working_dir == "/w");
  CHECK(out.registry == "r.example");
  CHECK(HeaderOf(t.log[0], "Accept").find("application/vnd.oci.image.index.v1+json") !=
        std::string::npos);
}

TEST_CASE("an index: the task's platform is chosen, the index digest is what to pin") {
  FakeTransport t;
  Image amd = MakeImage(R"({"Entrypoint":["/amd"]})");
  Image arm = MakeImage(R"({"Entrypoint":["/arm"]})", "arm64");
  std::string index = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                      R"("manifests":[{"digest":")" + amd.manifest_digest +
                      R"(","platform":{"os":"linux","architecture":"amd64"}},{"digest":")" +
                      arm.manifest_digest + R"(","platform":{"os":"linux","architecture":"arm64"}}]})";
  t.Serve("https://r.example/v2/multi/manifests/latest", index);
  for (const Image* i : {&amd, &arm}) {
    t.Serve("https://r.example/v2/multi/manifests/" + i->manifest_digest, i->manifest);
    t.Serve("https://r.example/v2/multi/blobs/" + i->config_digest, i->config);
  }
  RegistryClient c(&t, {});
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("r.example/multi"), "linux/arm64", kFar, &out, &err));
  CHECK(out.entrypoint == std::vector<std::string>{"/arm"});
  CHECK(out.digest == Digest(index));
  CHECK(out.manifest_digest == arm.manifest_digest);
  REQUIRE(c.Fetch(Ref("r.example/multi"), "linux/amd64", kFar, &out, &err));
  CHECK(out.entrypoint == std::vector<std::string>{"/amd"});
  CHECK_FALSE(c.Fetch(Ref("r.example/multi"), "linux/ppc64le", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("no linux/ppc64le image (it has: linux/amd64, linux/arm64)"));
}

TEST_CASE("Bearer token flow with docker config credentials; the token is reused") {
  FakeTransport t;
  Image img = MakeImage(R"({"Cmd":["x"]})");
  int token_calls = 0;
  auto registry = [&](const std::string& body) {
    return [&, body](const net::HttpRequest& r) {
      if (HeaderOf(r, "Authorization") != "Bearer tok-1")
        return Status(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                      {{"WWW-Authenticate",
                        R"(Bearer realm="https://auth.example/token",service="r.example",scope="repository:team/app:pull")"}});
      return Status(200, body);
    };
  };
  t.On("https://r.example/v2/team/app/manifests/v1", registry(img.manifest));
  t.On("https://r.example/v2/team/app/blobs/" + img.config_digest, registry(img.config));
  t.On("https://auth.example/token", [&](const net::HttpRequest& r) {
    ++token_calls;
    CHECK(r.url == "https://auth.example/token?service=r.example&scope=repository%3Ateam%2Fapp%3Apull");
    if (HeaderOf(r, "Authorization") != BasicAuthorization({"alice", "pw"})) return Status(401);
    return Status(200, R"({"token":"tok-1","expires_in":300})");
  });
  ClientConfig cfg;
  cfg.docker_credentials["r.example"] = {"alice", "pw"};
  cfg.docker_config_path = "/home/u/.docker/config.json";
  RegistryClient c(&t, cfg);
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("r.example/team/app:v1"), "linux/amd64", kFar, &out, &err));
  CHECK(out.cmd == std::vector<std::string>{"x"});
  REQUIRE(c.Fetch(Ref("r.example/team/app:v1"), "linux/amd64", kFar, &out, &err));
  CHECK(token_calls == 1);

  SECTION("wrong credentials: the token server's refusal names the credential source") {
    ClientConfig bad;
    bad.docker_credentials["r.example"] = {"alice", "wrong"};
    bad.docker_config_path = "/home/u/.docker/config.json";
    RegistryClient b(&t, bad);
    CHECK_FALSE(b.Fetch(Ref("r.example/team/app:v1"), "linux/amd64", kFar, &out, &err));
    CHECK_THAT(err, Catch::Contains("registry r.example") &&
                        Catch::Contains("token server auth.example refused a pull token: HTTP 401") &&
                        Catch::Contains("/home/u/.docker/config.json"));
    CHECK_THAT(err, !Catch::Contains("wrong"));
  }
}

TEST_CASE("Basic challenge; a rejected password is an authentication failure") {
  FakeTransport t;
  t.On("https://r.example/v2/app/manifests/latest", [](const net::HttpRequest& r) {
    (void)r;
    return Status(401, "", {{"WWW-Authenticate", R"(Basic realm="r")"}});
  });
  ClientConfig cfg;
  cfg.explicit_credentials["r.example"] = {"u", "p"};
  RegistryClient c(&t, cfg);
  ResolvedImage out;
  std::string err;
  CHECK_FALSE(c.Fetch(Ref("r.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("authentication failed: HTTP 401 Unauthorized"));
  CHECK(HeaderOf(t.log.back(), "Authorization") == "Basic dTpw");

  RegistryClient anon(&t, {});
  CHECK_FALSE(anon.Fetch(Ref("r.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("no credentials found for r.example"));
}

TEST_CASE("ECR: GetAuthorizationToken signed with SigV4, then Basic AWS:password, cached") {
  FakeTransport t;
  Image img = MakeImage(R"({"Entrypoint":["/ecr"]})");
  const std::string host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
  int ecr_calls = 0;
  t.On("http://127.0.0.1:9/", [&](const net::HttpRequest& r) {
    ++ecr_calls;
    CHECK(r.method == "POST");
    CHECK(HeaderOf(r, "X-Amz-Target") == "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken");
    CHECK_THAT(HeaderOf(r, "Authorization"),
               Catch::StartsWith("AWS4-HMAC-SHA256 Credential=AKID/20150830/eu-west-1/ecr/aws4_request"));
    CHECK(HeaderOf(r, "X-Amz-Security-Token") == "TOKEN");
    return Status(200, R"({"authorizationData":[{"authorizationToken":")" +
                           base::Base64Encode("AWS:ecr-pw") + R"(","expiresAt":1440981360}]})");
  });
  auto registry = [&](const std::string& body) {
    return [&, body](const net::HttpRequest& r) {
      if (HeaderOf(r, "Authorization") != BasicAuthorization({"AWS", "ecr-pw"}))
        return Status(401, "", {{"WWW-Authenticate", R"(Basic realm="https://)" + host + R"(/",service="ecr.amazonaws.com")"}});
      return Status(200, body);
    };
  };
  t.On("https://" + host + "/v2/app/manifests/prod", registry(img.manifest));
  t.On("https://" + host + "/v2/app/blobs/" + img.config_digest, registry(img.config));
  ClientConfig cfg;
  cfg.aws = {"AKID", "SECRET", "TOKEN", "us-east-1"};
  cfg.ecr_endpoint = "http://127.0.0.1:9";
  cfg.wall_clock = [] { return std::time_t{1440938160}; };  // 2015-08-30T12:36:00Z
  RegistryClient c(&t, cfg);
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref(host + "/app:prod"), "linux/amd64", kFar, &out, &err));
  CHECK(out.entrypoint == std::vector<std::string>{"/ecr"});
  REQUIRE(c.Fetch(Ref(host + "/app:prod"), "linux/amd64", kFar, &out, &err));
  CHECK(ecr_calls == 1);
  for (const auto& r : t.log) CHECK_THAT(HeaderOf(r, "Authorization"), !Catch::Contains("SECRET"));

  SECTION("ECR refusing the AWS credentials is a clear error") {
    FakeTransport t2;
    t2.On("https://" + host + "/v2/app/manifests/prod", registry(img.manifest));
    t2.On("http://127.0.0.1:9/", [](const net::HttpRequest&) {
      return Status(400, R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})");
    });
    RegistryClient c2(&t2, cfg);
    CHECK_FALSE(c2.Fetch(Ref(host + "/app:prod"), "linux/amd64", kFar, &out, &err));
    CHECK_THAT(err, Catch::Contains("ECR GetAuthorizationToken at http://127.0.0.1:9 failed: HTTP 400 "
                                    "(UnrecognizedClientException: The security token"));
  }
}

TEST_CASE("blob redirects: followed, without our Authorization on another host") {
  FakeTransport t;
  Image img = MakeImage(R"({"Cmd":["r"]})");
  t.On("https://r.example/v2/app/manifests/latest", [&](const net::HttpRequest&) {
    return Status(200, img.manifest);
  });
  t.On("https://r.example/v2/app/blobs/" + img.config_digest, [](const net::HttpRequest&) {
    return Status(307, "", {{"Location", "https://storage.example/blob?sig=abc"}});
  });
  t.On("https://storage.example/blob?sig=abc", [&](const net::HttpRequest& r) {
    CHECK(HeaderOf(r, "Authorization").empty());
    return Status(200, img.config);
  });
  ClientConfig cfg;
  RegistryClient c(&t, cfg);
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("r.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK(out.cmd == std::vector<std::string>{"r"});
}

TEST_CASE("failures name the registry, what was asked and the HTTP status") {
  FakeTransport t;
  ResolvedImage out;
  std::string err;
  RegistryClient c(&t, {});
  t.On("https://r.example/v2/app/manifests/nope", [](const net::HttpRequest&) {
    return Status(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})");
  });
  CHECK_FALSE(c.Fetch(Ref("r.example/app:nope"), "linux/amd64", kFar, &out, &err));
  CHECK(err == "registry r.example: manifest app:nope: HTTP 404 Not Found (MANIFEST_UNKNOWN: manifest "
               "unknown); check the repository name and the tag or digest");

  t.On("https://r.example/v2/app/manifests/garbage", [](const net::HttpRequest&) {
    return Status(200, "\x01\x02 not json");
  });
  CHECK_FALSE(c.Fetch(Ref("r.example/app:garbage"), "linux/amd64", kFar, &out, &err));
  CHECK(err == "registry r.example: manifest app:garbage: the manifest is not a JSON object");

  CHECK_FALSE(c.Fetch(Ref("down.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::StartsWith("registry down.example: manifest app:latest: GET "
                                    "https://down.example/v2/app/manifests/latest: connect"));

  CHECK_FALSE(c.Fetch(Ref("down.example/app"), "linux/amd64", Clock::now(), &out, &err));
  CHECK_THAT(err, Catch::Contains("deadline exceeded"));
}

TEST_CASE("a gateway error is retried once") {
  FakeTransport t;
  Image img = MakeImage(R"({"Cmd":["x"]})");
  int calls = 0;
  t.On("https://r.example/v2/app/manifests/latest", [&](const net::HttpRequest&) {
    return ++calls == 1 ? Status(503) : Status(200, img.manifest);
  });
  t.Serve("https://r.example/v2/app/blobs/" + img.config_digest, img.config);
  t.On("https://r.example/v2/app/manifests/down", [](const net::HttpRequest&) { return Status(502); });
  RegistryClient c(&t, {});
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("r.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK(calls == 2);
  CHECK_FALSE(c.Fetch(Ref("r.example/app:down"), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("HTTP 502 Bad Gateway; the registry failed: retry later"));
}

TEST_CASE("content that does not match its digest is refused") {
  FakeTransport t;
  Image img = MakeImage(R"({"Cmd":["x"]})");
  t.Serve("https://r.example/v2/app/manifests/latest", img.manifest);
  t.Serve("https://r.example/v2/app/blobs/" + img.config_digest, img.config + " ");
  RegistryClient c(&t, {});
  ResolvedImage out;
  std::string err;
  CHECK_FALSE(c.Fetch(Ref("r.example/app"), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("config blob " + img.config_digest) &&
                      Catch::Contains("served content with digest"));
  const std::string other = "sha256:" + std::string(64, 'f');
  t.Serve("https://r.example/v2/app/manifests/" + other, img.manifest);
  CHECK_FALSE(c.Fetch(Ref("r.example/app@" + other), "linux/amd64", kFar, &out, &err));
  CHECK_THAT(err, Catch::Contains("served content with digest " + img.manifest_digest));
}

TEST_CASE("plain http only for registries listed as insecure") {
  FakeTransport t;
  Image img = MakeImage("{}");
  t.Serve("http://127.0.0.1:5000/v2/app/manifests/latest", img.manifest);
  t.Serve("http://127.0.0.1:5000/v2/app/blobs/" + img.config_digest, img.config);
  ClientConfig cfg;
  cfg.insecure_http.insert("127.0.0.1:5000");
  RegistryClient c(&t, cfg);
  ResolvedImage out;
  std::string err;
  REQUIRE(c.Fetch(Ref("127.0.0.1:5000/app"), "linux/amd64", kFar, &out, &err));
  CHECK(out.config_json == "{}");
  RegistryClient secure(&t, {});
  CHECK_FALSE(secure.Fetch(Ref("127.0.0.1:5000/app"), "linux/amd64", kFar, &out, &err));
}

}  // namespace
}  // namespace kilt::registry
