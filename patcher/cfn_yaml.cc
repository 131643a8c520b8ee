#include "patcher/cfn_yaml.h"

#include <yaml.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <regex>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "base/json_parse.h"
#include "base/strings.h"
#include "patcher/patcher.h"

namespace kilt {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;
using base::kMaxJsonDepth;
using base::LineColumn;
using base::MemberNames;
using base::SourceNode;

// The functions CloudFormation accepts as short-form tags (besides !Ref and !Condition).
constexpr const char* kShortFunctions[] = {
    "And",    "Base64", "Cidr",      "Contains", "EachMemberEquals", "EachMemberIn", "Equals",
    "FindInMap", "ForEach", "GetAtt", "GetAZs", "If",     "ImportValue",  "Join",   "Length",
    "Not",    "Or",     "RefAll",    "Select",   "Split",  "Sub",      "ToJsonString", "Transform", "ValueOf",
};

bool IsShortFunction(std::string_view name) {
  for (const char* f : kShortFunctions)
    if (name == f) return true;
  return false;
}

const std::regex& IntRe() {
  static const std::regex re("[-+]?[0-9]+");
  return re;
}
const std::regex& FloatRe() {
  static const std::regex re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return re;
}

// ---------------------------------------------------------------------------------------------------
// Reading

class Reader {
 public:
  Reader(std::string_view text, size_t bom, Alloc& a, YamlStyle* style)
      : text_(text), bom_(bom), a_(a), style_(style) {
    for (size_t i = bom; i < text.size(); ++i) {
      if (static_cast<unsigned char>(text[i]) >= 0x80) {
        // libyaml counts characters; the source map wants bytes.
        for (size_t j = bom; j < text.size(); ++j)
          if ((static_cast<unsigned char>(text[j]) & 0xC0) != 0x80) starts_.push_back(static_cast<uint32_t>(j));
        break;
      }
    }
  }

