#include "webhook/json_patch.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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
  CHECK(
      Patch(R"({"metadata":{"annotations":{"x":"1"}},"gone":1})",
            R"({"metadata":{"annotations":{"x":"1","kilt.io/status":"injected"}}})") ==
      R"([{"op":"remove","path":"/gone"},{"op":"add","path":"/metadata/annotations/kilt.io~1status","value":"injected"}])");
  CHECK(Patch(R"({"a":{"b":1}})", R"({"a":{"b":2}})") ==
        R"([{"op":"replace","path":"/a/b","value":2}])");
  CHECK(Patch(R"({"a":1})", R"({"a":{"b":1}})") ==
        R"([{"op":"replace","path":"/a","value":{"b":1}}])");
}

TEST_CASE("arrays: appended and prepended elements become adds, other changes replace") {
  CHECK(Patch(R"({"v":[1,2]})", R"({"v":[1,2,3,4]})") ==
        R"([{"op":"add","path":"/v/2","value":3},{"op":"add","path":"/v/3","value":4}])");
  CHECK(Patch(R"({"v":[1,2]})", R"({"v":[0,1,2]})") == R"([{"op":"add","path":"/v/0","value":0}])");
  CHECK(Patch(R"({"v":[1,2,3]})", R"({"v":[1,9,3]})") ==
        R"([{"op":"replace","path":"/v/1","value":9}])");
  CHECK(Patch(R"({"v":[1,2,3]})", R"({"v":[3]})") ==
        R"([{"op":"replace","path":"/v","value":[3]}])");
}

TEST_CASE("keys matched by name whatever their order; moved and removed keys") {
  CHECK(Patch(R"({"a":1,"b":{"c":[1]}})", R"({"b":{"c":[1]},"a":1})") == "[]");
  CHECK(Patch(R"({"a":1,"b":2,"c":3})", R"({"c":3,"x":0,"a":1})") ==
        R"([{"op":"remove","path":"/b"},{"op":"add","path":"/x","value":0}])");
  CHECK(Patch(R"({"a~b":{"c/d":1}})", R"({"a~b":{"c/d":2}})") ==
        R"([{"op":"replace","path":"/a~0b/c~1d","value":2}])");
}

// The patch is written directly as text; it must be what rapidjson's Writer prints for the same
// value (the answer's bytes did not change when the writer was replaced).
std::string RapidjsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

TEST_CASE("added values are printed exactly as rapidjson's Writer prints them") {
  const char* values[] = {
      R"("plain")",
      R"("quote \" backslash \\ slash / tab \t newline \n cr \r bs \b ff \f")",
      R"("controls \u0000 \u0001 \u001f \u007f and UTF-8 é 😀 \u00e9")",
      R"([0, -1, 2147483647, -2147483648, 4294967295, 9223372036854775807, -9223372036854775808,
          18446744073709551615])",
      R"([0.5, -1.25, 1e300, 1.0, 3.14159, -0.0, 1e-7, 123456789.125])",
      R"({"nested":{"list":[true,false,null,{}],"empty":[],"k\"ey":"v"},"a~b/c":"keys are not pointers"})",
  };
  for (const char* text : values) {
    rapidjson::Document v;
    v.Parse(text);
    REQUIRE_FALSE(v.HasParseError());
    std::string after = std::string(R"({"v":)") + text + "}";
    CHECK(Patch("{}", after.c_str()) ==
          R"([{"op":"add","path":"/v","value":)" + RapidjsonText(v) + "}]");
  }
}

TEST_CASE("strings of every byte value, at every offset, are escaped as rapidjson escapes them") {
  std::string all;
  for (int c = 0; c < 256; c++) all += static_cast<char>(c);
  for (size_t shift = 0; shift < 9; shift++) {
    std::string text = std::string(shift, 'x') + all + all.substr(0, shift) + std::string(40, 'y');
    rapidjson::Document before(rapidjson::kObjectType), after(rapidjson::kObjectType);
    rapidjson::Value v(text.data(), static_cast<rapidjson::SizeType>(text.size()),
                       after.GetAllocator());
    after.AddMember("v", v, after.GetAllocator());
    CHECK(JsonPatch(before, after) ==
          R"([{"op":"add","path":"/v","value":)" + RapidjsonText(after["v"]) + "}]");
  }
}

TEST_CASE("a patched pod: annotations, commands, appended env and mounts, new init container") {
  const char* before = R"({"metadata":{"annotations":{"a":"1"}},"spec":{"containers":[
    {"name":"app","command":["/app"],"args":["--x"],"env":[{"name":"A","value":"1"}],
     "volumeMounts":[{"name":"data","mountPath":"/data"}]}],"volumes":[{"name":"data","emptyDir":{}}]}})";
  const char* after =
      R"({"metadata":{"annotations":{"a":"1","kilt.io/status":"injected"}},"spec":{"containers":[
    {"name":"app","command":["/kilt/run","--"],"args":["/app","--x"],"env":[{"name":"A","value":"1"},
     {"name":"KILT","value":"x"}],"volumeMounts":[{"name":"data","mountPath":"/data"},
     {"name":"kilt","mountPath":"/kilt","readOnly":true}]}],"volumes":[{"name":"data","emptyDir":{}},
     {"name":"kilt","emptyDir":{"sizeLimit":"256Mi"}}],"initContainers":[{"name":"kilt-init"}]}})";
  CHECK(
      Patch(before, after) ==
      R"([{"op":"add","path":"/metadata/annotations/kilt.io~1status","value":"injected"},)"
      R"({"op":"replace","path":"/spec/containers/0/command","value":["/kilt/run","--"]},)"
      R"({"op":"add","path":"/spec/containers/0/args/0","value":"/app"},)"
      R"({"op":"add","path":"/spec/containers/0/env/1","value":{"name":"KILT","value":"x"}},)"
      R"({"op":"add","path":"/spec/containers/0/volumeMounts/1","value":{"name":"kilt","mountPath":"/kilt","readOnly":true}},)"
      R"({"op":"add","path":"/spec/volumes/1","value":{"name":"kilt","emptyDir":{"sizeLimit":"256Mi"}}},)"
      R"({"op":"add","path":"/spec/initContainers","value":[{"name":"kilt-init"}]}])");
}

}  // namespace
}  // namespace kilt
