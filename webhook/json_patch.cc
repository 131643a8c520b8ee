#include "webhook/json_patch.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace kilt {
namespace {

using rapidjson::SizeType;
using rapidjson::Value;

// Appends `token` escaped for a JSON pointer: plain runs are copied whole (keys rarely hold ~ or
// /).
void AppendPointerToken(std::string_view token, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < token.size(); i++) {
    if (token[i] != '~' && token[i] != '/') continue;
    out->append(token.data() + start, i - start);
    *out += token[i] == '~' ? "~0" : "~1";
    start = i + 1;
  }
  out->append(token.data() + start, token.size() - start);
}

// The patch is written as text while the two values are walked, in one pass: no document of
// operations, no copies of the added values, one growing path instead of a string per level. This
// was the largest part of a review's CPU when it went through a rapidjson document and its Writer
// (bench/webhook.sh, docs/webhook.md "Performance").
class PatchWriter {
 public:
  PatchWriter() {
    out_.reserve(4096);
    path_.reserve(256);
    out_ += '[';
  }

  std::string Finish() {
    out_ += ']';
    return std::move(out_);
  }

  void Diff(const Value& before, const Value& after) {
    if (before.IsObject() && after.IsObject()) return DiffObjects(before, after);
    if (before.IsArray() && after.IsArray()) return DiffArrays(before, after);
    if (before == after) return;
    // The root cannot be replaced with path "" by every client; the pod patcher never does that.
    Op("replace", &after);
  }

 private:
  // Members are usually at the same index on both sides (the patcher appends), so that index is
  // tried before a search by name.
  static const Value* Member(const Value& obj, SizeType hint, const Value& name) {
    if (hint < obj.MemberCount()) {
      const auto& m = obj.MemberBegin()[hint];
      if (m.name.GetStringLength() == name.GetStringLength() &&
          memcmp(m.name.GetString(), name.GetString(), name.GetStringLength()) == 0)
        return &m.value;
    }
    auto it = obj.FindMember(name);
    return it == obj.MemberEnd() ? nullptr : &it->value;
  }

  void DiffObjects(const Value& before, const Value& after) {
    SizeType i = 0;
    for (const auto& m : before.GetObject()) {
      if (!Member(after, i++, m.name)) {
        size_t mark = PushKey(m.name);
        Op("remove", nullptr);
        path_.resize(mark);
      }
    }
    i = 0;
    for (const auto& m : after.GetObject()) {
      const Value* old = Member(before, i++, m.name);
      size_t mark = PushKey(m.name);
      if (old)
        Diff(*old, m.value);
      else
        Op("add", &m.value);
      path_.resize(mark);
    }
  }

  void DiffArrays(const Value& before, const Value& after) {
    const SizeType n = before.Size(), m = after.Size();
    if (n == m) {
      for (SizeType i = 0; i < n; i++) {
        size_t mark = PushIndex(i);
        Diff(before[i], after[i]);
        path_.resize(mark);
      }
      return;
    }
    if (m > n) {
      bool prefix = true, suffix = true;
      for (SizeType i = 0; i < n && (prefix || suffix); i++) {
        if (prefix && before[i] != after[i]) prefix = false;
        if (suffix && before[i] != after[m - n + i]) suffix = false;
      }
      if (prefix || suffix) {
        const SizeType from = prefix ? n : 0, to = prefix ? m : m - n;
        for (SizeType i = from; i < to; i++) {
          size_t mark = PushIndex(i);
          Op("add", &after[i]);
          path_.resize(mark);
        }
        return;
      }
    }
    Op("replace", &after);
  }

  size_t PushKey(const Value& name) {
    size_t mark = path_.size();
    path_ += '/';
    AppendPointerToken({name.GetString(), name.GetStringLength()}, &path_);
    return mark;
  }

  size_t PushIndex(SizeType i) {
    size_t mark = path_.size();
    char buf[16];
    buf[0] = '/';
    char* end = std::to_chars(buf + 1, buf + sizeof buf, i).ptr;
    path_.append(buf, static_cast<size_t>(end - buf));
    return mark;
  }