  bool Run(Value* root, SourceNode* root_node, std::string* err) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return Fail(0, "out of memory", err);
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text_.data() + bom_),
                                 text_.size() - bom_);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    int documents = 0;
    for (;;) {
      yaml_event_t e;
      if (!yaml_parser_parse(&parser, &e)) return ParserError(parser, err);
      std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> event(&e, yaml_event_delete);
      switch (e.type) {
        case YAML_STREAM_END_EVENT:
          if (have_root_) {
            *root = std::move(root_);
            *root_node = std::move(root_node_);
          }
          return true;
        case YAML_DOCUMENT_START_EVENT:
          if (++documents > 1)
            return Fail(Byte(e.start_mark.index),
                        "a second YAML document starts here; a CloudFormation template is one document: put "
                        "each template in its own file", err);
          break;
        case YAML_ALIAS_EVENT:
          return Fail(Byte(e.start_mark.index),
                      "an alias (*" + std::string(reinterpret_cast<const char*>(e.data.alias.anchor)) +
                          "): CloudFormation does not support YAML aliases; write the value out", err);
        case YAML_SCALAR_EVENT:
          if (!Scalar(e, err)) return false;
          break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          if (!Open(e, err)) return false;
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          if (!Close(e, err)) return false;
          break;
        default:
          break;
      }
    }
  }

 private:
  // A collection being read.
  struct Frame {
    bool map;
    Value value;
    SourceNode node;
    std::string fn;     // its short-form tag as a key ("Fn::If"), or ""
    bool have_key = false;
    Value key;
    uint32_t key_begin = 0, key_end = 0;
  };

  uint32_t Byte(size_t char_index) const {
    if (starts_.empty()) return static_cast<uint32_t>(std::min(bom_ + char_index, text_.size()));
    return char_index < starts_.size() ? starts_[char_index] : static_cast<uint32_t>(text_.size());
  }

  bool Fail(uint32_t at, const std::string& what, std::string* err) {
    *err = LineColumn(text_, at) + ": " + what;
    return false;
  }

  bool ParserError(const yaml_parser_t& p, std::string* err) {
    std::string what = p.problem ? p.problem : "malformed YAML";
    if (p.error == YAML_READER_ERROR) {
      // Positions of reader errors are byte offsets.
      if (p.problem_value >= 0) {
        char buf[32];
        snprintf(buf, sizeof buf, " (byte 0x%02X)", static_cast<unsigned>(p.problem_value) & 0xFF);
        what += buf;
      }
      return Fail(static_cast<uint32_t>(bom_ + p.problem_offset), what + ": a template must be UTF-8 text", err);
    }
    if (p.context) what += std::string(" (") + p.context + ")";
    return Fail(Byte(p.problem_mark.index), what, err);
  }

  // A string as a constant reference into the document's allocator (see YamlStyle::spellings).
  Value ConstString(const char* s, size_t n) {
    char* p = static_cast<char*>(a_.Malloc(n + 1));
    memcpy(p, s, n);
    p[n] = '\0';
    return Value(rapidjson::StringRef(p, static_cast<rapidjson::SizeType>(n)));
  }

  void Spell(const Value& v, uint32_t begin, uint32_t end) {
    if (!v.IsString()) return;
    if (std::string_view(text_.data() + begin, end - begin).find_first_of("\r\n") != std::string_view::npos) return;
    style_->spellings[v.GetString()] = {begin, end};
  }

  // A plain scalar resolved by the YAML 1.2 core schema (what CloudFormation and js-yaml agree on).
  Value PlainScalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
    if (s == "true" || s == "True" || s == "TRUE") return Value(true);
    if (s == "false" || s == "False" || s == "FALSE") return Value(false);
    if (s.size() < 20 && std::regex_match(s, IntRe())) {
      // Leading zeros are octal in YAML 1.1 readers: keep such a scalar a string rather than guess.
      size_t digits = s.find_first_of("0123456789");
      if (s[digits] == '0' && s.size() > digits + 1) return ConstString(s.data(), s.size());
      // (no exceptions here: std::stoll throws on 9777777777777777796, found by the fuzzer)
      int64_t i;
      uint64_t u;
      const char* b = s.data() + (s[0] == '+' ? 1 : 0);
      const char* e = s.data() + s.size();
      if (auto r = std::from_chars(b, e, i); r.ec == std::errc() && r.ptr == e) return Value(i);
      if (auto r = std::from_chars(b, e, u); r.ec == std::errc() && r.ptr == e) return Value(u);
    }
    if (s.size() < 40 && std::regex_match(s, FloatRe()) && s.find_first_of("0123456789") != std::string::npos) {
      rapidjson::Document d;
      // JSON needs a digit before and after '.'; rapidjson then parses the number exactly.
      std::string j = s;
      if (j[0] == '+') j.erase(0, 1);
      size_t dot = j.find('.');
      if (dot != std::string::npos) {
        if (dot == 0 || !isdigit(static_cast<unsigned char>(j[dot - 1]))) j.insert(dot, "0"), ++dot;
        if (dot + 1 >= j.size() || !isdigit(static_cast<unsigned char>(j[dot + 1]))) j.insert(dot + 1, "0");
      }
      // Not kParseFullPrecisionFlag: see base/json_parse.cc ("0.0e48").
      if (!d.Parse(j.c_str()).HasParseError() && d.IsNumber())
        return Value(d.GetDouble());
    }
    return ConstString(s.data(), s.size());
  }

  // The key a short-form tag stands for ("Ref", "Fn::If"); "" for the core tags that change nothing
  // here; false (with *err) for a tag CloudFormation does not know.
  bool TagKey(const char* tag, uint32_t at, std::string* key, bool* as_string, std::string* err) {
    key->clear();
    *as_string = false;
    if (tag == nullptr) return true;
    std::string t(tag);
    if (t == "tag:yaml.org,2002:str" || t == "!") {
      *as_string = true;
      return true;
    }
    if (t == "tag:yaml.org,2002:map" || t == "tag:yaml.org,2002:seq") return true;
    if (t.size() > 1 && t[0] == '!' && t[1] != '!') {
      std::string name = t.substr(1);
      if (name == "Ref" || name == "Condition") *key = name;
      else if (IsShortFunction(name)) *key = "Fn::" + name;
      else return Fail(at, "unknown tag " + t + " (CloudFormation knows !Ref, !Sub, !GetAtt, !If, ...)", err);
      return true;
    }
    return Fail(at, "unsupported tag " + t, err);
  }

  // Where a node's own text starts, after its properties (tag, anchor) and blanks.
  uint32_t AfterProperties(uint32_t at, uint32_t end) const {
    while (at < end) {
      char c = text_[at];
      if (c == '!' || c == '&') {
        while (at < end && text_[at] != ' ' && text_[at] != '\t' && text_[at] != '\n' && text_[at] != '\r') ++at;
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++at;
      } else if (c == '#') {
        while (at < end && text_[at] != '\n') ++at;
      } else {
        break;
      }
    }
    return at;
  }

  // Whether the block scalar header at `at` ("|+", ">2+ # comment") has the keep indicator.
  bool KeepsTrailingLines(uint32_t at, uint32_t end) const {
    for (uint32_t i = at + 1; i < end && text_[i] != ' ' && text_[i] != '\n' && text_[i] != '#'; ++i)
      if (text_[i] == '+') return true;
    return false;
  }

  uint32_t LineStart(uint32_t at) const {
    while (at > 0 && text_[at - 1] != '\n') --at;
    return at;
  }

  bool CheckDepth(size_t depth, uint32_t at, std::string* err) {
    if (depth <= kMaxJsonDepth) return true;
    return Fail(at, "nested too deeply (more than " + std::to_string(kMaxJsonDepth) + " levels)", err);
  }

  // The JSON depth of a value placed now: its containers, and the objects that short-form tags make.
  size_t Depth() const { return depth_; }

  bool Scalar(const yaml_event_t& e, std::string* err) {
    const uint32_t begin = Byte(e.start_mark.index);
    uint32_t end = Byte(e.end_mark.index);
    const auto& s = e.data.scalar;
    const std::string value(reinterpret_cast<const char*>(s.value), s.length);
    const char* tag = reinterpret_cast<const char*>(s.tag);
    if (!stack_.empty() && stack_.back().map && !stack_.back().have_key) {
      Frame& f = stack_.back();
      if (tag != nullptr && std::string(tag) != "tag:yaml.org,2002:str")
        return Fail(begin, "a mapping key must be a plain string", err);
      if (s.style == YAML_PLAIN_SCALAR_STYLE && value == "<<")
        return Fail(begin, "a merge key (<<): CloudFormation does not support YAML merge keys; write the keys out", err);
      if (!names_.Add(value))
        return Fail(begin, "duplicate key \"" + value + "\" (CloudFormation rejects it too): keep one", err);
      f.key = ConstString(value.data(), value.size());
      f.key_begin = AfterProperties(begin, end);
      f.key_end = end;
      Spell(f.key, f.key_begin, f.key_end);
      f.have_key = true;
      return true;
    }
    std::string key;
    bool as_string;
    if (!TagKey(tag, begin, &key, &as_string, err)) return false;
    if (!CheckDepth(Depth() + (key.empty() ? 0 : 1), begin, err)) return false;
    const bool block = s.style == YAML_LITERAL_SCALAR_STYLE || s.style == YAML_FOLDED_SCALAR_STYLE;
    // A block scalar's text ends with its last line, not with the blank lines after it (its END mark
    // is at the next token), unless it keeps them ("|+"): then they are its content.
    if (block && !KeepsTrailingLines(AfterProperties(begin, end), end)) {
      while (end > begin && (text_[end - 1] == '\n' || text_[end - 1] == '\r' || text_[end - 1] == ' ')) --end;
    }
    SourceNode node;
    node.kind = SourceNode::kScalar;
    node.begin = AfterProperties(begin, end);
    node.end = end;
    switch (s.style) {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE: node.style = SourceNode::kSingleQuoted; break;
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE: node.style = SourceNode::kDoubleQuoted; break;
      case YAML_LITERAL_SCALAR_STYLE: node.style = SourceNode::kLiteral; break;
      case YAML_FOLDED_SCALAR_STYLE: node.style = SourceNode::kFolded; break;
      default: node.style = SourceNode::kPlain; break;
    }
    if (begin == end) node.begin = end;  // an empty value: right after its ':' or '-'
    Value v;
    if (s.style == YAML_PLAIN_SCALAR_STYLE && !as_string && (tag == nullptr || !key.empty()))
      v = PlainScalar(value);
    else
      v = ConstString(value.data(), value.size());
    Spell(v, node.begin, node.end);
    if (key.empty()) return Attach(std::move(v), std::move(node), begin, err);
    Value wrapped(rapidjson::kObjectType);
    SourceNode outer;
    outer.kind = SourceNode::kShortTag;
    outer.begin = begin;
    outer.end = end;
    if (key == "Fn::GetAtt" && v.IsString()) {
      // !GetAtt Resource.Attribute: the first dot separates the resource from the attribute.
      std::string str = v.GetString();
      size_t dot = str.find('.');
      if (dot == std::string::npos) return Fail(begin, "!GetAtt " + str + " needs Resource.Attribute", err);
      Value parts(rapidjson::kArrayType);
      parts.PushBack(ConstString(str.data(), dot), a_);
      parts.PushBack(ConstString(str.data() + dot + 1, str.size() - dot - 1), a_);
      v = std::move(parts);
      outer.kind = SourceNode::kOpaque;  // the text is not the value's shape
    } else {
      outer.children.push_back(std::move(node));
    }
    wrapped.AddMember(ConstString(key.data(), key.size()), v, a_);
    return Attach(std::move(wrapped), std::move(outer), begin, err);
  }

  bool Open(const yaml_event_t& e, std::string* err) {
    const bool map = e.type == YAML_MAPPING_START_EVENT;
    const uint32_t begin = Byte(e.start_mark.index);
    if (!stack_.empty() && stack_.back().map && !stack_.back().have_key)
      return Fail(begin, "a mapping key must be a plain string", err);
    const char* tag = reinterpret_cast<const char*>(map ? e.data.mapping_start.tag : e.data.sequence_start.tag);
    const bool flow = map ? e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                          : e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
    std::string key;
    bool as_string;
    if (!TagKey(tag, begin, &key, &as_string, err)) return false;
    if (as_string) return Fail(begin, "!!str on a collection", err);
    depth_ += key.empty() ? 1 : 2;
    if (!CheckDepth(depth_, begin, err)) return false;
    Frame f;
    f.map = map;
    f.value = Value(map ? rapidjson::kObjectType : rapidjson::kArrayType);
    f.node.kind = flow ? SourceNode::kFlowCollection : SourceNode::kBlockCollection;
    f.node.begin = begin;
    f.node.end = Byte(e.end_mark.index);
    f.fn = key;
    if (map) names_.Open();
    stack_.push_back(std::move(f));
    return true;
  }

  bool Close(const yaml_event_t& e, std::string* err) {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.map) names_.Close();
    depth_ -= f.fn.empty() ? 1 : 2;
    SourceNode& n = f.node;
    const uint32_t tag_begin = n.begin;
    if (n.kind == SourceNode::kFlowCollection) {
      n.end = Byte(e.end_mark.index);
      n.begin = AfterProperties(n.begin, n.end);
    } else {
      // A block collection ends with its last entry (its END event sits at the next token, past any
      // comments that follow) and starts with its first key or dash.
      const SourceNode& first = n.children.front();
      n.end = n.children.back().end;
      uint32_t at = f.map ? first.key_begin : first.begin;
      if (!f.map) {
        while (at > 0 && text_[at - 1] != '-') --at;
        --at;
      }
      n.begin = at;
      n.column = at - LineStart(at);
    }
    if (f.fn.empty()) {
      n.begin = std::min(n.begin, tag_begin);  // an anchor is part of the node's text
      return Attach(std::move(f.value), std::move(n), tag_begin, err);
    }
    Value wrapped(rapidjson::kObjectType);
    wrapped.AddMember(ConstString(f.fn.data(), f.fn.size()), f.value, a_);
    SourceNode outer;
    outer.kind = SourceNode::kShortTag;
    outer.begin = tag_begin;
    outer.end = n.end;
    outer.children.push_back(std::move(n));
    return Attach(std::move(wrapped), std::move(outer), tag_begin, err);
  }

  bool Attach(Value v, SourceNode node, uint32_t at, std::string* err) {
    (void)at;
    (void)err;
    if (stack_.empty()) {
      root_ = std::move(v);
      root_node_ = std::move(node);
      have_root_ = true;
      return true;
    }
    Frame& f = stack_.back();
    if (f.map) {
      node.key_begin = f.key_begin;
      node.key_end = f.key_end;
      if (f.node.kind == SourceNode::kBlockCollection && f.node.children.empty())
        f.node.column = f.key_begin - LineStart(f.key_begin);
      LearnIndent(f, node);
      f.value.AddMember(f.key, v, a_);
      f.have_key = false;
    } else {
      f.value.PushBack(v, a_);
    }
    f.node.children.push_back(std::move(node));
    return true;
  }

  // The file's indentation, from its first nested block mapping and its first block sequence under a
  // key: new text is written the same way.
  void LearnIndent(const Frame& parent, const SourceNode& child) {
    if (parent.node.kind != SourceNode::kBlockCollection || child.kind != SourceNode::kBlockCollection) return;
    if (child.column < parent.node.column) return;
    const unsigned offset = child.column - parent.node.column;
    const bool child_is_map = text_[child.begin] != '-';
    if (child_is_map && !indent_known_ && offset > 0) {
      style_->indent = offset;
      indent_known_ = true;
    } else if (!child_is_map && !seq_indent_known_) {
      style_->seq_indent = offset;
      seq_indent_known_ = true;
    }
  }

  std::string_view text_;
  size_t bom_;
  Alloc& a_;
  YamlStyle* style_;
  std::vector<uint32_t> starts_;  // byte offset of each character, when the text is not ASCII
  std::vector<Frame> stack_;
  MemberNames names_;
  size_t depth_ = 0;
  Value root_;
  SourceNode root_node_;
  bool have_root_ = false;
  bool indent_known_ = false, seq_indent_known_ = false;
};

