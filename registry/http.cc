#include "registry/http.h"

#include <strings.h>

namespace kilt::registry {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), name.size()) == 0) return v;
  return "";
}

bool ParseUrl(std::string_view url, Url* out) {
  Url u;
  size_t s = url.find("://");
  if (s == std::string_view::npos) return false;
  u.scheme = std::string(url.substr(0, s));
  if (u.scheme != "http" && u.scheme != "https") return false;
  std::string_view rest = url.substr(s + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view hostport = rest.substr(0, end);
  rest = end == std::string_view::npos ? "" : rest.substr(end);
  if (hostport.empty()) return false;
  size_t colon = hostport.rfind(':');
  if (hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return false;
    u.host = std::string(hostport.substr(0, close + 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return false;
      u.port = std::string(hostport.substr(close + 2));
    }
  } else if (colon != std::string_view::npos) {
    u.host = std::string(hostport.substr(0, colon));
    u.port = std::string(hostport.substr(colon + 1));
  } else {
    u.host = std::string(hostport);
  }
  if (u.host.empty()) return false;
  for (char c : u.port)
    if (c < '0' || c > '9') return false;
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t q = rest.find('?');
  u.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) u.query = std::string(rest.substr(q + 1));
  if (u.path.empty()) u.path = "/";
  *out = std::move(u);
  return true;
}

std::string ResolveLocation(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  std::string origin = base.scheme + "://" + base.HostPort();
  if (location.substr(0, 2) == "//") return base.scheme + ":" + std::string(location);
  if (!location.empty() && location.front() == '/') return origin + std::string(location);
  std::string dir = base.path.substr(0, base.path.rfind('/') + 1);
  return origin + dir + std::string(location);
}

}  // namespace kilt::registry
