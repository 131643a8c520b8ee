// yaml-cpp reports errors by exception; they are caught here and never cross this file's border.
#include "patcher/cfn_yaml.h"

#include <cstring>
#include <regex>
#include <sstream>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include "base/json.h"
#include "base/strings.h"

namespace kilt {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

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

// A plain scalar resolved by the YAML 1.2 core schema (what CloudFormation and js-yaml agree on).
Value PlainScalar(const std::string& s, Alloc& a) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  if (s.size() < 20 && std::regex_match(s, IntRe())) {
    // Leading zeros are octal in YAML 1.1 readers: keep such a scalar a string rather than guess.
    size_t digits = s.find_first_of("0123456789");
    if (!(s[digits] == '0' && s.size() > digits + 1)) return Value(static_cast<int64_t>(std::stoll(s)));
  } else if (s.size() < 40 && std::regex_match(s, FloatRe()) && s.find_first_of("0123456789") != std::string::npos) {
    rapidjson::Document d;
    // JSON needs a digit before and after '.'; rapidjson then parses the number exactly.
    std::string j = s;
    if (j[0] == '+') j.erase(0, 1);
    size_t dot = j.find('.');
    if (dot != std::string::npos) {
      if (dot == 0 || !isdigit(static_cast<unsigned char>(j[dot - 1]))) j.insert(dot, "0"), ++dot;
      if (dot + 1 >= j.size() || !isdigit(static_cast<unsigned char>(j[dot + 1]))) j.insert(dot + 1, "0");
    }
    if (!d.Parse<rapidjson::kParseFullPrecisionFlag>(j.c_str()).HasParseError() && d.IsNumber())
      return Value(d.GetDouble());
  }
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

class Reader {
 public:
  Reader(Alloc& a, YamlStyle* style) : a_(a), style_(style) {}

  bool Convert(const YAML::Node& n, Value* out, std::string* err) {
    const std::string& tag = n.Tag();
    if (tag.size() > 1 && tag[0] == '!' && tag[1] != '!') {
      std::string name = tag.substr(1);
      std::string key;
      if (name == "Ref" || name == "Condition") key = name;
      else if (IsShortFunction(name)) key = "Fn::" + name;
      else return Fail(n, "unknown tag " + tag + " (CloudFormation knows !Ref, !Sub, !GetAtt, !If, ...)", err);
      Value inner;
      if (!ConvertUntagged(n, &inner, err)) return false;
      if (name == "GetAtt" && inner.IsString()) {
        // !GetAtt Resource.Attribute: the first dot separates the resource from the attribute.
        std::string s = inner.GetString();
        size_t dot = s.find('.');
        if (dot == std::string::npos) return Fail(n, "!GetAtt " + s + " needs Resource.Attribute", err);
        Value parts(rapidjson::kArrayType);
        parts.PushBack(Value(s.substr(0, dot).c_str(), a_), a_);
        parts.PushBack(Value(s.substr(dot + 1).c_str(), a_), a_);
        inner = std::move(parts);
      }
      *out = Value(rapidjson::kObjectType);
      out->AddMember(Value(key.c_str(), a_), inner, a_);
      return true;
    }
    if (tag == "tag:yaml.org,2002:str") {
      if (!n.IsScalar()) return Fail(n, "!!str on a non-scalar", err);
      *out = Value(n.Scalar().c_str(), a_);
      return true;
    }
    if (!tag.empty() && tag != "?" && tag != "!" && tag != "tag:yaml.org,2002:map" && tag != "tag:yaml.org,2002:seq")
      return Fail(n, "unsupported tag " + tag, err);
    return ConvertUntagged(n, out, err);
  }

 private:
  bool Fail(const YAML::Node& n, const std::string& what, std::string* err) {
    YAML::Mark m = n.Mark();
    *err = std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + what;
    return false;
  }

  bool ConvertUntagged(const YAML::Node& n, Value* out, std::string* err) {
    if (++depth_ > 256) return Fail(n, "nested too deeply", err);
    struct Leave {
      int* d;
      ~Leave() { --*d; }
    } leave{&depth_};
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        *out = Value();
        return true;
      case YAML::NodeType::Scalar:
        if (n.Tag() == "?") {
          *out = PlainScalar(n.Scalar(), a_);
        } else {
          *out = Value(n.Scalar().c_str(), static_cast<rapidjson::SizeType>(n.Scalar().size()), a_);
          if (n.Tag() == "!") style_->quoted.insert(n.Scalar());
        }
        return true;
      case YAML::NodeType::Sequence:
        *out = Value(rapidjson::kArrayType);
        for (const YAML::Node& e : n) {
          Value v;
          if (!Convert(e, &v, err)) return false;
          out->PushBack(v, a_);
        }
        return true;
      case YAML::NodeType::Map:
        *out = Value(rapidjson::kObjectType);
        for (auto it = n.begin(); it != n.end(); ++it) {
          if (!it->first.IsScalar()) return Fail(it->first, "a mapping key must be a plain string", err);
          const std::string& k = it->first.Scalar();
          if (out->HasMember(k.c_str())) return Fail(it->first, "duplicate key \"" + k + "\" (CloudFormation rejects it too): keep one", err);
          Value v;
          if (!Convert(it->second, &v, err)) return false;
          out->AddMember(Value(k.c_str(), static_cast<rapidjson::SizeType>(k.size()), a_), v, a_);
        }
        return true;
    }
    return Fail(n, "unexpected node", err);
  }