// ---------------------------------------------------------------------------------------------------
// Writing

// True when a plain scalar `s` could read back as something else than this string, in YAML 1.2 or 1.1
// (a number, a boolean, null, a date, a sexagesimal number, a merge key ...).
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "="};
  const std::string lower = base::ToLower(s);
  for (const char* w : kWords)
    if (lower == w) return true;
  unsigned char c0 = static_cast<unsigned char>(s[0]);
  // Anything that starts like a number may be one in some YAML reader (octal, hex, dates, 1_000, 1:20).
  if (isdigit(c0) || ((c0 == '-' || c0 == '+' || c0 == '.') && s.size() > 1)) {
    for (char c : s)
      if (!(isdigit(static_cast<unsigned char>(c)) || strchr("+-._:eExXoObBaAcCdDfFtTzZ ", c))) return false;
    return true;
  }
  if (lower == ".inf" || lower == ".nan") return true;
  return false;
}

// Whether `s` holds a character YAML wants escaped: controls (tab included), DEL, the C1 controls
// (NEL among them), U+2028/U+2029 (line breaks to a YAML 1.1 reader), the byte-order mark, U+FFFE/F.
bool NeedsEscapes(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return true;
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9))
      return true;
    if (c == 0xEF && i + 2 < s.size() &&
        ((static_cast<unsigned char>(s[i + 1]) == 0xBB && static_cast<unsigned char>(s[i + 2]) == 0xBF) ||
         (static_cast<unsigned char>(s[i + 1]) == 0xBF && static_cast<unsigned char>(s[i + 2]) >= 0xBE)))
      return true;
  }
  return false;
}

