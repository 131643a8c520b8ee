#include "local/image_store.h"

#include <rapidjson/document.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/file.h"
#include "local/process.h"

namespace kilt {
namespace local {
namespace {

using rapidjson::Value;

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}
bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool LoadJson(const std::string& path, rapidjson::Document* doc, std::string* err) {
  std::string text;
  if (!base::ReadFile(path, &text, err)) return false;
  doc->Parse(text.c_str(), text.size());
  if (doc->HasParseError() || !doc->IsObject()) {
    *err = path + ": not a JSON object";
    return false;
  }
  return true;
}

std::string BlobPath(const std::string& layout, const std::string& digest) {
  size_t colon = digest.find(':');
  return layout + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

bool StringMember(const Value& v, const char* key, std::string* out) {
  auto it = v.FindMember(key);
  if (it == v.MemberEnd() || !it->value.IsString()) return false;
  *out = it->value.GetString();
  return true;
}

void StringArray(const Value& obj, const char* key, std::vector<std::string>* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsArray()) return;
  for (const Value& s : it->value.GetArray())
    if (s.IsString()) out->push_back(s.GetString());
}

bool IsIndexType(const std::string& media_type) {
  return media_type == "application/vnd.oci.image.index.v1+json" ||
         media_type == "application/vnd.docker.distribution.manifest.list.v2+json";
}

}  // namespace

bool ParseImageReference(const std::string& ref, ImageName* out, std::string* err) {
  *out = ImageName{};
  std::string rest = ref;
  size_t at = rest.find('@');
  if (at != std::string::npos) {
    out->digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  size_t slash = rest.rfind('/');
  std::string last = slash == std::string::npos ? rest : rest.substr(slash + 1);
  size_t colon = last.find(':');
  if (colon != std::string::npos) {
    out->tag = last.substr(colon + 1);
    last = last.substr(0, colon);
  }
  out->name = last;
  if (out->tag.empty()) out->tag = "latest";
  if (out->name.empty() || out->name == "." || out->name == ".." ||
      out->name.find_first_of(" \t\n") != std::string::npos) {
    *err = "'" + ref + "' is not an image reference (NAME[:TAG][@DIGEST])";
    return false;
  }
  return true;
}

std::string HostArchitecture() {
  struct utsname u;
  if (uname(&u) != 0) return "amd64";
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64" || m == "arm64") return "arm64";
  return m;
}

bool ImageStore::FindLayout(const ImageName& n, const std::string& ref, std::string* layout,
                            std::string* err) {
  const std::string base = dir_ + "/" + n.name;
  if (IsDir(base) && Exists(base + "/index.json")) {
    // Absolute: Unpack() links to the blobs from elsewhere.
    char* real = realpath(base.c_str(), nullptr);
    *layout = real ? real : base;
    free(real);
    return true;
  }
  for (const char* ext : {".oci.tar", ".tar"}) {
    std::string archive = base + ext;
    if (!Exists(archive)) continue;
    auto it = extracted_.find(archive);
    if (it != extracted_.end()) {
      *layout = it->second;
      return true;
    }
    std::string dest = scratch_ + "/layout-" + std::to_string(extracted_.size());
    if (mkdir(dest.c_str(), 0700) != 0) {
      *err = "cannot create " + dest;
      return false;
    }
    std::string e;
    if (!RunChecked({"tar", "-xf", archive, "-C", dest}, &e)) {
      *err = "image " + ref + ": cannot extract " + archive + ": " + e;
      return false;
    }
    if (!Exists(dest + "/index.json")) {
      *err = "image " + ref + ": " + archive + " is not an OCI archive (no index.json inside)";
      return false;
    }
    extracted_[archive] = dest;
    *layout = dest;
    return true;
  }
  *err = "image " + ref + " not found: looked for " + base + "/ (OCI layout), " + base +
         ".oci.tar and " + base +
         ".tar; build it into that directory (e.g. `skopeo copy docker://" + ref + " oci:" + base +
         ":" + n.tag + "`)";
  return false;
}

bool ImageStore::Resolve(const std::string& ref, ImageSpec* out, std::string* err) {
  *out = ImageSpec{};
  out->reference = ref;
  ImageName n;
  if (!ParseImageReference(ref, &n, err)) return false;
  std::string layout;
  if (!FindLayout(n, ref, &layout, err)) return false;
  out->layout_dir = layout;

  rapidjson::Document index;
  if (!LoadJson(layout + "/index.json", &index, err)) return false;
  auto mit = index.FindMember("manifests");
  if (mit == index.MemberEnd() || !mit->value.IsArray()) {
    *err = layout + "/index.json: no manifests";
    return false;
  }
  // The descriptor: by digest when pinned, else by tag.
  std::string digest, media_type;
  std::vector<std::string> tags;
  for (const Value& d : mit->value.GetArray()) {
    std::string dd, mt, tag;
    StringMember(d, "digest", &dd);
    StringMember(d, "mediaType", &mt);
    auto ann = d.FindMember("annotations");
    if (ann != d.MemberEnd() && ann->value.IsObject())
      StringMember(ann->value, "org.opencontainers.image.ref.name", &tag);
    if (!tag.empty()) tags.push_back(tag);
    if ((!n.digest.empty() && dd == n.digest) || (n.digest.empty() && tag == n.tag)) {
      digest = dd;
      media_type = mt;
      break;
    }
  }
  if (digest.empty() && !n.digest.empty()) {
    // A digest that is not a top-level descriptor may still be a blob (a per-platform manifest).
    if (Exists(BlobPath(layout, n.digest))) {
      digest = n.digest;
      media_type = "application/vnd.oci.image.manifest.v1+json";
    }
  }
  if (digest.empty()) {
    std::string list;
    for (auto& t : tags) list += (list.empty() ? "" : ", ") + t;
    *err = "image " + ref + ": " + layout + " has no tag " + (n.digest.empty() ? n.tag : n.digest) +
           " (tags: " + (list.empty() ? "none" : list) + ")";
    return false;
  }
  if (IsIndexType(media_type)) {
    rapidjson::Document idx;
    if (!LoadJson(BlobPath(layout, digest), &idx, err)) return false;
    const std::string arch = HostArchitecture();
    std::string found, archs;
    auto ms = idx.FindMember("manifests");
    if (ms != idx.MemberEnd() && ms->value.IsArray()) {
      for (const Value& d : ms->value.GetArray()) {
        auto p = d.FindMember("platform");
        std::string a, os, dd;
        if (p != d.MemberEnd() && p->value.IsObject()) {
          StringMember(p->value, "architecture", &a);
          StringMember(p->value, "os", &os);
        }
        archs += (archs.empty() ? "" : ", ") + os + "/" + a;
        if (a == arch && os == "linux" && StringMember(d, "digest", &dd)) {
          found = dd;
          break;
        }
      }
    }
    if (found.empty()) {
      *err = "image " + ref + " has no linux/" + arch + " manifest (it has: " + archs + ")";
      return false;
    }
    digest = found;
  }
  out->manifest_digest = digest;

  rapidjson::Document manifest;
  if (!LoadJson(BlobPath(layout, digest), &manifest, err)) return false;
  std::string config_digest;
  auto cfg = manifest.FindMember("config");
  if (cfg == manifest.MemberEnd() || !cfg->value.IsObject() ||
      !StringMember(cfg->value, "digest", &config_digest)) {
    *err = "image " + ref + ": manifest " + digest + " has no config";
    return false;
  }
  rapidjson::Document config;
  if (!LoadJson(BlobPath(layout, config_digest), &config, err)) return false;
  auto c = config.FindMember("config");
  if (c != config.MemberEnd() && c->value.IsObject()) {
    const Value& cv = c->value;
    StringArray(cv, "Entrypoint", &out->entrypoint);
    StringArray(cv, "Cmd", &out->cmd);
    StringArray(cv, "Env", &out->env);
    StringMember(cv, "User", &out->user);
    StringMember(cv, "WorkingDir", &out->working_dir);
    auto vols = cv.FindMember("Volumes");
    if (vols != cv.MemberEnd() && vols->value.IsObject())
      for (auto& m : vols->value.GetObject()) out->volumes.push_back(m.name.GetString());
    std::sort(out->volumes.begin(), out->volumes.end());
  }
  return true;
}

bool ImageStore::Unpack(const ImageSpec& image, const std::string& rootfs, std::string* err) {
  // umoci unpacks a tag of a layout. The chosen manifest may sit inside an index (no tag of its
  // own), and the layout may be the user's: so give umoci a private layout that shares the blobs
  // and has one tag.
  std::string tmp = scratch_ + "/unpack-" + std::to_string(unpacks_++);
  std::string e;
  if (mkdir(tmp.c_str(), 0700) != 0 || mkdir((tmp + "/blobs").c_str(), 0700) != 0) {
    *err = "cannot create " + tmp;
    return false;
  }
  bool ok =
      symlink((image.layout_dir + "/blobs/sha256").c_str(), (tmp + "/blobs/sha256").c_str()) == 0 &&
      base::WriteFileAtomically(tmp + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", &e);
  std::string size;
  struct stat st;
  if (ok && stat(BlobPath(image.layout_dir, image.manifest_digest).c_str(), &st) == 0)
    size = std::to_string(st.st_size);
  ok = ok && !size.empty() &&
       base::WriteFileAtomically(tmp + "/index.json",
                 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                 "vnd.oci.image.manifest.v1+json\","
                 "\"digest\":\"" +
                     image.manifest_digest + "\",\"size\":" + size +
                     ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"kilt-local\"}}]}",
                 &e);
  if (!ok) {
    *err = "image " + image.reference + ": cannot prepare " + tmp;
    return false;
  }
  if (!RunChecked(
          {"umoci", "--log", "error", "raw", "unpack", "--image", tmp + ":kilt-local", rootfs},
          &e)) {
    *err = "image " + image.reference + ": unpack failed: " + e;
    return false;
  }
  (void)base::RemoveTree(tmp, &e);  // only a symlink and two small files; the work dir goes later anyway
  return true;
}

}  // namespace local
}  // namespace kilt
