#include "patcher/command.h"

#include <catch2/catch.hpp>

#include "patcher/patcher.h"

namespace kilt {

TEST_CASE("ComposeArgv follows Docker's ENTRYPOINT/CMD rule") {
  ImageConfig nginx{{"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}, ""};
  Argv out;
  std::string err;
  SECTION("entrypoint set: image CMD dropped, even without a command") {
    REQUIRE(ComposeArgv(Argv{"/bin/sh", "-c"}, std::nullopt, &nginx, &out, &err));
    CHECK(out == Argv{"/bin/sh", "-c"});
  }
  SECTION("entrypoint and command set: no image needed") {
    REQUIRE(ComposeArgv(Argv{"/app"}, Argv{"--port", "80"}, nullptr, &out, &err));
    CHECK(out == Argv{"/app", "--port", "80"});
  }
  SECTION("command only: image ENTRYPOINT ++ command") {
    REQUIRE(ComposeArgv(std::nullopt, Argv{"nginx", "-T"}, &nginx, &out, &err));
    CHECK(out == Argv{"/docker-entrypoint.sh", "nginx", "-T"});
  }
  SECTION("neither: image ENTRYPOINT ++ image CMD") {
    REQUIRE(ComposeArgv(std::nullopt, std::nullopt, &nginx, &out, &err));
    CHECK(out == Argv{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});
  }
  SECTION("an empty entrypoint counts as unset") {
    CHECK(NeedsImageConfig(Argv{}));
    REQUIRE(ComposeArgv(Argv{}, Argv{"x"}, &nginx, &out, &err));
    CHECK(out == Argv{"/docker-entrypoint.sh", "x"});
  }
  SECTION("unknown image when it is needed is an error, never a guess") {
    CHECK_FALSE(ComposeArgv(std::nullopt, Argv{"x"}, nullptr, &out, &err));
    CHECK(err.find("ENTRYPOINT") != std::string::npos);
  }
  SECTION("nothing to run is an error") {
    ImageConfig empty;
    CHECK_FALSE(ComposeArgv(std::nullopt, std::nullopt, &empty, &out, &err));
  }
}

TEST_CASE("WrapArgv puts the launcher first") {
  CHECK(WrapArgv({"/kilt/run", "--"}, {"a", "--", "b"}) == Argv{"/kilt/run", "--", "a", "--", "b"});
}

TEST_CASE("RecipeEnvironment: fixed variables, then metadata; user values win unless forced") {
  Recipe r;
  r.env = {{"A", "1", false}, {"B", "2", true}};
  auto vars = RecipeEnvironment(r, {"task", "app", "nginx:1"});
  REQUIRE(vars.size() == 5);
  CHECK(vars[0].name == "A");
  CHECK(vars[2].name == "KILT_TASK");
  CHECK(vars[2].value == "task");
  CHECK(vars[3].value == "app");
  CHECK(vars[4].value == "nginx:1");
  CHECK(RecipeVariableWins(vars[0], false));
  CHECK_FALSE(RecipeVariableWins(vars[0], true));
  CHECK(RecipeVariableWins(vars[1], true));
  r.image_env = "";
  CHECK(RecipeEnvironment(r, {"t", "c", "i"}).size() == 4);
}

}  // namespace kilt
