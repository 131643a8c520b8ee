#include "patcher/change_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace kilt {
namespace {

// JSON text, exactly as rapidjson's Writer prints it (compact, same escaping and number format),
// written into a string the caller owns: no intermediate document, no copies of the values. The
// string is used as a raw buffer (grown ahead of each write, cut to length by Finish): per-character
// std::string appends were most of the cost of writing a patch.
class TextWriter {
 public:
  explicit TextWriter(std::string* out) : out_(*out), n_(out->size()) { out_.resize(n_ + 4096); }

  // Cuts the string to what was written.
  void Finish() { out_.resize(n_); }

  void Raw(std::string_view s) {
    memcpy(Grow(s.size()), s.data(), s.size());
    n_ += s.size();
  }
  void Raw(char c) {
    *Grow(1) = c;
    n_++;
  }

  void Value(const rapidjson::Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType:
        return Raw("null");
      case rapidjson::kFalseType:
        return Raw("false");
      case rapidjson::kTrueType:
        return Raw("true");
      case rapidjson::kStringType:
        return String(v.GetString(), v.GetStringLength());
      case rapidjson::kNumberType:
        return Number(v);
      case rapidjson::kObjectType: {
        Raw('{');
        bool first = true;
        for (const auto& m : v.GetObject()) {
          if (!first) Raw(',');
          first = false;
          String(m.name.GetString(), m.name.GetStringLength());
          Raw(':');
          Value(m.value);
        }
        return Raw('}');
      }
      case rapidjson::kArrayType: {
        Raw('[');
        bool first = true;
        for (const auto& e : v.GetArray()) {
          if (!first) Raw(',');
          first = false;
          Value(e);
        }
        return Raw(']');
      }
    }
  }

  void Number(const rapidjson::Value& v) {
    if (v.IsDouble()) {
      // Rare in a pod; rapidjson's shortest round-trip format, exactly as its Writer prints it.
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      v.Accept(w);
      return Raw({sb.GetString(), sb.GetSize()});
    }
    char buf[24];
    char* end = v.IsInt64() ? std::to_chars(buf, buf + sizeof buf, v.GetInt64()).ptr
                            : std::to_chars(buf, buf + sizeof buf, v.GetUint64()).ptr;
    Raw({buf, static_cast<size_t>(end - buf)});
  }

  // rapidjson's Writer escaping (UTF-8 in and out, no validation): '"', '\\' and control
  // characters; \b \t \n \f \r short, others \u00XX with upper-case hex; everything else copied as
  // is. Strings are copied 8 bytes at a time while those hold nothing to escape (most strings).
  void String(const char* s, size_t len) {
    char* const begin = Grow(6 * len + 2);  // the worst case: every byte as \u00XX
    char* o = begin;
    *o++ = '"';
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (MayNeedEscape(w)) break;
      memcpy(o, &w, 8);
      o += 8;
    }
    for (; i < len; i++) o = Escaped(static_cast<unsigned char>(s[i]), o);
    *o++ = '"';
    n_ += static_cast<size_t>(o - begin);
  }

 private:
  // Room for `k` more bytes at the end of what was written.
  char* Grow(size_t k) {
    if (n_ + k > out_.size()) out_.resize(std::max(2 * out_.size(), n_ + k));
    return out_.data() + n_;
  }

  // Whether one of the 8 bytes is below 0x20, '"' or '\\' (the classic "has zero/less" bit tricks).
  static bool MayNeedEscape(uint64_t w) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    const uint64_t quote = w ^ (kOnes * '"'), backslash = w ^ (kOnes * '\\');
    return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
            ((backslash - kOnes) & ~backslash)) &
           kHighs;
  }

  // Writes byte `c` at `o`, escaped if it must be; returns the end.
  static char* Escaped(unsigned char c, char* o) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    if (c >= 0x20 && c != '"' && c != '\\') {
      *o = static_cast<char>(c);
      return o + 1;
    }
    o[0] = '\\';
    switch (c) {
      case '"': o[1] = '"'; return o + 2;
      case '\\': o[1] = '\\'; return o + 2;
      case '\b': o[1] = 'b'; return o + 2;
      case '\t': o[1] = 't'; return o + 2;
      case '\n': o[1] = 'n'; return o + 2;
      case '\f': o[1] = 'f'; return o + 2;
      case '\r': o[1] = 'r'; return o + 2;
      default:
        o[1] = 'u';
        o[2] = '0';
        o[3] = '0';
        o[4] = kHex[c >> 4];
        o[5] = kHex[c & 15];
        return o + 6;
    }
  }

  std::string& out_;
  size_t n_;  // bytes written; out_ is longer (room to write into) until Finish()
};

