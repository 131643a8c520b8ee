// JSON from outside (templates, task definitions, admission reviews, macro events, registry answers, pull
// Secrets) is parsed here, with limits, by every reader in Kilt:
//  - size: larger text is refused before it is parsed (memory follows the limit, not the input);
//  - nesting depth (kMaxJsonDepth): rapidjson's parser, and every recursive walk after it (copies,
//    comparisons, the writers), takes one stack frame per level; 200,000 nested '[' overflowed a stack;
//  - duplicate member names (optional): readers disagree on which one wins (rapidjson and Kilt took the
//    first, most others take the last), so a template that means two things is refused;
//  - UTF-8: invalid byte sequences are refused (the YAML reader refuses them too).
// Errors carry the byte offset and say which limit was hit.
#ifndef KILT_BASE_JSON_PARSE_H_
#define KILT_BASE_JSON_PARSE_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include "base/source_map.h"

namespace kilt::base {

// Deep enough for any real template, pod or manifest (they nest 10-20 levels), shallow enough that a
// recursive walk of the document needs well under 1 MiB of stack.
inline constexpr size_t kMaxJsonDepth = 128;

struct JsonLimits {
  size_t max_bytes = 4u << 20;
  size_t max_depth = kMaxJsonDepth;
  bool refuse_duplicate_keys = true;
};

enum class JsonProblem { kNone, kTooLarge, kTooDeep, kDuplicateKey, kSyntax };

struct JsonParseResult {
  JsonProblem problem = JsonProblem::kNone;
  size_t offset = 0;    // where in the text
  std::string message;  // "nested more than 128 levels deep", "duplicate key \"Cpu\"", "Missing a comma ..."
  bool ok() const { return problem == JsonProblem::kNone; }
};

// For answers from the servers Kilt asks (registries, the apiserver): as large as the HTTP client takes;
// duplicate keys tolerated (Kilt only reads such an answer, and refusing it would fail a lookup).
inline JsonLimits ServerAnswerLimits() {
  JsonLimits l;
  l.max_bytes = 64u << 20;
  l.refuse_duplicate_keys = false;
  return l;
}

// Parses `text` into *doc (strings copied). With `map`, also records where each value is in `text`.
// On error *doc is null and the result says what and where.
JsonParseResult ParseJson(std::string_view text, const JsonLimits& limits, rapidjson::Document* doc,
                          SourceNode* map = nullptr);

// For a message: "" when `r` is a syntax error (the caller's "not a JSON object" says it), else
// " (nested too deeply (more than 128 levels))" and the like: which limit the text broke.
inline std::string Why(const JsonParseResult& r) {
  return r.ok() || r.problem == JsonProblem::kSyntax ? std::string() : " (" + r.message + ")";
}

// "LINE:COL" (1-based, COL in bytes) of a byte offset, for messages.
std::string LineColumn(std::string_view text, size_t offset);

// The member names of the objects being read (the innermost last), to find a duplicate in time linear
// in the names: a linear scan while an object is small, a hash set once it is not. Used by the JSON and
// the YAML reader.
class MemberNames {
 public:
  void Open() { levels_.push_back({names_.size(), nullptr}); }
  void Close() {
    names_.resize(levels_.back().first);
    levels_.pop_back();
  }
  // Adds `name` to the innermost object; false when it has it already.
  bool Add(std::string_view name) {
    Level& l = levels_.back();
    if (l.set) {
      names_.emplace_back(name);
      return l.set->insert(names_.back()).second;
    }
    for (size_t i = l.first; i < names_.size(); ++i)
      if (names_[i] == name) return false;
    names_.emplace_back(name);
    if (names_.size() - l.first >= kLinear) {
      l.set = std::make_unique<std::unordered_set<std::string_view>>();
      for (size_t i = l.first; i < names_.size(); ++i) l.set->insert(names_[i]);
    }
    return true;
  }

 private:
  struct Level {
    size_t first;  // its names are names_[first, ...)
    std::unique_ptr<std::unordered_set<std::string_view>> set;
  };
  static constexpr size_t kLinear = 16;
  std::vector<Level> levels_;
  std::deque<std::string> names_;  // a deque: the sets hold views of its strings, which must not move
};

namespace json_internal {

// Forwards rapidjson's SAX events to a Document, counting depth and member names on the way. Returning
// false stops the reader (kParseErrorTermination); problem_/offset_ then say why.
template <typename Stream>
class LimitedHandler {
 public:
  LimitedHandler(rapidjson::Document& d, Stream& is, const JsonLimits& limits, const char* text,
                 SourceNode* map)
      : d_(d), is_(is), limits_(limits), text_(text), map_(map) {}

  bool Null() { return Scalar() && d_.Null(); }
  bool Bool(bool b) { return Scalar() && d_.Bool(b); }
  bool Int(int i) { return Scalar() && d_.Int(i); }
  bool Uint(unsigned u) { return Scalar() && d_.Uint(u); }
  bool Int64(int64_t i) { return Scalar() && d_.Int64(i); }
  bool Uint64(uint64_t u) { return Scalar() && d_.Uint64(u); }
  bool Double(double v) { return Scalar() && d_.Double(v); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return Scalar() && d_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return Scalar() && d_.String(s, n, copy); }

