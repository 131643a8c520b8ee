#include "base/encoding.h"

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <cstdint>
#include <vector>

namespace kilt::base {
namespace {

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 agrees with OpenSSL's encoder for every length and byte value") {
  std::string bytes;
  uint32_t x = 12345;
  for (int len = 0; len < 700; len++) {
    std::string want(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(want.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    want.resize(static_cast<size_t>(n));
    INFO("length " << bytes.size());
    REQUIRE(Base64Encode(bytes) == want);
    x = x * 1103515245 + 12345;  // every byte value turns up, in every position modulo 3
    bytes += static_cast<char>(len < 256 ? len : static_cast<int>(x >> 16));
  }
}

TEST_CASE("percent-encoding keeps RFC 3986 unreserved characters only") {
  // The token URL's scope: ':' and '/' are reserved and must be escaped in a query value.
  CHECK(PercentEncode("repository:team/app:pull") == "repository%3Ateam%2Fapp%3Apull");
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("a b+c=\xc3\xa9") == "a%20b%2Bc%3D%C3%A9");  // uppercase hex, per byte
  // SigV4 canonical URI: the path's slashes stay.
  CHECK(PercentEncode("/v2/team app/manifests", true) == "/v2/team%20app/manifests");
}

TEST_CASE("base64 round trips") {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", "alice:s3cret",
                                                std::string("\0\xff\x10", 3)}) {
    std::string back;
    REQUIRE(Base64Decode(Base64Encode(s), &back));
    CHECK(back == s);
  }
  std::string out;
  CHECK(Base64Decode("YWxpY2U", &out));  // unpadded
  CHECK(out == "alice");
  CHECK_FALSE(Base64Decode("a$==", &out));
  CHECK_FALSE(Base64Decode("aW1hZ2U=x", &out));  // data after the padding
  CHECK_FALSE(Base64Decode("a", &out));
}

TEST_CASE("base64 decoding may skip white space (text pasted into a CloudFormation parameter)") {
  std::string out;
  REQUIRE(Base64Decode("aW1h\nZ2UgPSAieCI=", &out, /*skip_whitespace=*/true));
  CHECK(out == "image = \"x\"");
  CHECK_FALSE(Base64Decode("aW1h\nZ2U=", &out));
  CHECK_FALSE(Base64Decode("aW1h*2U=", &out, true));
}

TEST_CASE("hex is lowercase, two digits a byte") { CHECK(HexEncode(std::string("\x00\xab\x10", 3)) == "00ab10"); }

}  // namespace
}  // namespace kilt::base
