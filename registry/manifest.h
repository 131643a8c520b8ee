// Registry documents: image manifests (Docker v2 schema 2, OCI), image indexes / manifest lists with
// platform selection, and the image config blob.
#ifndef KILT_REGISTRY_MANIFEST_H_
#define KILT_REGISTRY_MANIFEST_H_

#include <string>
#include <string_view>
#include <vector>

namespace kilt::registry {

// Every manifest type we read, in the order we prefer them (sent as Accept).
extern const char kAcceptManifests[];

struct Descriptor {
  std::string media_type;
  std::string digest;
  long long size = -1;
  std::string os, architecture, variant;  // index entries only
};

struct Manifest {
  enum class Kind { kImage, kIndex };
  Kind kind = Kind::kImage;
  std::string media_type;
  Descriptor config;                  // kImage
  std::vector<Descriptor> manifests;  // kIndex
};

// `content_type` is the response's Content-Type (may be empty: the body's mediaType then decides).
[[nodiscard]] bool ParseManifest(std::string_view body, std::string_view content_type, Manifest* out,
                                 std::string* err);

// Picks the entry of an index for `platform` ("linux/amd64", "linux/arm64", "linux/arm64/v8").
// On failure *err lists the platforms the index has.
[[nodiscard]] bool SelectPlatform(const Manifest& index, std::string_view platform, Descriptor* out,
                                  std::string* err);

// "linux/arm64/v8" → os, architecture, variant; false if it is not os/arch[/variant].
[[nodiscard]] bool SplitPlatform(std::string_view platform, std::string* os, std::string* arch,
                                 std::string* variant);

struct ImageConfigBlob {
  std::string config_json;  // the `config` object re-serialised in its stored key order; "{}" if absent
  std::vector<std::string> entrypoint, cmd, env;
  std::string working_dir, user;
  std::string os, architecture;
};
[[nodiscard]] bool ParseImageConfig(std::string_view body, ImageConfigBlob* out, std::string* err);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_MANIFEST_H_
