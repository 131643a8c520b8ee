#include "patcher/splice.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace kilt {
namespace {

using base::SourceNode;
using rapidjson::Value;

// One change to the text: [begin, end) becomes `text` (begin == end: an insertion).
struct Edit {
  size_t begin, end;
  std::string text;
};

// Where a node sits, for writing a value in its place.
struct Where {
  enum Kind { kRoot, kMember, kElement, kOperand } kind = kRoot;
  const SourceNode* parent = nullptr;  // the collection holding the node; kOperand: the tag node
  const Where* outer = nullptr;        // kOperand: where the tag node sits
  const Value* tagged = nullptr;       // kOperand: the tag node's new value
};

// ---------------------------------------------------------------------------------------------------
// JSON text for new values, in the file's style.

class JsonText {
 public:
  JsonText(std::string_view text, const SourceNode& root) {
    // The indentation unit: the first indented line's (a tab or 1-8 spaces), 2 spaces by default.
    for (size_t nl = text.find('\n'); nl != std::string_view::npos && nl + 1 < text.size(); nl = text.find('\n', nl + 1)) {
      const char c = text[nl + 1];
      if (c != ' ' && c != '\t') continue;
      size_t k = 0;
      while (nl + 1 + k < text.size() && text[nl + 1 + k] == c) ++k;
      if (nl + 1 + k < text.size() && text[nl + 1 + k] != '\n' && text[nl + 1 + k] != '\r') {
        unit_ = std::string(std::min<size_t>(k, 8), c);
        break;
      }
    }
    // Lists of scalars on one line ("command": ["a", "b"]) or one element a line: as the file's first.
    const SourceNode* list = FirstScalarList(root);
    if (list != nullptr)
      inline_scalar_lists_ = text.substr(list->begin, list->end - list->begin).find('\n') == std::string_view::npos;
  }

  // `v` on one line: {"a": 1, "b": [1, 2]}.
  std::string Compact(const Value& v) const {
    std::string out;
    Write(v, nullptr, &out);
    return out;
  }

  // `v` over several lines, its nested lines indented from `base`.
  std::string Pretty(const Value& v, const std::string& base) const {
    std::string out;
    Write(v, &base, &out);
    return out;
  }

  const std::string& unit() const { return unit_; }

  static std::string Scalar(const Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
  }

 private:
  static const SourceNode* FirstScalarList(const SourceNode& n) {
    if (n.kind != SourceNode::kFlowCollection) return nullptr;
    bool scalars = !n.children.empty() && n.children.front().key_end == 0;
    for (const SourceNode& c : n.children) scalars = scalars && c.kind == SourceNode::kScalar;
    if (scalars) return &n;
    for (const SourceNode& c : n.children)
      if (const SourceNode* found = FirstScalarList(c)) return found;
    return nullptr;
  }

  static bool AllScalars(const Value& v) {
    for (const Value& e : v.GetArray())
      if (e.IsObject() || e.IsArray()) return false;
    return true;
  }

  void Write(const Value& v, const std::string* base, std::string* out) const {
    if (v.IsObject() && !v.ObjectEmpty()) {
      const std::string inner = base ? *base + unit_ : std::string();
      *out += '{';
      bool first = true;
      for (const auto& m : v.GetObject()) {
        *out += first ? "" : ",";
        if (base) *out += "\n" + inner;
        else if (!first) *out += ' ';
        first = false;
        *out += Scalar(m.name) + ": ";
        Write(m.value, base ? &inner : nullptr, out);
      }
      if (base) *out += "\n" + *base;
      *out += '}';
    } else if (v.IsArray() && !v.Empty()) {
      const bool multi = base != nullptr && !(inline_scalar_lists_ && AllScalars(v));
      const std::string inner = multi ? *base + unit_ : std::string();
      *out += '[';
      bool first = true;
      for (const Value& e : v.GetArray()) {
        *out += first ? "" : ",";
        if (multi) *out += "\n" + inner;
        else if (!first) *out += ' ';
        first = false;
        Write(e, multi ? &inner : nullptr, out);
      }
      if (multi) *out += "\n" + *base;
      *out += ']';
    } else {
      *out += Scalar(v);
    }
  }

  std::string unit_ = "  ";
  bool inline_scalar_lists_ = true;
};

// ---------------------------------------------------------------------------------------------------

class Splicer {
 public:
  explicit Splicer(const SpliceInput& in) : in_(in), text_(in.text), json_(in.text, *in.map) {}

