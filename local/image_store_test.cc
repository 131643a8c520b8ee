#include "local/image_store.h"

#include <catch2/catch.hpp>

using kilt::local::ImageName;
using kilt::local::ParseImageReference;

TEST_CASE("image references map to NAME and TAG in the images directory") {
  ImageName n;
  std::string err;
  REQUIRE(
      ParseImageReference("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:1.2", &n, &err));
  CHECK((n.name == "app" && n.tag == "1.2" && n.digest.empty()));
  REQUIRE(ParseImageReference("localhost:5000/app", &n, &err));  // a registry port is not a tag
  CHECK((n.name == "app" && n.tag == "latest"));
  REQUIRE(ParseImageReference("nginx@sha256:abc", &n, &err));
  CHECK((n.name == "nginx" && n.digest == "sha256:abc"));
  CHECK_FALSE(ParseImageReference("reg/..:1", &n, &err));
  CHECK_FALSE(ParseImageReference("", &n, &err));
}
