// Helpers for the patcher's unit tests.
#ifndef KILT_PATCHER_TEST_UTIL_H_
#define KILT_PATCHER_TEST_UTIL_H_

#include <string>

#include <rapidjson/document.h>

#include "patcher/json.h"
#include "patcher/patcher.h"

namespace kilt::testing {

// Parses JSON (single quotes are turned into double quotes so tests stay readable).
inline rapidjson::Document J(std::string text) {
  for (char& c : text)
    if (c == '\'') c = '"';
  rapidjson::Document d;
  d.Parse(text.c_str());
  if (d.HasParseError()) throw std::runtime_error("bad test JSON: " + text);
  return d;
}

inline PatchInput Input() {
  PatchInput in;
  in.recipe.kilt_image = "kilt:1";
  return in;
}

inline std::string Errors(const PatchReport& r) {
  std::string s;
  for (const PatchError& e : r.errors) s += e.ToString() + "\n";
  return s;
}

}  // namespace kilt::testing

#endif  // KILT_PATCHER_TEST_UTIL_H_
