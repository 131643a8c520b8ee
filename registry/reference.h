// Image references as Docker and containerd read them: "nginx" means
// docker.io/library/nginx:latest, a first component with a '.' or ':' (or "localhost") is a registry
// host, "@sha256:..." pins a digest.
#ifndef KILT_REGISTRY_REFERENCE_H_
#define KILT_REGISTRY_REFERENCE_H_

#include <string>
#include <string_view>

namespace kilt::registry {

struct Reference {
  std::string registry;    // host[:port] as written; "docker.io" when none was given
  std::string repository;  // "library/nginx"
  std::string tag;         // "latest" when neither a tag nor a digest was given; may be empty
  std::string digest;      // "sha256:<64 hex>" or empty

  // The host the Registry API lives on (docker.io's is registry-1.docker.io).
  std::string ApiHost() const;
  // What to ask /v2/<repo>/manifests/<this> for: the digest when there is one, else the tag.
  const std::string& ManifestReference() const { return digest.empty() ? tag : digest; }
  // Canonical form: registry/repository[:tag][@digest] (docker.io spelled out).
  std::string String() const;
};

// Parses `text`; on failure returns false and sets *err to what is wrong with it.
[[nodiscard]] bool ParseReference(std::string_view text, Reference* out, std::string* err);

// An Amazon ECR private registry host: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
struct EcrRegistry {
  std::string account;
  std::string region;
  bool fips = false;
  bool china = false;
};
[[nodiscard]] bool ParseEcrHost(std::string_view host, EcrRegistry* out);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_REFERENCE_H_
