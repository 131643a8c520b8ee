// JSON helpers over RapidJSON (header-only, no exceptions: the payload may use them too): member access,
// edits that keep member order, short renderings for messages, parsing with a message that says where,
// and the string escaping of JSON text written by hand (log lines, small answers).
#ifndef KILT_BASE_JSON_H_
#define KILT_BASE_JSON_H_

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace kilt::base {

using JsonAlloc = rapidjson::Document::AllocatorType;

// The member `key` of `obj`, or null when `obj` is not an object or has no such member.
const rapidjson::Value* Member(const rapidjson::Value& obj, std::string_view key);
rapidjson::Value* Member(rapidjson::Value& obj, std::string_view key);
// The string member `key` of `obj`; "" when absent or not a string. Points into `obj`.
std::string_view StringMember(const rapidjson::Value& obj, std::string_view key);
// An optional list of strings: absent (null `v`) and JSON null give an empty list; false (and *out
// unspecified) when `v` is anything but a list of strings.
[[nodiscard]] bool ReadStringList(const rapidjson::Value* v, std::vector<std::string>* out);

// Sets obj[key] = v, replacing an existing member in place (key order kept) or appending a new one.
void SetMember(rapidjson::Value* obj, std::string_view key, rapidjson::Value v, JsonAlloc& a);
bool RemoveMember(rapidjson::Value* obj, std::string_view key);

rapidjson::Value Str(std::string_view s, JsonAlloc& a);
rapidjson::Value Copy(const rapidjson::Value& v, JsonAlloc& a);

// Compact JSON of `v`.
std::string ToJson(const rapidjson::Value& v);
// A short, deterministic rendering of `v` for error messages (compact JSON, cut at ~120 bytes).
std::string Describe(const rapidjson::Value& v);

// Parses `text` with base/json_parse.h's depth, duplicate-key and UTF-8
// limits (no size limit). On failure *err is "LINE:COL: invalid JSON: reason" or "LINE:COL: " + the limit.
[[nodiscard]] bool ParseJson(std::string_view text, rapidjson::Document* doc, std::string* err);

// Appends `s` as a JSON string literal (quotes, backslash escapes, \u00XX for control characters).
// Bytes >= 0x80 are copied: `s` must be UTF-8 for the result to be valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace kilt::base

#endif  // KILT_BASE_JSON_H_
