#include "local/image_store.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "base/file.h"
#include "registry/digest.h"

namespace kilt::local {
namespace {

// A layout written by hand: an index whose tag points at an image index, one entry per platform.
struct Layout {
  std::string dir, err;
  Layout() {
    dir = (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + std::string("/kilt-store-XXXXXX");
    REQUIRE(mkdtemp(dir.data()) != nullptr);
    REQUIRE(base::MakeDirs(dir + "/app/blobs/sha256", &err));
  }
  ~Layout() { (void)base::RemoveTree(dir, &err); }
  std::string Blob(const std::string& text) {
    const std::string hex = registry::Sha256Hex(text);
    REQUIRE(base::WriteFileAtomically(dir + "/app/blobs/sha256/" + hex, text, &err));
    return "sha256:" + hex;
  }
};

TEST_CASE("a layout is read as a registry is: tag, platform, config, digests checked") {
  Layout l;
  const std::string config = l.Blob(R"({"architecture":"amd64","os":"linux","config":{"Entrypoint":["/e"],)"
                                    R"("Cmd":["c"],"Env":["A=1"],"User":"app","Volumes":{"/b":{},"/a":{}}}})");
  const std::string manifest = l.Blob(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                                      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                                      config + R"(","size":1},"layers":[]})");
  const std::string platform = HostPlatform();
  const std::string arch = platform.substr(platform.find('/') + 1);
  const std::string index = l.Blob(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                                   R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                                   R"("digest":")" + manifest + R"(","size":1,"platform":{"os":"linux","architecture":")" +
                                   arch + R"("}}]})");
  REQUIRE(base::WriteFileAtomically(l.dir + "/app/index.json",
                                    R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json",)"
                                    R"("digest":")" + index + R"(","size":1,"annotations":{"org.opencontainers.image.ref.name":"1.0"}}]})",
                                    &l.err));
  ImageStore store(l.dir, l.dir);
  ImageSpec image;
  std::string err;
  REQUIRE(store.Resolve("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.0", &image, &err));
  CHECK(image.entrypoint == std::vector<std::string>{"/e"});
  CHECK(image.cmd == std::vector<std::string>{"c"});
  CHECK(image.env == std::vector<std::string>{"A=1"});
  CHECK(image.user == "app");
  CHECK(image.volumes == std::vector<std::string>{"/a", "/b"});
  CHECK(image.manifest_digest == manifest);

  CHECK_FALSE(store.Resolve("app:2.0", &image, &err));
  CHECK(err == "image app:2.0: " + l.dir + "/app has no tag 2.0 (tags: 1.0)");
  CHECK_FALSE(store.Resolve("other:1", &image, &err));
  CHECK(err.find("image other:1 not found") == 0);
  CHECK_FALSE(store.Resolve("UPPER/case", &image, &err));
  CHECK(err.find("is not an image reference") != std::string::npos);

  // A blob that does not match its digest is refused, as a registry's would be.
  REQUIRE(base::WriteFileAtomically(l.dir + "/app/blobs/sha256/" + config.substr(7), "{}", &err));
  CHECK_FALSE(store.Resolve("app:1.0", &image, &err));
  CHECK(err.find("does not match its digest") != std::string::npos);
}

}  // namespace
}  // namespace kilt::local
