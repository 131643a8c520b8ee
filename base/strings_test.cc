#include "base/strings.h"

#include <catch2/catch.hpp>

namespace kilt::base {
namespace {

using V = std::vector<std::string>;

TEST_CASE("Split trims items and drops empty ones; Join puts them back") {
  CHECK(Split("a, b,,\tc ", ',') == V{"a", "b", "c"});
  CHECK(Split("", ',').empty());
  CHECK(Split("one", ':') == V{"one"});
  CHECK(Join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(Join({}, ",").empty());
}

TEST_CASE("Trim, ToLower, EqualsIgnoreCase, StartsWith") {
  CHECK(Trim(" \t token\r\n") == "token");
  CHECK(Trim(" \n").empty());
  CHECK(ToLower("Content-Type") == "content-type");
  CHECK(EqualsIgnoreCase("WWW-Authenticate", "www-authenticate"));
  CHECK_FALSE(EqualsIgnoreCase("a", "ab"));
  CHECK(StartsWith("us-gov-west-1", "us-gov-"));
  CHECK_FALSE(StartsWith("us", "us-gov-"));
}

TEST_CASE("ParseInt takes the whole string, in range") {
  int64_t v = 0;
  CHECK(ParseInt("42", 0, 100, &v));
  CHECK(v == 42);
  CHECK(ParseInt("-5", -10, 0, &v));
  CHECK(v == -5);
  CHECK_FALSE(ParseInt("", 0, 100, &v));
  CHECK_FALSE(ParseInt("4x", 0, 100, &v));
  CHECK_FALSE(ParseInt("101", 0, 100, &v));
  CHECK_FALSE(ParseInt("99999999999999999999", 0, INT64_MAX, &v));
}

}  // namespace
}  // namespace kilt::base
