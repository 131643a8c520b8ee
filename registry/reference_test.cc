#include "registry/reference.h"

#include <catch2/catch.hpp>

namespace kilt::registry {
namespace {

Reference Parse(const std::string& s) {
  Reference r;
  std::string err;
  INFO(s);
  REQUIRE(ParseReference(s, &r, &err));
  return r;
}

std::string Error(const std::string& s) {
  Reference r;
  std::string err;
  CHECK_FALSE(ParseReference(s, &r, &err));
  return err;
}

TEST_CASE("Docker Hub defaults: docker.io, library/, latest") {
  Reference r = Parse("nginx");
  CHECK(r.registry == "docker.io");
  CHECK(r.ApiHost() == "registry-1.docker.io");
  CHECK(r.repository == "library/nginx");
  CHECK(r.tag == "latest");
  CHECK(r.digest.empty());
  CHECK(r.String() == "docker.io/library/nginx:latest");
  CHECK(Parse("falcosecurity/falco:0.37").repository == "falcosecurity/falco");
  CHECK(Parse("docker.io/nginx:1.25").repository == "library/nginx");
  CHECK(Parse("index.docker.io/library/nginx").registry == "docker.io");
}

TEST_CASE("registry hosts, ports and localhost") {
  Reference r = Parse("127.0.0.1:5000/app/web:v1");
  CHECK(r.registry == "127.0.0.1:5000");
  CHECK(r.repository == "app/web");
  CHECK(r.tag == "v1");
  CHECK(Parse("localhost/x").registry == "localhost");
  CHECK(Parse("ghcr.io/org/img").registry == "ghcr.io");
  CHECK(Parse("registry:5000/img").registry == "registry:5000");
  // No '.', ':' or localhost: a Docker Hub user, not a host.
  CHECK(Parse("myuser/img").registry == "docker.io");
}

TEST_CASE("digests pin, with or without a tag") {
  const std::string d = "sha256:" + std::string(64, 'a');
  Reference r = Parse("nginx@" + d);
  CHECK(r.tag.empty());
  CHECK(r.digest == d);
  CHECK(r.ManifestReference() == d);
  Reference t = Parse("host.example:443/a/b:1.0@" + d);
  CHECK(t.tag == "1.0");
  CHECK(t.ManifestReference() == d);
  CHECK(t.String() == "host.example:443/a/b:1.0@" + d);
}

TEST_CASE("ECR hosts") {
  Reference r = Parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:prod");
  EcrRegistry e;
  REQUIRE(ParseEcrHost(r.registry, &e));
  CHECK(e.account == "123456789012");
  CHECK(e.region == "eu-west-1");
  CHECK_FALSE(e.china);
  REQUIRE(ParseEcrHost("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", &e));
  CHECK(e.china);
  REQUIRE(ParseEcrHost("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", &e));
  CHECK(e.fips);
  REQUIRE(ParseEcrHost("123456789012.dkr.ecr.us-west-2.amazonaws.com:443", &e));
  CHECK(e.region == "us-west-2");
  CHECK_FALSE(ParseEcrHost("public.ecr.aws", &e));
  CHECK_FALSE(ParseEcrHost("12345.dkr.ecr.us-east-1.amazonaws.com", &e));
  CHECK_FALSE(ParseEcrHost("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.com", &e));
}

TEST_CASE("bad references say what is wrong") {
  CHECK_THAT(Error(""), Catch::Contains("empty"));
  CHECK_THAT(Error("Nginx"), Catch::Contains("lowercase"));
  CHECK_THAT(Error("nginx:"), Catch::Contains("tag"));
  CHECK_THAT(Error("nginx@sha256:abc"), Catch::Contains("digest"));
  CHECK_THAT(Error("nginx:bad tag"), Catch::Contains("whitespace"));
  CHECK_THAT(Error("a//b"), Catch::Contains("not valid"));
  CHECK_THAT(Error("host:99999999/x"), Catch::Contains("host"));
  CHECK_THAT(Error("ghcr.io/"), Catch::Contains("repository"));
  CHECK_THAT(Error("{\"Ref\": \"Image\"}"), Catch::Contains("invalid image reference"));
}

}  // namespace
}  // namespace kilt::registry
