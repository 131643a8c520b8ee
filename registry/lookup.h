// Image config lookup: asks OCI / Docker registries (API v2) for the config of the images a patch
// needs (ENTRYPOINT, CMD, ...), so a container whose task definition or pod does not spell out what to
// run keeps running the same thing once its EntryPoint becomes /kilt/run. See docs/image-lookup.md.
//
// This is the I/O shell around the pure patcher: consumers (the `kilt` CLI, the macro Lambda, the
// webhook) call ListXxxImageNeeds(), then an ImageSource's Resolve() (lookup/image_source.h: this
// resolver, or the webhook's per-pod lookup over it), then PatchXxx().
//
// Library: $(call kilt_libs,registry net base), link flags $(NET_LDLIBS).
#ifndef KILT_REGISTRY_LOOKUP_H_
#define KILT_REGISTRY_LOOKUP_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lookup/image_source.h"

namespace kilt {
namespace net {
class HttpTransport;
}

namespace registry {

// A username/password for one registry (a docker config.json `auths` entry, or the content of an ECS
// RepositoryCredentials secret: {"username": "...", "password": "..."}).
struct RegistryCredential {
  std::string username;
  std::string password;
};

// AWS credentials for Amazon ECR (GetAuthorizationToken, signed with SigV4).
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::string region;         // default region; an ECR host names its own region, which wins
  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
  // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION.
  static AwsCredentials FromEnvironment();
};

struct LookupOptions {
  // Each HTTP request (connect + TLS + response) must finish within this.
  int request_timeout_ms = 10000;
  // Resolve() gives up on what is still unresolved after this, unless the caller passes its own
  // deadline (the Lambda derives one from Lambda-Runtime-Deadline-Ms).
  int overall_timeout_ms = 60000;
  // How many images are looked up at the same time.
  int parallelism = 8;
  // Extra PEM bundle to trust besides the system store (and SSL_CERT_FILE, which OpenSSL honours).
  std::string ca_file;
  // Docker config.json with `auths`; empty: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
  // Set use_docker_config = false to ignore it (the Lambda and webhook do).
  std::string docker_config_path;
  bool use_docker_config = true;
  // Explicit credentials per registry host ("ghcr.io", "127.0.0.1:5000"); win over config.json.
  std::map<std::string, RegistryCredential> credentials;
  // Used for *.dkr.ecr.*.amazonaws.com registries; default: from the environment.
  AwsCredentials aws = AwsCredentials::FromEnvironment();
  // ECR API endpoint override ("https://host:port"); default https://api.ecr.REGION.amazonaws.com,
  // or $AWS_ENDPOINT_URL_ECR when set (the standard AWS SDK variable).
  std::string ecr_endpoint;
  // Registries spoken to over plain http (tests, local mirrors); never used unless listed.
  std::vector<std::string> insecure_http_registries;
  // How long a resolved tag is trusted (digest references are immutable and never expire).
  int cache_ttl_seconds = 300;
  // Replaces the network (tests); default: the net/ HTTP client with ca_file.
  std::shared_ptr<net::HttpTransport> transport;
};

// Everything known about one looked-up image (what `kilt image-config` prints): its config (`digest` is
// what the reference points to, index or manifest: pin this) and where it came from.
struct ResolvedImage : lookup::ImageConfig {
  std::string registry;         // "registry-1.docker.io", "123.dkr.ecr.us-east-1.amazonaws.com"
  std::string repository;       // "library/nginx"
  std::string manifest_digest;  // digest of the platform's manifest (same as digest for single-arch)
  std::string platform;         // "linux/amd64"
  std::string config_json;      // the image config's `config` object exactly as stored ("{}" if absent)
};

class ImageConfigResolver : public lookup::ImageSource {
 public:
  explicit ImageConfigResolver(LookupOptions options);
  ~ImageConfigResolver() override;
  ImageConfigResolver(const ImageConfigResolver&) = delete;
  ImageConfigResolver& operator=(const ImageConfigResolver&) = delete;

  // Fills *out for every need it can; returns one error per image that failed, naming the image, the
  // registry and the HTTP status or reason, sorted. Lookups run in parallel and are cached across
  // calls (warm Lambda invocations). The credentials are the options' (`who` is not used). Thread-safe.
  std::vector<std::string> Resolve(const std::vector<lookup::ImageNeed>& needs, const lookup::LookupContext& who,
                                   lookup::Deadline deadline, lookup::ImageConfigs* out) override;
  // The same with the options' overall timeout.
  std::vector<std::string> Resolve(const std::vector<lookup::ImageNeed>& needs, lookup::ImageConfigs* out);

  // One image, with everything known about it. `platform` is "linux/amd64" / "linux/arm64" (also
  // accepts "linux/arm64/v8"). Returns false and sets *err on failure.
  [[nodiscard]] bool ResolveOne(const lookup::ImageNeed& need, ResolvedImage* out, std::string* err);

  // Drops every cached result (tests; a long-lived webhook may call it on a timer).
  void ClearCache();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses the content of an ECS RepositoryCredentials secret ({"username": ..., "password": ...}).
[[nodiscard]] bool ParseRepositoryCredentialsSecret(const std::string& json, RegistryCredential* out,
                                                    std::string* err);

// Maps an ECS RuntimePlatform CpuArchitecture ("X86_64", "ARM64"; empty = X86_64) to "linux/amd64" /
// "linux/arm64". Returns "" for an unknown value.
std::string PlatformFromEcsArchitecture(const std::string& cpu_architecture);

}  // namespace registry
}  // namespace kilt

#endif  // KILT_REGISTRY_LOOKUP_H_
