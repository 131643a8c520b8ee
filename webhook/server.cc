#include "webhook/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <thread>
#include <vector>

#include "webhook/log.h"

namespace kilt::webhook {

using Clock = std::chrono::steady_clock;

namespace {

// One client connection. Owned by exactly one place at a time: a worker while busy, the idle map
// while waiting in epoll.
struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaken = false;
  bool registered = false;  // added to epoll once
  uint64_t id = 0;          // its epoll tag (see Server::Impl::kFirstConnId)
  std::string pending;      // bytes read past the end of the previous request (pipelining)
  Clock::time_point idle_since;
  ~Conn() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) close(fd);
  }
};

int RemainingMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

enum class IoResult { kOk, kEof, kTimeout, kError };

// Waits until an SSL call that said WANT_READ/WANT_WRITE can make progress.
IoResult WaitFor(Conn* c, int ssl_err, Clock::time_point deadline) {
  struct pollfd p = {c->fd, static_cast<short>(ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
  for (;;) {
    int ms = RemainingMs(deadline);
    if (ms == 0) return IoResult::kTimeout;
    int n = poll(&p, 1, ms);
    if (n > 0) return IoResult::kOk;
    if (n == 0) return IoResult::kTimeout;
    if (errno != EINTR) return IoResult::kError;
  }
}

IoResult Handshake(Conn* c, Clock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(c->ssl);
    if (r == 1) {
      c->handshaken = true;
      return IoResult::kOk;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return IoResult::kError;
    IoResult w = WaitFor(c, e, deadline);
    if (w != IoResult::kOk) return w;
  }
}

IoResult Read(Conn* c, char* buf, int len, int* got, Clock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(c->ssl, buf, len);
    if (r > 0) {
      *got = r;
      return IoResult::kOk;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) return IoResult::kEof;
    if (e == SSL_ERROR_SYSCALL && r == 0) return IoResult::kEof;
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return IoResult::kError;
    IoResult w = WaitFor(c, e, deadline);
    if (w != IoResult::kOk) return w;
  }
}

IoResult WriteAll(Conn* c, const std::string& data, Clock::time_point deadline) {
  size_t off = 0;
  while (off < data.size()) {
    ERR_clear_error();
    int r = SSL_write(c->ssl, data.data() + off, static_cast<int>(data.size() - off));
    if (r > 0) {
      off += static_cast<size_t>(r);
      continue;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return IoResult::kError;
    IoResult w = WaitFor(c, e, deadline);
    if (w != IoResult::kOk) return w;
  }
  return IoResult::kOk;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Status";
}

// Head and body in one buffer, sized once: one SSL_write, one TLS record for a typical answer.
std::string Serialize(const ServerResponse& r, bool keep_alive) {
  std::string out;
  out.reserve(128 + r.content_type.size() + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += Reason(r.status);
  out += "\r\nContent-Type: ";
  out += r.content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(r.body.size());
  out += keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  out += r.body;
  return out;
}

bool ParseListen(const std::string& listen, sockaddr_in* addr, std::string* err) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    *err = "--listen " + listen + ": expected ADDR:PORT (e.g. 0.0.0.0:8443)";
    return false;
  }
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.empty()) host = "0.0.0.0";
  char* end = nullptr;
  long p = strtol(port.c_str(), &end, 10);
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(static_cast<uint16_t>(p));
  if (port.empty() || *end || p < 0 || p > 65535 || inet_pton(AF_INET, host.c_str(), &addr->sin_addr) != 1) {
    *err = "--listen " + listen + ": expected an IPv4 ADDR:PORT (e.g. 0.0.0.0:8443)";
    return false;
  }
  return true;
}

}  // namespace

class Server::Impl {
 public:
  Impl(Server* s, TlsStore* tls, Metrics* metrics, Handler handler)
      : server_(s), tls_(tls), metrics_(metrics), handler_(std::move(handler)) {}

  Server* server_;
  TlsStore* tls_;
  Metrics* metrics_;
  Handler handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;   // shared by the workers: the listener, idle connections, the wake-up eventfd
  int signal_fd_ = -1;  // the Run thread's alone
  int wake_fd_ = -1;    // eventfd, made readable (level-triggered, never read) to stop the workers

  // Epoll entries carry a connection id, never a pointer: an event may still be on its way to a
  // worker when the Run thread's sweep closes that idle connection, and a freed pointer (or a new
  // connection at the same address) must not be mistaken for it.
  static constexpr uint64_t kListenId = 1, kWakeId = 2, kFirstConnId = 16;

