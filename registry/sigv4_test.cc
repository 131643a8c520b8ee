// SigV4 against AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite, credentials
// AKIDEXAMPLE, 2015-08-30T12:36:00Z, us-east-1, service "service"), plus the ECR request shape checked
// against botocore's signer.
#include "registry/sigv4.h"

#include <catch2/catch.hpp>

#include "base/encoding.h"

namespace kilt::registry {
namespace {

AwsCredentials Example(std::string token = "") {
  AwsCredentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c.session_token = std::move(token);
  return c;
}

const SigningScope kScope{"us-east-1", "service", "20150830T123600Z"};

std::string Sig(const std::string& method, const std::string& url, net::Headers headers = {},
                std::string body = "", std::string token = "") {
  net::HttpRequest r;
  r.method = method;
  r.url = url;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return ComputeSignature(r, Example(token), kScope).signature;
}

TEST_CASE("get-vanilla: canonical request, string to sign, signature, header") {
  net::HttpRequest r;
  r.url = "https://example.amazonaws.com/";
  SignedParts p = ComputeSignature(r, Example(), kScope);
  CHECK(p.canonical_request ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(p.string_to_sign ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(p.authorization ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("get-vanilla-query-order-key-case: query pairs are sorted") {
  CHECK(Sig("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1") ==
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("get-utf8: the path is percent-encoded as UTF-8") {
  CHECK(Sig("GET", "https://example.amazonaws.com/\xe1\x88\xb4") ==
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST_CASE("post-vanilla") {
  CHECK(Sig("POST", "https://example.amazonaws.com/") ==
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST_CASE("post-x-www-form-urlencoded: the body and content-type are signed") {
  CHECK(Sig("POST", "https://example.amazonaws.com/",
            {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1") ==
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("post-sts-header-after: a session token is signed as x-amz-security-token") {
  const std::string token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIY"
      "RqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75"
      "YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9"
      "KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  CHECK(Sig("POST", "https://example.amazonaws.com/", {}, "", token) ==
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
}

TEST_CASE("header values are trimmed and inner runs of spaces collapsed") {
  CHECK(Sig("GET", "https://example.amazonaws.com/", {{"My-Header1", "  value1  "}}) ==
        Sig("GET", "https://example.amazonaws.com/", {{"my-header1", "value1"}}));
  CHECK(Sig("GET", "https://example.amazonaws.com/", {{"My-Header1", "a   b"}}) ==
        Sig("GET", "https://example.amazonaws.com/", {{"My-Header1", "a b"}}));
}

TEST_CASE("ECR GetAuthorizationToken request matches botocore's signature") {
  EcrRegistry ecr{"123456789012", "eu-west-1", false, false};
  // 2015-08-30T12:36:00Z
  net::HttpRequest r = EcrTokenRequest(ecr, "https://api.ecr.eu-west-1.amazonaws.com",
                                  Example("SESSIONTOKEN"), 1440938160);
  CHECK(r.method == "POST");
  CHECK(r.url == "https://api.ecr.eu-west-1.amazonaws.com/");
  CHECK(r.body == "{\"registryIds\":[\"123456789012\"]}");
  std::string auth;
  for (const auto& [k, v] : r.headers)
    if (k == "Authorization") auth = v;
  CHECK(auth ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/ecr/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
        "Signature=8046395a786ce46969ab799656d7762afc9c4630ce3fb418962ecc6f869d021f");
}

TEST_CASE("ECR endpoints per partition and FIPS") {
  CHECK(EcrEndpoint({"123456789012", "us-east-1", false, false}, "") ==
        "https://api.ecr.us-east-1.amazonaws.com");
  CHECK(EcrEndpoint({"123456789012", "cn-north-1", false, true}, "") ==
        "https://api.ecr.cn-north-1.amazonaws.com.cn");
  CHECK(EcrEndpoint({"123456789012", "us-gov-west-1", true, false}, "") ==
        "https://api.ecr-fips.us-gov-west-1.amazonaws.com");
  CHECK(EcrEndpoint({"123456789012", "us-east-1", false, false}, "http://127.0.0.1:9") ==
        "http://127.0.0.1:9");
}

TEST_CASE("ECR token answers") {
  RegistryCredential c;
  double exp = 0;
  std::string err;
  std::string tok = base::Base64Encode("AWS:pa55:word");
  REQUIRE(ParseEcrTokenResponse(
      R"({"authorizationData":[{"authorizationToken":")" + tok +
          R"(","expiresAt":1.7E9,"proxyEndpoint":"https://1.dkr.ecr.us-east-1.amazonaws.com"}]})",
      &c, &exp, &err));
  CHECK(c.username == "AWS");
  CHECK(c.password == "pa55:word");
  CHECK(exp == 1.7e9);
  CHECK_FALSE(ParseEcrTokenResponse(R"({"authorizationData":[]})", &c, &exp, &err));
  CHECK_FALSE(ParseEcrTokenResponse(R"({"authorizationData":[{"authorizationToken":"!!"}]})", &c,
                                    &exp, &err));
  CHECK_FALSE(ParseEcrTokenResponse("<html>", &c, &exp, &err));
}

TEST_CASE("AmzDate formats UTC") { CHECK(AmzDate(1440938160) == "20150830T123600Z"); }

}  // namespace
}  // namespace kilt::registry
