#include "registry/client.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "registry/auth.h"
#include "registry/digest.h"
#include "registry/manifest.h"
#include "registry/sigv4.h"

namespace kilt::registry {

namespace {

constexpr int kMaxRedirects = 5;

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

// What the user should do about a failed registry answer.
std::string Advice(int status) {
  switch (status) {
    case 401: return "; check the credentials for this registry";
    case 403: return "; the credentials lack pull permission on this repository";
    case 404: return "; check the repository name and the tag or digest";
    case 429: return "; the registry rate-limits pulls: authenticate (docker login) or use a mirror";
    default: return status >= 500 ? "; the registry failed: retry later" : "";
  }
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string Digest(std::string_view body) { return "sha256:" + Sha256Hex(body); }

}  // namespace

std::string DescribeStatus(const net::HttpResponse& resp) {
  std::string s = "HTTP " + std::to_string(resp.status);
  const char* reason = ReasonPhrase(resp.status);
  if (*reason) s += std::string(" ") + reason;
  rapidjson::Document doc;
  doc.Parse(resp.body.data(), resp.body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    auto errors = doc.FindMember("errors");
    if (errors != doc.MemberEnd() && errors->value.IsArray() && !errors->value.Empty() &&
        errors->value[0].IsObject()) {
      const auto& e = errors->value[0];
      std::string detail;
      auto code = e.FindMember("code");
      auto msg = e.FindMember("message");
      if (code != e.MemberEnd() && code->value.IsString()) detail = code->value.GetString();
      if (msg != e.MemberEnd() && msg->value.IsString() && msg->value.GetStringLength())
        detail += (detail.empty() ? "" : ": ") + std::string(msg->value.GetString());
      if (detail.size() > 200) detail.replace(200, std::string::npos, "...");
      if (!detail.empty()) s += " (" + detail + ")";
    }
  }
  return s;
}

RegistryClient::RegistryClient(net::HttpTransport* transport, ClientConfig config)
    : transport_(transport), config_(std::move(config)) {}

std::string RegistryClient::BaseUrl(const Reference& ref) const {
  bool plain = config_.insecure_http.count(ref.registry) > 0;
  return (plain ? "http://" : "https://") + ref.ApiHost() + "/v2/" + ref.repository;
}

bool RegistryClient::RoundTrip(const net::HttpRequest& req, Clock::time_point deadline,
                               net::HttpResponse* resp, std::string* err) {
  auto now = Clock::now();
  if (now >= deadline) {
    *err = "deadline exceeded before " + req.method + " " + req.url;
    return false;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
  return transport_->RoundTrip(req, std::min(left, config_.request_timeout), resp, err);
}

bool RegistryClient::FetchEcrCredential(const Reference& ref, const EcrRegistry& ecr,
                                        Clock::time_point deadline, Credential* out,
                                        std::string* err) {
  std::time_t now = config_.wall_clock();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = ecr_.find(ref.registry);
    // ECR tokens last 12 hours; renew well before the end so a long run never uses a dying one.
    if (it != ecr_.end() && it->second.second > now + 600) {
      *out = it->second.first;
      return true;
    }
  }
  AwsCredentials aws = config_.aws;
  aws.region = ecr.region;
  std::string endpoint = EcrEndpoint(ecr, config_.ecr_endpoint);
  net::HttpRequest req = EcrTokenRequest(ecr, endpoint, aws, now);
  net::HttpResponse resp;
  if (!RoundTrip(req, deadline, &resp, err)) {
    *err = "ECR GetAuthorizationToken at " + endpoint + ": " + *err;
    return false;
  }
  if (resp.status != 200) {
    std::string type;
    rapidjson::Document doc;
    doc.Parse(resp.body.data(), resp.body.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      for (const char* k : {"__type", "message", "Message"}) {
        auto m = doc.FindMember(k);
        if (m != doc.MemberEnd() && m->value.IsString())
          type += (type.empty() ? "" : ": ") + std::string(m->value.GetString());
      }
    }
    *err = "ECR GetAuthorizationToken at " + endpoint + " failed: HTTP " +
           std::to_string(resp.status) + (type.empty() ? "" : " (" + type + ")") +
           "; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN and the "
           "ecr:GetAuthorizationToken permission";
    return false;
  }
  double expires = 0;
  if (!ParseEcrTokenResponse(resp.body, &out->value, &expires, err)) return false;
  out->source = "ECR GetAuthorizationToken";
  std::lock_guard<std::mutex> lock(mu_);
  ecr_[ref.registry] = {*out, expires > 0 ? static_cast<std::time_t>(expires) : now + 3600};
  return true;
}

bool RegistryClient::FindCredential(const Reference& ref, Clock::time_point deadline, bool* found,
                                    Credential* out, std::string* err) {
  *found = false;
  std::string key = NormaliseRegistryKey(ref.registry);
  if (auto it = config_.explicit_credentials.find(key); it != config_.explicit_credentials.end()) {
    *out = {it->second, "the credentials given for " + key};
    *found = true;
    return true;
  }
  EcrRegistry ecr;
  if (ParseEcrHost(ref.registry, &ecr) && !config_.aws.empty()) {
    if (!FetchEcrCredential(ref, ecr, deadline, out, err)) return false;
    *found = true;
    return true;
  }
  if (auto it = config_.docker_credentials.find(key); it != config_.docker_credentials.end()) {
    *out = {it->second, "docker config " + config_.docker_config_path};
    *found = true;
  }
  return true;
}

bool RegistryClient::Authenticate(const Reference& ref, const std::string& header,
                                  Clock::time_point deadline, std::string* err) {
  Challenge ch;
  if (header.empty()) {
    *err = "HTTP 401 Unauthorized without a WWW-Authenticate challenge";
    return false;
  }
  if (!ParseChallenge(header, &ch, err)) return false;
  bool found = false;
  Credential cred;
  if (!FindCredential(ref, deadline, &found, &cred, err)) return false;
  std::string authorization;
  Clock::time_point expires = Clock::now() + std::chrono::minutes(10);
  if (ch.scheme == "basic") {
    if (!found) {
      *err = "authentication required (HTTP 401 Unauthorized) and no credentials found for " +
             ref.registry + "; run 'docker login " + ref.registry +
             "' or give credentials (docs/image-lookup.md)";
      return false;
    }
    authorization = BasicAuthorization(cred.value);
  } else if (ch.scheme == "bearer") {
    if (ch.params.find("realm") == ch.params.end()) {
      *err = "HTTP 401 Unauthorized with a Bearer challenge without a realm";
      return false;
    }
    net::HttpRequest req;
    req.url = TokenUrl(ch, ref.repository);
    net::Url u;
    std::string url_err;
    if (!net::ParseUrl(req.url, &u, &url_err)) {
      *err = "the Bearer challenge's realm is not an http(s) URL";
      return false;
    }
    if (found) req.headers.emplace_back("Authorization", BasicAuthorization(cred.value));
    net::HttpResponse resp;
    if (!RoundTrip(req, deadline, &resp, err)) {
      *err = "token server " + u.HostHeader() + ": " + *err;
      return false;
    }
    if (resp.status != 200) {
      *err = "token server " + u.HostHeader() + " refused a pull token: " + DescribeStatus(resp) +
             (found ? "; check " + cred.source
                    : "; the repository may be private: run 'docker login " + ref.registry + "'");
      return false;
    }
    std::string token;
    if (!ParseTokenResponse(resp.body, &token, err)) {
      *err = "token server " + u.HostHeader() + ": " + *err;
      return false;
    }
    authorization = "Bearer " + token;
    rapidjson::Document doc;
    doc.Parse(resp.body.data(), resp.body.size());
    int expires_in = 60;  // the token spec's default
    if (auto e = doc.FindMember("expires_in"); e != doc.MemberEnd() && e->value.IsInt())
      expires_in = std::max(e->value.GetInt(), 10);
    expires = Clock::now() + std::chrono::seconds(expires_in - 5);
  } else {
    *err = "unsupported authentication scheme \"" + ch.scheme + "\"";
    return false;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auth_[AuthKey(ref)] = {authorization, expires};
  return true;
}

bool RegistryClient::Get(const Reference& ref, const std::string& url, const std::string& accept,
                         Clock::time_point deadline, net::HttpResponse* resp, std::string* err) {
  net::Url origin;
  if (!net::ParseUrl(url, &origin, err)) return false;
  bool authenticated = false;
  for (int attempt = 0;; ++attempt) {
    std::string authorization;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = auth_.find(AuthKey(ref));
      if (it != auth_.end() && it->second.expires > Clock::now()) authorization = it->second.header;
    }
    net::HttpRequest req;
    req.url = url;
    if (!accept.empty()) req.headers.emplace_back("Accept", accept);
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    bool retried = false;
    for (int redirects = 0;; ++redirects) {
      if (!RoundTrip(req, deadline, resp, err)) return false;
      // A gateway error is usually one bad backend behind a load balancer: try once more.
      if ((resp->status == 502 || resp->status == 503 || resp->status == 504) && !retried) {
        retried = true;
        --redirects;
        continue;
      }
      if (!IsRedirect(resp->status)) break;
      std::string location = resp->Header("Location");
      if (location.empty() || redirects == kMaxRedirects) {
        *err = "GET " + req.url + ": " + DescribeStatus(*resp) +
               (location.empty() ? " without a Location" : " after too many redirects");
        return false;
      }
      net::Url from, to;
      std::string url_err;
      if (!net::ParseUrl(req.url, &from, err)) return false;
      req.url = net::ResolveLocation(from, location);
      if (!net::ParseUrl(req.url, &to, &url_err)) {
        *err = "GET " + url + ": redirected to a non-http(s) location";
        return false;
      }
      // Blob redirects go to object storage with a signed URL; our token must not travel there.
      if (to.HostHeader() != origin.HostHeader() || to.scheme != origin.scheme) {
        req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                         [](const auto& h) { return h.first == "Authorization"; }),
                          req.headers.end());
      }
    }
    if (resp->status != 401) return true;
    if (authenticated) {
      bool found = false;
      Credential cred;
      std::string ignored;
      FindCredential(ref, deadline, &found, &cred, &ignored);
      *err = "authentication failed: " + DescribeStatus(*resp) + " after authenticating" +
             (found ? " with " + cred.source + "; check those credentials"
                    : "; the repository may be private: run 'docker login " + ref.registry + "'");
      return false;
    }
    if (attempt > 0) return true;
    if (!Authenticate(ref, resp->Header("WWW-Authenticate"), deadline, err)) return false;
    authenticated = true;
  }
}

