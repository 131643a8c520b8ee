#include "lambda/config.h"

#include <unistd.h>

#include <map>

#include "base/encoding.h"
#include "base/file.h"

namespace kilt::lambda {
bool LoadMacroConfig(const EnvLookup& env, MacroConfig* out, std::string* err) {
  auto get = [&](const char* name) -> std::string {
    const char* v = env(name);
    return v == nullptr ? "" : v;
  };
  std::string toml;
  std::string source;
  if (env("KILT_RECIPE") != nullptr && !get("KILT_RECIPE").empty()) {
    toml = get("KILT_RECIPE");
    source = "KILT_RECIPE";
  } else if (env("KILT_RECIPE_BASE64") != nullptr && !get("KILT_RECIPE_BASE64").empty()) {
    // Multi-line base64 (as pasted into a CloudFormation parameter) is fine.
    if (!base::Base64Decode(get("KILT_RECIPE_BASE64"), &toml, /*skip_whitespace=*/true)) {
      *err =
          "KILT_RECIPE_BASE64 is not valid base64 (encode the recipe with `base64 -w0 "
          "recipe.toml`)";
      return false;
    }
    source = "KILT_RECIPE_BASE64";
  } else {
    std::string path = get("KILT_RECIPE_FILE");
    bool explicit_path = !path.empty();
    if (!explicit_path && !get("LAMBDA_TASK_ROOT").empty())
      path = get("LAMBDA_TASK_ROOT") + "/recipe.toml";
    if (!path.empty() && (explicit_path || access(path.c_str(), F_OK) == 0)) {
      if (!base::ReadFile(path, &toml, err, kMaxRecipeBytes)) {
        *err = "cannot read the recipe " + *err + (explicit_path ? " (KILT_RECIPE_FILE)" : "");
        return false;
      }
      source = path;
    } else {
      toml = std::string(DefaultRecipeToml());
      source = "built-in default recipe";
    }
  }
  MacroConfig c;
  if (!ParseRecipe(toml, source, &c.recipe, err)) return false;

  std::map<std::string, std::string> overrides;
  if (!get("KILT_IMAGE").empty()) overrides["KiltImage"] = get("KILT_IMAGE");
  const std::string selection = get("KILT_SELECTION");
  if (!selection.empty()) {
    if (selection != "opt-in" && selection != "opt-out") {
      *err = "KILT_SELECTION must be opt-in or opt-out";
      return false;
    }
    overrides["OptIn"] = selection == "opt-in" ? "true" : "false";
  }
  if (!get("KILT_SIDECAR_LOG_GROUP").empty()) overrides["LogGroup"] = get("KILT_SIDECAR_LOG_GROUP");
  if (!overrides.empty() && !ApplyRecipeOverrides(overrides, &c.recipe, err)) {
    *err = "environment (KILT_IMAGE, KILT_SELECTION, KILT_SIDECAR_LOG_GROUP): " + *err;
    return false;
  }
  const std::string lookup = get("KILT_IMAGE_LOOKUP");
  if (lookup.empty() || lookup == "on") {
    c.image_lookup = true;
  } else if (lookup == "off") {
    c.image_lookup = false;
  } else {
    *err = "KILT_IMAGE_LOOKUP must be on or off";
    return false;
  }
  *out = std::move(c);
  return true;
}

}  // namespace kilt::lambda