// Resolves pointers into a document that no longer changes. Consecutive paths usually share a parent
// ("/spec/containers/0/command", then ".../args"), so each one is walked from the deepest value of
// the previous path that is also a prefix of it, not from the root.
class Resolver {
 public:
  explicit Resolver(const rapidjson::Value& doc) { levels_.push_back({0, &doc}); }

  // The value `path` addresses, or null. Tokens are unescaped ("~1" → "/", "~0" → "~") only when
  // they hold a "~".
  const rapidjson::Value* Get(std::string_view path) {
    while (levels_.size() > 1) {
      const size_t end = levels_.back().end;
      if (end <= path.size() && path.compare(0, end, last_.substr(0, end)) == 0 &&
          (end == path.size() || path[end] == '/'))
        break;
      levels_.pop_back();
    }
    last_ = path;
    const rapidjson::Value* v = levels_.back().value;
    for (size_t at = levels_.back().end; at < path.size();) {
      if (path[at] != '/') return nullptr;
      const size_t end = std::min(path.find('/', at + 1), path.size());
      v = Step(*v, path.substr(at + 1, end - at - 1));
      if (!v) return nullptr;
      levels_.push_back({end, v});
      at = end;
    }
    return v;
  }

 private:
  const rapidjson::Value* Step(const rapidjson::Value& v, std::string_view token) {
    if (token.find('~') != std::string_view::npos) {
      unescaped_.clear();
      for (size_t j = 0; j < token.size(); j++) {
        if (token[j] == '~' && j + 1 < token.size() && (token[j + 1] == '0' || token[j + 1] == '1'))
          unescaped_ += token[++j] == '0' ? '~' : '/';
        else
          unescaped_ += token[j];
      }
      token = unescaped_;
    }
    if (v.IsObject()) {
      for (const auto& m : v.GetObject()) {
        if (m.name.GetStringLength() == token.size() &&
            memcmp(m.name.GetString(), token.data(), token.size()) == 0)
          return &m.value;
      }
      return nullptr;
    }
    if (!v.IsArray()) return nullptr;
    rapidjson::SizeType index = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (token.empty() || ec != std::errc() || end != token.data() + token.size() || index >= v.Size())
      return nullptr;
    return &v[index];
  }

  struct Level {
    size_t end;  // the prefix of last_ that addresses `value`
    const rapidjson::Value* value;
  };
  std::vector<Level> levels_;
  std::string_view last_;
  std::string unescaped_;
};

// The paths already written, to fold a change inside one of them into it. A review records a few dozen:
// a list, compared in turn. A pod with thousands of containers records tens of thousands, and a list
// made that quadratic (12,000 containers took seconds): past kListMax the paths go into a hash set and
// each prefix of a path that ends a token is looked up, which costs the path's length.
class WrittenPaths {
 public:
  explicit WrittenPaths(size_t expected) {
    if (expected > kListMax) set_.reserve(expected);
    else list_.reserve(expected);
  }
  // Whether `path` is a written path or lies inside one.
  bool Covers(std::string_view path) const {
    if (set_.empty()) {
      for (std::string_view outer : list_)
        if (path.compare(0, outer.size(), outer) == 0 && (path.size() == outer.size() || path[outer.size()] == '/'))
          return true;
      return false;
    }
    for (size_t i = 1; i <= path.size(); i++)
      if ((i == path.size() || path[i] == '/') && set_.count(path.substr(0, i))) return true;
    return false;
  }
  void Add(std::string_view path) {
    if (set_.empty() && list_.size() < kListMax) return list_.push_back(path);
    if (set_.empty()) set_.insert(list_.begin(), list_.end());
    set_.insert(path);
  }
  bool empty() const { return list_.empty() && set_.empty(); }

 private:
  static constexpr size_t kListMax = 64;
  std::vector<std::string_view> list_;
  std::unordered_set<std::string_view> set_;
};

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
  TextWriter w(&out);
  w.Raw('[');
  WrittenPaths written(ops_.size());
  Resolver resolver(doc);
  for (const Entry& op : ops_) {
    const std::string_view path(paths_.data() + op.begin, op.end - op.begin);
    if (written.Covers(path)) continue;
    const rapidjson::Value* value = resolver.Get(path);
    if (!value)
      throw std::logic_error("ChangeLog: recorded path " + std::string(path) + " is not in the document");
    if (!written.empty()) w.Raw(',');
    w.Raw(op.op == kReplace ? "{\"op\":\"replace\",\"path\":" : "{\"op\":\"add\",\"path\":");
    w.String(path.data(), path.size());
    w.Raw(",\"value\":");
    w.Value(*value);
    w.Raw('}');
    written.Add(path);
  }
  w.Raw(']');
  w.Finish();
  return out;
}

}  // namespace kilt
