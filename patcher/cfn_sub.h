// Evaluates the few CloudFormation expressions whose value kilt must know at patch time (an image
// reference it looks up or matches against a hint): literals, {"Ref": P} and Fn::Sub, from the values the
// caller knows (stack parameters, pseudo parameters). Internal to the patcher library.
#ifndef KILT_PATCHER_CFN_SUB_H_
#define KILT_PATCHER_CFN_SUB_H_

#include <map>
#include <string>

#include <rapidjson/document.h>

namespace kilt {

// The value of a stack parameter or pseudo parameter, when the caller gave it. AWS::Partition and
// AWS::URLSuffix, when not given, follow from AWS::Region (aws-cn / amazonaws.com.cn for cn-*,
// aws-us-gov for us-gov-*, else aws / amazonaws.com); without a region they stay unknown.
bool LookupParameter(const std::map<std::string, std::string>& params, const std::string& name, std::string* out);

// Resolves `v` (a string, a Ref, or a Fn::Sub in its string or [string, {vars}] form) to the string it
// will be at deploy time. On false, *why (when not null) says which part is unknown and why, e.g.
// "${Tag} names a stack parameter kilt was not given"; it is empty when `v` is another kind of value.
bool ResolveCfnString(const rapidjson::Value& v, const std::map<std::string, std::string>& params, std::string* out,
                      std::string* why);

}  // namespace kilt

#endif  // KILT_PATCHER_CFN_SUB_H_
