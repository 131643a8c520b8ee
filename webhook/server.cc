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
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "webhook/log.h"

namespace kilt::webhook {

using Clock = std::chrono::steady_clock;

namespace {

int RemainingMs(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms < 0 ? 0 : static_cast<int>(ms);
}

// What a connection is waiting for.
enum class Phase {
  kHandshake,  // the TLS handshake
  kRequest,    // a request (idle between requests until its first byte arrives)
  kRespond,    // the client to take the rest of an answer
  kLinger,     // after an error answer: the client to stop sending (read and dropped)
};

// One client connection. Owned by exactly one place at a time: a worker while it drives it, the
// waiting map while it is parked in epoll.
struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  uint64_t id = 0;          // its epoll tag (see Server::Impl::kFirstConnId)
  bool registered = false;  // added to epoll once
  Phase phase = Phase::kHandshake;
  Clock::time_point deadline;      // for the current phase
  std::unique_ptr<RequestParser> parser;
  bool request_started = false;    // a byte of the current request arrived
  bool served = false;             // a request was answered on it (an expiring wait is then idleness)
  std::string pending;             // bytes read past the end of the previous request (pipelining)
  std::string out;                 // the answer being written, from out_at
  size_t out_at = 0;
  bool keep_after = false;         // after the answer: wait for the next request (else close)
  bool linger_after = false;       // after the answer: linger (an error answer)
  size_t lingered = 0;             // bytes dropped while lingering
  ~Conn() {
    if (ssl) SSL_free(ssl);
    if (fd >= 0) close(fd);
  }
  // Holds a request: what a drain waits for.
  bool InFlight() const { return (phase == Phase::kRequest && request_started) || phase == Phase::kRespond; }
};

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

// What one call of Advance() leaves to do.
struct Next {
  bool close;
  uint32_t events;  // when parked: EPOLLIN or EPOLLOUT
};
constexpr Next kClose = {true, 0};
constexpr Next kWaitIn = {false, EPOLLIN};
constexpr Next kWaitOut = {false, EPOLLOUT};

}  // namespace

class Server::Impl {
 public:
  Impl(Server* s, TlsStore* tls, Metrics* metrics, Handler handler)
      : server_(s), tls_(tls), metrics_(metrics), handler_(std::move(handler)) {}

  Server* server_;
  TlsStore* tls_;
  Metrics* metrics_;
  Handler handler_;
  const ServerConfig& config() const { return server_->config_; }
  int listen_fd_ = -1;
  int epoll_fd_ = -1;   // shared by the workers: the listener, waiting connections, the wake-up eventfd
  int signal_fd_ = -1;  // the Run thread's alone
  int wake_fd_ = -1;    // eventfd, made readable (level-triggered, never read) to stop the workers

  // Epoll entries carry a connection id, never a pointer: an event may still be on its way to a
  // worker when the Run thread closes that connection for its deadline, and a freed pointer (or a
  // new connection at the same address) must not be mistaken for it.
  static constexpr uint64_t kListenId = 1, kWakeId = 2, kFirstConnId = 16;

  std::mutex mu_;
  std::condition_variable cv_;                   // busy_ dropped, or a connection left (the drain waits)
  std::unordered_map<uint64_t, Conn*> waiting_;  // connections parked in epoll, waiting for their client
  uint64_t next_id_ = kFirstConnId;
  int busy_ = 0;  // connections a worker is driving
  int open_ = 0;  // all connections
  bool stopping_ = false;
  bool closing_idle_ = false;  // the drain began: idle connections are closed, not parked
  // The listener is taken out of epoll at the connection cap (until a connection closes) and when
  // accept() runs out of descriptors (until a connection closes or the next tick): a level-triggered
  // listener that cannot be drained would otherwise wake the workers in a loop.
  enum class Pause { kNone, kCap, kDescriptors } paused_ = Pause::kNone;
  bool listener_watched_ = false;
  Clock::time_point last_pause_log_;
  int pauses_since_log_ = 0;
  std::vector<std::thread> workers_;

