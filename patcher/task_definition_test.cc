// The transformation rules, through the public entry points (PatchTemplate, PatchEcsTaskDefinition).
#include <catch2/catch.hpp>

#include "patcher/json.h"
#include "patcher/patcher.h"
#include "patcher/test_util.h"

namespace kilt {
namespace {

using testing::Errors;
using testing::Input;
using testing::J;

// A template with one Fargate task definition holding `containers` (JSON text).
rapidjson::Document Template(const std::string& containers, const std::string& extra_props = "",
                             const std::string& resource_extra = "") {
  return J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', " + resource_extra +
           "'Properties': {'RequiresCompatibilities': ['FARGATE'], " + extra_props +
           "'ContainerDefinitions': " + containers + "}}}}");
}

const rapidjson::Value& Props(const rapidjson::Document& d) { return d["Resources"]["Task"]["Properties"]; }
const rapidjson::Value& Container(const rapidjson::Document& d, int i) {
  return Props(d)["ContainerDefinitions"][i];
}

PatchReport Patch(rapidjson::Document* d, const PatchInput& in = Input()) { return PatchTemplate(d, in); }

TEST_CASE("a container with EntryPoint and Command is wrapped; everything is added; key order kept") {
  auto d = Template("[{'Name': 'app', 'Image': 'app:1', 'EntryPoint': ['/app'], 'Command': ['--port', '80'],"
                    " 'User': '1000', 'Secrets': [{'Name': 'S', 'ValueFrom': 'arn'}]}]");
  PatchReport r = Patch(&d);
  REQUIRE(r.ok());
  CHECK(r.changed);
  CHECK(r.patched == std::vector<std::string>{"Task/app"});
  const auto& c = Container(d, 0);
  CHECK(ToJson(c) ==
        ToJson(J("{'Name': 'app', 'Image': 'app:1', 'EntryPoint': ['/kilt/run', '--'],"
                 " 'Command': ['/app', '--port', '80'], 'User': '1000', 'Secrets': [{'Name': 'S', 'ValueFrom': 'arn'}],"
                 " 'VolumesFrom': [{'SourceContainer': 'kilt', 'ReadOnly': true}],"
                 " 'DependsOn': [{'ContainerName': 'kilt', 'Condition': 'START'}],"
                 " 'Environment': [{'Name': 'KILT_TASK', 'Value': 'Task'}, {'Name': 'KILT_CONTAINER_NAME', 'Value': 'app'},"
                 "   {'Name': 'KILT_CONTAINER_IMAGE', 'Value': 'app:1'}],"
                 " 'LinuxParameters': {'Capabilities': {'Add': ['SYS_PTRACE']}}}")));
  const auto& s = Container(d, 1);
  CHECK(ToJson(s) == ToJson(J("{'Name': 'kilt', 'Image': 'kilt:1', 'Essential': false, 'MemoryReservation': 16,"
                              " 'DockerLabels': {'io.kilt.role': 'sidecar'}}")));
}

TEST_CASE("Docker's rule: EntryPoint set drops the image CMD, so no image knowledge is needed") {
  auto d = Template("[{'Name': 'app', 'Image': 'unknown:1', 'EntryPoint': ['/bin/sh', '-c']}]");
  PatchReport r = Patch(&d);
  REQUIRE(r.ok());
  CHECK(ToJson(Container(d, 0)["Command"]) == R"(["/bin/sh","-c"])");
}

TEST_CASE("an unknown image ENTRYPOINT is an error naming resource, container and image") {
  auto d = Template("[{'Name': 'web', 'Image': 'nginx:1.25'}, {'Name': 'job', 'Image': 'busybox', 'Command': ['true']}]");
  PatchReport r = Patch(&d);
  REQUIRE(r.errors.size() == 2);  // both reported, not just the first
  CHECK(r.errors[0].resource == "Task");
  CHECK(r.errors[0].container == "web");
  CHECK(r.errors[0].message.find("ENTRYPOINT and CMD of image nginx:1.25") != std::string::npos);
  CHECK(r.errors[0].message.find("[[hints]]") != std::string::npos);
  CHECK(r.errors[1].message.find("ENTRYPOINT of image busybox") != std::string::npos);
}

TEST_CASE("recipe hints and lookup results give the image's ENTRYPOINT/CMD") {
  auto d = Template("[{'Name': 'web', 'Image': 'nginx:1.25'}, {'Name': 'job', 'Image': 'busybox', 'Command': ['true']}]");
  PatchInput in = Input();
  in.recipe.hints.push_back({"nginx:1.25", {"/docker-entrypoint.sh"}, {"nginx", "-g", "daemon off;"}});
  in.images[{"busybox", "linux/amd64"}] = ImageConfig{{}, {"sh"}, ""};
  PatchReport r = Patch(&d, in);
  REQUIRE(r.ok());
  CHECK(ToJson(Container(d, 0)["Command"]) == R"(["/docker-entrypoint.sh","nginx","-g","daemon off;"])");
  CHECK(ToJson(Container(d, 1)["Command"]) == R"(["true"])");
}

TEST_CASE("intrinsic functions are kept exactly when EntryPoint/Command move") {
  PatchInput in = Input();
  in.recipe.hints.push_back({"img", {"/entry"}, {"default"}});
  SECTION("a Ref element") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'Command': ['/bin/sh', {'Ref': 'P'}, 'x']}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) == R"(["/entry","/bin/sh",{"Ref":"P"},"x"])");
  }
  SECTION("Fn::If on the whole EntryPoint is distributed into each branch") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'EntryPoint': {'Fn::If': ['C', ['/a'], {'Ref': 'AWS::NoValue'}]},"
                      " 'Command': ['x']}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) == R"({"Fn::If":["C",["/a","x"],["/entry","x"]]})");
    CHECK(ToJson(Container(d, 0)["EntryPoint"]) == R"(["/kilt/run","--"])");
  }
  SECTION("Fn::If on Command that may vanish: the image CMD comes back in that branch") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'Command': {'Fn::If': ['C', ['y'], {'Ref': 'AWS::NoValue'}]}}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) == R"({"Fn::If":["C",["/entry","y"],["/entry","default"]]})");
  }
  SECTION("element-level Fn::If and Fn::Sub elements are copied") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'EntryPoint': [{'Fn::Sub': '${X}'}],"
                      " 'Command': [{'Fn::If': ['C', 'v', {'Ref': 'AWS::NoValue'}]}]}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) ==
          R"([{"Fn::Sub":"${X}"},{"Fn::If":["C","v",{"Ref":"AWS::NoValue"}]}])");
  }
  SECTION("Fn::Split is extended inside its string") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'Command': {'Fn::Split': [',', {'Ref': 'Cmd'}]}}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) == R"({"Fn::Split":[",",{"Fn::Join":["",["/entry,",{"Ref":"Cmd"}]]}]})");
  }
  SECTION("a Ref to a list parameter") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'EntryPoint': ['/x'], 'Command': {'Ref': 'Args'}}]");
    REQUIRE(Patch(&d, in).ok());
    CHECK(ToJson(Container(d, 0)["Command"]) ==
          R"({"Fn::Split":[",",{"Fn::Join":["",["/x,",{"Fn::Join":[",",{"Ref":"Args"}]}]]}]})");
  }
  SECTION("what cannot be expressed exactly is an error, never a wrong template") {
    auto d = Template("[{'Name': 'a', 'Image': 'img', 'EntryPoint': ['/x,y'], 'Command': {'Fn::Split': [',', 'p']}},"
                      " {'Name': 'b', 'Image': 'img', 'Command': {'Fn::GetAtt': ['R', 'A']}},"
                      " {'Name': 'c', 'Image': 'img', 'EntryPoint': [{'Ref': 'E'}], 'Command': {'Fn::Split': [',', 'p']}}]");
    PatchReport r = Patch(&d, in);
    REQUIRE(r.errors.size() == 3);
    CHECK(r.errors[0].message.find("contains that delimiter") != std::string::npos);
    CHECK(r.errors[1].message.find("Fn::GetAtt") != std::string::npos);
    CHECK(r.errors[2].message.find("not a plain string") != std::string::npos);
  }
}

