// Images for `kilt local run`, from a directory of OCI image layouts and OCI archives (no registry, no
// Docker). A layout is a registry's documents on disk: its index.json is an image index whose entries
// carry their tag (org.opencontainers.image.ref.name), and its blobs are manifests, indexes and configs,
// read with the registry client's parsers (registry/manifest.h) and checked against their digests as
// the client checks a registry's answers. An image reference [REGISTRY/][PATH/]NAME[:TAG][@DIGEST]
// (registry/reference.h) is looked up as DIR/NAME (a layout), DIR/NAME.oci.tar or DIR/NAME.tar (an
// archive of one), then its tag (default "latest") or digest inside; an index is resolved to this
// machine's platform.
#ifndef KILT_LOCAL_IMAGE_STORE_H_
#define KILT_LOCAL_IMAGE_STORE_H_

#include <map>
#include <string>

#include "lookup/image_source.h"
#include "registry/manifest.h"

namespace kilt {
namespace local {

// An image's config (entrypoint, cmd, env, user, working dir, volumes) and where it lies.
struct ImageSpec : lookup::ImageConfig {
  std::string reference;        // as written in the task definition
  std::string layout_dir;       // the OCI layout holding it (extracted when it came from an archive)
  std::string manifest_digest;  // the platform's image manifest
};

// This machine's OCI platform ("linux/amd64", "linux/arm64").
std::string HostPlatform();

class ImageStore {
 public:
  // `dir` holds the images; `scratch` is a private directory for archives that must be extracted.
  ImageStore(std::string dir, std::string scratch) : dir_(std::move(dir)), scratch_(std::move(scratch)) {}

  // Finds `ref` and reads its config. Errors name the reference, what was searched and what to do.
  [[nodiscard]] bool Resolve(const std::string& ref, ImageSpec* out, std::string* err);

  // Unpacks the resolved image's layers into `rootfs` (which must not exist) with umoci.
  [[nodiscard]] bool Unpack(const ImageSpec& image, const std::string& rootfs, std::string* err);

 private:
  [[nodiscard]] bool FindLayout(const std::string& name, const std::string& tag, const std::string& ref,
                                std::string* layout, std::string* err);
  // The blob `digest` of `layout`, checked against its digest, parsed as a manifest or index.
  [[nodiscard]] bool ReadManifest(const std::string& layout, const registry::Descriptor& d,
                                  registry::Manifest* out, std::string* err);

  std::string dir_;
  std::string scratch_;
  std::map<std::string, std::string> extracted_;  // archive path -> layout dir
  int unpacks_ = 0;
};

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_IMAGE_STORE_H_
