// The recipe: what the patcher adds to a task definition or pod (TOML, documented in docs/recipe.md).
// Consumers parse it once and may override fields per request (the macro's `params`).
#ifndef KILT_PATCHER_RECIPE_H_
#define KILT_PATCHER_RECIPE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kilt {

struct Recipe {
  // The fields are owned by the patcher (patcher/recipe.cc) and documented in docs/recipe.md.
  std::string kilt_image;                       // image holding /kilt (tag or digest)
  std::string sidecar_name = "kilt";            // name of the injected container
  std::vector<std::string> entrypoint = {"/kilt/run", "--"};
  // ... more fields: see recipe.cc / docs/recipe.md
};

// The documented default recipe, as TOML text (what `kilt recipe --default` prints).
std::string_view DefaultRecipeToml();

// Parses TOML recipe text over the defaults. `source` names the file for error messages.
// Returns false and sets *err ("FILE:LINE: key: what is wrong") on bad input.
[[nodiscard]] bool ParseRecipe(std::string_view toml, std::string_view source, Recipe* out,
                               std::string* err);

// Applies string overrides (the macro's Transform `params`, e.g. {"KiltImage": "..."}) to a recipe.
// Unknown keys are an error naming the key and the accepted ones.
[[nodiscard]] bool ApplyRecipeOverrides(const std::map<std::string, std::string>& overrides,
                                        Recipe* recipe, std::string* err);

}  // namespace kilt

#endif  // KILT_PATCHER_RECIPE_H_
