#include "webhook/pull_secrets.h"

#include <set>

#include "registry/auth.h"
#include "base/encoding.h"

namespace kilt::webhook {
namespace {

using rapidjson::Value;

const Value* Member(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string StrMember(const Value& obj, const char* key) {
  const Value* v = Member(obj, key);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
}

}  // namespace

std::vector<std::string> PodPullSecretNames(const rapidjson::Value& pod) {
  std::vector<std::string> names;
  const Value* spec = Member(pod, "spec");
  const Value* list = spec ? Member(*spec, "imagePullSecrets") : nullptr;
  if (!list || !list->IsArray()) return names;
  std::set<std::string> seen;
  for (const auto& ref : list->GetArray()) {
    std::string name = StrMember(ref, "name");
    if (!name.empty() && seen.insert(name).second) names.push_back(name);
  }
  return names;
}

bool IsKubeName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  return name.front() != '-' && name.front() != '.' && name.back() != '-' && name.back() != '.';
}

bool ParsePullSecret(std::string_view secret_json, const std::string& what,
                     RegistryCredentials* out, std::string* err) {
  rapidjson::Document doc;
  doc.Parse(secret_json.data(), secret_json.size());
  if (doc.HasParseError() || !doc.IsObject() || StrMember(doc, "kind") != "Secret") {
    *err = "Secret " + what + ": the apiserver's answer is not a Secret object";
    return false;
  }
  const std::string type = StrMember(doc, "type");
  const char* key = type == "kubernetes.io/dockerconfigjson" ? ".dockerconfigjson"
                    : type == "kubernetes.io/dockercfg"      ? ".dockercfg"
                                                             : nullptr;
  if (!key) {
    *err =
        "Secret " + what + " has type \"" + type +
        "\", not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg (kubectl create secret "
        "docker-registry makes one)";
    return false;
  }
  const Value* data = Member(doc, "data");
  const Value* encoded = data ? Member(*data, key) : nullptr;
  std::string config;
  if (!encoded || !encoded->IsString() ||
      !base::Base64Decode(std::string_view(encoded->GetString(), encoded->GetStringLength()),
                              &config)) {
    *err = "Secret " + what + ": data[\"" + key + "\"] is missing or not base64";
    return false;
  }
  // The legacy format is the `auths` map on its own: wrap it and parse both the same way.
  if (std::string(key) == ".dockercfg") config = "{\"auths\":" + config + "}";
  RegistryCredentials parsed;
  if (!registry::ParseDockerConfig(config, "Secret " + what + " " + key, &parsed, err))
    return false;
  for (auto& [host, cred] : parsed) out->emplace(host, std::move(cred));
  return true;
}

bool PullSecretStore::Read(const std::string& ns, const std::string& name,
                           Clock::time_point deadline, RegistryCredentials* out, std::string* err) {
  const std::string key = ns + "/" + name;
  std::shared_ptr<Flight> flight;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && Clock::now() < it->second.expires) {
      *out = it->second.credentials;
      return true;
    }
    auto f = flights_.find(key);
    if (f != flights_.end()) {
      std::shared_ptr<Flight> theirs = f->second;
      if (!cv_.wait_until(lock, deadline, [&] { return theirs->done; })) {
        *err = "timed out waiting for the apiserver";
        return false;
      }
      *out = theirs->credentials;
      *err = theirs->error;
      return theirs->ok;
    }
    flight = std::make_shared<Flight>();
    flights_[key] = flight;
  }
  std::string json, why;
  RegistryCredentials creds;
  const bool ok =
      fetch_(ns, name, deadline, &json, &why) && ParsePullSecret(json, key, &creds, &why);
  std::lock_guard<std::mutex> lock(mu_);
  if (ok) Remember(key, creds);
  flight->done = true;
  flight->ok = ok;
  flight->credentials = creds;
  flight->error = why;
  flights_.erase(key);
  cv_.notify_all();
  *out = std::move(creds);
  *err = std::move(why);
  return ok;
}

void PullSecretStore::Remember(const std::string& key, const RegistryCredentials& credentials) {
  // Bounded: expired entries go first; a flood of distinct names cannot grow the map forever.
  if (cache_.size() >= 4096) {
    for (auto it = cache_.begin(); it != cache_.end();)
      it = Clock::now() >= it->second.expires ? cache_.erase(it) : std::next(it);
    if (cache_.size() >= 4096) cache_.clear();
  }
  cache_[key] = {credentials, Clock::now() + ttl_};
}

RegistryCredentials PullSecretStore::Credentials(const std::string& ns,
                                                 const std::vector<std::string>& names,
                                                 Clock::time_point deadline,
                                                 std::vector<std::string>* problems) {
  RegistryCredentials merged;
  for (const auto& name : names) {
    const std::string what = ns + "/" + name;
    if (!IsKubeName(ns) || !IsKubeName(name)) {
      problems->push_back("imagePullSecret " + what + ": not a valid namespace/Secret name");
      continue;
    }
    RegistryCredentials creds;
    std::string err;
    if (!Read(ns, name, deadline, &creds, &err)) {
      problems->push_back("imagePullSecret " + what + ": " + err);
      continue;
    }
    for (auto& [host, cred] : creds) merged.emplace(host, std::move(cred));
  }
  return merged;
}

}  // namespace kilt::webhook
