#include "patcher/cfn_sub.h"

#include "base/json.h"
#include "base/strings.h"
#include "patcher/json.h"

namespace kilt {

using rapidjson::Value;

bool LookupParameter(const CfnParameters& params, const std::string& name, std::string* out) {
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
  bool china = base::StartsWith(region->second, "cn-");
  bool gov = base::StartsWith(region->second, "us-gov-");
  if (name == "AWS::Partition") *out = china ? "aws-cn" : gov ? "aws-us-gov" : "aws";
  else *out = china ? "amazonaws.com.cn" : "amazonaws.com";
  return true;
}

namespace {

// Why a name kilt cannot resolve is unknown, and what would make it known ("is a resource attribute ...").
std::string WhyUnknown(const std::string& var) {
  if (base::StartsWith(var, "AWS::"))
    return "is a pseudo parameter kilt was not given (the macro passes the stack's; on the CLI use --parameter " +
           var + "=VALUE)";
  if (var.find('.') != std::string::npos)
    return "is a resource attribute (Fn::GetAtt), known only once the stack is deployed";
  return "is not a stack parameter kilt was given (on the CLI use --parameter " + var +
         "=VALUE or --parameter-defaults; a resource's Ref is known only once the stack is deployed)";
}

// The arguments of an intrinsic, when they are a list of `n` values.
const Value* Args(const Value& v, rapidjson::SizeType n) {
  const Value& a = v.MemberBegin()->value;
  return a.IsArray() && a.Size() == n ? &a : nullptr;
}

}  // namespace

bool CfnEvaluator::Sub(const Value& arg, std::string* out, std::string* why) const {
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
    std::string var(base::Trim(body));
    std::string value;
    if (const Value* given = vars ? base::Member(*vars, var) : nullptr) {
      // A variable of the map: a literal, or a Ref / Fn::Sub kilt can resolve.
      std::string inner;
      if (!String(*given, &value, &inner)) {
        *why = "variable " + var + " is " + Describe(*given) +
               (inner.empty() ? std::string(", which kilt cannot evaluate at patch time") : ", and " + inner);
        return false;
      }
      result += value;
      continue;
    }
    // Resource attributes are never stack parameters, even when a parameter's name has a dot.
    if (var.find('.') == std::string::npos && LookupParameter(params_, var, &value)) {
      result += value;
      continue;
    }
    *why = "${" + var + "} " + WhyUnknown(var);
    return false;
  }
  *out = std::move(result);
  return true;
}

bool CfnEvaluator::String(const Value& v, std::string* out, std::string* why) const {
  why->clear();
  if (v.IsString()) {
    out->assign(v.GetString(), v.GetStringLength());
    return true;
  }
  if (v.IsNumber()) {
    *out = base::ToJson(v);
    return true;
  }
  const std::string_view fn = IntrinsicName(v);
  const Value& arg = fn.empty() ? v : v.MemberBegin()->value;
  if (fn == "Ref" && arg.IsString()) {
    std::string name = arg.GetString();
    if (LookupParameter(params_, name, out)) return true;
    *why = name + " " + WhyUnknown(name);
    return false;
  }
  if (fn == "Fn::Sub") return Sub(arg, out, why);
  if (fn == "Fn::Join") {
    std::vector<std::string> parts;
    const Value* a = Args(v, 2);
    if (a == nullptr || !(*a)[0].IsString() || !StringList((*a)[1], &parts, why)) return false;
    *out = base::Join(parts, (*a)[0].GetString());
    return true;
  }
  if (fn == "Fn::Select") {
    std::vector<std::string> list;
    std::string index;
    int64_t i = 0;
    const Value* a = Args(v, 2);
    if (a == nullptr || !String((*a)[0], &index, why) || !StringList((*a)[1], &list, why)) return false;
    if (!base::ParseInt(index, 0, static_cast<int64_t>(list.size()) - 1, &i)) {
      *why = "Fn::Select index " + index + " is outside the list of " + std::to_string(list.size());
      return false;
    }
    *out = list[static_cast<size_t>(i)];
    return true;
  }
  if (fn == "Fn::If" && conditions_ != nullptr) {
    const Value* chosen = nullptr;
    if (!Choose(v, &chosen, why)) return false;
    if (chosen != nullptr) return String(*chosen, out, why);
    *why = "the Fn::If takes its AWS::NoValue branch";
    return false;
  }
  if (fn == "Fn::GetAtt" || fn == "Fn::ImportValue")
    *why = std::string(fn) + " " + Describe(arg) + " is known only once the stack is deployed";
  return false;
}