  bool StartObject() { return Open(true) && d_.StartObject(); }
  bool StartArray() { return Open(false) && d_.StartArray(); }
  bool EndObject(rapidjson::SizeType n) { return Close() && d_.EndObject(n); }
  bool EndArray(rapidjson::SizeType n) { return Close() && d_.EndArray(n); }

  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (map_) {
      key_begin_ = SkipSeparators(pos_);
      pos_ = static_cast<uint32_t>(is_.Tell());
      key_end_ = pos_;
    }
    if (limits_.refuse_duplicate_keys && !names_.Add(std::string_view(s, n))) {
      problem_ = JsonProblem::kDuplicateKey;
      detail_ = std::string(s, n);
      offset_ = is_.Tell();
      return false;
    }
    return d_.Key(s, n, copy);
  }

  JsonProblem problem() const { return problem_; }
  size_t offset() const { return offset_; }
  const std::string& detail() const { return detail_; }

 private:
  bool Open(bool object) {
    if (levels_.size() >= limits_.max_depth) {
      problem_ = JsonProblem::kTooDeep;
      offset_ = is_.Tell() - 1;
      return false;
    }
    if (map_) {
      SourceNode* n = Child();
      n->kind = SourceNode::kFlowCollection;
      n->begin = static_cast<uint32_t>(is_.Tell() - 1);
      pos_ = n->begin + 1;
      open_.push_back(n);
    }
    levels_.push_back(object);
    if (object && limits_.refuse_duplicate_keys) names_.Open();
    return true;
  }

  bool Close() {
    if (levels_.back() && limits_.refuse_duplicate_keys) names_.Close();
    levels_.pop_back();
    if (map_) {
      pos_ = static_cast<uint32_t>(is_.Tell());
      open_.back()->end = pos_;
      open_.pop_back();
    }
    return true;
  }

  bool Scalar() {
    if (map_) {
      SourceNode* n = Child();
      n->begin = SkipSeparators(pos_);
      pos_ = static_cast<uint32_t>(is_.Tell());
      n->end = pos_;
      n->style = text_[n->begin] == '"' ? SourceNode::kDoubleQuoted : SourceNode::kPlain;
    }
    return true;
  }

  // The node for the value starting now: the root, or a new child of the innermost open collection.
  SourceNode* Child() {
    if (open_.empty()) return map_;
    SourceNode* parent = open_.back();
    parent->children.emplace_back();
    SourceNode* n = &parent->children.back();
    if (levels_.back()) {
      n->key_begin = key_begin_;
      n->key_end = key_end_;
    }
    return n;
  }

  // The first byte of the next token at or after `at` (only blanks, commas and colons lie between tokens).
  uint32_t SkipSeparators(uint32_t at) const {
    while (text_[at] == ' ' || text_[at] == '\t' || text_[at] == '\n' || text_[at] == '\r' || text_[at] == ',' ||
           text_[at] == ':')
      ++at;
    return at;
  }

  rapidjson::Document& d_;
  Stream& is_;
  const JsonLimits& limits_;
  const char* text_;
  SourceNode* map_;
  std::vector<bool> levels_;  // the open collections: true for an object
  MemberNames names_;
  std::vector<SourceNode*> open_;
  uint32_t pos_ = 0, key_begin_ = 0, key_end_ = 0;
  JsonProblem problem_ = JsonProblem::kNone;
  size_t offset_ = 0;
  std::string detail_;
};

// The shared body of ParseJson and the webhook's in-place parse (which instantiates it with rapidjson's
// SSE2 scanner, in its own file): parses from `is` with `flags` under `limits`.
template <unsigned flags, typename Stream>
JsonParseResult ParseLimited(Stream& is, size_t size, const JsonLimits& limits, rapidjson::Document* doc,
                             const char* text, SourceNode* map) {
  JsonParseResult r;
  if (size > limits.max_bytes) {
    doc->SetNull();
    r.problem = JsonProblem::kTooLarge;
    r.message = "larger than " + std::to_string(limits.max_bytes) + " bytes";
    return r;
  }
  if (map) *map = SourceNode();
  rapidjson::ParseResult pr;
  LimitedHandler<Stream> h(*doc, is, limits, text, map);
  auto generate = [&](rapidjson::Document& d) {
    (void)d;
    rapidjson::Reader reader;
    pr = reader.Parse<flags>(is, h);
    return !pr.IsError();
  };
  doc->Populate(generate);
  // The reader takes a NUL byte for the end of the text: what follows one would be dropped unread.
  if (!pr.IsError() && is.Tell() < size) pr.Set(rapidjson::kParseErrorDocumentRootNotSingular, is.Tell());
  if (!pr.IsError()) return r;
  doc->SetNull();
  if (pr.Code() == rapidjson::kParseErrorTermination && h.problem() != JsonProblem::kNone) {
    r.problem = h.problem();
    r.offset = h.offset();
    r.message = r.problem == JsonProblem::kTooDeep
                    ? "nested too deeply (more than " + std::to_string(limits.max_depth) + " levels)"
                    : "duplicate key \"" + h.detail() + "\" (JSON readers disagree on which one wins): keep one";
    return r;
  }
  r.problem = JsonProblem::kSyntax;
  r.offset = pr.Offset();
  r.message = std::string("invalid JSON: ") + rapidjson::GetParseError_En(pr.Code());
  return r;
}

}  // namespace json_internal

}  // namespace kilt::base

#endif  // KILT_BASE_JSON_PARSE_H_
