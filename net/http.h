// Kilt's HTTP client vocabulary: the URL, headers, request and response every client speaks (the
// Lambda's Runtime API loop, the registry client, the webhook's apiserver client), and the one-request
// seam (HttpTransport) that lets a client be tested against a scripted fake. The real transport is
// net/http_client.h. The webhook's own server side has its own types (webhook/http_server_types.h).
#ifndef KILT_NET_HTTP_H_
#define KILT_NET_HTTP_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kilt::net {

// An absolute http(s) URL split into what a request needs.
struct Url {
  std::string scheme;  // "http" or "https" (lowercase)
  std::string host;    // DNS name or IP literal, without IPv6 brackets
  int port = 0;        // explicit port, or 80 / 443 by scheme
  std::string path;    // at least "/", as written (percent-encoding kept)
  std::string query;   // without the '?'; the fragment is dropped
  // "host[:port]" as sent in the Host header: brackets around IPv6, no port when it is the scheme's.
  std::string HostHeader() const;
  // What the request line asks for: path, and "?query" when there is one.
  std::string Target() const { return query.empty() ? path : path + "?" + query; }
};

// Parses "http[s]://host[:port][/path][?query][#fragment]". IPv6 literals in brackets are accepted.
// Userinfo ("user:pass@") is rejected: credentials belong in headers, never in logged URLs.
[[nodiscard]] bool ParseUrl(std::string_view url, Url* out, std::string* err);

// A redirect's Location resolved against the URL it answered (absolute, "//host/...", "/path", "rel").
std::string ResolveLocation(const Url& base, std::string_view location);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;   // absolute
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

// One request in, one response out, no redirects followed. False + *err ("connect: ...", "timed out")
// when no complete response arrived within `timeout`. Implementations are thread-safe.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual bool RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout, HttpResponse* resp,
                         std::string* err) = 0;
};

}  // namespace kilt::net

#endif  // KILT_NET_HTTP_H_