  void Op(const char* op, const Value* value) {
    if (out_.size() > 1) out_ += ',';
    out_ += "{\"op\":\"";
    out_ += op;
    out_ += "\",\"path\":";
    WriteString(path_.data(), path_.size());
    if (value) {
      out_ += ",\"value\":";
      WriteValue(*value);
    }
    out_ += '}';
  }

  void WriteValue(const Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType:
        out_ += "null";
        return;
      case rapidjson::kFalseType:
        out_ += "false";
        return;
      case rapidjson::kTrueType:
        out_ += "true";
        return;
      case rapidjson::kStringType:
        WriteString(v.GetString(), v.GetStringLength());
        return;
      case rapidjson::kNumberType:
        WriteNumber(v);
        return;
      case rapidjson::kObjectType: {
        out_ += '{';
        bool first = true;
        for (const auto& m : v.GetObject()) {
          if (!first) out_ += ',';
          first = false;
          WriteString(m.name.GetString(), m.name.GetStringLength());
          out_ += ':';
          WriteValue(m.value);
        }
        out_ += '}';
        return;
      }
      case rapidjson::kArrayType: {
        out_ += '[';
        bool first = true;
        for (const auto& e : v.GetArray()) {
          if (!first) out_ += ',';
          first = false;
          WriteValue(e);
        }
        out_ += ']';
        return;
      }
    }
  }

  void WriteNumber(const Value& v) {
    if (v.IsDouble()) {
      // Rare in a pod; rapidjson's shortest round-trip format, exactly as its Writer prints it.
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      v.Accept(w);
      out_.append(sb.GetString(), sb.GetSize());
      return;
    }
    char buf[24];
    char* end = v.IsInt64() ? std::to_chars(buf, buf + sizeof buf, v.GetInt64()).ptr
                            : std::to_chars(buf, buf + sizeof buf, v.GetUint64()).ptr;
    out_.append(buf, static_cast<size_t>(end - buf));
  }

  // rapidjson's Writer escaping (UTF-8 in and out, no validation): '"', '\\' and control
  // characters; \b \t \n \f \r short, others \u00XX with upper-case hex; everything else copied as
  // is. Strings are scanned 8 bytes at a time: most hold nothing to escape.
  void WriteString(const char* s, size_t len) {
    out_ += '"';
    size_t start = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!MayNeedEscape(w)) continue;
      for (size_t j = i; j < i + 8; j++) EscapeAt(s, j, &start);
    }
    for (; i < len; i++) EscapeAt(s, i, &start);
    out_.append(s + start, len - start);
    out_ += '"';
  }

  // Whether one of the 8 bytes is below 0x20, '"' or '\\' (the classic "has zero/less" bit tricks).
  static bool MayNeedEscape(uint64_t w) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
    return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
            ((backslash - kOnes) & ~backslash)) &
           kHighs;
  }

  // Escapes s[i] if it must be: appends the plain run before it, then the escape.
  void EscapeAt(const char* s, size_t i, size_t* start) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') return;
    out_.append(s + *start, i - *start);
    *start = i + 1;
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (c) {
      case '"':
        esc[1] = '"';
        break;
      case '\\':
        esc[1] = '\\';
        break;
      case '\b':
        esc[1] = 'b';
        break;
      case '\t':
        esc[1] = 't';
        break;
      case '\n':
        esc[1] = 'n';
        break;
      case '\f':
        esc[1] = 'f';
        break;
      case '\r':
        esc[1] = 'r';
        break;
      default:
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = kHex[c >> 4];
        esc[5] = kHex[c & 15];
        n = 6;
    }
    out_.append(esc, n);
  }

  std::string out_;
  std::string path_;
};

}  // namespace

std::string JsonPointerEscape(std::string_view token) {
  std::string out;
  AppendPointerToken(token, &out);
  return out;
}

std::string JsonPatch(const Value& before, const Value& after) {
  PatchWriter w;
  w.Diff(before, after);
  return w.Finish();
}

}  // namespace kilt
