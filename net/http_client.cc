#include "net/http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "base/strings.h"

namespace kilt::net {
namespace {

using Clock = std::chrono::steady_clock;

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The most recent OpenSSL error as text (the queue is cleared), or `fallback` when there is none.
std::string OpenSslError(const char* fallback) {
  unsigned long e = ERR_get_error();
  unsigned long last = e;
  while (e != 0) {  // the last queued error is usually the most specific one
    last = e;
    e = ERR_get_error();
  }
  if (last == 0) return fallback;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return buf;
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(-1); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// The earliest of (now + timeout_ms) and the request's deadline; timeout_ms 0 means "no timeout".
Clock::time_point WaitEnd(int timeout_ms, Deadline deadline) {
  if (timeout_ms <= 0) return deadline;
  return std::min(deadline, Clock::now() + std::chrono::milliseconds(timeout_ms));
}

// Waits for `events` on fd until `end`. `what` names the step for the error message.
bool WaitFd(int fd, short events, Clock::time_point end, const std::string& what,
            std::string* err) {
  for (;;) {
    int timeout = -1;
    if (end != Clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) {
        *err = what + ": timed out";
        return false;
      }
      timeout = static_cast<int>(std::min<int64_t>(left, 1 << 30));
    }
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, timeout);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) {
      *err = what + ": poll: " + strerror(errno);
      return false;
    }
  }
}

// One process-wide client context: loading the CA store takes milliseconds, so it is done once.
// Extra CA files get their own context (rare: tests and private registries).
SSL_CTX* NewClientContext(const std::string& ca_file, std::string* err) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *err = "TLS: " + OpenSslError("SSL_CTX_new failed");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // Honours SSL_CERT_FILE / SSL_CERT_DIR, else OpenSSL's compiled-in directory. A statically linked
  // OpenSSL built on Debian looks in /usr/lib/ssl, which Amazon Linux does not have, so the usual
  // bundle files are tried too (as Go's crypto/x509 does).
  SSL_CTX_set_default_verify_paths(ctx);
  if (getenv("SSL_CERT_FILE") == nullptr) {
    static const char* kBundles[] = {
        "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu, Alpine
        "/etc/pki/tls/certs/ca-bundle.crt",    // Amazon Linux, Fedora, RHEL
        "/etc/ssl/cert.pem",
    };
    for (const char* f : kBundles) {
      if (access(f, R_OK) == 0 && SSL_CTX_load_verify_locations(ctx, f, nullptr) == 1) break;
    }
    ERR_clear_error();
  }
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    *err = "TLS: cannot load CA file " + ca_file + ": " + OpenSslError("unreadable or not PEM");
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// A connected socket, optionally wrapped in TLS. All I/O is non-blocking with poll-based waits so
// that the read timeout and the deadline are honoured.
class Connection {
 public:
  Connection(const Url& url, const HttpOptions& opts, std::string prefix)
      : url_(url), opts_(opts), prefix_(std::move(prefix)) {}

  bool Connect(std::string* err);
  bool WriteAll(std::string_view data, std::string* err);
  // Reads up to len bytes; 0 means the peer closed the connection.
  bool Read(char* buf, size_t len, size_t* got, std::string* err);

 private:
  bool ConnectTcp(std::string* err);
  bool HandshakeTls(std::string* err);
  // Waits as OpenSSL asks after SSL_ERROR_WANT_READ / WANT_WRITE.
  bool WaitSsl(int ssl_err, Clock::time_point end, const std::string& what, std::string* err);

  const Url& url_;
  const HttpOptions& opts_;
  const std::string prefix_;  // "GET https://host/path" for error messages
  UniqueFd fd_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

bool Connection::Connect(std::string* err) {
  if (!ConnectTcp(err)) return false;
  if (url_.scheme == "https") return HandshakeTls(err);
  return true;
}

bool Connection::ConnectTcp(std::string* err) {
  const std::string where = url_.host + ":" + std::to_string(url_.port);
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  const std::string port = std::to_string(url_.port);
  int rc = getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *err = prefix_ + ": resolve " + url_.host + ": " +
           (rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    return false;
  }
  std::unique_ptr<struct addrinfo, void (*)(struct addrinfo*)> list(res, freeaddrinfo);
  std::string last_error = "no address";
  for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      last_error = std::string("socket: ") + strerror(errno);
      continue;
    }
    if (connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = strerror(errno);
        continue;
      }
      std::string wait_err;
      if (!WaitFd(fd.get(), POLLOUT, WaitEnd(opts_.connect_timeout_ms, opts_.deadline), "connect",
                  &wait_err)) {
        last_error = wait_err.substr(strlen("connect: "));
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        last_error = strerror(so_error);
        continue;
      }
    }
    int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fd_.Reset(fd.Release());
    return true;
  }
  *err = prefix_ + ": connect to " + where + ": " + last_error;
  return false;
}

