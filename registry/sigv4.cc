#include "registry/sigv4.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <rapidjson/document.h>

#include "base/encoding.h"
#include "base/strings.h"
#include "registry/digest.h"

namespace kilt::registry {

namespace {

// Trims and collapses runs of spaces, as the canonical header form requires.
std::string CanonicalValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    std::string_view kv = query.substr(start, amp == std::string_view::npos ? amp : amp - start);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      std::string k(kv.substr(0, eq));
      std::string v(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
      pairs.emplace_back(base::PercentEncode(k, false), base::PercentEncode(v, false));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

}  // namespace

std::string AmzDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

SignedParts ComputeSignature(const net::HttpRequest& req, const AwsCredentials& creds,
                             const SigningScope& scope) {
  net::Url url;
  std::string url_err;
  if (!net::ParseUrl(req.url, &url, &url_err)) url.path = "/";
  // Host as the server will see it: the default port is not part of it.
  std::string host = url.HostHeader();
  std::vector<std::pair<std::string, std::string>> headers;
  bool have_host = false;
  for (const auto& [k, v] : req.headers) {
    std::string name = base::ToLower(k);
    if (name == "authorization") continue;
    if (name == "host") have_host = true;
    headers.emplace_back(name, CanonicalValue(v));
  }
  if (!have_host) headers.emplace_back("host", host);
  auto has = [&](const char* n) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return h.first == n; });
  };
  if (!has("x-amz-date")) headers.emplace_back("x-amz-date", scope.amz_date);
  if (!creds.session_token.empty() && !has("x-amz-security-token"))
    headers.emplace_back("x-amz-security-token", creds.session_token);
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, signed_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.back() = ',';  // repeated header: values joined by ','
      canonical_headers += headers[i].second + "\n";
      continue;
    }
    canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + headers[i].first;
  }
  SignedParts p;
  p.signed_headers = signed_headers;
  p.canonical_request = req.method + "\n" + base::PercentEncode(url.path, true) + "\n" +
                        CanonicalQuery(url.query) + "\n" + canonical_headers + "\n" +
                        signed_headers + "\n" + Sha256Hex(req.body);
  std::string date = scope.amz_date.substr(0, 8);
  std::string credential_scope = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  p.string_to_sign = "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + credential_scope + "\n" +
                     Sha256Hex(p.canonical_request);
  std::string key = HmacSha256("AWS4" + creds.secret_access_key, date);
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  key = HmacSha256(key, "aws4_request");
  p.signature = base::HexEncode(HmacSha256(key, p.string_to_sign));
  p.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + credential_scope +
                    ", SignedHeaders=" + signed_headers + ", Signature=" + p.signature;
  return p;
}

void SignRequest(net::HttpRequest* req, const AwsCredentials& creds, const SigningScope& scope) {
  SignedParts p = ComputeSignature(*req, creds, scope);
  req->headers.emplace_back("X-Amz-Date", scope.amz_date);
  if (!creds.session_token.empty())
    req->headers.emplace_back("X-Amz-Security-Token", creds.session_token);
  req->headers.emplace_back("Authorization", p.authorization);
}

std::string EcrEndpoint(const EcrRegistry& ecr, const std::string& override_url) {
  if (!override_url.empty()) return override_url;
  if (const char* e = std::getenv("AWS_ENDPOINT_URL_ECR"); e && *e) return e;
  return "https://api.ecr" + std::string(ecr.fips ? "-fips" : "") + "." + ecr.region +
         ".amazonaws.com" + (ecr.china ? ".cn" : "");
}

net::HttpRequest EcrTokenRequest(const EcrRegistry& ecr, const std::string& endpoint,
                            const AwsCredentials& creds, std::time_t now) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = endpoint;
  net::Url u;
  std::string url_err;
  if (net::ParseUrl(endpoint, &u, &url_err) && u.path == "/" && endpoint.back() != '/') req.url += "/";
  req.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"}};
  req.body = "{\"registryIds\":[\"" + ecr.account + "\"]}";
  SignRequest(&req, creds, SigningScope{ecr.region, "ecr", AmzDate(now)});
  return req;
}

bool ParseEcrTokenResponse(std::string_view body, RegistryCredential* out, double* expires_at,
                           std::string* err) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *err = "ECR GetAuthorizationToken: the answer is not a JSON object";
    return false;
  }
  auto data = doc.FindMember("authorizationData");
  if (data == doc.MemberEnd() || !data->value.IsArray() || data->value.Empty() ||
      !data->value[0].IsObject()) {
    *err = "ECR GetAuthorizationToken: the answer has no authorizationData";
    return false;
  }
  const auto& d = data->value[0];
  auto tok = d.FindMember("authorizationToken");
  std::string decoded;
  size_t colon;
  if (tok == d.MemberEnd() || !tok->value.IsString() ||
      !base::Base64Decode(tok->value.GetString(), &decoded) ||
      (colon = decoded.find(':')) == std::string::npos) {
    *err = "ECR GetAuthorizationToken: authorizationToken is not base64 of user:password";
    return false;
  }
  out->username = decoded.substr(0, colon);
  out->password = decoded.substr(colon + 1);
  *expires_at = 0;
  auto exp = d.FindMember("expiresAt");
  if (exp != d.MemberEnd() && exp->value.IsNumber()) *expires_at = exp->value.GetDouble();
  return true;
}

}  // namespace kilt::registry