TEST_CASE("a Ref image resolves through the stack parameters") {
  auto d = Template("[{'Name': 'a', 'Image': {'Ref': 'Img'}}]");
  PatchInput in = Input();
  in.recipe.hints.push_back({"nginx:1", {"/e"}, {"c"}});
  CHECK_FALSE(Patch(&d, in).ok());
  d = Template("[{'Name': 'a', 'Image': {'Ref': 'Img'}}]");
  in.parameters["Img"] = "nginx:1";
  REQUIRE(Patch(&d, in).ok());
  CHECK(ToJson(Container(d, 0)["Environment"][2]["Value"]) == R"({"Ref":"Img"})");  // metadata copied exactly
}

TEST_CASE("selection") {
  PatchInput in = Input();
  auto patched = [&](rapidjson::Document d) {
    PatchReport r = Patch(&d, in);
    REQUIRE(r.ok());
    return r.patched.size();
  };
  const std::string c2 = "[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a']}, {'Name': 'b', 'Image': 'i', 'EntryPoint': ['/b']}]";
  auto with = [&](const std::string& props) {
    return J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Properties': {" + props +
             "'ContainerDefinitions': " + c2 + "}}}}");
  };
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'],")) == 2);
  CHECK(patched(with("'RequiresCompatibilities': ['EC2'],")) == 0);
  CHECK(patched(with("")) == 0);  // absent means EC2
  CHECK(patched(with("'RequiresCompatibilities': [{'Ref': 'LaunchType'}],")) == 2);  // may be Fargate
  in.parameters["LaunchType"] = "EC2";
  CHECK(patched(with("'RequiresCompatibilities': [{'Ref': 'LaunchType'}],")) == 0);
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'], 'RuntimePlatform': {'OperatingSystemFamily': "
                     "'WINDOWS_SERVER_2019_CORE'},")) == 0);
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'], 'Tags': [{'Key': 'kilt-ignore', 'Value': ''}],")) == 0);
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'], 'Tags': [{'Key': 'kilt-ignore-containers', 'Value': 'b:c'},"
                     " {'Key': 'other', 'Value': {'Ref': 'X'}}],")) == 1);
  CHECK(patched(J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Metadata': {'Kilt': {'Ignore': true}},"
                  " 'Properties': {'RequiresCompatibilities': ['FARGATE'], 'ContainerDefinitions': " + c2 + "}}}}")) == 0);
  CHECK(patched(J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Metadata': {'Kilt': {'Containers': ['b']}},"
                  " 'Properties': {'RequiresCompatibilities': ['FARGATE'], 'ContainerDefinitions': " + c2 + "}}}}")) == 1);
  in.recipe.opt_in = true;
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'],")) == 0);
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'], 'Tags': [{'Key': 'kilt-include', 'Value': 'yes'}],")) == 2);
  CHECK(patched(with("'RequiresCompatibilities': ['FARGATE'], 'Tags': [{'Key': 'kilt-include-containers', 'Value': 'a'}],")) == 1);

  auto bad = with("'RequiresCompatibilities': ['FARGATE'], 'Tags': [{'Key': 'kilt-include', 'Value': {'Ref': 'X'}}],");
  PatchReport r = Patch(&bad, in);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("tag kilt-include") != std::string::npos);
  auto bad_meta = J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Metadata': {'Kilt': {'Ignored': true}},"
                    " 'Properties': {'RequiresCompatibilities': ['FARGATE'], 'ContainerDefinitions': []}}}}");
  CHECK_FALSE(Patch(&bad_meta, in).ok());
}

