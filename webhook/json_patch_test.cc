#include "webhook/json_patch.h"

#include <catch2/catch.hpp>

namespace kilt {
namespace {

std::string Patch(const char* before, const char* after) {
  rapidjson::Document b, a;
  b.Parse(before);
  a.Parse(after);
  REQUIRE_FALSE(b.HasParseError());
  REQUIRE_FALSE(a.HasParseError());
  return JsonPatch(b, a);
}

TEST_CASE("JSON pointer tokens escape ~ and / (RFC 6901)") {
  CHECK(JsonPointerEscape("kilt.io/status") == "kilt.io~1status");
  CHECK(JsonPointerEscape("a~b/c") == "a~0b~1c");
}

TEST_CASE("equal documents give an empty patch") {
  CHECK(Patch(R"({"a":[1,{"b":2}]})", R"({"a":[1,{"b":2}]})") == "[]");
}

TEST_CASE("objects: added keys, removed keys, changed values; annotation keys escaped") {
  CHECK(Patch(R"({"metadata":{"annotations":{"x":"1"}},"gone":1})",
              R"({"metadata":{"annotations":{"x":"1","kilt.io/status":"injected"}}})") ==
        R"([{"op":"remove","path":"/gone"},{"op":"add","path":"/metadata/annotations/kilt.io~1status","value":"injected"}])");
  CHECK(Patch(R"({"a":{"b":1}})", R"({"a":{"b":2}})") == R"([{"op":"replace","path":"/a/b","value":2}])");
  CHECK(Patch(R"({"a":1})", R"({"a":{"b":1}})") == R"([{"op":"replace","path":"/a","value":{"b":1}}])");
}

TEST_CASE("arrays: appended and prepended elements become adds, other changes replace") {
  CHECK(Patch(R"({"v":[1,2]})", R"({"v":[1,2,3,4]})") ==
        R"([{"op":"add","path":"/v/2","value":3},{"op":"add","path":"/v/3","value":4}])");
  CHECK(Patch(R"({"v":[1,2]})", R"({"v":[0,1,2]})") == R"([{"op":"add","path":"/v/0","value":0}])");
  CHECK(Patch(R"({"v":[1,2,3]})", R"({"v":[1,9,3]})") == R"([{"op":"replace","path":"/v/1","value":9}])");
  CHECK(Patch(R"({"v":[1,2,3]})", R"({"v":[3]})") == R"([{"op":"replace","path":"/v","value":[3]}])");
}

}  // namespace
}  // namespace kilt
