#include "lambda/config.h"

#include "registry/encoding.h"

#include <fstream>
#include <map>
#include <sstream>

namespace kilt::lambda {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  *out = s.str();
  return !f.bad();
}

bool FileExists(const std::string& path) {
  std::ifstream f(path);
  return static_cast<bool>(f);
}

}  // namespace

bool DecodeBase64(std::string_view in, std::string* out) {
  // Multi-line base64 (as pasted into a CloudFormation parameter) is fine; the decoding itself is the
  // registry client's (one base64 in the project).
  std::string compact;
  compact.reserve(in.size());
  for (char c : in)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact += c;
  return registry::Base64Decode(compact, out);
}

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
    if (!DecodeBase64(get("KILT_RECIPE_BASE64"), &toml)) {
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
    if (!path.empty() && (explicit_path || FileExists(path))) {
      if (!ReadFile(path, &toml)) {
        *err = "cannot read the recipe " + path + (explicit_path ? " (KILT_RECIPE_FILE)" : "");
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
