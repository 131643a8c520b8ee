// The macro's start-up settings, read once from the environment the installer sets.
#ifndef KILT_LAMBDA_CONFIG_H_
#define KILT_LAMBDA_CONFIG_H_

#include <functional>
#include <string>
#include <string_view>

#include "lambda/macro.h"

namespace kilt::lambda {

// Reads an environment variable; returns nullptr when unset (getenv in the Lambda, a map in tests).
using EnvLookup = std::function<const char*(const char*)>;

// The recipe comes from the first of:
//   KILT_RECIPE         inline TOML
//   KILT_RECIPE_BASE64  base64 of the TOML (CloudFormation-friendly for multi-line text)
//   KILT_RECIPE_FILE    a path; default $LAMBDA_TASK_ROOT/recipe.toml (the recipe bundled in the
//   zip) the built-in default recipe (when none of the above exist: running outside Lambda)
// then these override single settings (the installer's parameters):
//   KILT_IMAGE -> KiltImage, KILT_SELECTION (opt-in | opt-out) -> OptIn,
//   KILT_SIDECAR_LOG_GROUP -> LogGroup (when non-empty)
// and KILT_IMAGE_LOOKUP (on | off, default on) sets MacroConfig::image_lookup.
// Errors name the variable (never its value: it may hold secrets).
[[nodiscard]] bool LoadMacroConfig(const EnvLookup& env, MacroConfig* out, std::string* err);

}  // namespace kilt::lambda

#endif  // KILT_LAMBDA_CONFIG_H_
