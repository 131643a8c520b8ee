// Registry documents: image manifests (Docker v2 schema 2, OCI), image indexes / manifest lists with
// platform selection, and the image config blob; from a registry, or from an OCI image layout on disk
// (`kilt local run`: its index.json is an image index, its blobs are these documents).
#ifndef KILT_REGISTRY_MANIFEST_H_
#define KILT_REGISTRY_MANIFEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "lookup/image_source.h"

namespace kilt::registry {

// Every manifest type we read, in the order we prefer them (sent as Accept).
extern const char kAcceptManifests[];

struct Descriptor {
  std::string media_type;
  std::string digest;
  long long size = -1;
  std::string os, architecture, variant;  // index entries only
  std::string ref_name;  // org.opencontainers.image.ref.name: the tag, in an OCI layout's index.json
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

// The config blob: its `config` object (digest left empty: a blob does not know what points to it).
struct ImageConfigBlob : lookup::ImageConfig {
  std::string config_json;  // the `config` object re-serialised in its stored key order; "{}" if absent
  std::string os, architecture;
};
[[nodiscard]] bool ParseImageConfig(std::string_view body, ImageConfigBlob* out, std::string* err);

}  // namespace kilt::registry

#endif  // KILT_REGISTRY_MANIFEST_H_
