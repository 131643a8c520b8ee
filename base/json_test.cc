#include "base/json.h"

#include <catch2/catch.hpp>

namespace kilt::base {
namespace {

TEST_CASE("member access and order-keeping edits") {
  rapidjson::Document d;
  std::string err;
  REQUIRE(ParseJson(R"({"a": 1, "b": "x", "c": ["p", "q"], "n": null})", &d, &err));
  CHECK(Member(d, "a")->GetInt() == 1);
  CHECK(Member(d, "z") == nullptr);
  CHECK(Member(d["a"], "a") == nullptr);  // not an object
  CHECK(StringMember(d, "b") == "x");
  CHECK(StringMember(d, "a").empty());
  std::vector<std::string> list;
  CHECK(ReadStringList(Member(d, "c"), &list));
  CHECK(list == std::vector<std::string>{"p", "q"});
  CHECK(ReadStringList(Member(d, "n"), &list));
  CHECK(list.empty());
  CHECK(ReadStringList(nullptr, &list));
  CHECK_FALSE(ReadStringList(Member(d, "b"), &list));
  SetMember(&d, "a", rapidjson::Value(2), d.GetAllocator());
  SetMember(&d, "d", Str("new", d.GetAllocator()), d.GetAllocator());
  CHECK(RemoveMember(&d, "n"));
  CHECK_FALSE(RemoveMember(&d, "n"));
  CHECK(ToJson(d) == R"({"a":2,"b":"x","c":["p","q"],"d":"new"})");
}

TEST_CASE("Describe cuts long values; ParseJson says where the error is") {
  rapidjson::Document d;
  std::string err;
  REQUIRE(ParseJson("[\"" + std::string(200, 'x') + "\"]", &d, &err));
  CHECK(Describe(d).size() == 120);
  CHECK_FALSE(ParseJson("{\n  \"a\": 1\n  \"b\": 2\n}", &d, &err));
  CHECK(err == "3:3: invalid JSON: Missing a comma or '}' after an object member.");
}

TEST_CASE("AppendJsonString escapes what JSON requires and copies the rest") {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\nd\te\x01 f\xc3\xa9");
  CHECK(out == "\"a\\\"b\\\\c\\nd\\te\\u0001 f\xc3\xa9\"");
  rapidjson::Document d;
  std::string err;
  REQUIRE(ParseJson(out, &d, &err));
  CHECK(std::string(d.GetString()) == "a\"b\\c\nd\te\x01 f\xc3\xa9");
}

}  // namespace
}  // namespace kilt::base