  std::string Run() {
    Diff(*in_.map, *in_.before, *in_.after, Where());
    // Insertions at one place come in the order they were made (inner before outer: a container's
    // new members before the sidecar appended after it).
    std::stable_sort(edits_.begin(), edits_.end(), [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
    // New lines end like the file's lines (a CRLF file stays CRLF).
    const size_t nl = text_.find('\n');
    if (nl != std::string_view::npos && nl > 0 && text_[nl - 1] == '\r') {
      for (Edit& e : edits_) {
        std::string crlf;
        for (size_t i = 0; i < e.text.size(); ++i) {
          if (e.text[i] == '\n' && (i == 0 || e.text[i - 1] != '\r')) crlf += '\r';
          crlf += e.text[i];
        }
        e.text = std::move(crlf);
      }
    }
    std::string out;
    out.reserve(text_.size() + 4096);
    size_t at = 0;
    for (const Edit& e : edits_) {
      if (e.begin < at) continue;  // overlaps an edit already made (cannot happen: a safety net)
      out.append(text_.data() + at, e.begin - at);
      out += e.text;
      at = e.end;
    }
    out.append(text_.data() + at, text_.size() - at);
    return out;
  }

 private:
  bool yaml() const { return in_.yaml != nullptr; }

  void Diff(const SourceNode& n, const Value& old, const Value& now, const Where& where) {
    if (old == now) return;
    if (n.kind == SourceNode::kShortTag && now.IsObject() && now.MemberCount() == 1 && !n.children.empty() &&
        old.MemberBegin()->name == now.MemberBegin()->name) {
      Where operand{Where::kOperand, &n, &where, &now};
      return Diff(n.children[0], old.MemberBegin()->value, now.MemberBegin()->value, operand);
    }
    const bool collection = n.kind == SourceNode::kFlowCollection || n.kind == SourceNode::kBlockCollection;
    if (collection && old.IsObject() && now.IsObject()) return DiffObject(n, old, now, where);
    if (collection && old.IsArray() && now.IsArray()) return DiffArray(n, old, now, where);
    Replace(n, now, where);
  }

  void DiffObject(const SourceNode& n, const Value& old, const Value& now, const Where& where) {
    std::unordered_map<std::string_view, size_t> index;
    size_t i = 0;
    for (const auto& m : old.GetObject()) index[{m.name.GetString(), m.name.GetStringLength()}] = i++;
    // Kilt keeps the order of the members it keeps and appends what it adds: anything else (and an
    // object whose members all went) is written whole.
    std::vector<bool> kept(old.MemberCount(), false);
    std::vector<const Value*> added_names, added_values;
    long last = -1;
    for (const auto& m : now.GetObject()) {
      auto it = index.find({m.name.GetString(), m.name.GetStringLength()});
      if (it == index.end()) {
        added_names.push_back(&m.name);
        added_values.push_back(&m.value);
        continue;
      }
      if (!added_names.empty() || static_cast<long>(it->second) < last) return Replace(n, now, where);
      last = static_cast<long>(it->second);
      kept[it->second] = true;
    }
    if (last < 0 || (yaml() && std::find(kept.begin(), kept.end(), false) != kept.end()))
      return Replace(n, now, where);
    i = 0;
    for (const auto& m : old.GetObject()) {
      if (kept[i]) {
        const Value& v = now.FindMember(m.name)->value;
        Diff(n.children[i], m.value, v, Where{Where::kMember, &n});
      }
      ++i;
    }
    DeleteMembers(n, kept);
    if (!added_names.empty()) Append(n, now, where, added_names, added_values);
  }

  void DiffArray(const SourceNode& n, const Value& old, const Value& now, const Where& where) {
    if (now.Size() < old.Size() || (old.Empty() && n.kind == SourceNode::kBlockCollection))
      return Replace(n, now, where);
    for (rapidjson::SizeType i = 0; i < old.Size(); ++i)
      Diff(n.children[i], old[i], now[i], Where{Where::kElement, &n});
    if (now.Size() == old.Size()) return;
    std::vector<const Value*> added;
    for (rapidjson::SizeType i = old.Size(); i < now.Size(); ++i) added.push_back(&now[i]);
    Append(n, now, where, {}, added);
  }

  // JSON only (YAML objects that lose members are written whole): drops the members not kept, with
  // their separators. A run at the end goes with the separator before it; others with the one after.
  void DeleteMembers(const SourceNode& n, const std::vector<bool>& kept) {
    size_t tail = kept.size();
    while (tail > 0 && !kept[tail - 1]) --tail;
    for (size_t i = 0; i < tail; ++i)
      if (!kept[i]) edits_.push_back({n.children[i].key_begin, n.children[i + 1].key_begin, ""});
    if (tail < kept.size()) edits_.push_back({n.children[tail - 1].end, n.children.back().end, ""});
  }

  // Appends members (names non-empty) or elements to the collection at n, whose new value is `now`.
  void Append(const SourceNode& n, const Value& now, const Where& where, const std::vector<const Value*>& names,
              const std::vector<const Value*>& values) {
    // An empty collection ({}, []) is written whole, in the style of a new one.
    if (n.children.empty()) return Replace(n, now, where, /*fresh=*/true);
    if (yaml()) return AppendYaml(n, names, values);
    std::string text;
    const bool multi = Multiline(n);
    const std::string indent = multi ? LineIndent(FirstOfEntry(n.children.back())) : std::string();
    for (size_t i = 0; i < values.size(); ++i) {
      text += multi ? ",\n" + indent : ", ";
      if (!names.empty()) text += JsonText::Scalar(*names[i]) + ": ";
      text += multi ? json_.Pretty(*values[i], indent) : json_.Compact(*values[i]);
    }
    edits_.push_back({n.children.back().end, n.children.back().end, text});
  }

  void AppendYaml(const SourceNode& n, const std::vector<const Value*>& names, const std::vector<const Value*>& values) {
    const YamlStyle& st = *in_.yaml;
    if (n.kind == SourceNode::kFlowCollection) {
      std::string text;
      for (size_t i = 0; i < values.size(); ++i) {
        text += ", ";
        if (!names.empty()) text += YamlKeyText(*names[i], true, st, text_) + ": ";
        text += YamlValueText(*values[i], YamlPlace::kFlow, 0, st, text_);
      }
      edits_.push_back({n.children.back().end, n.children.back().end, text});
      return;
    }
    // A block collection: new lines after the line its last entry ends on (a "|+" scalar's text ends
    // with its line breaks: right there).
    size_t at = n.end;
    if (at == 0 || text_[at - 1] != '\n') {
      while (at < text_.size() && text_[at] != '\n') ++at;
      if (at < text_.size()) ++at;
    }
    std::string text = at > 0 && text_[at - 1] == '\n' ? "" : "\n";
    const std::string pad(n.column, ' ');
    for (size_t i = 0; i < values.size(); ++i) {
      if (!names.empty()) {
        text += pad + YamlKeyText(*names[i], false, st, text_) + ":" +
                YamlValueText(*values[i], YamlPlace::kAfterKey, n.column, st, text_);
      } else {
        text += pad + "-" + YamlValueText(*values[i], YamlPlace::kAfterDash, n.column, st, text_);
      }
      text += '\n';
    }
    edits_.push_back({at, at, text});
  }

  // Adds the edit, ending the new text with a line break when the replaced text ended with one (a "|+"
  // scalar's text does: the next line must stay a line).
  void Put(size_t begin, size_t end, std::string text) {
    if (end > begin && text_[end - 1] == '\n' && (text.empty() || text.back() != '\n')) text += '\n';
    edits_.push_back({begin, end, std::move(text)});
  }

  // Writes `now` over the node n. `fresh`: as a new value (the node was an empty collection), in the
  // file's style rather than on one line like the node.
  void Replace(const SourceNode& n, const Value& now, const Where& where, bool fresh = false) {
    if (where.kind == Where::kOperand) return Replace(*where.parent, *where.tagged, *where.outer);
    if (!yaml()) {
      const bool multi = Multiline(n) || (fresh && Multiline(*in_.map));
      const std::string text = multi ? json_.Pretty(now, LineIndent(n.begin)) : json_.Compact(now);
      edits_.push_back({n.begin, n.end, text});
      return;
    }
    const YamlStyle& st = *in_.yaml;
    const bool in_flow = where.parent != nullptr && where.parent->kind == SourceNode::kFlowCollection;
    (void)fresh;  // YAML writes new collections in block style anyway
    if (where.kind == Where::kRoot || in_flow) {
      const YamlPlace place = in_flow ? YamlPlace::kFlow : YamlPlace::kAtColumn;
      Put(n.begin, n.end, YamlValueText(now, place, Column(n.begin), st, text_));
      return;
    }
    // In a block collection: after the member's ':' or the element's '-' when the node starts on that
    // line (or is empty), else at its own column on its own line (comments before it stay).
    const unsigned parent_column = where.parent->column;
    size_t indicator = where.kind == Where::kMember ? text_.find(':', n.key_end) : n.begin;
    if (where.kind == Where::kElement) {
      while (indicator > 0 && text_[indicator - 1] != '-') --indicator;
      --indicator;
    }
    const bool same_line = text_.substr(indicator, n.begin - indicator).find('\n') == std::string_view::npos;
    if (same_line || Column(n.begin) <= parent_column) {
      const YamlPlace place = where.kind == Where::kMember ? YamlPlace::kAfterKey : YamlPlace::kAfterDash;
      Put(indicator + 1, n.end, YamlValueText(now, place, parent_column, st, text_));
      return;
    }
    Put(n.begin, n.end, YamlValueText(now, YamlPlace::kAtColumn, Column(n.begin), st, text_));
  }

  // The start of an entry's text: its key for a member.
  static size_t FirstOfEntry(const SourceNode& n) { return n.key_end > 0 ? n.key_begin : n.begin; }

  bool Multiline(const SourceNode& n) const {
    return text_.substr(n.begin, n.end - n.begin).find('\n') != std::string_view::npos;
  }

  size_t LineStart(size_t at) const {
    while (at > 0 && text_[at - 1] != '\n') --at;
    return at;
  }
  unsigned Column(size_t at) const { return static_cast<unsigned>(at - LineStart(at)); }
  std::string LineIndent(size_t at) const {
    const size_t start = LineStart(at);
    size_t end = start;
    while (end < text_.size() && (text_[end] == ' ' || text_[end] == '\t')) ++end;
    return std::string(text_.substr(start, end - start));
  }

  const SpliceInput& in_;
  std::string_view text_;
  JsonText json_;
  std::vector<Edit> edits_;
};

}  // namespace

std::string SpliceText(const SpliceInput& in) { return Splicer(in).Run(); }

}  // namespace kilt