  Alloc& a_;
  YamlStyle* style_;
  int depth_ = 0;
};

// True when a plain scalar `s` would not read back as this string (a number, boolean, null, date, ...).
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"};
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

bool HasControl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\n') return true;
  return false;
}

// A literal block (|) reproduces `s` exactly only when it ends in exactly one newline, its first line
// is not indented (the writer gives no indentation indicator) and no line ends in a space.
bool FitsLiteralBlock(const std::string& s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n' || s[0] == ' ' || s[0] == '\n') return false;
  if (HasControl(s)) return false;
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i + 1] == '\n' && (s[i] == ' ' || s[i] == '\t')) return false;
  return true;
}

class Writer {
 public:
  Writer(YAML::Emitter& out, const YamlStyle& style) : out_(out), style_(style) {}

  void Emit(const Value& v) {
    if (v.IsObject() && v.MemberCount() == 1) {
      std::string_view name(v.MemberBegin()->name.GetString(), v.MemberBegin()->name.GetStringLength());
      const Value& arg = v.MemberBegin()->value;
      if (name == "Ref" && arg.IsString()) {
        out_ << YAML::LocalTag("Ref");
        EmitString(arg.GetString(), arg.GetStringLength());
        return;
      }
      // A YAML node has one tag: a function whose argument is itself a tagged function is written in
      // long form (Fn::ImportValue: !Sub ...).
      if (name.substr(0, 4) == "Fn::" && IsShortFunction(name.substr(4)) && !HasShortTag(arg) &&
          !(name == "Fn::GetAtt" && arg.IsString())) {  // !GetAtt "a.b" would read back as a list
        std::string fn(name.substr(4));
        out_ << YAML::LocalTag(fn);
        // Lists of scalars read best in flow style: !If [Cond, a, b], !GetAtt [Res, Attr].
        if (arg.IsArray() && AllScalars(arg)) out_ << YAML::Flow;
        Emit(arg);
        return;
      }
    }
    switch (v.GetType()) {
      case rapidjson::kNullType:
        out_ << YAML::Null;
        break;
      case rapidjson::kFalseType:
        out_ << false;
        break;
      case rapidjson::kTrueType:
        out_ << true;
        break;
      case rapidjson::kNumberType: {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        v.Accept(w);
        out_ << buf.GetString();
        break;
      }
      case rapidjson::kStringType:
        EmitString(v.GetString(), v.GetStringLength());
        break;
      case rapidjson::kArrayType:
        out_ << YAML::BeginSeq;
        for (const Value& e : v.GetArray()) Emit(e);
        out_ << YAML::EndSeq;
        break;
      case rapidjson::kObjectType:
        out_ << YAML::BeginMap;
        for (auto& m : v.GetObject()) {
          out_ << YAML::Key;
          EmitString(m.name.GetString(), m.name.GetStringLength());
          out_ << YAML::Value;
          Emit(m.value);
        }
        out_ << YAML::EndMap;
        break;
    }
  }

 private:
  static bool HasShortTag(const Value& v) {
    if (!v.IsObject() || v.MemberCount() != 1) return false;
    std::string_view n(v.MemberBegin()->name.GetString(), v.MemberBegin()->name.GetStringLength());
    return (n == "Ref" && v.MemberBegin()->value.IsString()) ||
           (n.substr(0, 4) == "Fn::" && IsShortFunction(n.substr(4)));
  }

  static bool AllScalars(const Value& arr) {
    for (const Value& e : arr.GetArray())
      if (e.IsObject() || e.IsArray() || (e.IsString() && strchr(e.GetString(), '\n'))) return false;
    return true;
  }

  void EmitString(const char* p, size_t n) {
    std::string s(p, n);
    if (s.find('\n') != std::string::npos) {
      if (FitsLiteralBlock(s)) out_ << YAML::Literal << s;
      else out_ << YAML::DoubleQuoted << s;
    } else if (HasControl(s)) {
      out_ << YAML::DoubleQuoted << s;
    } else if (style_.quoted.count(s) || NeedsQuotes(s)) {
      out_ << YAML::SingleQuoted << s;
    } else {
      out_ << s;
    }
  }

  YAML::Emitter& out_;
  const YamlStyle& style_;
};

std::string LeadingComments(std::string_view text) {
  std::string header;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos + 1);
    size_t first = line.find_first_not_of(" \t\r\n");
    // Directives and a bare "---" (the explicit start of the one document) are not written back
    // (the output is always one implicit document), but the comments around them are kept.
    bool directive = first == 0 && line[0] == '%';
    size_t after_marker = line.find_first_not_of(" \t\r\n", 3);
    bool start = line.compare(0, 3, "---") == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
                                                     line[3] == '\r' || line[3] == '\n') &&
                 (after_marker == std::string_view::npos || line[after_marker] == '#');
    if (first != std::string_view::npos && line[first] != '#' && !directive && !start) break;
    if (!directive && !start) header.append(line);
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  // Blank lines after the last comment belong to the layout, not the header.
  while (!header.empty() && (header.back() == '\n' || header.back() == ' ' || header.back() == '\r')) header.pop_back();
  if (!header.empty()) header += '\n';
  return header;
}

