#include "falco/identity.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace {

// A real ECS task metadata v4 container answer (Fargate, platform 1.4), trimmed of nothing.
const char kEcsContainer[] = R"({
    "DockerId": "cd189a933e5849daa93386466019ab50-2495160603",
    "Name": "curl",
    "DockerName": "curl",
    "Image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest",
    "ImageID": "sha256:25f3695bedfb454a50f12d127839a68ad3caf91e451c1da073db34c542c4d2cb",
    "Labels": {
        "com.amazonaws.ecs.cluster": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
        "com.amazonaws.ecs.container-name": "curl",
        "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-west-2:111122223333:task/default/cd189a933e5849daa93386466019ab50",
        "com.amazonaws.ecs.task-definition-family": "curltest",
        "com.amazonaws.ecs.task-definition-version": "2"
    },
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 10, "Memory": 128},
    "CreatedAt": "2020-10-08T20:09:11.44527186Z",
    "StartedAt": "2020-10-08T20:09:11.44527186Z",
    "Type": "NORMAL",
    "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["192.0.2.3"], "AttachmentIndex": 0,
                  "IPv4SubnetCIDRBlock": "192.0.2.0/24", "PrivateDNSName": "ip-10-0-0-222.us-west-2.compute.internal",
                  "SubnetGatewayIpv4Address": "192.0.2.0/24"}],
    "ContainerARN": "arn:aws:ecs:us-west-2:111122223333:container/05966557-f16c-49cb-9352-24b3a0dcd0e1",
    "LogOptions": {"awslogs-create-group": "true", "awslogs-group": "/ecs/containerlogs"},
    "LogDriver": "awslogs",
    "Snapshotter": "overlayfs"
})";

struct Parsed {
  int rc;
  kilt_identity id;
  std::string err;
};

Parsed Parse(const std::string& json) {
  Parsed p{};
  char err[256] = "";
  p.rc = kilt_parse_ecs_metadata(json.data(), json.size(), &p.id, err, sizeof err);
  p.err = err;
  return p;
}

std::string CgroupId(const std::string& text) {
  char id[16] = "";
  if (kilt_container_id_from_cgroup(text.data(), text.size(), id, sizeof id) != 0) return "<none>";
  return id;
}

// A loopback HTTP server on an ephemeral port that answers each connection with a canned response (or,
// with `silent`, accepts and never answers). Runs on its own thread until destroyed.
class FakeEndpoint {
 public:
  explicit FakeEndpoint(std::string response, bool silent = false)
      : response_(std::move(response)), silent_(silent) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 8) == 0);
    socklen_t l = sizeof a;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &l) == 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeEndpoint() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string LastRequest() {
    std::lock_guard<std::mutex> g(mu_);
    return last_request_;
  }
  int Connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      connections_++;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t r = read(c, buf, sizeof buf);
        if (r <= 0) break;
        req.append(buf, static_cast<size_t>(r));
      }
      {
        std::lock_guard<std::mutex> g(mu_);
        last_request_ = req;
      }
      if (silent_) {
        // Hold the connection open without answering until the client gives up.
        while (read(c, buf, sizeof buf) > 0) {
        }
      } else {
        (void)!write(c, response_.data(), response_.size());
      }
      close(c);
    }
  }
  std::string response_;
  bool silent_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::string last_request_;
  std::thread thread_;
};

struct Got {
  int rc;
  std::string body;
  std::string err;
};

Got Get(const std::string& url, int timeout_ms = 2000, size_t cap = 65536) {
  std::string body(cap, '\0');
  char err[256] = "";
  size_t len = 0;
  Got g{};
  g.rc = kilt_http_get(url.c_str(), timeout_ms, &body[0], cap, &len, err, sizeof err);
  if (g.rc == 0) g.body.assign(body.data(), len);
  g.err = err;
  return g;
}

