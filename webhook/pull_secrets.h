// Registry credentials from a pod's spec.imagePullSecrets, so the webhook can look up the
// ENTRYPOINT/CMD of private images the way kubelet pulls them. Secrets are read from the
// apiserver in the pod's namespace (webhook/kube_client.h) and kept for a short TTL. Values are
// never logged: messages name the Secret, the registry and the HTTP status only.
#ifndef KILT_WEBHOOK_PULL_SECRETS_H_
#define KILT_WEBHOOK_PULL_SECRETS_H_

#include <rapidjson/document.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "registry/lookup.h"

namespace kilt::webhook {

using RegistryCredentials =
    std::map<std::string, registry::RegistryCredential>;  // registry host → credential

// The names in pod.spec.imagePullSecrets[].name, in order, without empty or repeated ones.
std::vector<std::string> PodPullSecretNames(const rapidjson::Value& pod);

// Credentials from a Secret object as the apiserver returns it: type kubernetes.io/dockerconfigjson
// (data[".dockerconfigjson"], a docker config.json) or the legacy kubernetes.io/dockercfg
// (data[".dockercfg"], the bare `auths` map). `what` ("ns/name") prefixes error messages.
[[nodiscard]] bool ParsePullSecret(std::string_view secret_json, const std::string& what,
                                   RegistryCredentials* out, std::string* err);

// A DNS-1123 subdomain (what Kubernetes accepts for namespace and Secret names): checked before a
// name goes into an apiserver path.
bool IsKubeName(std::string_view name);

class PullSecretStore {
 public:
  using Clock = std::chrono::steady_clock;
  // Reads Secret `name` in `ns` (the JSON object) or says why not. Thread-safe.
  using Fetch =
      std::function<bool(const std::string& ns, const std::string& name, Clock::time_point deadline,
                         std::string* json, std::string* err)>;

  // Successful reads are reused for `ttl`; failures are not kept, so a fixed RoleBinding or a
  // created Secret takes effect with the next pod. Concurrent requests for the same Secret share
  // one read (a Deployment's new pods arrive together).
  PullSecretStore(Fetch fetch, std::chrono::seconds ttl) : fetch_(std::move(fetch)), ttl_(ttl) {}

  // The credentials of the named Secrets of `ns`, merged (the first Secret naming a registry wins,
  // as kubelet tries them in order). One message per Secret that could not be used.
  RegistryCredentials Credentials(const std::string& ns, const std::vector<std::string>& names,
                                  Clock::time_point deadline, std::vector<std::string>* problems);

 private:
  struct Entry {
    RegistryCredentials credentials;
    Clock::time_point expires;
  };
  struct Flight {  // one read in progress; its waiters take its result
    bool done = false, ok = false;
    RegistryCredentials credentials;
    std::string error;
  };
  // One Secret: from the cache, from a read in flight, or read now. False + *err on failure.
  bool Read(const std::string& ns, const std::string& name, Clock::time_point deadline,
            RegistryCredentials* out, std::string* err);
  void Remember(const std::string& key,
                const RegistryCredentials& credentials);  // REQUIRES: mu_ held

  Fetch fetch_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Entry> cache_;                      // "ns/name"
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // "ns/name"
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_PULL_SECRETS_H_
