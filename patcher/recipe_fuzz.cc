// libFuzzer target: the recipe parser must refuse bad TOML with an error, never crash; a recipe it
// accepts passes ValidateRecipe.
#include <cstddef>
#include <cstdint>
#include <string>

#include "patcher/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  kilt::Recipe r;
  std::string err;
  if (kilt::ParseRecipe(text, "fuzz.toml", &r, &err)) {
    if (!kilt::ValidateRecipe(r, &err)) __builtin_trap();
  } else if (err.empty()) {
    __builtin_trap();  // every refusal says why
  }
  return 0;
}
