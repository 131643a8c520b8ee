#include "local/image_store.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>

#include "base/file.h"
#include "base/strings.h"
#include "local/process.h"
#include "registry/digest.h"
#include "registry/reference.h"

namespace kilt {
namespace local {
namespace {

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}
bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string BlobPath(const std::string& layout, const std::string& digest) {
  size_t colon = digest.find(':');
  return layout + "/blobs/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
}

// A blob, checked against its digest: a layout is read as a registry is, trusting nothing but digests.
bool ReadBlob(const std::string& layout, const std::string& digest, std::string* out, std::string* err) {
  if (digest.rfind("sha256:", 0) != 0 || digest.find('/') != std::string::npos) {
    *err = "unsupported digest " + digest;
    return false;
  }
  if (!base::ReadFile(BlobPath(layout, digest), out, err)) return false;
  if ("sha256:" + registry::Sha256Hex(*out) != digest) {
    *err = BlobPath(layout, digest) + " does not match its digest: the layout is damaged";
    return false;
  }
  return true;
}

}  // namespace

std::string HostPlatform() {
  struct utsname u;
  std::string m = uname(&u) == 0 ? u.machine : "x86_64";
  if (m == "x86_64") return "linux/amd64";
  if (m == "aarch64" || m == "arm64") return "linux/arm64";
  return "linux/" + m;
}

bool ImageStore::FindLayout(const std::string& name, const std::string& tag, const std::string& ref,
                            std::string* layout, std::string* err) {
  const std::string base = dir_ + "/" + name;
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
         ":" + (tag.empty() ? "latest" : tag) + "`)";
  return false;
}

bool ImageStore::ReadManifest(const std::string& layout, const registry::Descriptor& d, registry::Manifest* out,
                              std::string* err) {
  std::string text;
  return ReadBlob(layout, d.digest, &text, err) && registry::ParseManifest(text, d.media_type, out, err);
}

bool ImageStore::Resolve(const std::string& ref, ImageSpec* out, std::string* err) {
  *out = ImageSpec{};
  out->reference = ref;
  registry::Reference r;
  if (!registry::ParseReference(ref, &r, err)) {
    *err = "'" + ref + "' is not an image reference: " + *err;
    return false;
  }
  const std::string name = r.repository.substr(r.repository.rfind('/') + 1);
  std::string layout, text;
  if (!FindLayout(name, r.tag, ref, &layout, err)) return false;
  out->layout_dir = layout;
  auto fail = [&](const std::string& what) {
    *err = "image " + ref + ": " + what;
    return false;
  };

  // index.json: the layout's own image index; its entries are the tags.
  registry::Manifest index;
  if (!base::ReadFile(layout + "/index.json", &text, err) ||
      !registry::ParseManifest(text, "application/vnd.oci.image.index.v1+json", &index, err))
    return fail(layout + "/index.json: " + *err);
  registry::Descriptor d;
  std::vector<std::string> tags;
  for (const registry::Descriptor& m : index.manifests) {
    if (!m.ref_name.empty()) tags.push_back(m.ref_name);
    if (d.digest.empty() && (r.digest.empty() ? m.ref_name == r.tag : m.digest == r.digest)) d = m;
  }
  if (d.digest.empty() && !r.digest.empty() && Exists(BlobPath(layout, r.digest)))
    d.digest = r.digest;  // not a tag: a per-platform manifest inside an index, say
  if (d.digest.empty())
    return fail(layout + " has no tag " + (r.digest.empty() ? r.tag : r.digest) + " (tags: " +
                (tags.empty() ? "none" : base::Join(tags, ", ")) + ")");

  // The manifest, through the platform's entry when it is an index; then the config.
  registry::Manifest m;
  if (!ReadManifest(layout, d, &m, err)) return fail(*err);
  if (m.kind == registry::Manifest::Kind::kIndex) {
    if (!registry::SelectPlatform(m, HostPlatform(), &d, err) || !ReadManifest(layout, d, &m, err)) return fail(*err);
    if (m.kind != registry::Manifest::Kind::kImage) return fail("an image index nested in an image index");
  }
  registry::ImageConfigBlob config;
  if (!ReadBlob(layout, m.config.digest, &text, err) || !registry::ParseImageConfig(text, &config, err))
    return fail("config " + m.config.digest + ": " + *err);
  static_cast<lookup::ImageConfig&>(*out) = std::move(config);
  out->manifest_digest = d.digest;
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
