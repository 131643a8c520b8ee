// CloudFormation YAML <-> the JSON form the patcher works on. Short-form tags (!Ref, !Sub, !GetAtt, !If, ...)
// become their long JSON form ({"Ref": ...}, {"Fn::Sub": ...}) on reading and are written back as short
// tags. Comments inside the document are lost (yaml-cpp does not keep them); the comment lines at the top
// of the file are kept. Strings that were quoted in the input are written quoted.
#ifndef KILT_PATCHER_CFN_YAML_H_
#define KILT_PATCHER_CFN_YAML_H_

#include <set>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace kilt {

// What the YAML reader remembers about the input's presentation, for the writer.
struct YamlStyle {
  std::string header;               // comment lines (and blank lines) before the first content line
  std::set<std::string> quoted;     // string values that were quoted in the input
};

// Parses CloudFormation YAML into *out. Plain scalars follow the YAML 1.2 core schema (null, booleans,
// numbers); quoted scalars are strings. Returns false and sets *err ("LINE:COL: what") on bad input.
[[nodiscard]] bool ParseCfnYaml(std::string_view text, rapidjson::Document* out, YamlStyle* style,
                                std::string* err);

// Reads a template (or an ECS task definition) in either form: JSON when its first non-blank character is
// '{', else CloudFormation YAML. *yaml says which, and *style how to write YAML back. *err: "LINE:COL: what".
[[nodiscard]] bool ParseTemplate(std::string_view text, rapidjson::Document* out, YamlStyle* style, bool* yaml,
                                 std::string* err);

// Writes `v` as CloudFormation YAML with short-form tags. Deterministic.
std::string EmitCfnYaml(const rapidjson::Value& v, const YamlStyle& style);

}  // namespace kilt

#endif  // KILT_PATCHER_CFN_YAML_H_