TEST_CASE("idempotent: a patched template does not change again") {
  PatchInput in = Input();
  in.recipe.hints.push_back({"nginx", {"/docker-entrypoint.sh"}, {"nginx"}});
  auto d = Template("[{'Name': 'web', 'Image': 'nginx', 'Environment': [{'Name': 'KILT_TASK', 'Value': 'mine'}],"
                    " 'LinuxParameters': {'InitProcessEnabled': true, 'Capabilities': {'Add': ['NET_ADMIN', 'SYS_PTRACE']}}}]");
  REQUIRE(Patch(&d, in).ok());
  std::string once = ToJson(d);
  PatchReport again = Patch(&d, in);
  REQUIRE(again.ok());
  CHECK_FALSE(again.changed);
  CHECK(ToJson(d) == once);
  CHECK(ToJson(Container(d, 0)["LinuxParameters"]) ==
        R"({"InitProcessEnabled":true,"Capabilities":{"Add":["NET_ADMIN","SYS_PTRACE"]}})");
  CHECK(ToJson(Container(d, 0)["Environment"][0]) == R"({"Name":"KILT_TASK","Value":"mine"})");  // user wins
  CHECK(Props(d)["ContainerDefinitions"].Size() == 2);  // one sidecar
  // A changed recipe updates the sidecar kilt added before, in place.
  in.recipe.kilt_image = "kilt:2";
  REQUIRE(Patch(&d, in).ok());
  CHECK(std::string(Container(d, 1)["Image"].GetString()) == "kilt:2");
  CHECK(Props(d)["ContainerDefinitions"].Size() == 2);
}

