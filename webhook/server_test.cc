#include "webhook/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kilt::webhook {
namespace {

// The real server on an ephemeral loopback port with a fresh self-signed certificate, run in a
// thread and stopped as Kubernetes stops it: SIGTERM, which Run() takes through its signalfd.
class TestServer {
 public:
  TestServer() {
    char tmpl[] = "/tmp/kilt-server-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir_ = tmpl;
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir_ +
                      "/tls.key -out " + dir_ + "/tls.crt -days 1 -subj /CN=127.0.0.1 2>/dev/null";
    REQUIRE(system(cmd.c_str()) == 0);
    tls_ = std::make_unique<TlsStore>(dir_ + "/tls.crt", dir_ + "/tls.key");
    std::string err;
    REQUIRE(tls_->Load(&err));
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.workers = 2;
    server_ = std::make_unique<Server>(config, tls_.get(), &metrics_, [](const ServerRequest& r) {
      return ServerResponse{200, "text/plain", r.method + " " + r.path + " " + r.body};
    });
    REQUIRE(server_->Listen(&err));
    // Blocked here, so blocked in the Run thread and its workers, which inherit the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    signal(SIGPIPE, SIG_IGN);  // as main() does: a peer that left must not kill the process
    thread_ = std::thread([this] { status_ = server_->Run(); });
  }

  ~TestServer() {
    if (thread_.joinable()) Stop();
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    if (system(("rm -rf " + dir_).c_str()) != 0) WARN("could not remove " << dir_);
  }

  // Sends SIGTERM to the Run thread (pending until its signalfd reads it) and returns Run's status.
  int Stop() {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    return status_;
  }

  int port() const { return server_->port(); }

 private:
  std::string dir_;
  std::unique_ptr<TlsStore> tls_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  sigset_t old_mask_;
  std::thread thread_;
  int status_ = -1;
};

// A TLS client (no certificate check: this is about the server's I/O) whose reads time out, so a
// server that never answers fails the test instead of hanging it.
class Client {
 public:
  explicit Client(int port) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval tv = {10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
  }
  ~Client() {
    SSL_free(ssl_);
    close(fd_);
    SSL_CTX_free(ctx_);
  }

  // One SSL_write: one TLS record for these sizes.
  void Send(const std::string& data) {
    REQUIRE(SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
            static_cast<int>(data.size()));
  }

  // Reads until n whole answers (Content-Length bodies) arrived, or the connection ends or times
  // out; returns the bodies read.
  std::vector<std::string> Receive(size_t n) {
    std::vector<std::string> bodies;
    char buf[4096];
    while (bodies.size() < n) {
      size_t head_end = in_.find("\r\n\r\n");
      size_t length_at = in_.find("Content-Length: ");
      if (head_end != std::string::npos && length_at < head_end) {
        size_t length = std::stoul(in_.substr(length_at + 16));
        if (in_.size() >= head_end + 4 + length) {
          bodies.push_back(in_.substr(head_end + 4, length));
          in_.erase(0, head_end + 4 + length);
          continue;
        }
      }
      int r = SSL_read(ssl_, buf, sizeof buf);
      if (r <= 0) break;
      in_.append(buf, static_cast<size_t>(r));
    }
    return bodies;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string in_;
};

std::string Post(const std::string& body) {
  return "POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

using Bodies = std::vector<std::string>;

// The server reads ahead (OpenSSL buffers whatever the socket holds): a second request that arrived
// with the first must be served from that buffer, since epoll will never report it.
TEST_CASE(
    "one keep-alive connection: requests one at a time, in one record, in back-to-back records") {
  TestServer server;
  Client client(server.port());
  client.Send(Post("a"));
  CHECK(client.Receive(1) == Bodies{"POST /mutate a"});
  client.Send(Post("b") + Post("c"));
  CHECK(client.Receive(2) == Bodies{"POST /mutate b", "POST /mutate c"});
  client.Send(Post("d"));
  client.Send(Post(std::string(20000, 'e')));  // spans two TLS records
  client.Send(Post("f"));
  Bodies got = client.Receive(3);
  REQUIRE(got.size() == 3);
  CHECK(got[0] == "POST /mutate d");
  CHECK(got[1] == "POST /mutate " + std::string(20000, 'e'));
  CHECK(got[2] == "POST /mutate f");
  // Idle in epoll again, then the next request.
  client.Send(Post("g"));
  CHECK(client.Receive(1) == Bodies{"POST /mutate g"});
  CHECK(server.Stop() == 0);
}

// More open connections than workers: a connection waits in epoll between requests, not in a
// worker. (Each client sends right after its handshake, as the apiserver does: a worker waits for
// the first request of a new connection, for at most request_timeout_ms.)
TEST_CASE("more keep-alive connections than workers") {
  TestServer server;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; i++) {
    clients.push_back(std::make_unique<Client>(server.port()));
    clients.back()->Send(Post(std::to_string(i)));
  }
  for (int i = 0; i < 5; i++) clients[i]->Send(Post("again"));
  for (int i = 0; i < 5; i++)
    CHECK(clients[i]->Receive(2) ==
          Bodies{"POST /mutate " + std::to_string(i), "POST /mutate again"});
  CHECK(server.Stop() == 0);
}

}  // namespace
}  // namespace kilt::webhook