std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// A fake environment for kilt_resolve_identity.
struct FakeEnv {
  static std::map<std::string, std::string> vars;
  static std::string cgroup;
  static std::string host;
  static const char* Getenv(const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
  static long ReadFile(const char*, char* buf, size_t cap) {
    size_t n = std::min(cap, cgroup.size());
    memcpy(buf, cgroup.data(), n);
    return static_cast<long>(n);
  }
  static int Hostname(char* buf, size_t cap) {
    snprintf(buf, cap, "%s", host.c_str());
    return 0;
  }
};
std::map<std::string, std::string> FakeEnv::vars;
std::string FakeEnv::cgroup;
std::string FakeEnv::host;

struct Resolved {
  kilt_identity id;
  std::string note;
};

Resolved Resolve(std::map<std::string, std::string> vars, std::string cgroup = "0::/\n",
                 std::string host = "ip-10-0-1-23") {
  FakeEnv::vars = std::move(vars);
  FakeEnv::cgroup = std::move(cgroup);
  FakeEnv::host = std::move(host);
  kilt_identity_env env{FakeEnv::Getenv, FakeEnv::ReadFile, FakeEnv::Hostname, 500, 2};
  Resolved r{};
  char note[1024];
  kilt_resolve_identity(&env, &r.id, note, sizeof note);
  r.note = note;
  return r;
}

}  // namespace

TEST_CASE("ECS metadata: DockerId, Name, Image and the task ARN label of a real answer") {
  Parsed p = Parse(kEcsContainer);
  REQUIRE(p.rc == 0);
  CHECK(std::string(p.id.id) == "cd189a933e5849daa93386466019ab50-2495160603");
  CHECK(std::string(p.id.name) == "curl");
  CHECK(std::string(p.id.image) == "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest");
  CHECK(std::string(p.id.task) == "arn:aws:ecs:us-west-2:111122223333:task/default/cd189a933e5849daa93386466019ab50");
}

TEST_CASE("ECS metadata: escapes are decoded, nested values skipped, only top-level keys count") {
  Parsed p = Parse(R"({"Nested": {"DockerId": "wrong", "Name": ["x", {"y": null}]}, "Name": "a\"b\\c\/d\u00e9\ud83d\ude00",
                      "DockerId": "id1", "Image": "img", "Labels": {"other": 1, "com.amazonaws.ecs.task-arn": "arn"},
                      "n": -1.5e3, "t": true, "f": false, "z": null, "e": {}, "a": []})");
  REQUIRE(p.rc == 0);
  CHECK(std::string(p.id.id) == "id1");
  CHECK(std::string(p.id.name) == "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(std::string(p.id.task) == "arn");
}

TEST_CASE("ECS metadata: a non-string field is ignored, a lone surrogate becomes U+FFFD") {
  Parsed p = Parse(R"({"DockerId": "x", "Name": 42, "Image": "\ud800z", "Labels": "not an object"})");
  REQUIRE(p.rc == 0);
  CHECK(std::string(p.id.name).empty());
  CHECK(std::string(p.id.image) == "\xef\xbf\xbdz");
  CHECK(std::string(p.id.task).empty());
}

TEST_CASE("ECS metadata: malformed answers are errors with a reason, and leave the identity alone") {
  for (const char* bad : {"", "[]", "{", "{\"DockerId\": \"x\"", "{\"DockerId\": \"x\",}", "{\"DockerId\": x}",
                          "{\"DockerId\": \"x\"} trailing", "{\"DockerId\": \"a\nb\"}", "{\"DockerId\": \"\\q\"}",
                          "{\"DockerId\": \"\\u12\"}", "{\"Name\": \"only\"}", "{\"DockerId\": \"\"}"}) {
    CAPTURE(bad);
    kilt_identity id{};
    strcpy(id.name, "kept");
    char err[256] = "";
    CHECK(kilt_parse_ecs_metadata(bad, strlen(bad), &id, err, sizeof err) == -1);
    CHECK(std::string(err).size() > 0);
    CHECK(std::string(id.name) == "kept");
  }
}

TEST_CASE("ECS metadata: deep nesting is refused, not recursed into without bound") {
  std::string deep = "{\"a\": " + std::string(10000, '[') + std::string(10000, ']') + ", \"DockerId\": \"x\"}";
  CHECK(Parse(deep).rc == -1);
  std::string ok = "{\"a\": " + std::string(30, '[') + std::string(30, ']') + ", \"DockerId\": \"x\"}";
  CHECK(Parse(ok).rc == 0);
}