TEST_CASE("a user container named like the sidecar is an error") {
  auto d = Template("[{'Name': 'kilt', 'Image': 'mine', 'EntryPoint': ['/x']}]");
  PatchReport r = Patch(&d);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.find("sidecar's name") != std::string::npos);
}

TEST_CASE("environment: forced recipe values replace the user's; conditional entries are seen") {
  PatchInput in = Input();
  in.recipe.env = {{"MODE", "quiet", false}, {"LEVEL", "2", true}};
  auto d = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a'], 'Environment': ["
                    "{'Name': 'MODE', 'Value': 'loud'}, {'Fn::If': ['C', {'Name': 'LEVEL', 'Value': '9'}, {'Ref': 'AWS::NoValue'}]}]}]");
  REQUIRE(Patch(&d, in).ok());
  const auto& env = Container(d, 0)["Environment"];
  CHECK(ToJson(env[0]) == R"({"Name":"MODE","Value":"loud"})");
  CHECK(ToJson(env[1]) == R"({"Fn::If":["C",{"Name":"LEVEL","Value":"2"},{"Ref":"AWS::NoValue"}]})");
  CHECK(env.Size() == 5);  // + KILT_TASK, KILT_CONTAINER_NAME, KILT_CONTAINER_IMAGE
}

TEST_CASE("Fn::If around a container or a list field is patched in each branch") {
  auto d = Template("[{'Fn::If': ['HasProxy', {'Name': 'proxy', 'Image': 'p', 'EntryPoint': ['/p'],"
                    " 'Environment': {'Fn::If': ['E', [{'Name': 'X', 'Value': '1'}], {'Ref': 'AWS::NoValue'}]}},"
                    " {'Ref': 'AWS::NoValue'}]}, {'Name': 'app', 'Image': 'a', 'EntryPoint': ['/a']}]");
  PatchReport r = Patch(&d);
  REQUIRE(r.ok());
  CHECK(r.patched.size() == 2);
  const auto& proxy = Container(d, 0)["Fn::If"][1];
  CHECK(ToJson(proxy["EntryPoint"]) == R"(["/kilt/run","--"])");
  const auto& env = proxy["Environment"]["Fn::If"];
  CHECK(env[1].Size() == 4);
  CHECK(env[2].Size() == 3);  // the AWS::NoValue branch became the recipe's variables
}

TEST_CASE("sidecar log configuration: copied from the first patched awslogs container, or a given group") {
  auto d = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a'], 'LogConfiguration': {'LogDriver': 'awslogs',"
                    " 'Options': {'awslogs-group': {'Ref': 'G'}, 'awslogs-region': {'Ref': 'AWS::Region'},"
                    " 'awslogs-stream-prefix': 'a'}}}]");
  REQUIRE(Patch(&d).ok());
  CHECK(ToJson(Container(d, 1)["LogConfiguration"]) ==
        R"({"LogDriver":"awslogs","Options":{"awslogs-group":{"Ref":"G"},"awslogs-region":{"Ref":"AWS::Region"},"awslogs-stream-prefix":"kilt"}})");
  PatchInput in = Input();
  in.recipe.log_mode = "group";
  in.recipe.log_group = "/kilt";
  auto e = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a']}]");
  REQUIRE(Patch(&e, in).ok());
  CHECK(ToJson(Container(e, 1)["LogConfiguration"]["Options"]) ==
        R"({"awslogs-group":"/kilt","awslogs-region":{"Ref":"AWS::Region"},"awslogs-stream-prefix":"kilt"})");
}

