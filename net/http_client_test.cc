#include "net/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

namespace kilt::net {
namespace {

// A one-shot loopback server: accepts one connection, records the request (headers and a
// Content-Length body), writes `reply` verbatim, then either closes or, with hold_open, waits for
// the client to close first (to exercise read timeouts without sleeping).
class CannedServer {
 public:
  explicit CannedServer(std::string reply, bool hold_open = false)
      : reply_(std::move(reply)), hold_open_(hold_open) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(listen(listen_fd_, 4) == 0);
    socklen_t len = sizeof(a);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    shutdown(listen_fd_, SHUT_RDWR);  // unblocks accept() when the client never connected
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Valid after the client call returned (the server thread is joined in the destructor, so the
  // tests read it only through Join()).
  const std::string& Join() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buf[65536];
    size_t need = std::string::npos;
    for (;;) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      request_.append(buf, static_cast<size_t>(n));
      size_t end = request_.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      if (need == std::string::npos) {
        size_t body = 0;
        size_t cl = request_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) body = std::stoul(request_.substr(cl + 16));
        need = end + 4 + body;
      }
      if (request_.size() >= need) break;
    }
    size_t off = 0;
    while (off < reply_.size()) {
      ssize_t n = write(fd, reply_.data() + off, reply_.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    if (hold_open_) {
      while (read(fd, buf, sizeof(buf)) > 0) {
      }
    }
    close(fd);
  }

  std::string reply_;
  bool hold_open_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

TEST_CASE("ParseUrl splits http and https URLs") {
  Url u;
  std::string err;
  REQUIRE(ParseUrl("https://registry-1.docker.io/v2/library/nginx/manifests/1.25", &u, &err));
  CHECK(u.scheme == "https");
  CHECK(u.host == "registry-1.docker.io");
  CHECK(u.port == 443);
  CHECK(u.path == "/v2/library/nginx/manifests/1.25");
  CHECK(u.Target() == u.path);
  CHECK(u.HostHeader() == "registry-1.docker.io");

  REQUIRE(ParseUrl("http://127.0.0.1:9001/2018-06-01/runtime/invocation/next?x=1#frag", &u, &err));
  CHECK(u.port == 9001);
  CHECK(u.path == "/2018-06-01/runtime/invocation/next");
  CHECK(u.query == "x=1");
  CHECK(u.Target() == "/2018-06-01/runtime/invocation/next?x=1");
  CHECK(u.HostHeader() == "127.0.0.1:9001");

  REQUIRE(ParseUrl("http://[::1]:8080", &u, &err));
  CHECK(u.host == "::1");
  CHECK(u.Target() == "/");
  CHECK(u.HostHeader() == "[::1]:8080");

  REQUIRE(ParseUrl("HTTP://example.com", &u, &err));
  CHECK(u.scheme == "http");
  CHECK(u.port == 80);
}

TEST_CASE("ResolveLocation follows a redirect's Location as a browser would") {
  Url u;
  std::string err;
  REQUIRE(ParseUrl("https://r.example:5000/v2/app/blobs/sha256:1?x=1", &u, &err));
  CHECK(ResolveLocation(u, "https://storage.example/b?sig=abc") == "https://storage.example/b?sig=abc");
  CHECK(ResolveLocation(u, "//cdn.example/b") == "https://cdn.example/b");
  CHECK(ResolveLocation(u, "/other") == "https://r.example:5000/other");
  CHECK(ResolveLocation(u, "sha256:2") == "https://r.example:5000/v2/app/blobs/sha256:2");
}

TEST_CASE("ParseUrl rejects what it cannot fetch, saying why") {
  Url u;
  std::string err;
  CHECK_FALSE(ParseUrl("ftp://example.com/x", &u, &err));
  CHECK(err.find("http or https") != std::string::npos);
  CHECK_FALSE(ParseUrl("example.com/x", &u, &err));
  CHECK_FALSE(ParseUrl("", &u, &err));
  CHECK_FALSE(ParseUrl("https://user:secret@example.com/", &u, &err));
  CHECK(err.find("secret") == std::string::npos);  // never echo credentials
  CHECK_FALSE(ParseUrl("http://example.com:0/", &u, &err));
}

TEST_CASE("a Content-Length response is read, and the request is framed") {
  CannedServer server(
      "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nX-Id: abc\r\nContent-Length: "
      "5\r\n\r\nhello");
  HttpRequest req;
  req.method = "POST";
  req.url = server.url("/runtime/invocation/r1/response");
  req.headers = {{"Content-Type", "application/json"}, {"Content-Length", "999"}};
  req.body = "{\"a\":1}";
  HttpResponse resp;
  std::string err;
  REQUIRE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(resp.status == 202);
  CHECK(resp.body == "hello");
  CHECK(resp.Header("x-id") == "abc");
  CHECK(resp.Header("missing").empty());
  const std::string& sent = server.Join();
  CHECK(sent.rfind("POST /runtime/invocation/r1/response HTTP/1.1\r\n", 0) == 0);
  CHECK(sent.find("\r\nHost: 127.0.0.1:") != std::string::npos);
  CHECK(sent.find("Content-Length: 7\r\n") != std::string::npos);
  CHECK(sent.find("999") == std::string::npos);  // the client owns framing
  CHECK(sent.substr(sent.size() - 7) == "{\"a\":1}");
}

TEST_CASE("a chunked response is de-chunked") {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n");
  HttpRequest req;
  req.url = server.url();
  HttpResponse resp;
  std::string err;
  REQUIRE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(resp.body == "Wikipedia in \r\n\r\nchunks.");
}

TEST_CASE("a body delimited by connection close is read to the end") {
  CannedServer server("HTTP/1.0 200 OK\r\n\r\nall of it");
  HttpRequest req;
  req.url = server.url();
  HttpResponse resp;
  std::string err;
  REQUIRE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(resp.body == "all of it");
}

TEST_CASE("a HEAD response has no body even with Content-Length") {
  CannedServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDocker-Content-Digest: sha256:x\r\n\r\n",
      /*hold_open=*/true);
  HttpRequest req;
  req.method = "HEAD";
  req.url = server.url();
  HttpResponse resp;
  std::string err;
  REQUIRE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(resp.status == 200);
  CHECK(resp.body.empty());
  CHECK(resp.Header("docker-content-digest") == "sha256:x");
}

TEST_CASE("the response size cap is enforced") {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  HttpRequest req;
  req.url = server.url();
  HttpOptions opts;
  opts.max_response_bytes = 10;
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, opts, &resp, &err));
  CHECK(err.find("larger than 10 bytes") != std::string::npos);
  CHECK(err.find("GET http://127.0.0.1:") == 0);
}

