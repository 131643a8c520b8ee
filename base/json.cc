#include "base/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>

namespace kilt::base {

// A member whose name has another length is passed over without a call to memcmp, and the key is not
// measured or copied into a Value first (rapidjson's FindMember(const char*) does both): the webhook
// makes a few hundred lookups per review.
const rapidjson::Value* Member(const rapidjson::Value& obj, std::string_view key) {
  if (!obj.IsObject()) return nullptr;
  for (const auto& m : obj.GetObject()) {
    if (m.name.GetStringLength() == key.size() && memcmp(m.name.GetString(), key.data(), key.size()) == 0)
      return &m.value;
  }
  return nullptr;
}

rapidjson::Value* Member(rapidjson::Value& obj, std::string_view key) {
  return const_cast<rapidjson::Value*>(Member(static_cast<const rapidjson::Value&>(obj), key));
}

std::string_view StringMember(const rapidjson::Value& obj, std::string_view key) {
  const rapidjson::Value* v = Member(obj, key);
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view();
}

bool ReadStringList(const rapidjson::Value* v, std::vector<std::string>* out) {
  out->clear();
  if (v == nullptr || v->IsNull()) return true;
  if (!v->IsArray()) return false;
  for (const auto& e : v->GetArray()) {
    if (!e.IsString()) return false;
    out->emplace_back(e.GetString(), e.GetStringLength());
  }
  return true;
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

bool ParseJson(std::string_view text, rapidjson::Document* doc, std::string* err) {
  doc->Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (!doc->HasParseError()) return true;
  size_t line = 1, col = 1;
  for (size_t i = 0; i < doc->GetErrorOffset() && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  *err = std::to_string(line) + ":" + std::to_string(col) +
         ": invalid JSON: " + rapidjson::GetParseError_En(doc->GetParseError());
  return false;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *out += '"';
  // Plain runs are appended whole: the webhook logs a line per review, and a character at a time
  // showed in its bench's profile.
  size_t start = 0;
  for (size_t i = 0; i < s.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
  *out += '"';
}

}  // namespace kilt::base
