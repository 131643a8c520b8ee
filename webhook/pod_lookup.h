// The webhook's image config lookup for one pod: the registry credentials of the pod's
// imagePullSecrets (when enabled) on top of the webhook's own (--docker-config).
//
// Why one resolver per distinct credential set: ImageConfigResolver caches resolved images and
// registry tokens by image and repository, not by who asked. Sharing one resolver across pods would
// let a pod without credentials (or another namespace) reuse what another pod's Secret unlocked.
// Resolvers are keyed by a SHA-256 of the credentials, so every pod of a Deployment, and every
// namespace holding the same Secret, shares one warm cache; a rotated Secret gets a fresh resolver
// and the old one ages out (least recently used, bounded).
#ifndef KILT_WEBHOOK_POD_LOOKUP_H_
#define KILT_WEBHOOK_POD_LOOKUP_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "registry/lookup.h"
#include "webhook/pull_secrets.h"

namespace kilt::webhook {

class PodImageLookup : public lookup::ImageSource {
 public:
  using Clock = std::chrono::steady_clock;
  // `secrets` null: imagePullSecrets are ignored. `base` applies to every resolver (CA, timeouts,
  // --docker-config, insecure registries); a pod's Secrets win over --docker-config per registry.
  PodImageLookup(registry::LookupOptions base, std::shared_ptr<PullSecretStore> secrets,
                 size_t max_resolvers = 64);

  // Fills *out for the needs it can, with the credentials of `who`'s pull Secrets. Returns the messages
  // for the admission warnings and the log: "imagePullSecret NS/NAME: ..." for a Secret that could not
  // be used (the lookup goes on without it), "image lookup: ..." for an image that could not be resolved.
  std::vector<std::string> Resolve(const std::vector<lookup::ImageNeed>& needs, const lookup::LookupContext& who,
                                   lookup::Deadline deadline, lookup::ImageConfigs* out) override;

  size_t resolver_count();  // tests

 private:
  std::shared_ptr<registry::ImageConfigResolver> ResolverFor(const RegistryCredentials& credentials);

  struct Slot {
    std::shared_ptr<registry::ImageConfigResolver> resolver;
    uint64_t last_used = 0;
  };
  registry::LookupOptions base_;
  std::shared_ptr<PullSecretStore> secrets_;
  size_t max_resolvers_;
  std::mutex mu_;
  uint64_t clock_ = 0;
  std::map<std::string, Slot> resolvers_;  // SHA-256 of the credential set ("" = none) → resolver
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_POD_LOOKUP_H_
