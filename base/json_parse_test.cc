// The limited JSON reader: every limit answered with its own error, in bounded memory and stack.
#include <catch2/catch.hpp>

#include <string>

#include "base/json.h"
#include "base/json_parse.h"

namespace kilt::base {
namespace {

std::string Nested(size_t depth, const char* open = "[", const char* close = "]") {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += open;
  for (size_t i = 0; i < depth; ++i) s += close;
  return s;
}

TEST_CASE("200,000 nested brackets are refused as too deep, not a crash") {
  std::string text = "{\"unknown\": " + Nested(200000) + "}";
  rapidjson::Document d;
  JsonLimits limits;
  limits.max_bytes = 1 << 20;
  JsonParseResult r = ParseJson(text, limits, &d);
  REQUIRE(r.problem == JsonProblem::kTooDeep);
  CHECK(r.message == "nested too deeply (more than 128 levels)");
  CHECK(r.offset == 12 + 127);  // the bracket that opens level 129
  CHECK(d.IsNull());
}

TEST_CASE("the depth limit counts objects and arrays, and is exact") {
  rapidjson::Document d;
  CHECK(ParseJson(Nested(kMaxJsonDepth), {}, &d).ok());
  CHECK(ParseJson(Nested(kMaxJsonDepth + 1), {}, &d).problem == JsonProblem::kTooDeep);
  std::string objects;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) objects += "{\"a\":";
  objects += "1" + std::string(kMaxJsonDepth, '}');
  CHECK(ParseJson(objects, {}, &d).ok());
  CHECK(ParseJson("[" + objects + "]", {}, &d).problem == JsonProblem::kTooDeep);
}

TEST_CASE("text over the size limit is refused before it is parsed") {
  JsonLimits limits;
  limits.max_bytes = 10;
  rapidjson::Document d;
  JsonParseResult r = ParseJson("[1, 2, 3, 4, 5]", limits, &d);
  CHECK(r.problem == JsonProblem::kTooLarge);
  CHECK(r.message == "larger than 10 bytes");
}

TEST_CASE("duplicate keys are refused in small and large objects, not across objects") {
  rapidjson::Document d;
  JsonParseResult r = ParseJson(R"({"Cpu": 1, "Memory": 2, "Cpu": 3})", {}, &d);
  REQUIRE(r.problem == JsonProblem::kDuplicateKey);
  CHECK(r.message == "duplicate key \"Cpu\" (JSON readers disagree on which one wins): keep one");
  CHECK(LineColumn(R"({"Cpu": 1, "Memory": 2, "Cpu": 3})", r.offset) == "1:30");
  std::string big = "{";
  for (int i = 0; i < 100; ++i) big += "\"k" + std::to_string(i) + "\": {\"k" + std::to_string(i) + "\": 1, \"x\": 2},";
  CHECK(ParseJson(big + "\"z\": 0}", {}, &d).ok());
  CHECK(ParseJson(big + "\"k57\": 0}", {}, &d).problem == JsonProblem::kDuplicateKey);
  CHECK(ParseJson(R"([{"a": 1}, {"a": 2}])", {}, &d).ok());
  JsonLimits lax;
  lax.refuse_duplicate_keys = false;
  CHECK(ParseJson(R"({"a": 1, "a": 2})", lax, &d).ok());
}

TEST_CASE("invalid UTF-8 is refused; NUL escapes and big numbers are kept") {
  rapidjson::Document d;
  JsonParseResult r = ParseJson("{\"a\": \"\xff\"}", {}, &d);
  CHECK(r.problem == JsonProblem::kSyntax);
  CHECK(r.message == "invalid JSON: Invalid encoding in string.");
  REQUIRE(ParseJson(R"({"a": "x\u0000y", "n": 0.1000000000000000055511151231257827})", {}, &d).ok());
  CHECK(d["a"].GetStringLength() == 3);
  CHECK(ToJson(d["n"]) == "0.1");
  // rapidjson's exact strtod has undefined behaviour on this one (the sanitizers would say so).
  REQUIRE(ParseJson("[0.0e48, -0e-400]", {}, &d).ok());
  CHECK(d[0].GetDouble() == 0.0);
}

TEST_CASE("syntax errors keep rapidjson's wording and offset") {
  rapidjson::Document d;
  JsonParseResult r = ParseJson("{\"a\": 1 \"b\": 2}", {}, &d);
  CHECK(r.problem == JsonProblem::kSyntax);
  CHECK(r.message == "invalid JSON: Missing a comma or '}' after an object member.");
  CHECK(r.offset == 8);
  CHECK(ParseJson("", {}, &d).problem == JsonProblem::kSyntax);
  CHECK(ParseJson(std::string("[1]\0[2]", 7), {}, &d).problem == JsonProblem::kSyntax);
}

TEST_CASE("the source map gives each value's and key's text") {
  const std::string text = "{\n  \"a\": [1, \"two\", {\"k\": null}],\n  \"b\" : true\n}\n";
  rapidjson::Document d;
  SourceNode map;
  REQUIRE(ParseJson(text, {}, &d, &map).ok());
  auto span = [&](const SourceNode& n) { return text.substr(n.begin, n.end - n.begin); };
  auto key = [&](const SourceNode& n) { return text.substr(n.key_begin, n.key_end - n.key_begin); };
  CHECK(span(map) == text.substr(0, text.size() - 1));
  REQUIRE(map.children.size() == 2);
  const SourceNode& a = map.children[0];
  CHECK(key(a) == "\"a\"");
  CHECK(span(a) == "[1, \"two\", {\"k\": null}]");
  REQUIRE(a.children.size() == 3);
  CHECK(span(a.children[0]) == "1");
  CHECK(span(a.children[1]) == "\"two\"");
  CHECK(a.children[1].style == SourceNode::kDoubleQuoted);
  CHECK(span(a.children[2]) == "{\"k\": null}");
  CHECK(key(a.children[2].children[0]) == "\"k\"");
  CHECK(span(a.children[2].children[0]) == "null");
  CHECK(key(map.children[1]) == "\"b\"");
  CHECK(span(map.children[1]) == "true");
  CHECK(a.children[0].key_end == 0);  // elements have no key
}

}  // namespace
}  // namespace kilt::base
