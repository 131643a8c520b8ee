#include "registry/reference.h"

#include <cctype>

namespace kilt::registry {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+ separated by '.', '_', '__' or '-'+ (distribution's grammar).
bool ValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (IsLowerAlnum(ch)) continue;
    if (ch == '.' || ch == '_' || ch == '-') {
      if (ch == '.' && !IsLowerAlnum(c[i + 1])) return false;
      if (ch == '_' && !(IsLowerAlnum(c[i + 1]) || (c[i + 1] == '_' && IsLowerAlnum(c[i + 2]))))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

bool ValidTag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word && (i == 0 || (c != '.' && c != '-'))) return false;
  }
  return true;
}

bool ValidDigest(std::string_view d) {
  // Only sha256 is in use by registries we talk to; anything else would fail verification anyway.
  if (d.substr(0, 7) != "sha256:" || d.size() != 7 + 64) return false;
  for (char c : d.substr(7))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool ValidHost(std::string_view h) {
  if (h.empty()) return false;
  size_t colon = h.rfind(':');
  if (h.front() == '[') {  // [ipv6]:port
    size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    colon = close + 1 < h.size() && h[close + 1] == ':' ? close + 1 : std::string_view::npos;
  } else if (colon != std::string_view::npos) {
    for (char c : h.substr(0, colon))
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  } else {
    for (char c : h)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  }
  if (colon != std::string_view::npos) {
    std::string_view port = h.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char c : port)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::string Reference::ApiHost() const {
  if (registry == "docker.io" || registry == "index.docker.io") return "registry-1.docker.io";
  return registry;
}

std::string Reference::String() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

bool ParseReference(std::string_view text, Reference* out, std::string* err) {
  auto fail = [&](const std::string& why) {
    *err = "invalid image reference \"" + std::string(text) + "\": " + why;
    return false;
  };
  if (text.empty()) return fail("empty");
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return fail("contains whitespace or control characters");
  Reference r;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!ValidDigest(r.digest)) return fail("digest must be sha256: followed by 64 lowercase hex digits");
  }
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a registry port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!ValidTag(r.tag)) return fail("tag \"" + r.tag + "\" is not valid");
  }
  size_t first = rest.find('/');
  std::string_view head = rest.substr(0, first);
  if (first != std::string_view::npos &&
      (head.find('.') != std::string_view::npos || head.find(':') != std::string_view::npos ||
       head == "localhost")) {
    if (!ValidHost(head)) return fail("registry host \"" + std::string(head) + "\" is not valid");
    r.registry = std::string(head);
    rest = rest.substr(first + 1);
  } else {
    r.registry = "docker.io";
  }
  if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io") r.registry = "docker.io";
  if (rest.empty()) return fail("no repository name");
  for (size_t start = 0;;) {
    size_t end = rest.find('/', start);
    std::string_view comp = rest.substr(start, end == std::string_view::npos ? end : end - start);
    if (!ValidComponent(comp)) {
      for (char c : comp)
        if (std::isupper(static_cast<unsigned char>(c)))
          return fail("repository names must be lowercase");
      return fail("repository path component \"" + std::string(comp) + "\" is not valid");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  r.repository = std::string(rest);
  if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos)
    r.repository = "library/" + r.repository;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  *out = std::move(r);
  return true;
}

bool ParseEcrHost(std::string_view host, EcrRegistry* out) {
  // ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]. ECR listens on 443 only, but a reference may
  // spell the port out (and the tests point the name at a local registry's port).
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  EcrRegistry e;
  size_t dot = host.find('.');
  if (dot != 12) return false;
  e.account = std::string(host.substr(0, 12));
  for (char c : e.account)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  std::string_view rest = host.substr(13);
  if (rest.substr(0, 8) == "dkr.ecr.") {
    rest = rest.substr(8);
  } else if (rest.substr(0, 13) == "dkr.ecr-fips.") {
    e.fips = true;
    rest = rest.substr(13);
  } else {
    return false;
  }
  size_t rdot = rest.find('.');
  if (rdot == std::string_view::npos || rdot == 0) return false;
  e.region = std::string(rest.substr(0, rdot));
  for (char c : e.region)
    if (!(IsLowerAlnum(c) || c == '-')) return false;
  std::string_view domain = rest.substr(rdot + 1);
  if (domain == "amazonaws.com") {
  } else if (domain == "amazonaws.com.cn") {
    e.china = true;
  } else {
    return false;
  }
  *out = std::move(e);
  return true;
}

}  // namespace kilt::registry
