// Registry authentication pieces: the WWW-Authenticate challenge, the bearer token exchange (Docker
// Hub style, https://distribution.github.io/distribution/spec/auth/token/), and credentials from a
// docker config.json.
#ifndef KILT_REGISTRY_AUTH_H_
#define KILT_REGISTRY_AUTH_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "registry/lookup.h"

namespace kilt::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "bearer", "basic"
  std::map<std::string, std::string> params;  // lowercase keys: realm, service, scope, error
};

// Parses the first challenge of a WWW-Authenticate value: `Bearer realm="...",service="..."`.
[[nodiscard]] bool ParseChallenge(std::string_view header, Challenge* out, std::string* err);

// The URL to GET a pull token from: realm?service=...&scope=repository:REPO:pull.
std::string TokenUrl(const Challenge& c, const std::string& repository);

// The token from a token server's JSON answer ("token", or OAuth2's "access_token").
[[nodiscard]] bool ParseTokenResponse(std::string_view body, std::string* token, std::string* err);

// "Basic base64(user:password)".
std::string BasicAuthorization(const RegistryCredential& c);

// Registry credentials from a docker config.json's "auths" (each entry "auth": base64(user:pass), or
// "username"/"password"). Keys are normalised to a host ("https://index.docker.io/v1/" → "docker.io").
// credsStore / credHelpers are not consulted (see docs/image-lookup.md).
[[nodiscard]] bool ParseDockerConfig(std::string_view json, std::string_view path,
                                     std::map<std::string, RegistryCredential>* out,
                                     std::string* err);

// The largest docker config.json or credentials file Kilt reads: such files hold a few entries; a bigger
// one is the wrong file (a log, a device) and is refused before it fills memory.
inline constexpr size_t kMaxCredentialsFileBytes = 1u << 20;

// Where docker looks: $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string DefaultDockerConfigPath();

// "https://index.docker.io/v1/" → "docker.io"; "http://host:5000/x" → "host:5000".
std::string NormaliseRegistryKey(std::string_view key);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_AUTH_H_
