#include "patcher/json.h"

namespace kilt {

std::string_view IntrinsicName(const rapidjson::Value& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return {};
  std::string_view n(v.MemberBegin()->name.GetString(), v.MemberBegin()->name.GetStringLength());
  if (n == "Ref" || n == "Condition" || n.substr(0, 4) == "Fn::") return n;
  return {};
}

bool IsNoValue(const rapidjson::Value& v) {
  if (IntrinsicName(v) != "Ref") return false;
  const rapidjson::Value& r = v.MemberBegin()->value;
  return r.IsString() && std::string_view(r.GetString(), r.GetStringLength()) == "AWS::NoValue";
}

bool SplitIf(const rapidjson::Value& v, const rapidjson::Value** cond, const rapidjson::Value** then_v,
             const rapidjson::Value** else_v) {
  if (IntrinsicName(v) != "Fn::If") return false;
  const rapidjson::Value& args = v.MemberBegin()->value;
  if (!args.IsArray() || args.Size() != 3) return false;
  *cond = &args[0];
  *then_v = &args[1];
  *else_v = &args[2];
  return true;
}

rapidjson::Value MakeIf(const rapidjson::Value& cond, rapidjson::Value then_v, rapidjson::Value else_v, JsonAlloc& a) {
  rapidjson::Value args(rapidjson::kArrayType);
  args.PushBack(Copy(cond, a), a).PushBack(then_v, a).PushBack(else_v, a);
  rapidjson::Value out(rapidjson::kObjectType);
  out.AddMember("Fn::If", args, a);
  return out;
}

}  // namespace kilt
