// A small blocking HTTP/1.1 client: one request per connection, plain TCP or TLS (OpenSSL), speaking the
// types of net/http.h. Used by the Lambda Runtime API loop (lambda/), the OCI registry client (registry/)
// and the webhook's apiserver client.
//
// Why not libcurl: the Lambda bootstrap links OpenSSL statically and must run on an older glibc; a
// few hundred lines over OpenSSL + Debian's http_parser keep the binary small and its dependencies
// known. Response framing (Content-Length, chunked, read-to-EOF) is http_parser's job, not ours.
#ifndef KILT_NET_HTTP_CLIENT_H_
#define KILT_NET_HTTP_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <string>

#include "net/http.h"

namespace kilt::net {

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

struct HttpOptions {
  int connect_timeout_ms = 10000;         // per address tried, TLS handshake included; 0 = none
  int read_timeout_ms = 30000;            // longest silence while sending or receiving; 0 = none
  Deadline deadline = kNoDeadline;        // the whole request (DNS excluded) must finish before it
  size_t max_response_bytes = 64u << 20;  // cap on the de-chunked body
  // TLS: the system CA store is always trusted (SSL_CERT_FILE / SSL_CERT_DIR honoured, then the
  // usual bundle paths of Debian and Amazon Linux); `ca_file` adds one PEM file of extra trusted
  // CAs.
  std::string ca_file;
};

// Performs one request. Returns true when a complete response was received, whatever its status.
// On false, *err says which host and which step failed ("GET https://h/x: connect to h:443: ...").
[[nodiscard]] bool HttpFetch(const HttpRequest& req, const HttpOptions& opts, HttpResponse* resp,
                             std::string* err);

// HttpTransport over HttpFetch: each round trip gets `timeout` as its connect and read timeouts and as
// its deadline (one budget for the whole exchange: a server that accepts and then never answers fails
// within it, whichever phase it stalls in), and `opts` for the rest.
class FetchTransport : public HttpTransport {
 public:
  explicit FetchTransport(HttpOptions opts) : opts_(std::move(opts)) {}
  bool RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout, HttpResponse* resp,
                 std::string* err) override;

 private:
  HttpOptions opts_;
};

}  // namespace kilt::net

#endif  // KILT_NET_HTTP_CLIENT_H_