TEST_CASE("a truncated body is an error, not a short success") {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  HttpRequest req;
  req.url = server.url();
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(err.find("127.0.0.1") != std::string::npos);
}

TEST_CASE("a silent server hits the read timeout") {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", /*hold_open=*/true);
  HttpRequest req;
  req.url = server.url();
  HttpOptions opts;
  opts.read_timeout_ms = 100;
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, opts, &resp, &err));
  CHECK(err.find("read from 127.0.0.1: timed out") != std::string::npos);
}

TEST_CASE("a deadline in the past fails before anything is read") {
  CannedServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", /*hold_open=*/true);
  HttpRequest req;
  req.url = server.url();
  HttpOptions opts;
  opts.read_timeout_ms = 0;
  opts.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, opts, &resp, &err));
  CHECK(err.find("timed out") != std::string::npos);
}

TEST_CASE("connection refused names the host and port") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  close(fd);  // nothing listens there now
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(err == "GET http://127.0.0.1:" + std::to_string(port) +
                   "/x: connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST_CASE("header injection is refused") {
  HttpRequest req;
  req.url = "http://127.0.0.1:1/";
  req.headers = {{"X-A", "b\r\nEvil: 1"}};
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(err.find("invalid request header") != std::string::npos);
}

TEST_CASE("a malformed status line is reported") {
  CannedServer server("SMTP ready\r\n\r\n");
  HttpRequest req;
  req.url = server.url();
  HttpResponse resp;
  std::string err;
  CHECK_FALSE(HttpFetch(req, HttpOptions(), &resp, &err));
  CHECK(err.find("malformed response") != std::string::npos);
}

}  // namespace
}  // namespace kilt::net
