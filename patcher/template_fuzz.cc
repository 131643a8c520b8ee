// libFuzzer target: the template readers (JSON and CloudFormation YAML, with their limits), both patchers
// on whatever they accept, and the writer that splices Kilt's edits into the text. Nothing may crash,
// hang or leak; a patched text must read back and patch again to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "base/json_parse.h"
#include "patcher/cfn_yaml.h"
#include "patcher/json.h"
#include "patcher/patcher.h"
#include "patcher/splice.h"

namespace {

kilt::PatchInput Input() {
  kilt::PatchInput in;
  in.recipe.kilt_image = "kilt:1";
  in.recipe.hints.push_back({"img", {"/e"}, {"c"}});
  in.recipe.hints.push_back({"${R.A}", {"/e"}, {}});  // a hint on Fn::Sub text
  in.parameters = {{"P", "img"}, {"AWS::Region", "cn-north-1"}};  // Ref / Fn::Sub images resolve
  return in;
}

// Reads `text`, patches it as a template, writes the result as an edit of `text`. False when the
// text is refused or the patch fails.
bool PatchText(const std::string& text, bool yaml, std::string* out) {
  rapidjson::Document doc;
  kilt::YamlStyle style;
  kilt::base::SourceNode json_map;
  std::string err;
  if (yaml) {
    if (!kilt::ParseCfnYaml(text, &doc, &style, &err)) return false;
  } else if (!kilt::base::ParseJson(text, {}, &doc, &json_map).ok()) {
    return false;
  }
  rapidjson::Document before;
  before.CopyFrom(doc, before.GetAllocator());
  static const kilt::PatchInput in = Input();
  (void)kilt::ListTemplateImageNeeds(doc, in);
  if (!kilt::PatchTemplate(&doc, in).ok()) return false;
  kilt::SpliceInput s;
  s.text = text;
  s.map = yaml ? &style.map : &json_map;
  s.before = &before;
  s.after = &doc;
  s.yaml = yaml ? &style : nullptr;
  *out = kilt::SpliceText(s);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  bool yaml = !text.empty() && text[0] != '{';
  std::string once, twice;
  if (PatchText(text, yaml, &once)) {
    // The written text reads back (same format) and a second patch writes the same bytes.
    if (!PatchText(once, yaml, &twice)) __builtin_trap();
    if (twice != once) __builtin_trap();
  }
  // The ECS patcher on the same value.
  rapidjson::Document ecs;
  if (yaml) {
    kilt::YamlStyle style;
    std::string err;
    if (!kilt::ParseCfnYaml(text, &ecs, &style, &err)) return 0;
  } else if (!kilt::base::ParseJson(text, {}, &ecs).ok()) {
    return 0;
  }
  (void)kilt::PatchEcsTaskDefinition(&ecs, Input());
  return 0;
}