std::string DoubleQuoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    auto hex2 = [&](unsigned v) {
      out += "\\x";
      out += kHex[v >> 4];
      out += kHex[v & 15];
    };
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      case 0: out += "\\0"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      hex2(c);
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) {
      hex2(static_cast<unsigned char>(s[++i]));
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\L" : "\\P";
      i += 2;
    } else if (c == 0xEF && i + 2 < s.size() && NeedsEscapes(s.substr(i, 3))) {
      const unsigned cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
                          (static_cast<unsigned char>(s[i + 2]) & 0x3F);
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 15];
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Whether `s` can be written plain (no quotes) and read back as a string with these characters.
bool CanBePlain(std::string_view s, bool flow) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (strchr("?:,[]{}#&*!|>'\"%@`", s.front())) return false;
  if (s.front() == '-' && (s.size() == 1 || s[1] == ' ')) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  if (flow && s.find_first_of(",[]{}:") != std::string_view::npos) return false;
  if (s.find_first_of("\n\r\t") != std::string_view::npos) return false;
  return !NeedsEscapes(s);
}

// A literal block (| |- |+) reproduces `s` exactly when its first line is not indented (no indentation
// indicator is written), no line has a character YAML wants escaped, and no line ends in blanks.
bool FitsLiteralBlock(std::string_view s) {
  if (s.find('\n') == std::string_view::npos || s[0] == ' ' || s[0] == '\t' || s[0] == '\n') return false;
  size_t at = 0;
  for (;;) {
    size_t nl = s.find('\n', at);
    std::string_view line = s.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    if (NeedsEscapes(line) || (!line.empty() && (line.back() == ' ' || line.back() == '\t'))) return false;
    if (nl == std::string_view::npos) return true;
    at = nl + 1;
  }
}

