#include "patcher/change_log.h"

#include <catch2/catch.hpp>

#include "patcher/json.h"

namespace kilt {
namespace {

TEST_CASE("JSON pointer tokens escape ~ and / (RFC 6901)") {
  std::string path;
  AppendPointerToken("kilt.io/status", &path);
  AppendPointerToken("a~b/c", &path);
  AppendPointerToken("", &path);
  CHECK(path == "/kilt.io~1status/a~0b~1c/");
}

TEST_CASE("the JSON Patch is written from the final document; changes inside added values are folded") {
  rapidjson::Document doc;
  doc.Parse(R"({"a":{"k/ey":1},"list":[1]})");
  auto& al = doc.GetAllocator();
  ChangeLog log;
  CHECK(log.Write(doc) == "[]");
  doc.AddMember("b", rapidjson::Value(rapidjson::kObjectType), al);
  log.Record(ChangeLog::kAdd, "", "b");
  doc["b"].AddMember("c", 2, al);
  log.Record(ChangeLog::kAdd, "/b", "c");  // inside /b: folded into it
  doc["a"]["k/ey"] = 3;
  log.Record(ChangeLog::kReplace, "/a", "k/ey");
  doc["list"].PushBack(2, al);
  log.Record(ChangeLog::kAdd, "/list", rapidjson::SizeType{1});
  doc.AddMember("bb", 4, al);
  log.Record(ChangeLog::kAdd, "", "bb");  // "/bb" is not inside "/b"
  CHECK(log.Write(doc) ==
        R"([{"op":"add","path":"/b","value":{"c":2}},{"op":"replace","path":"/a/k~1ey","value":3},)"
        R"({"op":"add","path":"/list/1","value":2},{"op":"add","path":"/bb","value":4}])");
  log.Record(ChangeLog::kAdd, "/nowhere", "x");
  CHECK_THROWS_AS(log.Write(doc), std::logic_error);
}

// The patch is written directly as text; it must be what rapidjson's Writer prints for the same
// value (ToJson: the webhook's answers did not change bytes when the writer was replaced).

std::string PatchAddingV(const rapidjson::Value& doc) {
  ChangeLog log;
  log.Record(ChangeLog::kAdd, "", "v");
  return log.Write(doc);
}

TEST_CASE("values are printed exactly as rapidjson's Writer prints them") {
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
    INFO(text);
    rapidjson::Document v;
    v.Parse(text);
    REQUIRE_FALSE(v.HasParseError());
    std::string doc_text = std::string(R"({"v":)") + text + "}";
    rapidjson::Document doc;
    doc.Parse(doc_text.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    CHECK(PatchAddingV(doc) == R"([{"op":"add","path":"/v","value":)" + ToJson(v) + "}]");
  }
}

TEST_CASE("strings of every byte value, at every offset, are escaped as rapidjson escapes them") {
  std::string all;
  for (int c = 0; c < 256; c++) all += static_cast<char>(c);
  for (size_t shift = 0; shift < 9; shift++) {
    std::string text = std::string(shift, 'x') + all + all.substr(0, shift) + std::string(40, 'y');
    rapidjson::Document doc(rapidjson::kObjectType);
    rapidjson::Value v(text.data(), static_cast<rapidjson::SizeType>(text.size()), doc.GetAllocator());
    doc.AddMember("v", v, doc.GetAllocator());
    CHECK(PatchAddingV(doc) == R"([{"op":"add","path":"/v","value":)" + ToJson(doc["v"]) + "}]");
  }
}

}  // namespace
}  // namespace kilt
