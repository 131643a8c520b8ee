// Small RapidJSON helpers shared by the task-definition patchers, and the CloudFormation intrinsic-function
// vocabulary (an intrinsic is an object with exactly one member named "Ref", "Condition" or "Fn::*").
#ifndef KILT_PATCHER_JSON_H_
#define KILT_PATCHER_JSON_H_

#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace kilt {

using JsonAlloc = rapidjson::Document::AllocatorType;

// The member `key` of `obj`, or null when `obj` is not an object or has no such member.
const rapidjson::Value* Member(const rapidjson::Value& obj, std::string_view key);
rapidjson::Value* Member(rapidjson::Value& obj, std::string_view key);

// Sets obj[key] = v, replacing an existing member in place (key order kept) or appending a new one.
void SetMember(rapidjson::Value* obj, std::string_view key, rapidjson::Value v, JsonAlloc& a);
bool RemoveMember(rapidjson::Value* obj, std::string_view key);

rapidjson::Value Str(std::string_view s, JsonAlloc& a);
rapidjson::Value Copy(const rapidjson::Value& v, JsonAlloc& a);

// The name of the intrinsic function `v` is ("Ref", "Fn::If", ...), or "" when it is not one.
std::string_view IntrinsicName(const rapidjson::Value& v);
inline bool IsIntrinsic(const rapidjson::Value& v) { return !IntrinsicName(v).empty(); }
// {"Ref": "AWS::NoValue"}: removes the property (or list element) it stands for.
bool IsNoValue(const rapidjson::Value& v);
// For {"Fn::If": [cond, a, b]}: true and the three parts; false for anything else (also malformed Fn::If).
bool SplitIf(const rapidjson::Value& v, const rapidjson::Value** cond, const rapidjson::Value** then_v,
             const rapidjson::Value** else_v);
rapidjson::Value MakeIf(const rapidjson::Value& cond, rapidjson::Value then_v, rapidjson::Value else_v, JsonAlloc& a);

// A short, deterministic rendering of `v` for error messages (compact JSON, cut at ~120 bytes).
std::string Describe(const rapidjson::Value& v);
// Compact JSON of `v`.
std::string ToJson(const rapidjson::Value& v);

}  // namespace kilt

#endif  // KILT_PATCHER_JSON_H_