class Writer {
 public:
  Writer(const YamlStyle& style, std::string_view text) : style_(style), text_(text) {}

  void Node(const Value& v, YamlPlace place, unsigned column, bool tagged, std::string* out) {
    std::string tag;
    const Value* operand = ShortTagOperand(v, &tag);
    if (operand != nullptr) {
      if (place == YamlPlace::kAfterKey || place == YamlPlace::kAfterDash) *out += ' ';
      *out += tag;
      // A list of scalars reads best in flow style: !If [Cond, a, b], !GetAtt [Res, Attr].
      if (place == YamlPlace::kFlow || (operand->IsArray() && AllScalars(*operand))) {
        *out += ' ';
        Node(*operand, YamlPlace::kFlow, column, true, out);
        return;
      }
      // A block collection after a tag starts on the next line ("- !If - a" is not YAML), its entries
      // indented from the key, dash or column the tag follows.
      if ((operand->IsArray() && !operand->Empty()) || (operand->IsObject() && !operand->ObjectEmpty())) {
        Node(*operand, YamlPlace::kAfterKey, column, true, out);
        return;
      }
      // A scalar follows the tag as a value follows its key or dash (a literal block below it). A node
      // at a column is treated as a sequence entry whose dash is two to its left.
      const YamlPlace after = place == YamlPlace::kAtColumn ? YamlPlace::kAfterDash : place;
      const unsigned col = place == YamlPlace::kAtColumn ? (column >= 2 ? column - 2 : 0) : column;
      Node(*operand, after, col, true, out);
      return;
    }
    if (v.IsObject() && !v.ObjectEmpty() && place != YamlPlace::kFlow) return BlockMap(v, place, column, out);
    if (v.IsArray() && !v.Empty() && place != YamlPlace::kFlow) return BlockSeq(v, place, column, tagged, out);
    if (place == YamlPlace::kAfterKey || place == YamlPlace::kAfterDash) {
      // A multi-line string as a literal block, its lines under the key or the dash.
      if (v.IsString() && FitsLiteralBlock({v.GetString(), v.GetStringLength()})) {
        *out += ' ';
        Literal({v.GetString(), v.GetStringLength()}, place == YamlPlace::kAfterKey ? column + style_.indent : column + 2,
                out);
        return;
      }
      *out += ' ';
    }
    Inline(v, place == YamlPlace::kFlow, out);
  }