bool RegistryClient::Fetch(const Reference& ref, const std::string& platform,
                           Clock::time_point deadline, ResolvedImage* out, std::string* err) {
  std::string where = "registry " + ref.registry + ": ";
  std::string base = BaseUrl(ref);
  net::HttpResponse resp;
  std::string what = "manifest " + ref.repository +
                     (ref.digest.empty() ? ":" + ref.tag : "@" + ref.digest);
  if (!Get(ref, base + "/manifests/" + ref.ManifestReference(), kAcceptManifests, deadline, &resp,
           err)) {
    *err = where + what + ": " + *err;
    return false;
  }
  if (resp.status != 200) {
    *err = where + what + ": " + DescribeStatus(resp) + Advice(resp.status);
    return false;
  }
  ResolvedImage r;
  r.registry = ref.ApiHost();
  r.repository = ref.repository;
  r.platform = platform;
  r.digest = Digest(resp.body);
  if (!ref.digest.empty() && r.digest != ref.digest) {
    *err = where + what + ": the registry served content with digest " + r.digest;
    return false;
  }
  Manifest m;
  if (!ParseManifest(resp.body, resp.Header("Content-Type"), &m, err)) {
    *err = where + what + ": " + *err;
    return false;
  }
  r.manifest_digest = r.digest;
  if (m.kind == Manifest::Kind::kIndex) {
    Descriptor d;
    if (!SelectPlatform(m, platform, &d, err)) {
      *err = where + what + ": " + *err;
      return false;
    }
    what = "manifest " + ref.repository + "@" + d.digest + " (" + platform + ")";
    if (!Get(ref, base + "/manifests/" + d.digest, kAcceptManifests, deadline, &resp, err)) {
      *err = where + what + ": " + *err;
      return false;
    }
    if (resp.status != 200) {
      *err = where + what + ": " + DescribeStatus(resp) + Advice(resp.status);
      return false;
    }
    if (Digest(resp.body) != d.digest) {
      *err = where + what + ": the registry served content with digest " + Digest(resp.body);
      return false;
    }
    if (!ParseManifest(resp.body, resp.Header("Content-Type"), &m, err)) {
      *err = where + what + ": " + *err;
      return false;
    }
    if (m.kind != Manifest::Kind::kImage) {
      *err = where + what + ": an image index nested in an image index is not supported";
      return false;
    }
    r.manifest_digest = d.digest;
  }
  what = "config blob " + m.config.digest;
  if (!Get(ref, base + "/blobs/" + m.config.digest, "", deadline, &resp, err)) {
    *err = where + what + ": " + *err;
    return false;
  }
  if (resp.status != 200) {
    *err = where + what + ": " + DescribeStatus(resp) + Advice(resp.status);
    return false;
  }
  if (Digest(resp.body) != m.config.digest) {
    *err = where + what + ": the registry served content with digest " + Digest(resp.body);
    return false;
  }
  ImageConfigBlob blob;
  if (!ParseImageConfig(resp.body, &blob, err)) {
    *err = where + what + ": " + *err;
    return false;
  }
  const std::string digest = std::move(r.digest);
  static_cast<lookup::ImageConfig&>(r) = std::move(blob);
  r.digest = digest;
  r.config_json = std::move(blob.config_json);
  *out = std::move(r);
  return true;
}

}  // namespace kilt::registry
