#include "local/bundle.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

using namespace kilt::local;

namespace {
ContainerSpec Container() {
  ContainerSpec c;
  c.name = "app";
  c.image = "img:1";
  return c;
}
ImageSpec Image() {
  ImageSpec i;
  i.entrypoint = {"/docker-entrypoint.sh"};
  i.cmd = {"nginx", "-g", "daemon off;"};
  i.env = {"PATH=/usr/bin:/bin", "A=image"};
  return i;
}
std::vector<std::string> Argv(const ContainerSpec& c, const ImageSpec& i) {
  std::vector<std::string> argv;
  std::string err;
  REQUIRE(EffectiveArgv(c, i, &argv, &err));
  return argv;
}
}  // namespace

TEST_CASE("argv follows Docker's ENTRYPOINT/CMD rule") {
  ContainerSpec c = Container();
  ImageSpec i = Image();
  CHECK(Argv(c, i) ==
        std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});
  c.command = std::vector<std::string>{"sh"};
  CHECK(Argv(c, i) == std::vector<std::string>{"/docker-entrypoint.sh", "sh"});
  c.command.reset();
  c.entry_point = std::vector<std::string>{"/kilt/run", "--"};
  // EntryPoint set, Command unset: the image's CMD is dropped.
  CHECK(Argv(c, i) == std::vector<std::string>{"/kilt/run", "--"});
  c.command = std::vector<std::string>{"/docker-entrypoint.sh", "nginx"};
  CHECK(Argv(c, i) ==
        std::vector<std::string>{"/kilt/run", "--", "/docker-entrypoint.sh", "nginx"});

  // An empty list counts as unset, as kilt patch composes it: the image's CMD follows.
  c.entry_point.reset();
  c.command = std::vector<std::string>{};
  CHECK(Argv(c, i) == std::vector<std::string>{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});

  ContainerSpec empty = Container();
  std::vector<std::string> argv;
  std::string err;
  CHECK_FALSE(EffectiveArgv(empty, ImageSpec{}, &argv, &err));
  CHECK(err.find("container app: nothing to run") == 0);
}

TEST_CASE("environment: task over image, in place; PATH and HOME defaults") {
  ContainerSpec c = Container();
  c.environment = {{"A", "task"}, {"B", "2"}};
  CHECK(EffectiveEnv(c, Image(), "/root") ==
        std::vector<std::string>{"PATH=/usr/bin:/bin", "A=task", "B=2", "HOME=/root"});
  CHECK(EffectiveEnv(Container(), ImageSpec{}, "/h")[0].rfind("PATH=", 0) == 0);
}

TEST_CASE("users resolve against the image's passwd and group") {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n";
  const std::string group = "root:x:0:\nstaff:x:50:\n";
  uint32_t uid, gid;
  std::string home, err;
  REQUIRE(ResolveUser("", passwd, group, &uid, &gid, &home, &err));
  CHECK((uid == 0 && gid == 0 && home == "/root"));
  REQUIRE(ResolveUser("app", passwd, group, &uid, &gid, &home, &err));
  CHECK((uid == 1000 && gid == 1001 && home == "/home/app"));
  REQUIRE(ResolveUser("app:staff", passwd, group, &uid, &gid, &home, &err));
  CHECK((uid == 1000 && gid == 50));
  REQUIRE(ResolveUser("4242:7", "", "", &uid, &gid, &home, &err));  // numeric ids need no entry
  CHECK((uid == 4242 && gid == 7 && home == "/"));
  CHECK_FALSE(ResolveUser("nobody", passwd, group, &uid, &gid, &home, &err));
  CHECK(err.find("'nobody' is not in the image's /etc/passwd") != std::string::npos);
  CHECK_FALSE(ResolveUser("app:nogroup", passwd, group, &uid, &gid, &home, &err));
}

TEST_CASE("runtime spec: process, read-only binds, capabilities only for root") {
  ProcessSpec p;
  p.args = {"/kilt/run", "--", "app"};
  p.env = {"A=1"};
  std::string json = RuntimeSpecJson(p, {{"/host/kilt", "/kilt", true}}, "app", {"SYS_PTRACE"});
  rapidjson::Document d;
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["process"]["args"][2].GetString()) == "app");
  CHECK_FALSE(d["process"]["terminal"].GetBool());
  const auto& mounts = d["mounts"].GetArray();
  const auto& bind = mounts[mounts.Size() - 1];
  CHECK(std::string(bind["destination"].GetString()) == "/kilt");
  bool ro = false;
  for (const auto& o : bind["options"].GetArray()) ro |= std::string(o.GetString()) == "ro";
  CHECK(ro);
  bool ptrace = false;
  for (const auto& c : d["process"]["capabilities"]["effective"].GetArray())
    ptrace |= std::string(c.GetString()) == "CAP_SYS_PTRACE";
  CHECK(ptrace);
  p.uid = 1000;
  d.Parse(RuntimeSpecJson(p, {}, "app", {"SYS_PTRACE"}).c_str());
  CHECK(d["process"]["capabilities"]["effective"].Empty());
  CHECK(d["process"]["capabilities"]["bounding"].Size() > 0);
  // Deterministic output.
  CHECK(RuntimeSpecJson(p, {}, "app", {}) == RuntimeSpecJson(p, {}, "app", {}));
}
