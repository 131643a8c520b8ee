// Images for `kilt local run`, from a directory of OCI image layouts and OCI archives (no registry,
// no Docker). An image reference `[REGISTRY/][PATH/]NAME[:TAG][@DIGEST]` is looked up as DIR/NAME
// (a layout directory), DIR/NAME.oci.tar or DIR/NAME.tar (an archive of one), and within it the tag
// TAG (default "latest") among index.json's org.opencontainers.image.ref.name annotations. An image
// index is resolved to the manifest for this machine's architecture.
#ifndef KILT_LOCAL_IMAGE_STORE_H_
#define KILT_LOCAL_IMAGE_STORE_H_

#include <map>
#include <string>
#include <vector>

namespace kilt {
namespace local {

// The parts of an OCI image config that decide how a container runs.
struct ImageSpec {
  std::string reference;   // as written in the task definition
  std::string layout_dir;  // the OCI layout holding it (extracted when it came from an archive)
  std::string manifest_digest;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "K=V"
  std::string user;
  std::string working_dir;
  std::vector<std::string> volumes;  // sorted
};

// Where NAME:TAG lives inside DIR: pure parsing of the reference.
struct ImageName {
  std::string name;    // last path component, no tag or digest
  std::string tag;     // "latest" when absent
  std::string digest;  // "sha256:..." when pinned
};
[[nodiscard]] bool ParseImageReference(const std::string& ref, ImageName* out, std::string* err);

// OCI architecture name of this machine ("amd64", "arm64").
std::string HostArchitecture();

class ImageStore {
 public:
  // `dir` holds the images; `scratch` is a private directory for archives that must be extracted.
  ImageStore(std::string dir, std::string scratch)
      : dir_(std::move(dir)), scratch_(std::move(scratch)) {}

  // Finds `ref` and reads its config. Errors name the reference, what was searched and what to do.
  [[nodiscard]] bool Resolve(const std::string& ref, ImageSpec* out, std::string* err);

  // Unpacks the resolved image's layers into `rootfs` (which must not exist) with umoci.
  [[nodiscard]] bool Unpack(const ImageSpec& image, const std::string& rootfs, std::string* err);

 private:
  [[nodiscard]] bool FindLayout(const ImageName& n, const std::string& ref, std::string* layout,
                                std::string* err);

  std::string dir_;
  std::string scratch_;
  std::map<std::string, std::string> extracted_;  // archive path -> layout dir
  int unpacks_ = 0;
};

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_IMAGE_STORE_H_
