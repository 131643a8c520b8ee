// libFuzzer: any bytes as a macro event. The handler must not crash, and must always answer valid
// JSON with a status (CloudFormation shows only a generic error for a crashed function).
#include <rapidjson/document.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "lambda/macro.h"

namespace {

const kilt::lambda::MacroConfig& Config() {
  static kilt::lambda::MacroConfig* c = [] {
    auto* cfg = new kilt::lambda::MacroConfig;
    std::string err;
    if (!kilt::ParseRecipe(kilt::DefaultRecipeToml(), "default", &cfg->recipe, &err)) abort();
    cfg->recipe.kilt_image = "kilt:1";
    return cfg;
  }();
  return *c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string event(reinterpret_cast<const char*>(data), size);
  kilt::lambda::MacroOutcome o = kilt::lambda::HandleMacroEvent(event, Config(), nullptr, {});
  rapidjson::Document d;
  d.Parse(o.response.c_str(), o.response.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("status")) abort();
  return 0;
}
