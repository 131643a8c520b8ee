#include "lambda/macro.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>

#include "lookup/fake_image_source.h"

namespace kilt::lambda {
namespace {

using lookup::FakeImageSource;

MacroConfig TestConfig() {
  MacroConfig c;
  std::string err;
  REQUIRE(ParseRecipe(DefaultRecipeToml(), "default", &c.recipe, &err));
  c.recipe.kilt_image = "registry.example/kilt:1.0";
  return c;
}

std::string TaskDef(const std::string& containers) {
  return R"({"Type":"AWS::ECS::TaskDefinition","Properties":{"RequiresCompatibilities":["FARGATE"],)"
         R"("NetworkMode":"awsvpc","Cpu":"256","Memory":"512","ContainerDefinitions":[)" +
         containers + "]}}";
}

std::string Event(const std::string& resources, const std::string& params = "{}",
                  const std::string& tpv = "{}") {
  return R"({"requestId":"req-1","region":"us-east-1","accountId":"123456789012","transformId":"t",)"
         R"("params":)" +
         params + R"(,"templateParameterValues":)" + tpv +
         R"(,"fragment":{"AWSTemplateFormatVersion":"2010-09-09","Resources":{)" + resources +
         "}}}";
}

const char* kFullApp =
    R"({"Name":"app","Image":"nginx:1.25","EntryPoint":["/docker-entrypoint.sh"],"Command":["nginx"]})";

rapidjson::Document Parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

const rapidjson::Value& Containers(const rapidjson::Document& resp, const char* id) {
  return resp["fragment"]["Resources"][id]["Properties"]["ContainerDefinitions"];
}

const rapidjson::Value* Container(const rapidjson::Value& list, const std::string& name) {
  for (const auto& c : list.GetArray())
    if (c["Name"].GetString() == name) return &c;
  return nullptr;
}

TEST_CASE("a Fargate task definition is patched and the response says success") {
  MacroOutcome o =
      HandleMacroEvent(Event(R"("TD":)" + TaskDef(kFullApp)), TestConfig(), nullptr, {});
  REQUIRE(o.success);
  CHECK(o.request_id == "req-1");
  CHECK(o.containers_patched == 1);
  CHECK(o.resources_patched == 1);
  rapidjson::Document r = Parse(o.response);
  CHECK(std::string(r["requestId"].GetString()) == "req-1");
  CHECK(std::string(r["status"].GetString()) == "success");
  CHECK_FALSE(r.HasMember("errorMessage"));
  const rapidjson::Value* app = Container(Containers(r, "TD"), "app");
  REQUIRE(app != nullptr);
  CHECK(std::string((*app)["EntryPoint"][0].GetString()) == "/kilt/run");
  const rapidjson::Value* kilt = Container(Containers(r, "TD"), "kilt");
  REQUIRE(kilt != nullptr);
  CHECK(std::string((*kilt)["Image"].GetString()) == "registry.example/kilt:1.0");
}

TEST_CASE("the output is deterministic") {
  std::string ev = Event(R"("TD":)" + TaskDef(kFullApp) + R"(,"TD2":)" + TaskDef(kFullApp));
  CHECK(HandleMacroEvent(ev, TestConfig(), nullptr, {}).response ==
        HandleMacroEvent(ev, TestConfig(), nullptr, {}).response);
}

TEST_CASE("every per-resource error is listed, and the input fragment is returned unchanged") {
  // A user container named like the sidecar is an error in each resource.
  std::string clash = R"({"Name":"kilt","Image":"x:1","EntryPoint":["/x"]})";
  std::string ev = Event(R"("First":)" + TaskDef(clash) + R"(,"Second":)" + TaskDef(clash));
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), nullptr, {});
  REQUIRE_FALSE(o.success);
  CHECK(o.errors == 2);
  rapidjson::Document r = Parse(o.response);
  CHECK(std::string(r["status"].GetString()) == "failure");
  CHECK(std::string(r["requestId"].GetString()) == "req-1");
  std::string msg = r["errorMessage"].GetString();
  CHECK(msg.rfind("Kilt: 2 problems: ", 0) == 0);
  CHECK(msg.find("First") != std::string::npos);
  CHECK(msg.find("Second") != std::string::npos);
  rapidjson::Document in = Parse(ev);
  CHECK(r["fragment"] == in["fragment"]);
}

