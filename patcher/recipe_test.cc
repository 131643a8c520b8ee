#include "patcher/recipe.h"

#include <catch2/catch.hpp>

namespace kilt {

TEST_CASE("the default recipe parses to the documented defaults") {
  Recipe r;
  std::string err;
  REQUIRE(ParseRecipe(DefaultRecipeToml(), "default", &r, &err));
  Recipe d;
  CHECK(r.kilt_image.empty());
  CHECK(r.entrypoint == d.entrypoint);
  CHECK(r.entrypoint == std::vector<std::string>{"/kilt/run", "--"});
  CHECK(r.sidecar_name == "kilt");
  CHECK_FALSE(r.sidecar_essential);
  CHECK(r.capabilities == std::vector<std::string>{"SYS_PTRACE"});
  CHECK(r.compatibilities == std::vector<std::string>{"FARGATE"});
  CHECK_FALSE(r.opt_in);
  CHECK(r.depends_on_condition == "START");
  CHECK(r.sidecar_memory_reservation == d.sidecar_memory_reservation);
  CHECK(r.log_mode == "copy");
  CHECK(r.task_env == "KILT_TASK");
  CHECK(r.hints.empty());
}

TEST_CASE("a full recipe parses") {
  const char* toml = R"(
image = "registry.example/kilt@sha256:abc"
entrypoint = ["/kilt/run"]
capabilities = []
[selection]
mode = "opt-in"
compatibilities = ["FARGATE", "EC2"]
[sidecar]
name = "falco"
cpu = 64
memory_reservation = 0
command = ["/kilt/init", "--idle"]
depends_on_condition = "HEALTHY"
[sidecar.log]
mode = "group"
group = "/kilt"
region = "eu-west-1"
[environment]
FALCO_MODE = "quiet"
[environment_forced]
KILT_ENFORCED = "1"
[metadata_environment]
image = ""
[[hints]]
image = "nginx:1.25"
entrypoint = ["/docker-entrypoint.sh"]
cmd = ["nginx", "-g", "daemon off;"]
)";
  Recipe r;
  std::string err;
  REQUIRE(ParseRecipe(toml, "r.toml", &r, &err));
  CHECK(r.kilt_image == "registry.example/kilt@sha256:abc");
  CHECK(r.opt_in);
  CHECK(r.capabilities.empty());
  CHECK(r.sidecar_name == "falco");
  CHECK(r.sidecar_cpu == 64);
  CHECK(r.sidecar_memory_reservation == 0);
  CHECK(r.depends_on_condition == "HEALTHY");
  CHECK(r.log_mode == "group");
  REQUIRE(r.env.size() == 2);
  CHECK(r.env[0].name == "FALCO_MODE");
  CHECK_FALSE(r.env[0].force);
  CHECK(r.env[1].force);
  CHECK(r.image_env.empty());
  REQUIRE(r.hints.size() == 1);
  CHECK(r.hints[0].cmd.size() == 3);
}

TEST_CASE("bad recipes are refused with file, line and key") {
  Recipe r;
  std::string err;
  auto bad = [&](const char* toml) {
    err.clear();
    return !ParseRecipe(toml, "r.toml", &r, &err);
  };
  CHECK(bad("imag = \"x\""));
  CHECK(err.find("r.toml:1: imag: unknown key") == 0);
  CHECK(bad("image = 3"));
  CHECK(err.find("image: must be a string") != std::string::npos);
  CHECK(bad("[selection]\nmode = \"maybe\""));
  CHECK(err.find("r.toml:2: selection.mode") == 0);
  CHECK(bad("[sidecar]\ndepends_on_condition = \"LATER\""));
  CHECK(bad("[sidecar]\nname = \"bad name\""));
  CHECK(bad("[sidecar]\ncpu = -1"));
  CHECK(bad("[sidecar.log]\nmode = \"group\""));
  CHECK(bad("capabilities = [\"sys_ptrace\"]"));
  CHECK(bad("[environment]\nA = 1"));
  CHECK(bad("[environment]\nA = \"1\"\n[environment_forced]\nA = \"2\""));
  CHECK(bad("[[hints]]\nentrypoint = []"));
  CHECK(bad("[[hints]]\nimage = \"a\"\n[[hints]]\nimage = \"a\""));
  CHECK(bad("image = "));
  CHECK(err.find("r.toml:1:") == 0);
  CHECK(bad("entrypoint = []"));
  CHECK(bad("# caf\xc3\xa9\nimage = \"x\""));  // toml++ misbehaves on some non-ASCII: refused up front
  CHECK(err.find("r.toml:1: a recipe must be ASCII") == 0);
  CHECK(bad("[\n"));  // toml++ asserts on this one; found by the fuzzer
  CHECK(err.find("r.toml:") == 0);
  // Limits: control characters in strings, nesting, size.
  CHECK(bad("image = \"kilt\\u0000:1\""));
  CHECK(err == "r.toml:1: image: contains a control character (such as \\u0000): write the value without it");
  CHECK(bad("[environment]\nA = \"x\\u001b[31m\""));
  CHECK(err.find("r.toml:2: environment.A: contains a control character") == 0);
  CHECK(bad(("image = " + std::string(300, '[') + std::string(300, ']')).c_str()));
  CHECK(err.find("exceeded maximum nested value depth of 256") != std::string::npos);
  CHECK(bad(std::string(kMaxRecipeBytes + 1, '#').c_str()));
  CHECK(err == "r.toml: larger than 1048576 bytes: is this a recipe?");
}

TEST_CASE("ApplyRecipeOverrides: known keys change the recipe, unknown keys are named") {
  Recipe r;
  std::string err;
  REQUIRE(ApplyRecipeOverrides({{"KiltImage", "k:2"}, {"OptIn", "true"}, {"Capabilities", ""},
                                {"Compatibilities", "FARGATE, EC2"}, {"LogGroup", "/g"}},
                               &r, &err));
  CHECK(r.kilt_image == "k:2");
  CHECK(r.opt_in);
  CHECK(r.capabilities.empty());
  CHECK(r.compatibilities == std::vector<std::string>{"FARGATE", "EC2"});
  CHECK(r.log_mode == "group");
  Recipe before = r;
  CHECK_FALSE(ApplyRecipeOverrides({{"Image", "x"}}, &r, &err));
  CHECK(err.find("\"Image\"") != std::string::npos);
  CHECK(err.find("KiltImage") != std::string::npos);
  CHECK_FALSE(ApplyRecipeOverrides({{"DependsOnCondition", "SOON"}}, &r, &err));
  CHECK(r.depends_on_condition == before.depends_on_condition);  // nothing half-applied
}

}  // namespace kilt
