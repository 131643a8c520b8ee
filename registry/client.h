// RegistryClient: talks the Registry HTTP API v2 to one or many registries to find an image's config:
// manifest (or index → the platform's manifest) → config blob. Handles the 401 challenge (Bearer token
// exchange or Basic), ECR credentials, redirects for blobs, and verifies every digest it reads.
#ifndef KILT_REGISTRY_CLIENT_H_
#define KILT_REGISTRY_CLIENT_H_

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "net/http.h"
#include "registry/lookup.h"
#include "registry/reference.h"

namespace kilt::registry {

using Clock = std::chrono::steady_clock;

struct ClientConfig {
  std::chrono::milliseconds request_timeout{10000};
  // Explicit credentials per registry key (NormaliseRegistryKey form); win over everything else.
  std::map<std::string, RegistryCredential> explicit_credentials;
  // From a docker config.json; `docker_config_path` names it in error messages.
  std::map<std::string, RegistryCredential> docker_credentials;
  std::string docker_config_path;
  AwsCredentials aws;
  std::string ecr_endpoint;
  std::set<std::string> insecure_http;  // registry keys spoken to over http://
  std::function<std::time_t()> wall_clock = [] { return std::time(nullptr); };  // SigV4 dates
};

class RegistryClient {
 public:
  // `transport` must outlive the client.
  RegistryClient(net::HttpTransport* transport, ClientConfig config);

  // Fetches what `ref` names for `platform`, giving up at `deadline`. On failure *err says what went
  // wrong at which registry, with the HTTP status when there was one (it does not name the image:
  // the caller does). Thread-safe.
  [[nodiscard]] bool Fetch(const Reference& ref, const std::string& platform, Clock::time_point deadline,
                           ResolvedImage* out, std::string* err);

 private:
  struct Credential {
    RegistryCredential value;
    std::string source;  // "docker config ~/.docker/config.json", "ECR GetAuthorizationToken", ...
  };
  struct CachedAuth {
    std::string header;  // Authorization value
    Clock::time_point expires;
  };

  // GET with the cached Authorization for (registry, repository); answers a 401 once by
  // authenticating, follows redirects (dropping Authorization when the host changes).
  bool Get(const Reference& ref, const std::string& url, const std::string& accept,
           Clock::time_point deadline, net::HttpResponse* resp, std::string* err);
  bool RoundTrip(const net::HttpRequest& req, Clock::time_point deadline, net::HttpResponse* resp,
                 std::string* err);
  bool Authenticate(const Reference& ref, const std::string& challenge_header,
                    Clock::time_point deadline, std::string* err);
  // Credentials for the registry, or false with *err when looking them up failed (ECR).
  bool FindCredential(const Reference& ref, Clock::time_point deadline, bool* found, Credential* out,
                      std::string* err);
  bool FetchEcrCredential(const Reference& ref, const EcrRegistry& ecr, Clock::time_point deadline,
                          Credential* out, std::string* err);
  std::string BaseUrl(const Reference& ref) const;
  std::string AuthKey(const Reference& ref) const { return ref.ApiHost() + "/" + ref.repository; }

  net::HttpTransport* transport_;
  ClientConfig config_;
  std::mutex mu_;  // guards the two caches below
  std::map<std::string, CachedAuth> auth_;  // AuthKey → Authorization
  std::map<std::string, std::pair<Credential, std::time_t>> ecr_;  // registry → credential, expiry
};

// "HTTP 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)": the status and, when the body is a
// registry error document, its first code and message.
std::string DescribeStatus(const net::HttpResponse& resp);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_CLIENT_H_