TEST_CASE("a malformed event is a failure with a message, never a crash") {
  MacroConfig c = TestConfig();
  struct Case {
    std::string event, needle;
  } cases[] = {
      {"", "not valid JSON"},
      {"not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"fragment":{}})", "no requestId"},
      {R"({"requestId":7,"fragment":{}})", "no requestId"},
      {R"({"requestId":"r"})", "no fragment object"},
      {R"({"requestId":"r","fragment":"Resources"})", "no fragment object"},
      {R"({"requestId":"r","fragment":{},"params":[1]})", "params is not an object"},
      {R"({"requestId":"r","fragment":{},"params":{"KiltImage":{"a":{}}}})",
       "Transform parameter KiltImage"},
      {R"({"requestId":"r","fragment":{},"templateParameterValues":{"P":{"x":1}}})",
       "stack parameter P"},
      {R"({"requestId":"r","fragment":{"Resources":[]}})", ""},  // odd shapes: the patcher's call
      {R"({"requestId":"r","fragment":{"Resources":{"X":{"Type":"AWS::ECS::TaskDefinition","Properties":{"ContainerDefinitions":{"a":1}}}}}})",
       ""},
  };
  for (const Case& k : cases) {
    INFO(k.event);
    MacroOutcome o = HandleMacroEvent(k.event, c, nullptr, {});
    rapidjson::Document r = Parse(o.response);
    REQUIRE(r.IsObject());
    REQUIRE(r.HasMember("status"));
    if (k.needle.empty()) continue;
    CHECK_FALSE(o.success);
    CHECK(std::string(r["status"].GetString()) == "failure");
    CHECK(std::string(r["errorMessage"].GetString()).find(k.needle) != std::string::npos);
  }
}

TEST_CASE("params override recipe settings for one template") {
  std::string ev = Event(R"("TD":)" + TaskDef(kFullApp),
                         R"({"KiltImage":"other.example/kilt:2","SidecarName":"agent"})");
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), nullptr, {});
  REQUIRE(o.success);
  rapidjson::Document r = Parse(o.response);
  const rapidjson::Value* agent = Container(Containers(r, "TD"), "agent");
  REQUIRE(agent != nullptr);
  CHECK(std::string((*agent)["Image"].GetString()) == "other.example/kilt:2");
}

TEST_CASE("params may be booleans, lists and Refs to stack parameters") {
  std::string ev = Event(
      R"("TD":)" + TaskDef(kFullApp),
      R"({"KiltImage":{"Ref":"KiltImageParam"},"OptIn":false,"Compatibilities":["FARGATE","EC2"]})",
      R"({"KiltImageParam":"from-param/kilt:3"})");
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), nullptr, {});
  REQUIRE(o.success);
  rapidjson::Document r = Parse(o.response);
  const rapidjson::Value* kilt = Container(Containers(r, "TD"), "kilt");
  REQUIRE(kilt != nullptr);
  CHECK(std::string((*kilt)["Image"].GetString()) == "from-param/kilt:3");

  MacroOutcome bad =
      HandleMacroEvent(Event("", R"({"KiltImage":{"Ref":"Nope"}})"), TestConfig(), nullptr, {});
  CHECK_FALSE(bad.success);
  CHECK(bad.response.find("names no stack parameter") != std::string::npos);
}

TEST_CASE("pseudo parameters resolve from the event's region and account") {
  std::string ev = Event(R"("TD":)" + TaskDef(kFullApp),
                         R"({"KiltImage":{"Ref":"AWS::AccountId"},"LogRegion":{"Ref":"AWS::Region"},"LogGroup":"/k"})");
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), nullptr, {});
  REQUIRE(o.success);
  rapidjson::Document r = Parse(o.response);
  const rapidjson::Value* kilt = Container(Containers(r, "TD"), "kilt");
  REQUIRE(kilt != nullptr);
  CHECK(std::string((*kilt)["Image"].GetString()) == "123456789012");
  CHECK(o.response.find("\"awslogs-region\":\"us-east-1\"") != std::string::npos);
}

TEST_CASE("an unknown param is refused, naming it and the accepted ones") {
  MacroOutcome o = HandleMacroEvent(Event("", R"({"KiltImag":"x"})"), TestConfig(), nullptr, {});
  REQUIRE_FALSE(o.success);
  CHECK(o.response.find("KiltImag") != std::string::npos);
  CHECK(o.response.find("KiltImage") != std::string::npos);
}

TEST_CASE("opt-in selection via params leaves untagged task definitions alone") {
  std::string ev = Event(R"("TD":)" + TaskDef(kFullApp), R"({"OptIn":"true"})");
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), nullptr, {});
  REQUIRE(o.success);
  CHECK(o.containers_patched == 0);
  rapidjson::Document r = Parse(o.response);
  CHECK(Container(Containers(r, "TD"), "kilt") == nullptr);
}

