// The CloudFormation intrinsic-function vocabulary: an intrinsic is an object with exactly one member named
// "Ref", "Condition" or "Fn::*".
#ifndef KILT_PATCHER_JSON_H_
#define KILT_PATCHER_JSON_H_

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "base/json.h"

namespace kilt {

// base's JSON helpers, under the names the patcher has always used.
using base::Copy;
using base::Describe;
using base::JsonAlloc;
using base::Member;
using base::RemoveMember;
using base::SetMember;
using base::Str;
using base::ToJson;

// The name of the intrinsic function `v` is ("Ref", "Fn::If", ...), or "" when it is not one.
std::string_view IntrinsicName(const rapidjson::Value& v);
inline bool IsIntrinsic(const rapidjson::Value& v) { return !IntrinsicName(v).empty(); }
// {"Ref": "AWS::NoValue"}: removes the property (or list element) it stands for.
bool IsNoValue(const rapidjson::Value& v);
// For {"Fn::If": [cond, a, b]}: true and the three parts; false for anything else (also malformed Fn::If).
bool SplitIf(const rapidjson::Value& v, const rapidjson::Value** cond, const rapidjson::Value** then_v,
             const rapidjson::Value** else_v);
rapidjson::Value MakeIf(const rapidjson::Value& cond, rapidjson::Value then_v, rapidjson::Value else_v, JsonAlloc& a);

}  // namespace kilt

#endif  // KILT_PATCHER_JSON_H_
