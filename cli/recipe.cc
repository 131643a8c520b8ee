// `kilt recipe`: print the documented default recipe, or check one.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/io.h"
#include "patcher/recipe.h"

namespace kilt::cli {

int RunRecipe(int argc, char** argv) {
  const char* usage =
      "usage: kilt recipe --default      print the default recipe (TOML, with comments)\n"
      "       kilt recipe --check FILE   check a recipe; exit 2 with the problem when it is wrong\n";
  std::string arg = argc > 1 ? argv[1] : "";
  if (argc == 2 && arg == "--default") {
    std::string_view t = DefaultRecipeToml();
    std::fwrite(t.data(), 1, t.size(), stdout);
    return 0;
  }
  if (argc == 3 && arg == "--check") {
    std::string text, err;
    Recipe r;
    if (!ReadInput(argv[2], &text, &err, kMaxRecipeBytes) || !ParseRecipe(text, argv[2], &r, &err)) {
      std::fprintf(stderr, "kilt recipe: %s\n", err.c_str());
      return 2;
    }
    if (r.kilt_image.empty()) std::fprintf(stderr, "kilt recipe: %s: note: `image` is not set; kilt patch will need --kilt-image\n", argv[2]);
    std::printf("%s: ok\n", argv[2]);
    return 0;
  }
  if (arg == "--help" || arg == "-h") {
    std::fputs(usage, stdout);
    return 0;
  }
  std::fputs(usage, stderr);
  return 2;
}

}  // namespace kilt::cli
