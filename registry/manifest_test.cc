#include "registry/manifest.h"

#include <catch2/catch.hpp>

namespace kilt::registry {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');
const std::string kD3 = "sha256:" + std::string(64, '3');

std::string Index(const std::string& media_type = "application/vnd.oci.image.index.v1+json") {
  return R"({"schemaVersion":2,"mediaType":")" + media_type + R"(","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kD1 + R"(","size":1,
     "platform":{"os":"linux","architecture":"amd64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kD2 + R"(","size":1,
     "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + kD3 + R"(","size":1,
     "platform":{"os":"unknown","architecture":"unknown"}}]})";
}

TEST_CASE("image manifests: Docker schema 2 and OCI, by Content-Type or by mediaType") {
  const std::string docker = R"({"schemaVersion":2,
    "mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kD1 +
                             R"(","size":7},"layers":[]})";
  Manifest m;
  std::string err;
  REQUIRE(ParseManifest(docker, "", &m, &err));
  CHECK(m.kind == Manifest::Kind::kImage);
  CHECK(m.config.digest == kD1);
  CHECK(m.config.size == 7);
  // umoci writes OCI manifests without mediaType: the Content-Type decides, else the shape.
  const std::string oci = R"({"schemaVersion":2,"config":{"digest":")" + kD2 + R"(","size":3}})";
  REQUIRE(ParseManifest(oci, "application/vnd.oci.image.manifest.v1+json; charset=utf-8", &m, &err));
  CHECK(m.config.digest == kD2);
  REQUIRE(ParseManifest(oci, "application/octet-stream", &m, &err));
  CHECK(m.kind == Manifest::Kind::kImage);
}

TEST_CASE("indexes: OCI and Docker manifest lists") {
  Manifest m;
  std::string err;
  REQUIRE(ParseManifest(Index(), "", &m, &err));
  CHECK(m.kind == Manifest::Kind::kIndex);
  CHECK(m.manifests.size() == 3);
  REQUIRE(ParseManifest(Index("application/vnd.docker.distribution.manifest.list.v2+json"),
                        "application/vnd.docker.distribution.manifest.list.v2+json", &m, &err));
  CHECK(m.kind == Manifest::Kind::kIndex);
}

TEST_CASE("platform selection") {
  Manifest m;
  std::string err;
  REQUIRE(ParseManifest(Index(), "", &m, &err));
  Descriptor d;
  REQUIRE(SelectPlatform(m, "linux/amd64", &d, &err));
  CHECK(d.digest == kD1);
  REQUIRE(SelectPlatform(m, "linux/arm64", &d, &err));
  CHECK(d.digest == kD2);
  REQUIRE(SelectPlatform(m, "linux/arm64/v8", &d, &err));
  CHECK(d.digest == kD2);
  CHECK_FALSE(SelectPlatform(m, "linux/s390x", &d, &err));
  // The attestation entry (unknown/unknown) is not offered as a platform.
  CHECK(err == "the image index has no linux/s390x image (it has: linux/amd64, linux/arm64/v8)");
  CHECK_FALSE(SelectPlatform(m, "windows/amd64", &d, &err));
  CHECK_FALSE(SelectPlatform(m, "amd64", &d, &err));
}

TEST_CASE("arm64 without a variant is v8; amd64 prefers the baseline over v3") {
  const std::string idx = R"({"manifests":[
    {"digest":")" + kD1 + R"(","platform":{"os":"linux","architecture":"amd64","variant":"v3"}},
    {"digest":")" + kD2 + R"(","platform":{"os":"linux","architecture":"amd64"}},
    {"digest":")" + kD3 + R"(","platform":{"os":"linux","architecture":"arm64"}}]})";
  Manifest m;
  std::string err;
  REQUIRE(ParseManifest(idx, "", &m, &err));
  Descriptor d;
  REQUIRE(SelectPlatform(m, "linux/amd64", &d, &err));
  CHECK(d.digest == kD2);
  REQUIRE(SelectPlatform(m, "linux/arm64/v8", &d, &err));
  CHECK(d.digest == kD3);
}

