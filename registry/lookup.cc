#include "registry/lookup.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include <rapidjson/document.h>

#include "base/file.h"
#include "base/json_parse.h"
#include "registry/auth.h"
#include "registry/cache.h"
#include "registry/client.h"
#include "registry/manifest.h"
#include "net/http_client.h"
#include "registry/reference.h"

namespace kilt::registry {

using lookup::ImageConfigs;
using lookup::ImageNeed;

AwsCredentials AwsCredentials::FromEnvironment() {
  auto env = [](const char* n) {
    const char* v = std::getenv(n);
    return std::string(v ? v : "");
  };
  AwsCredentials c;
  c.access_key_id = env("AWS_ACCESS_KEY_ID");
  c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  c.session_token = env("AWS_SESSION_TOKEN");
  c.region = env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");
  return c;
}

std::string PlatformFromEcsArchitecture(const std::string& cpu_architecture) {
  if (cpu_architecture.empty() || cpu_architecture == "X86_64") return "linux/amd64";
  if (cpu_architecture == "ARM64") return "linux/arm64";
  return "";
}

bool ParseRepositoryCredentialsSecret(const std::string& json, RegistryCredential* out,
                                      std::string* err) {
  rapidjson::Document doc;
  const bool parsed = base::ParseJson(json, base::ServerAnswerLimits(), &doc).ok();
  auto str = [&](const char* k) -> const rapidjson::Value* {
    auto it = doc.FindMember(k);
    return it != doc.MemberEnd() && it->value.IsString() ? &it->value : nullptr;
  };
  if (!parsed || !doc.IsObject() || !str("username") || !str("password")) {
    *err = "registry credentials must be a JSON object {\"username\": \"...\", \"password\": \"...\"}"
           " (the format of an ECS RepositoryCredentials secret)";
    return false;
  }
  out->username = str("username")->GetString();
  out->password = str("password")->GetString();
  return true;
}

class ImageConfigResolver::Impl {
 public:
  explicit Impl(LookupOptions options)
      : options_(std::move(options)),
        transport_(options_.transport ? options_.transport : NetTransport(options_.ca_file)),
        client_(transport_.get(), MakeClientConfig(options_, &config_error_)),
        cache_(std::chrono::seconds(options_.cache_ttl_seconds)) {}

  bool ResolveOne(const ImageNeed& need, Clock::time_point deadline, ResolvedImage* out,
                  std::string* err) {
    std::string platform = need.platform.empty() ? "linux/amd64" : need.platform;
    std::string prefix = "image " + need.image + " (" + platform + "): ";
    if (!config_error_.empty()) {
      *err = prefix + config_error_;
      return false;
    }
    std::string os, arch, variant;
    if (!SplitPlatform(platform, &os, &arch, &variant)) {
      *err = prefix + "platform is not os/architecture[/variant]";
      return false;
    }
    Reference ref;
    if (!ParseReference(need.image, &ref, err)) {
      *err = prefix + *err;
      return false;
    }
    std::string key = ref.String() + " " + platform;
    if (cache_.Get(key, out)) return true;
    // One lookup per image at a time: a Deployment's 50 new pods reach the webhook together, and
    // the first lookup fills the cache for the other 49.
    InFlight flight(this, key, deadline);
    if (cache_.Get(key, out)) return true;
    if (!client_.Fetch(ref, platform, deadline, out, err)) {
      *err = prefix + *err;
      return false;
    }
    cache_.Put(key, *out, /*immutable=*/!ref.digest.empty());
    return true;
  }

  const LookupOptions& options() const { return options_; }
  void ClearCache() { cache_.Clear(); }

 private:
  static std::shared_ptr<net::HttpTransport> NetTransport(const std::string& ca_file) {
    net::HttpOptions o;
    o.ca_file = ca_file;
    // Manifests are capped at 4 MiB by registries; configs are small. More is not a registry talking.
    o.max_response_bytes = 16u << 20;
    return std::make_shared<net::FetchTransport>(o);
  }