TEST_CASE("errors are collected across resources and the recipe must name a kilt image") {
  auto d = J("{'Resources': {'A': {'Type': 'AWS::ECS::TaskDefinition', 'Properties': {'RequiresCompatibilities': ['FARGATE'],"
             " 'ContainerDefinitions': [{'Name': 'x', 'Image': 'i'}]}}, 'B': {'Type': 'AWS::ECS::TaskDefinition',"
             " 'Properties': {'RequiresCompatibilities': ['FARGATE'], 'ContainerDefinitions': {'Ref': 'Nope'}}}}}");
  PatchReport r = Patch(&d);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].resource == "A");
  CHECK(r.errors[1].resource == "B");
  PatchInput none;
  auto e = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a']}]");
  PatchReport r2 = PatchTemplate(&e, none);
  REQUIRE(r2.errors.size() == 1);
  CHECK(r2.errors[0].message.find("kilt image") != std::string::npos);
}

TEST_CASE("ListTemplateImageNeeds lists what a patch needs, sorted, with the platform") {
  auto d = J("{'Resources': {'T': {'Type': 'AWS::ECS::TaskDefinition', 'Properties': {'RequiresCompatibilities': ['FARGATE'],"
             " 'RuntimePlatform': {'CpuArchitecture': 'ARM64'}, 'ContainerDefinitions': ["
             " {'Name': 'z', 'Image': 'zz'}, {'Name': 'a', 'Image': 'aa', 'Command': ['x']},"
             " {'Name': 'set', 'Image': 'ss', 'EntryPoint': ['/s']}, {'Name': 'r', 'Image': {'Ref': 'Unknown'}}]}}}}");
  auto needs = ListTemplateImageNeeds(d, Input());
  REQUIRE(needs.size() == 2);
  CHECK(needs[0].image == "aa");
  CHECK(needs[0].platform == "linux/arm64");
  CHECK(needs[1].image == "zz");
}

TEST_CASE("ECS API JSON: camelCase, describe output unwrapped, read-only fields dropped") {
  auto d = J("{'taskDefinition': {'taskDefinitionArn': 'arn:x', 'family': 'web', 'revision': 3, 'status': 'ACTIVE',"
             " 'compatibilities': ['EC2', 'FARGATE'], 'requiresAttributes': [], 'registeredAt': 1, 'registeredBy': 'me',"
             " 'requiresCompatibilities': ['FARGATE'], 'cpu': '256', 'memory': '512', 'networkMode': 'awsvpc',"
             " 'containerDefinitions': [{'name': 'app', 'image': 'app:1', 'entryPoint': ['/app'], 'command': ['run'],"
             " 'essential': true}]}, 'tags': [{'key': 'team', 'value': 'a'}]}");
  PatchReport r = PatchEcsTaskDefinition(&d, Input());
  REQUIRE(r.ok());
  CHECK_FALSE(d.HasMember("taskDefinition"));
  CHECK_FALSE(d.HasMember("taskDefinitionArn"));
  CHECK_FALSE(d.HasMember("compatibilities"));
  CHECK(d["tags"][0]["key"] == "team");
  const auto& c = d["containerDefinitions"][0];
  CHECK(ToJson(c["entryPoint"]) == R"(["/kilt/run","--"])");
  CHECK(ToJson(c["command"]) == R"(["/app","run"])");
  CHECK(ToJson(c["volumesFrom"]) == R"([{"sourceContainer":"kilt","readOnly":true}])");
  CHECK(ToJson(c["linuxParameters"]) == R"({"capabilities":{"add":["SYS_PTRACE"]}})");
  CHECK(ToJson(d["containerDefinitions"][1]) ==
        R"({"name":"kilt","image":"kilt:1","essential":false,"memoryReservation":16,"dockerLabels":{"io.kilt.role":"sidecar"}})");
  // No intrinsics in ECS JSON: an object where a list belongs is an error.
  auto bad = J("{'family': 'f', 'requiresCompatibilities': ['FARGATE'], 'containerDefinitions': [{'name': 'a', 'image': 'i',"
               " 'entryPoint': {'Fn::If': ['C', ['/a'], ['/b']]}}]}");
  CHECK_FALSE(PatchEcsTaskDefinition(&bad, Input()).ok());
}