TEST_CASE("ECS metadata: over-long values are truncated to the field, not overflowing it") {
  std::string longimg(5000, 'i');
  Parsed p = Parse("{\"DockerId\": \"x\", \"Image\": \"" + longimg + "\"}");
  REQUIRE(p.rc == 0);
  CHECK(std::string(p.id.image) == std::string(KILT_ID_FIELD - 1, 'i'));
}

TEST_CASE("cgroup: the container id of docker, containerd, cri-o, systemd scopes and kubepods paths") {
  const std::string id64 = "3f4b1a8f9e2d4c6b8a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3";
  CHECK(CgroupId("12:cpuset:/docker/" + id64 + "\n") == "3f4b1a8f9e2d");
  CHECK(CgroupId("0::/system.slice/docker-" + id64 + ".scope\n") == "3f4b1a8f9e2d");
  CHECK(CgroupId("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-" +
                 id64 + ".scope\n") == "3f4b1a8f9e2d");
  CHECK(CgroupId("11:memory:/kubepods/burstable/pod5c2b7d1e-0000-1111-2222-333344445555/" + id64 + "\n") ==
        "3f4b1a8f9e2d");
  CHECK(CgroupId("2:cpu:/\n1:name=systemd:/docker/" + id64 + "\n") == "3f4b1a8f9e2d");
}

TEST_CASE("cgroup: nothing when no path names a container") {
  CHECK(CgroupId("0::/\n") == "<none>");
  CHECK(CgroupId("") == "<none>");
  CHECK(CgroupId("0::/user.slice/user-0.slice/session-1.scope\n") == "<none>");
  CHECK(CgroupId("12:cpuset:/ecs/cd189a933e5849daa93386466019ab50/cd189a933e5849daa93386466019ab50-2495160603\n") ==
        "<none>");
  CHECK(CgroupId("0::/docker/" + std::string(63, 'a') + "\n") == "<none>");
  CHECK(CgroupId("0::/docker/" + std::string(65, 'a') + "\n") == "<none>");
  CHECK(CgroupId("garbage without colons") == "<none>");
}

TEST_CASE("URL: the last path element") {
  char out[128];
  REQUIRE(kilt_url_last_element("http://169.254.170.2/v4/cd18-249", out, sizeof out) == 0);
  CHECK(std::string(out) == "cd18-249");
  REQUIRE(kilt_url_last_element("http://h/v4/abc/?x=1", out, sizeof out) == 0);
  CHECK(std::string(out) == "abc");
  CHECK(kilt_url_last_element("http://169.254.170.2", out, sizeof out) == -1);
  CHECK(kilt_url_last_element("http://169.254.170.2/", out, sizeof out) == -1);
}

TEST_CASE("HTTP GET: the body of a 200 from a loopback endpoint, with an HTTP/1.0 request") {
  FakeEndpoint ep(Ok(kEcsContainer));
  Got g = Get(ep.Url("/v4/cd189a933e5849daa93386466019ab50-2495160603"));
  REQUIRE(g.rc == 0);
  CHECK(g.body == kEcsContainer);
  std::string req = ep.LastRequest();
  CHECK(req.rfind("GET /v4/cd189a933e5849daa93386466019ab50-2495160603 HTTP/1.0\r\n", 0) == 0);
  CHECK(req.find("\r\nHost: 127.0.0.1\r\n") != std::string::npos);
}

