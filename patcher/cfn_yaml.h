// CloudFormation YAML <-> the JSON form the patcher works on.
//
// Reading (libyaml's event parser: no recursion, exact positions): short-form tags (!Ref, !Sub,
// !GetAtt, !If, ...) become their long JSON form ({"Ref": ...}, {"Fn::Sub": ...}). Plain scalars follow
// the YAML 1.2 core schema (null, booleans, numbers); quoted and block scalars are strings. Refused,
// each with LINE:COL and what to do: aliases and merge keys (CloudFormation supports neither, and an
// alias is how 700 bytes become gigabytes), duplicate keys, nesting deeper than base::kMaxJsonDepth, tags
// CloudFormation does not know, a second document, invalid UTF-8 and control characters.
//
// Writing: the CLI writes a patched template as an edit of the text it read (patcher/splice.h), so
// only Kilt's changes are new text. The functions below write those new values: block style at the
// indentation the file uses, short-form tags, and every string either as the user spelled it (a value
// Kilt moved, e.g. from EntryPoint to Command, keeps `yes`, `017` or `12:30:45` plain, so a YAML 1.1
// reader sees what it saw before) or quoted so that YAML 1.1 and 1.2 readers both read it back as the
// same string, non-printable characters escaped.
#ifndef KILT_PATCHER_CFN_YAML_H_
#define KILT_PATCHER_CFN_YAML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <rapidjson/document.h>

#include "base/source_map.h"

namespace kilt {

// What the YAML reader learned about the text, for the writer.
struct YamlStyle {
  base::SourceNode map;  // where each value is (byte offsets into the text given to ParseCfnYaml)
  // The source text [begin, end) of each string read from one line of the input, by the address of its
  // characters: strings are read as constant references into the document's allocator, and rapidjson
  // copies keep such references, so a string the patcher moves still finds how it was spelled.
  std::unordered_map<const char*, std::pair<uint32_t, uint32_t>> spellings;
  unsigned indent = 2;      // a nested block mapping's keys are this much right of its parent's key
  unsigned seq_indent = 2;  // a block sequence's dashes are this much right of its key (0: "- " under it)
};

// Parses CloudFormation YAML into *out (strings in out's allocator, referenced as constant strings).
// Returns false and sets *err ("LINE:COL: what") on bad input. `text` may start with a UTF-8 BOM.
[[nodiscard]] bool ParseCfnYaml(std::string_view text, rapidjson::Document* out, YamlStyle* style,
                                std::string* err);

// Reads a template (or an ECS task definition) in either form: JSON when its first non-blank character
// (after a UTF-8 byte-order mark) is '{', else CloudFormation YAML. *yaml says which, and *style how to
// write YAML back. JSON is read with the template limits (kMaxTemplateBytes, base::kMaxJsonDepth,
// duplicate keys refused); with `json_map`, where each JSON value is (offsets after the byte-order mark).
// *err: "LINE:COL: what".
[[nodiscard]] bool ParseTemplate(std::string_view text, rapidjson::Document* out, YamlStyle* style, bool* yaml,
                                 std::string* err, base::SourceNode* json_map = nullptr);

// Where a new value goes, for YamlValueText.
enum class YamlPlace {
  kAfterKey,   // right after "key:" on its line; `column` is the key's column
  kAfterDash,  // right after a sequence's "-" on its line; `column` is the dash's column
  kAtColumn,   // at `column` on a line already indented to it (a value that replaces a block node)
  kFlow,       // inside a flow collection ([..], {..}): flow style only
};

// `v` as YAML text for `place`. The text for kAfterKey/kAfterDash starts with a blank or a newline;
// no text ends with a newline. `text` is the input (for spellings).
std::string YamlValueText(const rapidjson::Value& v, YamlPlace place, unsigned column, const YamlStyle& style,
                          std::string_view text);

// A mapping key (or any string) as YAML text for a block or a flow context.
std::string YamlKeyText(const rapidjson::Value& key, bool flow, const YamlStyle& style, std::string_view text);

// `v` as a whole YAML document (block style, 2-space indentation); for tests and the fuzzer.
std::string EmitCfnYaml(const rapidjson::Value& v, const YamlStyle& style);

}  // namespace kilt

#endif  // KILT_PATCHER_CFN_YAML_H_
