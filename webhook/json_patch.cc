#include "webhook/json_patch.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kilt {
namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

void AddOp(Value* ops, const char* op, const std::string& path, const Value* value, Alloc& a) {
  Value o(rapidjson::kObjectType);
  o.AddMember("op", Value(op, a), a);
  o.AddMember("path", Value(path.c_str(), static_cast<rapidjson::SizeType>(path.size()), a), a);
  if (value) o.AddMember("value", Value(*value, a), a);
  ops->PushBack(o, a);
}

void Diff(const Value& before, const Value& after, const std::string& path, Value* ops, Alloc& a) {
  if (before == after) return;
  if (before.IsObject() && after.IsObject()) {
    for (const auto& m : before.GetObject()) {
      if (!after.HasMember(m.name))
        AddOp(ops, "remove", path + "/" + JsonPointerEscape(m.name.GetString()), nullptr, a);
    }
    for (const auto& m : after.GetObject()) {
      std::string child = path + "/" + JsonPointerEscape({m.name.GetString(), m.name.GetStringLength()});
      auto it = before.FindMember(m.name);
      if (it == before.MemberEnd())
        AddOp(ops, "add", child, &m.value, a);
      else
        Diff(it->value, m.value, child, ops, a);
    }
    return;
  }
  if (before.IsArray() && after.IsArray()) {
    const rapidjson::SizeType n = before.Size(), m = after.Size();
    if (n == m) {
      for (rapidjson::SizeType i = 0; i < n; i++)
        Diff(before[i], after[i], path + "/" + std::to_string(i), ops, a);
      return;
    }
    if (m > n) {
      bool prefix = true, suffix = true;
      for (rapidjson::SizeType i = 0; i < n && (prefix || suffix); i++) {
        if (before[i] != after[i]) prefix = false;
        if (before[i] != after[m - n + i]) suffix = false;
      }
      if (prefix) {
        for (rapidjson::SizeType i = n; i < m; i++)
          AddOp(ops, "add", path + "/" + std::to_string(i), &after[i], a);
        return;
      }
      if (suffix) {
        for (rapidjson::SizeType i = 0; i < m - n; i++)
          AddOp(ops, "add", path + "/" + std::to_string(i), &after[i], a);
        return;
      }
    }
  }
  // The root cannot be replaced with path "" by every client; the pod patcher never does that.
  AddOp(ops, "replace", path, &after, a);
}

}  // namespace

std::string JsonPointerEscape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

void DiffJson(const Value& before, const Value& after, Value* ops, Alloc& alloc) {
  Diff(before, after, "", ops, alloc);
}

std::string JsonPatch(const Value& before, const Value& after) {
  rapidjson::Document ops(rapidjson::kArrayType);
  DiffJson(before, after, &ops, ops.GetAllocator());
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  ops.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace kilt