TEST_CASE("HTTP GET: chunked bodies are decoded; bodies without a length end at close") {
  {
    FakeEndpoint ep("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
    Got g = Get(ep.Url("/"));
    REQUIRE(g.rc == 0);
    CHECK(g.body == "hello, world");
  }
  {
    FakeEndpoint ep("HTTP/1.0 200 OK\r\n\r\n{\"DockerId\": \"x\"}");
    Got g = Get(ep.Url(""));
    REQUIRE(g.rc == 0);
    CHECK(g.body == "{\"DockerId\": \"x\"}");
  }
}

TEST_CASE("HTTP GET: failures say why") {
  {
    FakeEndpoint ep("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    Got g = Get(ep.Url("/v4/x"));
    CHECK(g.rc == -1);
    CHECK(g.err == "HTTP 404 from 127.0.0.1");
  }
  {
    FakeEndpoint ep("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
    CHECK(Get(ep.Url("/")).err == "short body from 127.0.0.1");
  }
  {
    FakeEndpoint ep("SSH-2.0-OpenSSH\r\n");
    CHECK(Get(ep.Url("/")).err == "not an HTTP response from 127.0.0.1");
  }
  {
    FakeEndpoint ep(Ok(std::string(100, 'x')));
    CHECK(Get(ep.Url("/"), 2000, 50).err == "response body too large for its buffer");
  }
  CHECK(Get("https://169.254.170.2/v4").err == "not an http:// URL: https://169.254.170.2/v4");
  CHECK(Get("http://:80/").err == "bad host in URL: http://:80/");
  CHECK(Get("http://127.0.0.1:x/").err == "bad port in URL: http://127.0.0.1:x/");
  CHECK(Get("http://no-such-host.invalid/").err.rfind("cannot resolve no-such-host.invalid", 0) == 0);
}

TEST_CASE("HTTP GET: a refused connection is reported at once") {
  int port;
  {
    // An ephemeral port that nobody listens on any more.
    FakeEndpoint ep("");
    port = std::stoi(ep.Url("").substr(strlen("http://127.0.0.1:")));
  }
  Got g = Get("http://127.0.0.1:" + std::to_string(port) + "/v4/x");
  CHECK(g.rc == -1);
  CHECK(g.err == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST_CASE("HTTP GET: an endpoint that never answers is given up after the timeout") {
  FakeEndpoint ep("", /*silent=*/true);
  auto t0 = std::chrono::steady_clock::now();
  Got g = Get(ep.Url("/v4/x"), 300);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(g.rc == -1);
  CHECK(g.err == "no answer from 127.0.0.1 within 300 ms");
  CHECK(ms >= 250);
  CHECK(ms < 2000);
}

TEST_CASE("identity on ECS: from the metadata endpoint") {
  FakeEndpoint ep(Ok(kEcsContainer));
  Resolved r = Resolve({{"ECS_CONTAINER_METADATA_URI_V4", ep.Url("/v4/cd189a933e5849daa93386466019ab50-2495160603")}});
  CHECK(std::string(r.id.id) == "cd189a933e5849daa93386466019ab50-2495160603");
  CHECK(std::string(r.id.name) == "curl");
  CHECK(std::string(r.id.image) == "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest");
  CHECK(std::string(r.id.task).rfind("arn:aws:ecs:us-west-2:111122223333:task/", 0) == 0);
  CHECK(std::string(r.id.platform) == "ecs");
  CHECK(std::string(r.id.source) == "ECS task metadata v4");
  CHECK(r.note.empty());
}

TEST_CASE("identity on ECS: variables already set win over the metadata; nothing is fetched when all are set") {
  FakeEndpoint ep(Ok(kEcsContainer));
  Resolved r = Resolve({{"ECS_CONTAINER_METADATA_URI_V4", ep.Url("/v4/x")}, {"KILT_CONTAINER_NAME", "override"}});
  CHECK(std::string(r.id.name) == "override");
  CHECK(std::string(r.id.image) == "111122223333.dkr.ecr.us-west-2.amazonaws.com/curltest:latest");
  Resolved all = Resolve({{"ECS_CONTAINER_METADATA_URI_V4", ep.Url("/v4/x")},
                          {"KILT_CONTAINER_ID", "i"},
                          {"KILT_CONTAINER_NAME", "n"},
                          {"KILT_CONTAINER_IMAGE", "m"},
                          {"KILT_TASK", "t"}});
  CHECK(std::string(all.id.id) == "i");
  CHECK(ep.Connections() == 1);
}

TEST_CASE("identity on ECS: when the endpoint fails, a clear note and the URI's container id") {
  FakeEndpoint ep("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  Resolved r = Resolve({{"ECS_CONTAINER_METADATA_URI_V4", ep.Url("/v4/cd189a933e5849daa93386466019ab50-2495160603")}});
  CHECK(std::string(r.id.id) == "cd189a933e5849daa93386466019ab50-2495160603");
  CHECK(std::string(r.id.name) == "ip-10-0-1-23");
  CHECK(std::string(r.id.image) == "unknown");
  CHECK(std::string(r.id.platform) == "ecs");
  CHECK(r.note == "ECS task metadata unavailable (HTTP 500 from 127.0.0.1); using fallbacks");
  CHECK(ep.Connections() == 2);  // the attempts of the fake environment
}

TEST_CASE("identity on ECS: a malformed answer is a failure too") {
  FakeEndpoint ep(Ok("{\"Name\": \"no id\"}"));
  Resolved r = Resolve({{"ECS_CONTAINER_METADATA_URI_V4", ep.Url("/v4/abc-1")}});
  CHECK(std::string(r.id.id) == "abc-1");
  CHECK(r.note == "ECS task metadata unavailable (the metadata has no DockerId); using fallbacks");
}

TEST_CASE("identity on EKS: the Downward-API variables the webhook adds") {
  const std::string id64(64, 'b');
  Resolved r = Resolve({{"KILT_POD_NAME", "web-7d9f"},
                        {"KILT_POD_NAMESPACE", "shop"},
                        {"KILT_POD_UID", "5c2b7d1e-0000-1111-2222-333344445555"},
                        {"KILT_CONTAINER_NAME", "app"},
                        {"KILT_CONTAINER_IMAGE", "registry.example/shop/web:1.2"}},
                       "0::/kubepods/pod5c2b/" + id64 + "\n", "web-7d9f");
  CHECK(std::string(r.id.id) == "bbbbbbbbbbbb");
  CHECK(std::string(r.id.name) == "app");
  CHECK(std::string(r.id.image) == "registry.example/shop/web:1.2");
  CHECK(std::string(r.id.task) == "shop/web-7d9f");
  CHECK(std::string(r.id.platform) == "eks");
  CHECK(r.note.empty());
  // cgroup v2 with a private namespace names no container: the pod's uid and the container's name.
  Resolved v2 = Resolve({{"KILT_POD_NAME", "web-7d9f"},
                         {"KILT_POD_NAMESPACE", "shop"},
                         {"KILT_POD_UID", "5c2b7d1e-0000-1111-2222-333344445555"},
                         {"KILT_CONTAINER_NAME", "app"},
                         {"KILT_CONTAINER_IMAGE", "registry.example/shop/web:1.2"}});
  CHECK(std::string(v2.id.id) == "5c2b7d1e-0000-1111-2222-333344445555/app");
}

TEST_CASE("identity on EKS without the webhook's container variables: a note, hostname fallbacks") {
  Resolved r = Resolve({{"KILT_POD_NAME", "web-7d9f"}}, "0::/\n", "web-7d9f");
  CHECK(std::string(r.id.name) == "web-7d9f");
  CHECK(std::string(r.id.image) == "unknown");
  CHECK(std::string(r.id.task) == "default/web-7d9f");
  CHECK(r.note == "KILT_CONTAINER_NAME or KILT_CONTAINER_IMAGE is not set (the webhook adds them)");
}

TEST_CASE("identity elsewhere: cgroup id or hostname; every field non-empty") {
  Resolved r = Resolve({}, "0::/\n", "a1b2c3d4e5f6");
  CHECK(std::string(r.id.id) == "a1b2c3d4e5f6");
  CHECK(std::string(r.id.name) == "a1b2c3d4e5f6");
  CHECK(std::string(r.id.image) == "unknown");
  CHECK(std::string(r.id.platform) == "none");
  CHECK(std::string(r.id.source) == "hostname");
  CHECK(std::string(r.id.task) == "none");
  Resolved c = Resolve({}, "0::/docker/" + std::string(64, 'c') + "\n", "h");
  CHECK(std::string(c.id.id) == "cccccccccccc");
  CHECK(std::string(c.id.name) == "h");
  Resolved none = Resolve({}, "", "");
  CHECK(std::string(none.id.id) == "unknown");
  CHECK(std::string(none.id.name) == "unknown");
}

TEST_CASE("identity: '$', '%' and control characters never reach Falco's ${VAR} substitution or formats") {
  Resolved r = Resolve({{"KILT_CONTAINER_IMAGE", "evil${KILT_CONTAINER_IMAGE}"},
                        {"KILT_CONTAINER_NAME", "a\nb"},
                        {"KILT_TASK", "t%proc.name"}});
  CHECK(std::string(r.id.image) == "evil_{KILT_CONTAINER_IMAGE}");
  CHECK(std::string(r.id.name) == "a_b");
  CHECK(std::string(r.id.task) == "t_proc.name");
}