  // Leader/follower without a leader hand-off: every worker waits in epoll_wait on the same epoll
  // instance (the kernel wakes one waiter per event) and the worker that receives an event accepts or
  // drives that connection as far as its bytes allow. Connections are EPOLLONESHOT, so exactly one
  // worker owns a connection at a time.
  void Worker() {
    // One event per call: a worker takes one ready connection and leaves the others to idle workers.
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
      uint64_t id = events[0].data.u64;
      if (id == kWakeId) {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        continue;
      }
      Conn* c = id == kListenId ? Accept() : Claim(id);
      if (c) Settle(c, Advance(c));
    }
  }

  // Takes a parked connection whose client did something; null if its deadline closed it meanwhile.
  Conn* Claim(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return nullptr;
    Conn* c = it->second;
    waiting_.erase(it);
    busy_++;
    return c;
  }

  // After Advance(): parked in epoll until the client can go on, or closed.
  void Settle(Conn* c, Next next) {
    std::lock_guard<std::mutex> lock(mu_);
    busy_--;
    // Draining (past --shutdown-delay-ms): a connection that holds no request is closed rather than
    // parked (clients retry elsewhere); one in the middle of a request may finish it.
    const bool idle = !c->InFlight() && c->phase != Phase::kLinger;
    if (!next.close && !stopping_ && !(closing_idle_ && idle)) {
      waiting_[c->id] = c;
      struct epoll_event ev = {};
      ev.events = next.events | EPOLLRDHUP | EPOLLONESHOT;
      ev.data.u64 = c->id;
      // Armed under the lock and after the insert: a worker woken at once finds it in waiting_.
      if (epoll_ctl(epoll_fd_, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) == 0) {
        c->registered = true;
        cv_.notify_all();
        return;
      }
      waiting_.erase(c->id);
    }
    CloseLocked(c);
  }

  // REQUIRES: mu_ held; c owned by the caller (in no map).
  void CloseLocked(Conn* c) {
    delete c;  // close() removes it from epoll
    open_--;
    // A descriptor came free: accept again.
    if (paused_ != Pause::kNone && open_ < config().max_connections) ResumeAcceptingLocked();
    cv_.notify_all();
  }

  // Drives c as far as the bytes at hand allow, without blocking.
  Next Advance(Conn* c) {
    char buf[16384];
    for (;;) {
      switch (c->phase) {
        case Phase::kHandshake: {
          ERR_clear_error();
          int r = SSL_accept(c->ssl);
          if (r != 1) return WaitOrClose(c, r);
          c->phase = Phase::kRequest;
          c->parser = std::make_unique<RequestParser>(config().max_body_bytes);
          // The apiserver sends its request right after the handshake: a connection's first request
          // gets the request timeout, not the (long) idle one.
          c->deadline = Clock::now() + std::chrono::milliseconds(config().request_timeout_ms);
          break;
        }
        case Phase::kRequest: {
          RequestParser::State st = RequestParser::State::kNeedMore;
          if (!c->pending.empty()) {
            StartRequest(c);
            size_t used = 0;
            st = c->parser->Feed(c->pending.data(), c->pending.size(), &used);
            c->pending.erase(0, used);
          }
          while (st == RequestParser::State::kNeedMore) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r <= 0) return WaitOrClose(c, r);
            StartRequest(c);
            size_t used = 0;
            st = c->parser->Feed(buf, static_cast<size_t>(r), &used);
            if (st == RequestParser::State::kDone && used < static_cast<size_t>(r))
              c->pending.append(buf + used, static_cast<size_t>(r) - used);
          }
          if (st == RequestParser::State::kError) {
            const RequestParser& p = *c->parser;
            LogLine("warn", "bad request").Int("status", p.error_status()).Str("error", p.error());
            StartAnswer(c, {p.error_status(), "text/plain", p.error() + "\n"}, false, true);
            break;
          }
          ServerResponse resp;
          try {
            resp = handler_(c->parser->request());
          } catch (const std::exception& e) {
            LogLine("error", "handler failed").Str("error", e.what());
            resp = {500, "text/plain", "internal error\n"};
          }
          StartAnswer(c, resp, c->parser->request().keep_alive && !server_->draining_.load(), false);
          break;
        }
        case Phase::kRespond: {
          while (c->out_at < c->out.size()) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, c->out.data() + c->out_at, static_cast<int>(c->out.size() - c->out_at));
            if (r <= 0) return WaitOrClose(c, r);
            c->out_at += static_cast<size_t>(r);
          }
          std::string().swap(c->out);
          c->out_at = 0;
          if (c->linger_after) {
            // The client may still be sending (a 10 MiB body): closing at once would reset the
            // connection before it reads the answer. Tell it we are done, and drop what it sends
            // for a short while.
            SSL_shutdown(c->ssl);
            shutdown(c->fd, SHUT_WR);
            c->phase = Phase::kLinger;
            c->deadline = Clock::now() + std::chrono::seconds(2);
            break;
          }
          if (!c->keep_after) return kClose;
          c->served = true;
          c->phase = Phase::kRequest;
          c->parser->Reset();
          c->request_started = false;
          c->deadline = Clock::now() + std::chrono::milliseconds(config().idle_timeout_ms);
          // A pipelined request already read (or decrypted) is served now. SSL_has_pending, not
          // SSL_pending: with read-ahead, records read from the socket but not yet decrypted sit in
          // OpenSSL's buffer, where epoll cannot see them.
          if (c->pending.empty() && !SSL_has_pending(c->ssl)) return kWaitIn;
          break;
        }
        case Phase::kLinger: {
          for (;;) {
            ERR_clear_error();
            int r = SSL_read(c->ssl, buf, sizeof buf);
            if (r <= 0) return WaitOrClose(c, r);
            c->lingered += static_cast<size_t>(r);
            if (c->lingered > (64u << 20)) return kClose;
          }
        }
      }
    }
  }

  // The first byte of a request starts its deadline.
  void StartRequest(Conn* c) {
    if (c->request_started) return;
    c->request_started = true;
    c->deadline = Clock::now() + std::chrono::milliseconds(config().request_timeout_ms);
  }

  void StartAnswer(Conn* c, const ServerResponse& resp, bool keep, bool linger) {
    metrics_->CountHttp(resp.status);
    c->out = Serialize(resp, keep);
    c->out_at = 0;
    c->keep_after = keep;
    c->linger_after = linger;
    c->phase = Phase::kRespond;
    c->deadline = Clock::now() + std::chrono::milliseconds(config().request_timeout_ms);
  }

  // After an SSL call that returned r <= 0: park until the socket is ready, or close (EOF, reset,
  // a TLS error).
  static Next WaitOrClose(Conn* c, int r) {
    switch (SSL_get_error(c->ssl, r)) {
      case SSL_ERROR_WANT_READ: return kWaitIn;
      case SSL_ERROR_WANT_WRITE: return kWaitOut;
      default: return kClose;
    }
  }

  // Accepts one connection (the listener is level-triggered: if more are waiting, epoll hands them
  // to other workers, so a burst of new connections spreads over the pool) and starts its handshake.
  // Each connection gets the SSL_CTX current at accept time, so after a certificate reload new
  // connections use the new one while established ones keep theirs.
  Conn* Accept() {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::lock_guard<std::mutex> lock(mu_);
        PauseAcceptingLocked(Pause::kDescriptors, errno);
      }
      return nullptr;  // EAGAIN (another worker took it), or a transient error
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Workers racing on the listener may accept past the cap: those connections are closed.
      if (stopping_ || open_ >= config().max_connections) {
        close(fd);
        if (!stopping_) PauseAcceptingLocked(Pause::kCap, 0);
        return nullptr;
      }
      open_++;
      busy_++;
      if (open_ >= config().max_connections) PauseAcceptingLocked(Pause::kCap, 0);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn;
    c->fd = fd;
    c->deadline = Clock::now() + std::chrono::milliseconds(config().handshake_timeout_ms);
    std::shared_ptr<SSL_CTX> ctx = tls_->Current();
    c->ssl = SSL_new(ctx.get());  // holds its own reference to ctx
    // Read-ahead: OpenSSL fills its buffer with whatever the socket holds in one read(2) instead of
    // reading each record's 5-byte header and then its body (two system calls per request).
    if (c->ssl) SSL_set_read_ahead(c->ssl, 1);
    std::lock_guard<std::mutex> lock(mu_);
    c->id = next_id_++;
    if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
      busy_--;
      CloseLocked(c);
      return nullptr;
    }
    return c;
  }

  // REQUIRES: mu_ held. One log line per pause, at most one a second (with how many were not logged).
  void PauseAcceptingLocked(Pause why, int err) {
    if (paused_ != Pause::kNone) return;
    paused_ = why;
    if (listener_watched_) {
      struct epoll_event ev = {};
      ev.data.u64 = kListenId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);  // no events: not woken for it
    }
    metrics_->CountAcceptPause(why == Pause::kCap);
    pauses_since_log_++;
    const auto now = Clock::now();
    if (now - last_pause_log_ < std::chrono::seconds(1)) return;
    last_pause_log_ = now;
    if (why == Pause::kCap) {
      LogLine("warn", "connection limit reached: not accepting until a connection closes")
          .Int("max_connections", config().max_connections).Int("open", open_).Int("pauses", pauses_since_log_);
    } else {
      LogLine("error", "accept failed: out of file descriptors; not accepting until one is free")
          .Str("error", strerror(err)).Int("open", open_).Int("pauses", pauses_since_log_);
    }
    pauses_since_log_ = 0;
  }

  // REQUIRES: mu_ held.
  void ResumeAcceptingLocked() {
    if (paused_ == Pause::kNone || stopping_) return;
    paused_ = Pause::kNone;
    if (!listener_watched_) return;
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenId;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
  }

  // Closes the parked connections whose phase took too long (all parked ones with `all`; the idle
  // ones with `idle_only`). A request that started gets a best-effort 408 first. One log line for all.
  void SweepDeadlines(bool all, bool idle_only) {
    std::vector<Conn*> expired;
    const auto now = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        Conn* c = it->second;
        if (all || (idle_only && !c->InFlight() && !HasInput(c)) || (!idle_only && now >= c->deadline)) {
          expired.push_back(c);
          it = waiting_.erase(it);
        } else {
          ++it;
        }
      }
      busy_ += static_cast<int>(expired.size());
    }
    int handshakes = 0, requests = 0, answers = 0;
    for (Conn* c : expired) {
      if (all || idle_only || c->phase == Phase::kLinger) continue;
      if (c->phase == Phase::kHandshake) {
        handshakes++;
      } else if (c->phase == Phase::kRespond) {
        answers++;
      } else if (!c->request_started) {
        if (!c->served) requests++;  // a first request that never came; otherwise the idle timeout
      } else {
        requests++;
        // Best effort, without waiting: the socket buffer takes a short answer.
        std::string out = Serialize({408, "text/plain", "request not received in time\n"}, false);
        metrics_->CountHttp(408);
        ERR_clear_error();
        SSL_write(c->ssl, out.data(), static_cast<int>(out.size()));
      }
    }
    for (int i = 0; i < handshakes + requests + answers; i++) metrics_->CountTimeout();
    if (handshakes + requests + answers > 0)
      LogLine("warn", "connections timed out").Int("handshake", handshakes).Int("request", requests)
          .Int("answer", answers).Int("handshake_timeout_ms", config().handshake_timeout_ms)
          .Int("request_timeout_ms", config().request_timeout_ms);
    std::lock_guard<std::mutex> lock(mu_);
    for (Conn* c : expired) {
      busy_--;
      CloseLocked(c);
    }
  }

  // Bytes from the client wait to be read: a request begun, for the drain.
  static bool HasInput(Conn* c) {
    if (SSL_has_pending(c->ssl)) return true;
    struct pollfd p = {c->fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
  }

  // The Run thread's tick: deadlines, and accepting again after running out of descriptors (nothing
  // may close meanwhile: another process may have freed some).
  void Tick() {
    SweepDeadlines(false, false);
    std::lock_guard<std::mutex> lock(mu_);
    if (paused_ == Pause::kDescriptors) ResumeAcceptingLocked();
  }

  // Whether requests are still being served: driven by a worker, or parked in the middle of one.
  // REQUIRES: mu_ held.
  bool InFlightLocked() const { return InFlightCountLocked() > 0; }
  int InFlightCountLocked() const {
    int n = busy_;
    for (const auto& [id, c] : waiting_) n += c->InFlight() || HasInput(c) ? 1 : 0;
    return n;
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
  m.listener_watched_ = true;
  ev.data.u64 = Impl::kWakeId;
  epoll_ctl(m.epoll_fd_, EPOLL_CTL_ADD, m.wake_fd_, &ev);

  // A connection cap above the descriptor limit is reached as EMFILE instead: say so at start.
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
      static_cast<rlim_t>(config_.max_connections) + 32 > nofile.rlim_cur)
    LogLine("warn", "max_connections is near or above the open-file limit: accepts pause when descriptors run out")
        .Int("max_connections", config_.max_connections).Int("nofile", static_cast<int64_t>(nofile.rlim_cur));

  for (int i = 0; i < config_.workers; i++) m.workers_.emplace_back([&m] { m.Worker(); });
  LogLine("info", "listening").Str("listen", config_.listen).Int("port", port_).Int("workers", config_.workers)
      .Int("max_connections", config_.max_connections);

  // This thread is off the request path: signals, and a tick for deadlines (every 200 ms: the
  // deadlines' resolution) and certificate reload (every second).
  const auto kTick = std::chrono::milliseconds(200);
  Clock::time_point stop_accepting_at = Clock::time_point::max();
  Clock::time_point next_tick = Clock::now() + kTick, next_cert = Clock::now() + std::chrono::seconds(1);
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
    const auto now = Clock::now();
    if (now >= next_tick) {
      m.Tick();
      next_tick = now + kTick;
    }
    if (now >= next_cert) {
      m.CheckCertificate();
      next_cert = now + std::chrono::seconds(1);
    }
    if (now >= stop_accepting_at) break;
  }

  // Drain: no new connections; connections that hold no request are closed (clients retry
  // elsewhere); requests already begun are served to the end, with "Connection: close". The
  // listening socket stays open (unwatched) until the workers are gone, so no worker can accept()
  // on a reused fd number.
  {
    std::lock_guard<std::mutex> lock(m.mu_);
    epoll_ctl(m.epoll_fd_, EPOLL_CTL_DEL, m.listen_fd_, nullptr);
    m.listener_watched_ = false;
    m.closing_idle_ = true;
  }
  m.SweepDeadlines(false, /*idle_only=*/true);
  Clock::time_point grace = Clock::now() + std::chrono::milliseconds(config_.shutdown_grace_ms);
  int exit_status = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(m.mu_);
      if (m.cv_.wait_until(lock, std::min(grace, Clock::now() + kTick), [&] { return !m.InFlightLocked(); }))
        break;
      if (Clock::now() >= grace) {
        LogLine("warn", "shutdown grace period over with requests in flight").Int("in_flight", m.InFlightCountLocked());
        exit_status = 1;
        break;
      }
    }
    m.SweepDeadlines(false, false);  // a request that stalls is not waited for past its deadline
  }
  {
    std::lock_guard<std::mutex> lock(m.mu_);
    m.stopping_ = true;  // from here no connection is parked, none accepted
    uint64_t one = 1;
    ssize_t ignored = write(m.wake_fd_, &one, sizeof one);  // wakes every idle worker: they exit
    (void)ignored;
    if (exit_status != 0 && m.busy_ > 0) _exit(exit_status);  // workers hold connections: do not unwind under them
  }
  for (auto& t : m.workers_) t.join();
  m.SweepDeadlines(true, false);
  close(m.listen_fd_);
  m.listen_fd_ = -1;
  LogLine("info", "stopped");
  return exit_status;
}

}  // namespace kilt::webhook