  // A scalar, or a collection in flow style.
  void Inline(const Value& v, bool flow, std::string* out) {
    switch (v.GetType()) {
      case rapidjson::kNullType: *out += "null"; return;
      case rapidjson::kFalseType: *out += "false"; return;
      case rapidjson::kTrueType: *out += "true"; return;
      case rapidjson::kNumberType: {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        v.Accept(w);
        out->append(buf.GetString(), buf.GetSize());
        return;
      }
      case rapidjson::kStringType: *out += Scalar(v, flow); return;
      case rapidjson::kArrayType: {
        *out += '[';
        bool first = true;
        for (const Value& e : v.GetArray()) {
          if (!first) *out += ", ";
          first = false;
          Node(e, YamlPlace::kFlow, 0, false, out);
        }
        *out += ']';
        return;
      }
      case rapidjson::kObjectType: {
        *out += '{';
        bool first = true;
        for (const auto& m : v.GetObject()) {
          if (!first) *out += ", ";
          first = false;
          *out += Scalar(m.name, true);
          *out += ": ";
          Node(m.value, YamlPlace::kFlow, 0, false, out);
        }
        *out += '}';
        return;
      }
    }
  }

  // A string as the user spelled it (when Kilt moved it) or quoted as needed for YAML 1.1 and 1.2.
  std::string Scalar(const Value& s, bool flow) {
    if (const auto* spelled = Spelling(s)) {
      std::string_view t = text_.substr(spelled->first, spelled->second - spelled->first);
      const bool plain = !t.empty() && t[0] != '\'' && t[0] != '"';
      if (!(flow && plain && t.find_first_of(",[]{}") != std::string_view::npos)) return std::string(t);
    }
    std::string_view str(s.GetString(), s.GetStringLength());
    if (NeedsEscapes(str) || str.find('\n') != std::string_view::npos) return DoubleQuoted(str);
    std::string text(str);
    if (CanBePlain(str, flow) && !NeedsQuotes(text)) return text;
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'";
  }