  std::mutex mu_;
  std::condition_variable cv_;           // busy_ dropped (the drain waits for 0)
  std::unordered_map<uint64_t, Conn*> idle_;  // connections waiting in epoll for their next request
  uint64_t next_id_ = kFirstConnId;
  int busy_ = 0;  // connections a worker is serving
  int open_ = 0;  // all connections
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  // Leader/follower without a leader hand-off: every worker waits in epoll_wait on the same epoll
  // instance (the kernel wakes one waiter per event) and the worker that receives an event accepts
  // or reads, runs the handler and writes the answer itself. The old design had one event thread
  // queue each ready connection to a worker through a mutex + condition variable: two extra
  // context switches per keep-alive request, which on 2 cores cost more than the review itself.
  // Connections are EPOLLONESHOT, so exactly one worker owns a connection at a time.
  void Worker() {
    // One event per call: a worker takes one ready connection and leaves the others to idle workers
    // (with a batch, one thread would serve several clients in turn while others sleep).
    struct epoll_event events[1];
    // Admission log lines are held while requests keep coming and written when the worker would wait
    // (webhook/log.h): a look without waiting first, then the write, then the real wait.
    HoldLogLines(true);
    struct Flush {
      ~Flush() { HoldLogLines(false); }
    } flush_on_return;
    for (;;) {
      int n = epoll_wait(epoll_fd_, events, 1, HeldLogLines() ? 0 : -1);
      if (n == 0) {
        FlushLogLines();
        continue;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        LogLine("error", "epoll_wait failed").Str("error", strerror(errno));
        return;
      }
      for (int i = 0; i < n; i++) {
        uint64_t id = events[i].data.u64;
        if (id == kWakeId) {
          std::lock_guard<std::mutex> lock(mu_);
          if (stopping_) return;
          continue;
        }
        Conn* c = id == kListenId ? Accept() : Claim(id);
        if (c) Finish(c, Serve(c));
      }
    }
  }

  // Takes an idle connection whose next request (or EOF) arrived; null if the sweep closed it.
  Conn* Claim(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.find(id);
    if (it == idle_.end()) return nullptr;
    Conn* c = it->second;
    idle_.erase(it);
    busy_++;
    return c;
  }

