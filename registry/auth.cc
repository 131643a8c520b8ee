#include "registry/auth.h"

#include <cctype>
#include <cstdlib>

#include <rapidjson/document.h>

#include "base/encoding.h"
#include "base/strings.h"

namespace kilt::registry {

bool ParseChallenge(std::string_view h, Challenge* out, std::string* err) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
  };
  skip_ws();
  size_t start = i;
  while (i < h.size() && h[i] != ' ' && h[i] != '\t') ++i;
  Challenge c;
  c.scheme = base::ToLower(h.substr(start, i - start));
  if (c.scheme.empty()) {
    *err = "empty WWW-Authenticate header";
    return false;
  }
  for (;;) {
    skip_ws();
    while (i < h.size() && h[i] == ',') {
      ++i;
      skip_ws();
    }
    if (i >= h.size()) break;
    size_t k = i;
    while (i < h.size() && h[i] != '=' && h[i] != ' ' && h[i] != ',') ++i;
    std::string key = base::ToLower(h.substr(k, i - k));
    skip_ws();
    if (i >= h.size() || h[i] != '=') {
      // A second challenge ("Bearer ..., Basic ...") starts here; the first one is enough.
      break;
    }
    ++i;
    skip_ws();
    std::string value;
    if (i < h.size() && h[i] == '"') {
      ++i;
      bool closed = false;
      while (i < h.size()) {
        char ch = h[i++];
        if (ch == '\\' && i < h.size()) {
          value += h[i++];
        } else if (ch == '"') {
          closed = true;
          break;
        } else {
          value += ch;
        }
      }
      if (!closed) {
        *err = "unterminated quoted value in WWW-Authenticate header";
        return false;
      }
    } else {
      size_t v = i;
      while (i < h.size() && h[i] != ',' && h[i] != ' ') ++i;
      value = std::string(h.substr(v, i - v));
    }
    c.params[key] = value;
  }
  *out = std::move(c);
  return true;
}

std::string TokenUrl(const Challenge& c, const std::string& repository) {
  auto realm = c.params.find("realm");
  std::string url = realm == c.params.end() ? "" : realm->second;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  auto service = c.params.find("service");
  if (service != c.params.end()) {
    url += sep + std::string("service=") + base::PercentEncode(service->second);
    sep = '&';
  }
  // Ask for pull only, whatever scope the challenge named: lookups never need more.
  url += sep + std::string("scope=") + base::PercentEncode("repository:" + repository + ":pull");
  return url;
}

bool ParseTokenResponse(std::string_view body, std::string* token, std::string* err) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *err = "the token server's answer is not a JSON object";
    return false;
  }
  for (const char* key : {"token", "access_token"}) {
    auto it = doc.FindMember(key);
    if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) {
      *token = it->value.GetString();
      return true;
    }
  }
  *err = "the token server's answer has no \"token\"";
  return false;
}

std::string BasicAuthorization(const RegistryCredential& c) {
  return "Basic " + base::Base64Encode(c.username + ":" + c.password);
}

std::string NormaliseRegistryKey(std::string_view key) {
  size_t scheme = key.find("://");
  if (scheme != std::string_view::npos) key = key.substr(scheme + 3);
  size_t slash = key.find('/');
  if (slash != std::string_view::npos) key = key.substr(0, slash);
  std::string host = base::ToLower(key);
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com")
    return "docker.io";
  return host;
}

bool ParseDockerConfig(std::string_view json, std::string_view path,
                       std::map<std::string, RegistryCredential>* out, std::string* err) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *err = std::string(path) + ": not a JSON object; fix or remove it (docker login writes it)";
    return false;
  }
  auto auths = doc.FindMember("auths");
  if (auths == doc.MemberEnd()) return true;
  if (!auths->value.IsObject()) {
    *err = std::string(path) + ": \"auths\" is not an object";
    return false;
  }
  for (const auto& m : auths->value.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsObject()) continue;
    RegistryCredential c;
    auto auth = m.value.FindMember("auth");
    if (auth != m.value.MemberEnd() && auth->value.IsString() && auth->value.GetStringLength()) {
      std::string decoded;
      size_t colon;
      if (!base::Base64Decode(auth->value.GetString(), &decoded) ||
          (colon = decoded.find(':')) == std::string::npos) {
        // Never echo the value: it is a credential.
        *err = std::string(path) + ": auths[\"" + key +
               "\"].auth is not base64 of user:password; run docker login again";
        return false;
      }
      c.username = decoded.substr(0, colon);
      c.password = decoded.substr(colon + 1);
    } else {
      auto u = m.value.FindMember("username");
      auto p = m.value.FindMember("password");
      if (u == m.value.MemberEnd() || p == m.value.MemberEnd() || !u->value.IsString() ||
          !p->value.IsString())
        continue;  // an entry managed by a credential helper
      c.username = u->value.GetString();
      c.password = p->value.GetString();
    }
    (*out)[NormaliseRegistryKey(key)] = std::move(c);
  }
  return true;
}

std::string DefaultDockerConfigPath() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.docker/config.json";
  return "";
}

}  // namespace kilt::registry