 private:
  const std::pair<uint32_t, uint32_t>* Spelling(const Value& s) const {
    if (!s.IsString()) return nullptr;
    auto it = style_.spellings.find(s.GetString());
    return it == style_.spellings.end() ? nullptr : &it->second;
  }

  static bool IsScalar(const Value& v) { return !v.IsObject() && !v.IsArray(); }

  // For {"Ref": "x"} and {"Fn::X": arg} written as a short-form tag: the tag and its operand. A YAML
  // node has one tag: a function whose argument is itself tagged stays in long form
  // (Fn::ImportValue: !Sub ...).
  static const Value* ShortTagOperand(const Value& v, std::string* tag) {
    if (!v.IsObject() || v.MemberCount() != 1) return nullptr;
    std::string_view name(v.MemberBegin()->name.GetString(), v.MemberBegin()->name.GetStringLength());
    const Value& arg = v.MemberBegin()->value;
    if (name == "Ref" && arg.IsString()) {
      *tag = "!Ref";
      return &arg;
    }
    if (name.substr(0, 4) == "Fn::" && IsShortFunction(name.substr(4)) && !HasShortTag(arg) &&
        !(name == "Fn::GetAtt" && arg.IsString())) {  // !GetAtt "a.b" would read back as a list
      *tag = "!" + std::string(name.substr(4));
      return &arg;
    }
    return nullptr;
  }

  static bool HasShortTag(const Value& v) {
    std::string tag;
    return ShortTagOperand(v, &tag) != nullptr;
  }

  // What reads well on one line inside a tag's [...]: one-line scalars, short tags of those, lists of
  // those (!If [Cond, [a, b], !Ref X]). Mappings go in block style.
  static bool Flowable(const Value& v) {
    if (v.IsString()) return memchr(v.GetString(), '\n', v.GetStringLength()) == nullptr;
    if (v.IsArray()) return AllScalars(v);
    std::string tag;
    if (const Value* operand = ShortTagOperand(v, &tag)) return Flowable(*operand);
    return !v.IsObject();
  }
  static bool AllScalars(const Value& arr) {
    for (const Value& e : arr.GetArray())
      if (!Flowable(e)) return false;
    return true;
  }

  // Entries go at `column` + the file's indentation after a key, two right of a dash, or at the column.
  unsigned MapColumn(YamlPlace place, unsigned column) const {
    return place == YamlPlace::kAfterKey ? column + style_.indent : place == YamlPlace::kAfterDash ? column + 2 : column;
  }

  void BlockMap(const Value& v, YamlPlace place, unsigned column, std::string* out) {
    const unsigned col = MapColumn(place, column);
    bool first = true;
    for (const auto& m : v.GetObject()) {
      if (first && place == YamlPlace::kAfterDash) *out += ' ';
      else if (!first || place == YamlPlace::kAfterKey) *out += '\n' + std::string(col, ' ');
      first = false;
      *out += Scalar(m.name, false);
      *out += ':';
      Node(m.value, YamlPlace::kAfterKey, col, false, out);
    }
  }

