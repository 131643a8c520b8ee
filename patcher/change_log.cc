#include "patcher/change_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace kilt {
namespace {

// JSON text, exactly as rapidjson's Writer prints it (compact, same escaping and number format),
// appended to a string the caller owns: no intermediate document, no copies of the values.
class TextWriter {
 public:
  explicit TextWriter(std::string* out) : out_(*out) {}

  void Raw(std::string_view s) { out_.append(s.data(), s.size()); }

  void Value(const rapidjson::Value& v) {
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
        String(v.GetString(), v.GetStringLength());
        return;
      case rapidjson::kNumberType:
        Number(v);
        return;
      case rapidjson::kObjectType: {
        out_ += '{';
        bool first = true;
        for (const auto& m : v.GetObject()) {
          if (!first) out_ += ',';
          first = false;
          String(m.name.GetString(), m.name.GetStringLength());
          out_ += ':';
          Value(m.value);
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
          Value(e);
        }
        out_ += ']';
        return;
      }
    }
  }

  void Number(const rapidjson::Value& v) {
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
  void String(const char* s, size_t len) {
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

  std::string& out_;
};

// The value `path` addresses in `doc`, or null. Tokens are unescaped ("~1" → "/", "~0" → "~") only
// when they hold a "~".
const rapidjson::Value* Resolve(const rapidjson::Value& doc, std::string_view path) {
  const rapidjson::Value* v = &doc;
  std::string unescaped;
  while (!path.empty()) {
    if (path[0] != '/') return nullptr;
    path.remove_prefix(1);
    std::string_view token = path.substr(0, path.find('/'));
    path.remove_prefix(token.size());
    if (token.find('~') != std::string_view::npos) {
      unescaped.clear();
      for (size_t j = 0; j < token.size(); j++) {
        if (token[j] == '~' && j + 1 < token.size() && (token[j + 1] == '0' || token[j + 1] == '1'))
          unescaped += token[++j] == '0' ? '~' : '/';
        else
          unescaped += token[j];
      }
      token = unescaped;
    }
    if (v->IsObject()) {
      // A Value, not a StringRef: that would convert to `const char*` and be read up to a NUL.
      const rapidjson::Value name(rapidjson::StringRef(token.data(), token.size()));
      auto it = v->FindMember(name);
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      rapidjson::SizeType index = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (token.empty() || ec != std::errc() || end != token.data() + token.size() || index >= v->Size())
        return nullptr;
      v = &(*v)[index];
    } else {
      return nullptr;
    }
  }
  return v;
}

// Whether `path` is `outer` or lies inside it.
bool Within(std::string_view path, std::string_view outer) {
  return path.compare(0, outer.size(), outer) == 0 &&
         (path.size() == outer.size() || path[outer.size()] == '/');
}

}  // namespace

void AppendPointerToken(std::string_view token, std::string* path) {
  *path += '/';
  size_t start = 0;
  for (size_t i = 0; i < token.size(); i++) {
    if (token[i] != '~' && token[i] != '/') continue;
    path->append(token.data() + start, i - start);
    *path += token[i] == '~' ? "~0" : "~1";
    start = i + 1;
  }
  path->append(token.data() + start, token.size() - start);
}

void ChangeLog::Record(Op op, std::string_view parent, std::string_view key) {
  const size_t begin = paths_.size();
  paths_.append(parent.data(), parent.size());
  AppendPointerToken(key, &paths_);
  ops_.push_back({op, begin, paths_.size()});
}

void ChangeLog::Record(Op op, std::string_view parent, rapidjson::SizeType index) {
  const size_t begin = paths_.size();
  paths_.append(parent.data(), parent.size());
  char buf[16];
  buf[0] = '/';
  char* end = std::to_chars(buf + 1, buf + sizeof buf, index).ptr;
  paths_.append(buf, static_cast<size_t>(end - buf));
  ops_.push_back({op, begin, paths_.size()});
}

std::string ChangeLog::Write(const rapidjson::Value& doc) const {
  std::string out;
  out.reserve(4096);
  TextWriter w(&out);
  out += '[';
  std::vector<std::string_view> written;
  for (const Entry& op : ops_) {
    const std::string_view path(paths_.data() + op.begin, op.end - op.begin);
    bool folded = false;
    for (std::string_view outer : written) folded = folded || Within(path, outer);
    if (folded) continue;
    const rapidjson::Value* value = Resolve(doc, path);
    if (!value)
      throw std::logic_error("ChangeLog: recorded path " + std::string(path) + " is not in the document");
    if (!written.empty()) out += ',';
    w.Raw(op.op == kReplace ? "{\"op\":\"replace\",\"path\":" : "{\"op\":\"add\",\"path\":");
    w.String(path.data(), path.size());
    w.Raw(",\"value\":");
    w.Value(*value);
    out += '}';
    written.push_back(path);
  }
  out += ']';
  return out;
}

}  // namespace kilt
