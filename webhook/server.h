// The HTTPS server: a fixed pool of worker threads that all wait in one epoll instance (the listener
// and idle keep-alive connections, EPOLLONESHOT); the worker woken for an event accepts or reads,
// runs the handler and writes the answer itself, with blocking-style I/O under a deadline. The
// thread calling Run() only takes signals and runs a 1 s tick (certificate reload, idle timeouts).
//
// Why this shape: an admission request is CPU-bound and short (parse, patch, diff: tens of
// microseconds), so a small pool keeps the code straight-line and easy to reason about, while idle
// keep-alive connections (the apiserver keeps them) cost no thread because they wait in epoll. No
// hand-off between threads on the request path (an earlier event-thread + queue design spent more
// in context switches than in the review). The price is that a slow client occupies a worker for at
// most request_timeout_ms; the pool is sized so a few of them cannot starve the apiserver (see
// docs/webhook.md).
#ifndef KILT_WEBHOOK_SERVER_H_
#define KILT_WEBHOOK_SERVER_H_

#include <atomic>
#include <functional>
#include <string>

#include "webhook/http_request.h"
#include "webhook/metrics.h"
#include "webhook/tls_store.h"

namespace kilt::webhook {

// What a handler answers to a ServerRequest.
struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct ServerConfig {
  std::string listen = "0.0.0.0:8443";  // ADDR:PORT; port 0 picks a free one (tests)
  int workers = 8;
  size_t max_body_bytes = 3 << 20;
  int request_timeout_ms = 10000;  // TLS handshake + one whole request must arrive within this
  int idle_timeout_ms = 90000;     // keep-alive connections with no request are closed after this
  int max_connections = 1024;
  int shutdown_delay_ms = 0;     // after SIGTERM: keep serving (not ready) this long, then stop accepting
  int shutdown_grace_ms = 25000;  // then wait at most this long for requests in flight
};

class Server {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;

  Server(ServerConfig config, TlsStore* tls, Metrics* metrics, Handler handler);
  ~Server();

  // Binds and listens. Signals SIGTERM/SIGINT must already be blocked in every thread (main does it
  // before creating any), so that Run() receives them through a signalfd.
  [[nodiscard]] bool Listen(std::string* err);
  int port() const { return port_; }

  // Serves until SIGTERM or SIGINT, then drains. Returns the process exit status.
  int Run();

  // False once shutdown began (for /readyz).
  bool ready() const { return !draining_.load(); }

 private:
  class Impl;
  Impl* impl_;
  ServerConfig config_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_SERVER_H_
