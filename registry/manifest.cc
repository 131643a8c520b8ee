#include "registry/manifest.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "base/json.h"

namespace kilt::registry {

namespace {

constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
constexpr char kDockerList[] = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";

std::string_view StripParams(std::string_view ct) {
  size_t semi = ct.find(';');
  if (semi != std::string_view::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
  return ct;
}

bool ParseDescriptor(const rapidjson::Value& v, Descriptor* d, std::string* err) {
  if (!v.IsObject()) {
    *err = "a descriptor is not a JSON object";
    return false;
  }
  d->media_type = base::StringMember(v, "mediaType");
  d->digest = base::StringMember(v, "digest");
  if (d->digest.empty()) {
    *err = "a descriptor has no digest";
    return false;
  }
  auto size = v.FindMember("size");
  if (size != v.MemberEnd() && size->value.IsInt64()) d->size = size->value.GetInt64();
  auto plat = v.FindMember("platform");
  if (plat != v.MemberEnd() && plat->value.IsObject()) {
    d->os = base::StringMember(plat->value, "os");
    d->architecture = base::StringMember(plat->value, "architecture");
    d->variant = base::StringMember(plat->value, "variant");
  }
  if (const rapidjson::Value* ann = base::Member(v, "annotations"))
    d->ref_name = base::StringMember(*ann, "org.opencontainers.image.ref.name");
  return true;
}

// null (Docker writes "Entrypoint": null) and absent both mean "not set".
bool GetStringArray(const rapidjson::Value& obj, const char* key, std::vector<std::string>* out,
                    std::string* err) {
  if (base::ReadStringList(base::Member(obj, key), out)) return true;
  *err = std::string("config.") + key + " is not an array of strings";
  return false;
}

}  // namespace

const char kAcceptManifests[] =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

bool ParseManifest(std::string_view body, std::string_view content_type, Manifest* out,
                   std::string* err) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *err = "the manifest is not a JSON object";
    return false;
  }
  Manifest m;
  std::string declared(base::StringMember(doc, "mediaType"));
  std::string ct(StripParams(content_type));
  // Some registries answer application/json or octet-stream; the body's mediaType is then the truth.
  m.media_type = ct == kDockerManifest || ct == kDockerList || ct == kOciManifest || ct == kOciIndex
                     ? ct
                     : declared;
  auto schema = doc.FindMember("schemaVersion");
  if (schema != doc.MemberEnd() && schema->value.IsInt() && schema->value.GetInt() == 1) {
    *err = "the image uses the deprecated Docker schema 1 manifest; re-push it with a current client";
    return false;
  }
  bool has_manifests = doc.HasMember("manifests");
  if (m.media_type.empty()) m.media_type = has_manifests ? kOciIndex : kOciManifest;
  if (m.media_type == kDockerList || m.media_type == kOciIndex) {
    m.kind = Manifest::Kind::kIndex;
    auto list = doc.FindMember("manifests");
    if (list == doc.MemberEnd() || !list->value.IsArray()) {
      *err = "the image index has no \"manifests\" array";
      return false;
    }
    for (const auto& v : list->value.GetArray()) {
      Descriptor d;
      if (!ParseDescriptor(v, &d, err)) return false;
      m.manifests.push_back(std::move(d));
    }
  } else if (m.media_type == kDockerManifest || m.media_type == kOciManifest) {
    m.kind = Manifest::Kind::kImage;
    auto config = doc.FindMember("config");
    if (config == doc.MemberEnd()) {
      *err = "the image manifest has no \"config\" descriptor";
      return false;
    }
    if (!ParseDescriptor(config->value, &m.config, err)) return false;
  } else {
    *err = "unsupported manifest media type \"" + m.media_type + "\"";
    return false;
  }
  *out = std::move(m);
  return true;
}

bool SplitPlatform(std::string_view platform, std::string* os, std::string* arch,
                   std::string* variant) {
  size_t a = platform.find('/');
  if (a == std::string_view::npos || a == 0) return false;
  *os = std::string(platform.substr(0, a));
  std::string_view rest = platform.substr(a + 1);
  size_t b = rest.find('/');
  *arch = std::string(rest.substr(0, b));
  *variant = b == std::string_view::npos ? "" : std::string(rest.substr(b + 1));
  return !arch->empty() && (b == std::string_view::npos || !variant->empty());
}

bool SelectPlatform(const Manifest& index, std::string_view platform, Descriptor* out,
                    std::string* err) {
  std::string os, arch, variant;
  if (!SplitPlatform(platform, &os, &arch, &variant)) {
    *err = "platform \"" + std::string(platform) + "\" is not os/architecture[/variant]";
    return false;
  }
  // containerd's rule: arm64 without a variant means v8; amd64 variants (v2, v3) are all runnable.
  if (arch == "arm64" && variant.empty()) variant = "v8";
  const Descriptor* best = nullptr;
  int best_score = 0;
  for (const Descriptor& d : index.manifests) {
    if (d.os != os || d.architecture != arch) continue;
    std::string dv = d.variant;
    if (arch == "arm64" && dv.empty()) dv = "v8";
    int score;
    if (arch == "amd64") {
      score = dv.empty() ? 2 : 1;  // baseline amd64 runs everywhere; v3 may not
    } else {
      if (!variant.empty() && dv != variant) continue;
      score = 2;
    }
    if (score > best_score) {  // first best entry wins, as in containerd
      best = &d;
      best_score = score;
    }
  }
  if (best) {
    *out = *best;
    return true;
  }
  std::string have;
  for (const Descriptor& d : index.manifests) {
    if (d.os.empty() || d.os == "unknown") continue;  // attestation manifests
    std::string p = d.os + "/" + d.architecture + (d.variant.empty() ? "" : "/" + d.variant);
    if (have.find(p) != std::string::npos) continue;
    have += (have.empty() ? "" : ", ") + p;
  }
  *err = "the image index has no " + std::string(platform) + " image (it has: " +
         (have.empty() ? "none" : have) + ")";
  return false;
}

bool ParseImageConfig(std::string_view body, ImageConfigBlob* out, std::string* err) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    *err = "the image config blob is not a JSON object";
    return false;
  }
  ImageConfigBlob c;
  c.os = base::StringMember(doc, "os");
  c.architecture = base::StringMember(doc, "architecture");
  auto config = doc.FindMember("config");
  if (config == doc.MemberEnd() || config->value.IsNull()) {
    c.config_json = "{}";
  } else if (!config->value.IsObject()) {
    *err = "the image config's \"config\" is not an object";
    return false;
  } else {
    const rapidjson::Value& cfg = config->value;
    if (!GetStringArray(cfg, "Entrypoint", &c.entrypoint, err) ||
        !GetStringArray(cfg, "Cmd", &c.cmd, err) || !GetStringArray(cfg, "Env", &c.env, err))
      return false;
    c.working_dir = base::StringMember(cfg, "WorkingDir");
    c.user = base::StringMember(cfg, "User");
    if (const rapidjson::Value* vols = base::Member(cfg, "Volumes"); vols && vols->IsObject()) {
      for (const auto& m : vols->GetObject()) c.volumes.emplace_back(m.name.GetString(), m.name.GetStringLength());
      std::sort(c.volumes.begin(), c.volumes.end());
    }
    c.config_json = base::ToJson(cfg);
  }
  *out = std::move(c);
  return true;
}

}  // namespace kilt::registry
