// A small blocking HTTP/1.1 client: one request per connection, plain TCP or TLS (OpenSSL).
// Used by the Lambda Runtime API loop (lambda/) and the OCI registry client (registry/).
//
// Why not libcurl: the Lambda bootstrap links OpenSSL statically and must run on an older glibc; a
// few hundred lines over OpenSSL + Debian's http_parser keep the binary small and its dependencies
// known. Response framing (Content-Length, chunked, read-to-EOF) is http_parser's job, not ours.
#ifndef KILT_NET_HTTP_CLIENT_H_
#define KILT_NET_HTTP_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kilt::net {

// An absolute URL split into what a request needs. Only http and https are accepted.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // DNS name or IP literal, without IPv6 brackets
  int port = 0;        // explicit port, or 80 / 443 by scheme
  std::string target;  // path + "?query", at least "/"; the fragment is dropped
  // "host:port" as sent in the Host header (port omitted when it is the scheme's default).
  std::string HostHeader() const;
};

// Parses "http[s]://host[:port][/path][?query]". IPv6 literals in brackets are accepted.
// Userinfo ("user:pass@") is rejected: credentials belong in headers, never in logged URLs.
[[nodiscard]] bool ParseUrl(std::string_view url, Url* out, std::string* err);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;   // sent in order; Host, Content-Length and Connection are added by the client
  std::string body;  // sent with Content-Length when non-empty or when method is POST/PUT/PATCH
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // as received, in order
  std::string body;  // de-chunked
  // The first header named `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

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

}  // namespace kilt::net

#endif  // KILT_NET_HTTP_CLIENT_H_
