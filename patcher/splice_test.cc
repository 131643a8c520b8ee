// The YAML reader's refusals and source map, the writer's quoting, and the splicing writer: what Kilt
// does not change keeps its bytes, what it writes reads back as the value it meant.
#include <catch2/catch.hpp>

#include <string>

#include "patcher/cfn_yaml.h"
#include "base/json_parse.h"
#include "patcher/json.h"
#include "patcher/splice.h"

namespace kilt {
namespace {

using base::ParseJson;
using base::SourceNode;
using rapidjson::Document;
using rapidjson::Value;

std::string YamlError(const std::string& text) {
  Document d;
  YamlStyle style;
  std::string err;
  if (ParseCfnYaml(text, &d, &style, &err)) return "";
  return err;
}

// Reads `text` (YAML or JSON), lets `edit` change the document, writes it back by splicing.
template <typename Edit>
std::string Splice(const std::string& text, bool yaml, Edit edit) {
  Document doc;
  YamlStyle style;
  SourceNode json_map;
  std::string err;
  if (yaml) REQUIRE(ParseCfnYaml(text, &doc, &style, &err));
  else REQUIRE(ParseJson(text, {}, &doc, &json_map).ok());
  INFO(err);
  Document before;
  before.CopyFrom(doc, before.GetAllocator());
  edit(doc);
  SpliceInput in;
  in.text = text;
  in.map = yaml ? &style.map : &json_map;
  in.before = &before;
  in.after = &doc;
  in.yaml = yaml ? &style : nullptr;
  return SpliceText(in);
}

Value J(const std::string& json, Document::AllocatorType& a) {
  Document d;
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return Value(d, a);
}

TEST_CASE("YAML refusals: aliases, merge keys, duplicates, depth, tags, documents, encoding") {
  CHECK(YamlError("a: &x [1]\nb: *x\n") == "2:4: an alias (*x): CloudFormation does not support YAML aliases; write the value out");
  CHECK(YamlError("a: &x {k: 1}\nb:\n  <<: *x\n").rfind("3:3: a merge key (<<)", 0) == 0);
  CHECK(YamlError("a: 1\nb: 2\na: 3\n") == "3:1: duplicate key \"a\" (CloudFormation rejects it too): keep one");
  std::string big;
  for (int i = 0; i < 40; ++i) big += "k" + std::to_string(i) + ": 1\n";
  CHECK(YamlError(big + "k17: 2\n").find("duplicate key \"k17\"") != std::string::npos);
  CHECK(YamlError(big + "{a: 1}: 2\n") == "41:1: a mapping key must be a plain string");
  CHECK(YamlError("a: " + std::string(127, '[') + std::string(127, ']')).empty());
  CHECK(YamlError("a: " + std::string(128, '[') + std::string(128, ']')) == "1:131: nested too deeply (more than 128 levels)");
  // A tag makes an object level: !If [!If [...]] counts both.
  std::string tags = "a:";
  for (int i = 0; i < 64; ++i) tags += " !If [";
  CHECK(YamlError(tags + std::string(64, ']')).find("nested too deeply") != std::string::npos);
  CHECK(YamlError("a: !Reff x\n") == "1:4: unknown tag !Reff (CloudFormation knows !Ref, !Sub, !GetAtt, !If, ...)");
  CHECK(YamlError("a: !!binary aGk=\n") == "1:4: unsupported tag tag:yaml.org,2002:binary");
  CHECK(YamlError("a: 1\n---\nb: 2\n").rfind("2:1: a second YAML document starts here", 0) == 0);
  CHECK(YamlError("a: \"\x01\"\n").rfind("1:5: control characters are not allowed", 0) == 0);
  CHECK(YamlError("a: b\xff\n").rfind("1:5: invalid leading UTF-8 octet (byte 0xFF)", 0) == 0);
  CHECK(YamlError("a: !GetAtt nodot\n") == "1:4: !GetAtt nodot needs Resource.Attribute");
  // Line breaks YAML 1.1 and 1.2 readers disagree on (found by the fuzzer: a key with raw CRs).
  CHECK(YamlError("a: 1\r\nb: x\ry\n").rfind("2:5: a line break other than LF or CRLF (a lone CR)", 0) == 0);
  CHECK(YamlError("a: \"x\xC2\x85y\"\n").rfind("1:6: a line break other than LF or CRLF (NEL, U+0085)", 0) == 0);
  CHECK(YamlError("a: x\xE2\x80\xA8y\n").rfind("1:5: a line break other than LF or CRLF (U+2028/U+2029)", 0) == 0);
}

TEST_CASE("YAML reading: values, short tags, spans in bytes, the file's indentation") {
  const std::string text = "\xEF\xBB\xBF# é\nRes:\n    T: !GetAtt A.B\n    L:\n    - !Ref 'X'\n    - é: [1, yes]\n";
  Document d;
  YamlStyle style;
  std::string err;
  REQUIRE(ParseCfnYaml(text, &d, &style, &err));
  CHECK(ToJson(d) == R"({"Res":{"T":{"Fn::GetAtt":["A","B"]},"L":[{"Ref":"X"},{"é":[1,"yes"]}]}})");
  CHECK(style.indent == 4);
  CHECK(style.seq_indent == 0);
  const SourceNode& res = style.map.children[0];
  auto span = [&](const SourceNode& n) { return text.substr(n.begin, n.end - n.begin); };
  CHECK(span(res.children[0]) == "!GetAtt A.B");
  CHECK(res.children[0].kind == SourceNode::kOpaque);
  const SourceNode& list = res.children[1];
  CHECK(list.kind == SourceNode::kBlockCollection);
  CHECK(list.column == 4);
  CHECK(span(list.children[0]) == "!Ref 'X'");
  CHECK(span(list.children[0].children[0]) == "'X'");
  CHECK(span(list.children[1].children[0]) == "[1, yes]");
  CHECK(text.substr(list.children[1].children[0].key_begin, 2) == "é");
}

TEST_CASE("YAML reading: plain integers past int64 are numbers, not an exception") {
  // Found by the fuzzer: std::stoll threw on 9777777777777777796.
  Document d;
  YamlStyle style;
  std::string err;
  REQUIRE(ParseCfnYaml("a: 9777777777777777796\nb: -9777777777777777796\nc: +5\nd: 017\ne: 99999999999999999999999\n",
                       &d, &style, &err));
  CHECK(d["a"].GetUint64() == 9777777777777777796ULL);
  CHECK(d["b"].IsDouble());
  CHECK(d["c"].GetInt64() == 5);
  CHECK(d["d"].GetString() == std::string("017"));
  CHECK(d["e"].IsDouble());
}

TEST_CASE("new YAML text: strings read back as the same string in YAML 1.1 and 1.2") {
  Document d;
  auto& a = d.GetAllocator();
  YamlStyle style;
  auto text = [&](const std::string& json) {
    return YamlValueText(J(json, a), YamlPlace::kAtColumn, 0, style, "");
  };
  CHECK(text(R"("nginx -g daemon off;")") == "nginx -g daemon off;");
  CHECK(text(R"("yes")") == "'yes'");
  CHECK(text(R"("On")") == "'On'");
  CHECK(text(R"("017")") == "'017'");
  CHECK(text(R"("12:30:45")") == "'12:30:45'");
  CHECK(text(R"("<<")") == "'<<'");
  CHECK(text(R"("a: b")") == "'a: b'");
  CHECK(text(R"("it's")") == "it's");
  CHECK(text(R"("'q'")") == "'''q'''");
  CHECK(text(R"("#x")") == "'#x'");
  CHECK(text(R"("a\u0001b\u007fc\u0085d\u2028e\ufeff")") == R"("a\x01b\x7Fc\x85d\Le\uFEFF")");
  CHECK(text(R"("tab\there")") == R"("tab\there")");
  CHECK(text(R"({"Ref": "AWS::Region"})") == "!Ref AWS::Region");
  CHECK(text(R"({"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]})") == "!If [C, a, !Ref 'AWS::NoValue']");
  CHECK(text(R"({"Fn::ImportValue": {"Fn::Sub": "x"}})") == "Fn::ImportValue: !Sub x");
  CHECK(text(R"({"k": ["a", {"b": 1}]})") == "k:\n  - a\n  - b: 1");
  CHECK(text(R"({"Fn::Split": [",", {"Fn::Join": ["", ["a", "b"]]}]})") == "!Split [',', !Join ['', [a, b]]]");
  CHECK(text(R"({"Fn::If": ["C", {"k": "v"}, "x"]})") == "!If\n  - C\n  - k: v\n  - x");
  CHECK(text(R"({"s": "line\nnext\n"})") == "s: |\n  line\n  next");
  CHECK(text(R"({"s": "line\nno newline"})") == "s: |-\n  line\n  no newline");
  CHECK(text(R"({"s": " leading\n"})") == R"(s: " leading\n")");
}

TEST_CASE("YAML splice: untouched text keeps its bytes; edits follow the style around them") {
  const std::string text =
      "# header\n"
      "A: {x: 1}   # flow, untouched\n"
      "B:\n"
      "  L:\n"
      "  - one   # comment\n"
      "  F: [a, 'b']\n"
      "  E: []\n"
      "  M:\n"
      "    k: v\n"
      "# trailer\n";
  std::string out = Splice(text, true, [](Document& d) {
    auto& a = d.GetAllocator();
    d["B"]["L"].PushBack(J(R"({"m": "two"})", a), a);
    d["B"]["F"].PushBack(J(R"("yes")", a), a);
    d["B"]["E"].PushBack(J(R"("e")", a), a);
    d["B"]["M"].AddMember("k2", J(R"(["x"])", a), a);
    d["B"].AddMember("New", J(R"({"Ref": "X"})", a), a);
  });
  CHECK(out ==
        "# header\n"
        "A: {x: 1}   # flow, untouched\n"
        "B:\n"
        "  L:\n"
        "  - one   # comment\n"
        "  - m: two\n"
        "  F: [a, 'b', 'yes']\n"
        "  E:\n"
        "  - e\n"
        "  M:\n"
        "    k: v\n"
        "    k2:\n"
        "    - x\n"
        "  New: !Ref X\n"
        "# trailer\n");
  // Replaced values: on the key's line, on the next lines, in flow; a moved string keeps its spelling.
  const std::string two = "C:\n  EntryPoint: [/bin/sh, \"-c\"]\n  Command:\n    - yes\n    - 017\n  X: 1\n";
  out = Splice(two, true, [](Document& d) {
    auto& a = d.GetAllocator();
    Value moved(d["C"]["Command"], a);  // "yes" and "017" as the user spelled them
    d["C"]["EntryPoint"] = J(R"(["/kilt/run", "--"])", a);
    d["C"]["Command"] = moved;
    d["C"]["Command"].PushBack(J(R"("yes")", a), a);  // Kilt's own "yes": quoted
  });
  CHECK(out == "C:\n  EntryPoint: [/kilt/run, '--']\n  Command:\n    - yes\n    - 017\n    - 'yes'\n  X: 1\n");
}

TEST_CASE("YAML splice: block scalars keep their line breaks, kept ones (|+) included") {
  const std::string text = "C:\n  S: |+\n    keep\n\n  T: |\n    clip\n\nE:\n  S: |+\n    keep\n\nF: 1\n";
  std::string out = Splice(text, true, [](Document& d) {
    auto& a = d.GetAllocator();
    d["C"].AddMember("New", J(R"("x")", a), a);
    d["E"].AddMember("New", J(R"("w")", a), a);
  });
  CHECK(out == "C:\n  S: |+\n    keep\n\n  T: |\n    clip\n  New: x\n\nE:\n  S: |+\n    keep\n\n  New: w\nF: 1\n");
  out = Splice(text, true, [](Document& d) {
    auto& a = d.GetAllocator();
    d["E"]["S"] = J(R"("z")", a);
  });
  CHECK(out == "C:\n  S: |+\n    keep\n\n  T: |\n    clip\n\nE:\n  S: z\nF: 1\n");
}

TEST_CASE("JSON splice: edits in the file's indentation; dropped members take their separators") {
  const std::string text =
      "{\n"
      "    \"taskDefinitionArn\": \"arn\",\n"
      "    \"family\": \"web\",\n"
      "    \"containerDefinitions\": [\n"
      "        {\"name\": \"a\", \"command\": [\"x\"]}\n"
      "    ],\n"
      "    \"status\": \"ACTIVE\",\n"
      "    \"revision\": 3\n"
      "}\n";
  std::string out = Splice(text, false, [](Document& d) {
    auto& a = d.GetAllocator();
    RemoveMember(&d, "taskDefinitionArn");
    RemoveMember(&d, "status");
    RemoveMember(&d, "revision");
    Value& c = d["containerDefinitions"][0];
    c["command"].PushBack(J(R"("y")", a), a);
    c.AddMember("volumesFrom", J(R"([{"sourceContainer": "kilt"}])", a), a);
    d["containerDefinitions"].PushBack(J(R"({"name": "kilt", "essential": false})", a), a);
    d.AddMember("tags", J(R"([])", a), a);
  });
  CHECK(out ==
        "{\n"
        "    \"family\": \"web\",\n"
        "    \"containerDefinitions\": [\n"
        "        {\"name\": \"a\", \"command\": [\"x\", \"y\"], \"volumesFrom\": [{\"sourceContainer\": \"kilt\"}]},\n"
        "        {\n"
        "            \"name\": \"kilt\",\n"
        "            \"essential\": false\n"
        "        }\n"
        "    ],\n"
        "    \"tags\": []\n"
        "}\n");
  // Nothing changed: the same bytes, whatever the formatting.
  const std::string odd = "{ \"a\" :[1,2 ] ,\"b\":{}}";
  CHECK(Splice(odd, false, [](Document&) {}) == odd);
}

}  // namespace
}  // namespace kilt
