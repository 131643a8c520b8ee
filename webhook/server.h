// The HTTPS server: a fixed pool of worker threads that all wait in one epoll instance holding the
// listener and every connection that waits for its client (EPOLLONESHOT). Each connection is a small
// state machine (TLS handshake → request → response → next request, or close) driven by non-blocking
// I/O: the worker woken for an event does what the bytes at hand allow — handshake steps, reading,
// running the handler, writing — and parks the connection in epoll again as soon as it would wait.
// The thread calling Run() only takes signals and runs a tick (deadlines, certificate reload).
//
// Why this shape: an admission request is CPU-bound and short (parse, patch: tens of microseconds), so
// the worker that read a request runs the review and writes the answer itself (no hand-off between
// threads on the request path: an earlier event-thread + queue design spent more in context switches
// than in the review). And no client holds a worker while it is silent or slow: a connection that has
// not sent its ClientHello, or sends its request a byte a second, waits in epoll, costing a descriptor
// and a few KiB until its phase's deadline, never a thread (8 silent clients used to hold all 8 workers
// for 10 s, so /healthz and every review waited). Connections are capped; at the cap, and when the
// process runs out of descriptors, the listener is paused (logged) instead of spinning on accept().
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
  int handshake_timeout_ms = 5000;  // a TLS handshake must be done this long after accept
  int request_timeout_ms = 10000;   // a request must arrive whole within this (from its first byte, or
                                    // from the handshake for a connection's first request); an answer
                                    // must be taken within this too
  int idle_timeout_ms = 90000;      // keep-alive connections with no request are closed after this
  int max_connections = 1024;       // at the cap the listener pauses until a connection closes
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