bool CfnEvaluator::StringList(const Value& v, std::vector<std::string>* out, std::string* why) const {
  why->clear();
  out->clear();
  if (v.IsArray()) {
    for (const Value& e : v.GetArray()) {
      const Value* chosen = &e;
      if (conditions_ != nullptr && !Choose(e, &chosen, why)) return false;
      if (chosen == nullptr || IsNoValue(*chosen)) continue;
      std::string s;
      if (!String(*chosen, &s, why)) return false;
      out->push_back(std::move(s));
    }
    return true;
  }
  const std::string_view fn = IntrinsicName(v);
  if (fn == "Fn::Split") {
    std::string text;
    const Value* a = Args(v, 2);
    if (a == nullptr || !(*a)[0].IsString() || (*a)[0].GetStringLength() == 0 || !String((*a)[1], &text, why))
      return false;
    const std::string sep = (*a)[0].GetString();
    for (size_t start = 0;;) {  // CloudFormation keeps empty items: "a,,b" is three
      size_t end = text.find(sep, start);
      out->push_back(text.substr(start, end - start));
      if (end == std::string::npos) return true;
      start = end + sep.size();
    }
  }
  if (fn == "Ref") {
    std::string text;
    if (!String(v, &text, why)) return false;
    for (size_t start = 0;;) {
      size_t end = text.find(',', start);
      out->push_back(text.substr(start, end - start));
      if (end == std::string::npos) return true;
      start = end + 1;
    }
  }
  if (fn == "Fn::If" && conditions_ != nullptr) {
    const Value* chosen = nullptr;
    if (!Choose(v, &chosen, why)) return false;
    return chosen == nullptr || StringList(*chosen, out, why);
  }
  return false;
}

bool CfnEvaluator::Choose(const Value& v, const Value** out, std::string* why) const {
  const Value* cur = &v;
  for (int hops = 0; hops < 64; ++hops) {
    if (IsNoValue(*cur)) {
      *out = nullptr;
      return true;
    }
    const Value *cond, *then_v, *else_v;
    if (!SplitIf(*cur, &cond, &then_v, &else_v)) {
      *out = cur;
      return true;
    }
    bool yes = false;
    if (!Condition(*cond, &yes, why)) return false;
    cur = yes ? then_v : else_v;
  }
  *why = "Fn::If nests too deep";
  return false;
}

bool CfnEvaluator::NamedCondition(const std::string& name, bool* out, std::string* why) const {
  const Value* expr = conditions_ ? base::Member(*conditions_, name) : nullptr;
  if (expr == nullptr) {
    *why = "condition " + name + (conditions_ ? " is not in the template's Conditions" : " is not known here");
    return false;
  }
  if (depth_ > 32) {
    *why = "condition " + name + " refers to itself (through other conditions)";
    return false;
  }
  ++depth_;
  bool ok = Condition(*expr, out, why);
  --depth_;
  if (!ok && why->find("condition " + name) == std::string::npos) *why = "condition " + name + ": " + *why;
  return ok;
}

bool CfnEvaluator::Condition(const Value& expr, bool* out, std::string* why) const {
  why->clear();
  if (expr.IsString()) return NamedCondition(expr.GetString(), out, why);
  const std::string_view fn = IntrinsicName(expr);
  const Value& arg = fn.empty() ? expr : expr.MemberBegin()->value;
  if (fn == "Condition" && arg.IsString()) return NamedCondition(arg.GetString(), out, why);
  if (fn == "Fn::Equals") {
    std::string a, b;
    const Value* args = Args(expr, 2);
    if (args == nullptr) {
      *why = "Fn::Equals takes two values, not " + Describe(arg);
      return false;
    }
    if (!String((*args)[0], &a, why) || !String((*args)[1], &b, why)) {
      if (why->empty()) *why = "Fn::Equals compares " + Describe(arg) + ", which kilt cannot evaluate";
      return false;
    }
    *out = a == b;
    return true;
  }
  if (fn == "Fn::Not") {
    const Value* args = Args(expr, 1);
    bool inner = false;
    if (args == nullptr || !Condition((*args)[0], &inner, why)) return false;
    *out = !inner;
    return true;
  }
  if ((fn == "Fn::And" || fn == "Fn::Or") && arg.IsArray()) {
    const bool is_and = fn == "Fn::And";
    bool undecided = false;
    std::string first_why;
    for (const Value& c : arg.GetArray()) {
      bool b = false;
      if (!Condition(c, &b, why)) {
        if (!undecided) first_why = *why;
        undecided = true;
      } else if (b != is_and) {  // a false in an And, a true in an Or decides it
        *out = b;
        return true;
      }
    }
    if (undecided) {
      *why = first_why;
      return false;
    }
    *out = is_and;
    return true;
  }
  *why = "kilt does not evaluate the condition " + Describe(expr);
  return false;
}

bool ResolveCfnString(const Value& v, const CfnParameters& params, std::string* out, std::string* why) {
  std::string ignored;
  return CfnEvaluator(params).String(v, out, why ? why : &ignored);
}

}  // namespace kilt
