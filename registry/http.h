// The registry client's view of HTTP: one request in, one response out. The real transport is the
// shared net/ client (net_transport.cc); unit tests pass a scripted fake.
#ifndef KILT_REGISTRY_HTTP_H_
#define KILT_REGISTRY_HTTP_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kilt::registry {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: https://host[:port]/path?query
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  // The first header named `name` (case-insensitive), or "" when there is none.
  std::string Header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs one request (no redirects followed); false + *err ("connect: ...", "timed out after
  // ...") when no HTTP response was received in `timeout`. Thread-safe.
  virtual bool RoundTrip(const HttpRequest& req, std::chrono::milliseconds timeout,
                         HttpResponse* resp, std::string* err) = 0;
};

// Splits an absolute URL; false unless it is http(s)://host[:port][/path][?query].
struct Url {
  std::string scheme, host, port, path, query;  // path starts with '/'; port may be empty
  std::string HostPort() const { return port.empty() ? host : host + ":" + port; }
};
[[nodiscard]] bool ParseUrl(std::string_view url, Url* out);

// Resolves a Location header against the URL it came from.
std::string ResolveLocation(const Url& base, std::string_view location);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_HTTP_H_
