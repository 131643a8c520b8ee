#include "lambda/config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <string>

namespace kilt::lambda {
namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* n) -> const char* {
      auto it = vars.find(n);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

// A scratch LAMBDA_TASK_ROOT with a recipe.toml, removed at the end of the test.
struct TaskRoot {
  explicit TaskRoot(const std::string& recipe) {
    REQUIRE(mkdtemp(dir) != nullptr);
    file = std::string(dir) + "/recipe.toml";
    FILE* f = fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    fwrite(recipe.data(), 1, recipe.size(), f);
    fclose(f);
  }
  ~TaskRoot() {
    unlink(file.c_str());
    rmdir(dir);
  }
  char dir[32] = "/tmp/kilt-lambda-config-XXXXXX";
  std::string file;
};

TEST_CASE("without any setting the built-in default recipe is used, lookups on") {
  FakeEnv env;
  MacroConfig c;
  std::string err;
  REQUIRE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(c.image_lookup);
  CHECK(c.recipe.sidecar_name == "kilt");
}

TEST_CASE("inline TOML, then base64, then the bundled file") {
  TaskRoot root("image = \"from-file:1\"\n");
  FakeEnv env;
  env.vars["LAMBDA_TASK_ROOT"] = root.dir;
  MacroConfig c;
  std::string err;
  REQUIRE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(c.recipe.kilt_image == "from-file:1");

  env.vars["KILT_RECIPE_BASE64"] = "aW1hZ2UgPSAiZnJvbS1iYXNlNjQ6MSIK";  // image = "from-base64:1"
  REQUIRE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(c.recipe.kilt_image == "from-base64:1");

  env.vars["KILT_RECIPE"] = "image = \"inline:1\"\n[sidecar]\nname = \"agent\"\n";
  REQUIRE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(c.recipe.kilt_image == "inline:1");
  CHECK(c.recipe.sidecar_name == "agent");
}

TEST_CASE("the installer's variables override single settings") {
  FakeEnv env;
  env.vars["KILT_RECIPE"] = "image = \"inline:1\"\n";
  env.vars["KILT_IMAGE"] = "installer:2";
  env.vars["KILT_SELECTION"] = "opt-in";
  env.vars["KILT_SIDECAR_LOG_GROUP"] = "/kilt/sidecars";
  env.vars["KILT_IMAGE_LOOKUP"] = "off";
  MacroConfig c;
  std::string err;
  REQUIRE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(c.recipe.kilt_image == "installer:2");
  CHECK(c.recipe.opt_in);
  CHECK(c.recipe.log_mode == "group");
  CHECK(c.recipe.log_group == "/kilt/sidecars");
  CHECK_FALSE(c.image_lookup);
}

TEST_CASE("bad settings name the variable, not its value") {
  MacroConfig c;
  std::string err;
  FakeEnv env;
  env.vars["KILT_RECIPE_BASE64"] = "s3cr3t!!";
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err.find("KILT_RECIPE_BASE64") != std::string::npos);
  CHECK(err.find("s3cr3t") == std::string::npos);

  env.vars.clear();
  env.vars["KILT_SELECTION"] = "sometimes";
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err.find("KILT_SELECTION") != std::string::npos);

  env.vars.clear();
  env.vars["KILT_IMAGE_LOOKUP"] = "yes";
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err.find("KILT_IMAGE_LOOKUP") != std::string::npos);

  env.vars.clear();
  env.vars["KILT_RECIPE"] = "image = [";
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err.rfind("KILT_RECIPE:1", 0) == 0);

  env.vars.clear();
  env.vars["KILT_RECIPE_FILE"] = "/nonexistent/recipe.toml";
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err.find("/nonexistent/recipe.toml") != std::string::npos);
}

TEST_CASE("a bundled recipe larger than the recipe limit is refused before it is read whole") {
  TaskRoot root(std::string(kMaxRecipeBytes + 1, '#'));
  FakeEnv env;
  env.vars["LAMBDA_TASK_ROOT"] = root.dir;
  MacroConfig c;
  std::string err;
  CHECK_FALSE(LoadMacroConfig(env.lookup(), &c, &err));
  CHECK(err == "cannot read the recipe " + root.file + ": larger than 1048576 bytes");
}

}  // namespace
}  // namespace kilt::lambda