  static ClientConfig MakeClientConfig(const LookupOptions& o, std::string* error) {
    ClientConfig c;
    c.request_timeout = std::chrono::milliseconds(std::max(1, o.request_timeout_ms));
    for (const auto& [k, v] : o.credentials)
      c.explicit_credentials[NormaliseRegistryKey(k)] = v;
    c.aws = o.aws;
    c.ecr_endpoint = o.ecr_endpoint;
    for (const auto& r : o.insecure_http_registries) c.insecure_http.insert(r);
    if (o.use_docker_config) {
      std::string path = o.docker_config_path.empty() ? DefaultDockerConfigPath()
                                                      : o.docker_config_path;
      c.docker_config_path = path;
      std::string text, err;
      if (base::ReadFile(path, &text, &err, kMaxCredentialsFileBytes)) {
        if (!ParseDockerConfig(text, path, &c.docker_credentials, &err)) *error = err;
      } else if (!o.docker_config_path.empty() || err.find(": larger than ") != std::string::npos) {
        // Only a file the user named must exist; docker's default location is optional. One that is
        // there but too large is refused wherever it is, rather than looked up without credentials.
        *error = "cannot read docker config " + err;
      }
    }
    return c;
  }

  // Marks `key` as being looked up for its lifetime; waits (until the deadline at most) while
  // another thread looks the same key up.
  class InFlight {
   public:
    InFlight(Impl* impl, std::string key, Clock::time_point deadline)
        : impl_(impl), key_(std::move(key)) {
      std::unique_lock<std::mutex> lock(impl_->flight_mu_);
      impl_->flight_cv_.wait_until(lock, deadline,
                                   [&] { return impl_->in_flight_.count(key_) == 0; });
      owner_ = impl_->in_flight_.insert(key_).second;
    }
    ~InFlight() {
      if (!owner_) return;
      std::lock_guard<std::mutex> lock(impl_->flight_mu_);
      impl_->in_flight_.erase(key_);
      impl_->flight_cv_.notify_all();
    }

   private:
    Impl* impl_;
    std::string key_;
    bool owner_ = false;
  };

  LookupOptions options_;
  std::string config_error_;  // a broken docker config fails every lookup, with its name
  std::shared_ptr<net::HttpTransport> transport_;
  RegistryClient client_;
  ResolvedImageCache cache_;
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  std::set<std::string> in_flight_;
};

ImageConfigResolver::ImageConfigResolver(LookupOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ImageConfigResolver::~ImageConfigResolver() = default;

void ImageConfigResolver::ClearCache() { impl_->ClearCache(); }

bool ImageConfigResolver::ResolveOne(const ImageNeed& need, ResolvedImage* out, std::string* err) {
  auto deadline = Clock::now() + std::chrono::milliseconds(impl_->options().overall_timeout_ms);
  return impl_->ResolveOne(need, deadline, out, err);
}

std::vector<std::string> ImageConfigResolver::Resolve(const std::vector<ImageNeed>& needs, ImageConfigs* out) {
  return Resolve(needs, {}, Clock::now() + std::chrono::milliseconds(impl_->options().overall_timeout_ms), out);
}

std::vector<std::string> ImageConfigResolver::Resolve(const std::vector<ImageNeed>& needs,
                                                      const lookup::LookupContext&, lookup::Deadline deadline,
                                                      ImageConfigs* out) {
  std::vector<ImageNeed> todo(needs);
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end(),
                         [](const ImageNeed& a, const ImageNeed& b) {
                           return !(a < b) && !(b < a);
                         }),
             todo.end());
  std::vector<ResolvedImage> results(todo.size());
  std::vector<std::string> errors(todo.size());
  std::vector<char> ok(todo.size(), 0);
  std::atomic<size_t> next{0};
  // Workers pull the next image; each request is bounded by the deadline, so joining is too.
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();)
      ok[i] = impl_->ResolveOne(todo[i], deadline, &results[i], &errors[i]) ? 1 : 0;
  };
  size_t workers = std::min<size_t>(todo.size(), std::max(1, impl_->options().parallelism));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < workers; ++t) threads.emplace_back(work);
  if (workers > 0) work();
  for (auto& t : threads) t.join();
  std::vector<std::string> failed;
  for (size_t i = 0; i < todo.size(); ++i) {
    if (ok[i]) {
      (*out)[todo[i]] = static_cast<const lookup::ImageConfig&>(results[i]);
    } else {
      failed.push_back(errors[i]);
    }
  }
  std::sort(failed.begin(), failed.end());
  return failed;
}

}  // namespace kilt::registry