  // After serving: back to epoll to wait for the next request, or closed.
  void Finish(Conn* c, bool keep) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_--;
    if (keep && !stopping_) {
      c->idle_since = Clock::now();
      idle_[c->id] = c;
      struct epoll_event ev = {};
      ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
      ev.data.u64 = c->id;
      // Armed under the lock and after the insert: a worker woken at once finds it in idle_.
      if (epoll_ctl(epoll_fd_, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) == 0) {
        c->registered = true;
      } else {
        idle_.erase(c->id);
        delete c;
        open_--;
      }
    } else {
      delete c;
      open_--;
    }
    if (busy_ == 0) cv_.notify_all();
  }

  // Serves requests on c until it should go idle (true) or be closed (false).
  bool Serve(Conn* c) {
    const auto timeout = std::chrono::milliseconds(server_->config_.request_timeout_ms);
    Clock::time_point deadline = Clock::now() + timeout;
    if (!c->handshaken) {
      IoResult r = Handshake(c, deadline);
      if (r == IoResult::kTimeout) metrics_->CountTimeout();
      if (r != IoResult::kOk) return false;
    }
    RequestParser parser(server_->config_.max_body_bytes);
    char buf[16384];
    for (;;) {
      parser.Reset();
      RequestParser::State st = RequestParser::State::kNeedMore;
      if (!c->pending.empty()) {
        size_t used = 0;
        st = parser.Feed(c->pending.data(), c->pending.size(), &used);
        c->pending.erase(0, used);
      }
      while (st == RequestParser::State::kNeedMore) {
        int got = 0;
        IoResult r = Read(c, buf, sizeof buf, &got, deadline);
        if (r == IoResult::kTimeout) {
          metrics_->CountTimeout();
          if (parser.started()) Respond(c, {408, "text/plain", "request not received in time\n"}, false, deadline + timeout);
          LogLine("warn", "request timeout").Int("after_ms", server_->config_.request_timeout_ms)
              .Str("state", parser.started() ? "partial request" : "no request");
          return false;
        }
        if (r != IoResult::kOk) return false;  // EOF or reset: nothing to answer
        size_t used = 0;
        st = parser.Feed(buf, static_cast<size_t>(got), &used);
        if (st == RequestParser::State::kDone && used < static_cast<size_t>(got))
          c->pending.append(buf + used, static_cast<size_t>(got) - used);
      }
      if (st == RequestParser::State::kError) {
        LogLine("warn", "bad request").Int("status", parser.error_status()).Str("error", parser.error());
        if (Respond(c, {parser.error_status(), "text/plain", parser.error() + "\n"}, false,
                    Clock::now() + timeout))
          LingerClose(c);
        return false;
      }
      ServerResponse resp;
      try {
        resp = handler_(parser.request());
      } catch (const std::exception& e) {
        LogLine("error", "handler failed").Str("error", e.what());
        resp = {500, "text/plain", "internal error\n"};
      }
      bool keep = parser.request().keep_alive && !server_->draining_.load();
      if (!Respond(c, resp, keep, Clock::now() + timeout)) return false;
      if (!keep) return false;
      // A pipelined request already read (or decrypted) is served now; otherwise the connection
      // waits in epoll, where whichever worker is free picks up its next request. SSL_has_pending,
      // not SSL_pending: with read-ahead, records read from the socket but not yet decrypted sit in
      // OpenSSL's buffer, where epoll cannot see them.
      if (c->pending.empty() && !SSL_has_pending(c->ssl)) return true;
      deadline = Clock::now() + timeout;  // another request follows
    }
  }

  // After an error answer the client may still be sending (a 10 MiB body): closing at once would
  // reset the connection and the client would never read the answer. Read and drop what it sends,
  // for a short while, after telling it we are done.
  void LingerClose(Conn* c) {
    SSL_shutdown(c->ssl);
    shutdown(c->fd, SHUT_WR);
    Clock::time_point until = Clock::now() + std::chrono::seconds(2);
    char buf[16384];
    size_t dropped = 0;
    int got = 0;
    while (dropped < (64u << 20) && Read(c, buf, sizeof buf, &got, until) == IoResult::kOk)
      dropped += static_cast<size_t>(got);
  }

  bool Respond(Conn* c, const ServerResponse& resp, bool keep, Clock::time_point deadline) {
    metrics_->CountHttp(resp.status);
    return WriteAll(c, Serialize(resp, keep), deadline) == IoResult::kOk;
  }

  // Accepts one connection (the listener is level-triggered: if more are waiting, epoll hands them
  // to other workers, so a burst of new connections spreads over the pool). Each connection gets
  // the SSL_CTX current at accept time, so after a certificate reload new connections use the new
  // one while established ones keep theirs.
  Conn* Accept() {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return nullptr;  // EAGAIN (another worker took it), or a transient error
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (open_ >= server_->config_.max_connections || stopping_) {
        close(fd);
        if (!stopping_)
          LogLine("warn", "connection refused: too many connections")
              .Int("max_connections", server_->config_.max_connections);
        return nullptr;
      }
      open_++;
      busy_++;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn;
    c->fd = fd;
    std::shared_ptr<SSL_CTX> ctx = tls_->Current();
    c->ssl = SSL_new(ctx.get());  // holds its own reference to ctx
    // Read-ahead: OpenSSL fills its buffer with whatever the socket holds in one read(2) instead of
    // reading each record's 5-byte header and then its body (two system calls per request).
    if (c->ssl) SSL_set_read_ahead(c->ssl, 1);
    std::lock_guard<std::mutex> lock(mu_);
    c->id = next_id_++;
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
      delete c;
      open_--;
      busy_--;
      if (busy_ == 0) cv_.notify_all();
      return nullptr;
    }
    return c;
  }

  void SweepIdle(bool all) {
    const auto limit = std::chrono::milliseconds(server_->config_.idle_timeout_ms);
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (all || now - it->second->idle_since > limit) {
        delete it->second;  // close() removes it from epoll
        open_--;
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void CheckCertificate() {
    std::string err;
    switch (tls_->MaybeReload(&err)) {
      case TlsStore::Reload::kUnchanged:
        break;
      case TlsStore::Reload::kReloaded:
        metrics_->CountTlsReload(true);
        LogLine("info", "certificate reloaded");
        break;
      case TlsStore::Reload::kFailed:
        metrics_->CountTlsReload(false);
        LogLine("error", "certificate reload failed; still serving the previous one").Str("error", err);
        break;
    }
  }
};

Server::Server(ServerConfig config, TlsStore* tls, Metrics* metrics, Handler handler)
    : impl_(new Impl(this, tls, metrics, std::move(handler))), config_(std::move(config)) {}

Server::~Server() {
  if (impl_->listen_fd_ >= 0) close(impl_->listen_fd_);
  if (impl_->epoll_fd_ >= 0) close(impl_->epoll_fd_);
  if (impl_->signal_fd_ >= 0) close(impl_->signal_fd_);
  if (impl_->wake_fd_ >= 0) close(impl_->wake_fd_);
  delete impl_;
}

bool Server::Listen(std::string* err) {
  sockaddr_in addr;
  if (!ParseListen(config_.listen, &addr, err)) return false;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 512) != 0) {
    *err = "listen on " + config_.listen + ": " + strerror(errno);
    close(fd);
    return false;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  impl_->listen_fd_ = fd;
  return true;
}

