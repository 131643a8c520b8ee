#include "registry/auth.h"

#include <catch2/catch.hpp>

#include "base/encoding.h"

namespace kilt::registry {
namespace {

TEST_CASE("Docker Hub's Bearer challenge") {
  Challenge c;
  std::string err;
  REQUIRE(ParseChallenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")",
      &c, &err));
  CHECK(c.scheme == "bearer");
  CHECK(c.params["realm"] == "https://auth.docker.io/token");
  CHECK(c.params["service"] == "registry.docker.io");
  CHECK(TokenUrl(c, "library/nginx") ==
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull");
}

TEST_CASE("challenge syntax: case, spaces, escapes, commas in quotes, tokens") {
  Challenge c;
  std::string err;
  REQUIRE(ParseChallenge(R"(  BASIC Realm = "a, \"b\"" ,  charset=UTF-8)", &c, &err));
  CHECK(c.scheme == "basic");
  CHECK(c.params["realm"] == "a, \"b\"");
  CHECK(c.params["charset"] == "UTF-8");
  REQUIRE(ParseChallenge(R"(Basic realm="x", Bearer realm="y")", &c, &err));
  CHECK(c.scheme == "basic");
  CHECK(c.params["realm"] == "x");
  CHECK_FALSE(ParseChallenge(R"(Bearer realm="unterminated)", &c, &err));
  CHECK_FALSE(ParseChallenge("   ", &c, &err));
}

TEST_CASE("token URL keeps the realm's own query") {
  Challenge c;
  c.params["realm"] = "https://h/token?account=x";
  CHECK(TokenUrl(c, "a/b") == "https://h/token?account=x&scope=repository%3Aa%2Fb%3Apull");
}

TEST_CASE("token answers") {
  std::string t, err;
  REQUIRE(ParseTokenResponse(R"({"token":"abc","expires_in":300})", &t, &err));
  CHECK(t == "abc");
  REQUIRE(ParseTokenResponse(R"({"access_token":"xyz"})", &t, &err));
  CHECK(t == "xyz");
  CHECK_FALSE(ParseTokenResponse(R"({"token":""})", &t, &err));
  CHECK_FALSE(ParseTokenResponse("not json", &t, &err));
}

TEST_CASE("docker config.json auths") {
  std::map<std::string, RegistryCredential> creds;
  std::string err;
  const std::string json = R"({"auths":{
    "https://index.docker.io/v1/":{"auth":")" + base::Base64Encode("hubuser:hub:pw") + R"("},
    "127.0.0.1:5000":{"auth":")" + base::Base64Encode("alice:s3cret") + R"("},
    "https://ghcr.io":{"username":"bob","password":"tok"},
    "helper.example.com":{}},
    "credHelpers":{"123456789012.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"}})";
  REQUIRE(ParseDockerConfig(json, "/x/config.json", &creds, &err));
  CHECK(creds.size() == 3);
  CHECK(creds["docker.io"].username == "hubuser");
  CHECK(creds["docker.io"].password == "hub:pw");
  CHECK(creds["127.0.0.1:5000"].password == "s3cret");
  CHECK(creds["ghcr.io"].username == "bob");
}

TEST_CASE("a broken docker config names the file and entry, never the secret") {
  std::map<std::string, RegistryCredential> creds;
  std::string err;
  CHECK_FALSE(ParseDockerConfig(R"({"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}})", "/h/.docker/config.json",
                                &creds, &err));
  CHECK_THAT(err, Catch::Contains("/h/.docker/config.json") && Catch::Contains("r.io"));
  CHECK_THAT(err, !Catch::Contains("bm9jb2xvbg"));
  CHECK_FALSE(ParseDockerConfig("{", "/c.json", &creds, &err));
  CHECK_THAT(err, Catch::StartsWith("/c.json"));
  REQUIRE(ParseDockerConfig("{}", "/c.json", &creds, &err));
}

TEST_CASE("registry keys normalise to a host") {
  CHECK(NormaliseRegistryKey("https://index.docker.io/v1/") == "docker.io");
  CHECK(NormaliseRegistryKey("registry-1.docker.io") == "docker.io");
  CHECK(NormaliseRegistryKey("http://Host:5000/path") == "host:5000");
  CHECK(NormaliseRegistryKey("ghcr.io") == "ghcr.io");
}

TEST_CASE("Basic authorization is base64 of user:password") {
  CHECK(BasicAuthorization({"alice", "s3cret"}) == "Basic YWxpY2U6czNjcmV0");
}

}  // namespace
}  // namespace kilt::registry