TEST_CASE("selection kilt cannot decide at patch time is an error, not a silent patch") {
  PatchInput in = Input();
  const std::string c1 = "[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/a']}]";
  auto with_tags = [&](const std::string& tags) {
    return J("{'Resources': {'Task': {'Type': 'AWS::ECS::TaskDefinition', 'Properties': {"
             "'RequiresCompatibilities': ['FARGATE'], 'Tags': " + tags + ", 'ContainerDefinitions': " + c1 + "}}}}");
  };
  auto error_of = [&](const std::string& tags) {
    rapidjson::Document d = with_tags(tags);
    PatchReport r = Patch(&d, in);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.patched.empty());
    return r.errors[0].message;
  };
  // Tags as a whole behind a Fn::If, a tag element behind a Fn::If, a tag key that is a Ref.
  CHECK_THAT(error_of("{'Fn::If': ['C', [{'Key': 'kilt-ignore', 'Value': ''}], []]}"),
             Catch::Contains("Tags is {\"Fn::If\"") && Catch::Contains("literal strings"));
  CHECK_THAT(error_of("[{'Fn::If': ['C', {'Key': 'kilt-ignore', 'Value': ''}, {'Ref': 'AWS::NoValue'}]}]"),
             Catch::Contains("a tag is {\"Fn::If\""));
  CHECK_THAT(error_of("[{'Key': {'Ref': 'TagKey'}, 'Value': 'x'}]"),
             Catch::Contains("the key of tag") && Catch::Contains("--parameter"));
  // Decidable after all: the parameter's value is known, or the conditional tags are not Kilt's.
  in.parameters["TagKey"] = "kilt-ignore";
  rapidjson::Document d = with_tags("[{'Key': {'Ref': 'TagKey'}, 'Value': 'x'}]");
  PatchReport r = Patch(&d, in);
  REQUIRE(r.ok());
  CHECK(r.patched.empty());
  d = with_tags("[{'Fn::If': ['C', {'Key': 'team', 'Value': 'a'}, {'Ref': 'AWS::NoValue'}]}]");
  r = Patch(&d, in);
  REQUIRE(r.ok());
  CHECK(r.patched.size() == 1);
}

TEST_CASE("a container already wrapped with nothing to run, or by a launcher without --, is an error") {
  auto empty = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/kilt/run', '--'], 'Command': []}]");
  PatchReport r = Patch(&empty);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.patched.empty());
  CHECK_THAT(r.errors[0].message, Catch::Contains("Command is empty"));
  auto absent = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/kilt/run', '--']}]");
  CHECK_FALSE(Patch(&absent).ok());

  auto bare = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/kilt/run'], 'Command': ['/app']}]");
  r = Patch(&bare);
  REQUIRE(r.errors.size() == 1);
  CHECK_THAT(r.errors[0].message, Catch::Contains("starts with /kilt/run but is not the recipe's [\"/kilt/run\",\"--\"]"));

  auto fine = Template("[{'Name': 'a', 'Image': 'i', 'EntryPoint': ['/kilt/run', '--'], 'Command': ['/app']}]");
  r = Patch(&fine);
  REQUIRE(r.ok());
  CHECK(ToJson(Container(fine, 0)["Command"]) == R"(["/app"])");
}

TEST_CASE("--ecs refuses what is not a task definition instead of skipping it") {
  for (const char* text : {"{'taskDefinition': null}", "{}", "{'foo': 1}", "[1]", "{'taskDefinition': {'family': 'x'}}"}) {
    INFO(text);
    auto d = J(text);
    PatchReport r = PatchEcsTaskDefinition(&d, Input());
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0].message, Catch::Contains("not an ECS task definition"));
  }
}

}  // namespace
}  // namespace kilt
