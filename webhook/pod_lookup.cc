#include "webhook/pod_lookup.h"

#include <algorithm>

#include "registry/digest.h"

namespace kilt::webhook {
namespace {

// Length-prefixed, so ("ab", "c") and ("a", "bc") differ. The map is sorted: same set, same key.
std::string Fingerprint(const RegistryCredentials& credentials) {
  if (credentials.empty()) return "";
  std::string text;
  for (const auto& [host, c] : credentials)
    for (const std::string* s : {&host, &c.username, &c.password})
      text += std::to_string(s->size()) + ":" + *s + ";";
  return registry::Sha256Hex(text);
}

}  // namespace

PodImageLookup::PodImageLookup(registry::LookupOptions base, std::shared_ptr<PullSecretStore> secrets,
                               size_t max_resolvers)
    : base_(std::move(base)),
      secrets_(std::move(secrets)),
      max_resolvers_(std::max<size_t>(1, max_resolvers)) {}

std::shared_ptr<registry::ImageConfigResolver> PodImageLookup::ResolverFor(
    const RegistryCredentials& credentials) {
  const std::string key = Fingerprint(credentials);
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = resolvers_[key];
  slot.last_used = ++clock_;
  if (!slot.resolver) {
    registry::LookupOptions o = base_;
    for (const auto& [host, c] : credentials) o.credentials[host] = c;
    // Constructed under the lock: cheap (reads --docker-config, no network).
    slot.resolver = std::make_shared<registry::ImageConfigResolver>(o);
    while (resolvers_.size() > max_resolvers_) {
      auto oldest = resolvers_.end();
      for (auto it = resolvers_.begin(); it != resolvers_.end(); ++it)
        if (it->first != key &&
            (oldest == resolvers_.end() || it->second.last_used < oldest->second.last_used))
          oldest = it;
      if (oldest == resolvers_.end()) break;
      resolvers_.erase(oldest);  // a request still using it keeps its shared_ptr
    }
  }
  return slot.resolver;
}

std::vector<std::string> PodImageLookup::Resolve(const std::vector<lookup::ImageNeed>& needs,
                                                 const lookup::LookupContext& who, lookup::Deadline deadline,
                                                 lookup::ImageConfigs* out) {
  std::vector<std::string> messages;
  RegistryCredentials credentials;
  if (secrets_ && !who.pull_secrets.empty()) {
    // At most half the budget for the apiserver: a slow one must leave time for the registry, and
    // the lookup goes on without what it could not read.
    auto now = Clock::now();
    auto secrets_deadline = deadline > now ? now + (deadline - now) / 2 : deadline;
    credentials = secrets_->Credentials(who.namespace_, who.pull_secrets, secrets_deadline, &messages);
  }
  for (const auto& e : ResolverFor(credentials)->Resolve(needs, who, deadline, out))
    messages.push_back("image lookup: " + e);
  return messages;
}

size_t PodImageLookup::resolver_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return resolvers_.size();
}

}  // namespace kilt::webhook