  void BlockSeq(const Value& v, YamlPlace place, unsigned column, bool tagged, std::string* out) {
    // Dashes under a key as the file has them (indented or not); after a tag, indented.
    const unsigned col = place == YamlPlace::kAfterKey ? column + (tagged ? 2 : style_.seq_indent)
                         : place == YamlPlace::kAfterDash ? column + 2 : column;
    bool first = true;
    for (const Value& e : v.GetArray()) {
      if (first && place == YamlPlace::kAfterDash) *out += ' ';
      else if (!first || place == YamlPlace::kAfterKey) *out += '\n' + std::string(col, ' ');
      first = false;
      *out += '-';
      Node(e, YamlPlace::kAfterDash, col, false, out);
    }
  }

  // `s` (with a line break in it) as a literal block whose lines start at `column`.
  void Literal(std::string_view s, unsigned column, std::string* out) {
    size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
    *out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
    std::string_view body = s.substr(0, s.size() - trailing);
    size_t at = 0;
    for (;;) {
      size_t nl = body.find('\n', at);
      std::string_view line = body.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
      *out += '\n';
      if (!line.empty()) *out += std::string(column, ' ') + std::string(line);
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
    for (size_t i = 1; i < trailing; ++i) *out += '\n';
  }

  const YamlStyle& style_;
  std::string_view text_;
};

}  // namespace

bool ParseCfnYaml(std::string_view text, rapidjson::Document* out, YamlStyle* style, std::string* err) {
  if (text.size() > kMaxTemplateBytes) {
    *err = "1:1: larger than " + std::to_string(kMaxTemplateBytes) + " bytes";
    return false;
  }
  const size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  // Line breaks other than LF and CRLF: a lone CR, NEL, U+2028/U+2029 break lines for some YAML
  // readers (1.1) and not for others (1.2), and for the writer's idea of lines and columns.
  for (size_t i = bom; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool cr = c == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n');
    const bool nel = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85;
    const bool ls = c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                    (static_cast<unsigned char>(text[i + 2]) == 0xA8 || static_cast<unsigned char>(text[i + 2]) == 0xA9);
    if (cr || nel || ls) {
      *err = base::LineColumn(text, i) + ": a line break other than LF or CRLF (" +
             (cr ? "a lone CR" : nel ? "NEL, U+0085" : "U+2028/U+2029") +
             "), which YAML readers disagree on: write it as \\n, \\N, \\L or \\P in a double-quoted string, "
             "or use LF line ends";
      return false;
    }
  }
  YamlStyle st;
  out->SetNull();
  Reader reader(text, bom, out->GetAllocator(), &st);
  Value root;
  if (!reader.Run(&root, &st.map, err)) {
    out->SetNull();
    return false;
  }
  static_cast<Value&>(*out) = std::move(root);
  *style = std::move(st);
  return true;
}

std::string YamlValueText(const rapidjson::Value& v, YamlPlace place, unsigned column, const YamlStyle& style,
                          std::string_view text) {
  std::string out;
  Writer(style, text).Node(v, place, column, false, &out);
  return out;
}

std::string YamlKeyText(const rapidjson::Value& key, bool flow, const YamlStyle& style, std::string_view text) {
  return Writer(style, text).Scalar(key, flow);
}

std::string EmitCfnYaml(const rapidjson::Value& v, const YamlStyle& style) {
  return YamlValueText(v, YamlPlace::kAtColumn, 0, style, {}) + "\n";
}

bool ParseTemplate(std::string_view text, rapidjson::Document* out, YamlStyle* style, bool* yaml,
                   std::string* err, base::SourceNode* json_map) {
  // A byte-order mark does not decide the format: a JSON file behind one is still JSON.
  const size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  const size_t first = text.find_first_not_of(" \t\r\n", bom);
  *yaml = first == std::string_view::npos || text[first] != '{';
  if (*yaml) return ParseCfnYaml(text, out, style, err);
  const std::string_view body = text.substr(bom);
  base::JsonLimits limits;
  limits.max_bytes = kMaxTemplateBytes;
  const base::JsonParseResult r = base::ParseJson(body, limits, out, json_map);
  if (r.ok()) return true;
  *err = base::LineColumn(body, r.offset) + ": " + r.message;
  return false;
}

}  // namespace kilt