bool Connection::WaitSsl(int ssl_err, Clock::time_point end, const std::string& what,
                         std::string* err) {
  short ev = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  return WaitFd(fd_.get(), ev, end, what, err);
}

bool Connection::HandshakeTls(std::string* err) {
  // One context per CA file for the whole process, built once under a lock: loading the system
  // store takes tens of milliseconds, and the registry client makes several requests per image from
  // several threads (a context per request made each lookup ~10x slower).
  static std::mutex ctx_mu;
  static std::map<std::string, SSL_CTX*>* ctxs = new std::map<std::string, SSL_CTX*>();
  SSL_CTX* ctx;
  {
    std::lock_guard<std::mutex> lock(ctx_mu);
    SSL_CTX*& slot = (*ctxs)[opts_.ca_file];
    if (slot == nullptr) {
      std::string ctx_err;
      slot = NewClientContext(opts_.ca_file, &ctx_err);
      if (slot == nullptr) {
        ctxs->erase(opts_.ca_file);
        *err = prefix_ + ": " + ctx_err;
        return false;
      }
    }
    ctx = slot;
  }
  ssl_.reset(SSL_new(ctx));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) {
    *err = prefix_ + ": TLS: " + OpenSslError("SSL_new failed");
    return false;
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
  if (IsIpLiteral(url_.host)) {
    // SNI must not carry an IP address (RFC 6066); the certificate must name the IP in a SAN.
    X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_.get(), url_.host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0);
  }
  const std::string what = prefix_ + ": TLS handshake with " + url_.host;
  const Clock::time_point end = WaitEnd(opts_.connect_timeout_ms, opts_.deadline);
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_.get());
    if (rc == 1) return true;
    int e = SSL_get_error(ssl_.get(), rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!WaitSsl(e, end, what, err)) return false;
      continue;
    }
    long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK) {
      *err = what + ": certificate verification failed: " + X509_verify_cert_error_string(verify) +
             " (trust its CA with SSL_CERT_FILE or the CA file option)";
    } else {
      *err = what + ": " + OpenSslError(e == SSL_ERROR_SYSCALL ? "connection closed" : "failed");
    }
    return false;
  }
}

bool Connection::WriteAll(std::string_view data, std::string* err) {
  const std::string what = prefix_ + ": send to " + url_.host;
  while (!data.empty()) {
    const Clock::time_point end = WaitEnd(opts_.read_timeout_ms, opts_.deadline);
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_write(ssl_.get(), data.data(),
                        static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      int e = SSL_get_error(ssl_.get(), n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!WaitSsl(e, end, what, err)) return false;
        continue;
      }
      *err = what + ": " + OpenSslError("connection closed");
      return false;
    }
    ssize_t n = send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = what + ": " + strerror(errno);
      return false;
    }
    if (!WaitFd(fd_.get(), POLLOUT, end, what, err)) return false;
  }
  return true;
}

bool Connection::Read(char* buf, size_t len, size_t* got, std::string* err) {
  const std::string what = prefix_ + ": read from " + url_.host;
  const Clock::time_point end = WaitEnd(opts_.read_timeout_ms, opts_.deadline);
  for (;;) {
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_read(ssl_.get(), buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
      if (n > 0) {
        *got = static_cast<size_t>(n);
        return true;
      }
      int e = SSL_get_error(ssl_.get(), n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        if (!WaitSsl(e, end, what, err)) return false;
        continue;
      }
      // A peer that closes without close_notify is common (and harmless when the framing says the
      // body is complete; http_parser reports a truncated body otherwise).
      if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ||
          (e == SSL_ERROR_SSL &&
           ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        ERR_clear_error();
        *got = 0;
        return true;
      }
      *err = what + ": " + OpenSslError("TLS error");
      return false;
    }
    ssize_t n = recv(fd_.get(), buf, len, 0);
    if (n >= 0) {
      *got = static_cast<size_t>(n);
      return true;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      *err = what + ": " + strerror(errno);
      return false;
    }
    if (!WaitFd(fd_.get(), POLLIN, end, what, err)) return false;
  }
}

// Collects one response through http_parser's callbacks.
class ResponseReader {
 public:
  ResponseReader(HttpResponse* resp, size_t max_body, bool head)
      : resp_(resp), max_body_(max_body), head_(head) {
    http_parser_init(&parser_, HTTP_RESPONSE);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_header_field = OnHeaderField;
    settings_.on_header_value = OnHeaderValue;
    settings_.on_headers_complete = OnHeadersComplete;
    settings_.on_body = OnBody;
    settings_.on_message_complete = OnMessageComplete;
  }

  // Feeds bytes (len 0 = end of stream). Returns false on a framing error or an oversized body.
  bool Feed(const char* data, size_t len, std::string* err) {
    size_t n = http_parser_execute(&parser_, &settings_, data, len);
    if (too_big_) {
      *err = "response body larger than " + std::to_string(max_body_) + " bytes";
      return false;
    }
    if (complete_) return true;  // the parser was paused after the first response
    if (parser_.http_errno != HPE_OK || n != len) {
      *err = std::string("malformed response: ") +
             http_errno_description(static_cast<enum http_errno>(parser_.http_errno));
      return false;
    }
    return true;
  }
  bool complete() const { return complete_; }