// The line (1-based) where a second YAML document starts, or 0. A template is one document, and
// yaml-cpp's Load silently reads only the first (LoadAll is not an option: see ParseCfnYaml), so a
// stream of several documents is found here, by its markers, and refused rather than half-patched.
// Markers are "---" or "..." at column 0 followed by a blank or the line's end; YAML forbids them
// inside any scalar at column 0, so no content can be mistaken for one.
size_t SecondDocumentLine(std::string_view text) {
  bool content = false, ended = false;
  size_t pos = 0, lineno = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++lineno;
    auto marker = [&](const char* m) {
      return line.compare(0, 3, m) == 0 && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    };
    std::string_view rest = line;
    if (marker("---")) {
      if (content || ended) return lineno;
      rest = line.substr(3);
    } else if (marker("...")) {
      ended = true;
      continue;
    } else if (!content && !line.empty() && line[0] == '%') {
      continue;  // a directive (%YAML, %TAG) before the document
    }
    size_t first = rest.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || rest[first] == '#') continue;
    if (ended) return lineno;
    content = true;
  }
  return 0;
}

size_t Indent(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == ' ') ++i;
  return i;
}

// True when `line` ends with a block scalar header (| or >, optional chomping/indentation indicator,
// optional comment): the lines after it that are more indented are the scalar's content.
bool EndsWithBlockHeader(std::string_view line) {
  static const std::regex re("(^|.*[\\s:-]|.*![A-Za-z]+\\s)[|>][-+]?[0-9]?\\s*(#.*)?");
  if (line.find_first_of("|>") == std::string_view::npos) return false;
  return std::regex_match(line.begin(), line.end(), re);
}

// yaml-cpp 0.7 cannot read a tagged block scalar that is a sequence entry ("- !Sub |" / "- !Sub >").
// Moving the header to its own line, indented like the content, means the same in YAML and it reads.
std::string WorkAroundTaggedBlockScalars(std::string_view text) {
  static const std::regex entry("( *)- (![A-Za-z]+) ([|>][-+]?)[ \\t]*(#.*)?\\r?");
  std::string out;
  out.reserve(text.size() + 64);
  size_t pos = 0;
  long block_indent = -1;  // inside a block scalar whose header line had this indentation
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    bool blank = line.find_first_not_of(" \t\r") == std::string_view::npos;
    if (block_indent >= 0 && (blank || static_cast<long>(Indent(line)) > block_indent)) {
      out.append(line).append("\n");
      continue;
    }
    block_indent = -1;
    std::cmatch m;
    if (std::regex_match(line.begin(), line.end(), m, entry)) {
      std::string pad = m[1].str();
      out += pad + "- " + m[2].str() + "\n" + pad + "  " + m[3].str() + "\n";
      block_indent = static_cast<long>(pad.size());
      continue;
    }
    if (EndsWithBlockHeader(line)) block_indent = static_cast<long>(Indent(line));
    out.append(line).append("\n");
  }
  return out;
}

}  // namespace

bool ParseCfnYaml(std::string_view text, rapidjson::Document* out, YamlStyle* style, std::string* err) {
  YamlStyle st;
  st.header = LeadingComments(text);
  if (size_t line = SecondDocumentLine(text)) {
    *err = std::to_string(line) +
           ":1: a second YAML document starts here; a CloudFormation template is one document: put each "
           "template in its own file";
    return false;
  }
  try {
    // YAML::Load, not LoadAll: yaml-cpp 0.7's LoadAll loops forever on some malformed input (found by
    // the fuzzer). A template is one document (SecondDocumentLine refused a stream of several).
    YAML::Node doc = YAML::Load(WorkAroundTaggedBlockScalars(text));
    out->SetNull();
    Reader reader(out->GetAllocator(), &st);
    Value v;
    if (!reader.Convert(doc, &v, err)) return false;
    static_cast<Value&>(*out) = std::move(v);
  } catch (const YAML::Exception& e) {
    *err = std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg;
    return false;
  } catch (const std::exception& e) {
    *err = e.what();
    return false;
  }
  *style = std::move(st);
  return true;
}

std::string EmitCfnYaml(const rapidjson::Value& v, const YamlStyle& style) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  Writer(out, style).Emit(v);
  std::string s = style.header;
  s += out.c_str();
  s += '\n';
  return s;
}

bool ParseTemplate(std::string_view text, rapidjson::Document* out, YamlStyle* style, bool* yaml,
                   std::string* err) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  *yaml = first == std::string_view::npos || text[first] != '{';
  return *yaml ? ParseCfnYaml(text, out, style, err) : base::ParseJson(text, out, err);
}

}  // namespace kilt