int Server::Run() {
  Impl& m = *impl_;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  m.signal_fd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  m.epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  m.wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (m.signal_fd_ < 0 || m.epoll_fd_ < 0 || m.wake_fd_ < 0) {
    LogLine("error", "signalfd/epoll_create1/eventfd failed").Str("error", strerror(errno));
    return 1;
  }
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = Impl::kListenId;
  epoll_ctl(m.epoll_fd_, EPOLL_CTL_ADD, m.listen_fd_, &ev);
  ev.data.u64 = Impl::kWakeId;
  epoll_ctl(m.epoll_fd_, EPOLL_CTL_ADD, m.wake_fd_, &ev);

  for (int i = 0; i < config_.workers; i++) m.workers_.emplace_back([&m] { m.Worker(); });
  LogLine("info", "listening").Str("listen", config_.listen).Int("port", port_).Int("workers", config_.workers);

  // This thread is off the request path: signals, and a 1 s tick for certificate reload and idle
  // timeouts.
  Clock::time_point stop_accepting_at = Clock::time_point::max();
  Clock::time_point next_tick = Clock::now() + std::chrono::seconds(1);
  for (;;) {
    int timeout = RemainingMs(std::min(next_tick, stop_accepting_at));
    struct pollfd p = {m.signal_fd_, POLLIN, 0};
    int n = poll(&p, 1, timeout == 0 ? 1 : timeout);
    if (n < 0 && errno != EINTR) {
      LogLine("error", "poll failed").Str("error", strerror(errno));
      break;
    }
    if (n > 0) {
      struct signalfd_siginfo si;
      while (read(m.signal_fd_, &si, sizeof si) == sizeof si) {
        if (!draining_.exchange(true)) {
          LogLine("info", "shutting down").Str("signal", strsignal(static_cast<int>(si.ssi_signo)))
              .Int("delay_ms", config_.shutdown_delay_ms);
          stop_accepting_at = Clock::now() + std::chrono::milliseconds(config_.shutdown_delay_ms);
        }
      }
    }
    if (Clock::now() >= next_tick) {
      m.CheckCertificate();
      m.SweepIdle(false);
      next_tick = Clock::now() + std::chrono::seconds(1);
    }
    if (Clock::now() >= stop_accepting_at) break;
  }

  // Drain: no new connections; idle keep-alive connections are closed (clients retry elsewhere);
  // requests already received are answered, with "Connection: close". The listening socket stays
  // open (unwatched) until the workers are gone, so no worker can accept() on a reused fd number.
  epoll_ctl(m.epoll_fd_, EPOLL_CTL_DEL, m.listen_fd_, nullptr);
  m.SweepIdle(true);
  Clock::time_point grace = Clock::now() + std::chrono::milliseconds(config_.shutdown_grace_ms);
  int exit_status = 0;
  {
    std::unique_lock<std::mutex> lock(m.mu_);
    m.stopping_ = true;  // from here no connection goes back to idle_, no new one is accepted
    uint64_t one = 1;
    ssize_t ignored = write(m.wake_fd_, &one, sizeof one);  // wakes every idle worker: they exit
    (void)ignored;
    if (!m.cv_.wait_until(lock, grace, [&] { return m.busy_ == 0; })) {
      LogLine("warn", "shutdown grace period over with requests in flight").Int("in_flight", m.busy_);
      exit_status = 1;
    }
  }
  if (exit_status != 0) _exit(exit_status);  // workers still hold connections: do not unwind under them
  for (auto& t : m.workers_) t.join();
  m.SweepIdle(true);
  close(m.listen_fd_);
  m.listen_fd_ = -1;
  LogLine("info", "stopped");
  return exit_status;
}

}  // namespace kilt::webhook