 private:
  static ResponseReader* Self(http_parser* p) { return static_cast<ResponseReader*>(p->data); }
  static int OnHeaderField(http_parser* p, const char* at, size_t len) {
    Headers& h = Self(p)->resp_->headers;
    if (h.empty() || Self(p)->in_value_) {
      h.emplace_back();
      Self(p)->in_value_ = false;
    }
    h.back().first.append(at, len);
    return 0;
  }
  static int OnHeaderValue(http_parser* p, const char* at, size_t len) {
    Self(p)->in_value_ = true;
    Self(p)->resp_->headers.back().second.append(at, len);
    return 0;
  }
  static int OnHeadersComplete(http_parser* p) {
    Self(p)->resp_->status = p->status_code;
    return Self(p)->head_ ? 1 : 0;  // 1 = no body follows (HEAD)
  }
  static int OnBody(http_parser* p, const char* at, size_t len) {
    ResponseReader* self = Self(p);
    if (self->resp_->body.size() + len > self->max_body_) {
      self->too_big_ = true;
      return 1;
    }
    self->resp_->body.append(at, len);
    return 0;
  }
  static int OnMessageComplete(http_parser* p) {
    Self(p)->complete_ = true;
    http_parser_pause(p, 1);  // ignore anything after the first response
    return 0;
  }

  HttpResponse* resp_;
  const size_t max_body_;
  const bool head_;
  http_parser parser_;
  http_parser_settings settings_;
  bool in_value_ = false;
  bool too_big_ = false;
  bool complete_ = false;
};

bool NeedsContentLength(const HttpRequest& req) {
  return !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
}

bool HasHeader(const Headers& h, std::string_view name) {
  for (const auto& kv : h)
    if (base::EqualsIgnoreCase(kv.first, name)) return true;
  return false;
}

bool ValidHeaderText(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

bool HttpFetch(const HttpRequest& req, const HttpOptions& opts, HttpResponse* resp,
               std::string* err) {
  Url url;
  if (!ParseUrl(req.url, &url, err)) return false;
  const std::string prefix = req.method + " " + url.scheme + "://" + url.HostHeader() + url.Target();
  if (req.method.empty() || !ValidHeaderText(req.method) ||
      req.method.find(' ') != std::string::npos) {
    *err = prefix + ": invalid method";
    return false;
  }
  std::string head = req.method + " " + url.Target() + " HTTP/1.1\r\n";
  if (!HasHeader(req.headers, "Host")) head += "Host: " + url.HostHeader() + "\r\n";
  for (const auto& kv : req.headers) {
    if (kv.first.empty() || !ValidHeaderText(kv.first) || !ValidHeaderText(kv.second) ||
        kv.first.find(':') != std::string::npos) {
      *err = prefix + ": invalid request header \"" + kv.first + "\"";
      return false;
    }
    if (base::EqualsIgnoreCase(kv.first, "Content-Length") || base::EqualsIgnoreCase(kv.first, "Connection"))
      continue;  // the client owns framing
    head += kv.first + ": " + kv.second + "\r\n";
  }
  if (!HasHeader(req.headers, "User-Agent")) head += "User-Agent: kilt\r\n";
  if (NeedsContentLength(req))
    head += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  head += "Connection: close\r\n\r\n";

  Connection conn(url, opts, prefix);
  if (!conn.Connect(err)) return false;
  // One write for small requests (fewer packets); large bodies are not copied.
  if (req.body.size() <= 64 * 1024) {
    if (!conn.WriteAll(head + req.body, err)) return false;
  } else if (!conn.WriteAll(head, err) || !conn.WriteAll(req.body, err)) {
    return false;
  }

  *resp = HttpResponse();
  ResponseReader reader(resp, opts.max_response_bytes, req.method == "HEAD");
  char buf[16384];
  while (!reader.complete()) {
    size_t got = 0;
    if (!conn.Read(buf, sizeof(buf), &got, err)) return false;
    std::string parse_err;
    if (!reader.Feed(buf, got, &parse_err)) {
      *err = prefix + ": " + parse_err;
      return false;
    }
    if (got == 0 && !reader.complete()) {
      *err = prefix + ": connection closed by " + url.host + " before the response was complete";
      return false;
    }
  }
  return true;
}

bool FetchTransport::RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout,
                               HttpResponse* resp, std::string* err) {
  HttpOptions opts = opts_;
  const int ms = static_cast<int>(std::max<long long>(1, timeout.count()));
  opts.connect_timeout_ms = ms;
  opts.read_timeout_ms = ms;
  opts.deadline = std::min(opts.deadline, Clock::now() + timeout);
  return HttpFetch(req, opts, resp, err);
}

}  // namespace kilt::net
