// The images Kilt must know, and the one seam through which they are looked up. Types only (no library,
// nothing to link): the patcher consumes ImageConfig, the registry client and `kilt local run`'s layouts
// produce it, and the CLI, the Lambda and the webhook pass it between them through ImageSource, without
// depending on each other.
#ifndef KILT_LOOKUP_IMAGE_SOURCE_H_
#define KILT_LOOKUP_IMAGE_SOURCE_H_

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kilt::lookup {

// What an image's config says about running it: the OCI / Docker image config's `config` object, as far
// as Kilt uses it.
struct ImageConfig {
  // What the patcher needs, in short: ImageConfig{{"/entrypoint"}, {"cmd"}, "sha256:..."}.
  ImageConfig(std::vector<std::string> entrypoint = {}, std::vector<std::string> cmd = {}, std::string digest = {})
      : entrypoint(std::move(entrypoint)), cmd(std::move(cmd)), digest(std::move(digest)) {}

  std::vector<std::string> entrypoint;  // Entrypoint (may be empty)
  std::vector<std::string> cmd;         // Cmd (may be empty)
  std::string digest;                   // "sha256:..." the reference resolved to, when known (for pinning)
  std::vector<std::string> env;         // Env, "K=V"
  std::string user;                     // User
  std::string working_dir;              // WorkingDir
  std::vector<std::string> volumes;     // the keys of Volumes, sorted
};

// One image whose config a patch needs, with the platform the container runs on.
struct ImageNeed {
  std::string image;     // the reference exactly as it will run ("nginx:1.25", "123.dkr.ecr...:tag")
  std::string platform;  // "linux/amd64" or "linux/arm64"
  bool operator<(const ImageNeed& o) const { return image != o.image ? image < o.image : platform < o.platform; }
};

using ImageConfigs = std::map<ImageNeed, ImageConfig>;

// Who asks, for lookups whose credentials depend on it: the webhook's pod (its namespace and the Secrets
// in its spec.imagePullSecrets). Empty for the CLI and the Lambda.
struct LookupContext {
  std::string namespace_;
  std::vector<std::string> pull_secrets;
};

using Deadline = std::chrono::steady_clock::time_point;

// Finds the configs of images: the registry client (registry/lookup.h), the webhook's per-pod lookup
// over it, and the fake the tests use (lookup/fake_image_source.h).
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Fills *out for every need it can, by `deadline`; returns one message per problem (an image it could
  // not resolve, naming the image, registry and status; a credential it could not use).
  virtual std::vector<std::string> Resolve(const std::vector<ImageNeed>& needs, const LookupContext& who,
                                           Deadline deadline, ImageConfigs* out) = 0;
};

}  // namespace kilt::lookup

#endif  // KILT_LOOKUP_IMAGE_SOURCE_H_