TEST_CASE("images without EntryPoint are looked up, with Refs resolved through stack parameters") {
  FakeImageSource lookup;
  lookup.known["nginx:1.25"] =
      ImageConfig{{"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}, ""};
  std::string ev = Event(R"("TD":)" + TaskDef(R"({"Name":"app","Image":{"Ref":"AppImage"}})"), "{}",
                         R"({"AppImage":"nginx:1.25"})");
  MacroOutcome o = HandleMacroEvent(ev, TestConfig(), &lookup, Deadline::max());
  REQUIRE(o.success);
  CHECK(lookup.asked == std::vector<std::string>{"nginx:1.25"});
  CHECK(o.images_needed == 1);
  rapidjson::Document r = Parse(o.response);
  const rapidjson::Value* app = Container(Containers(r, "TD"), "app");
  REQUIRE(app != nullptr);
  std::string command;
  for (const auto& a : (*app)["Command"].GetArray()) command += std::string(a.GetString()) + " ";
  CHECK(command == "/docker-entrypoint.sh nginx -g daemon off; ");
}

TEST_CASE("ImageLookup=false skips lookups; the lookup's errors explain a failed patch") {
  FakeImageSource lookup;
  std::string td = R"("TD":)" + TaskDef(R"({"Name":"app","Image":"private.example/app:1"})");
  MacroOutcome off = HandleMacroEvent(Event(td, R"({"ImageLookup":"false"})"), TestConfig(),
                                      &lookup, Deadline::max());
  CHECK(lookup.calls == 0);
  CHECK_FALSE(off.success);  // nothing is known about the image's entrypoint

  MacroOutcome on = HandleMacroEvent(Event(td), TestConfig(), &lookup, Deadline::max());
  CHECK(lookup.calls == 1);
  REQUIRE_FALSE(on.success);
  CHECK(on.lookup_errors == 1);
  CHECK(on.response.find("image lookup: private.example/app:1: not found in registry") !=
        std::string::npos);

  MacroOutcome bad = HandleMacroEvent(Event(td, R"({"ImageLookup":"maybe"})"), TestConfig(),
                                      &lookup, Deadline::max());
  CHECK_FALSE(bad.success);
  CHECK(bad.response.find("ImageLookup") != std::string::npos);
}

TEST_CASE("Fn::Transform fragments: a Resources section, or one resource") {
  MacroConfig c = TestConfig();
  // Under Resources: the fragment is the resources map, and so is the answer.
  std::string ev = R"({"requestId":"r","params":{"SidecarName":"agent"},"fragment":{"TD":)" +
                   TaskDef(kFullApp) + R"(,"Bucket":{"Type":"AWS::S3::Bucket"}}})";
  MacroOutcome o = HandleMacroEvent(ev, c, nullptr, {});
  REQUIRE(o.success);
  rapidjson::Document r = Parse(o.response);
  CHECK_FALSE(r["fragment"].HasMember("Resources"));
  CHECK(r["fragment"].HasMember("Bucket"));
  CHECK(Container(r["fragment"]["TD"]["Properties"]["ContainerDefinitions"], "agent") != nullptr);

  // Inside a resource: the fragment is the resource's body; LogicalId names it for KILT_TASK.
  ev = R"({"requestId":"r","params":{"LogicalId":"WebTask"},"fragment":)" + TaskDef(kFullApp) + "}";
  o = HandleMacroEvent(ev, c, nullptr, {});
  REQUIRE(o.success);
  r = Parse(o.response);
  CHECK(std::string(r["fragment"]["Type"].GetString()) == "AWS::ECS::TaskDefinition");
  CHECK(o.response.find("\"Value\":\"WebTask\"") != std::string::npos);

  // Inside Properties: not something the macro can patch.
  o = HandleMacroEvent(R"({"requestId":"r","fragment":{"Cpu":"256","ContainerDefinitions":[]}})", c,
                       nullptr, {});
  CHECK_FALSE(o.success);
  CHECK(o.response.find("Transform section") != std::string::npos);
}

TEST_CASE("JoinErrors stays readable when there are many errors") {
  CHECK(JoinErrors({"a"}) == "1 problem: a");
  CHECK(JoinErrors({"a", "b"}) == "2 problems: a; b");
  std::vector<std::string> many(500, std::string(100, 'e'));
  std::string joined = JoinErrors(many);
  CHECK(joined.size() < 4200);
  CHECK(joined.find("more") != std::string::npos);
}

}  // namespace
}  // namespace kilt::lambda