TEST_CASE("bad manifests") {
  Manifest m;
  std::string err;
  CHECK_FALSE(ParseManifest("<html>hello</html>", "text/html", &m, &err));
  CHECK(err == "the manifest is not a JSON object");
  CHECK_FALSE(ParseManifest(R"({"schemaVersion":1,"name":"x"})", "", &m, &err));
  CHECK_THAT(err, Catch::Contains("schema 1"));
  CHECK_FALSE(ParseManifest(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json"})", "",
                            &m, &err));
  CHECK_THAT(err, Catch::Contains("no \"config\""));
  CHECK_FALSE(ParseManifest(R"({"manifests":[{"size":1}]})", "", &m, &err));
  CHECK_THAT(err, Catch::Contains("no digest"));
  CHECK_FALSE(ParseManifest(R"({"mediaType":"application/x-foo"})", "", &m, &err));
  CHECK_THAT(err, Catch::Contains("unsupported manifest media type"));
}

TEST_CASE("image config: all four Entrypoint/Cmd combinations, null as absent") {
  ImageConfigBlob c;
  std::string err;
  REQUIRE(ParseImageConfig(R"({"os":"linux","architecture":"amd64","config":{
      "Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],
      "Env":["PATH=/usr/bin"],"WorkingDir":"/srv","User":"101"}})", &c, &err));
  CHECK(c.entrypoint == std::vector<std::string>{"/docker-entrypoint.sh"});
  CHECK(c.cmd == std::vector<std::string>{"nginx", "-g", "daemon off;"});
  CHECK(c.env == std::vector<std::string>{"PATH=/usr/bin"});
  CHECK(c.working_dir == "/srv");
  CHECK(c.user == "101");
  CHECK(c.config_json ==
        R"({"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],)"
        R"("Env":["PATH=/usr/bin"],"WorkingDir":"/srv","User":"101"})");
  REQUIRE(ParseImageConfig(R"({"config":{"Entrypoint":null,"Cmd":["sh"]}})", &c, &err));
  CHECK(c.entrypoint.empty());
  CHECK(c.cmd == std::vector<std::string>{"sh"});
  REQUIRE(ParseImageConfig(R"({"config":{"Entrypoint":["/e"]}})", &c, &err));
  CHECK(c.entrypoint == std::vector<std::string>{"/e"});
  CHECK(c.cmd.empty());
  REQUIRE(ParseImageConfig(R"({"architecture":"amd64"})", &c, &err));
  CHECK(c.entrypoint.empty());
  CHECK(c.cmd.empty());
  CHECK(c.config_json == "{}");
}

TEST_CASE("bad image configs") {
  ImageConfigBlob c;
  std::string err;
  CHECK_FALSE(ParseImageConfig("garbage", &c, &err));
  CHECK_FALSE(ParseImageConfig(R"({"config":"x"})", &c, &err));
  CHECK_FALSE(ParseImageConfig(R"({"config":{"Cmd":"sh -c x"}})", &c, &err));
  CHECK(err == "config.Cmd is not an array of strings");
  CHECK_FALSE(ParseImageConfig(R"({"config":{"Entrypoint":[1]}})", &c, &err));
}

TEST_CASE("a registry's answer nested 200,000 levels deep is an error saying so, not a stack overflow") {
  const std::string deep = R"({"schemaVersion": 2, "x": )" + std::string(200000, '[') + std::string(200000, ']') + "}";
  Manifest m;
  std::string err;
  CHECK_FALSE(ParseManifest(deep, "", &m, &err));
  CHECK(err == "the manifest is not a JSON object (nested too deeply (more than 128 levels))");
  ImageConfigBlob c;
  CHECK_FALSE(ParseImageConfig(deep, &c, &err));
  CHECK(err == "the image config blob is not a JSON object (nested too deeply (more than 128 levels))");
  // Duplicate keys in an answer are tolerated: Kilt only reads it.
  CHECK(ParseImageConfig(R"({"os": "linux", "os": "linux", "config": {}})", &c, &err));
}

}  // namespace
}  // namespace kilt::registry
