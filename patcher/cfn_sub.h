// Evaluates the CloudFormation expressions whose value kilt must know before the stack exists: the
// patcher's image references, names and selections, and everything `kilt local run` starts a container
// with. Literals, Ref, Fn::Sub, Fn::Join, Fn::Select and Fn::Split over the values the caller knows (stack
// parameters, pseudo parameters), and Fn::If over the template's Conditions. Resource attributes,
// imports and resources' Refs are known only once the stack is deployed: they stay unknown, with a reason.
#ifndef KILT_PATCHER_CFN_SUB_H_
#define KILT_PATCHER_CFN_SUB_H_

#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

namespace kilt {

using CfnParameters = std::map<std::string, std::string>;

// The value of a stack parameter or pseudo parameter, when the caller gave it. AWS::Partition and
// AWS::URLSuffix, when not given, follow from AWS::Region (aws-cn / amazonaws.com.cn for cn-*,
// aws-us-gov for us-gov-*, else aws / amazonaws.com); without a region they stay unknown.
bool LookupParameter(const CfnParameters& params, const std::string& name, std::string* out);

// What a stack's values are at deploy time, as far as kilt can know them. On false, *why (never null)
// says which part is unknown and what would make it known ("${Tag} names a stack parameter kilt was not
// given ..."); it is empty when `v` is a kind of value these functions do not evaluate.
// REQUIRES: `params` and `conditions` (the template's Conditions section, or null) outlive this.
class CfnEvaluator {
 public:
  explicit CfnEvaluator(const CfnParameters& params, const rapidjson::Value* conditions = nullptr)
      : params_(params), conditions_(conditions) {}

  // A string: a literal (a number too: YAML writes `User: 1000` unquoted), Ref, Fn::Sub in its string
  // or [string, {variables}] form, Fn::Join, Fn::Select, or Fn::If when there are Conditions.
  bool String(const rapidjson::Value& v, std::string* out, std::string* why) const;

  // A list of strings: a list (AWS::NoValue elements left out, Fn::If elements chosen), Fn::Split, a Ref to
  // a list parameter (comma-separated, as CloudFormation passes a CommaDelimitedList), or Fn::If.
  bool StringList(const rapidjson::Value& v, std::vector<std::string>* out, std::string* why) const;

  // The value `v` stands for: the branch of a Fn::If the stack takes (chains followed), or `v` itself.
  // *out is null for {"Ref": "AWS::NoValue"} (the property or element is absent). False when a
  // condition cannot be decided.
  bool Choose(const rapidjson::Value& v, const rapidjson::Value** out, std::string* why) const;

  // A condition: the name of one in Conditions, or a Condition / Fn::Equals / Fn::Not / Fn::And / Fn::Or
  // expression.
  bool Condition(const rapidjson::Value& expr, bool* out, std::string* why) const;

 private:
  bool Sub(const rapidjson::Value& arg, std::string* out, std::string* why) const;
  bool NamedCondition(const std::string& name, bool* out, std::string* why) const;

  const CfnParameters& params_;
  const rapidjson::Value* conditions_;
  mutable int depth_ = 0;  // guards Conditions that refer to each other in a cycle
};

// CfnEvaluator(params).String(v, ...), for callers without Conditions; `why` may be null.
bool ResolveCfnString(const rapidjson::Value& v, const CfnParameters& params, std::string* out, std::string* why);

}  // namespace kilt

#endif  // KILT_PATCHER_CFN_SUB_H_
