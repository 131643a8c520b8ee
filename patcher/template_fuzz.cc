// libFuzzer target: the template readers (JSON, CloudFormation YAML) and both patchers on whatever they
// accept. Nothing may crash, hang or leak, and a patched document must patch again without change.
#include <cstddef>
#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "patcher/cfn_yaml.h"
#include "patcher/json.h"
#include "patcher/patcher.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  kilt::PatchInput in;
  in.recipe.kilt_image = "kilt:1";
  in.recipe.hints.push_back({"img", {"/e"}, {"c"}});
  in.recipe.hints.push_back({"${R.A}", {"/e"}, {}});  // a hint on Fn::Sub text
  in.parameters = {{"P", "img"}, {"AWS::Region", "cn-north-1"}};  // Ref / Fn::Sub images resolve
  rapidjson::Document doc;
  kilt::YamlStyle style;
  std::string err;
  bool yaml = false;
  if (!kilt::ParseTemplate(text, &doc, &style, &yaml, &err)) return 0;
  if (yaml) (void)kilt::EmitCfnYaml(doc, style);
  rapidjson::Document ecs;
  ecs.CopyFrom(doc, ecs.GetAllocator());
  (void)kilt::ListTemplateImageNeeds(doc, in);
  kilt::PatchReport r = kilt::PatchTemplate(&doc, in);
  if (r.ok()) {
    std::string once = kilt::ToJson(doc);
    kilt::PatchReport again = kilt::PatchTemplate(&doc, in);
    if (!again.ok() || kilt::ToJson(doc) != once) __builtin_trap();  // idempotency
    if (yaml) (void)kilt::EmitCfnYaml(doc, style);
  }
  (void)kilt::PatchEcsTaskDefinition(&ecs, in);
  return 0;
}
