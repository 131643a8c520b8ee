#include "patcher/json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kilt {

const rapidjson::Value* Member(const rapidjson::Value& obj, std::string_view key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* Member(rapidjson::Value& obj, std::string_view key) {
  return const_cast<rapidjson::Value*>(Member(static_cast<const rapidjson::Value&>(obj), key));
}

void SetMember(rapidjson::Value* obj, std::string_view key, rapidjson::Value v, JsonAlloc& a) {
  if (rapidjson::Value* m = Member(*obj, key)) {
    *m = std::move(v);
    return;
  }
  obj->AddMember(Str(key, a), v, a);
}

bool RemoveMember(rapidjson::Value* obj, std::string_view key) {
  if (!obj->IsObject()) return false;
  auto it = obj->FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  if (it == obj->MemberEnd()) return false;
  obj->EraseMember(it);  // keeps the order of the other members
  return true;
}

rapidjson::Value Str(std::string_view s, JsonAlloc& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

rapidjson::Value Copy(const rapidjson::Value& v, JsonAlloc& a) { return rapidjson::Value(v, a); }

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

std::string ToJson(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Describe(const rapidjson::Value& v) {
  std::string s = ToJson(v);
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

}  // namespace kilt
