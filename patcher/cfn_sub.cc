#include "patcher/cfn_sub.h"

#include "patcher/json.h"

namespace kilt {

using rapidjson::Value;

bool LookupParameter(const std::map<std::string, std::string>& params, const std::string& name, std::string* out) {
  auto it = params.find(name);
  if (it != params.end()) {
    *out = it->second;
    return true;
  }
  // Partition and URL suffix are functions of the region; deriving them is exact for every region AWS
  // has (the macro passes them anyway). Without a region kilt does not guess "aws".
  if (name != "AWS::Partition" && name != "AWS::URLSuffix") return false;
  auto region = params.find("AWS::Region");
  if (region == params.end() || region->second.empty()) return false;
  bool china = region->second.rfind("cn-", 0) == 0;
  bool gov = region->second.rfind("us-gov-", 0) == 0;
  if (name == "AWS::Partition") *out = china ? "aws-cn" : gov ? "aws-us-gov" : "aws";
  else *out = china ? "amazonaws.com.cn" : "amazonaws.com";
  return true;
}

namespace {

// Why a name kilt cannot resolve is unknown, and what would make it known ("is a resource attribute ...").
std::string WhyUnknown(const std::string& var) {
  if (var.rfind("AWS::", 0) == 0)
    return "is a pseudo parameter kilt was not given (the macro passes the stack's; on the CLI use --parameter " +
           var + "=VALUE)";
  if (var.find('.') != std::string::npos)
    return "is a resource attribute (Fn::GetAtt), known only once the stack is deployed";
  return "is not a stack parameter kilt was given (on the CLI use --parameter " + var +
         "=VALUE or --parameter-defaults; a resource's Ref is known only once the stack is deployed)";
}

bool Sub(const Value& arg, const std::map<std::string, std::string>& params, std::string* out, std::string* why);

// The value of one Fn::Sub variable map entry: a literal, or a Ref / Fn::Sub kilt can resolve.
bool VarValue(const std::string& var, const Value& v, const std::map<std::string, std::string>& params,
              std::string* out, std::string* why) {
  std::string inner;
  if (ResolveCfnString(v, params, out, &inner)) return true;
  *why = "variable " + var + " is " + Describe(v) +
         (inner.empty() ? std::string(", which kilt cannot evaluate at patch time") : ", and " + inner);
  return false;
}

bool Sub(const Value& arg, const std::map<std::string, std::string>& params, std::string* out, std::string* why) {
  const Value* text = &arg;
  const Value* vars = nullptr;
  if (arg.IsArray()) {
    if (arg.Size() != 2 || !arg[0].IsString() || !arg[1].IsObject()) {
      *why = "Fn::Sub takes a string or [string, {variables}], not " + Describe(arg);
      return false;
    }
    text = &arg[0];
    vars = &arg[1];
  } else if (!arg.IsString()) {
    *why = "Fn::Sub takes a string or [string, {variables}], not " + Describe(arg);
    return false;
  }
  std::string_view s(text->GetString(), text->GetStringLength());
  std::string result;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '$' || i + 1 >= s.size() || s[i + 1] != '{') {
      result += s[i++];
      continue;
    }
    size_t close = s.find('}', i + 2);
    if (close == std::string_view::npos) {  // CloudFormation keeps an unclosed "${" as text
      result += s.substr(i);
      break;
    }
    std::string_view body = s.substr(i + 2, close - i - 2);
    i = close + 1;
    if (!body.empty() && body[0] == '!') {  // ${!Literal} is the text ${Literal}
      result += "${";
      result += body.substr(1);
      result += '}';
      continue;
    }
    while (!body.empty() && body.front() == ' ') body.remove_prefix(1);
    while (!body.empty() && body.back() == ' ') body.remove_suffix(1);
    std::string var(body);
    std::string value;
    if (vars != nullptr) {
      auto m = vars->FindMember(Value(rapidjson::StringRef(var.data(), var.size())));
      if (m != vars->MemberEnd()) {
        if (!VarValue(var, m->value, params, &value, why)) return false;
        result += value;
        continue;
      }
    }
    // Resource attributes are never stack parameters, even when a parameter's name has a dot.
    if (var.find('.') == std::string::npos && LookupParameter(params, var, &value)) {
      result += value;
      continue;
    }
    *why = "${" + var + "} " + WhyUnknown(var);
    return false;
  }
  *out = std::move(result);
  return true;
}

}  // namespace

bool ResolveCfnString(const Value& v, const std::map<std::string, std::string>& params, std::string* out,
                      std::string* why) {
  std::string ignored;
  if (why == nullptr) why = &ignored;
  why->clear();
  if (v.IsString()) {
    out->assign(v.GetString(), v.GetStringLength());
    return true;
  }
  std::string_view fn = IntrinsicName(v);
  if (fn == "Ref" && v.MemberBegin()->value.IsString()) {
    std::string name = v.MemberBegin()->value.GetString();
    if (LookupParameter(params, name, out)) return true;
    *why = name + " " + WhyUnknown(name);
    return false;
  }
  if (fn == "Fn::Sub") return Sub(v.MemberBegin()->value, params, out, why);
  return false;
}

}  // namespace kilt
