#include "net/http.h"

#include <http_parser.h>

#include "base/strings.h"

namespace kilt::net {

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!((scheme == "http" && port == 80) || (scheme == "https" && port == 443)))
    h += ":" + std::to_string(port);
  return h;
}

bool ParseUrl(std::string_view url, Url* out, std::string* err) {
  struct http_parser_url u;
  http_parser_url_init(&u);
  if (url.empty() || http_parser_parse_url(url.data(), url.size(), 0, &u) != 0) {
    *err = "invalid URL \"" + std::string(url) + "\": expected http[s]://host[:port]/path";
    return false;
  }
  auto field = [&](int f) -> std::string {
    if (!(u.field_set & (1 << f))) return "";
    return std::string(url.substr(u.field_data[f].off, u.field_data[f].len));
  };
  Url r;
  r.scheme = base::ToLower(field(UF_SCHEMA));
  if (r.scheme != "http" && r.scheme != "https") {
    *err = "invalid URL \"" + std::string(url) + "\": scheme must be http or https";
    return false;
  }
  if (u.field_set & (1 << UF_USERINFO)) {
    *err = "invalid URL: credentials in the URL are not supported; send them in a header";
    return false;
  }
  r.host = field(UF_HOST);
  if (r.host.empty()) {
    *err = "invalid URL \"" + std::string(url) + "\": no host";
    return false;
  }
  if (u.field_set & (1 << UF_PORT)) {
    if (u.port == 0) {
      *err = "invalid URL \"" + std::string(url) + "\": port 0";
      return false;
    }
    r.port = u.port;
  } else {
    r.port = r.scheme == "https" ? 443 : 80;
  }
  r.path = field(UF_PATH);
  if (r.path.empty()) r.path = "/";
  r.query = field(UF_QUERY);
  *out = std::move(r);
  return true;
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& kv : headers)
    if (base::EqualsIgnoreCase(kv.first, name)) return kv.second;
  return "";
}

std::string ResolveLocation(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  if (location.substr(0, 2) == "//") return base.scheme + ":" + std::string(location);
  std::string origin = base.scheme + "://" + base.HostHeader();
  if (!location.empty() && location.front() == '/') return origin + std::string(location);
  return origin + base.path.substr(0, base.path.rfind('/') + 1) + std::string(location);
}

}  // namespace kilt::net
